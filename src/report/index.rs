//! An index page of reports (a tournament's or a season's games): map, duration, winner and players of each, with a
//! link to its page. Self-contained like the pages.

use super::page::{Entry, esc};
use crate::model::game_clock;
use std::fmt::Write;

const STYLE: &str = include_str!("assets/report.css");

/// `games`: each game's entry and its page's file name (relative to the index).
pub fn render(games: &[(Entry, String)]) -> String {
    let mut h = String::new();
    h += "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n";
    h += "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n";
    h += "<meta name=\"color-scheme\" content=\"dark light\">\n";
    h += "<meta http-equiv=\"Content-Security-Policy\" content=\"default-src 'none'; style-src 'unsafe-inline'\">\n";
    let _ = writeln!(
        h,
        "<title>{} games | BAR game reports</title>\n<style>\n{STYLE}</style>\n</head>\n<body>",
        games.len()
    );
    let _ = writeln!(
        h,
        "<header class=\"r-head\"><h1>Game reports</h1><p class=\"r-sub\">{} game{}</p></header>",
        games.len(),
        if games.len() == 1 { "" } else { "s" }
    );
    h += "<table class=\"r-table r-index\"><thead><tr><th>game</th><th>map</th><th>duration</th><th>winner</th>\
          <th>players</th><th>notes</th></tr></thead><tbody>\n";
    for (e, file) in games {
        let winner = if e.winners.is_empty() {
            "unknown".to_owned()
        } else {
            e.winners.join(", ")
        };
        let _ = writeln!(
            h,
            "<tr><td><a href=\"{}\">{}</a></td><td>{}</td><td class=\"r-num\">{}</td><td>{}</td><td>{}</td><td class=\"r-num\">{}</td></tr>",
            esc(&link(file)),
            esc(&e.source),
            esc(&e.map),
            game_clock(e.duration_seconds),
            esc(&winner),
            esc(&e.players.join(", ")),
            if e.notes == 0 {
                String::new()
            } else {
                format!("{} caveat{}", e.notes, if e.notes == 1 { "" } else { "s" })
            }
        );
    }
    h += "</tbody></table>\n</body>\n</html>\n";
    h
}

/// A relative link to a file name: characters a URL path cannot hold are percent-encoded.
fn link(file: &str) -> String {
    let mut out = String::new();
    for b in file.bytes() {
        if b.is_ascii_alphanumeric() || b"-._~/".contains(&b) {
            out.push(b as char);
        } else {
            let _ = write!(out, "%{b:02X}");
        }
    }
    out
}
