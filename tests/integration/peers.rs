//! The connection cap and the peer rules (SCHEMA.md, "Connections") over real TCP: a crowd of 3000 idle and garbage
//! connections (`tests/harden/flood.py`) never holds more than the cap, peers without a hello are closed, and the real
//! widget (`widget/export_livedata.lua` under Lua 5.1 and LuaSocket, driven by `tests/lua/harness.lua`) connecting in
//! the middle of the flood is followed to the end of its game, its model equal to the fake engine's truth.
//!
//! Needs `python3`, `lua5.1`, `lua-socket`, `lua-dkjson` (scripts/test installs them); missing tools fail the test.

use crate::common;

use bar_overlay::model::Feed;
use bar_overlay::protocol::Message;
use bar_overlay::receiver::{MAX_PEERS, Receiver, ReceiverConfig, ReceiverEvent};
use serde_json::Value;
use std::collections::{HashMap, HashSet};
use std::io::{Read, Write};
use std::net::{SocketAddr, TcpStream};
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

fn flood(addr: SocketAddr, count: u32, seconds: u32, extra: &[&str]) -> Child {
    Command::new("python3")
        .arg("tests/harden/flood.py")
        .args([
            "127.0.0.1".to_owned(),
            addr.port().to_string(),
            "--count".into(),
            count.to_string(),
            "--seconds".into(),
            seconds.to_string(),
        ])
        .args(extra)
        .current_dir(root())
        .stdout(Stdio::piped())
        .stderr(Stdio::inherit())
        .spawn()
        .expect("python3 is needed for the flood (scripts/test installs what the tests need)")
}

fn flood_stats(mut child: Child) -> Value {
    let mut out = String::new();
    child
        .stdout
        .take()
        .expect("stdout")
        .read_to_string(&mut out)
        .expect("read flood output");
    assert!(child.wait().expect("wait flood").success(), "{out}");
    serde_json::from_str(out.trim()).unwrap_or_else(|e| panic!("flood output {out:?}: {e}"))
}

/// What the receiver did, as seen through its events.
#[derive(Default)]
struct Tally {
    feed: Feed,
    max_open: i64,
    connected: u64,
    closed_reasons: HashMap<String, u64>,
    hello_from: HashSet<u64>,
    messages_from_widget: u64,
}

impl Tally {
    /// Takes the queued events, and samples how many connections the receiver holds open now.
    fn take(&mut self, rx: &mut tokio::sync::mpsc::Receiver<ReceiverEvent>, r: &Receiver) -> usize {
        self.max_open = self.max_open.max(r.open_connections() as i64);
        let mut n = 0;
        while let Ok(ev) = rx.try_recv() {
            n += 1;
            match &ev {
                ReceiverEvent::Connected { .. } => self.connected += 1,
                ReceiverEvent::Disconnected { reason, .. } => {
                    let key = reason
                        .as_deref()
                        .unwrap_or("closed by the peer")
                        .split(" (")
                        .next()
                        .unwrap_or_default()
                        .to_owned();
                    *self.closed_reasons.entry(key).or_default() += 1;
                }
                ReceiverEvent::Message { conn, msg, .. } => {
                    if let Message::Hello(h) = msg.as_ref()
                        && h.widget.name == "export_livedata"
                    {
                        self.hello_from.insert(*conn);
                    }
                    if self.hello_from.contains(conn) {
                        self.messages_from_widget += 1;
                    }
                }
                _ => {}
            }
            self.feed.handle(ev);
        }
        n
    }
}

fn require_lua() {
    let ok = Command::new("lua5.1")
        .args(["-e", "require('socket'); require('dkjson')"])
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status()
        .map(|s| s.success())
        .unwrap_or(false);
    assert!(
        ok,
        "lua5.1 with LuaSocket and dkjson is required: run scripts/test-lua (installs them) or \
         `apt-get install lua5.1 lua-socket lua-dkjson`"
    );
}

#[test]
fn the_real_widget_is_followed_through_a_flood_of_3000_connections() {
    require_lua();
    let (receiver, mut rx) =
        Receiver::start(ReceiverConfig::new("127.0.0.1:0".parse().unwrap()), || {})
            .expect("receiver");
    let addr = receiver.local_addr();
    let crowd = flood(addr, 3000, 30, &[]);
    let mut tally = Tally::default();
    // Let the crowd fill every place first.
    let warm = Instant::now() + Duration::from_secs(3);
    while Instant::now() < warm {
        if tally.take(&mut rx, &receiver) == 0 {
            std::thread::sleep(Duration::from_millis(2));
        }
    }
    assert!(
        tally.max_open >= MAX_PEERS as i64,
        "the crowd holds every place: {} open at most so far",
        tally.max_open
    );
    let dir = tempfile::tempdir().unwrap();
    let truth_path = dir.path().join("truth.json");
    let port = addr.port().to_string();
    let mut widget = Command::new("lua5.1")
        .arg("tests/lua/harness.lua")
        .args([
            "--port",
            &port,
            "--frames",
            "450",
            "--units",
            "300",
            "--realtime",
            "--dump",
        ])
        .arg(&truth_path)
        .current_dir(root())
        .stdout(Stdio::piped())
        .stderr(Stdio::inherit())
        .spawn()
        .expect("lua5.1");
    let deadline = Instant::now() + Duration::from_secs(90);
    while widget.try_wait().expect("wait widget").is_none() {
        assert!(
            Instant::now() < deadline,
            "the widget harness did not finish"
        );
        if tally.take(&mut rx, &receiver) == 0 {
            std::thread::sleep(Duration::from_millis(2));
        }
    }
    let mut out = String::new();
    widget
        .stdout
        .take()
        .expect("stdout")
        .read_to_string(&mut out)
        .expect("widget output");
    // The receiver may still be working through the widget's last lines: wait for its bye (bounded).
    let settle = Instant::now() + Duration::from_secs(30);
    while Instant::now() < settle && !tally.feed.game().ended_cleanly {
        if tally.take(&mut rx, &receiver) == 0 {
            std::thread::sleep(Duration::from_millis(2));
        }
    }
    let stats = flood_stats(crowd);
    tally.take(&mut rx, &receiver);
    eprintln!(
        "flood: {stats}; receiver: {} connections accepted, at most {} open, closed: {:?}; widget: {} messages over {} connection(s)",
        tally.connected,
        tally.max_open,
        tally.closed_reasons,
        tally.messages_from_widget,
        tally.hello_from.len()
    );
    assert!(
        stats["opened"].as_u64().unwrap_or(0) >= 3000,
        "the crowd reached 3000: {stats}"
    );
    assert!(
        tally.max_open <= MAX_PEERS as i64,
        "never more than the cap open: {}",
        tally.max_open
    );
    // Silent connections are closed without ever reaching the model, so the crowd's evictions show in its own count.
    assert!(
        stats["closed_by_server"].as_u64().unwrap_or(0) > 1000,
        "the receiver made room by closing the crowd's connections: {stats}"
    );
    // The widget's game is the one followed, complete: its final unit set and clock, ended with its bye.
    let truth: Value = serde_json::from_str(&std::fs::read_to_string(&truth_path).expect("truth"))
        .expect("truth json");
    let game = tally.feed.game();
    assert!(
        !tally.hello_from.is_empty(),
        "the widget got in; output:\n{out}"
    );
    assert_eq!(
        game.info.as_ref().map(|i| i.widget_version.is_empty()),
        Some(false)
    );
    assert_eq!(game.frame as u64, truth["frame"].as_u64().unwrap(), "clock");
    let want: HashSet<u64> = truth["units"]
        .as_array()
        .unwrap()
        .iter()
        .map(|u| u["id"].as_u64().unwrap())
        .collect();
    let got: HashSet<u64> = game.units.keys().map(|&id| u64::from(id)).collect();
    assert_eq!(got, want, "the model holds exactly the engine's units");
    assert!(game.ended_cleanly, "the widget's bye arrived");
    drop(receiver);
}

#[test]
fn a_peer_without_a_hello_is_closed_and_one_that_sends_only_garbage_too() {
    let mut cfg = ReceiverConfig::new("127.0.0.1:0".parse().unwrap());
    cfg.hello_timeout = Duration::from_millis(700);
    let (receiver, mut rx) = Receiver::start(cfg, || {}).expect("receiver");
    let addr = receiver.local_addr();
    let mut idle = TcpStream::connect(addr).expect("connect");
    let mut garbage = TcpStream::connect(addr).expect("connect");
    for _ in 0..20 {
        let _ = garbage.write_all(b"not json at all\n");
    }
    let mut tally = Tally::default();
    let deadline = Instant::now() + Duration::from_secs(10);
    while tally.closed_reasons.values().sum::<u64>() < 1 {
        assert!(Instant::now() < deadline, "{:?}", tally.closed_reasons);
        if tally.take(&mut rx, &receiver) == 0 {
            std::thread::sleep(Duration::from_millis(5));
        }
    }
    let reasons: Vec<&String> = tally.closed_reasons.keys().collect();
    // The silent peer never reached the model (nothing to announce); the receiver closes it at the deadline.
    idle.set_read_timeout(Some(Duration::from_secs(5)))
        .expect("timeout");
    let started = Instant::now();
    let mut byte = [0u8; 1];
    assert!(
        matches!(idle.read(&mut byte), Ok(0)),
        "the silent peer is closed by the receiver"
    );
    assert!(
        started.elapsed() < Duration::from_secs(3),
        "closed at the 0.7 s hello deadline, not later: {:?}",
        started.elapsed()
    );
    assert!(
        reasons
            .iter()
            .any(|r| r.starts_with("closed after 16 bad lines in a row")),
        "{reasons:?}"
    );
    drop((idle, garbage));
}

#[test]
fn web_pages_answer_through_a_flood_of_idle_connections() {
    let srv = common::serve::Serve::start(&[]);
    let web = SocketAddr::from(([127, 0, 0, 1], srv.web));
    // Idle sockets only: past the cap (256) each newcomer takes the place of the oldest that sent no request.
    let crowd = flood(web, 3000, 20, &["--bad-every", "0"]);
    std::thread::sleep(Duration::from_secs(4));
    let mut answered = 0;
    for _ in 0..10 {
        let (status, _, body) = common::serve::get(srv.web, "/api/state");
        assert_eq!(status, 200, "{body}");
        answered += 1;
    }
    let stats = flood_stats(crowd);
    eprintln!("web flood: {stats}; {answered} page requests answered");
    assert!(stats["opened"].as_u64().unwrap_or(0) >= 3000, "{stats}");
    assert!(
        srv.log().contains("web: 256 connections open (the limit)"),
        "the cap said so:\n{}",
        srv.log()
    );
}
