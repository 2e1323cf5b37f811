//! The pages in a real browser (headless Chromium over DevTools) against `serve` fed by a real game over TCP: every
//! route drawn, transparent outside its panels, in team colors, flipped; the page clock following the feed (latency
//! measured) and lagging it by the delay; pages recovering when the game and the server restart; tokens.
//! Screenshots land in target/web-shots/ to look at.

use crate::common;

use bar_overlay::protocol::{self, Detail};
use bar_overlay::senders::simulate::{Encoder, World};
use common::browser::{Browser, Shot};
use common::serve::{self, Serve};
use serde_json::Value;
use std::io::Write;
use std::net::TcpStream;
use std::path::PathBuf;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

fn shots() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("target/web-shots")
}

/// Panel rectangles on the page: [left, top, right, bottom].
fn panel_rects(b: &mut Browser) -> Vec<[f64; 4]> {
    let v = b.eval(
        "[...document.querySelectorAll('.bar-panel')].map(e => { const r = e.getBoundingClientRect(); \
         return [r.left, r.top, r.right, r.bottom]; })",
    );
    v.as_array()
        .expect("rects")
        .iter()
        .map(|r| {
            let n = |i: usize| r[i].as_f64().unwrap_or(0.0);
            [n(0), n(1), n(2), n(3)]
        })
        .collect()
}

/// Every pixel on a 20 px grid outside the panels (and their shadows' few pixels) is fully transparent; the panels
/// themselves are not.
fn assert_transparent_outside(shot: &Shot, rects: &[[f64; 4]], what: &str) {
    let inside = |x: f64, y: f64, m: f64| {
        rects
            .iter()
            .any(|r| x >= r[0] - m && x <= r[2] + m && y >= r[1] - m && y <= r[3] + m)
    };
    let mut outside = 0;
    for y in (0..shot.height).step_by(20) {
        for x in (0..shot.width).step_by(20) {
            if !inside(x as f64, y as f64, 4.0) {
                outside += 1;
                assert_eq!(
                    shot.alpha(x, y),
                    0,
                    "{what}: pixel {x},{y} outside the panels is not transparent"
                );
            }
        }
    }
    assert!(
        outside > 100,
        "{what}: the check saw the page outside the panels"
    );
    for r in rects {
        let (x, y) = (((r[0] + r[2]) / 2.0) as usize, (r[1] + 6.0) as usize);
        assert!(
            shot.alpha(x, y) > 100,
            "{what}: the panel at {r:?} is drawn"
        );
    }
}

fn rgb_css(hex: &str) -> String {
    let c = |i: usize| u8::from_str_radix(&hex[i..i + 2], 16).unwrap_or(0);
    format!("rgb({}, {}, {})", c(1), c(3), c(5))
}

#[test]
fn every_route_is_drawn_transparent_in_team_colors_and_flips() {
    let srv = Serve::start(&[]);
    let mut sim = srv.simulate(300, "1", 4);
    serve::wait_state(srv.web, None, 60, |s| {
        s["game_seconds"].as_f64().unwrap_or(0.0) > 12.0
    });
    let mut b = Browser::start(1920, 1080);
    for (name, path) in [
        ("all", "/"),
        ("scoreboard", "/scoreboard"),
        ("graphs", "/graphs"),
        ("army", "/army"),
        ("status", "/status"),
        ("all-flip", "/?flip=1"),
    ] {
        b.navigate(&srv.url(path));
        b.wait_for(
            "window.barLog && barLog.length > 3 && document.querySelector('.bar-panel').innerText.length > 10",
            30,
        );
        if name.starts_with("all") || name == "graphs" {
            b.wait_for(
                "document.querySelectorAll('polyline.bar-line').length >= 4",
                30,
            );
        }
        let shot = b.screenshot(&shots().join(format!("{name}.png")));
        assert_eq!((shot.width, shot.height), (1920, 1080));
        let rects = panel_rects(&mut b);
        let expect = if name.starts_with("all") { 4 } else { 1 };
        assert_eq!(rects.len(), expect, "{name}: panels");
        assert_transparent_outside(&shot, &rects, name);
        assert_eq!(
            b.eval("getComputedStyle(document.body).overflow"),
            Value::from("hidden"),
            "{name}: no scrollbars"
        );
        let text = b
            .eval("document.body.innerText")
            .as_str()
            .unwrap_or("")
            .to_owned();
        assert!(
            !text.contains("undefined") && !text.contains("NaN"),
            "{name}: {text}"
        );
        match name {
            "all" => assert!(
                rects[0][2] > 1800.0,
                "the full page's column is at the right"
            ),
            "all-flip" => {
                assert!(rects[0][0] < 100.0, "flipped: the column is at the left");
                let first = b.eval("document.querySelector('.bar-side-head').innerText");
                assert!(
                    first.as_str().is_some_and(|s| s.contains("Side 2")),
                    "flipped: {first}"
                );
            }
            "status" => assert!(text.contains("LIVE"), "{text}"),
            _ => {}
        }
    }
    // Names in their team's color, as the game sends it.
    b.navigate(&srv.url("/scoreboard"));
    b.wait_for("document.querySelectorAll('.bar-player').length == 4", 30);
    let state = serve::state(srv.web, None);
    let shown = b.eval(
        "[...document.querySelectorAll('.bar-player')].map(e => [e.dataset.team, \
         getComputedStyle(e.querySelector('.bar-player-name')).color])",
    );
    for pair in shown.as_array().expect("players") {
        let id: u64 = pair[0]
            .as_str()
            .and_then(|s| s.parse().ok())
            .expect("team id");
        let team = state["teams"]
            .as_array()
            .and_then(|ts| ts.iter().find(|t| t["team_id"].as_u64() == Some(id)))
            .expect("team in state");
        assert_eq!(
            pair[1].as_str(),
            Some(rgb_css(team["color"].as_str().expect("color")).as_str())
        );
    }
    // A panel page sized for a scene's corner: a 500x700 viewport shows the panel whole and nothing else.
    let mut small = Browser::start(500, 700);
    small.navigate(&srv.url("/army"));
    small.wait_for("window.barLog && barLog.length > 3", 30);
    let shot = small.screenshot(&shots().join("army-500x700.png"));
    let rects = panel_rects(&mut small);
    assert!(rects[0][2] <= 500.0, "the panel fits its source: {rects:?}");
    assert!(shot.alpha(250, 20) > 100);
    let _ = sim.kill();
    let _ = sim.wait();
}

/// Sends a game at 30 snapshots a second of real time; returns when each frame left, in ms since the epoch.
fn send_game_paced(port: u16, seconds: u32) -> std::thread::JoinHandle<Vec<(u32, f64)>> {
    std::thread::spawn(move || {
        let mut s = TcpStream::connect(("127.0.0.1", port)).expect("connect");
        s.set_nodelay(true).expect("nodelay");
        let mut world = World::new(11, 4, 400, f64::from(seconds) + 10.0);
        let mut enc = Encoder::new(Detail::Standard, 30.0, 11);
        s.write_all(&protocol::encode_line(&enc.hello(&world)))
            .expect("hello");
        let start = std::time::Instant::now();
        let mut sent = Vec::new();
        while world.frame < seconds * 30 {
            world.step();
            let line = protocol::encode_line(&enc.snapshot(&mut world));
            let due = start + Duration::from_secs_f64(f64::from(world.frame) / 30.0);
            if let Some(wait) = due.checked_duration_since(std::time::Instant::now()) {
                std::thread::sleep(wait);
            }
            s.write_all(&line).expect("snapshot");
            let now = SystemTime::now()
                .duration_since(UNIX_EPOCH)
                .map(|d| d.as_secs_f64() * 1000.0)
                .unwrap_or(0.0);
            sent.push((world.frame, now));
        }
        sent
    })
}

/// For every state the page showed, how long after its frame left the sender (ms), sorted.
fn lags(page_log: &Value, sent: &[(u32, f64)]) -> Vec<f64> {
    let by_frame: std::collections::HashMap<u32, f64> = sent.iter().copied().collect();
    let mut out: Vec<f64> = page_log
        .as_array()
        .expect("log")
        .iter()
        .filter_map(|e| {
            let shown_at = e[0].as_f64()?;
            let frame = (e[1].as_f64()? * 30.0).round() as u32;
            by_frame.get(&frame).map(|sent_at| shown_at - sent_at)
        })
        .collect();
    out.sort_by(f64::total_cmp);
    out
}

fn pct(v: &[f64], p: f64) -> f64 {
    v[((v.len() - 1) as f64 * p).round() as usize]
}

fn measure(delay: Option<&str>) -> Vec<f64> {
    let args: Vec<&str> = delay.map(|d| vec!["--delay", d]).unwrap_or_default();
    let srv = Serve::start(&args);
    let mut b = Browser::start(800, 400);
    b.navigate(&srv.url("/status"));
    b.wait_for(
        "window.barLog !== undefined && document.querySelector('.bar-link')",
        30,
    );
    let sender = send_game_paced(srv.port, 20);
    let sent = sender.join().expect("sender");
    // With a delay, the last frames reach the page that much later.
    std::thread::sleep(Duration::from_millis(
        500 + delay.map_or(0, |d| (d.parse::<f64>().unwrap_or(0.0) * 1000.0) as u64),
    ));
    let log = b.eval("barLog");
    let l = lags(&log, &sent);
    assert!(l.len() > 200, "the page showed {} states of 600", l.len());
    l
}

#[test]
fn the_page_clock_follows_the_feed_and_lags_it_by_the_delay() {
    let live = measure(None);
    let delayed = measure(Some("5"));
    println!("| stream | states shown | p50 ms | p95 ms | max ms |");
    println!("|---|---:|---:|---:|---:|");
    for (name, l) in [("no delay", &live), ("--delay 5", &delayed)] {
        println!(
            "| {name} | {} | {:.0} | {:.0} | {:.0} |",
            l.len(),
            pct(l, 0.5),
            pct(l, 0.95),
            l[l.len() - 1]
        );
    }
    // The target is p95 < 150 ms (reported above and in the notes); this bound only catches a page that stopped
    // following, without failing on a busy test machine.
    assert!(
        pct(&live, 0.95) < 1000.0,
        "live p95 {:.0} ms",
        pct(&live, 0.95)
    );
    assert!(
        pct(&delayed, 0.05) >= 4500.0 && pct(&delayed, 0.95) <= 5500.0,
        "with --delay 5 the page lags by 5 +- 0.5 s: p5 {:.0} ms, p95 {:.0} ms",
        pct(&delayed, 0.05),
        pct(&delayed, 0.95)
    );
}

#[test]
fn pages_recover_when_the_game_and_the_server_restart() {
    let free = || {
        std::net::TcpListener::bind("127.0.0.1:0")
            .and_then(|l| l.local_addr())
            .map(|a| a.port())
            .expect("free port")
    };
    let (port, web) = (free().to_string(), free().to_string());
    let fixed = |s: &Serve| (s.port, s.web);
    let start = || {
        let mut c = std::process::Command::new(serve::BIN)
            .args(["serve", "--port", &port, "--web-port", &web])
            .stdout(std::process::Stdio::null())
            .stderr(std::process::Stdio::null())
            .spawn()
            .expect("serve");
        // Ready once it answers.
        let deadline = std::time::Instant::now() + Duration::from_secs(20);
        while TcpStream::connect(("127.0.0.1", web.parse::<u16>().unwrap_or(0))).is_err() {
            assert!(std::time::Instant::now() < deadline, "serve never came up");
            std::thread::sleep(Duration::from_millis(50));
            if let Ok(Some(st)) = c.try_wait() {
                panic!("serve exited: {st}");
            }
        }
        c
    };
    let _ = fixed;
    let sim = |seed: &str| {
        std::process::Command::new(serve::BIN)
            .args([
                "simulate",
                "--to",
                &format!("127.0.0.1:{port}"),
                "--seed",
                seed,
            ])
            .args(["--seconds", "600", "--teams", "2", "--units", "100"])
            .stdout(std::process::Stdio::null())
            .stderr(std::process::Stdio::null())
            .spawn()
            .expect("simulate")
    };
    let mut server = start();
    let mut b = Browser::start(800, 400);
    b.navigate(&format!("http://127.0.0.1:{web}/status"));
    b.wait_for("document.body.innerText.includes('WAITING')", 20);
    let mut game = sim("1");
    b.wait_for("document.body.innerText.includes('LIVE')", 30);
    b.eval("window.marker = 'same page'");
    // The game goes away, then another starts: the page follows without a reload.
    let _ = game.kill();
    let _ = game.wait();
    b.wait_for("document.body.innerText.includes('DISCONNECTED')", 30);
    let mut game = sim("2");
    b.wait_for("document.body.innerText.includes('LIVE')", 30);
    // The server goes away: the page says so, keeps trying, and follows the next one.
    let _ = server.kill();
    let _ = server.wait();
    b.wait_for("document.body.innerText.includes('NO OVERLAY')", 30);
    b.screenshot(&shots().join("status-offline.png"));
    server = start();
    b.wait_for("document.body.innerText.includes('LIVE')", 60);
    let t0 = b
        .eval("barLog[barLog.length - 1][1]")
        .as_f64()
        .unwrap_or(0.0);
    std::thread::sleep(Duration::from_millis(2500));
    let t1 = b
        .eval("barLog[barLog.length - 1][1]")
        .as_f64()
        .unwrap_or(0.0);
    assert!(t1 > t0 + 1.0, "the clock runs again: {t0} -> {t1}");
    assert_eq!(
        b.eval("window.marker"),
        Value::from("same page"),
        "no reload was needed"
    );
    let _ = game.kill();
    let _ = game.wait();
    let _ = server.kill();
    let _ = server.wait();
}

#[test]
fn a_page_with_its_token_is_served_and_one_without_is_refused() {
    let srv = Serve::start(&["--token", "abc 123"]);
    let mut sim = srv.simulate(120, "1", 2);
    let mut b = Browser::start(800, 400);
    b.navigate(&srv.url("/status?token=abc%20123"));
    b.wait_for("document.body.innerText.includes('LIVE')", 30);
    b.navigate(&srv.url("/status"));
    b.wait_for("document.body.innerText.includes('needs its token')", 30);
    b.navigate(&srv.url("/status?token=abc"));
    b.wait_for("document.body.innerText.includes('needs its token')", 30);
    let _ = sim.kill();
    let _ = sim.wait();
}

/// Nothing of the scoreboard, production or player-card panels is cut off, from a 1v1 to an 8v8 (protocol 1.1's
/// cards, HUD values and production included): every number and card lies inside its panel, and a shortened name
/// says so with an ellipsis and keeps the whole in its tooltip.
#[test]
fn scoreboard_production_and_cards_fit_from_1v1_to_8v8() {
    for teams in [2u32, 8, 16] {
        let srv = Serve::start(&[]);
        let mut sim = srv.simulate(600, "20", teams);
        serve::wait_state(srv.web, None, 90, |s| {
            s["game_seconds"].as_f64().unwrap_or(0.0) > 240.0
                && s["teams"].as_array().is_some_and(|ts| {
                    ts.len() == teams as usize && ts.iter().all(|t| t["production"].is_object())
                })
        });
        let mut b = Browser::start(520, 1080);
        for (page, items) in [
            ("scoreboard", ".bar-player"),
            ("production", ".bar-production-team"),
            ("players", ".bar-player-card"),
        ] {
            b.navigate(&srv.url(&format!("/{page}")));
            b.wait_for(
                &format!("document.querySelectorAll('{items}').length >= {teams}"),
                30,
            );
            b.screenshot(&shots().join(format!("{page}-{teams}-teams.png")));
            // Every leaf element lies inside the panel; one that is narrower than its text must be a name that
            // ends in an ellipsis (overflow hidden, text-overflow ellipsis).
            let bad = b.eval(
                "(() => { const p = document.querySelector('.bar-panel').getBoundingClientRect(); const out = []; \
                 for (const e of document.querySelectorAll('.bar-panel *')) { \
                   if (e.children.length) continue; const r = e.getBoundingClientRect(); \
                   if (r.width === 0) continue; \
                   if (r.left < p.left - 0.5 || r.right > p.right + 0.5 || r.bottom > p.bottom + 0.5) \
                     out.push('outside: ' + e.className + ' ' + e.textContent); \
                   const cs = getComputedStyle(e); \
                   if (e.scrollWidth > e.clientWidth + 1 && !(cs.textOverflow === 'ellipsis' && e.title)) \
                     out.push('cut: ' + e.className + ' ' + e.textContent); } \
                 return out; })()",
            );
            assert_eq!(
                bad.as_array().map(Vec::len),
                Some(0),
                "{page} at {teams} teams: {bad}"
            );
            let rects = panel_rects(&mut b);
            assert!(
                rects[0][3] <= 1080.0,
                "{page} at {teams} teams fits a 1080 scene: {rects:?}"
            );
            let text = b
                .eval("document.body.innerText")
                .as_str()
                .unwrap_or("")
                .to_owned();
            assert!(
                !text.contains("undefined") && !text.contains("NaN") && !text.contains("null"),
                "{page}: {text}"
            );
        }
        let cards = b.eval("document.querySelectorAll('.bar-flag').length");
        assert!(cards.as_u64().unwrap_or(0) > 0, "country labels shown");
        let _ = sim.kill();
        let _ = sim.wait();
    }
}
