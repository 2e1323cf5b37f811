//! Protocol 1.1 in the model: the HUD's team stats, production and player cards, checked against the 1.1 golden
//! files by hand; what absence means; what a view change forgets; what a relay client joining late gets.

use crate::common;

use bar_overlay::model::Game;
use bar_overlay::protocol::{Message, PlayerStatus, Snapshot};
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

fn v1_1_snapshot() -> Snapshot {
    let Message::Snapshot(s) = golden("snapshot_v1_1.ndjson").remove(0) else {
        panic!("not a snapshot")
    };
    s
}

#[test]
fn hud_stats_production_and_cards_from_the_1_1_golden_files() {
    let g = game_after(&["hello_v1_1.ndjson", "snapshot_v1_1.ndjson"]);
    let alice = &g.teams[&0];
    assert_eq!(alice.faction.as_deref(), Some("armada"));
    let card = alice.lead_player().expect("card");
    assert_eq!(
        (card.country.as_deref(), card.skill),
        (Some("DE"), Some(32.41))
    );
    assert_eq!((alice.units_killed, alice.units_died), (Some(3), Some(1)));
    assert_eq!(alice.economy_value(), 50.0, "the sender's HUD value");
    assert_eq!(
        alice.damage_efficiency(),
        None,
        "nothing received yet: no efficiency"
    );
    let m = alice.metal.expect("metal");
    assert_eq!(
        (m.used, m.reclaim, m.converted),
        (Some(408.0), Some(1.5), Some(0.0))
    );
    let bob = &g.teams[&1];
    // 420.5 dealt, 1210 received.
    let eff = bob.damage_efficiency().expect("efficiency");
    assert!((eff - 34.752).abs() < 0.001, "{eff}");
    let p = bob.production.as_ref().expect("production");
    assert_eq!((p.factories[0].building, p.idle_builders), (Some(5), 2));
    // In the hello Bob plays and his teammate Carl is disconnected.
    assert_eq!(
        bob.lead_player().map(|p| p.name.as_str()),
        Some("Bob \"the builder\"")
    );
    let ai = &g.teams[&2];
    assert!(ai.lead_player().is_none());
    assert_eq!(
        ai.ai.as_ref().map(|a| a.name.as_str()),
        Some("BARbarianAI(3)")
    );
    // A team written as a 1.0 sender would: nothing from the sender, the model's own values instead.
    assert_eq!((ai.units_killed, ai.production.as_ref()), (None, None));
    assert_eq!(ai.utility_value(), ai.army.utility_value());
}

#[test]
fn absent_per_second_fields_keep_their_value_absent_economy_does_not() {
    let mut g = game_after(&["hello_v1_1.ndjson", "snapshot_v1_1.ndjson"]);
    let mut next = v1_1_snapshot();
    next.seq = Some(1);
    next.game_frame += 1;
    next.game_seconds += 1.0 / 30.0;
    next.units_full = Some(false);
    next.units = Some(Vec::new());
    for t in &mut next.teams {
        t.units_killed = None;
        t.units_died = None;
        t.production = None;
        t.utility_value = None;
        t.economy_value = None;
        t.damage_dealt = None;
        t.damage_received = None;
        // the widget sends a resource's reclaim and conversion once a game second too
        for r in [&mut t.metal, &mut t.energy].into_iter().flatten() {
            r.reclaim = None;
            r.converted = None;
            r.current += 1.0;
        }
    }
    let alice_before = g.teams[&0].metal.expect("alice's metal");
    next.teams[1].metal = None;
    g.apply(Message::Snapshot(next));
    let bob = &g.teams[&1];
    assert_eq!((bob.units_killed, bob.units_died), (Some(1), Some(3)));
    assert!(bob.production.is_some() && bob.damage_dealt == Some(420.5));
    assert_eq!(bob.metal, None, "absent economy means unreadable now");
    let alice = g.teams[&0].metal.expect("alice's metal");
    assert_eq!(
        alice.current,
        alice_before.current + 1.0,
        "the economy is replaced"
    );
    assert!(
        alice_before.reclaim.is_some(),
        "the golden snapshot has reclaim"
    );
    assert_eq!(
        (alice.reclaim, alice.converted),
        (alice_before.reclaim, alice_before.converted),
        "absent reclaim/conversion beside a readable resource keep their value"
    );
}

#[test]
fn a_view_change_forgets_what_the_new_view_may_not_read() {
    let mut g = game_after(&["hello_v1_1.ndjson", "snapshot_v1_1.ndjson", "events.ndjson"]);
    let bob = &g.teams[&1];
    assert_eq!(
        (bob.units_killed, bob.production.as_ref(), bob.damage_dealt),
        (None, None, None)
    );
    let m = g.teams[&0].metal.expect("alice's metal");
    assert_eq!((m.used, m.reclaim, m.converted), (None, None, None));
    // The next snapshot says again what may be read.
    let mut again = v1_1_snapshot();
    again.game_frame = 42_000;
    again.game_seconds = 1400.0;
    g.apply(Message::Snapshot(again));
    assert_eq!(g.teams[&1].units_killed, Some(1));
}

#[test]
fn team_changed_replaces_the_cards() {
    let g = game_after(&[
        "hello_v1_1.ndjson",
        "snapshot_v1_1.ndjson",
        "events_v1_1.ndjson",
    ]);
    let bob = &g.teams[&1];
    assert_eq!(bob.players[0].status(), PlayerStatus::Resigned);
    // The one still playing is who a card introduces now.
    assert_eq!(bob.lead_player().map(|p| p.name.as_str()), Some("Carl"));
    assert_eq!(g.teams[&3].players[0].status(), PlayerStatus::Disconnected);
    assert_eq!(
        bob.units_killed,
        Some(1),
        "a description change keeps the stats"
    );
}

#[test]
fn series_follow_the_1_1_values_once_a_second() {
    let mut g = game_after(&["hello_v1_1.ndjson"]);
    let base = v1_1_snapshot();
    for second in 0..10u32 {
        let mut s = base.clone();
        s.game_frame = 1800 + second * 30;
        s.game_seconds = f64::from(s.game_frame) / 30.0;
        s.teams[1].damage_dealt = Some(420.5 + f64::from(second) * 10.0);
        s.teams[1].units_killed = Some(1 + second);
        g.apply(Message::Snapshot(s));
    }
    let series = &g.teams[&1].series;
    assert_eq!(series.damage_dealt.len(), 10);
    assert_eq!(series.damage_dealt.last(), Some(510.5));
    assert_eq!(series.units_killed.last(), Some(10.0));
    // Series keep f32 points (model::Sample).
    assert_eq!(series.metal_converted.last(), Some(f64::from(0.8f32)));
    // Bounded like the other lines: the same share of the game's points budget.
    assert_eq!(series.damage_dealt.capacity(), series.army_value.capacity());
    assert_eq!(
        series.metal_converted.capacity(),
        series.army_value.capacity()
    );
    // A team without 1.1 values gets no points, not zeros.
    assert!(g.teams[&2].series.units_killed.is_empty());
    // 0.8 metal a second from conversion: ten samples a second apart (the first counts one second).
    let converted = g.teams[&1].stats.metal_converted;
    assert!((converted - 8.0).abs() < 1e-9, "{converted}");
}

#[test]
fn a_late_relay_client_gets_the_1_1_values_in_the_full_snapshot() {
    let g = game_after(&["hello_v1_1.ndjson", "snapshot_v1_1.ndjson"]);
    let full = g.to_full_snapshot();
    assert_eq!(full.schema_version, bar_overlay::protocol::SCHEMA_VERSION);
    let bob = full.teams.iter().find(|t| t.team_id == 1).expect("team 1");
    let golden = v1_1_snapshot();
    let want = &golden.teams[1];
    assert_eq!(
        (bob.units_killed, bob.units_died, &bob.production, bob.metal),
        (
            want.units_killed,
            want.units_died,
            &want.production,
            want.metal
        )
    );
    // And a game built from that snapshot alone holds the same.
    let mut late = game_after(&["hello_v1_1.ndjson"]);
    late.apply(Message::Snapshot(full));
    assert_eq!(late.teams[&1].production, g.teams[&1].production);
}

/// With many teams the points budget is shared: the 1.1 lines shrink with the others.
#[test]
fn the_1_1_series_share_the_points_budget() {
    let Message::Hello(mut h) = golden("hello_v1_1.ndjson").remove(0) else {
        panic!("not a hello")
    };
    let template = h.teams[0].clone();
    h.teams = (0..64)
        .map(|id| {
            let mut t = template.clone();
            t.team_id = id;
            t
        })
        .collect();
    let mut g = Game::new();
    g.apply(Message::Hello(h));
    let mut s = v1_1_snapshot();
    s.teams.truncate(1);
    g.apply(Message::Snapshot(s));
    let series = &g.teams[&0].series;
    assert!(
        series.army_value.capacity() < bar_overlay::model::Series::default().capacity(),
        "64 teams share the budget"
    );
    for line in [
        &series.damage_dealt,
        &series.units_killed,
        &series.metal_produced,
        &series.metal_converted,
    ] {
        assert_eq!(line.capacity(), series.army_value.capacity());
    }
}

/// Broadcast names reach everything that shows the game: the pages' state names players (team and card) and sides
/// as renamed, and the game's own names stay in the model.
#[test]
fn broadcast_names_rename_players_and_sides_on_the_pages() {
    use bar_overlay::model::{Feed, Names};
    use bar_overlay::receiver::ReceiverEvent;
    let mut feed = Feed::new();
    feed.handle(ReceiverEvent::Connected {
        conn: 1,
        peer: "127.0.0.1:5000".parse().expect("addr"),
    });
    for name in ["hello_v1_1.ndjson", "snapshot_v1_1.ndjson"] {
        for m in golden(name) {
            feed.handle(ReceiverEvent::Message {
                conn: 1,
                msg: Box::new(m),
                bytes: 100,
                unknown_fields: 0,
                raw: None,
            });
        }
    }
    let mut names = Names::default();
    names.rename_player("Alice", "Alice [TL]");
    names.name_side(2, "Team Liquid");
    feed.set_names(names);
    let json = bar_overlay::outputs::web::state::state_json(&feed, std::time::Instant::now(), 0);
    let state: serde_json::Value = serde_json::from_str(&json).expect("state is JSON");
    let team0 = &state["teams"][0];
    assert_eq!(team0["name"], "Alice [TL]");
    assert_eq!(team0["player"]["name"], "Alice [TL]");
    assert_eq!(
        state["teams"][1]["name"], "Bob \"the builder\"",
        "not renamed"
    );
    assert_eq!(state["sides"][0]["name"], "Side 1");
    assert_eq!(state["sides"][1]["name"], "Team Liquid");
    assert_eq!(
        feed.game().teams[&0].name,
        "Alice",
        "the model keeps the game's name"
    );
}
