//! The totals of a game, per team, from the model: what `summary` prints and the report's page shows.

use crate::model::{Game, HudTotals, Team};
use crate::protocol::Category;
use serde::Serialize;
use std::collections::BTreeMap;

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
    #[serde(flatten)]
    pub hud: HudTotals,
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
        hud: t.hud_totals(),
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
