//! `serve` over real HTTP (no browser here; web_browser.rs drives Chromium): every route, unknown routes,
//! `/api/state` following the feed, tokens, the LAN-without-token refusal, custom.css, and a client that stops
//! reading.

use crate::common;

use common::serve::{self, Serve, get};
use std::io::{Read, Write};
use std::net::TcpStream;
use std::process::Command;
use std::time::{Duration, Instant};

#[test]
fn every_route_answers_and_unknown_routes_are_404() {
    let css = tempfile::NamedTempFile::new().expect("css file");
    std::fs::write(css.path(), ".bar-panel { border-color: red; }").expect("write css");
    let css_arg = css.path().to_string_lossy().into_owned();
    let srv = Serve::start(&["--css", &css_arg]);
    let mut sim = srv.simulate(60, "2", 4);
    let s = serve::wait_state(srv.web, None, 30, |s| {
        s["game_seconds"].as_f64().unwrap_or(0.0) > 3.0
    });
    assert_eq!(s["teams"].as_array().map(Vec::len), Some(4), "{s}");
    assert_eq!(s["status"]["link"], "live");
    assert!(
        s["teams"][0]["color"]
            .as_str()
            .is_some_and(|c| c.starts_with('#'))
    );
    for page in ["/", "/scoreboard", "/graphs", "/army", "/status"] {
        let (status, head, body) = get(srv.web, page);
        assert_eq!(status, 200, "{page}");
        assert!(
            head.to_ascii_lowercase().contains("text/html"),
            "{page}: {head}"
        );
        assert!(
            body.contains("/overlay.js") && body.contains("bar-page"),
            "{page}"
        );
    }
    let (_, _, all) = get(srv.web, "/");
    for panel in ["status", "scoreboard", "graphs", "army"] {
        assert!(
            all.contains(&format!("data-panel=\"{panel}\"")),
            "/ has {panel}"
        );
    }
    let (_, _, one) = get(srv.web, "/army");
    assert!(one.contains("data-panel=\"army\"") && !one.contains("data-panel=\"graphs\""));
    for (path, kind) in [
        ("/overlay.js", "javascript"),
        ("/overlay.css", "text/css"),
        ("/custom.css", "text/css"),
        ("/api/series", "json"),
    ] {
        let (status, head, _) = get(srv.web, path);
        assert_eq!(status, 200, "{path}");
        assert!(head.contains(kind), "{path}: {head}");
    }
    let (_, _, custom) = get(srv.web, "/custom.css");
    assert!(custom.contains("border-color: red"));
    // Edited while running: the next request has it, and the state says to reload it.
    let before = serve::state(srv.web, None)["css_version"].as_u64();
    std::thread::sleep(Duration::from_millis(1100));
    std::fs::write(css.path(), ".bar-panel { border-color: blue; }").expect("rewrite css");
    let (_, _, custom) = get(srv.web, "/custom.css");
    assert!(custom.contains("border-color: blue"));
    serve::wait_state(srv.web, None, 5, |s| s["css_version"].as_u64() != before);
    for path in [
        "/nope",
        "/api",
        "/api/nope",
        "/scoreboard/x",
        "/../etc/passwd",
    ] {
        let (status, _, _) = get(srv.web, path);
        assert_eq!(status, 404, "{path}");
    }
    // The SSE stream: its first event carries the state and the graphs.
    let mut s = TcpStream::connect(("127.0.0.1", srv.web)).expect("connect");
    write!(s, "GET /api/stream HTTP/1.1\r\nHost: x\r\n\r\n").expect("request");
    s.set_read_timeout(Some(Duration::from_secs(5)))
        .expect("timeout");
    let mut got = String::new();
    let mut buf = [0u8; 65536];
    while !(got.contains("\"series\":") && got.contains("\n\n")) {
        let n = s.read(&mut buf).expect("stream");
        assert!(n > 0, "stream closed: {got:.300}");
        got.push_str(&String::from_utf8_lossy(&buf[..n]));
    }
    assert!(got.contains("text/event-stream") && got.contains("event: update"));
    let _ = sim.kill();
    let _ = sim.wait();
}

#[test]
fn tokens_are_required_when_set_and_a_lan_bind_needs_one() {
    let srv = Serve::start(&["--token", "s3cret"]);
    for path in [
        "/",
        "/scoreboard",
        "/api/state",
        "/api/stream",
        "/custom.css",
    ] {
        let (status, _, body) = get(srv.web, path);
        assert_eq!(status, 401, "{path} without a token");
        assert!(!body.contains("game_seconds"));
        let (status, _, _) = get(srv.web, &format!("{path}?token=wrong"));
        assert_eq!(status, 401, "{path} with a wrong token");
    }
    let (status, _, _) = get(srv.web, "/scoreboard?token=s3cret");
    assert_eq!(status, 200);
    let (status, _, _) = get(srv.web, "/api/state?flip=1&token=s3cret");
    assert_eq!(status, 200);
    // The script and the style hold nothing of the game: a page can load them without repeating the token.
    assert_eq!(get(srv.web, "/overlay.js").0, 200);
    let deadline = Instant::now() + Duration::from_secs(5);
    while !srv.log().contains("wrong token") && Instant::now() < deadline {
        std::thread::sleep(Duration::from_millis(50));
    }
    let log = srv.log();
    assert!(
        log.lines()
            .any(|l| l.contains("web: refused 127.0.0.1:") && l.contains("missing token")),
        "{log}"
    );
    assert!(log.contains("wrong token"), "{log}");

    let out = Command::new(serve::BIN)
        .args([
            "serve",
            "--bind",
            "0.0.0.0",
            "--port",
            "0",
            "--web-port",
            "0",
        ])
        .output()
        .expect("serve");
    assert!(!out.status.success());
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(err.trim().lines().count(), 1, "one line: {err}");
    assert!(
        err.contains("without a token") && err.contains("--token"),
        "{err}"
    );
}

#[test]
fn a_page_client_that_stops_reading_is_dropped() {
    let srv = Serve::start(&[]);
    let mut sim = srv.simulate(120, "4", 16);
    serve::wait_state(srv.web, None, 30, |s| {
        s["game_seconds"].as_f64().unwrap_or(0.0) > 1.0
    });
    // A small receive buffer so the server's writes back up within seconds, then never read.
    let sock =
        socket2::Socket::new(socket2::Domain::IPV4, socket2::Type::STREAM, None).expect("socket");
    sock.set_recv_buffer_size(4096).expect("rcvbuf");
    let addr: std::net::SocketAddr = ([127, 0, 0, 1], srv.web).into();
    sock.connect(&addr.into()).expect("connect");
    let mut stuck: TcpStream = sock.into();
    write!(stuck, "GET /api/stream HTTP/1.1\r\nHost: x\r\n\r\n").expect("request");
    let rss = |pid: u32| -> u64 {
        std::fs::read_to_string(format!("/proc/{pid}/status"))
            .ok()
            .and_then(|s| {
                s.lines()
                    .find(|l| l.starts_with("VmRSS:"))
                    .and_then(|l| l.split_whitespace().nth(1)?.parse().ok())
            })
            .unwrap_or(0)
    };
    std::thread::sleep(Duration::from_secs(3));
    let rss_early = rss(srv.pid());
    let deadline = Instant::now() + Duration::from_secs(60);
    while !srv.log().contains("dropped: it read nothing") {
        assert!(Instant::now() < deadline, "never dropped: {}", srv.log());
        std::thread::sleep(Duration::from_millis(200));
    }
    let rss_late = rss(srv.pid());
    println!(
        "serve RSS with a stuck client: {rss_early} KB after 3 s, {rss_late} KB when it was dropped"
    );
    assert!(
        rss_late < rss_early + 16 * 1024,
        "memory grew while the client was stuck: {rss_early} -> {rss_late} KB"
    );
    // What it can still read ends instead of waiting forever.
    stuck
        .set_read_timeout(Some(Duration::from_secs(10)))
        .expect("timeout");
    let mut buf = vec![0u8; 1 << 16];
    loop {
        match stuck.read(&mut buf) {
            Ok(0) => break,
            Ok(_) => {}
            Err(e) if e.kind() == std::io::ErrorKind::ConnectionReset => break,
            Err(e) => panic!("the stuck client is still connected: {e}"),
        }
    }
    // And the server still serves everyone else.
    assert_eq!(get(srv.web, "/api/state").0, 200);
    let _ = sim.kill();
    let _ = sim.wait();
}

/// BAR's anonymous mode (hello 1.4), sent over TCP as a spectator's widget sends it: `/api/state` says the game is
/// anonymous and names no player (teams `Anonymous N`, no cards; the AI team keeps its AI's name).
#[test]
fn an_anonymous_game_names_no_player_on_the_pages() {
    let srv = Serve::start(&[]);
    let mut game = TcpStream::connect(("127.0.0.1", srv.port)).expect("connect");
    for f in ["hello_anonymous.ndjson", "snapshot_v1_1.ndjson"] {
        game.write_all(common::data(f).as_bytes()).expect("send");
    }
    let s = serve::wait_state(srv.web, None, 20, |s| {
        s["teams"].as_array().is_some_and(|ts| ts.len() == 4)
    });
    assert_eq!(s["status"]["anonymous"], "local", "{s}");
    let text = s.to_string();
    for name in ["Alice", "Zo\\u00eb", "Zoë", "Carl", "\"DE\""] {
        assert!(!text.contains(name), "{name} in {text}");
    }
    let names: Vec<&str> = s["teams"]
        .as_array()
        .expect("teams")
        .iter()
        .filter_map(|t| t["name"].as_str())
        .collect();
    assert_eq!(
        names,
        [
            "Anonymous 1",
            "Anonymous 2",
            "BARbarianAI(3)",
            "Anonymous 4"
        ]
    );
}

/// Protocol 1.1 on the pages: `/api/state` carries the cards, the Spectator HUD's values and production, and the
/// production and player-card pages answer.
#[test]
fn state_carries_the_hud_values_cards_and_production() {
    let srv = Serve::start(&[]);
    let mut sim = srv.simulate(300, "10", 6);
    let s = serve::wait_state(srv.web, None, 60, |s| {
        s["teams"].as_array().is_some_and(|ts| {
            ts.len() == 6
                && ts
                    .iter()
                    .all(|t| t["production"].is_object() && t["damage_efficiency"].is_number())
        })
    });
    let teams = s["teams"].as_array().expect("teams");
    assert_eq!(teams.len(), 6);
    for t in teams {
        let p = &t["player"];
        assert!(p["name"].is_string(), "{t}");
        if t["is_ai"] == true {
            assert_eq!(p["status"], "ai", "{t}");
        } else {
            assert!(p["country"].as_str().is_some_and(|c| c.len() == 2), "{t}");
            assert!(p["skill"].is_number(), "{t}");
        }
        assert!(t["faction"].is_string());
        for key in [
            "metal_produced",
            "energy_produced",
            "units_killed",
            "units_died",
        ] {
            assert!(t[key].is_number(), "{key} in {t}");
        }
        let prod = &t["production"];
        assert!(prod["idle_builders"].is_u64(), "{prod}");
        for f in prod["factories"].as_array().expect("factories") {
            assert!(f["factory"].as_str().is_some_and(|n| n != "?"), "{f}");
        }
        for c in prod["constructing"].as_array().expect("constructing") {
            assert!(c["name"].as_str().is_some_and(|n| n != "?"), "{c}");
            assert!((0.0..=1.0).contains(&c["progress"].as_f64().unwrap_or(-1.0)));
        }
    }
    assert!(
        teams.iter().any(|t| t["is_ai"] == true),
        "every fifth team of the simulator is an AI"
    );
    for (page, panel) in [("/production", "production"), ("/players", "players")] {
        let (status, _, body) = get(srv.web, page);
        assert_eq!(status, 200, "{page}");
        assert!(body.contains(&format!("data-panel=\"{panel}\"")), "{page}");
    }
    let (_, _, all) = get(srv.web, "/");
    assert!(
        !all.contains("data-panel=\"production\""),
        "production has its own page only"
    );
    let _ = sim.kill();
    let _ = sim.wait();
}

/// Broadcast names on the pages of `serve`: a renamed player and a named side.
#[test]
fn serve_renames_players_and_sides() {
    let srv = Serve::start(&[
        "--rename",
        "Zenit=Zenit [TL]",
        "--side-name",
        "2=Team Liquid",
    ]);
    let mut sim = srv.simulate(60, "2", 2);
    let s = serve::wait_state(srv.web, None, 30, |s| {
        s["teams"].as_array().is_some_and(|ts| ts.len() == 2)
    });
    assert_eq!(s["teams"][0]["name"], "Zenit [TL]", "{s}");
    assert_eq!(s["teams"][0]["player"]["name"], "Zenit [TL]");
    assert_eq!(s["teams"][1]["name"], "Nyx");
    assert_eq!(s["sides"][0]["name"], "Side 1");
    assert_eq!(s["sides"][1]["name"], "Team Liquid");
    let _ = sim.kill();
    let _ = sim.wait();
}

/// Two PCs: with a token, a game whose hello lacks it (or has another) is refused with one log line and nothing of it
/// reaches the model; the right one gets in.
#[test]
fn a_game_without_the_token_is_refused_and_nothing_of_it_reaches_the_model() {
    let srv = Serve::start(&["--token", "blue-otter-42"]);
    let to = format!("127.0.0.1:{}", srv.port);
    for token in [None, Some("red-fox")] {
        let mut args = vec!["simulate", "--to", &to, "--seconds", "5", "--speed", "max"];
        if let Some(t) = token {
            args.extend(["--token", t]);
        }
        // simulate reconnects when it is dropped; a few seconds is enough to be refused many times.
        let mut sim = Command::new(serve::BIN)
            .args(&args)
            .stdout(std::process::Stdio::null())
            .stderr(std::process::Stdio::null())
            .spawn()
            .expect("simulate");
        std::thread::sleep(Duration::from_secs(2));
        let _ = sim.kill();
        let _ = sim.wait();
    }
    let s = serve::state(srv.web, Some("blue-otter-42"));
    assert_eq!(
        s["status"]["link"], "waiting",
        "nothing reached the model: {s}"
    );
    assert_eq!(s["teams"].as_array().map(Vec::len), Some(0), "{s}");
    let log = srv.log();
    assert!(
        log.lines()
            .any(|l| l.contains("receiver: refused 127.0.0.1:") && l.contains("missing token")),
        "{log}"
    );
    assert!(log.contains("wrong token in its hello"), "{log}");
    let mut sim = Command::new(serve::BIN)
        .args([
            "simulate",
            "--to",
            &to,
            "--seconds",
            "60",
            "--token",
            "blue-otter-42",
        ])
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .spawn()
        .expect("simulate");
    let s = serve::wait_state(srv.web, Some("blue-otter-42"), 30, |s| {
        s["status"]["link"] == "live" && s["teams"].as_array().is_some_and(|t| t.len() == 4)
    });
    assert!(
        !s.to_string().contains("blue-otter"),
        "the token is not served back"
    );
    let _ = sim.kill();
    let _ = sim.wait();
}

/// `replay --token`: every hello of the recording goes out with the given token in place of its own. A recording
/// made with another token (hello_token.ndjson carries "blue-otter-42") is refused as it is, and gets in with ours.
#[test]
fn replay_sends_its_token_in_place_of_the_recordings() {
    let dir = tempfile::tempdir().expect("tempdir");
    let rec = dir.path().join("game.ndjson");
    let data = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/data");
    let mut text = String::new();
    for f in ["hello_token.ndjson", "snapshot_full.ndjson"] {
        text.push_str(&std::fs::read_to_string(data.join(f)).expect("golden file"));
    }
    std::fs::write(&rec, text).expect("write recording");
    let srv = Serve::start(&["--token", "red-fox"]);
    let to = format!("127.0.0.1:{}", srv.port);
    let replay = |token: Option<&str>| {
        let mut args = vec!["replay", rec.to_str().expect("path"), "--to", &to];
        args.extend(["--speed", "max"]);
        if let Some(t) = token {
            args.extend(["--token", t]);
        }
        let out = Command::new(serve::BIN)
            .args(&args)
            .output()
            .expect("replay");
        assert!(out.status.success(), "{out:?}");
    };
    replay(None);
    let deadline = Instant::now() + Duration::from_secs(10);
    while !srv.log().contains("wrong token in its hello") && Instant::now() < deadline {
        std::thread::sleep(Duration::from_millis(50));
    }
    assert!(
        srv.log().contains("wrong token in its hello"),
        "{}",
        srv.log()
    );
    let s = serve::state(srv.web, Some("red-fox"));
    assert_eq!(s["teams"].as_array().map(Vec::len), Some(0), "refused: {s}");
    replay(Some("red-fox"));
    let s = serve::wait_state(srv.web, Some("red-fox"), 10, |s| {
        s["teams"].as_array().is_some_and(|t| !t.is_empty())
    });
    assert!(
        !s.to_string().contains("red-fox"),
        "the token is not served back"
    );
}

/// With a delay, `/api/state` says how much is held back and that nothing was shown early, and shows none of it yet.
#[test]
fn the_state_counts_what_the_delay_holds_back() {
    let srv = Serve::start(&["--delay", "600"]);
    let mut sim = srv.simulate(20, "max", 4);
    let s = serve::wait_state(srv.web, None, 30, |s| {
        s["status"]["delay_queued"]
            .as_u64()
            .is_some_and(|n| n > 100)
    });
    assert_eq!(s["status"]["delay_early"], 0, "{}", s["status"]);
    assert_eq!(s["game_seconds"], 0.0, "nothing shown before it is due");
    assert_eq!(s["status"]["delay_label"], "DELAYED 10:00");
    let _ = sim.kill();
    let _ = sim.wait();
    let srv = Serve::start(&[]);
    let s = serve::state(srv.web, None);
    assert!(
        s["status"].get("delay_queued").is_none(),
        "only with a delay: {}",
        s["status"]
    );
}
