//! The real widget in the real engine: Debian's `spring-headless` (Spring 106, the engine BAR's Recoil was forked
//! from) plays the LiveTest game (`tests/engine/`) between NullAI teams, the widget is installed as a user widget
//! exactly as a user would, and a real receiver on an ephemeral port of 127.0.0.1 feeds the overlay's model. The
//! game writes its own ground truth into the engine's log; the model must match it at every dump (every unit, its
//! team, type and state, every team's resources), every death must be `destroyed` exactly once and never sent again,
//! a player must see no enemy economy and no unit outside line of sight and radar, and the log must hold no error.
//! At comprehensive detail (the player run) every build the game started by a builder must arrive as a
//! `build_started` decision point, and the rules' orders, which Spring 106's handler passes without a command id,
//! must be counted in `status.dropped_orders` (`real_engine/orders.rs`).
//!
//! Needs `/usr/games/spring-headless`: `./scripts/test` installs it (`apt-get install --no-install-recommends
//! spring`). Each run leaves its files (infolog.txt, stream.ndjson, the write dir) under
//! `target/tmp/engine/<mode>/` for a look afterwards.

mod real_engine;

use real_engine::check;
use real_engine::run::{Mode, Opts, run_game};
use real_engine::truth;

/// Game seconds per run: eight waves meet in the middle, the factories build, two units change teams.
const GAME_SECONDS: u32 = 90;

fn play(mode: Mode, detail: Option<&str>) {
    let run = run_game(Opts {
        detail,
        ..Opts::new(mode, GAME_SECONDS)
    });
    let name = mode.name();
    let truth = truth::parse(&run.infolog)
        .unwrap_or_else(|e| panic!("{name}: {e}; see {}/infolog.txt", run.out.display()));
    let (problems, stats) = check::check(&run, &truth);
    eprintln!(
        "{name}: {:.1} s wall, {} snapshots, {} truth dumps checked, up to {} units (game: {}), {} deaths \
         ({} in view), {} destroyed, {} hidden, destroyed lag {:?}, enemy units sent in LOS {} / on radar {}, \
         widget frame cost {:?}, orders {:?}",
        run.wall.as_secs_f64(),
        stats.snapshots,
        stats.dumps_checked,
        stats.max_units_seen,
        truth.max_units(),
        stats.deaths,
        stats.deaths_in_view,
        stats.destroyed,
        stats.hidden,
        stats.destroyed_lag,
        stats.enemy_in_los,
        stats.enemy_blips,
        stats.frame_costs,
        stats.orders
    );
    let _ = std::fs::write(run.out.join("problems.txt"), problems.list.join("\n"));
    assert!(
        problems.total == 0,
        "{name}: {} problems (files in {}):\n{}",
        problems.total,
        run.out.display(),
        problems.list.join("\n")
    );
}

#[test]
fn spectator_model_matches_the_game() {
    play(Mode::Spectator, None);
}

#[test]
fn player_sees_only_its_side_and_what_is_in_sight() {
    // comprehensive: also what a player must not get (enemy experience, enemy radar blips' velocity)
    play(Mode::Player, Some("comprehensive"));
}
