//! Every golden file of SCHEMA.md parses as the message it documents, and survives a write-read round trip.

use bar_overlay::protocol::{
    self, Category, Detail, Event, EventKind, Message, Order, ParseError, Parsed, PlayerStatus,
};
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

/// Every golden file of valid messages, one a line.
const GOLDEN: [&str; 13] = [
    "hello.ndjson",
    "snapshot_full.ndjson",
    "snapshot_delta.ndjson",
    "snapshot_minimal.ndjson",
    "snapshot_comprehensive.ndjson",
    "events.ndjson",
    "bye.ndjson",
    "hello_v1_1.ndjson",
    "snapshot_v1_1.ndjson",
    "events_v1_1.ndjson",
    "events_v1_2.ndjson",
    "hello_token.ndjson",
    "hello_anonymous.ndjson",
];

#[test]
fn every_golden_file_round_trips() {
    for name in GOLDEN {
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

#[test]
fn v1_1_hello_carries_player_cards_and_ai() {
    let Message::Hello(h) = one("hello_v1_1.ndjson") else {
        panic!("not a hello")
    };
    assert_eq!(h.schema_version, "1.1");
    let alice = &h.teams[0];
    assert_eq!(alice.faction.as_deref(), Some("armada"));
    let card = &alice.players[0];
    assert_eq!(
        (card.name.as_str(), card.country.as_deref(), card.rank),
        ("Alice", Some("DE"), Some(5))
    );
    assert_eq!(
        (card.skill, card.skill_uncertainty),
        (Some(32.41), Some(1.92))
    );
    assert_eq!(
        card.status(),
        PlayerStatus::Playing,
        "absent status is playing"
    );
    let bob = &h.teams[1];
    assert_eq!(bob.players.len(), 2, "a shared team lists every player");
    assert_eq!(bob.players[0].skill_estimated, Some(true));
    assert_eq!(bob.players[1].status(), PlayerStatus::Disconnected);
    assert_eq!(bob.players[1].country, None);
    let ai = h.teams[2].ai.as_ref().expect("AI card");
    assert_eq!(
        (
            ai.name.as_str(),
            ai.short_name.as_deref(),
            ai.version.as_deref()
        ),
        ("BARbarianAI(3)", Some("BARb"), Some("stable"))
    );
    assert!(h.teams[2].players.is_empty());
}

#[test]
fn v1_1_snapshot_carries_hud_stats_and_production() {
    let Message::Snapshot(s) = one("snapshot_v1_1.ndjson") else {
        panic!("not a snapshot")
    };
    let t0 = &s.teams[0];
    let m = t0.metal.expect("metal");
    assert_eq!(
        (m.used, m.reclaim, m.converted),
        (Some(408.0), Some(1.5), Some(0.0))
    );
    let e = t0.energy.expect("energy");
    assert_eq!(
        (e.used, e.reclaim, e.converted),
        (Some(4150.0), Some(0.0), None)
    );
    assert_eq!((t0.units_killed, t0.units_died), (Some(3), Some(1)));
    assert_eq!(
        (t0.utility_value, t0.economy_value),
        (Some(0.0), Some(50.0))
    );
    let p0 = t0.production.as_ref().expect("production");
    assert!(p0.factories.is_empty());
    assert_eq!(
        (
            p0.constructing[0].id,
            p0.constructing[0].def_id,
            p0.constructing[0].progress
        ),
        (105, 4, 0.5)
    );
    let p1 = s.teams[1].production.as_ref().expect("production");
    let lab = &p1.factories[0];
    assert_eq!(
        (lab.id, lab.building, lab.progress, lab.queued),
        (203, Some(5), Some(0.35), Some(4))
    );
    assert_eq!(p1.idle_builders, 2);
    // Team 2 is written as a 1.0 sender would: every 1.1 field absent.
    let t2 = &s.teams[2];
    assert!(t2.production.is_none() && t2.units_killed.is_none() && t2.utility_value.is_none());
    assert_eq!(t2.metal.and_then(|m| m.used), None);
}

#[test]
fn v1_1_team_changed_event_replaces_a_team_description() {
    let events: Vec<_> = lines("events_v1_1.ndjson")
        .into_iter()
        .map(|m| match m {
            Message::Event(e) => e.kind,
            other => panic!("not an event: {other:?}"),
        })
        .collect();
    let EventKind::TeamChanged { team } = &events[0] else {
        panic!("{:?}", events[0])
    };
    assert_eq!(team.team_id, 1);
    assert_eq!(team.players[0].status(), PlayerStatus::Resigned);
    assert_eq!(team.players[1].status(), PlayerStatus::Playing);
    assert!(
        matches!(&events[1], EventKind::TeamChanged { team } if team.players[0].status() == PlayerStatus::Disconnected)
    );
}

/// What a later 1.x sender may add inside the 1.1 objects is counted and skipped, and an unknown player status is
/// read as `Other`: nothing of it rejects the line.
#[test]
fn fields_of_a_later_minor_inside_1_1_objects_are_counted_not_fatal() {
    let line = r#"{"type":"snapshot","schema_version":"1.2","game_frame":30,"game_seconds":1,"teams":[{"team_id":0,"metal":{"current":1,"income":2,"used":3,"taxed":4},"production":{"factories":[{"id":9,"def_id":4,"building":5,"progress":0.5,"eta":12}],"constructing":[],"idle_builders":0,"assisting":3},"mood":"tilted"}]}"#;
    let Ok(Parsed::Message {
        msg: Message::Snapshot(s),
        unknown_fields,
    }) = protocol::parse_line(line.as_bytes())
    else {
        panic!("a 1.2 line must parse")
    };
    assert_eq!(unknown_fields, 4, "taxed, eta, assisting, mood");
    assert_eq!(s.teams[0].metal.and_then(|m| m.used), Some(3.0));
    let line = r#"{"type":"event","schema_version":"1.3","event":"team_changed","game_frame":5,"team":{"team_id":0,"ally_team_id":0,"name":"x","color":[1,2,3],"players":[{"player_id":0,"name":"x","status":"afk","hat":"red"}]}}"#;
    // (Fields inside events are not counted: the event kind is flattened, which hides them from the counter.)
    let Ok(Parsed::Message {
        msg: Message::Event(e),
        ..
    }) = protocol::parse_line(line.as_bytes())
    else {
        panic!("a 1.3 event must parse")
    };
    let EventKind::TeamChanged { team } = e.kind else {
        panic!()
    };
    assert_eq!(team.players[0].status(), PlayerStatus::Other);
}

/// 1.1 only adds: the 1.1 hello with its additions removed is the 1.0 golden hello, and the 1.1 snapshot without
/// them is a line the types read completely (every remaining field is a 1.0 field).
#[test]
fn v1_1_lines_without_their_additions_are_1_0_lines() {
    const ADDED: [&str; 11] = [
        "faction",
        "players",
        "ai",
        "used",
        "reclaim",
        "converted",
        "units_killed",
        "units_died",
        "utility_value",
        "economy_value",
        "production",
    ];
    fn strip(v: &mut serde_json::Value) {
        match v {
            serde_json::Value::Object(map) => {
                map.retain(|k, _| !ADDED.contains(&k.as_str()));
                if map.contains_key("schema_version") {
                    map.insert("schema_version".into(), "1.0".into());
                }
                map.values_mut().for_each(strip);
            }
            serde_json::Value::Array(items) => items.iter_mut().for_each(strip),
            _ => {}
        }
    }
    let json = |name: &str| -> serde_json::Value {
        serde_json::from_str(data(name).trim()).expect("json")
    };
    let mut hello = json("hello_v1_1.ndjson");
    strip(&mut hello);
    hello["widget"]["version"] = "1.0.0".into();
    assert_eq!(hello, json("hello.ndjson"));
    let mut snapshot = json("snapshot_v1_1.ndjson");
    strip(&mut snapshot);
    // `parse` fails on any field the types do not know.
    let Message::Snapshot(s) = parse(&snapshot.to_string()) else {
        panic!("not a snapshot")
    };
    assert!(
        s.teams
            .iter()
            .all(|t| t.production.is_none() && t.units_died.is_none())
    );
}

#[test]
fn v1_2_orders_carry_commands_builds_and_factory_queues() {
    let events = lines("events_v1_2.ndjson");
    let Message::Event(Event {
        kind: EventKind::Orders { orders },
        game_frame: 9012,
        ..
    }) = &events[0]
    else {
        panic!("{:?}", events[0]);
    };
    assert_eq!(orders.len(), 6);
    let Order::Command(group) = &orders[0] else {
        panic!("{:?}", orders[0]);
    };
    assert_eq!(group.unit_ids, [1001, 1002, 1003]);
    assert_eq!(
        (group.cmd_id, group.cmd_name.as_deref()),
        (10, Some("move"))
    );
    assert_eq!(group.params, [2048.5, 96.0, 1536.0]);
    assert_eq!(group.options, Some(32));
    let Order::Command(build) = &orders[2] else {
        panic!("{:?}", orders[2]);
    };
    assert_eq!(build.cmd_id, -9, "a negative id orders a build of def 9");
    assert_eq!(
        orders[3],
        Order::BuildStarted {
            team_id: 1,
            unit_id: 2100,
            def_id: 9,
            builder_id: Some(1005)
        }
    );
    let counts: Vec<i32> = orders
        .iter()
        .filter_map(|o| match o {
            Order::FactoryQueue { count, .. } => Some(*count),
            _ => None,
        })
        .collect();
    assert_eq!(counts, [5, -1]);
    let Message::Event(Event {
        kind: EventKind::Status(status),
        ..
    }) = &events[1]
    else {
        panic!("{:?}", events[1]);
    };
    assert_eq!(status.dropped_orders, Some(12));

    // An order kind of a later version is skipped, and its fields counted, never fatal.
    let later = r#"{"type":"event","schema_version":"1.3","event":"orders","game_frame":1,"orders":[{"kind":"ping","team_id":0,"x":5}]}"#;
    match protocol::parse_line(later.as_bytes()) {
        Ok(Parsed::Message {
            msg:
                Message::Event(Event {
                    kind: EventKind::Orders { orders },
                    ..
                }),
            ..
        }) => assert_eq!(orders, [Order::Other]),
        other => panic!("{other:?}"),
    }

    // Over a limit (65 parameters, a unit id past the engine's table): refused whole, saying which.
    let params = vec!["1"; 65].join(",");
    let long = format!(
        r#"{{"type":"event","schema_version":"1.2","event":"orders","game_frame":1,"orders":[{{"kind":"command","team_id":0,"unit_ids":[1],"cmd_id":10,"params":[{params}]}}]}}"#
    );
    let bad_id = r#"{"type":"event","schema_version":"1.2","event":"orders","game_frame":1,"orders":[{"kind":"build_started","team_id":0,"unit_id":40000,"def_id":1}]}"#;
    for (line, what) in [
        (long.as_str(), "command params"),
        (bad_id, "build_started unit_id"),
    ] {
        match protocol::parse_line(line.as_bytes()) {
            Err(e @ ParseError::Limit { .. }) => assert!(e.to_string().contains(what), "{e}"),
            other => panic!("{what}: {other:?}"),
        }
    }
}

/// 1.3: a hello may carry the two-PC token; absent in the plain golden hello.
#[test]
fn a_hello_may_carry_a_token() {
    let Message::Hello(h) = one("hello_token.ndjson") else {
        panic!("hello_token.ndjson is a hello");
    };
    assert_eq!(h.token.as_deref(), Some("blue-otter-42"));
    let Message::Hello(h) = one("hello.ndjson") else {
        panic!("hello.ndjson is a hello");
    };
    assert_eq!(h.token, None);
}

/// 1.4: a hello may say the game is anonymous (BAR's mode); absent otherwise. The model then shows `Anonymous N` for
/// each human team, with no player cards, and AI teams as they are.
#[test]
fn an_anonymous_hello_hides_who_plays_in_the_model() {
    let msg = one("hello_anonymous.ndjson");
    let Message::Hello(h) = &msg else {
        panic!("hello_anonymous.ndjson is a hello");
    };
    assert_eq!(h.anonymous.as_deref(), Some("local"));
    assert_eq!(h.schema_version, "1.4");
    let Message::Hello(plain) = one("hello_v1_1.ndjson") else {
        panic!("hello_v1_1.ndjson is a hello");
    };
    assert_eq!(plain.anonymous, None);
    let mut game = bar_overlay::model::Game::new();
    game.apply(msg);
    assert!(game.is_anonymous());
    let names: Vec<(&str, usize)> = game
        .teams
        .values()
        .map(|t| (t.name.as_str(), t.players.len()))
        .collect();
    assert_eq!(
        names,
        [
            ("Anonymous 1", 0),
            ("Anonymous 2", 0),
            ("BARbarianAI(3)", 0),
            ("Anonymous 4", 0)
        ]
    );
    // a team_changed (a player resigned) keeps the team anonymous
    let changed = parse(
        r#"{"type":"event","schema_version":"1.1","event":"team_changed","game_frame":90,"team":{"team_id":1,"ally_team_id":0,"name":"Bob","color":[40,200,40],"is_ai":false,"players":[{"player_id":1,"name":"Bob","status":"resigned"}]}}"#,
    );
    game.apply(changed);
    let t = &game.teams[&1];
    assert_eq!((t.name.as_str(), t.players.len()), ("Anonymous 2", 0));
}

/// `summary`'s reading: every golden line gives the message `parse_line` gives, with each unit cut to its core (id,
/// type, team, build progress), and the same errors for the bad lines.
#[test]
fn reading_totals_keeps_each_units_core_and_nothing_else() {
    let mut snapshots = 0;
    for name in GOLDEN.into_iter().chain(["proposal_example.json"]) {
        let text = data(name);
        // The proposal's example is one message over several lines.
        let lines: Vec<String> = if name.ends_with(".json") {
            let v: serde_json::Value = serde_json::from_str(&text).expect("json");
            vec![v.to_string()]
        } else {
            text.lines()
                .filter(|l| !l.trim().is_empty())
                .map(str::to_owned)
                .collect()
        };
        for line in lines {
            let whole = match protocol::parse_line(line.as_bytes()) {
                Ok(Parsed::Message { msg, .. }) => msg,
                other => panic!("{other:?}"),
            };
            let totals = match protocol::parse_line_with(line.as_bytes(), protocol::Reading::Totals)
            {
                Ok(Parsed::Message {
                    msg,
                    unknown_fields,
                }) => {
                    assert_eq!(unknown_fields, 0);
                    msg
                }
                other => panic!("{other:?}"),
            };
            let want = match whole {
                Message::Snapshot(s) => {
                    snapshots += 1;
                    Message::Snapshot(s.map_units(|u| protocol::Unit {
                        pos: None,
                        health: None,
                        vel: None,
                        experience: None,
                        ..u
                    }))
                }
                other => other,
            };
            assert_eq!(totals, want, "{name}");
        }
    }
    assert!(snapshots >= 6, "{snapshots} snapshots");
    for bad in [
        &b"{\"type\":\"snapshot\",\"schema_version\":\"1.0\",\"game_frame\":1}"[..],
        b"{\"type\":\"snapshot\",\"schema_version\":\"1.0\",\"game_frame\":1,\"game_seconds\":0,\"units\":[{\"id\":1}]}",
        b"{\"type\":\"snapshot\",\"schema_version\":\"2.0\",\"game_frame\":1}",
        b"{\"type\":\"snapshot\",\"schema_version\":\"1.0\",\"game_frame\":1,\"game_seconds\":0,\"teams\":[{\"team_id\":999999}]}",
        b"not json",
    ] {
        assert!(protocol::parse_line(bad).is_err());
        assert!(
            protocol::parse_line_with(bad, protocol::Reading::Totals).is_err(),
            "{}",
            String::from_utf8_lossy(bad)
        );
    }
}

/// `replay`'s reading: the type and frame of every golden line; the envelope's errors for lines that are not
/// messages; a line that is a message but not a valid one passes (its listener judges it).
#[test]
fn peeking_reads_type_and_frame() {
    for name in GOLDEN {
        for line in data(name).lines().filter(|l| !l.trim().is_empty()) {
            let msg = parse(line);
            let peeked = protocol::peek_line(line.as_bytes()).expect("peek");
            assert_eq!(peeked.kind, msg.kind(), "{line}");
            assert_eq!(peeked.game_frame, msg.game_frame(), "{line}");
        }
    }
    let untyped =
        protocol::peek_line(br#"{"schema_version":"1.0","game_frame":7,"game_seconds":0.2}"#)
            .expect("proposal form");
    assert_eq!(
        (untyped.kind.as_str(), untyped.game_frame),
        ("snapshot", Some(7))
    );
    let odd =
        protocol::peek_line(br#"{"type":"snapshot","schema_version":"1.0","game_frame":"x"}"#)
            .expect("a message, if not a valid one");
    assert_eq!(odd.game_frame, None);
    for (line, want) in [
        (&b"not json"[..], "not a JSON object"),
        (b"{\"hello\":1}", "no \"type\""),
        (b"{\"type\":\"bye\"}", "bye without \"schema_version\""),
        (
            b"{\"type\":\"bye\",\"schema_version\":\"2.0\"}",
            "\"2.0\" is not supported",
        ),
        (
            b"{\"type\":\"bye\",\"schema_version\":\"1.0\",\"reason\":\"\xff\"}",
            "not valid UTF-8",
        ),
    ] {
        let err = protocol::peek_line(line).expect_err("not a message");
        assert!(err.to_string().contains(want), "{err}");
    }
}
