//! simulate -> real TCP -> receiver -> model: the receiver's unit set equals the sender's at every snapshot, every
//! unit is refreshed at least five times a second, and at full snapshots every value matches.

use crate::common;

use bar_overlay::model::{Feed, compute_composition};
use bar_overlay::protocol::{Detail, Message};
use bar_overlay::receiver::{Receiver, ReceiverConfig, ReceiverEvent};
use bar_overlay::senders::Speed;
use bar_overlay::senders::simulate::{self, SimConfig, World};
use common::next_event;
use std::collections::HashMap;

fn sim(to: std::net::SocketAddr, seed: u64, seconds: f64, detail: Detail) -> SimConfig {
    SimConfig {
        to: to.to_string(),
        teams: 4,
        units: 300,
        rate_hz: 30.0,
        seconds,
        speed: Speed::Max,
        seed,
        detail,
        start_at: 0.0,
        token: None,
    }
}

#[test]
fn the_model_matches_the_sender_at_every_snapshot() {
    let (receiver, mut rx) = Receiver::start(
        ReceiverConfig::new("127.0.0.1:0".parse().expect("addr")),
        || {},
    )
    .expect("receiver");
    let cfg = sim(receiver.local_addr(), 7, 150.0, Detail::Standard);
    let sender = simulate::spawn(cfg.clone()).expect("simulate");
    // The reference: the same seeded world, stepped in lockstep with the snapshots that arrive.
    let mut reference = World::new(cfg.seed, cfg.teams, cfg.units, cfg.seconds);
    let mut feed = Feed::new();
    let mut last_refresh: HashMap<u32, u32> = HashMap::new();
    let (mut snapshots, mut fulls, mut max_age) = (0, 0, 0);
    loop {
        let ev = next_event(&mut rx, 30);
        let snapshot = match &ev {
            ReceiverEvent::Message { msg, .. } => match msg.as_ref() {
                Message::Snapshot(s) => Some((
                    s.game_frame,
                    s.is_full(),
                    s.units.clone().unwrap_or_default(),
                )),
                _ => None,
            },
            ReceiverEvent::BadLine { error, .. } => panic!("bad line from simulate: {error}"),
            ReceiverEvent::Disconnected { .. } => break,
            _ => None,
        };
        feed.handle(ev);
        let Some((frame, full, units)) = snapshot else {
            continue;
        };
        snapshots += 1;
        while reference.frame < frame {
            reference.step();
        }
        reference.take_changes();
        let game = feed.game();
        let mut want: Vec<u32> = reference.unit_ids().collect();
        let mut got: Vec<u32> = game.units.keys().copied().collect();
        want.sort_unstable();
        got.sort_unstable();
        assert_eq!(got, want, "unit set differs at frame {frame}");
        for u in &units {
            last_refresh.insert(u.id, frame);
        }
        // The model recomputes compositions only when they can change: it must agree with a fresh computation.
        let fresh = compute_composition(&game.units, &game.defs);
        for (id, team) in &game.teams {
            assert_eq!(
                Some(&team.army),
                fresh.get(id).or(Some(&Default::default())),
                "team {id} at frame {frame}"
            );
        }
        for id in &want {
            let age = frame - last_refresh.get(id).copied().unwrap_or(frame);
            max_age = max_age.max(age);
        }
        if full {
            fulls += 1;
            for id in &want {
                assert_eq!(
                    game.units.get(id),
                    reference.unit(*id, false).as_ref(),
                    "unit {id} at frame {frame}"
                );
            }
            let states = reference.team_states(true);
            for t in &states {
                let team = &game.teams[&t.team_id];
                assert_eq!(
                    (team.units_killed, team.units_died, &team.production),
                    (t.units_killed, t.units_died, &t.production),
                    "team {} 1.1 stats at {frame}",
                    t.team_id
                );
                assert_eq!(
                    (team.damage_dealt, team.utility_value, team.economy_value),
                    (t.damage_dealt, t.utility_value, t.economy_value),
                    "team {} 1.1 values at {frame}",
                    t.team_id
                );
                assert_eq!(
                    game.teams[&t.team_id].metal, t.metal,
                    "team {} metal at {frame}",
                    t.team_id
                );
                assert_eq!(
                    game.teams[&t.team_id].energy, t.energy,
                    "team {} energy at {frame}",
                    t.team_id
                );
            }
        }
    }
    let report = sender.stop().expect("simulate ran");
    assert_eq!(
        report.snapshots_sent, snapshots,
        "every snapshot sent arrived"
    );
    assert!(snapshots >= 150 * 30, "{snapshots} snapshots");
    assert!(
        fulls >= 15,
        "a full snapshot every 10 s and at the end: {fulls}"
    );
    assert!(
        max_age <= 6,
        "a unit went {max_age} frames without a refresh (limit 6 = 5 per second)"
    );
    assert!(
        feed.game().units.len() > 200,
        "the armies grew: {}",
        feed.game().units.len()
    );
    assert!(feed.game().over.is_some(), "game_over arrived");
    assert!(feed.game().ended_cleanly, "bye arrived");
    let army: f64 = feed
        .game()
        .teams
        .values()
        .map(|t| t.stats.peak_army_value)
        .sum();
    assert!(army > 0.0, "armies were built");
}

#[test]
fn the_sender_reconnects_when_the_listener_comes_back() {
    let (receiver, mut rx) = Receiver::start(
        ReceiverConfig::new("127.0.0.1:0".parse().expect("addr")),
        || {},
    )
    .expect("receiver");
    let addr = receiver.local_addr();
    let mut cfg = sim(addr, 3, 600.0, Detail::Minimal);
    cfg.speed = Speed::Factor(20.0);
    let sender = simulate::spawn(cfg).expect("simulate");
    assert!(matches!(
        next_event(&mut rx, 10),
        ReceiverEvent::Connected { .. }
    ));
    assert!(
        matches!(next_event(&mut rx, 10), ReceiverEvent::Message { msg, .. } if msg.kind() == "hello")
    );
    receiver.stop();
    drop(rx);
    std::thread::sleep(std::time::Duration::from_millis(300));
    let (_again, mut rx) =
        Receiver::start(ReceiverConfig::new(addr), || {}).expect("same port again");
    assert!(matches!(
        next_event(&mut rx, 15),
        ReceiverEvent::Connected { .. }
    ));
    let first = next_event(&mut rx, 10);
    assert!(
        matches!(&first, ReceiverEvent::Message { msg, .. } if msg.kind() == "hello"),
        "a new connection starts with hello: {first:?}"
    );
    assert!(sender.stop().expect("simulate").connections >= 2);
}
