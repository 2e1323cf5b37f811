//! `bar-overlay summary FILE`: a post-game report from a recording, per team.

use crate::cli::SummaryArgs;
use crate::ingest::{self, ItemKind};
use crate::model::{Applied, Game, Team};
use crate::protocol::{self, Category, Parsed};
use anyhow::Context;
use serde::Serialize;
use std::collections::BTreeMap;
use std::path::Path;

#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct Summary {
    pub map: Option<String>,
    pub duration_seconds: f64,
    /// Ally team ids that won, when the recording says.
    pub winners: Option<Vec<u32>>,
    pub full_view: bool,
    /// BAR's anonymous mode, when the game was anonymous (teams are then `Anonymous N`, with no player).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub anonymous: Option<String>,
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
    /// Protocol 1.1 and the Spectator HUD's totals; `null` where the recording does not carry them (a 1.0 sender, or
    /// an enemy's values in a player's view).
    pub faction: Option<String>,
    pub player: Option<PlayerSummary>,
    pub damage_dealt: Option<f64>,
    pub damage_received: Option<f64>,
    /// Dealt per hundred received, as the HUD shows it.
    pub damage_efficiency: Option<f64>,
    pub units_killed: Option<u32>,
    pub units_died: Option<u32>,
    pub metal_produced: Option<f64>,
    pub energy_produced: Option<f64>,
    pub metal_used: Option<f64>,
    pub energy_used: Option<f64>,
    pub metal_excess: Option<f64>,
    pub energy_excess: Option<f64>,
    /// Summed from the per-second reclaim and conversion rates.
    pub metal_reclaimed: Option<f64>,
    pub metal_converted: Option<f64>,
    pub final_utility_value: f64,
    pub final_economy_value: f64,
}

/// The player card of the team's lead player (1.1), or its AI.
#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct PlayerSummary {
    pub name: String,
    pub country: Option<String>,
    pub skill: Option<f64>,
    pub skill_uncertainty: Option<f64>,
    pub ai: bool,
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
            }
            ItemKind::Parsed(Ok(Parsed::Message { msg, .. })) => {
                let applied = game.apply(msg);
                if !any || applied == Applied::NewGame {
                    games += 1;
                }
                any = true;
            }
            ItemKind::Parsed(Ok(Parsed::UnknownType(_))) => {}
            ItemKind::Parsed(Err(e)) => {
                if unreadable == 0 {
                    tracing::warn!("{} line {}: {e}", path.display(), item.number);
                }
                unreadable += 1;
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
    Ok(from_game(&game, games, unreadable))
}

fn parse_totals(line: &[u8]) -> Result<Parsed, protocol::ParseError> {
    protocol::parse_line_with(line, protocol::Reading::Totals)
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
        faction: t.faction.clone(),
        player: player_summary(t),
        damage_dealt: t.damage_dealt,
        damage_received: t.damage_received,
        damage_efficiency: t.damage_efficiency(),
        units_killed: t.units_killed,
        units_died: t.units_died,
        metal_produced: t.metal.and_then(|m| m.produced),
        energy_produced: t.energy.and_then(|e| e.produced),
        metal_used: t.metal.and_then(|m| m.used),
        energy_used: t.energy.and_then(|e| e.used),
        metal_excess: t.metal.and_then(|m| m.excess),
        energy_excess: t.energy.and_then(|e| e.excess),
        metal_reclaimed: t
            .series
            .metal_reclaim
            .last()
            .map(|_| t.stats.metal_reclaimed),
        metal_converted: t
            .series
            .metal_converted
            .last()
            .map(|_| t.stats.metal_converted),
        final_utility_value: t.utility_value(),
        final_economy_value: t.economy_value(),
    };
    let teams = game.teams.values().map(team).collect();
    Summary {
        map: game.info.as_ref().map(|i| i.map.clone()),
        duration_seconds: game.seconds,
        winners,
        full_view: game.full_view(),
        anonymous: game.info.as_ref().and_then(|i| i.anonymous.clone()),
        games_in_file,
        unreadable_lines,
        teams,
    }
}

fn player_summary(t: &Team) -> Option<PlayerSummary> {
    if let Some(p) = t.lead_player() {
        return Some(PlayerSummary {
            name: p.name.clone(),
            country: p.country.clone(),
            skill: p.skill,
            skill_uncertainty: p.skill_uncertainty,
            ai: false,
        });
    }
    t.ai.as_ref().map(|ai| PlayerSummary {
        name: ai.name.clone(),
        country: None,
        skill: None,
        skill_uncertainty: None,
        ai: true,
    })
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
        t.damage_dealt.is_some() || t.units_killed.is_some() || t.metal_produced.is_some()
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
                n(t.damage_dealt),
                n(t.damage_received),
                n(t.damage_efficiency),
                i(t.units_killed),
                i(t.units_died),
                n(t.metal_produced),
                n(t.energy_produced),
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
