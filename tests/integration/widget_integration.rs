//! The real widget (`widget/export_livedata.lua`) under real Lua 5.1 + LuaSocket, driven by the fake engine in
//! `tests/lua/harness.lua`, against the real Rust receiver over real TCP on 127.0.0.1.
//!
//! Needs `lua5.1`, `lua-socket` and `lua-dkjson` (Debian). Missing tools fail the tests with instructions: run
//! `scripts/test-lua` (which installs them) or `apt-get install lua5.1 lua-socket lua-dkjson`.

use bar_overlay::model::{Feed, Game};
use bar_overlay::protocol::Message;
use bar_overlay::receiver::{Receiver, ReceiverConfig, ReceiverEvent};
use serde_json::Value;
use std::collections::HashMap;
use std::io::Read;
use std::net::SocketAddr;
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::sync::Once;
use std::time::{Duration, Instant};
use tokio::sync::mpsc;

fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

static LUA_CHECK: Once = Once::new();

/// Panics (never skips) when the Lua tool chain is missing.
fn require_lua() {
    LUA_CHECK.call_once(|| {
        let ok = Command::new("lua5.1")
            .args(["-e", "require('socket'); require('dkjson')"])
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .status()
            .map(|s| s.success())
            .unwrap_or(false);
        assert!(
            ok,
            "lua5.1 with LuaSocket and dkjson is required for the widget integration tests: \
             run scripts/test-lua (installs them) or `apt-get install lua5.1 lua-socket lua-dkjson`"
        );
    });
}

struct Harness {
    child: Child,
    out: std::thread::JoinHandle<String>,
}

fn harness(args: &[&str]) -> Harness {
    require_lua();
    let mut child = Command::new("lua5.1")
        .arg("tests/lua/harness.lua")
        .args(args)
        .current_dir(root())
        .stdout(Stdio::piped())
        .stderr(Stdio::inherit())
        .spawn()
        .expect("spawn lua5.1");
    let mut stdout = child.stdout.take().unwrap();
    let out = std::thread::spawn(move || {
        let mut s = String::new();
        let _ = stdout.read_to_string(&mut s);
        s
    });
    Harness { child, out }
}

impl Harness {
    fn exited(&mut self) -> bool {
        self.child.try_wait().expect("wait harness").is_some()
    }
    /// Waits for the harness to end; returns its stdout and parsed summary.
    fn finish(mut self) -> (String, Value) {
        let status = self.child.wait().expect("wait harness");
        let out = self.out.join().unwrap();
        assert!(
            status.success(),
            "harness failed ({status}); output:\n{out}"
        );
        let line = out
            .lines()
            .find_map(|l| l.strip_prefix("SUMMARY "))
            .unwrap_or_else(|| panic!("no SUMMARY line in harness output:\n{out}"));
        (
            out.clone(),
            serde_json::from_str(line).expect("summary json"),
        )
    }
}

fn start_receiver(addr: SocketAddr) -> (Receiver, mpsc::Receiver<ReceiverEvent>) {
    Receiver::start(ReceiverConfig::new(addr), || {}).expect("receiver starts")
}

/// What one receiver saw: the model plus the message kinds in order.
#[derive(Default)]
struct Seen {
    feed: Feed,
    kinds: Vec<&'static str>,
    bad_lines: Vec<String>,
    connected: u32,
    disconnected: u32,
    events: Vec<String>,
}

impl Seen {
    fn take(&mut self, rx: &mut mpsc::Receiver<ReceiverEvent>) -> usize {
        let mut n = 0;
        while let Ok(ev) = rx.try_recv() {
            n += 1;
            match &ev {
                ReceiverEvent::Connected { .. } => self.connected += 1,
                ReceiverEvent::Disconnected { .. } => self.disconnected += 1,
                ReceiverEvent::Message { msg, .. } => {
                    self.kinds.push(msg.kind());
                    if let Message::Event(e) = msg.as_ref() {
                        self.events.push(format!("{e:?}"));
                    }
                }
                ReceiverEvent::BadLine { error, .. } => self.bad_lines.push(error.clone()),
                ReceiverEvent::UnknownType { kind, .. } => {
                    self.bad_lines.push(format!("unknown type {kind}"))
                }
            }
            self.feed.handle(ev);
        }
        n
    }

    /// Reads events until `h` exits, then until the connection closes (bye) or 2 s pass.
    fn run(&mut self, rx: &mut mpsc::Receiver<ReceiverEvent>, h: &mut Harness) {
        let deadline = Instant::now() + Duration::from_secs(120);
        while !h.exited() {
            assert!(Instant::now() < deadline, "harness did not finish");
            if self.take(rx) == 0 {
                std::thread::sleep(Duration::from_millis(1));
            }
        }
        // The receiver may still hold a backlog of the game's lines when the harness exits (a loaded machine, a
        // debug build applying 1000-unit snapshots): wait for every connection's end, which comes after its last line.
        let end = Instant::now() + Duration::from_secs(60);
        while Instant::now() < end && self.disconnected < self.connected {
            if self.take(rx) == 0 {
                std::thread::sleep(Duration::from_millis(2));
            }
        }
        self.take(rx);
    }
}

fn read_truth(path: &std::path::Path) -> Value {
    serde_json::from_str(&std::fs::read_to_string(path).expect("truth dump")).expect("truth json")
}

fn f(v: &Value) -> f64 {
    v.as_f64().unwrap_or_else(|| panic!("not a number: {v}"))
}

/// The receiver's model equals the fake engine's ground truth: every unit, every team value.
/// The model's protocol 1.1 team values equal the fake engine's (harness.lua's `hud` dump, taken after a whole walk
/// of the widget over the frozen game). Returns the factories and constructions compared.
fn assert_hud_equals_truth(game: &Game, truth: &Value, teams: &[u32]) -> usize {
    let mut n = 0;
    for th in truth["hud"].as_array().unwrap() {
        let id = th["team_id"].as_u64().unwrap() as u32;
        if !teams.contains(&id) {
            continue;
        }
        let t = &game.teams[&id];
        let near = |got: Option<f64>, want: &Value, what: &str| {
            let got = got.unwrap_or_else(|| panic!("team {id}: {what} missing"));
            assert!(
                (got - f(want)).abs() <= 0.01,
                "team {id} {what}: {got} vs {want}"
            );
        };
        near(t.utility_value, &th["utility_value"], "utility_value");
        near(t.economy_value, &th["economy_value"], "economy_value");
        near(
            t.metal.as_ref().and_then(|m| m.reclaim),
            &th["metal_reclaim"],
            "metal reclaim",
        );
        assert_eq!(
            t.units_killed.map(u64::from),
            th["units_killed"].as_u64(),
            "team {id} killed"
        );
        assert_eq!(
            t.units_died.map(u64::from),
            th["units_died"].as_u64(),
            "team {id} died"
        );
        let p = t
            .production
            .as_ref()
            .unwrap_or_else(|| panic!("team {id}: production missing"));
        assert_eq!(
            u64::from(p.idle_builders),
            th["idle_builders"].as_u64().unwrap(),
            "team {id} idle builders"
        );
        let ids = |v: &Value| -> Vec<u64> {
            v.as_array()
                .unwrap()
                .iter()
                .map(|x| x.as_u64().unwrap())
                .collect()
        };
        let mut fac: Vec<u64> = p.factories.iter().map(|x| u64::from(x.id)).collect();
        let mut con: Vec<u64> = p.constructing.iter().map(|x| u64::from(x.id)).collect();
        fac.sort_unstable();
        con.sort_unstable();
        assert_eq!(fac, ids(&th["factories"]), "team {id} factories");
        assert_eq!(con, ids(&th["constructing"]), "team {id} constructions");
        n += fac.len() + con.len();
    }
    n
}

fn assert_model_equals_truth(game: &Game, truth: &Value) -> usize {
    let units = truth["units"].as_array().unwrap();
    for tu in units {
        let id = tu["id"].as_u64().unwrap() as u32;
        let u = game
            .units
            .get(&id)
            .unwrap_or_else(|| panic!("unit {id} missing from the model"));
        assert_eq!(
            u.team as u64,
            tu["team"].as_u64().unwrap(),
            "team of unit {id}"
        );
        assert_eq!(
            u.def_id.map(u64::from),
            tu["def_id"].as_u64(),
            "def_id of unit {id}"
        );
        let pos = u.pos.as_ref().unwrap_or_else(|| panic!("pos of unit {id}"));
        for (k, got) in [("x", pos.x), ("y", pos.y), ("z", pos.z)] {
            let want = f(&tu["pos"][k]);
            assert!(
                (got as f64 - want).abs() <= 0.5,
                "pos.{k} of unit {id}: {got} vs {want}"
            );
        }
        match tu.get("health") {
            Some(h) => {
                let mh = u
                    .health
                    .as_ref()
                    .unwrap_or_else(|| panic!("health of unit {id} missing"));
                assert!(
                    (mh.current as f64 - f(&h["current"])).abs() <= 0.01,
                    "health of unit {id}"
                );
                assert!(
                    (mh.max as f64 - f(&h["max"])).abs() <= 0.01,
                    "max health of unit {id}"
                );
            }
            None => assert!(
                u.health.is_none(),
                "unit {id} has health outside line of sight"
            ),
        }
        match tu.get("build_progress") {
            Some(b) => {
                let got = u
                    .build_progress
                    .unwrap_or_else(|| panic!("build_progress of unit {id} missing"));
                assert!(
                    (got as f64 - f(b)).abs() <= 0.001,
                    "build_progress of unit {id}"
                );
            }
            None => assert!(u.is_finished(), "unit {id} should be finished"),
        }
    }
    assert_eq!(game.units.len(), units.len(), "unit count");
    for tt in truth["teams"].as_array().unwrap() {
        let id = tt["team_id"].as_u64().unwrap() as u32;
        let t = game
            .teams
            .get(&id)
            .unwrap_or_else(|| panic!("team {id} missing"));
        assert_eq!(t.name, tt["name"].as_str().unwrap(), "name of team {id}");
        assert_eq!(
            t.ally_team as u64,
            tt["ally_team_id"].as_u64().unwrap(),
            "ally team of {id}"
        );
        for (res, got) in [("metal", &t.metal), ("energy", &t.energy)] {
            match tt.get(res) {
                Some(want) => {
                    let got = got
                        .as_ref()
                        .unwrap_or_else(|| panic!("team {id} {res} missing"));
                    let close = |a: f64, b: f64| (a - b).abs() <= 0.001 + b.abs() * 1e-6;
                    assert!(
                        close(got.current, f(&want["current"])),
                        "team {id} {res}.current: {} vs {}",
                        got.current,
                        want["current"]
                    );
                    assert!(
                        close(got.income, f(&want["income"])),
                        "team {id} {res}.income"
                    );
                    assert!(
                        close(got.expense.expect("expense"), f(&want["expense"])),
                        "team {id} {res}.expense"
                    );
                    assert!(
                        close(got.storage.expect("storage"), f(&want["storage"])),
                        "team {id} {res}.storage"
                    );
                }
                None => assert!(got.is_none(), "team {id} {res} readable in this view"),
            }
        }
    }
    units.len()
}

fn tmp(name: &str) -> (tempfile::TempDir, PathBuf) {
    let dir = tempfile::tempdir().unwrap();
    let p = dir.path().join(name);
    (dir, p)
}

/// Runs the harness against a fresh receiver; returns what it saw, the truth and the summary.
fn run_view(view: &str, units: &str, frames: &str, extra: &[&str]) -> (Seen, Value, Value, String) {
    let (receiver, mut rx) = start_receiver("127.0.0.1:0".parse().unwrap());
    let port = receiver.local_addr().port().to_string();
    let (_dir, dump) = tmp("truth.json");
    // The harness waits for the widget's queue to empty before shutting it down (the widget drops what is still
    // queued when it leaves, by design); the wait ends as soon as it is empty, so a generous bound costs nothing on
    // a quick machine and keeps a loaded one from losing the last frames.
    let mut args = vec![
        "--port", &port, "--frames", frames, "--units", units, "--view", view, "--drain", "30",
        "--dump",
    ];
    let dump_s = dump.to_str().unwrap().to_string();
    args.push(&dump_s);
    args.extend_from_slice(extra);
    let mut h = harness(&args);
    let mut seen = Seen::default();
    seen.run(&mut rx, &mut h);
    let (out, summary) = h.finish();
    seen.take(&mut rx);
    drop(receiver);
    (seen, read_truth(&dump), summary, out)
}

#[test]
fn spectator_model_equals_engine_truth() {
    let (seen, truth, summary, out) = run_view("spectator", "1000", "300", &[]);
    assert!(seen.bad_lines.is_empty(), "bad lines: {:?}", seen.bad_lines);
    assert_eq!(seen.kinds.first(), Some(&"hello"), "hello first");
    assert_eq!(seen.kinds.last(), Some(&"bye"), "bye last");
    assert_eq!(summary["errors"], 0, "widget errors; output:\n{out}");
    let game = seen.feed.game();
    assert!(game.full_view());
    assert_eq!(
        game.seq_gaps, 0,
        "no dropped snapshots with a reading receiver"
    );
    let n = assert_model_equals_truth(game, &truth);
    assert!(n > 900, "units compared: {n}");
    assert_eq!(game.defs.len(), 84, "every unit def in hello");
    assert_eq!(
        game.frame as u64,
        truth["frame"].as_u64().unwrap(),
        "frame; kinds at the end: {:?}; widget output:\n{out}",
        &seen.kinds[seen.kinds.len().saturating_sub(8)..]
    );
    let hud = assert_hud_equals_truth(game, &truth, &[0, 1, 2, 3]);
    assert!(hud > 20, "factories and constructions compared: {hud}");
    // protocol 1.1 player cards from the hello (tests/lua/fake_engine.lua's lobby keys)
    let alice = &game.teams[&0];
    assert_eq!(alice.faction.as_deref(), Some("armada"));
    assert_eq!(
        alice.players.len(),
        1,
        "the spectator on team 0 is not a player"
    );
    assert_eq!(alice.players[0].name, "Alice");
    assert_eq!(alice.players[0].country.as_deref(), Some("DE"));
    assert_eq!(alice.players[0].skill, Some(32.41));
    assert_eq!(
        game.teams[&2].ai.as_ref().map(|a| a.name.as_str()),
        Some("BARbarianAI")
    );
    eprintln!(
        "spectator: {n} units equal; widget cost per frame {}",
        summary["cost_ms"]
    );
}

#[test]
fn fog_of_war_player_versus_spectator() {
    let (spec, spec_truth, _, _) = run_view("spectator", "800", "400", &["--seed", "99"]);
    let (player, player_truth, psum, _) = run_view("player", "800", "400", &["--seed", "99"]);
    assert!(player.bad_lines.is_empty() && spec.bad_lines.is_empty());
    assert_eq!(psum["errors"], 0);
    let s = spec.feed.game();
    let p = player.feed.game();
    let ns = assert_model_equals_truth(s, &spec_truth);
    let np = assert_model_equals_truth(p, &player_truth);
    assert!(!p.full_view() && s.full_view());
    assert!(
        np < ns,
        "a player sees fewer units ({np}) than a full-view spectator ({ns})"
    );
    // enemy resources unreadable for the player, readable for the spectator
    for id in [2u32, 3] {
        assert!(
            p.teams[&id].metal.is_none() && p.teams[&id].energy.is_none(),
            "enemy team {id} economy hidden"
        );
        assert!(s.teams[&id].metal.is_some(), "spectator reads team {id}");
    }
    assert!(p.teams[&1].metal.is_some(), "ally economy readable");
    // protocol 1.1: the HUD's values and production of the own ally team only
    assert_hud_equals_truth(p, &player_truth, &[0, 1]);
    for id in [2u32, 3] {
        let t = &p.teams[&id];
        assert!(
            t.production.is_none() && t.units_killed.is_none() && t.utility_value.is_none(),
            "enemy team {id}: no HUD values for a player"
        );
    }
    let enemies: Vec<_> = p.units.values().filter(|u| u.team >= 2).collect();
    assert!(!enemies.is_empty(), "some enemies in view");
    assert!(
        enemies.iter().any(|u| u.health.is_none()),
        "radar blips without health"
    );
    assert!(
        s.units.values().all(|u| u.health.is_some()),
        "spectator sees every unit's health"
    );
    eprintln!(
        "fog of war: player {np} units ({} enemy), spectator {ns}",
        enemies.len()
    );
}

#[test]
fn hostile_strings_arrive_intact() {
    let (seen, truth, _, _) = run_view("spectator", "50", "30", &["--names", "hostile"]);
    assert!(seen.bad_lines.is_empty(), "bad lines: {:?}", seen.bad_lines);
    let game = seen.feed.game();
    assert_model_equals_truth(game, &truth);
    let names: Vec<&str> = game.teams.values().map(|t| t.name.as_str()).collect();
    assert!(names.contains(&"Al \"the\" \\Builder\\"), "{names:?}");
    assert!(names.contains(&"Bob\t\u{1}\u{1f}\u{7f} ctl\n"), "{names:?}");
    assert!(names.contains(&"Zoë 漢字 ☃ 😀"), "{names:?}");
}

#[test]
fn no_receiver_backs_off_quietly() {
    let mut h = harness(&[
        "--no-receiver",
        "--frames",
        "120",
        "--settle",
        "70",
        "--units",
        "100",
        "--realtime",
        "--progress",
        "30",
    ]);
    while !h.exited() {
        std::thread::sleep(Duration::from_millis(20));
    }
    let (out, summary) = h.finish();
    assert_eq!(summary["errors"], 0, "no widget errors:\n{out}");
    assert_eq!(summary["connections"], 0);
    assert_eq!(summary["state"], "reconnecting");
    let failures = summary["failures"].as_u64().unwrap();
    assert!(
        (2..=3).contains(&failures),
        "about 4 s: attempts at 0, ~1, ~3 s; got {failures}\n{out}"
    );
    let backoff = summary["backoff"].as_f64().unwrap();
    assert!(backoff >= 1.6, "backoff grew: {backoff}");
    assert!(
        out.contains("retrying in"),
        "backoff visible in status text:\n{out}"
    );
    eprintln!("no receiver: {failures} attempts, backoff now {backoff:.2} s");
}

#[test]
fn reconnects_after_receiver_restart() {
    let (r1, mut rx1) = start_receiver("127.0.0.1:0".parse().unwrap());
    let addr = r1.local_addr();
    let port = addr.port().to_string();
    let (_dir, dump) = tmp("truth.json");
    let dump_s = dump.to_str().unwrap().to_string();
    let mut h = harness(&[
        "--port",
        &port,
        "--frames",
        "210",
        "--units",
        "300",
        "--realtime",
        "--dump",
        &dump_s,
        "--progress",
        "30",
    ]);
    let mut first = Seen::default();
    let t0 = Instant::now();
    while t0.elapsed() < Duration::from_millis(1500) {
        first.take(&mut rx1);
        std::thread::sleep(Duration::from_millis(2));
    }
    assert!(
        first.kinds.len() > 10,
        "first receiver got data: {}",
        first.kinds.len()
    );
    assert_eq!(first.kinds[0], "hello");
    drop(r1);
    std::thread::sleep(Duration::from_millis(700));
    let (r2, mut rx2) = start_receiver(addr);
    let mut second = Seen::default();
    second.run(&mut rx2, &mut h);
    let (out, summary) = h.finish();
    second.take(&mut rx2);
    drop(r2);
    assert_eq!(summary["errors"], 0, "{out}");
    assert_eq!(summary["connections"], 2, "{out}");
    assert!(
        second.bad_lines.is_empty(),
        "no partial line after reconnect: {:?}",
        second.bad_lines
    );
    assert_eq!(second.connected, 1);
    assert_eq!(
        second.kinds.first(),
        Some(&"hello"),
        "new connection starts with hello"
    );
    assert_eq!(second.kinds.get(1), Some(&"snapshot"));
    assert_eq!(second.kinds.last(), Some(&"bye"));
    let n = assert_model_equals_truth(second.feed.game(), &read_truth(&dump));
    eprintln!("reconnect: second connection consistent ({n} units)");
}

/// A receiver that accepts and never reads; returns the harness summary.
fn stalled_run(units: &str, frames: &str, queue_kb: &str) -> Value {
    require_lua();
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port().to_string();
    let accept = std::thread::spawn(move || {
        let (sock, _) = listener.accept().unwrap();
        // hold the connection open without reading until the harness is done
        std::thread::sleep(Duration::from_secs(60));
        drop(sock);
    });
    let mut h = harness(&[
        "--port",
        &port,
        "--frames",
        frames,
        "--units",
        units,
        "--queue-kb",
        queue_kb,
        "--drain",
        "0",
        "--realtime",
    ]);
    while !h.exited() {
        std::thread::sleep(Duration::from_millis(10));
    }
    let (_, summary) = h.finish();
    drop(accept); // detached; the process ends with the test binary
    summary
}

#[test]
fn stalled_receiver_keeps_queue_bounded_and_counts_drops() {
    // baseline with a reading receiver, same game, both paced at 30 frames a second like the game
    let (seen, _, base, _) = run_view(
        "spectator",
        "2000",
        "180",
        &["--queue-kb", "512", "--realtime"],
    );
    assert_eq!(
        base["dropped_total"], 0,
        "a reading receiver keeps up at game pace: {base}"
    );
    assert_eq!(seen.feed.game().seq_gaps, 0);
    // 300 frames: the widget sends a standing unit once in 5 game seconds (SCHEMA.md, unit sets), so it takes longer
    // than it did to fill the kernel's buffers and then the queue
    let stalled = stalled_run("2000", "300", "512");
    assert_eq!(stalled["errors"], 0);
    assert_eq!(stalled["connections"], 1);
    assert_eq!(
        stalled["state"], "connected",
        "a slow reader is not a lost connection"
    );
    let dropped = stalled["dropped_total"].as_u64().unwrap();
    assert!(dropped > 0, "drops counted: {stalled}");
    let qmax = stalled["queue_max"].as_u64().unwrap();
    let bound = stalled["queue_bound"].as_u64().unwrap();
    // events (never dropped) may sit above the snapshot bound by a few hundred bytes
    assert!(qmax <= bound + 4096, "queue bounded: {qmax} > {bound}");
    eprintln!(
        "stalled receiver: queue max {qmax} B (bound {bound}), {dropped} snapshots dropped; \
         frame cost ms reading p50/p99/max {}/{}/{} vs stalled {}/{}/{}",
        base["cost_ms"]["p50"],
        base["cost_ms"]["p99"],
        base["cost_ms"]["max"],
        stalled["cost_ms"]["p50"],
        stalled["cost_ms"]["p99"],
        stalled["cost_ms"]["max"]
    );
}

/// `bar-overlay record FILE --until-bye` on an ephemeral port: the child and its port (from its first stderr line).
fn spawn_recorder(file: &std::path::Path) -> (Child, u16) {
    crate::common::spawn_listening(&[
        "record",
        file.to_str().expect("utf8 path"),
        "--until-bye",
        "--port",
        "0",
    ])
}

/// One decision point as a comparable key: what the fake engine reported to the widget, or what `export` wrote.
fn order_key(
    kind: &str,
    frame: i64,
    team: i64,
    unit: i64,
    what: i64,
    how: i64,
    who: i64,
) -> String {
    format!("{kind} frame {frame} team {team} unit {unit} {what} {how} {who}")
}

fn csv_int(row: &csv::StringRecord, col: &HashMap<String, usize>, name: &str) -> i64 {
    let v = &row[col[name]];
    if v.is_empty() {
        return -1;
    }
    v.parse()
        .unwrap_or_else(|_| panic!("{name} = {v:?} in {row:?}"))
}

/// The real widget's decision points end to end: the fake engine gives orders (group moves and fights, factory
/// queues with every modifier, builds started by builders) -> the widget at comprehensive detail -> the real
/// `record` binary over TCP -> the real `export` -> its `commands` table holds every one of them, once.
#[test]
fn decision_points_reach_the_exported_commands_table() {
    let dir = tempfile::tempdir().expect("tempdir");
    let rec = dir.path().join("orders.ndjson");
    let log = dir.path().join("orders_log.json");
    let (mut recorder, port) = spawn_recorder(&rec);
    let port = port.to_string();
    let h = harness(&[
        "--port",
        &port,
        "--frames",
        "600",
        "--units",
        "300",
        "--detail",
        "comprehensive",
        "--orders-log",
        log.to_str().unwrap(),
    ]);
    let (out, summary) = h.finish();
    let deadline = Instant::now() + Duration::from_secs(20);
    while recorder.try_wait().expect("wait record").is_none() {
        assert!(
            Instant::now() < deadline,
            "record did not stop at the widget's bye"
        );
        std::thread::sleep(Duration::from_millis(20));
    }
    assert_eq!(summary["errors"], 0, "widget errors; output:\n{out}");
    assert_eq!(summary["connections"], 1, "one connection throughout");
    assert_eq!(
        summary["orders"], true,
        "orders exported at comprehensive detail"
    );
    assert_eq!(summary["dropped_orders"], 0, "no orders dropped");

    let out_dir = dir.path().join("out");
    let o = Command::new(env!("CARGO_BIN_EXE_bar-overlay"))
        .args([
            "export",
            rec.to_str().unwrap(),
            "--out",
            out_dir.to_str().unwrap(),
            "--format",
            "csv",
        ])
        .output()
        .expect("run export");
    assert!(
        o.status.success(),
        "export: {}",
        String::from_utf8_lossy(&o.stderr)
    );
    let mut r =
        csv::Reader::from_path(out_dir.join("commands").join("orders.csv")).expect("commands csv");
    let col: HashMap<String, usize> = r
        .headers()
        .expect("headers")
        .iter()
        .enumerate()
        .map(|(i, h)| (h.to_owned(), i))
        .collect();
    let rows: Vec<csv::StringRecord> = r.records().map(|x| x.expect("csv row")).collect();

    // What the engine reported, from the first frame after the widget connected.
    let log: Value = serde_json::from_str(&std::fs::read_to_string(&log).expect("orders log"))
        .expect("log json");
    let from = log["from"].as_i64().expect("from");
    let int = |v: &Value| v.as_i64().unwrap_or(-1);
    let mut want: HashMap<String, Vec<Vec<f64>>> = HashMap::new();
    let mut kinds: HashMap<&str, usize> = HashMap::new();
    for o in log["orders"].as_array().expect("orders") {
        let (kind, key) = if o["kind"] == "build_started" {
            (
                "build_started",
                order_key(
                    "build_started",
                    int(&o["frame"]),
                    int(&o["team"]),
                    int(&o["unit"]),
                    int(&o["def"]),
                    int(&o["builder"]),
                    -1,
                ),
            )
        } else if o["factory"] == true {
            // BAR's modifiers: shift 5, ctrl 20, both 100; a right click removes
            let c = int(&o["coded"]);
            let n = if c & 32 != 0 { 5 } else { 1 } * if c & 64 != 0 { 20 } else { 1 };
            let count = if c & 16 != 0 { -n } else { n };
            (
                "factory_queue",
                order_key(
                    "factory_queue",
                    int(&o["frame"]),
                    int(&o["team"]),
                    int(&o["unit"]),
                    -int(&o["cmd"]),
                    count,
                    int(&o["player"]),
                ),
            )
        } else {
            (
                "command",
                order_key(
                    "command",
                    int(&o["frame"]),
                    int(&o["team"]),
                    int(&o["unit"]),
                    int(&o["cmd"]),
                    int(&o["coded"]),
                    int(&o["player"]),
                ),
            )
        };
        *kinds.entry(kind).or_default() += 1;
        let params = o["params"]
            .as_array()
            .map(|a| a.iter().map(f).collect())
            .unwrap_or_default();
        want.entry(key)
            .or_default()
            .push(if kind == "command" { params } else { vec![] });
    }
    for kind in ["command", "build_started", "factory_queue"] {
        assert!(
            kinds.get(kind).copied().unwrap_or(0) > 5,
            "the engine gave {kind}s: {kinds:?}"
        );
    }
    let wanted: usize = want.values().map(Vec::len).sum();

    let mut got = 0;
    for row in &rows {
        // nothing from before the widget was connected (it exports only while connected)
        assert!(
            csv_int(row, &col, "frame") >= from,
            "a row before frame {from}: {row:?}"
        );
        let kind = &row[col["kind"]];
        let (frame, team, unit) = (
            csv_int(row, &col, "frame"),
            csv_int(row, &col, "team_id"),
            csv_int(row, &col, "unit_id"),
        );
        let key = match kind {
            "build_started" => order_key(
                kind,
                frame,
                team,
                unit,
                csv_int(row, &col, "build_def_id"),
                csv_int(row, &col, "builder_id"),
                -1,
            ),
            "factory_queue" => order_key(
                kind,
                frame,
                team,
                unit,
                csv_int(row, &col, "build_def_id"),
                csv_int(row, &col, "count"),
                csv_int(row, &col, "player_id"),
            ),
            "command" => order_key(
                kind,
                frame,
                team,
                unit,
                csv_int(row, &col, "cmd_id"),
                csv_int(row, &col, "options"),
                csv_int(row, &col, "player_id"),
            ),
            other => panic!("unknown kind {other} in {row:?}"),
        };
        let params: Vec<f64> = if kind == "command" {
            serde_json::from_str::<Vec<f64>>(&row[col["params"]]).unwrap_or_default()
        } else {
            vec![]
        };
        let candidates = want
            .get_mut(&key)
            .unwrap_or_else(|| panic!("exported but never given (or twice): {key} {row:?}"));
        let i = candidates
            .iter()
            .position(|p| {
                p.len() == params.len()
                    && p.iter()
                        .zip(&params)
                        .all(|(a, b)| (a - b).abs() <= 0.01 + a.abs() * 1e-6)
            })
            .unwrap_or_else(|| panic!("{key}: params {params:?} not among {candidates:?}"));
        candidates.swap_remove(i);
        got += 1;
    }
    let missing: Vec<&String> = want
        .iter()
        .filter(|(_, v)| !v.is_empty())
        .map(|(k, _)| k)
        .collect();
    assert!(missing.is_empty(), "given but not exported: {missing:?}");
    assert_eq!(got, wanted, "decision points");
    eprintln!("decision points: {wanted} exported ({kinds:?}), from frame {from}");
}
