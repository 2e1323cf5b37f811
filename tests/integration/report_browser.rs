//! `bar-overlay report` as a user meets it: a comprehensive 8-team game simulated and recorded by the real binaries,
//! its page opened from disk in headless Chromium (plots drawn with data and scales, build orders for every player,
//! hover, zoom, dark and light themes, print), and a corrupt and a cut recording whose pages say what was skipped.
//! Screenshots land in target/report-shots/ to look at.

use crate::common;
use common::browser::Browser;
use common::report::{BIN, check_page, report, self_contained};
use serde_json::{Value, json};

use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::OnceLock;

const TEAMS: usize = 8;

fn shots() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("target/report-shots")
}

/// `simulate ARGS` into `record --until-bye FILE`, both the real binary.
fn record(file: &Path, args: &[&str]) {
    let (mut rec, port) = crate::common::spawn_listening(&[
        "record",
        file.to_str().expect("utf8 path"),
        "--until-bye",
        "--port",
        "0",
    ]);
    let sim = Command::new(BIN)
        .args([
            "simulate",
            "--to",
            &format!("127.0.0.1:{port}"),
            "--speed",
            "max",
        ])
        .args(args)
        .output()
        .expect("simulate");
    assert!(
        sim.status.success(),
        "simulate: {}",
        String::from_utf8_lossy(&sim.stderr)
    );
    assert!(rec.wait().expect("record ends at bye").success());
}

/// One recording for the file's tests: `simulate --detail comprehensive --teams 8` into `record --until-bye`.
fn recording() -> &'static Path {
    static REC: OnceLock<PathBuf> = OnceLock::new();
    REC.get_or_init(|| {
        let dir = tempfile::tempdir().expect("tempdir").keep();
        let file = dir.join("game8.ndjson");
        record(
            &file,
            &[
                "--detail",
                "comprehensive",
                "--teams",
                "8",
                "--units",
                "300",
                "--seconds",
                "600",
                "--seed",
                "3",
            ],
        );
        file
    })
}

fn watching_browser() -> Browser {
    let mut b = Browser::start(1400, 1000);
    b.watch();
    b
}

fn set_media(b: &mut Browser, media: &str, scheme: &str) {
    b.call(
        "Emulation.setEmulatedMedia",
        json!({"media": media, "features": [{"name": "prefers-color-scheme", "value": scheme}]}),
    );
}

/// The sum of the body's background channels.
fn background(b: &mut Browser) -> f64 {
    let v = b.eval(
        "getComputedStyle(document.body).backgroundColor.match(/\\d+/g).slice(0, 3).reduce((a, c) => a + +c, 0)",
    );
    v.as_f64().unwrap_or(-1.0)
}

fn mouse(b: &mut Browser, kind: &str, x: f64, y: f64) {
    let mut ev = json!({"type": kind, "x": x, "y": y, "button": "left"});
    if kind != "mouseMoved" {
        ev["clickCount"] = json!(1);
    } else {
        ev["buttons"] = json!(1);
    }
    b.call("Input.dispatchMouseEvent", ev);
}

#[test]
fn a_comprehensive_8_team_game_as_a_user_sees_it() {
    let dir = tempfile::tempdir().expect("tempdir");
    let page = dir.path().join("game8.html");
    report(recording(), &page);
    let size = std::fs::metadata(&page).expect("page").len();
    let mut b = watching_browser();
    set_media(&mut b, "screen", "dark");
    let seen = check_page(&mut b, &page, TEAMS, true);
    assert!(
        seen.plots_drawn >= 11,
        "every kind of line the simulator sends is drawn ({} plots)",
        seen.plots_drawn
    );
    let data = b.eval("barReport.data.teams.map(t => t.player)");
    for name in data.as_array().expect("teams") {
        let name = name.as_str().unwrap_or("?");
        assert!(seen.text.contains(name), "{name} is on the page");
    }
    for section in [
        "Timelines",
        "Moments",
        "Build orders",
        "Tech timings",
        "Actions per minute",
        "Totals",
        "won",
    ] {
        assert!(seen.text.contains(section), "the page shows {section}");
    }
    // A whole spectator recording: nothing to excuse.
    assert!(
        !seen.text.contains("What this recording cannot tell"),
        "no caveats for a whole comprehensive recording"
    );
    assert!(
        seen.text.contains("large trade") && seen.text.contains("first T1 factory"),
        "moments are listed"
    );
    assert!(
        b.eval("document.querySelectorAll('#plot-army_value .r-tick').length")
            .as_u64()
            .unwrap_or(0)
            > 0,
        "moments are marked on the plots"
    );
    b.eval("window.scrollTo(0, 0)");
    b.screenshot(&shots().join("report-dark.png"));
    assert!(background(&mut b) < 150.0, "dark theme: a dark page");
    b.eval("document.getElementById('moments').scrollIntoView()");
    b.screenshot(&shots().join("report-moments-dark.png"));
    b.eval("document.getElementById('builds').scrollIntoView()");
    b.screenshot(&shots().join("report-builds-dark.png"));

    // Drag across the army plot: every plot zooms to the same span.
    let rect = b.eval(
        "(() => { const s = document.querySelector('#plot-army_value svg'); s.scrollIntoView({block: 'center'}); \
         const r = s.getBoundingClientRect(); return [r.left, r.top, r.width, r.height]; })()",
    );
    let n = |i: usize| rect[i].as_f64().unwrap_or(0.0);
    let y = n(1) + n(3) * 0.5;
    mouse(&mut b, "mousePressed", n(0) + n(2) * 0.4, y);
    mouse(&mut b, "mouseMoved", n(0) + n(2) * 0.55, y);
    mouse(&mut b, "mouseReleased", n(0) + n(2) * 0.7, y);
    let view = b.wait_for(
        "barReport.view.from > 0 && barReport.view.to < barReport.data.end && [barReport.view.from, barReport.view.to]",
        10,
    );
    let (from, to) = (
        view[0].as_f64().unwrap_or(0.0),
        view[1].as_f64().unwrap_or(0.0),
    );
    assert!(
        to - from > 30.0 && to - from < 400.0,
        "zoomed to {from}..{to}"
    );
    let first_label =
        b.eval("document.querySelector('#plot-metal_income text.r-xlabel').textContent");
    assert_ne!(
        first_label,
        Value::from("0:00"),
        "the other plots follow the zoom"
    );
    b.eval("document.getElementById('reset').click()");
    assert_eq!(b.eval("barReport.view.from"), Value::from(0));

    set_media(&mut b, "screen", "light");
    // The page follows a theme change as it happens (no reload), lines recoloured where a team colour needs it.
    b.wait_for("barReport.light === true", 10);
    assert!(background(&mut b) > 600.0, "light theme: a light page");
    b.screenshot(&shots().join("report-light.png"));

    // Print: the controls are hidden and a PDF comes out.
    set_media(&mut b, "print", "light");
    assert_eq!(
        b.eval("getComputedStyle(document.querySelector('.r-tools')).display"),
        Value::from("none")
    );
    let pdf = b.call("Page.printToPDF", json!({"printBackground": true}));
    let pdf_len = pdf["data"].as_str().map_or(0, str::len);
    assert!(
        pdf_len > 50_000,
        "a PDF of the report ({pdf_len} base64 bytes)"
    );
    let errors = b.console_errors();
    assert!(errors.is_empty(), "console errors: {errors:?}");
    eprintln!("report of a 600 s 8-team game: {size} bytes");
}

/// The recording with garbage lines put in and a line cut short: the page still comes out and says what it skipped.
#[test]
fn a_corrupt_and_a_cut_recording_say_what_was_skipped() {
    let text = std::fs::read(recording()).expect("recording");
    let lines: Vec<&[u8]> = text.split(|b| *b == b'\n').collect();
    let dir = tempfile::tempdir().expect("tempdir");

    let corrupt = dir.path().join("corrupt.ndjson");
    let mut out = Vec::new();
    for (i, l) in lines.iter().enumerate() {
        match i + 1 {
            40 => out.extend_from_slice(b"{not json at all\n"),
            80 => out.extend_from_slice(b"\xff\xfe garbage \x00\n"),
            120 => {
                out.extend_from_slice(&l[..l.len() / 2]);
                out.push(b'\n');
                continue;
            }
            _ => {}
        }
        out.extend_from_slice(l);
        out.push(b'\n');
    }
    std::fs::write(&corrupt, &out).expect("write corrupt");
    let page = dir.path().join("corrupt.html");
    report(&corrupt, &page);
    let mut b = watching_browser();
    let seen = check_page(&mut b, &page, TEAMS, true);
    assert!(
        seen.text
            .contains("3 lines could not be read and were skipped"),
        "the page counts the skipped lines: {}",
        seen.text
    );
    for line in ["line 40", "line 81", "line 122"] {
        assert!(seen.text.contains(line), "the page names {line}");
    }

    // Cut at 60 % of the bytes, in the middle of a line, as a crash or a copy made mid-game leaves it.
    let cut = dir.path().join("cut.ndjson");
    let mut at = text.len() * 6 / 10;
    while text[at] == b'\n' {
        at += 1;
    }
    std::fs::write(&cut, &text[..at]).expect("write cut");
    let page = dir.path().join("cut.html");
    report(&cut, &page);
    let mut b = watching_browser();
    let seen = check_page(&mut b, &page, TEAMS, true);
    b.screenshot(&shots().join("report-cut.png"));
    assert!(
        seen.text.contains("without the game's end") && seen.text.contains("result is unknown"),
        "the page says the file was cut: {}",
        seen.text
    );
    assert!(
        seen.text
            .contains("1 line could not be read and was skipped"),
        "the cut last line is named"
    );
    assert!(!seen.text.contains(" won"), "no winner is made up");

    // Begun after the hello (a recorder started late): no names, no unit types, and the page says so.
    let headless = dir.path().join("headless.ndjson");
    let first_newline = text.iter().position(|b| *b == b'\n').expect("lines");
    std::fs::write(&headless, &text[first_newline + 1..]).expect("write headless");
    let page = dir.path().join("headless.html");
    report(&headless, &page);
    let mut b = watching_browser();
    let seen = check_page(&mut b, &page, TEAMS, false);
    assert!(
        seen.text.contains("The recording has no hello"),
        "the page says what it lacks: {}",
        seen.text
    );
}

/// `serve` answers `/report` with the page of the last game that finished while it ran (nothing before one did).
#[test]
fn serve_answers_report_for_the_last_finished_game() {
    use common::serve::{Serve, get};
    let srv = Serve::start(&[]);
    let (status, _, body) = get(srv.web, "/report");
    assert_eq!(status, 404, "no game finished yet: {body}");
    assert!(body.contains("No game has finished"), "{body}");
    let sim = srv
        .simulate(90, "max", 4)
        .wait_with_output()
        .expect("simulate");
    assert!(sim.status.success());
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(30);
    loop {
        let (status, _, body) = get(srv.web, "/report");
        if status == 200 {
            assert!(body.contains("id=\"report-data\""), "a report page");
            break;
        }
        assert!(
            std::time::Instant::now() < deadline,
            "no /report after the game ended: {status} {body}"
        );
        std::thread::sleep(std::time::Duration::from_millis(100));
    }
    let mut b = watching_browser();
    let url = srv.url("/report");
    b.navigate(&url);
    b.wait_for("window.barReport", 30);
    let teams = b.eval("barReport.data.teams.length");
    assert_eq!(teams, Value::from(4));
    let text = b.eval("document.body.innerText");
    let text = text.as_str().unwrap_or("");
    assert!(text.contains("won by"), "the result is on the page: {text}");
    let drawn = b.eval("document.querySelectorAll('#plot-army_value polyline.r-line').length");
    assert_eq!(drawn, Value::from(4), "the army plot has a line per team");
    self_contained(&mut b, &url);
}

/// Minimal detail carries no units: the unit plots say so instead of drawing zeros, and the page says why.
#[test]
fn a_minimal_recording_draws_no_unit_lines() {
    let dir = tempfile::tempdir().expect("tempdir");
    let file = dir.path().join("minimal.ndjson");
    record(
        &file,
        &["--detail", "minimal", "--teams", "4", "--seconds", "120"],
    );
    let page = dir.path().join("minimal.html");
    report(&file, &page);
    let mut b = watching_browser();
    let seen = check_page(&mut b, &page, 4, false);
    assert!(
        seen.text.contains("The recording has no units"),
        "{}",
        seen.text
    );
    for id in ["army_value", "land", "air", "sea", "buildings"] {
        let svg = b.eval(&format!(
            "(() => {{ const s = document.querySelector('#plot-{id} svg'); \
             return [s.querySelectorAll('polyline.r-line').length, s.textContent.includes('not in this recording')]; }})()"
        ));
        assert_eq!(svg, json!([0, true]), "{id}: no line, and a word why");
    }
    let metal = b.eval("document.querySelectorAll('#plot-metal_income polyline.r-line').length");
    assert_eq!(metal, Value::from(4), "the economy is still drawn");
}
