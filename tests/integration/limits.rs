//! The protocol's limits (SCHEMA.md, "Limits"): every line of `tests/data/bad_limits.ndjson` (also rejected by the JSON
//! Schema) is refused by the parser with a reason naming the limit; the largest lines a real game could send pass;
//! and the model stays within the limits however many valid messages churn through it.

use crate::common;

use bar_overlay::model::{Applied, Game, SERIES_POINTS_BUDGET};
use bar_overlay::protocol::limits::{MAX_TEAMS, MAX_UNITS};
use bar_overlay::protocol::{self, Message, ParseError, Parsed, Snapshot, TeamState, Unit, Vec3};
use common::{data, golden};

#[test]
fn every_line_over_a_limit_is_refused_and_says_which() {
    let want = [
        "hello team name is 300 bytes long (at most 256)",
        "hello def_id is 16384 (at most 16383)",
        "hello team_id is 1000000000 (at most 254)",
        "hello anonymous is 40 bytes long (at most 32)",
        "view player_id is 251 (at most 250)",
        "snapshot team_id is 255 (at most 254)",
        "snapshot teams is 256 long (at most 255)",
        "unit id is 32000 (at most 31999)",
        "unit 101 pos.x is 1e30 (must be finite, within ±1e5)",
        "unit 101 pos.z is -100001 (must be finite, within ±1e5)",
        "unit 101 vel.x is 20000 (must be finite, within ±1e4)",
        "unit 101 team is 300 (at most 254)",
        "snapshot destroyed unit id is 40000 (at most 31999)",
        "team 0 metal.income is 1e13 (must be finite, within ±1e12)",
        "team_died team_id is 1000000000 (at most 254)",
        "game_over winner ally team is 255 (at most 254)",
        "status message is 2000 bytes long (at most 1024)",
        "bye reason is 1025 bytes long (at most 1024)",
    ];
    let text = data("bad_limits.ndjson");
    let lines: Vec<&str> = text.lines().collect();
    assert_eq!(lines.len(), want.len());
    for (line, want) in lines.iter().zip(want) {
        match protocol::parse_line(line.as_bytes()) {
            Err(e @ ParseError::Limit { .. }) => {
                let text = e.to_string();
                assert!(text.contains("refused, over a limit: "), "{text}");
                assert!(text.ends_with(want), "got {text:?}, want {want:?}");
            }
            other => panic!("not refused for its limit: {other:?}"),
        }
    }
}

fn unit(id: u32, team: u32, x: f32) -> Unit {
    Unit {
        id,
        def_id: Some(1),
        team,
        pos: Some(Vec3 { x, y: 0.0, z: x }),
        health: None,
        build_progress: None,
        vel: None,
        experience: None,
    }
}

fn snapshot(frame: u32, teams: Vec<TeamState>, units: Vec<Unit>, full: bool) -> Snapshot {
    Snapshot {
        schema_version: "1.0".into(),
        seq: None,
        game_frame: frame,
        game_seconds: f64::from(frame) / 30.0,
        is_paused: false,
        detail: None,
        teams,
        units_full: Some(full),
        units: Some(units),
        destroyed: Vec::new(),
        hidden: Vec::new(),
    }
}

fn team(id: u32) -> TeamState {
    TeamState::new(id)
}

#[test]
fn the_largest_real_game_passes() {
    // Every team the engine allows, every unit at once, at the corners of the largest map.
    let teams = (0..MAX_TEAMS).map(team).collect();
    let units = (0..MAX_UNITS)
        .map(|i| unit(i, i % MAX_TEAMS, if i % 2 == 0 { 0.0 } else { 32768.0 }))
        .collect();
    let line = protocol::encode_line(&Message::Snapshot(snapshot(30, teams, units, true)));
    assert!(line.len() < protocol::MAX_LINE_BYTES);
    match protocol::parse_line(&line) {
        Ok(Parsed::Message { .. }) => {}
        other => panic!("{other:?}"),
    }
}

#[test]
fn the_model_never_holds_more_than_the_limits() {
    let mut g = Game::new();
    for m in golden("hello.ndjson") {
        g.apply(m);
    }
    // Over a limit: refused whole, nothing applied.
    let before = g.units.len();
    let over = snapshot(60, vec![team(0)], vec![unit(MAX_UNITS + 5, 0, 1.0)], false);
    assert!(matches!(
        g.apply(Message::Snapshot(over)),
        Applied::Refused(_)
    ));
    assert_eq!(g.units.len(), before);
    assert_eq!(
        g.frame, 0,
        "a refused snapshot moves nothing, not even the clock"
    );

    // Valid deltas whose ids churn through the whole id range, and every team, second after second.
    let mut frame = 30;
    for round in 0..40u32 {
        let units = (0..4000)
            .map(|i| unit((round * 4000 + i) % MAX_UNITS, i % MAX_TEAMS, 5.0))
            .collect();
        let teams = (0..MAX_TEAMS).map(team).collect();
        frame += 30;
        assert_eq!(
            g.apply(Message::Snapshot(snapshot(frame, teams, units, false))),
            Applied::Updated
        );
    }
    assert!(g.units.len() <= MAX_UNITS as usize, "{}", g.units.len());
    assert!(g.teams.len() <= MAX_TEAMS as usize);
    // Hours of history for every team: the graphs share one budget.
    for _ in 0..9000 {
        frame += 30;
        g.apply(Message::Snapshot(snapshot(
            frame,
            vec![team(0), team(MAX_TEAMS - 1)],
            vec![],
            false,
        )));
    }
    let points: usize = g.teams.values().map(|t| t.series.army_value.len()).sum();
    assert!(
        points <= SERIES_POINTS_BUDGET,
        "{points} points over {} teams",
        g.teams.len()
    );
    assert!(g.teams[&0].series.army_value.len() >= 256);
}

#[test]
fn summary_reads_a_recording_with_a_giant_line_in_bounded_memory() {
    let dir = tempfile::tempdir().expect("tempdir");
    let path = dir.path().join("game.ndjson");
    let mut text = data("hello.ndjson");
    // 24 MiB with no newline in the middle of a recording: skipped with one line, the rest read.
    text.push_str(&"x".repeat(24 << 20));
    text.push('\n');
    text.push_str(&data("snapshot_full.ndjson"));
    std::fs::write(&path, text).expect("write");
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_bar-overlay"))
        .args(["summary", path.to_str().expect("path"), "--json"])
        .output()
        .expect("run summary");
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "{err}");
    assert_eq!(err.lines().count(), 1, "{err}");
    assert!(
        err.contains("line 2: 25165824 bytes, over the 8388608-byte line cap; skipped"),
        "{err}"
    );
    let summary: serde_json::Value = serde_json::from_slice(&out.stdout).expect("json");
    assert_eq!(summary["unreadable_lines"], 1, "{summary}");
}
