//! `bar-overlay summary FILE`: a post-game report from a recording, per team.

use crate::ingest::{self, ItemKind};
use crate::model::{Applied, Game};
use crate::protocol::{self, Category, Message, Parsed};
use anyhow::Context;
use std::path::Path;

// The totals are computed where the report's page can use them too (the report sits below the tools).
pub use crate::report::totals::{PlayerSummary, Summary, TeamSummary, from_game};

/// Prints the report of `file`: a table, or JSON.
pub fn run_cli(file: &std::path::Path, json: bool) -> anyhow::Result<()> {
    let s = summarize(file)?;
    if json {
        println!("{}", serde_json::to_string_pretty(&s)?);
    } else {
        print!("{}", render(&s));
    }
    Ok(())
}

/// Reads a recording and summarizes its last game.
pub fn summarize(path: &Path) -> anyhow::Result<Summary> {
    let read = read(path, &mut ())?;
    Ok(from_game(&read.game, read.games, read.unreadable))
}

/// What [`read`] tells a caller as it goes (`report` builds its page from it; `summary` needs none of it).
pub trait Watch {
    /// Line `number` was skipped: `why` in a few words.
    fn skipped(&mut self, _number: u64, _why: &str) {}
    /// `msg` is about to be applied to `game` (`game.starts_new_game(msg)` says whether it ends the game so far).
    fn before(&mut self, _game: &Game, _msg: &Message) {}
    /// The message was applied.
    fn after(&mut self, _game: &Game) {}
}

impl Watch for () {}

/// A recording read into the model.
pub struct Read {
    /// The last game in the file.
    pub game: Game,
    pub games: u32,
    pub unreadable: u64,
}

/// Reads a recording into a [`Game`] (its last game), telling `watch` every message and every skipped line.
pub fn read(path: &Path, watch: &mut impl Watch) -> anyhow::Result<Read> {
    let file =
        std::fs::File::open(path).with_context(|| format!("cannot read {}", path.display()))?;
    let mut game = Game::new();
    let mut games = 0u32;
    let mut unreadable = 0u64;
    let mut any = false;
    // Lines are parsed on every core; the model takes them in order here.
    // Totals only: units are read without position, health, velocity and experience, which no total depends on.
    ingest::for_each(file, ingest::parse_threads(), parse_totals, |item| {
        match item.kind {
            ItemKind::Blank => {}
            ItemKind::TooLong(bytes) => {
                if unreadable == 0 {
                    tracing::warn!(
                        "{} line {}: {bytes} bytes, over the {}-byte line cap; skipped",
                        path.display(),
                        item.number,
                        protocol::MAX_LINE_BYTES
                    );
                }
                unreadable += 1;
                watch.skipped(item.number, &format!("{bytes} bytes, over the line cap"));
            }
            ItemKind::Parsed(Ok(Parsed::Message { msg, .. })) => {
                watch.before(&game, &msg);
                let applied = game.apply(msg);
                if !any || applied == Applied::NewGame {
                    games += 1;
                }
                any = true;
                watch.after(&game);
            }
            ItemKind::Parsed(Ok(Parsed::UnknownType(_))) => {}
            ItemKind::Parsed(Err(e)) => {
                if unreadable == 0 {
                    tracing::warn!("{} line {}: {e}", path.display(), item.number);
                }
                unreadable += 1;
                watch.skipped(item.number, &e.to_string());
            }
        }
        true
    })
    .with_context(|| format!("cannot read {}", path.display()))?;
    anyhow::ensure!(
        any,
        "{} holds no protocol v1 messages (is it a recording from `bar-overlay record`?)",
        path.display()
    );
    Ok(Read {
        game,
        games,
        unreadable,
    })
}

fn parse_totals(line: &[u8]) -> Result<Parsed, protocol::ParseError> {
    protocol::parse_line_with(line, protocol::Reading::Totals)
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
    if let Some(mode) = &s.anonymous {
        out += &format!("anonymous game ({mode}): players are not named\n");
    }
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
    // The Spectator HUD's totals, when the recording has them (protocol 1.1).
    let has_hud = s.teams.iter().any(|t| {
        t.hud.damage_dealt.is_some()
            || t.hud.units_killed.is_some()
            || t.hud.metal_produced.is_some()
    });
    if has_hud {
        let n = |v: Option<f64>| v.map_or_else(|| "-".to_owned(), |v| format!("{v:.0}"));
        let i = |v: Option<u32>| v.map_or_else(|| "-".to_owned(), |v| v.to_string());
        out += &format!(
            "\n{:<20} {:>9} {:>9} {:>6} {:>6} {:>6} {:>10} {:>10} {:>9} {:>9}\n",
            "team",
            "dmg dealt",
            "dmg recv",
            "eff %",
            "killed",
            "died",
            "m produced",
            "e produced",
            "m reclaim",
            "m convert"
        );
        for t in &s.teams {
            out += &format!(
                "{:<20} {:>9} {:>9} {:>6} {:>6} {:>6} {:>10} {:>10} {:>9} {:>9}\n",
                t.name,
                n(t.hud.damage_dealt),
                n(t.hud.damage_received),
                n(t.hud.damage_efficiency),
                i(t.hud.units_killed),
                i(t.hud.units_died),
                n(t.hud.metal_produced),
                n(t.hud.energy_produced),
                n(t.metal_reclaimed),
                n(t.metal_converted)
            );
        }
    }
    if s.unreadable_lines > 0 {
        out += &format!("{} unreadable lines skipped\n", s.unreadable_lines);
    }
    out
}
