//! The report as one HTML file: tables written here, plots drawn in the browser from data inlined as JSON, with the
//! style and script inlined too (the file opens from disk, a chat download or a mail, with no network).

use super::collect::{Build, Collector, LATE_START_SECONDS, MomentKind, metal_text};
use super::totals::{Summary, TeamSummary, from_game};
use crate::model::{Game, Team, game_clock};
use crate::model::{Sample, Series, reduce};
use crate::protocol::Category;
use serde::Serialize;
use serde_json::{Value, json};
use std::fmt::Write;

/// Time buckets a line is reduced to (a min and a max each, so peaks stay): a plot is ~1000 px wide, and 16 teams'
/// 12 lines of a two-hour game stay near a megabyte.
pub const BUCKETS: usize = 400;

const STYLE: &str = include_str!("assets/report.css");
const SCRIPT: &str = include_str!("assets/report.js");

/// Where the game came from, for the page's header and notes.
#[derive(Debug, Clone)]
pub struct Source {
    /// The recording's file name.
    pub name: String,
    /// 1-based: which game of the file this is, and whether it is the file's last.
    pub game: u32,
    pub last: bool,
}

/// One line of an index of reports.
#[derive(Debug, Clone, Serialize)]
pub struct Entry {
    pub title: String,
    pub map: String,
    pub duration_seconds: f64,
    pub winners: Vec<String>,
    pub players: Vec<String>,
    pub source: String,
    pub notes: usize,
}

pub struct Page {
    pub html: String,
    pub entry: Entry,
}

/// Renders the game `game` (as left by the whole recording) with what `notes` collected beside it.
pub fn render(game: &Game, notes: &mut Collector, source: &Source) -> Page {
    notes.finish(game);
    let summary = from_game(game, source.game, notes.gaps.skipped_lines);
    let teams: Vec<&Team> = ordered_teams(game);
    let caveats = caveats(game, notes, source);
    let map = game
        .info
        .as_ref()
        .map_or_else(|| "unknown map".to_owned(), |i| i.map.clone());
    let winners = winner_names(game);
    let title = format!("{map}, {}", game_clock(game.seconds));
    let data = data(game, notes, &teams);
    let mut h = String::with_capacity(1 << 20);
    h += "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n";
    h += "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n";
    h += "<meta name=\"color-scheme\" content=\"dark light\">\n";
    // Nothing may load from elsewhere: the page is the whole report.
    h += "<meta http-equiv=\"Content-Security-Policy\" content=\"default-src 'none'; style-src 'unsafe-inline'; \
          script-src 'unsafe-inline'; img-src data:\">\n";
    let _ = writeln!(h, "<title>{} | BAR game report</title>", esc(&title));
    let _ = writeln!(h, "<style>\n{STYLE}</style>\n</head>\n<body>");
    let _ = writeln!(h, "<header class=\"r-head\"><h1>{}</h1>", esc(&map));
    let _ = writeln!(
        h,
        "<p class=\"r-sub\">{} of game · {} · from <code>{}</code>{}</p>",
        game_clock(game.seconds),
        esc(&result_text(game, &winners)),
        esc(&source.name),
        if source.game > 1 || !source.last {
            format!(" (game {} of the file)", source.game)
        } else {
            String::new()
        }
    );
    h += "</header>\n";
    cards(&mut h, game, &teams, &summary);
    if !caveats.is_empty() {
        h += "<section class=\"r-notes\" id=\"notes\"><h2>What this recording cannot tell</h2><ul>\n";
        for c in &caveats {
            let _ = writeln!(h, "<li>{}</li>", esc(c));
        }
        h += "</ul></section>\n";
    }
    h += "<section id=\"timelines\"><h2>Timelines</h2>\n\
          <div class=\"r-tools\"><span class=\"r-hint\">Drag across a plot to zoom, double-click or \
          <button type=\"button\" id=\"reset\">Reset zoom</button>; click a name to hide its lines.</span></div>\n\
          <div id=\"legend\" class=\"r-legend\"></div>\n<div id=\"plots\"></div>\n\
          <noscript><p>The plots need JavaScript; the tables below do not.</p></noscript>\n</section>\n";
    moments(&mut h, notes);
    builds(&mut h, notes, &teams);
    tech(&mut h, notes, &teams);
    actions(&mut h, game, notes);
    totals(&mut h, &summary, &teams);
    let _ = writeln!(
        h,
        "<footer class=\"r-foot\">BAR Live Overlay game report. Each line is drawn from at most {BUCKETS} \
         time buckets (each bucket's lowest and highest value, so peaks stay). Team values are what the recording \
         carried.</footer>"
    );
    // `</` cannot end the script early: JSON escapes it.
    let json = data.to_string().replace("</", "<\\/");
    let _ = write!(
        h,
        "<script id=\"report-data\" type=\"application/json\">{json}</script>\n<script>\n{SCRIPT}</script>\n</body>\n</html>\n"
    );
    let entry = Entry {
        title,
        map,
        duration_seconds: game.seconds,
        winners,
        players: teams.iter().map(|t| player_name(t)).collect(),
        source: source.name.clone(),
        notes: caveats.len(),
    };
    Page { html: h, entry }
}

fn ordered_teams(game: &Game) -> Vec<&Team> {
    let mut teams: Vec<&Team> = game.teams.values().collect();
    teams.sort_by_key(|t| (t.ally_team, t.id));
    teams
}

fn winner_names(game: &Game) -> Vec<String> {
    let Some(w) = game.over.as_ref().and_then(|o| o.winners.as_ref()) else {
        return Vec::new();
    };
    ordered_teams(game)
        .into_iter()
        .filter(|t| w.contains(&t.ally_team))
        .map(|t| t.name.clone())
        .collect()
}

fn result_text(game: &Game, winners: &[String]) -> String {
    match &game.over {
        Some(_) if !winners.is_empty() => format!("won by {}", winners.join(", ")),
        Some(_) => "game over, no winner named".to_owned(),
        None => "result unknown (the recording ends before the game does)".to_owned(),
    }
}

fn player_name(t: &Team) -> String {
    t.lead_player()
        .map(|p| p.name.clone())
        .or_else(|| t.ai.as_ref().map(|a| a.name.clone()))
        .unwrap_or_else(|| t.name.clone())
}

fn hex(c: [u8; 3]) -> String {
    format!("#{:02x}{:02x}{:02x}", c[0], c[1], c[2])
}

/// Text for HTML, attribute-safe.
pub fn esc(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            _ => out.push(c),
        }
    }
    out
}

fn caveats(game: &Game, notes: &Collector, source: &Source) -> Vec<String> {
    let g = &notes.gaps;
    let mut out = Vec::new();
    if source.game > 1 || !source.last {
        out.push(format!(
            "The file holds several games; this page is its game {} (each has its own page).",
            source.game
        ));
    }
    if game.view.is_none() {
        out.push(
            "The recording has no hello (it was cut at the start, or began after it): the map, the teams' names and \
             colours and the unit types are unknown, so units cannot be counted by kind."
                .to_owned(),
        );
    } else if !game.full_view() {
        let who = game
            .view
            .and_then(|v| game.teams.get(&v.team_id))
            .map_or_else(|| "a player".to_owned(), |t| t.name.clone());
        out.push(format!(
            "Recorded from {who}'s view, not a spectator's: other teams' economy, damage and totals were hidden from \
             the recorder, and their units count only while seen. Their lines are missing or partial, not zero."
        ));
    }
    if let Some(first) = g.first_seconds
        && first > LATE_START_SECONDS
    {
        out.push(format!(
            "The recording starts at {} of game time: what happened before is unknown, and builds and tech timings \
             from before then are not shown.",
            game_clock(first)
        ));
    }
    match (game.over.is_some(), g.saw_bye) {
        (true, _) => {}
        (false, true) => out.push(format!(
            "The sender left at {} before the game ended (a bye without a game over): the result is unknown.",
            game_clock(g.last_seconds)
        )),
        (false, false) => out.push(format!(
            "The recording stops at {} without the game's end or the sender's goodbye: the file was cut (a crash, \
             a full disk, a copy made mid-game). The result is unknown.",
            game_clock(g.last_seconds)
        )),
    }
    if g.skipped_lines > 0 {
        let which: Vec<String> = g
            .skipped
            .iter()
            .map(|(n, why)| format!("line {n} ({why})"))
            .collect();
        let more = g.skipped_lines - g.skipped.len() as u64;
        out.push(format!(
            "{} line{} could not be read and {} skipped: {}{}.",
            g.skipped_lines,
            if g.skipped_lines == 1 { "" } else { "s" },
            if g.skipped_lines == 1 { "was" } else { "were" },
            which.join("; "),
            if more > 0 {
                format!("; and {more} more")
            } else {
                String::new()
            }
        ));
    }
    if game.seq_gaps > 0 || g.dropped_snapshots > 0 {
        out.push(format!(
            "{} snapshot{} missing (the sender skipped {} under load): values between the neighbours are unknown.",
            game.seq_gaps.max(g.dropped_snapshots),
            if game.seq_gaps.max(g.dropped_snapshots) == 1 {
                " is"
            } else {
                "s are"
            },
            if game.seq_gaps.max(g.dropped_snapshots) == 1 {
                "it"
            } else {
                "them"
            }
        ));
    }
    if g.unit_snapshots == 0 {
        out.push(
            "The recording has no units (minimal detail): army value, units alive, builds, tech timings and \
             commander deaths are unknown."
                .to_owned(),
        );
    }
    if g.orders_events == 0 && g.unit_snapshots == 0 {
        out.push(
            "The recording has no decision points either (comprehensive detail, protocol 1.2): actions per minute \
             are unknown."
                .to_owned(),
        );
    } else if g.orders_events == 0 {
        out.push(
            "The recording has no decision points (they come at comprehensive detail, protocol 1.2): build orders \
             are the units first seen under construction, and actions per minute are unknown."
                .to_owned(),
        );
    } else if g.dropped_orders > 0 {
        out.push(format!(
            "The widget left out {} decision points (more in one frame than it sends): builds and actions per \
             minute may miss a few.",
            g.dropped_orders
        ));
    }
    let has_damage = game
        .teams
        .values()
        .any(|t| !t.series.damage_dealt.is_empty());
    if !has_damage {
        out.push(
            "The sender reported no damage totals (a protocol 1.0 widget): the damage plots are empty.".to_owned(),
        );
    }
    if g.lead_changes_dropped > 0 {
        out.push(format!(
            "The army lead changed {} more times than the page marks.",
            g.lead_changes_dropped
        ));
    }
    out
}

/// A number for the page's JSON: integers without a fraction, others to four significant digits.
fn num(v: f64) -> Value {
    if !v.is_finite() {
        return Value::Null;
    }
    if v.fract() == 0.0 && v.abs() < 1e15 {
        return Value::from(v as i64);
    }
    let digits = 4 - (v.abs().log10().floor() as i32 + 1);
    let scale = 10f64.powi(digits.clamp(0, 6));
    let r = (v * scale).round() / scale;
    if r.fract() == 0.0 {
        Value::from(r as i64)
    } else {
        Value::from(r)
    }
}

/// A line as `[x0, y0, x1, y1, ...]`, reduced to [`BUCKETS`] over the game.
fn line(points: &[Sample], end: f64) -> Value {
    let reduced = reduce(points, 0.0, end.max(1.0), BUCKETS);
    let mut out = Vec::with_capacity(reduced.len() * 2);
    for p in reduced {
        out.push(num((p.x * 10.0).round() / 10.0));
        out.push(num(p.y));
    }
    Value::Array(out)
}

/// The slope of a cumulative line over the last `window` seconds at each point, times `scale` (per minute: 60).
fn rate(points: &[Sample], window: f64, scale: f64) -> Vec<Sample> {
    let mut out = Vec::with_capacity(points.len());
    let mut j = 0;
    for (i, p) in points.iter().enumerate() {
        while j + 1 < i && f64::from(p.x - points[j + 1].x) >= window {
            j += 1;
        }
        if i == 0 {
            continue;
        }
        let q = points[j];
        let dt = f64::from(p.x - q.x);
        if dt > 0.0 {
            // A total that falls (a reconnect) is no negative damage.
            let dy = f64::from(p.y - q.y).max(0.0);
            out.push(Sample {
                x: p.x,
                y: (dy / dt * scale) as f32,
            });
        }
    }
    out
}

struct PlotSpec {
    id: &'static str,
    /// Drawn from units: a recording without any (minimal detail) has no such line, not a line of zeros.
    units: bool,
    group: &'static str,
    title: &'static str,
    unit: &'static str,
    pick: fn(&Team, &Collector) -> Vec<Sample>,
}

fn own(s: &Series) -> Vec<Sample> {
    s.points().to_vec()
}

fn notes_of<'a>(c: &'a Collector, t: &Team) -> Option<&'a super::collect::TeamNotes> {
    c.teams.get(&t.id)
}

const PLOTS: &[PlotSpec] = &[
    PlotSpec {
        id: "metal_income",
        units: false,
        group: "Economy",
        title: "Metal income",
        unit: "m/s",
        pick: |t, _| own(&t.series.metal_income),
    },
    PlotSpec {
        id: "energy_income",
        units: false,
        group: "Economy",
        title: "Energy income",
        unit: "e/s",
        pick: |t, _| own(&t.series.energy_income),
    },
    PlotSpec {
        id: "metal",
        units: false,
        group: "Economy",
        title: "Metal in storage",
        unit: "metal",
        pick: |t, _| own(&t.series.metal),
    },
    PlotSpec {
        id: "metal_excess",
        units: false,
        group: "Economy",
        title: "Metal excess (wasted at full storage), over the last minute",
        unit: "m/s",
        pick: |t, c| {
            notes_of(c, t).map_or_else(Vec::new, |n| rate(n.lines.metal_excess.points(), 60.0, 1.0))
        },
    },
    PlotSpec {
        id: "army_value",
        units: true,
        group: "Army",
        title: "Army value (metal cost of finished armed mobile units)",
        unit: "metal",
        pick: |t, _| own(&t.series.army_value),
    },
    PlotSpec {
        id: "land",
        units: true,
        group: "Army",
        title: "Land units alive",
        unit: "units",
        pick: |t, c| notes_of(c, t).map_or_else(Vec::new, |n| own(&n.lines.land)),
    },
    PlotSpec {
        id: "air",
        units: true,
        group: "Army",
        title: "Air units alive",
        unit: "units",
        pick: |t, c| notes_of(c, t).map_or_else(Vec::new, |n| own(&n.lines.air)),
    },
    PlotSpec {
        id: "sea",
        units: true,
        group: "Army",
        title: "Sea units alive",
        unit: "units",
        pick: |t, c| notes_of(c, t).map_or_else(Vec::new, |n| own(&n.lines.sea)),
    },
    PlotSpec {
        id: "buildings",
        units: true,
        group: "Army",
        title: "Buildings standing (factories, defenses, economy, utility)",
        unit: "buildings",
        pick: |t, c| notes_of(c, t).map_or_else(Vec::new, |n| own(&n.lines.buildings)),
    },
    PlotSpec {
        id: "damage_dealt",
        units: false,
        group: "Damage",
        title: "Damage dealt per minute (over the last minute)",
        unit: "hp/min",
        pick: |t, _| rate(t.series.damage_dealt.points(), 60.0, 60.0),
    },
    PlotSpec {
        id: "damage_received",
        units: false,
        group: "Damage",
        title: "Damage received per minute (over the last minute)",
        unit: "hp/min",
        pick: |t, _| rate(t.series.damage_received.points(), 60.0, 60.0),
    },
];

fn data(game: &Game, notes: &Collector, teams: &[&Team]) -> Value {
    let end = game.seconds;
    let team_list: Vec<Value> = teams
        .iter()
        .map(|t| {
            json!({"id": t.id, "name": t.name, "player": player_name(t), "ally": t.ally_team, "color": hex(t.color)})
        })
        .collect();
    let mut plots = Vec::new();
    let has_units = notes.gaps.unit_snapshots > 0;
    for spec in PLOTS {
        let lines: Vec<Value> = teams
            .iter()
            .filter(|_| has_units || !spec.units)
            .filter_map(|t| {
                let pts = (spec.pick)(t, notes);
                (!pts.is_empty()).then(|| json!({"team": t.id, "pts": line(&pts, end)}))
            })
            .collect();
        plots.push(json!({"id": spec.id, "group": spec.group, "title": spec.title, "unit": spec.unit, "lines": lines}));
    }
    let apm: Vec<Value> = notes
        .actions
        .values()
        .filter(|a| !a.per_minute.is_empty())
        .map(|a| json!({"team": a.team, "label": actor_name(game, a.team, a.player_id), "pts": line(a.per_minute.points(), end)}))
        .collect();
    plots.push(json!({"id": "apm", "group": "Actions", "title": "Actions per minute (orders given and factory queue changes)", "unit": "actions/min", "lines": apm}));
    let mut moments: Vec<Value> = notes
        .moments
        .iter()
        .chain(&notes.trades)
        .map(|m| {
            json!({"t": num(m.seconds), "kind": kind_name(&m.kind), "team": m.team, "text": m.text})
        })
        .collect();
    moments.sort_by(|a, b| {
        a["t"]
            .as_f64()
            .unwrap_or(0.0)
            .total_cmp(&b["t"].as_f64().unwrap_or(0.0))
    });
    json!({"end": num(end), "teams": team_list, "plots": plots, "moments": moments})
}

fn kind_name(k: &MomentKind) -> &'static str {
    match k {
        MomentKind::Factory { tier: 1 } => "factory-t1",
        MomentKind::Factory { tier: 2 } => "factory-t2",
        MomentKind::Factory { .. } => "factory-t3",
        MomentKind::CommanderDeath => "commander",
        MomentKind::Trade { .. } => "trade",
        MomentKind::LeadChange => "lead",
        MomentKind::GameOver => "over",
    }
}

fn kind_label(k: &MomentKind) -> &'static str {
    match k {
        MomentKind::Factory { .. } => "tech",
        MomentKind::CommanderDeath => "commander death",
        MomentKind::Trade { .. } => "large trade",
        MomentKind::LeadChange => "army lead",
        MomentKind::GameOver => "end",
    }
}

fn actor_name(game: &Game, team: u32, player: Option<u32>) -> String {
    let t = game.teams.get(&team);
    let named = player.and_then(|p| {
        t.and_then(|t| t.players.iter().find(|c| c.player_id == p))
            .map(|c| c.name.clone())
    });
    named
        .or_else(|| t.map(player_name))
        .unwrap_or_else(|| format!("Team {team}"))
}

fn swatch(t: &Team) -> String {
    format!(
        "<span class=\"r-swatch\" style=\"background:{}\"></span>",
        hex(t.color)
    )
}

fn cards(h: &mut String, game: &Game, teams: &[&Team], summary: &Summary) {
    h.push_str("<section id=\"players\" class=\"r-cards\">\n");
    let mut ally = None;
    for t in teams {
        if ally != Some(t.ally_team) {
            if ally.is_some() {
                h.push_str("</div>\n");
            }
            ally = Some(t.ally_team);
            let _ = writeln!(
                h,
                "<div class=\"r-ally\"><div class=\"r-ally-name\">Ally team {}</div>",
                t.ally_team + 1
            );
        }
        let s = summary.teams.iter().find(|s| s.team_id == t.id);
        let badge = match s.and_then(|s| s.won) {
            Some(true) => "<span class=\"r-won\">won</span>",
            Some(false) => "<span class=\"r-lost\">lost</span>",
            None => "",
        };
        let p = s.and_then(|s| s.player.as_ref());
        let mut bits = Vec::new();
        if let Some(p) = p {
            if p.ai {
                bits.push("AI".to_owned());
            }
            if let Some(c) = &p.country {
                bits.push(esc(&c.to_uppercase()));
            }
            if let Some(sk) = p.skill {
                bits.push(format!("skill {sk:.1}"));
            }
        }
        if let Some(f) = &t.faction {
            bits.push(esc(f));
        }
        if t.is_dead {
            bits.push("died".to_owned());
        }
        let _ = writeln!(
            h,
            "<div class=\"r-card\" style=\"border-color:{}\">{}<b>{}</b> {badge}<div class=\"r-dim\">{}</div></div>",
            hex(t.color),
            swatch(t),
            esc(&player_name(t)),
            bits.join(" · ")
        );
    }
    if ally.is_some() {
        h.push_str("</div>\n");
    }
    if game.teams.is_empty() {
        h.push_str("<p>The recording names no teams.</p>\n");
    }
    h.push_str("</section>\n");
}

fn moments(h: &mut String, notes: &Collector) {
    let mut all: Vec<_> = notes.moments.iter().chain(&notes.trades).collect();
    all.sort_by(|a, b| a.seconds.total_cmp(&b.seconds));
    h.push_str("<section id=\"moments\"><h2>Moments</h2>\n");
    if all.is_empty() {
        h.push_str("<p class=\"r-dim\">None found in this recording.</p></section>\n");
        return;
    }
    h.push_str("<table class=\"r-table r-moments\"><thead><tr><th>time</th><th>what</th><th></th></tr></thead><tbody>\n");
    for m in all {
        let _ = writeln!(
            h,
            "<tr class=\"r-m-{}\"><td class=\"r-num\">{}</td><td>{}</td><td>{}</td></tr>",
            kind_name(&m.kind),
            game_clock(m.seconds),
            kind_label(&m.kind),
            esc(&m.text)
        );
    }
    h.push_str("</tbody></table></section>\n");
}

fn team_builds<'a>(notes: &'a Collector, t: &Team) -> (&'a [(u32, Build)], &'static str) {
    match notes.teams.get(&t.id) {
        Some(n) if !n.builds_ordered.is_empty() => (&n.builds_ordered, "builds started"),
        Some(n) => (&n.builds_seen, "first seen"),
        None => (&[], "none"),
    }
}

fn builds(h: &mut String, notes: &Collector, teams: &[&Team]) {
    h.push_str("<section id=\"builds\"><h2>Build orders</h2>\n<p class=\"r-dim\">The first builds of each player with their game time, side by side.</p>\n<div class=\"r-scroll\"><table class=\"r-table r-builds\"><thead><tr><th>#</th>");
    let cols: Vec<_> = teams.iter().map(|t| team_builds(notes, t)).collect();
    for (t, (_, from)) in teams.iter().zip(&cols) {
        let _ = write!(
            h,
            "<th data-team=\"{}\">{}{}<div class=\"r-dim r-small\">{from}</div></th>",
            t.id,
            swatch(t),
            esc(&player_name(t))
        );
    }
    h.push_str("</tr></thead><tbody>\n");
    let rows = cols.iter().map(|(b, _)| b.len()).max().unwrap_or(0);
    for i in 0..rows {
        let _ = write!(h, "<tr><td class=\"r-num\">{}</td>", i + 1);
        for (b, _) in &cols {
            match b.get(i) {
                Some((_, b)) => {
                    let tier = if b.tier > 1 {
                        format!(" <span class=\"r-tier\">T{}</span>", b.tier)
                    } else {
                        String::new()
                    };
                    let _ = write!(
                        h,
                        "<td class=\"r-build r-c-{}\"><span class=\"r-num\">{}</span> {}{tier}</td>",
                        b.category.as_str(),
                        game_clock(b.seconds),
                        esc(&b.def_name)
                    );
                }
                None => h.push_str("<td></td>"),
            }
        }
        h.push_str("</tr>\n");
    }
    if rows == 0 {
        let _ = write!(
            h,
            "<tr><td colspan=\"{}\" class=\"r-dim\">No builds in this recording.</td></tr>",
            teams.len() + 1
        );
    }
    h.push_str("</tbody></table></div></section>\n");
}

fn clock_or_dash(t: Option<f64>) -> String {
    t.map_or_else(|| "–".to_owned(), game_clock)
}

fn tech(h: &mut String, notes: &Collector, teams: &[&Team]) {
    h.push_str("<section id=\"tech\"><h2>Tech timings</h2>\n<table class=\"r-table r-techt\"><thead><tr><th>player</th><th>first factory</th><th>first T2 lab</th><th>first T2 unit</th><th>first T3 lab</th><th>first T3 unit</th></tr></thead><tbody>\n");
    for t in teams {
        let n = notes.teams.get(&t.id);
        let f = |i: usize| clock_or_dash(n.and_then(|n| n.first_factory[i]));
        let _ = writeln!(
            h,
            "<tr><td>{}{}</td><td class=\"r-num\">{}</td><td class=\"r-num\">{}</td><td class=\"r-num\">{}</td><td class=\"r-num\">{}</td><td class=\"r-num\">{}</td></tr>",
            swatch(t),
            esc(&player_name(t)),
            f(0),
            f(1),
            clock_or_dash(n.and_then(|n| n.first_unit_t2)),
            f(2),
            clock_or_dash(n.and_then(|n| n.first_unit_t3))
        );
    }
    h.push_str("</tbody></table></section>\n");
}

fn actions(h: &mut String, game: &Game, notes: &Collector) {
    h.push_str("<section id=\"apm\"><h2>Actions per minute</h2>\n");
    if notes.actions.is_empty() {
        h.push_str("<p class=\"r-dim\">No decision points in this recording.</p></section>\n");
        return;
    }
    h.push_str("<table class=\"r-table\"><thead><tr><th>player</th><th>actions</th><th>average APM</th><th>peak APM</th></tr></thead><tbody>\n");
    for a in notes.actions.values() {
        let minutes = a.per_minute.len().max(1) as f64;
        let peak = a
            .per_minute
            .points()
            .iter()
            .map(|p| p.y)
            .fold(0.0f32, f32::max);
        let sw = game.teams.get(&a.team).map(swatch).unwrap_or_default();
        let _ = writeln!(
            h,
            "<tr><td>{sw}{}</td><td class=\"r-num\">{}</td><td class=\"r-num\">{:.0}</td><td class=\"r-num\">{peak:.0}</td></tr>",
            esc(&actor_name(game, a.team, a.player_id)),
            a.total,
            a.total as f64 / minutes
        );
    }
    h.push_str("</tbody></table></section>\n");
}

fn totals(h: &mut String, s: &Summary, teams: &[&Team]) {
    let n = |v: Option<f64>| v.map_or_else(|| "–".to_owned(), metal_text);
    let i = |v: Option<u32>| v.map_or_else(|| "–".to_owned(), |v| v.to_string());
    h.push_str("<section id=\"totals\"><h2>Totals</h2>\n<div class=\"r-scroll\"><table class=\"r-table r-totals\"><thead><tr><th>player</th><th>metal/s peak · avg</th><th>energy/s peak · avg</th><th>army end · max</th><th>damage dealt · received</th><th>efficiency</th><th>killed · died</th><th>metal produced · used · excess</th><th>reclaimed</th><th>built · lost</th></tr></thead><tbody>\n");
    for t in teams {
        let Some(ts) = s.teams.iter().find(|x| x.team_id == t.id) else {
            continue;
        };
        let _ = writeln!(
            h,
            "<tr><td>{}{}</td><td class=\"r-num\">{:.1} · {:.1}</td><td class=\"r-num\">{:.0} · {:.0}</td><td class=\"r-num\">{} · {}</td><td class=\"r-num\">{} · {}</td><td class=\"r-num\">{}</td><td class=\"r-num\">{} · {}</td><td class=\"r-num\">{} · {} · {}</td><td class=\"r-num\">{}</td><td class=\"r-num\">{}</td></tr>",
            swatch(t),
            esc(&player_name(t)),
            ts.peak_metal_income,
            ts.avg_metal_income,
            ts.peak_energy_income,
            ts.avg_energy_income,
            metal_text(ts.final_army_value),
            metal_text(ts.peak_army_value),
            n(ts.hud.damage_dealt),
            n(ts.hud.damage_received),
            ts.hud
                .damage_efficiency
                .map_or_else(|| "–".to_owned(), |e| format!("{e:.0} %")),
            i(ts.hud.units_killed),
            i(ts.hud.units_died),
            n(ts.hud.metal_produced),
            n(ts.metal_used),
            n(ts.metal_excess),
            n(ts.metal_reclaimed),
            built_lost(ts)
        );
    }
    h.push_str("</tbody></table></div></section>\n");
}

fn built_lost(t: &TeamSummary) -> String {
    let b: u32 = t.built.values().sum();
    let l: u32 = t.lost.values().sum();
    let army = |m: &std::collections::BTreeMap<&str, u32>| -> u32 {
        [Category::ArmyLand, Category::ArmyAir, Category::ArmySea]
            .iter()
            .map(|c| m.get(c.as_str()).copied().unwrap_or(0))
            .sum()
    };
    format!("{b} · {l} (army {} · {})", army(&t.built), army(&t.lost))
}
