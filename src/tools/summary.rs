//! `bar-overlay summary FILE`: a post-game report from a recording, per team.

use crate::cli::SummaryArgs;
use crate::model::{Applied, Game, Team};
use crate::protocol::{self, Category, Parsed};
use anyhow::Context;
use serde::Serialize;
use std::collections::BTreeMap;
use std::io::BufRead;
use std::path::Path;

#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct Summary {
    pub map: Option<String>,
    pub duration_seconds: f64,
    /// Ally team ids that won, when the recording says.
    pub winners: Option<Vec<u32>>,
    pub full_view: bool,
    pub games_in_file: u32,
    pub unreadable_lines: u64,
    pub teams: Vec<TeamSummary>,
}

#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct TeamSummary {
    pub team_id: u32,
    pub ally_team_id: u32,
    pub name: String,
    pub won: Option<bool>,
    pub peak_metal_income: f64,
    pub avg_metal_income: f64,
    pub peak_energy_income: f64,
    pub avg_energy_income: f64,
    pub final_army_value: f64,
    pub peak_army_value: f64,
    pub built: BTreeMap<&'static str, u32>,
    pub lost: BTreeMap<&'static str, u32>,
}

pub fn run_cli(args: &SummaryArgs) -> anyhow::Result<()> {
    let s = summarize(&args.file)?;
    if args.json {
        println!("{}", serde_json::to_string_pretty(&s)?);
    } else {
        print!("{}", render(&s));
    }
    Ok(())
}

/// Reads a recording and summarizes its last game.
pub fn summarize(path: &Path) -> anyhow::Result<Summary> {
    let file =
        std::fs::File::open(path).with_context(|| format!("cannot read {}", path.display()))?;
    let mut game = Game::new();
    let mut games = 0u32;
    let mut unreadable = 0u64;
    let mut any = false;
    for (n, line) in std::io::BufReader::new(file).split(b'\n').enumerate() {
        let line = line.with_context(|| format!("cannot read {}", path.display()))?;
        let line = line.strip_suffix(b"\r").unwrap_or(&line);
        if line.iter().all(u8::is_ascii_whitespace) {
            continue;
        }
        match protocol::parse_line(line) {
            Ok(Parsed::Message { msg, .. }) => {
                let applied = game.apply(msg);
                if !any || applied == Applied::NewGame {
                    games += 1;
                }
                any = true;
            }
            Ok(Parsed::UnknownType(_)) => {}
            Err(e) => {
                if unreadable == 0 {
                    tracing::warn!("{} line {}: {e}", path.display(), n + 1);
                }
                unreadable += 1;
            }
        }
    }
    anyhow::ensure!(
        any,
        "{} holds no protocol v1 messages (is it a recording from `bar-overlay record`?)",
        path.display()
    );
    Ok(from_game(&game, games, unreadable))
}

pub fn from_game(game: &Game, games_in_file: u32, unreadable_lines: u64) -> Summary {
    let winners = game.over.as_ref().and_then(|o| o.winners.clone());
    let won = |ally: u32| winners.as_ref().map(|w| w.contains(&ally));
    let per_category = |counts: &[u32; 9]| {
        Category::ALL
            .iter()
            .map(|c| (c.as_str(), counts[c.index()]))
            .filter(|(_, n)| *n > 0)
            .collect()
    };
    let team = |t: &Team| TeamSummary {
        team_id: t.id,
        ally_team_id: t.ally_team,
        name: t.name.clone(),
        won: won(t.ally_team),
        peak_metal_income: t.stats.peak_metal_income,
        avg_metal_income: t.stats.avg_metal_income(),
        peak_energy_income: t.stats.peak_energy_income,
        avg_energy_income: t.stats.avg_energy_income(),
        final_army_value: t.army.army_value(),
        peak_army_value: t.stats.peak_army_value,
        built: per_category(&t.stats.built),
        lost: per_category(&t.stats.lost),
    };
    let teams = game.teams.values().map(team).collect();
    Summary {
        map: game.info.as_ref().map(|i| i.map.clone()),
        duration_seconds: game.seconds,
        winners,
        full_view: game.full_view(),
        games_in_file,
        unreadable_lines,
        teams,
    }
}

/// A plain-text table for a terminal.
pub fn render(s: &Summary) -> String {
    let mut out = format!(
        "{} | {} of game{}\n",
        s.map.as_deref().unwrap_or("unknown map"),
        super::clock(s.duration_seconds),
        if s.full_view {
            ""
        } else {
            " | player view: enemy values are partial"
        }
    );
    if s.games_in_file > 1 {
        out += &format!(
            "(the file holds {} games; this is the last)\n",
            s.games_in_file
        );
    }
    out += &format!(
        "{:<20} {:>4} {:>9} {:>9} {:>9} {:>9} {:>9} {:>9}  {}\n",
        "team",
        "ally",
        "m/s peak",
        "m/s avg",
        "e/s peak",
        "e/s avg",
        "army end",
        "army max",
        "built / lost"
    );
    for t in &s.teams {
        let won = match t.won {
            Some(true) => " (won)",
            _ => "",
        };
        let units: Vec<String> = Category::ALL
            .iter()
            .map(|c| c.as_str())
            .filter_map(|c| {
                let (b, l) = (
                    t.built.get(c).copied().unwrap_or(0),
                    t.lost.get(c).copied().unwrap_or(0),
                );
                (b + l > 0).then(|| format!("{c} {b}/{l}"))
            })
            .collect();
        out += &format!(
            "{:<20} {:>4} {:>9.1} {:>9.1} {:>9.0} {:>9.0} {:>9.0} {:>9.0}  {}\n",
            format!("{}{won}", t.name),
            t.ally_team_id,
            t.peak_metal_income,
            t.avg_metal_income,
            t.peak_energy_income,
            t.avg_energy_income,
            t.final_army_value,
            t.peak_army_value,
            units.join(", ")
        );
    }
    if s.unreadable_lines > 0 {
        out += &format!("{} unreadable lines skipped\n", s.unreadable_lines);
    }
    out
}
