//! The relay over real TCP: relay clients (from the start and mid-game) end with the overlay's model, a client that
//! never reads neither stalls the game nor stays connected, a busy relay port is a clear error; and the full snapshot
//! it synthesizes for newcomers rebuilds the game.

use crate::common;

use bar_overlay::model::{Feed, Game};
use bar_overlay::outputs::relay::{RELAY_QUEUE_BYTES, Relay, RelayError};
use bar_overlay::protocol::{self, Detail, Message, Parsed};
use bar_overlay::receiver::{Receiver, ReceiverConfig, ReceiverEvent};
use bar_overlay::senders::simulate::{Encoder, World};
use std::io::{BufRead, BufReader, Read, Write};
use std::net::{SocketAddr, TcpStream};
use std::process::Command;
use std::sync::mpsc as std_mpsc;
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

fn start_with_relay(
    queue_bytes: usize,
) -> (
    Receiver,
    tokio::sync::mpsc::Receiver<ReceiverEvent>,
    SocketAddr,
) {
    let mut cfg = ReceiverConfig::new("127.0.0.1:0".parse().expect("addr"));
    cfg.keep_raw = true;
    let (rx, mut events) = Receiver::start(cfg, || {}).expect("receiver starts");
    let relay = Relay::start(
        "127.0.0.1:0".parse().expect("addr"),
        queue_bytes,
        rx.runtime(),
    )
    .expect("relay starts");
    let addr = relay.addr();
    // As the hub does: the relay sees each event before the model (here, the test's own feed).
    let (tx, out) = tokio::sync::mpsc::channel(4096);
    rx.runtime().spawn(async move {
        while let Some(ev) = events.recv().await {
            relay.observe(&ev);
            if tx.send(ev).await.is_err() {
                return;
            }
        }
    });
    (rx, out, addr)
}

/// Asserts two models hold the same game now: units, clock, and every team's economy and army.
fn assert_same(a: &Game, b: &Game, who: &str) {
    assert_eq!(a.frame, b.frame, "{who}: frame");
    assert_eq!(a.seconds, b.seconds, "{who}: seconds");
    assert_eq!(a.units.len(), b.units.len(), "{who}: unit count");
    assert!(a.units == b.units, "{who}: units differ");
    assert_eq!(
        a.teams.keys().collect::<Vec<_>>(),
        b.teams.keys().collect::<Vec<_>>(),
        "{who}: teams"
    );
    for (id, ta) in &a.teams {
        let tb = &b.teams[id];
        assert_eq!(ta.name, tb.name, "{who}: team {id} name");
        assert_eq!(ta.color, tb.color, "{who}: team {id} color");
        assert_eq!(ta.metal, tb.metal, "{who}: team {id} metal");
        assert_eq!(ta.energy, tb.energy, "{who}: team {id} energy");
        assert_eq!(ta.is_dead, tb.is_dead, "{who}: team {id} is_dead");
        // Protocol 1.1: cards, HUD counts and production.
        assert_eq!(ta.players, tb.players, "{who}: team {id} players");
        assert_eq!(
            (ta.units_killed, ta.units_died, ta.damage_dealt),
            (tb.units_killed, tb.units_died, tb.damage_dealt),
            "{who}: team {id} HUD counts"
        );
        assert_eq!(ta.production, tb.production, "{who}: team {id} production");
        assert_eq!(
            ta.army.army_value(),
            tb.army.army_value(),
            "{who}: team {id} army value"
        );
    }
    assert_eq!(a.over, b.over, "{who}: game over");
}

/// Reads protocol lines into a model until a bye (or EOF), checking every line parses.
fn read_game(stream: TcpStream, lines: Vec<String>) -> JoinHandle<(Game, Vec<String>)> {
    std::thread::spawn(move || {
        stream
            .set_read_timeout(Some(Duration::from_secs(60)))
            .expect("timeout");
        let mut game = Game::new();
        for l in &lines {
            apply(&mut game, l);
        }
        follow_until_bye(BufReader::new(stream), game, lines)
    })
}

/// Applies every further line of `reader` to `game` (keeping the lines) until a bye or EOF.
fn follow_until_bye(
    reader: impl BufRead,
    mut game: Game,
    mut lines: Vec<String>,
) -> (Game, Vec<String>) {
    for line in reader.lines() {
        let line = line.expect("relay line");
        apply(&mut game, &line);
        let bye = line.starts_with(r#"{"type":"bye""#);
        lines.push(line);
        if bye {
            break;
        }
    }
    (game, lines)
}

fn apply(game: &mut Game, line: &str) {
    match protocol::parse_line(line.as_bytes()) {
        Ok(Parsed::Message { msg, .. }) => {
            game.apply(msg);
        }
        other => panic!("relay sent a line the protocol rejects: {other:?}: {line:.200}"),
    }
}

/// A simulated game written to `to`, as fast as the socket takes it or one snapshot per `pace`; pauses at the
/// `pause` frame until told to go on.
fn send_game(
    to: SocketAddr,
    seconds: u32,
    units: u32,
    pause: Option<(u32, std_mpsc::Receiver<()>)>,
    pace: Option<Duration>,
) -> JoinHandle<()> {
    std::thread::spawn(move || {
        let mut s = TcpStream::connect(to).expect("connect to the receiver");
        let mut world = World::new(7, 4, units, f64::from(seconds));
        let mut enc = Encoder::new(Detail::Standard, 30.0, 7);
        s.write_all(&protocol::encode_line(&enc.hello(&world)))
            .expect("send hello");
        while world.frame < seconds * 30 {
            world.step();
            s.write_all(&protocol::encode_line(&enc.snapshot(&mut world)))
                .expect("send snapshot");
            if let Some(pace) = pace {
                std::thread::sleep(pace);
            }
            if let Some((frame, go)) = &pause
                && world.frame == *frame
            {
                go.recv_timeout(Duration::from_secs(30))
                    .expect("told to go on");
            }
        }
        let over = Message::Event(protocol::Event {
            schema_version: protocol::SCHEMA_VERSION.into(),
            game_frame: world.frame,
            kind: protocol::EventKind::GameOver {
                winners: Some(vec![0]),
            },
        });
        s.write_all(&protocol::encode_line(&over))
            .expect("send game over");
        let bye = Message::Bye(protocol::Bye {
            schema_version: protocol::SCHEMA_VERSION.into(),
            game_frame: Some(world.frame),
            reason: Some("shutdown".into()),
        });
        s.write_all(&protocol::encode_line(&bye)).expect("send bye");
    })
}

/// Drains the overlay side into a Feed until the game's connection closes.
fn drain_until_closed(
    events: &mut tokio::sync::mpsc::Receiver<ReceiverEvent>,
    feed: &mut Feed,
    secs: u64,
) {
    let deadline = Instant::now() + Duration::from_secs(secs);
    loop {
        assert!(
            Instant::now() < deadline,
            "the game's stream did not finish within {secs} s"
        );
        let ev = common::next_event(events, secs);
        let closed = matches!(ev, ReceiverEvent::Disconnected { .. });
        feed.handle(ev);
        if closed {
            return;
        }
    }
}

#[test]
fn early_and_mid_game_relay_clients_end_with_the_overlays_model() {
    // The game is sent as fast as possible, far faster than 30 Hz: the default queue lets the clients lag behind.
    let (_rx, mut events, relay) = start_with_relay(RELAY_QUEUE_BYTES);
    let early = TcpStream::connect(relay).expect("early relay client");
    // Accepted before the game begins, so it hears the game from its hello on.
    std::thread::sleep(Duration::from_millis(200));
    let early = read_game(early, Vec::new());

    let (go_tx, go_rx) = std_mpsc::channel();
    let sender = send_game(_rx.local_addr(), 120, 300, Some((60 * 30, go_rx)), None);
    let mut feed = Feed::new();
    while feed.game().frame < 60 * 30 {
        feed.handle(common::next_event(&mut events, 30));
    }
    // The game is paused at one minute: join now, and check the first lines are the hello and a full snapshot.
    let mid = TcpStream::connect(relay).expect("mid-game relay client");
    let mut reader = BufReader::new(mid.try_clone().expect("clone"));
    let mut first = Vec::new();
    for _ in 0..2 {
        let mut l = String::new();
        mid.set_read_timeout(Some(Duration::from_secs(10)))
            .expect("timeout");
        reader.read_line(&mut l).expect("catch-up line");
        first.push(l.trim_end().to_owned());
    }
    assert!(
        first[0].starts_with(r#"{"type":"hello""#),
        "{:.100}",
        first[0]
    );
    assert!(
        first[1].starts_with(r#"{"type":"snapshot""#) && first[1].contains(r#""units_full":true"#)
    );
    let mut caught_up = Game::new();
    first.iter().for_each(|l| apply(&mut caught_up, l));
    assert_eq!(
        caught_up.frame,
        60 * 30,
        "the catch-up snapshot is the game as of the pause"
    );
    assert!(
        caught_up.units.len() > 50,
        "units at one minute: {}",
        caught_up.units.len()
    );
    // Lines already buffered by `reader` belong to the same stream: hand it over whole.
    let mid = std::thread::spawn(move || follow_until_bye(reader, caught_up, first));
    go_tx.send(()).expect("resume the game");

    drain_until_closed(&mut events, &mut feed, 120);
    sender.join().expect("sender");
    assert_eq!(feed.game().frame, 120 * 30);
    assert!(feed.game().ended_cleanly);
    let (early_game, early_lines) = early.join().expect("early client");
    let (mid_game, _) = mid.join().expect("mid client");
    assert_same(feed.game(), &early_game, "early client");
    assert_same(feed.game(), &mid_game, "mid-game client");
    // The early client got the game's own lines: every snapshot plus hello, game over and bye.
    assert_eq!(early_lines.len(), 120 * 30 + 3);
    assert_eq!(feed.stats().bad_lines, 0);
}

#[test]
fn a_relay_client_that_never_reads_is_dropped_without_stalling_the_game() {
    let (rx, mut events, relay) = start_with_relay(1 << 20);
    let stuck = TcpStream::connect(relay).expect("stuck client");
    let reader = TcpStream::connect(relay).expect("reading client");
    std::thread::sleep(Duration::from_millis(200));
    let reader = read_game(reader, Vec::new());
    // Far more than the socket buffers and a 1 MiB relay queue hold: about 1800 lines of 15+ KB.
    // Paced at ten times game speed so that the reading client keeps up within the small queue, as clients do at
    // game speed with the default one.
    let sender = send_game(
        rx.local_addr(),
        60,
        600,
        None,
        Some(Duration::from_micros(3300)),
    );
    let mut feed = Feed::new();
    let started = Instant::now();
    drain_until_closed(&mut events, &mut feed, 120);
    sender.join().expect("sender");
    assert_eq!(
        feed.game().frame,
        60 * 30,
        "the game's stream arrived whole"
    );
    let (game, _) = reader.join().expect("reading client");
    assert_same(feed.game(), &game, "a reading client beside a stuck one");

    // The stuck client was cut off: what it can still read ends (EOF or reset) instead of waiting for more.
    stuck
        .set_read_timeout(Some(Duration::from_secs(10)))
        .expect("timeout");
    let mut buf = vec![0u8; 1 << 16];
    let mut got = 0usize;
    let mut stuck = stuck;
    loop {
        match stuck.read(&mut buf) {
            Ok(0) => break,
            Ok(n) => got += n,
            Err(e) if e.kind() == std::io::ErrorKind::ConnectionReset => break,
            Err(e) => panic!(
                "the stuck client was never dropped ({got} bytes read, then {e}); took {:?}",
                started.elapsed()
            ),
        }
    }
    let total: usize = feed.stats().bytes as usize;
    assert!(
        got < total,
        "the stuck client was dropped before the end ({got} of {total} bytes)"
    );
}

#[test]
fn relay_port_in_use_is_a_clear_error() {
    let taken = std::net::TcpListener::bind("127.0.0.1:0").expect("bind");
    let addr = taken.local_addr().expect("addr");
    let (rx, _events) = Receiver::start(
        ReceiverConfig::new("127.0.0.1:0".parse().expect("addr")),
        || {},
    )
    .expect("receiver starts");
    match Relay::start(addr, RELAY_QUEUE_BYTES, rx.runtime()) {
        Err(e @ RelayError::InUse { .. }) => {
            let text = e.to_string();
            assert!(
                text.contains("relay port") && text.contains("in use"),
                "{text}"
            );
        }
        Err(e) => panic!("wrong error: {e}"),
        Ok(_) => panic!("started on a relay port that is in use"),
    }

    // And from the command line: one line, non-zero exit.
    let out = Command::new(env!("CARGO_BIN_EXE_bar-overlay"))
        .args([
            "listen",
            "--port",
            "0",
            "--relay-port",
            &addr.port().to_string(),
            "--seconds",
            "5",
        ])
        .output()
        .expect("run bar-overlay");
    assert!(!out.status.success());
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.trim().lines().count() == 1
            && err.contains("relay port")
            && err.contains(&addr.to_string()),
        "{err}"
    );
}

#[test]
fn listen_and_record_announce_the_relay() {
    let out = Command::new(env!("CARGO_BIN_EXE_bar-overlay"))
        .args([
            "listen",
            "--port",
            "0",
            "--relay-port",
            "0",
            "--seconds",
            "0.2",
        ])
        .output()
        .expect("run bar-overlay");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let err = String::from_utf8_lossy(&out.stderr);
    let mut lines = err.lines();
    assert!(
        lines
            .next()
            .is_some_and(|l| l.starts_with("listening on 127.0.0.1:")),
        "{err}"
    );
    assert!(
        lines
            .next()
            .is_some_and(|l| l.starts_with("relay on 127.0.0.1:")),
        "{err}"
    );
}

/// The catch-up snapshot, from the golden files: applied after the hello to a fresh model, it gives the same game.
#[test]
fn full_snapshot_rebuilds_units_and_team_resources() {
    for files in [
        &[
            "hello.ndjson",
            "snapshot_full.ndjson",
            "snapshot_delta.ndjson",
        ][..],
        &[
            "hello.ndjson",
            "snapshot_comprehensive.ndjson",
            "events.ndjson",
        ][..],
    ] {
        let mut game = Game::new();
        let mut hello = None;
        for f in files {
            for msg in common::golden(f) {
                if let Message::Hello(h) = &msg {
                    hello = Some(Message::Hello(h.clone()));
                }
                game.apply(msg);
            }
        }
        assert!(
            !game.units.is_empty(),
            "{files:?}: the golden files have units"
        );
        let snap = game.to_full_snapshot();
        assert!(
            snap.is_full()
                && snap
                    .units
                    .as_ref()
                    .is_some_and(|u| u.windows(2).all(|w| w[0].id < w[1].id))
        );
        // Through the wire form, as a relay client gets it.
        let line = protocol::encode_line(&Message::Snapshot(snap));
        let mut fresh = Game::new();
        fresh.apply(hello.clone().expect("a hello"));
        match protocol::parse_line(line.trim_ascii_end()) {
            Ok(Parsed::Message {
                msg,
                unknown_fields: 0,
            }) => fresh.apply(msg),
            other => panic!("{other:?}"),
        };
        let mut g = game.clone();
        // Game over comes as its own event, not in a snapshot.
        g.over = None;
        assert_same(&g, &fresh, &format!("{files:?}"));
        assert_eq!(g.paused, fresh.paused);
    }
}

/// A client joining after a player dropped out learns it: the hello it gets is the game's first, so the relay follows
/// it with a `team_changed` for each team described differently since (protocol 1.1).
#[test]
fn a_late_relay_client_learns_of_team_changes_since_the_hello() {
    let (rx, mut events, relay) = start_with_relay(RELAY_QUEUE_BYTES);
    let mut game = TcpStream::connect(rx.local_addr()).expect("connect");
    for name in [
        "hello_v1_1.ndjson",
        "snapshot_v1_1.ndjson",
        "events_v1_1.ndjson",
    ] {
        game.write_all(common::data(name).as_bytes()).expect("send");
    }
    let mut feed = Feed::new();
    while feed.game().teams.get(&3).is_none_or(|t| {
        t.players
            .first()
            .is_none_or(|p| p.status() != protocol::PlayerStatus::Disconnected)
    }) {
        feed.handle(common::next_event(&mut events, 10));
    }
    let late = TcpStream::connect(relay).expect("late relay client");
    late.set_read_timeout(Some(Duration::from_secs(10)))
        .expect("timeout");
    let mut reader = BufReader::new(late);
    let mut lines = Vec::new();
    for _ in 0..4 {
        let mut l = String::new();
        reader.read_line(&mut l).expect("catch-up line");
        lines.push(l.trim_end().to_owned());
    }
    let kinds: Vec<&str> = lines.iter().map(|l| &l[..l.len().min(40)]).collect();
    assert!(lines[0].starts_with(r#"{"type":"hello""#), "{kinds:?}");
    assert!(
        lines[1..3]
            .iter()
            .all(|l| l.contains(r#""event":"team_changed""#)),
        "{kinds:?}"
    );
    assert!(lines[3].starts_with(r#"{"type":"snapshot""#), "{kinds:?}");
    let mut caught_up = Game::new();
    lines.iter().for_each(|l| apply(&mut caught_up, l));
    assert_same(feed.game(), &caught_up, "late client");
    assert_eq!(
        caught_up.teams[&1].players[0].status(),
        protocol::PlayerStatus::Resigned
    );
}
