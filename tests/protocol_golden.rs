//! Every golden file of SCHEMA.md parses as the message it documents, and survives a write-read round trip.

use bar_overlay::protocol::{self, Category, Detail, EventKind, Message, ParseError, Parsed};
use std::path::PathBuf;

fn data(name: &str) -> String {
    let path = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("tests/data")
        .join(name);
    std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("read {}: {e}", path.display()))
}

fn parse(line: &str) -> Message {
    match protocol::parse_line(line.as_bytes()) {
        Ok(Parsed::Message {
            msg,
            unknown_fields,
        }) => {
            assert_eq!(
                unknown_fields, 0,
                "golden line has fields the types do not know: {line}"
            );
            msg
        }
        other => panic!("{other:?} for {line}"),
    }
}

fn lines(name: &str) -> Vec<Message> {
    data(name)
        .lines()
        .filter(|l| !l.trim().is_empty())
        .map(parse)
        .collect()
}

fn one(name: &str) -> Message {
    let mut all = lines(name);
    assert_eq!(all.len(), 1, "{name} holds one message");
    all.remove(0)
}

#[test]
fn every_golden_file_round_trips() {
    for name in [
        "hello.ndjson",
        "snapshot_full.ndjson",
        "snapshot_delta.ndjson",
        "snapshot_minimal.ndjson",
        "snapshot_comprehensive.ndjson",
        "events.ndjson",
        "bye.ndjson",
    ] {
        for msg in lines(name) {
            let line = protocol::encode_line(&msg);
            assert_eq!(line.last(), Some(&b'\n'));
            assert_eq!(
                parse(std::str::from_utf8(&line).expect("utf8")),
                msg,
                "{name}"
            );
        }
    }
}

#[test]
fn hello_describes_view_teams_and_defs() {
    let Message::Hello(h) = one("hello.ndjson") else {
        panic!("not a hello")
    };
    assert_eq!(h.map, "Supreme Isthmus v1.8");
    assert!(h.view.spectating && h.view.full_view);
    assert_eq!(h.teams.len(), 4);
    assert_eq!(h.teams[1].name, "Bob \"the builder\"");
    assert_eq!(h.teams[3].name, "Zoë");
    assert_eq!(h.teams[2].color, [255, 30, 30]);
    assert!(h.teams[2].is_ai);
    let sumo = h
        .unit_defs
        .iter()
        .find(|d| d.name == "corcan")
        .expect("corcan");
    assert_eq!(
        (sumo.metal_cost, sumo.tech_level, sumo.category),
        (560.0, 2, Category::ArmyLand)
    );
    assert_eq!(h.detail, Some(Detail::Standard));
}

#[test]
fn snapshots_full_delta_minimal_comprehensive() {
    let Message::Snapshot(full) = one("snapshot_full.ndjson") else {
        panic!()
    };
    assert!(full.is_full());
    assert_eq!(full.units.as_ref().map(Vec::len), Some(12));
    let Message::Snapshot(delta) = one("snapshot_delta.ndjson") else {
        panic!()
    };
    assert!(!delta.is_full());
    assert_eq!(
        (delta.destroyed.clone(), delta.hidden.clone()),
        (vec![103], vec![402])
    );
    let Message::Snapshot(min) = one("snapshot_minimal.ndjson") else {
        panic!()
    };
    assert!(min.units.is_none() && min.is_paused);
    assert!(
        min.teams[2].metal.is_none(),
        "an enemy's economy is unreadable for a player"
    );
    let Message::Snapshot(comp) = one("snapshot_comprehensive.ndjson") else {
        panic!()
    };
    let units = comp.units.expect("units");
    assert!(units[1].vel.is_some() && units[1].experience == Some(0.125));
    assert_eq!(units[2].def_id, None, "a radar blip");
    assert!(units[2].health.is_none());
}

#[test]
fn every_event_kind_is_known() {
    let kinds: Vec<_> = lines("events.ndjson")
        .into_iter()
        .map(|m| match m {
            Message::Event(e) => e.kind,
            other => panic!("not an event: {other:?}"),
        })
        .collect();
    assert!(matches!(kinds[0], EventKind::GameStart));
    assert!(matches!(kinds[1], EventKind::Paused { player_id: Some(4) }));
    assert!(matches!(kinds[2], EventKind::Unpaused { .. }));
    assert!(matches!(kinds[3], EventKind::TeamDied { team_id: 3 }));
    assert!(
        matches!(kinds[4], EventKind::ViewChanged { view } if view.team_id == 2 && !view.full_view)
    );
    assert!(
        matches!(&kinds[5], EventKind::Status(s) if s.dropped_snapshots == Some(12) && s.throttled == Some(true))
    );
    assert!(matches!(&kinds[6], EventKind::GameOver { winners: Some(w) } if w == &vec![0]));
}

#[test]
fn the_proposal_example_parses_exactly_as_written() {
    let text = data("proposal_example.json");
    let Ok(Parsed::Message {
        msg: Message::Snapshot(s),
        unknown_fields: 0,
    }) = protocol::parse_line(text.as_bytes())
    else {
        panic!("proposal example did not parse as a snapshot");
    };
    assert_eq!(
        (s.game_frame, s.game_seconds, s.is_paused),
        (9000, 300.0, false)
    );
    assert!(s.is_full());
    assert_eq!(
        s.teams[0].metal.map(|m| (m.current, m.income)),
        Some((500.0, 10.0))
    );
    let u = &s.units.expect("units")[0];
    assert_eq!((u.id, u.def_id, u.team), (42, Some(15), 0));
    assert_eq!(u.health.map(|h| (h.current, h.max)), Some((850.0, 1000.0)));
}

#[test]
fn unknown_fields_and_types_are_counted_not_fatal() {
    let line =
        r#"{"type":"bye","schema_version":"1.3","reason":"x","new_field":{"a":[1,2]},"other":1}"#;
    assert!(matches!(
        protocol::parse_line(line.as_bytes()),
        Ok(Parsed::Message {
            unknown_fields: 2,
            ..
        })
    ));
    let line = r#"{"type":"chat","schema_version":"1.1","text":"gg"}"#;
    assert_eq!(
        protocol::parse_line(line.as_bytes()),
        Ok(Parsed::UnknownType("chat".into()))
    );
    let line = r#"{"type":"event","schema_version":"1.2","event":"nuke_launched","game_frame":5}"#;
    assert!(matches!(
        protocol::parse_line(line.as_bytes()),
        Ok(Parsed::Message { msg: Message::Event(e), .. }) if e.kind == EventKind::Other
    ));
}

#[test]
fn bad_lines_say_what_is_wrong() {
    let cases: &[(&[u8], &str)] = &[
        (b"not json", "not a JSON object"),
        (
            b"{\"type\":\"bye\",\"schema_version\":\"1.0\"",
            "not a JSON object",
        ),
        (b"{\"hello\":1}", "no \"type\""),
        (b"{\"type\":\"bye\"}", "bye without \"schema_version\""),
        (
            b"{\"type\":\"bye\",\"schema_version\":\"2.0\"}",
            "\"2.0\" is not supported",
        ),
        (
            b"{\"type\":\"snapshot\",\"schema_version\":\"1.0\",\"game_frame\":1}",
            "bad snapshot: missing field `game_seconds`",
        ),
        (
            b"{\"type\":\"snapshot\",\"schema_version\":\"9.9\",\"game_frame\":1}",
            "\"9.9\" is not supported",
        ),
        (
            b"{\"type\":\"bye\",\"schema_version\":\"1.0\",\"reason\":\"\xff\"}",
            "not valid UTF-8 (bad byte at offset 47)",
        ),
        (b"[1,2]", "not a JSON object"),
    ];
    for (line, want) in cases {
        let err: ParseError = protocol::parse_line(line).expect_err("must be rejected");
        assert!(
            err.to_string().contains(want),
            "{:?}: got {err}",
            String::from_utf8_lossy(line)
        );
    }
}
