//! Property tests (proptest) for the three places hostile input meets the code: the line framer, `parse_line` and
//! `Game::apply`. Arbitrary bytes and arbitrary well-shaped messages (ids and numbers drawn around and far past the
//! limits) never panic, nothing over a limit gets through the parser, and the model never grows past the limits.
//!
//! CI runs a bounded number of cases (`PROPTEST_CASES`, default below). A longer run, as DEVELOPMENT.md describes:
//! `PROPTEST_CASES=20000 cargo test --release --test integration fuzz::`. A failure prints the smallest input that shows it and
//! proptest keeps it in `tests/integration/fuzz.proptest-regressions` so it is tried first from then on.

use bar_overlay::model::{Game, SERIES_POINTS_BUDGET};
use bar_overlay::protocol::limits::{self, MAX_TEAMS, MAX_UNIT_DEFS, MAX_UNITS};
use bar_overlay::protocol::*;
use bar_overlay::receiver::{Frame, LineFramer};
use proptest::prelude::*;
use proptest::test_runner::FileFailurePersistence;

/// Cases per property: `PROPTEST_CASES` when set, else a number that keeps the file to seconds in a debug build.
fn config(default: u32) -> ProptestConfig {
    let cases = std::env::var("PROPTEST_CASES")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(default);
    ProptestConfig {
        cases,
        // Failures found are kept here and tried first on every later run.
        failure_persistence: Some(Box::new(FileFailurePersistence::Direct(concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/tests/integration/fuzz.proptest-regressions"
        )))),
        ..ProptestConfig::default()
    }
}

// ---------------------------------------------------------------------------------------------------------------
// The framer: any bytes, any read sizes, any cap.

/// What the framer must produce: lines split on `\n` with a trailing `\r` removed; a line longer than the cap
/// (counting the `\r`) and an unterminated last line are reported (`Err`), never returned.
fn reference(input: &[u8], cap: usize) -> Vec<Result<Vec<u8>, ()>> {
    let mut parts: Vec<&[u8]> = input.split(|&b| b == b'\n').collect();
    let last = parts.pop().unwrap_or_default();
    let mut out: Vec<Result<Vec<u8>, ()>> = parts
        .into_iter()
        .map(|p| {
            if p.len() > cap {
                Err(())
            } else {
                Ok(p.strip_suffix(b"\r").unwrap_or(p).to_vec())
            }
        })
        .collect();
    if !last.is_empty() {
        out.push(Err(()));
    }
    out
}

fn frames(input: &[u8], cap: usize, chunk: usize) -> Vec<Result<Vec<u8>, usize>> {
    let rt = tokio::runtime::Builder::new_current_thread()
        .build()
        .expect("runtime");
    rt.block_on(async {
        let mut reader = tokio::io::BufReader::with_capacity(chunk, input);
        let mut framer = LineFramer::new(cap);
        let mut out = Vec::new();
        loop {
            match framer.next(&mut reader).await.expect("reading a slice") {
                Frame::Line => out.push(Ok(framer.line().to_vec())),
                Frame::Oversize { seen } => out.push(Err(seen)),
                Frame::TruncatedAtEof { bytes } => out.push(Err(bytes)),
                Frame::Eof => break,
            }
        }
        out
    })
}

proptest! {
    #![proptest_config(config(256))]

    #[test]
    fn the_framer_returns_exactly_the_lines_under_the_cap_whatever_the_read_sizes(
        input in prop::collection::vec(prop_oneof![Just(b'\n'), Just(b'\r'), Just(b'{'), any::<u8>()], 0..600),
        cap in 1usize..64,
        chunk in 1usize..80,
    ) {
        let got: Vec<Result<Vec<u8>, ()>> = frames(&input, cap, chunk)
            .into_iter()
            .map(|f| f.map_err(|seen| assert!(seen > 0)))
            .collect();
        prop_assert!(got.iter().flatten().all(|l| l.len() <= cap && !l.contains(&b'\n')));
        prop_assert_eq!(got, reference(&input, cap));
    }
}

// ---------------------------------------------------------------------------------------------------------------
// The parser: any bytes, JSON-ish bytes, and well-shaped messages with values around and past the limits.

/// Ids: small ones, ones around a limit, and anything.
fn id_near(limit: u32) -> impl Strategy<Value = u32> {
    prop_oneof![
        4 => 0u32..20,
        2 => limit.saturating_sub(2)..limit.saturating_add(2),
        1 => any::<u32>(),
    ]
}

fn coord() -> impl Strategy<Value = f32> {
    prop_oneof![
        6 => -2000f32..40000.0,
        1 => Just(limits::MAX_COORD),
        1 => Just(1e30f32),
        1 => Just(-1e30f32),
        1 => any::<f32>(),
    ]
}

fn amount() -> impl Strategy<Value = f64> {
    prop_oneof![
        6 => 0f64..1e5,
        1 => Just(limits::MAX_AMOUNT * 10.0),
        1 => any::<f64>().prop_filter("JSON numbers are finite", |v| v.is_finite()),
    ]
}

fn text() -> impl Strategy<Value = String> {
    prop_oneof![
        8 => "[a-zA-Z0-9 ]{0,12}",
        1 => "\\PC{0,40}",
        1 => (250usize..300).prop_map(|n| "é".repeat(n / 2)),
    ]
}

fn vec3() -> impl Strategy<Value = Vec3> {
    (coord(), coord(), coord()).prop_map(|(x, y, z)| Vec3 { x, y, z })
}

fn unit() -> impl Strategy<Value = Unit> {
    (
        id_near(MAX_UNITS),
        prop::option::of(id_near(MAX_UNIT_DEFS)),
        id_near(MAX_TEAMS),
        prop::option::of(vec3()),
        prop::option::of((-10f32..5000.0, 0f32..5000.0)),
        prop::option::of(prop_oneof![0f32..=1.0, Just(1.5f32), Just(-0.5f32)]),
        prop::option::of(vec3()),
    )
        .prop_map(
            |(id, def_id, team, pos, health, build_progress, vel)| Unit {
                id,
                def_id,
                team,
                pos,
                health: health.map(|(current, max)| Health { current, max }),
                build_progress,
                vel,
                experience: None,
            },
        )
}

fn resource() -> impl Strategy<Value = Resource> {
    (amount(), amount(), prop::option::of(amount())).prop_map(|(current, income, storage)| {
        Resource {
            current,
            income,
            storage,
            ..Resource::default()
        }
    })
}

fn production() -> impl Strategy<Value = Production> {
    let entries = |n| {
        prop::collection::vec(
            (
                id_near(MAX_UNITS),
                id_near(MAX_UNIT_DEFS),
                prop_oneof![0f32..=1.0, Just(2.0f32)],
            ),
            0..n,
        )
    };
    (entries(4), entries(4), 0u32..5).prop_map(|(factories, constructing, idle_builders)| {
        Production {
            factories: factories
                .into_iter()
                .map(|(id, def_id, progress)| FactoryJob {
                    id,
                    def_id,
                    building: Some(def_id),
                    progress: Some(progress),
                    queued: Some(1),
                })
                .collect(),
            constructing: constructing
                .into_iter()
                .map(|(id, def_id, progress)| Construction {
                    id,
                    def_id,
                    progress,
                    builders: 1,
                })
                .collect(),
            idle_builders,
        }
    })
}

fn team_state() -> impl Strategy<Value = TeamState> {
    (
        id_near(MAX_TEAMS),
        prop::option::of(resource()),
        prop::option::of(resource()),
        prop::option::of(amount()),
        prop::option::of(any::<bool>()),
        prop::option::of(production()),
    )
        .prop_map(
            |(team_id, metal, energy, damage_dealt, is_dead, production)| TeamState {
                metal,
                energy,
                damage_dealt,
                is_dead,
                production,
                ..TeamState::new(team_id)
            },
        )
}

fn ids() -> impl Strategy<Value = Vec<u32>> {
    prop::collection::vec(id_near(MAX_UNITS), 0..8)
}

fn snapshot() -> impl Strategy<Value = Snapshot> {
    (
        (0u32..200_000, any::<bool>(), prop::option::of(0u64..50)),
        prop::collection::vec(team_state(), 0..6),
        prop::option::of(prop::collection::vec(unit(), 0..24)),
        prop::option::of(any::<bool>()),
        ids(),
        ids(),
    )
        .prop_map(
            |((frame, is_paused, seq), teams, units, units_full, destroyed, hidden)| Snapshot {
                schema_version: SCHEMA_VERSION.into(),
                seq,
                game_frame: frame,
                game_seconds: f64::from(frame) / 30.0,
                is_paused,
                detail: None,
                teams,
                units_full,
                units,
                destroyed,
                hidden,
            },
        )
}

fn unit_def() -> impl Strategy<Value = UnitDef> {
    (
        id_near(MAX_UNIT_DEFS),
        text(),
        amount(),
        prop::sample::select(Category::ALL.to_vec()),
        prop::option::of(amount()),
    )
        .prop_map(
            |(def_id, name, metal_cost, category, build_speed)| UnitDef {
                def_id,
                human_name: name.clone(),
                name,
                metal_cost,
                energy_cost: metal_cost * 10.0,
                build_speed,
                tech_level: 1,
                category,
            },
        )
}

fn view() -> impl Strategy<Value = View> {
    (
        id_near(limits::MAX_PLAYERS),
        id_near(MAX_TEAMS),
        id_near(MAX_TEAMS),
        any::<bool>(),
    )
        .prop_map(|(player_id, team_id, ally_team_id, full_view)| View {
            player_id,
            team_id,
            ally_team_id,
            spectating: full_view,
            full_view,
        })
}

fn hello() -> impl Strategy<Value = Hello> {
    (
        (text(), 0u32..100_000, view()),
        prop::collection::vec((id_near(MAX_TEAMS), id_near(MAX_TEAMS), text()), 0..6),
        prop::collection::vec(unit_def(), 0..8),
    )
        .prop_map(|((map, game_frame, view), teams, unit_defs)| Hello {
            schema_version: SCHEMA_VERSION.into(),
            widget: NameVersion {
                name: "fuzz".into(),
                version: "1".into(),
            },
            engine_version: String::new(),
            game: NameVersion {
                name: "g".into(),
                version: String::new(),
            },
            map,
            token: None,
            anonymous: None,
            is_replay: false,
            game_frame,
            rate_hz: None,
            detail: None,
            view,
            teams: teams
                .into_iter()
                .map(|(team_id, ally_team_id, name)| TeamInfo {
                    team_id,
                    ally_team_id,
                    players: vec![PlayerCard {
                        player_id: team_id,
                        name: name.clone(),
                        country: None,
                        rank: None,
                        skill: None,
                        skill_uncertainty: None,
                        skill_estimated: None,
                        status: None,
                    }],
                    faction: Some(name.clone()),
                    name,
                    color: [1, 2, 3],
                    is_ai: false,
                    is_dead: None,
                    ai: None,
                })
                .collect(),
            unit_defs,
        })
}

fn event() -> impl Strategy<Value = Event> {
    (
        0u32..200_000,
        prop_oneof![
            Just(EventKind::GameStart),
            prop::option::of(prop::collection::vec(id_near(MAX_TEAMS), 0..4))
                .prop_map(|winners| EventKind::GameOver { winners }),
            id_near(MAX_TEAMS).prop_map(|team_id| EventKind::TeamDied { team_id }),
            view().prop_map(|view| EventKind::ViewChanged { view }),
            prop::option::of(id_near(limits::MAX_PLAYERS))
                .prop_map(|player_id| EventKind::Paused { player_id }),
            text().prop_map(|m| EventKind::Status(WidgetStatus {
                message: Some(m.repeat(5)),
                ..WidgetStatus::default()
            })),
        ],
    )
        .prop_map(|(game_frame, kind)| Event {
            schema_version: SCHEMA_VERSION.into(),
            game_frame,
            kind,
        })
}

fn message() -> impl Strategy<Value = Message> {
    prop_oneof![
        1 => hello().prop_map(Message::Hello),
        6 => snapshot().prop_map(Message::Snapshot),
        2 => event().prop_map(Message::Event),
        1 => prop::option::of(text()).prop_map(|reason| Message::Bye(Bye {
            schema_version: SCHEMA_VERSION.into(),
            game_frame: None,
            reason,
        })),
    ]
}

proptest! {
    #![proptest_config(config(512))]

    #[test]
    fn any_bytes_parse_or_fail_without_panicking(line in prop::collection::vec(any::<u8>(), 0..300)) {
        if let Ok(Parsed::Message { msg, .. }) = parse_line(&line) {
            prop_assert!(limits::check(&msg).is_ok());
        }
    }

    #[test]
    fn json_like_text_parses_or_fails_without_panicking(
        line in r#"\{("(type|schema_version|game_frame|game_seconds|units|teams|id|team|pos|x)":(1\.0|"1\.0"|"snapshot"|"hello"|-?[0-9]{1,12}(e[0-9]{1,3})?|\[|\{|null|true)[,}\]]{0,2}){0,12}"#
    ) {
        if let Ok(Parsed::Message { msg, .. }) = parse_line(line.as_bytes()) {
            prop_assert!(limits::check(&msg).is_ok());
        }
    }

    #[test]
    fn a_well_shaped_message_passes_exactly_when_it_is_within_the_limits(msg in message()) {
        let line = encode_line(&msg);
        let within = limits::check(&msg);
        match parse_line(line.trim_ascii_end()) {
            Ok(Parsed::Message { msg: back, .. }) => {
                prop_assert!(within.is_ok(), "passed although {:?}", within);
                // serde_json reads f64 to within an ulp, not always exactly: compare what the check sees.
                prop_assert_eq!(back.kind(), msg.kind());
                prop_assert!(limits::check(&back).is_ok());
            }
            Err(ParseError::Limit { error, .. }) => {
                prop_assert_eq!(Some(error.what), within.err().map(|e| e.what))
            }
            // NaN and infinities have no JSON form (they encode as null): a plain type error is right for them.
            Err(e) => prop_assert!(within.is_err(), "refused within the limits: {e}"),
            Ok(other) => prop_assert!(false, "{other:?}"),
        }
    }
}

// ---------------------------------------------------------------------------------------------------------------
// The model: sequences of well-shaped messages, over the limits or not, applied in order.

fn assert_bounded(g: &Game) -> Result<(), TestCaseError> {
    prop_assert!(g.units.len() <= MAX_UNITS as usize);
    prop_assert!(g.teams.len() <= MAX_TEAMS as usize);
    prop_assert!(g.defs.len() <= MAX_UNIT_DEFS as usize);
    prop_assert!(g.units.keys().all(|&id| id < MAX_UNITS));
    prop_assert!(g.teams.keys().all(|&id| id < MAX_TEAMS));
    let mut points = 0;
    for t in g.teams.values() {
        prop_assert!(t.name.len() <= limits::MAX_NAME_BYTES);
        let s = &t.series;
        for series in [
            &s.metal_income,
            &s.energy_income,
            &s.metal,
            &s.energy,
            &s.army_value,
            &s.build_power,
        ] {
            prop_assert!(series.len() <= series.capacity());
        }
        points += s.army_value.len();
    }
    prop_assert!(points <= SERIES_POINTS_BUDGET);
    Ok(())
}

proptest! {
    #![proptest_config(config(256))]

    #[test]
    fn applying_any_messages_never_panics_nor_grows_past_the_limits(
        msgs in prop::collection::vec(message(), 1..40)
    ) {
        let mut g = Game::new();
        for m in msgs {
            g.apply(m);
            assert_bounded(&g)?;
        }
        // The relay's catch-up snapshot of whatever the model holds is itself within the limits.
        prop_assert!(limits::check(&Message::Snapshot(g.to_full_snapshot())).is_ok());
    }
}
