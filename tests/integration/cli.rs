//! The real binary: record -> summary round trip, replay, listen, and one-line errors with a non-zero exit.

use crate::common;

use bar_overlay::model::Game;
use bar_overlay::protocol::{self, Detail, Parsed};
use bar_overlay::receiver::{Receiver, ReceiverConfig, ReceiverEvent};
use bar_overlay::senders::simulate::{Encoder, World};
use bar_overlay::tools::summary;

use std::process::{Child, Command, Output, Stdio};

const BIN: &str = env!("CARGO_BIN_EXE_bar-overlay");

use common::run;

/// Starts a listening command on port 0 and returns it with the port it printed.
fn spawn_listening(args: &[&str]) -> (Child, u16) {
    common::spawn_listening(&[args, &["--port", "0"]].concat())
}

fn game_from_file(path: &std::path::Path) -> Game {
    let mut g = Game::new();
    for line in std::fs::read_to_string(path).expect("read").lines() {
        if let Ok(Parsed::Message { msg, .. }) = protocol::parse_line(line.as_bytes()) {
            g.apply(msg);
        }
    }
    g
}

#[test]
fn record_then_summary_round_trip() {
    let dir = tempfile::tempdir().expect("tempdir");
    let file = dir.path().join("game.ndjson");
    let file_arg = file.to_str().expect("utf8 path");
    let (recorder, port) = spawn_listening(&["record", file_arg, "--until-bye"]);
    common::simulate_to(
        port,
        &[
            "--speed",
            "max",
            "--seconds",
            "300",
            "--units",
            "300",
            "--seed",
            "5",
        ],
    );
    let out = recorder
        .wait_with_output()
        .expect("recorder exits after bye");
    assert!(out.status.success());

    // The same game straight from the simulator, without TCP or a file in between.
    let mut world = World::new(5, 4, 300, 300.0);
    let mut enc = Encoder::new(Detail::Standard, 30.0, 5);
    let mut direct = Game::new();
    direct.apply(enc.hello(&world));
    let mut sent = 1;
    while world.frame < 300 * 30 {
        world.step();
        direct.apply(enc.snapshot(&mut world));
        sent += 1;
    }
    let recorded = std::fs::read_to_string(&file).expect("recording");
    let snapshots = recorded
        .lines()
        .filter(|l| l.starts_with(r#"{"type":"snapshot""#))
        .count();
    assert_eq!(
        snapshots + 1,
        sent + 1,
        "every snapshot recorded, plus the final full one"
    );
    assert!(
        recorded
            .lines()
            .next()
            .is_some_and(|l| l.starts_with(r#"{"type":"hello""#))
    );
    assert!(
        recorded
            .lines()
            .last()
            .is_some_and(|l| l.starts_with(r#"{"type":"bye""#))
    );

    let json = run(&["summary", file_arg, "--json"]);
    assert!(
        json.status.success(),
        "{}",
        String::from_utf8_lossy(&json.stderr)
    );
    let s: serde_json::Value =
        serde_json::from_slice(&json.stdout).expect("summary --json is JSON");
    let want = summary::from_game(&direct, 1, 0);
    assert_eq!(s["duration_seconds"], 300.0);
    assert_eq!(s["teams"].as_array().map(Vec::len), Some(4));
    for (got, want) in s["teams"]
        .as_array()
        .expect("teams")
        .iter()
        .zip(&want.teams)
    {
        assert_eq!(got["name"], want.name.as_str());
        assert_eq!(got["peak_metal_income"], want.peak_metal_income);
        assert_eq!(
            got["avg_metal_income"].as_f64().map(|v| (v * 1e6).round()),
            Some((want.avg_metal_income * 1e6).round())
        );
        assert_eq!(got["final_army_value"], want.final_army_value);
        assert_eq!(got["peak_army_value"], want.peak_army_value);
        assert_eq!(
            got["built"],
            serde_json::to_value(&want.built).expect("json")
        );
        assert_eq!(got["lost"], serde_json::to_value(&want.lost).expect("json"));
        // Protocol 1.1: the HUD's totals and the player card survive TCP, the file and the summary.
        for key in [
            "damage_dealt",
            "damage_received",
            "units_killed",
            "units_died",
            "metal_produced",
            "energy_produced",
            "metal_used",
            "metal_excess",
        ] {
            assert!(got[key].as_f64().is_some(), "{key} in {got}");
        }
        assert_eq!(got["damage_dealt"].as_f64(), want.hud.damage_dealt);
        assert_eq!(
            got["units_killed"].as_u64(),
            want.hud.units_killed.map(u64::from)
        );
        assert_eq!(got["metal_produced"].as_f64(), want.hud.metal_produced);
        assert_eq!(
            got["damage_efficiency"].as_f64().map(|v| (v * 1e6).round()),
            want.hud.damage_efficiency.map(|v| (v * 1e6).round())
        );
        assert_eq!(
            got["player"]["country"].as_str(),
            want.player.as_ref().and_then(|p| p.country.as_deref())
        );
        assert_eq!(got["faction"].as_str(), want.faction.as_deref());
    }
    let killed: u64 = s["teams"]
        .as_array()
        .expect("teams")
        .iter()
        .filter_map(|t| t["units_killed"].as_u64())
        .sum();
    let died: u64 = s["teams"]
        .as_array()
        .expect("teams")
        .iter()
        .filter_map(|t| t["units_died"].as_u64())
        .sum();
    assert!(
        killed > 0 && killed == died,
        "every kill is someone's loss: {killed} killed, {died} died"
    );
    assert!(
        s["winners"].as_array().is_some_and(|w| w.len() == 1),
        "game_over names a winner"
    );
    let table = run(&["summary", file_arg]);
    let text = String::from_utf8_lossy(&table.stdout);
    assert!(
        text.contains("Simulated Isthmus (seed 5) | 5:00 of game")
            && text.contains("(won)")
            && text.contains("dmg dealt")
            && text.contains("eff %"),
        "{text}"
    );

    // replay sends the recording back out; a receiver ends with the same game.
    let (rx_handle, mut rx) = Receiver::start(
        ReceiverConfig::new("127.0.0.1:0".parse().expect("addr")),
        || {},
    )
    .expect("receiver");
    let to = rx_handle.local_addr().to_string();
    // Drain while it sends: a receiver that is not read pushes back on the sender, as it should.
    let replay = Command::new(BIN)
        .args(["replay", file_arg, "--to", &to, "--speed", "max"])
        .stdout(Stdio::null())
        .spawn()
        .expect("replay");
    let mut feed = bar_overlay::model::Feed::new();
    common::events_until(&mut rx, 60, |e| {
        matches!(e.last(), Some(ReceiverEvent::Disconnected { .. }))
    })
    .into_iter()
    .for_each(|e| feed.handle(e));
    assert!(
        replay
            .wait_with_output()
            .expect("replay exits")
            .status
            .success()
    );
    let from_file = game_from_file(&file);
    assert_eq!(feed.game().units, from_file.units);
    assert_eq!(feed.game().frame, from_file.frame);
    assert_eq!(feed.stats().bad_lines, 0);
}

#[test]
fn listen_prints_a_status_line_a_second() {
    let (mut listener, port) = spawn_listening(&["listen", "--seconds", "3"]);
    common::simulate_to(
        port,
        &["--speed", "10", "--seconds", "20", "--units", "100"],
    );
    let out = listener.wait().expect("listen exits");
    assert!(out.success());
    let mut stdout = String::new();
    std::io::Read::read_to_string(listener.stdout.as_mut().expect("stdout"), &mut stdout)
        .expect("read");
    let lines: Vec<&str> = stdout.lines().collect();
    assert!(lines.len() >= 2, "{stdout}");
    assert!(
        lines
            .iter()
            .any(|l| l.contains("msg/s") && l.contains("teams 4") && !l.contains("units 0 ")),
        "{stdout}"
    );
}

fn assert_one_line_error(out: &Output, code: i32, want: &str) {
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(code), "stderr: {err}");
    assert!(err.contains(want), "stderr: {err}");
    assert!(
        !err.contains("panicked") && !err.contains("RUST_BACKTRACE"),
        "stderr: {err}"
    );
}

#[test]
fn errors_are_one_clear_line_and_a_non_zero_exit() {
    let held = std::net::TcpListener::bind("127.0.0.1:0").expect("bind");
    let port = held.local_addr().expect("addr").port().to_string();
    let out = run(&["listen", "--port", &port, "--seconds", "1"]);
    assert_one_line_error(&out, 1, "already in use");
    assert_eq!(String::from_utf8_lossy(&out.stderr).lines().count(), 1);

    assert_one_line_error(
        &run(&["summary", "/nonexistent/game.ndjson"]),
        1,
        "cannot read /nonexistent/game.ndjson",
    );
    let dir = tempfile::tempdir().expect("tempdir");
    let junk = dir.path().join("junk.ndjson");
    std::fs::write(&junk, "hello world\n\u{0}\u{1}\n").expect("write");
    assert_one_line_error(
        &run(&["summary", junk.to_str().expect("utf8")]),
        1,
        "holds no protocol v1 messages",
    );
    assert_one_line_error(
        &run(&["record", "/nonexistent/dir/x.ndjson", "--port", "0"]),
        1,
        "cannot open",
    );
    assert_one_line_error(
        &run(&["simulate", "--rate", "99"]),
        1,
        "--rate must be between 1 and 30",
    );
    assert_one_line_error(
        &run(&["simulate", "--to", "no-such-host.invalid:1"]),
        1,
        "no-such-host.invalid:1",
    );
    assert_one_line_error(
        &run(&["simulate", "--speed", "fast"]),
        2,
        "speed must be a positive number or `max`",
    );
    assert_one_line_error(&run(&["listen", "--port", "99999"]), 2, "invalid value");
}

#[test]
fn a_killed_recorder_loses_at_most_the_last_second() {
    let dir = tempfile::tempdir().expect("tempdir");
    let file = dir.path().join("crash.ndjson");
    let (mut recorder, port) = spawn_listening(&["record", file.to_str().expect("utf8")]);
    let to = format!("127.0.0.1:{port}");
    let mut sim = Command::new(BIN)
        .args([
            "simulate",
            "--to",
            &to,
            "--speed",
            "1",
            "--seconds",
            "60",
            "--units",
            "50",
            "--rate",
            "10",
        ])
        .stdout(Stdio::null())
        .spawn()
        .expect("simulate");
    std::thread::sleep(std::time::Duration::from_millis(3500));
    recorder.kill().expect("SIGKILL the recorder"); // no chance to flush: only what was flushed survives
    let _ = recorder.wait();
    let _ = sim.kill();
    let _ = sim.wait();
    let text = std::fs::read_to_string(&file).expect("recording");
    let frames: Vec<u32> = text
        .lines()
        .filter_map(|l| match protocol::parse_line(l.as_bytes()) {
            Ok(Parsed::Message { msg, .. }) => msg.game_frame(),
            other => panic!("a torn or invalid line in the file: {other:?}"),
        })
        .collect();
    let last = frames.iter().max().copied().unwrap_or(0);
    // About 3.5 s of game were sent; flushed once a second, at least the first ~2 s must be on disk.
    assert!(last >= 60, "only {last} frames survived the crash");
    assert!(text.starts_with(r#"{"type":"hello""#));
}

#[test]
fn replay_keeps_the_recorded_game_time() {
    let dir = tempfile::tempdir().expect("tempdir");
    let file = dir.path().join("paced.ndjson");
    let mut world = World::new(9, 2, 40, 30.0);
    let mut enc = Encoder::new(Detail::Minimal, 10.0, 9);
    let mut text = String::from_utf8(protocol::encode_line(&enc.hello(&world))).expect("utf8");
    while world.frame < 30 * 30 {
        world.step();
        if world.frame.is_multiple_of(3) {
            text += std::str::from_utf8(&protocol::encode_line(&enc.snapshot(&mut world)))
                .expect("utf8");
        }
    }
    std::fs::write(&file, text).expect("write");
    let (rx_handle, mut rx) = Receiver::start(
        ReceiverConfig::new("127.0.0.1:0".parse().expect("addr")),
        || {},
    )
    .expect("receiver");
    let to = rx_handle.local_addr().to_string();
    let started = std::time::Instant::now();
    let out = run(&[
        "replay",
        file.to_str().expect("utf8"),
        "--to",
        &to,
        "--speed",
        "10",
    ]);
    let took = started.elapsed();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    // 30 s of game at 10x: at least 3 s (sleeps never end early); the upper bound is generous for a loaded machine.
    assert!(
        took.as_secs_f64() >= 2.9,
        "replayed 30 s of game at 10x in {took:?}"
    );
    assert!(took.as_secs_f64() < 20.0, "replay took {took:?}");
    let evs = common::events_until(&mut rx, 10, |e| {
        matches!(e.last(), Some(ReceiverEvent::Disconnected { .. }))
    });
    let snapshots = evs
        .iter()
        .filter(|e| matches!(e, ReceiverEvent::Message { msg, .. } if msg.kind() == "snapshot"))
        .count();
    assert_eq!(snapshots, 300);
}

#[test]
fn simulate_start_at_sends_the_past_at_once_then_plays_in_real_time() {
    let dir = tempfile::tempdir().expect("tempdir");
    let file = dir.path().join("game.ndjson");
    let (recorder, port) =
        spawn_listening(&["record", file.to_str().expect("utf8"), "--until-bye"]);
    let started = std::time::Instant::now();
    common::simulate_to(
        port,
        &["--seconds", "243", "--start-at", "240", "--units", "200"],
    );
    let took = started.elapsed();
    assert!(
        recorder
            .wait_with_output()
            .expect("recorder")
            .status
            .success()
    );
    let frames: Vec<u32> = std::fs::read_to_string(&file)
        .expect("recording")
        .lines()
        .filter_map(|l| match protocol::parse_line(l.as_bytes()) {
            Ok(Parsed::Message {
                msg: protocol::Message::Snapshot(s),
                ..
            }) => Some(s.game_frame),
            _ => None,
        })
        .collect();
    let (past, live): (Vec<u32>, Vec<u32>) = frames.iter().partition(|f| **f <= 240 * 30);
    // The past: one snapshot a game second (the model's history); then the live part at 30 a second.
    assert_eq!(past.len(), 240, "{past:?}");
    assert!(past.iter().all(|f| f % 30 == 0));
    // ... and the final state once more at game over.
    assert_eq!(live.len(), 3 * 30 + 1);
    assert_eq!(frames.last(), Some(&(243 * 30)));
    // 240 s of game arrive at once; the last 3 s are paced in real time.
    assert!(
        took >= std::time::Duration::from_millis(2900)
            && took < std::time::Duration::from_secs(120),
        "{took:?}"
    );
}

/// A widget's two-PC token never reaches a recording (recordings get shared): the hello is recorded without it.
#[test]
fn record_keeps_the_token_out_of_the_file() {
    let dir = tempfile::tempdir().expect("tempdir");
    let file = dir.path().join("game.ndjson");
    let (recorder, port) =
        spawn_listening(&["record", file.to_str().expect("utf8"), "--until-bye"]);
    common::simulate_to(
        port,
        &[
            "--speed",
            "max",
            "--seconds",
            "5",
            "--token",
            "blue-otter-42",
        ],
    );
    let out = recorder
        .wait_with_output()
        .expect("recorder exits after bye");
    assert!(out.status.success());
    let recorded = std::fs::read_to_string(&file).expect("recording");
    let hello = recorded.lines().next().expect("a line");
    assert!(hello.starts_with(r#"{"type":"hello""#), "{hello:.200}");
    assert!(
        !recorded.contains("blue-otter"),
        "the token is not recorded"
    );
    assert!(!recorded.contains(r#""token""#));
    assert!(
        game_from_file(&file).info.is_some(),
        "the hello still describes the game"
    );
}

/// `record --until-bye --report` leaves the page beside the recording; `report` over a folder writes a page per game
/// and an index listing them (map, duration, winner, players), a cut recording's winner as unknown.
#[test]
fn record_report_and_a_folder_of_games_with_an_index() {
    let dir = tempfile::tempdir().expect("tempdir");
    let games = dir.path().join("season");
    std::fs::create_dir_all(&games).expect("games dir");
    let file = games.join("final.ndjson");
    let (recorder, port) = spawn_listening(&[
        "record",
        file.to_str().expect("utf8"),
        "--until-bye",
        "--report",
    ]);
    common::simulate_to(
        port,
        &[
            "--speed",
            "max",
            "--seconds",
            "120",
            "--units",
            "200",
            "--seed",
            "9",
        ],
    );
    let out = recorder.wait_with_output().expect("recorder");
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "{err}");
    let page = games.join("final.html");
    let html = std::fs::read_to_string(&page).expect("record --report wrote final.html");
    assert!(html.contains("id=\"report-data\"") && html.contains("won by"));

    // A second game, cut in half; and a file that is no recording at all.
    let text = std::fs::read(&file).expect("recording");
    std::fs::write(games.join("semi.ndjson"), &text[..text.len() / 2]).expect("write semi");
    std::fs::write(games.join("notes.ndjson"), "hello there\n").expect("write notes");
    // A recorder left running over two games: a page each.
    std::fs::write(games.join("double.ndjson"), [&text[..], &text[..]].concat())
        .expect("write double");
    let site = dir.path().join("site");
    let r = run(&[
        "report",
        games.to_str().expect("utf8"),
        "-o",
        site.to_str().expect("utf8"),
    ]);
    let err = String::from_utf8_lossy(&r.stderr);
    assert!(
        !r.status.success(),
        "one recording failed, and the status says so"
    );
    assert!(
        err.contains("notes.ndjson holds no protocol v1 messages"),
        "the bad file is named: {err}"
    );
    let index = std::fs::read_to_string(site.join("index.html")).expect("index.html");
    for want in [
        "final.ndjson",
        "semi.ndjson",
        "Simulated",
        "2:00",
        "unknown",
        "href=\"final.html\"",
        "href=\"semi.html\"",
    ] {
        assert!(index.contains(want), "the index shows {want}: {index}");
    }
    let summary = summary::summarize(&file).expect("summary");
    for t in &summary.teams {
        let name = t
            .player
            .as_ref()
            .map_or(t.name.as_str(), |p| p.name.as_str());
        let shown = name.replace('"', "&quot;");
        assert!(index.contains(&shown), "the index lists {name}");
    }
    let winner = summary
        .teams
        .iter()
        .find(|t| t.won == Some(true))
        .expect("a winner");
    assert!(index.contains(&winner.name.replace('"', "&quot;")));
    assert!(site.join("final.html").is_file() && site.join("semi.html").is_file());
    for page in ["double.html", "double-g2.html"] {
        let html =
            std::fs::read_to_string(site.join(page)).expect("a page per game of double.ndjson");
        assert!(
            html.contains("The file holds several games"),
            "{page} says so"
        );
        assert!(
            index.contains(&format!("href=\"{page}\"")),
            "the index links {page}"
        );
    }
}

/// The report of an anonymous game (hello 1.4) says so and names no player.
#[test]
fn summary_of_an_anonymous_game_names_no_player() {
    let dir = tempfile::tempdir().expect("tempdir");
    let file = dir.path().join("anon.ndjson");
    let data = |f: &str| {
        std::fs::read_to_string(
            std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
                .join("tests/data")
                .join(f),
        )
        .expect("golden file")
    };
    std::fs::write(
        &file,
        data("hello_anonymous.ndjson") + &data("snapshot_v1_1.ndjson"),
    )
    .expect("write");
    let out = run(&["summary", file.to_str().expect("utf-8 path")]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let table = String::from_utf8_lossy(&out.stdout);
    assert!(table.contains("anonymous game (local)"), "{table}");
    assert!(table.contains("Anonymous 1"), "{table}");
    for name in ["Alice", "Zoë", "Carl"] {
        assert!(!table.contains(name), "{name} in {table}");
    }
}
