//! What the report collects beside the model, from a small game written line by line: commander deaths, first
//! factories by tier, tech timings, build orders from decision points and from units first seen, actions per minute
//! per player, the largest trade, the army lead changing hands, and what a mid-game start leaves out.

use bar_overlay::model::Game;
use bar_overlay::protocol::{self, Parsed};
use bar_overlay::report::Collector;
use bar_overlay::report::collect::MomentKind;

const HELLO: &str = r#"{"type":"hello","schema_version":"1.2","widget":{"name":"export_livedata","version":"1.2.0"},"game":{"name":"BAR","version":"1"},"map":"Test Map","game_frame":0,"view":{"player_id":0,"team_id":0,"ally_team_id":0,"spectating":true,"full_view":true},"teams":[{"team_id":0,"ally_team_id":0,"name":"Alice","color":[0,80,255],"players":[{"player_id":0,"name":"alice"}]},{"team_id":1,"ally_team_id":1,"name":"Bob","color":[255,30,30],"players":[{"player_id":1,"name":"bob"}]}],"unit_defs":[{"def_id":1,"name":"com","human_name":"Commander","metal_cost":2700,"energy_cost":26000,"category":"commander"},{"def_id":2,"name":"lab","human_name":"Bot Lab","metal_cost":650,"energy_cost":1200,"tech_level":1,"category":"factory"},{"def_id":3,"name":"alab","human_name":"Advanced Bot Lab","metal_cost":2900,"energy_cost":16000,"tech_level":2,"category":"factory"},{"def_id":4,"name":"tank","human_name":"Tank","metal_cost":400,"energy_cost":4000,"tech_level":1,"category":"army_land"},{"def_id":5,"name":"t2tank","human_name":"Heavy Tank","metal_cost":1200,"energy_cost":20000,"tech_level":2,"category":"army_land"}]}"#;

fn snapshot(second: u32, units: &str, destroyed: &str) -> String {
    format!(
        r#"{{"type":"snapshot","schema_version":"1.2","game_frame":{},"game_seconds":{second},"units_full":false,"teams":[{{"team_id":0,"metal":{{"current":100,"income":5}}}},{{"team_id":1,"metal":{{"current":100,"income":5}}}}],"units":[{units}],"destroyed":[{destroyed}]}}"#,
        second * 30
    )
}

fn unit(id: u32, def: u32, team: u32, progress: f32) -> String {
    format!(r#"{{"id":{id},"def_id":{def},"team":{team},"build_progress":{progress}}}"#)
}

fn orders(second: u32, orders: &str) -> String {
    format!(
        r#"{{"type":"event","schema_version":"1.2","event":"orders","game_frame":{},"orders":[{orders}]}}"#,
        second * 30
    )
}

fn command(team: u32, player: u32) -> String {
    format!(
        r#"{{"kind":"command","team_id":{team},"unit_ids":[1],"cmd_id":10,"player_id":{player}}}"#
    )
}

fn play(lines: &[String]) -> (Game, Collector) {
    let mut game = Game::new();
    let mut notes = Collector::new();
    for l in lines {
        let Ok(Parsed::Message { msg, .. }) = protocol::parse_line(l.as_bytes()) else {
            panic!("not a message: {l}");
        };
        notes.before(&game, &msg);
        game.apply(msg);
        notes.after(&game);
    }
    notes.finish(&game);
    (game, notes)
}

fn the_game() -> Vec<String> {
    let mut lines = vec![HELLO.to_owned()];
    // Both commanders at once; Alice's lab from a decision point and Bob's seen under construction.
    lines.push(snapshot(
        1,
        &[unit(1, 1, 0, 1.0), unit(2, 1, 1, 1.0)].join(","),
        "",
    ));
    lines.push(orders(
        5,
        &format!(
            r#"{{"kind":"build_started","team_id":0,"unit_id":10,"def_id":2,"builder_id":1}},{}"#,
            command(0, 0)
        ),
    ));
    lines.push(snapshot(
        6,
        &[unit(10, 2, 0, 0.1), unit(20, 2, 1, 0.2)].join(","),
        "",
    ));
    // Alice gives 3 orders in minute 0 and 1 in minute 2; Bob 2 in minute 1.
    lines.push(orders(20, &[command(0, 0), command(0, 0)].join(",")));
    lines.push(orders(70, &[command(1, 1), command(1, 1)].join(",")));
    lines.push(orders(130, &command(0, 0)));
    // Armies: Bob leads with 5 tanks (2000 metal), then Alice with a T2 lab and 4 heavy tanks (4800).
    let bob: Vec<String> = (30..35).map(|id| unit(id, 4, 1, 1.0)).collect();
    lines.push(snapshot(140, &bob.join(","), ""));
    lines.push(snapshot(150, &unit(11, 3, 0, 0.5), ""));
    let alice: Vec<String> = (40..44).map(|id| unit(id, 5, 0, 1.0)).collect();
    lines.push(snapshot(200, &alice.join(","), ""));
    // A trade: all of Bob's tanks and two of Alice's die within a few seconds, then Bob's commander.
    lines.push(snapshot(301, "", "30,31,32,40"));
    lines.push(snapshot(305, "", "33,34,41"));
    lines.push(snapshot(330, "", "2"));
    lines.push(
        r#"{"type":"event","schema_version":"1.2","event":"game_over","game_frame":9930,"winners":[0]}"#.to_owned(),
    );
    lines.push(snapshot(331, "", ""));
    lines
}

#[test]
fn moments_builds_tech_and_actions_of_a_small_game() {
    let (game, notes) = play(&the_game());
    let moments = |k: fn(&MomentKind) -> bool| -> Vec<(f64, String)> {
        notes
            .moments
            .iter()
            .chain(&notes.trades)
            .filter(|m| k(&m.kind))
            .map(|m| (m.seconds, m.text.clone()))
            .collect()
    };
    assert_eq!(
        moments(|k| *k == MomentKind::CommanderDeath),
        vec![(330.0, "Bob's commander died".to_owned())]
    );
    let factories = moments(|k| matches!(k, MomentKind::Factory { .. }));
    assert_eq!(
        factories,
        vec![
            (5.0, "Alice: first T1 factory (Bot Lab)".to_owned()),
            (6.0, "Bob: first T1 factory (Bot Lab)".to_owned()),
            (
                150.0,
                "Alice: first T2 factory (Advanced Bot Lab)".to_owned()
            ),
        ]
    );
    let trades = moments(|k| matches!(k, MomentKind::Trade { .. }));
    assert_eq!(trades.len(), 1, "{trades:?}");
    assert!(
        trades[0].1.contains("Alice lost 2.4k") && trades[0].1.contains("Bob lost 2.0k"),
        "{trades:?}"
    );
    let leads = moments(|k| *k == MomentKind::LeadChange);
    assert_eq!(
        leads.len(),
        1,
        "Bob led first, Alice took over once: {leads:?}"
    );
    assert_eq!(leads[0].0, 200.0);
    assert!(
        leads[0].1.starts_with("Alice takes the army lead"),
        "{leads:?}"
    );
    assert!(
        moments(|k| *k == MomentKind::GameOver)[0]
            .1
            .contains("Alice won")
    );

    let alice = &notes.teams[&0];
    let bob = &notes.teams[&1];
    assert_eq!(alice.first_factory, [Some(5.0), Some(150.0), None]);
    assert_eq!(alice.first_unit_t2, Some(200.0));
    assert_eq!(bob.first_factory, [Some(6.0), None, None]);
    assert_eq!(bob.first_unit_t2, None);
    // Alice's builds come from her decision point; Bob sent none, so his are the units first seen under construction.
    let names = |b: &[(u32, bar_overlay::report::collect::Build)]| -> Vec<(f64, String)> {
        b.iter()
            .map(|(_, b)| (b.seconds, b.def_name.clone()))
            .collect()
    };
    assert_eq!(
        names(&alice.builds_ordered),
        vec![(5.0, "Bot Lab".to_owned())]
    );
    assert_eq!(names(&bob.builds_ordered), vec![]);
    assert_eq!(
        names(&bob.builds_seen),
        vec![(6.0, "Bot Lab".to_owned())],
        "finished units first seen are no builds"
    );

    type Apm = (u32, Option<u32>, u64, Vec<(f32, f32)>);
    let apm: Vec<Apm> = notes
        .actions
        .values()
        .map(|a| {
            (
                a.team,
                a.player_id,
                a.total,
                a.per_minute.points().iter().map(|p| (p.x, p.y)).collect(),
            )
        })
        .collect();
    assert_eq!(
        apm,
        vec![
            (
                0,
                Some(0),
                4,
                vec![
                    (60.0, 3.0),
                    (120.0, 0.0),
                    (180.0, 1.0),
                    (240.0, 0.0),
                    (300.0, 0.0),
                    (360.0, 0.0)
                ]
            ),
            (
                1,
                Some(1),
                2,
                vec![
                    (120.0, 2.0),
                    (180.0, 0.0),
                    (240.0, 0.0),
                    (300.0, 0.0),
                    (360.0, 0.0)
                ]
            ),
        ],
        "per minute from each player's first, zeros included, to the game's end"
    );
    // Units alive by kind follow the model.
    let land = notes.teams[&0].lines.land.points();
    assert_eq!(land.last().map(|p| p.y), Some(2.0));
    assert_eq!(game.teams[&0].army.army_value(), 2400.0);
    assert!(notes.gaps.saw_game_over && !notes.gaps.saw_bye);
    assert_eq!(notes.gaps.first_seconds, Some(1.0));
}

/// Joining at 5:40: the units already there are not builds or tech timings of 5:40 (their time is unknown).
#[test]
fn a_recording_that_starts_mid_game_claims_nothing_about_before() {
    // The first snapshot at 340 s holds everything standing then, some still under construction.
    let lines = vec![
        HELLO.to_owned(),
        snapshot(
            340,
            &[unit(1, 1, 0, 1.0), unit(11, 3, 0, 0.5), unit(40, 5, 0, 1.0)].join(","),
            "",
        ),
        snapshot(350, &unit(50, 4, 0, 0.3), ""),
    ];
    let (_, notes) = play(&lines);
    assert_eq!(notes.gaps.first_seconds, Some(340.0));
    let alice = &notes.teams[&0];
    assert_eq!(alice.first_factory, [None, None, None], "{alice:?}");
    assert_eq!(alice.first_unit_t2, None);
    assert_eq!(alice.builds_seen.len(), 1, "only the tank started at 350 s");
    assert_eq!(alice.builds_seen[0].1.seconds, 350.0);
    assert!(!notes.gaps.saw_game_over);
}
