//! The model against numbers computed by hand from the golden files (defs in tests/data/hello.ndjson).

use crate::common;

use bar_overlay::model::{Applied, Game};
use bar_overlay::protocol::{Category, Message};
use common::golden;

fn game_after(files: &[&str]) -> Game {
    let mut g = Game::new();
    for f in files {
        for m in golden(f) {
            g.apply(m);
        }
    }
    g
}

#[test]
fn army_value_and_composition_from_a_full_snapshot() {
    let g = game_after(&["hello.ndjson", "snapshot_full.ndjson"]);
    assert_eq!(g.units.len(), 12);
    // Team 0: armcom (commander), two finished Pawns (54 each), a Metal Extractor (50), a Bot Lab at 50 %.
    let t0 = &g.teams[&0].army;
    assert_eq!(t0.army_value(), 108.0);
    assert_eq!(t0.army_land(), 108.0);
    assert_eq!(t0.economy_value(), 50.0);
    assert_eq!(
        t0.build_power, 300.0,
        "the unfinished Bot Lab adds nothing yet"
    );
    assert!(t0.commander_alive);
    assert_eq!(t0.under_construction, 1);
    assert_eq!(t0.category(Category::ArmyLand).count, 2);
    assert_eq!(
        (t0.by_def[0].def_id, t0.by_def[0].count),
        (1, 1),
        "the commander is worth most"
    );
    // Team 1: a Falcon (73, air). Team 2: Grunt 42 + Sumo 560. Team 3: only a Sentry (defense 85).
    assert_eq!(
        (g.teams[&1].army.army_air(), g.teams[&1].army.army_value()),
        (73.0, 73.0)
    );
    assert_eq!(g.teams[&2].army.army_value(), 602.0);
    let top: Vec<_> = g.teams[&2]
        .army
        .top_army(&g.defs, 5)
        .map(|d| (d.def_id, d.metal))
        .collect();
    assert_eq!(
        top,
        vec![(12, 560.0), (11, 42.0)],
        "commander excluded, Sumo first"
    );
    assert_eq!(
        (
            g.teams[&3].army.army_value(),
            g.teams[&3].army.defense_value()
        ),
        (0.0, 85.0)
    );
    assert_eq!(g.teams[&0].metal.map(|m| m.income), Some(14.2));
    assert_eq!(g.teams[&0].series.army_value.last(), Some(108.0));
}

#[test]
fn a_delta_updates_removes_and_counts_built_and_lost() {
    let g = game_after(&[
        "hello.ndjson",
        "snapshot_full.ndjson",
        "snapshot_delta.ndjson",
    ]);
    assert_eq!(
        g.units.len(),
        11,
        "12 - destroyed 103 - hidden 402 + new 106"
    );
    assert!(
        !g.units.contains_key(&103) && !g.units.contains_key(&402) && g.units.contains_key(&106)
    );
    let t0 = &g.teams[&0];
    assert_eq!(t0.army.army_value(), 54.0);
    assert_eq!(
        t0.army.build_power, 450.0,
        "armcom 300 + finished Bot Lab 150"
    );
    assert_eq!(t0.stats.built(Category::Factory), 1);
    assert_eq!(t0.stats.lost(Category::ArmyLand), 1);
    assert_eq!(g.teams[&3].army.defense_value(), 0.0, "hidden, not lost");
    assert_eq!(g.teams[&3].stats.lost(Category::Defense), 0);
    assert_eq!(g.units[&303].health.map(|h| h.current), Some(5300.0));
}

#[test]
fn minimal_snapshot_keeps_units_and_reads_partial_teams() {
    let g = game_after(&[
        "hello.ndjson",
        "snapshot_full.ndjson",
        "snapshot_minimal.ndjson",
    ]);
    assert_eq!(g.units.len(), 12, "no units field: the set is unchanged");
    assert!(g.paused);
    assert!(g.teams[&2].metal.is_none());
    assert!(g.teams[&3].is_dead);
}

#[test]
fn events_drive_state() {
    let g = game_after(&["hello.ndjson", "events.ndjson"]);
    assert!(g.started);
    assert!(!g.paused, "paused then unpaused");
    assert!(g.teams[&3].is_dead);
    assert_eq!(g.view.map(|v| (v.team_id, v.full_view)), Some((2, false)));
    assert_eq!(
        g.widget.as_ref().and_then(|w| w.dropped_snapshots),
        Some(12)
    );
    assert_eq!(
        g.over.as_ref().and_then(|o| o.winners.clone()),
        Some(vec![0])
    );
}

#[test]
fn a_new_game_starts_fresh() {
    let mut g = game_after(&[
        "hello.ndjson",
        "snapshot_full.ndjson",
        "snapshot_delta.ndjson",
    ]);
    // Frame back to 0: a fresh game with the same players.
    let Message::Snapshot(mut s) = golden("snapshot_full.ndjson").remove(0) else {
        panic!()
    };
    s.game_frame = 0;
    s.game_seconds = 0.0;
    assert_eq!(g.apply(Message::Snapshot(s)), Applied::NewGame);
    assert_eq!(g.teams[&0].stats.lost(Category::ArmyLand), 0);
    assert_eq!(g.teams[&0].series.army_value.len(), 1);
    assert_eq!(g.teams[&1].name, "Bob \"the builder\"");
    // A hello for another map: a fresh game.
    let Message::Hello(mut h) = golden("hello.ndjson").remove(0) else {
        panic!()
    };
    h.map = "Red Comet".into();
    assert_eq!(g.apply(Message::Hello(h.clone())), Applied::NewGame);
    assert!(g.units.is_empty());
    // The same hello again (a reconnect): the game goes on.
    assert_eq!(g.apply(Message::Hello(h)), Applied::Updated);
}

#[test]
fn series_hold_one_sample_per_game_second() {
    let mut g = game_after(&["hello.ndjson"]);
    let Message::Snapshot(base) = golden("snapshot_minimal.ndjson").remove(0) else {
        panic!()
    };
    for frame in 0..(30 * 60) {
        let mut s = base.clone();
        s.game_frame = frame;
        s.game_seconds = f64::from(frame) / 30.0;
        s.seq = Some(u64::from(frame));
        g.apply(Message::Snapshot(s));
    }
    assert_eq!(g.teams[&0].series.metal_income.len(), 60);
    assert_eq!(
        g.teams[&2].series.metal_income.len(),
        0,
        "unreadable economy is not sampled"
    );
    assert_eq!(g.teams[&2].series.army_value.len(), 60);
    assert_eq!(g.seq_gaps, 0);
}
