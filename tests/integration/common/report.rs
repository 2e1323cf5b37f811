//! A report page (`bar-overlay report`) as a user sees it in headless Chromium: plots drawn with data and a scale,
//! build orders for every player, a value under the pointer, no console errors, nothing fetched.

use super::browser::Browser;
use serde_json::{Value, json};
use std::path::Path;
use std::process::Command;

pub const BIN: &str = env!("CARGO_BIN_EXE_bar-overlay");

/// Runs `bar-overlay report RECORDING -o OUT` and returns its stderr; fails the test if it fails.
pub fn report(recording: &Path, out: &Path) -> String {
    let o = Command::new(BIN)
        .arg("report")
        .arg(recording)
        .arg("-o")
        .arg(out)
        .output()
        .expect("run bar-overlay report");
    let err = String::from_utf8_lossy(&o.stderr).into_owned();
    assert!(o.status.success(), "report failed: {err}");
    assert!(out.is_file(), "report wrote no {}: {err}", out.display());
    err
}

pub fn file_url(path: &Path) -> String {
    let abs = std::fs::canonicalize(path).expect("page path");
    format!("file://{}", abs.display())
}

/// What [`check_page`] saw.
pub struct Seen {
    /// The page's visible text.
    pub text: String,
    /// Plots with at least one line drawn.
    pub plots_drawn: usize,
    /// The tooltip's text after hovering the metal income plot.
    pub tip: String,
}

/// Opens `page` in `b` (which must be watching) and checks what every report shows, for a game of `teams` teams.
/// `with_builds`: the recording has units, so every player has builds.
pub fn check_page(b: &mut Browser, page: &Path, teams: usize, with_builds: bool) -> Seen {
    let url = file_url(page);
    b.navigate(&url);
    b.wait_for(
        "window.barReport && document.querySelectorAll('#plots svg').length > 0",
        30,
    );
    let plots = b.eval(
        "barReport.data.plots.map(p => { const svg = document.querySelector('#plot-' + p.id + ' svg'); \
         const lines = [...svg.querySelectorAll('polyline.r-line')]; \
         return {id: p.id, want: p.lines.length, drawn: lines.length, \
                 points: lines.map(l => l.getAttribute('points').trim().split(' ').length), \
                 ylabels: [...svg.querySelectorAll('text.r-ylabel')].map(t => t.textContent), \
                 xlabels: [...svg.querySelectorAll('text.r-xlabel')].map(t => t.textContent)}; })",
    );
    let plots = plots.as_array().expect("plots").clone();
    assert!(plots.len() >= 12, "the page has its plots: {plots:?}");
    let mut drawn = 0;
    for p in &plots {
        let id = p["id"].as_str().unwrap_or("?");
        assert_eq!(
            p["want"], p["drawn"],
            "{id}: one line drawn for each line of data"
        );
        for n in p["points"].as_array().into_iter().flatten() {
            assert!(n.as_u64().unwrap_or(0) >= 2, "{id}: a line has points: {p}");
        }
        // Every plot shows its scale: labelled ticks beyond 0, and game times along the bottom.
        let ys: Vec<&str> = p["ylabels"]
            .as_array()
            .expect("ylabels")
            .iter()
            .filter_map(Value::as_str)
            .collect();
        assert!(ys.len() >= 2, "{id}: y ticks labelled: {ys:?}");
        assert!(
            ys.iter().any(|y| *y != "0"),
            "{id}: a y label beyond 0: {ys:?}"
        );
        assert!(
            p["xlabels"].as_array().is_some_and(|x| x.len() >= 2),
            "{id}: time labelled: {p}"
        );
        if p["drawn"].as_u64().unwrap_or(0) > 0 {
            drawn += 1;
        }
    }
    let metal = plots
        .iter()
        .find(|p| p["id"] == "metal_income")
        .expect("metal income plot");
    assert!(
        metal["drawn"].as_u64().unwrap_or(0) >= 1,
        "metal income drawn: {metal}"
    );

    // Build orders: a column per player, and rows in each when the recording has units.
    let columns = b.eval(
        "[...document.querySelectorAll('#builds thead th[data-team]')].map((th, i) => \
         [...document.querySelectorAll('#builds tbody tr')].filter(tr => \
           (tr.children[i + 1] || {}).textContent).length)",
    );
    let columns = columns.as_array().expect("build columns");
    assert_eq!(columns.len(), teams, "a build column per player");
    if with_builds {
        for (i, c) in columns.iter().enumerate() {
            assert!(
                c.as_u64().unwrap_or(0) >= 3,
                "player {i} has builds in the table: {columns:?}"
            );
        }
    }

    // Hover: the real pointer over the metal income plot shows the time and values.
    let rect = b.eval(
        "(() => { const s = document.querySelector('#plot-metal_income svg'); s.scrollIntoView({block: 'center'}); \
         const r = s.getBoundingClientRect(); return [r.left, r.top, r.width, r.height]; })()",
    );
    let n = |i: usize| rect[i].as_f64().unwrap_or(0.0);
    let (x, y) = (n(0) + n(2) * 0.7, n(1) + n(3) * 0.5);
    b.call(
        "Input.dispatchMouseEvent",
        json!({"type": "mouseMoved", "x": x, "y": y}),
    );
    let tip = b.wait_for(
        "(() => { const t = document.querySelector('#plot-metal_income .r-tip'); \
         return t.style.display === 'block' && t.innerText; })()",
        10,
    );
    let tip = tip.as_str().unwrap_or("").to_owned();
    assert!(
        tip.lines().count() >= 2 && tip.chars().any(|c| c.is_ascii_digit()) && tip.contains(':'),
        "hovering shows values: {tip:?}"
    );

    self_contained(b, &url);
    let text = b
        .eval("document.body.innerText")
        .as_str()
        .unwrap_or("")
        .to_owned();
    Seen {
        text,
        plots_drawn: drawn,
        tip,
    }
}

/// The page logged no error and fetched nothing but itself (a report works offline, from one file).
pub fn self_contained(b: &mut Browser, url: &str) {
    let errors = b.console_errors();
    assert!(errors.is_empty(), "console errors: {errors:?}");
    let requests = b.requests();
    assert!(
        requests.iter().all(|r| r == url),
        "the page fetched nothing but itself: {requests:?}"
    );
}
