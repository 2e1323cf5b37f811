//! The real widget in the real engine: Debian's `spring-headless` (Spring 106, the engine BAR's Recoil was forked
//! from) plays the LiveTest game (`tests/engine/`) between NullAI teams, the widget is installed as a user widget
//! exactly as a user would, and a real receiver on an ephemeral port of 127.0.0.1 feeds the overlay's model. The
//! game writes its own ground truth into the engine's log; the model must match it at every dump (every unit, its
//! team, type and state, every team's resources), every death must be `destroyed` exactly once and never sent again,
//! a player must see no enemy economy and no unit outside line of sight and radar, and the log must hold no error.
//! At comprehensive detail (the player run) every build the game started by a builder must arrive as a
//! `build_started` decision point, and the rules' orders, which Spring 106's handler passes without a command id,
//! must be counted in `status.dropped_orders` (`real_engine/orders.rs`).
//! A third run streams more than 16 MiB and compares the widget's count of bytes sent with what the receiver got.
//!
//! Needs `/usr/games/spring-headless`: `./scripts/test` installs it (`apt-get install --no-install-recommends
//! spring`). Each run leaves its files (infolog.txt, stream.ndjson, the write dir) under
//! `target/tmp/engine/<mode>[-bytes]/` for a look afterwards.

// The integration tests' helpers: the report's page checks and the browser.
#[path = "integration/common/mod.rs"]
mod common;
mod real_engine;

use bar_overlay::receiver::ReceiverEvent;
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
    report_of_the_real_game(&run);
}

/// The real game's recording as a report page in headless Chromium (`report.html` beside `stream.ndjson`).
fn report_of_the_real_game(run: &real_engine::run::Run) {
    let name = run.mode.name();
    let stream = run.out.join("stream.ndjson");
    let page = run.out.join("report.html");
    common::report::report(&stream, &page);
    let teams = bar_overlay::tools::summary::summarize(&stream)
        .unwrap_or_else(|e| panic!("{name}: {e:#}"))
        .teams
        .len();
    let mut b = common::browser::Browser::start(1400, 1000);
    b.watch();
    let seen = common::report::check_page(&mut b, &page, teams, false);
    let builds = b.eval("document.querySelectorAll('#builds td.r-build').length");
    assert!(
        builds.as_u64().unwrap_or(0) > 0,
        "{name}: the real game's builds are in the table"
    );
    let player_view = seen.text.contains("view, not a spectator's");
    assert_eq!(
        player_view,
        run.mode == Mode::Player,
        "{name}: the page says whether enemy values were hidden"
    );
    eprintln!(
        "{name}: report {} ({} plots drawn)",
        page.display(),
        seen.plots_drawn
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

/// The widget's count of bytes sent, kept as whole MiB + the rest because one counter in the engine's 32-bit floats
/// stops counting exactly at 2^24 (16 MiB): after a stream of more than 16 MiB it must equal what the receiver got.
/// A full-view spectator at comprehensive detail with 300 extra tanks a team that pace (about 20 MiB in 30 game
/// seconds), throttling off; the cost probe writes the widget's count into infolog every 10 frames. The last count is
/// written in the game's last frame; what the widget sent after it (its bye, when the engine quits) must be whole
/// lines of that frame or later.
#[test]
fn byte_counter_is_exact_past_16_mib() {
    let run = run_game(Opts {
        extra: 300,
        detail: Some("comprehensive"),
        probe: true,
        budget_ms: Some(0.0),
        tag: "-bytes",
        ..Opts::new(Mode::Spectator, 30)
    });
    let out = run.out.display();
    // [LiveProbe] sent F MIB REST CONNECTIONS
    let (frame, mib, rest, connections) = run
        .infolog
        .lines()
        .filter_map(|l| {
            let w: Vec<f64> = l[l.find("[LiveProbe] sent ")? + 17..]
                .split_whitespace()
                .map(|x| x.parse().ok())
                .collect::<Option<_>>()?;
            (w.len() == 4).then(|| (w[0], w[1], w[2], w[3]))
        })
        .next_back()
        .unwrap_or_else(|| panic!("no `[LiveProbe] sent` line in {out}/infolog.txt"));
    let counted = if mib < 0.0 {
        rest
    } else {
        mib * 1048576.0 + rest
    };
    let stream = std::fs::read(run.out.join("stream.ndjson"))
        .unwrap_or_else(|e| panic!("{out}/stream.ndjson: {e}"));
    let received = stream.len();
    // the lines after the count, from the end: each of the last frame or later, and together exactly the difference
    let mut after = 0usize;
    let mut lines_after = 0;
    for line in stream.trim_ascii_end().split(|&b| b == b'\n').rev() {
        if (received - after) as f64 <= counted {
            break;
        }
        let f = serde_json::from_slice::<serde_json::Value>(line)
            .ok()
            .and_then(|v| v.get("game_frame")?.as_f64());
        if f.is_none_or(|f| f < frame) {
            break;
        }
        after += line.len() + 1;
        lines_after += 1;
    }
    eprintln!(
        "bytes: the widget counted {counted} by frame {frame} in {connections} connection(s); the receiver got \
         {received}, {lines_after} line(s) ({after} bytes) sent after that frame's count"
    );
    assert!(
        received > 17 * 1048576,
        "the stream is {received} bytes, not past 16 MiB: the test needs more units or game seconds ({out})"
    );
    assert_eq!(
        connections, 1.0,
        "the widget connected more than once ({out})"
    );
    assert_eq!(
        counted,
        (received - after) as f64,
        "the widget's byte count differs from what the receiver got before its last count ({out})"
    );
}

/// Spring 106 rejects `TCPAllowConnect = 127.0.0.1:*` ("Invalid port specified: 0") and then denies every connect
/// (LuaSocket's "connect denied"): the widget never connects, and says in the log which setting allows it.
#[test]
fn denied_connect_names_the_setting() {
    let run = run_game(Opts {
        allow_connect: Some("127.0.0.1:*"),
        tag: "-denied",
        ..Opts::new(Mode::Spectator, 10)
    });
    let out = run.out.display();
    let connected = run
        .events
        .iter()
        .filter(|e| matches!(e, ReceiverEvent::Connected { .. }))
        .count();
    assert_eq!(
        connected, 0,
        "the engine let the widget connect; see {out}/infolog.txt"
    );
    let said: Vec<&str> = run
        .infolog
        .lines()
        .filter(|l| l.contains("[livedata] connect denied"))
        .collect();
    // once per streak of denied attempts (tests/lua covers the count); here: said, and how to allow it
    assert!(
        !said.is_empty(),
        "no log line about the denial; see {out}/infolog.txt"
    );
    for line in &said {
        for part in ["TCPAllowConnect", "springsettings.cfg", "127.0.0.1:"] {
            assert!(line.contains(part), "the log line names {part}: {line}");
        }
    }
    let errors: Vec<&str> = run
        .infolog
        .lines()
        .filter(|l| l.contains("[livedata] error") || l.contains("Removed widget"))
        .collect();
    assert!(errors.is_empty(), "widget errors: {errors:?}");
    eprintln!("denied ({} lines): {}", said.len(), said[0]);
}
