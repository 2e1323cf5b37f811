//! One team as the overlay sees it: who it is, its economy now, its army now, and its history.

use super::composition::Composition;
use super::series::Series;
use crate::protocol::{
    AiCard, Category, PlayerCard, PlayerStatus, Production, Resource, TeamId, TeamInfo, TeamState,
};

#[derive(Debug, Clone)]
pub struct Team {
    pub id: TeamId,
    pub ally_team: u32,
    pub name: String,
    pub color: [u8; 3],
    pub is_ai: bool,
    pub is_dead: bool,
    /// `None` while the sender cannot read this team's economy (an enemy of a player).
    pub metal: Option<Resource>,
    pub energy: Option<Resource>,
    pub damage_dealt: Option<f64>,
    pub damage_received: Option<f64>,
    /// Protocol 1.1 (each `None` until a sender reports it): the HUD's kill counts and values, and production.
    pub units_killed: Option<u32>,
    pub units_died: Option<u32>,
    pub utility_value: Option<f64>,
    pub economy_value: Option<f64>,
    pub production: Option<Production>,
    /// Protocol 1.1 team description: side, player cards, AI card.
    pub faction: Option<String>,
    pub players: Vec<PlayerCard>,
    pub ai: Option<AiCard>,
    pub army: Composition,
    pub series: TeamSeries,
    pub stats: TeamStats,
}

/// The Spectator HUD's totals of a team (protocol 1.1): each `None` where the sender does not report it (a 1.0
/// sender, or an enemy's values in a player's view).
#[derive(Debug, Clone, Copy, PartialEq, serde::Serialize)]
pub struct HudTotals {
    pub damage_dealt: Option<f64>,
    pub damage_received: Option<f64>,
    /// Dealt per hundred received.
    pub damage_efficiency: Option<f64>,
    pub units_killed: Option<u32>,
    pub units_died: Option<u32>,
    pub metal_produced: Option<f64>,
    pub energy_produced: Option<f64>,
}

/// One sample per game second (thinned in long games, see [`Series`]).
#[derive(Debug, Clone, Default)]
pub struct TeamSeries {
    pub metal_income: Series,
    pub energy_income: Series,
    pub metal: Series,
    pub energy: Series,
    pub army_value: Series,
    pub build_power: Series,
    /// Protocol 1.1 values, pushed only while a sender reports them. Cumulative ones rise over the game.
    pub damage_dealt: Series,
    pub damage_received: Series,
    pub units_killed: Series,
    pub units_died: Series,
    pub metal_produced: Series,
    pub energy_produced: Series,
    pub metal_reclaim: Series,
    pub metal_converted: Series,
}

impl TeamSeries {
    /// Keeps every line within `capacity` points.
    pub fn limit(&mut self, capacity: usize) {
        for s in [
            &mut self.metal_income,
            &mut self.energy_income,
            &mut self.metal,
            &mut self.energy,
            &mut self.army_value,
            &mut self.build_power,
            &mut self.damage_dealt,
            &mut self.damage_received,
            &mut self.units_killed,
            &mut self.units_died,
            &mut self.metal_produced,
            &mut self.energy_produced,
            &mut self.metal_reclaim,
            &mut self.metal_converted,
        ] {
            if s.capacity() != capacity {
                s.set_capacity(capacity);
            }
        }
    }
}

/// Whole-game figures kept exactly, whatever the series thinning drops.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct TeamStats {
    pub samples: u64,
    pub peak_metal_income: f64,
    pub sum_metal_income: f64,
    pub peak_energy_income: f64,
    pub sum_energy_income: f64,
    pub economy_samples: u64,
    pub peak_army_value: f64,
    /// Units seen going from under construction to finished, by category.
    pub built: [u32; 9],
    /// Finished units reported destroyed, by category.
    pub lost: [u32; 9],
    /// Metal gained by reclaiming and by energy conversion (1.1 senders), summed over the samples' seconds.
    pub metal_reclaimed: f64,
    pub metal_converted: f64,
    last_sample_t: Option<f64>,
}

impl TeamStats {
    pub fn built(&self, c: Category) -> u32 {
        self.built[c.index()]
    }
    pub fn lost(&self, c: Category) -> u32 {
        self.lost[c.index()]
    }
    pub fn avg_metal_income(&self) -> f64 {
        if self.economy_samples == 0 {
            0.0
        } else {
            self.sum_metal_income / self.economy_samples as f64
        }
    }
    pub fn avg_energy_income(&self) -> f64 {
        if self.economy_samples == 0 {
            0.0
        } else {
            self.sum_energy_income / self.economy_samples as f64
        }
    }
}

/// Team colors for senders that do not describe teams (no hello) and for the simulator: distinct on dark and light
/// backgrounds, in BAR's usual order.
pub const TEAM_PALETTE: [[u8; 3]; 16] = [
    [0, 90, 255],
    [255, 40, 40],
    [40, 200, 40],
    [255, 200, 0],
    [200, 0, 200],
    [0, 200, 200],
    [255, 130, 0],
    [150, 150, 255],
    [255, 120, 180],
    [120, 80, 30],
    [180, 255, 120],
    [90, 90, 90],
    [255, 255, 255],
    [0, 110, 60],
    [130, 0, 0],
    [60, 0, 140],
];

impl Team {
    pub fn from_info(info: &TeamInfo) -> Team {
        let mut t = Team::unnamed(info.team_id);
        t.update_info(info);
        t
    }

    /// A team that appeared in a snapshot before any hello described it.
    pub fn unnamed(id: TeamId) -> Team {
        Team {
            id,
            ally_team: id,
            name: format!("Team {id}"),
            color: TEAM_PALETTE[id as usize % TEAM_PALETTE.len()],
            is_ai: false,
            is_dead: false,
            metal: None,
            energy: None,
            damage_dealt: None,
            damage_received: None,
            units_killed: None,
            units_died: None,
            utility_value: None,
            economy_value: None,
            production: None,
            faction: None,
            players: Vec::new(),
            ai: None,
            army: Composition::default(),
            series: TeamSeries::default(),
            stats: TeamStats::default(),
        }
    }

    pub fn update_info(&mut self, info: &TeamInfo) {
        self.ally_team = info.ally_team_id;
        self.name.clone_from(&info.name);
        self.color = info.color;
        self.is_ai = info.is_ai;
        self.is_dead = info.is_dead.unwrap_or(self.is_dead);
        self.faction.clone_from(&info.faction);
        self.players.clone_from(&info.players);
        self.ai.clone_from(&info.ai);
    }

    /// What the window, the pages and the report show of a human team in an anonymous game: `Anonymous N` (N the
    /// team's number from 1) and no player cards (names, ratings, countries). An AI team keeps its AI's name: no
    /// person is behind it.
    pub fn anonymize(&mut self) {
        if self.is_ai {
            return;
        }
        self.name = format!("Anonymous {}", u64::from(self.id) + 1);
        self.players.clear();
    }

    /// Takes a snapshot's state of this team. Economy is replaced (absent means unreadable now); every other field
    /// keeps its last value when absent (SCHEMA.md: sent at most once a game second).
    pub(crate) fn update_state(&mut self, ts: TeamState) {
        fn keep<T>(new: Option<T>, old: &mut Option<T>) {
            if new.is_some() {
                *old = new;
            }
        }
        // A resource's 1.1 totals and per-second values may come once a game second (the widget sends reclaim and
        // conversion so): absent beside a readable resource means unchanged.
        fn take(new: Option<Resource>, old: &mut Option<Resource>) {
            let (Some(mut new), Some(prev)) = (new, *old) else {
                *old = new;
                return;
            };
            new.used = new.used.or(prev.used);
            new.reclaim = new.reclaim.or(prev.reclaim);
            new.converted = new.converted.or(prev.converted);
            *old = Some(new);
        }
        take(ts.metal, &mut self.metal);
        take(ts.energy, &mut self.energy);
        keep(ts.damage_dealt, &mut self.damage_dealt);
        keep(ts.damage_received, &mut self.damage_received);
        keep(ts.units_killed, &mut self.units_killed);
        keep(ts.units_died, &mut self.units_died);
        keep(ts.utility_value, &mut self.utility_value);
        keep(ts.economy_value, &mut self.economy_value);
        keep(ts.production, &mut self.production);
        if let Some(dead) = ts.is_dead {
            self.is_dead = dead;
        }
    }

    /// The state as a snapshot would carry it, every known value included (for a reader joining mid-game).
    pub fn to_state(&self) -> TeamState {
        TeamState {
            metal: self.metal,
            energy: self.energy,
            damage_dealt: self.damage_dealt,
            damage_received: self.damage_received,
            is_dead: Some(self.is_dead),
            units_killed: self.units_killed,
            units_died: self.units_died,
            utility_value: self.utility_value,
            economy_value: self.economy_value,
            production: self.production.clone(),
            ..TeamState::new(self.id)
        }
    }

    /// The team's description as a hello carries it.
    pub fn to_info(&self) -> TeamInfo {
        TeamInfo {
            team_id: self.id,
            ally_team_id: self.ally_team,
            name: self.name.clone(),
            color: self.color,
            is_ai: self.is_ai,
            is_dead: Some(self.is_dead),
            faction: self.faction.clone(),
            players: self.players.clone(),
            ai: self.ai.clone(),
        }
    }

    /// Forgets what the sender may no longer be allowed to read (the view changed); the next snapshot says.
    pub(crate) fn forget_view_dependent(&mut self) {
        for r in [&mut self.metal, &mut self.energy].into_iter().flatten() {
            r.used = None;
            r.reclaim = None;
            r.converted = None;
        }
        self.damage_dealt = None;
        self.damage_received = None;
        self.units_killed = None;
        self.units_died = None;
        self.utility_value = None;
        self.economy_value = None;
        self.production = None;
    }

    /// The Spectator HUD's damage efficiency: dealt per hundred received. `None` until both are known, and while
    /// nothing was received (the HUD shows no number then either).
    pub fn damage_efficiency(&self) -> Option<f64> {
        match (self.damage_dealt, self.damage_received) {
            (Some(d), Some(r)) if r > 0.0 => Some(d * 100.0 / r),
            _ => None,
        }
    }

    /// The Spectator HUD's combat and production totals, as the pages and the report show them.
    pub fn hud_totals(&self) -> HudTotals {
        HudTotals {
            damage_dealt: self.damage_dealt,
            damage_received: self.damage_received,
            damage_efficiency: self.damage_efficiency(),
            units_killed: self.units_killed,
            units_died: self.units_died,
            metal_produced: self.metal.and_then(|m| m.produced),
            energy_produced: self.energy.and_then(|e| e.produced),
        }
    }

    /// The Spectator HUD's utility value: the sender's when it reports one (unitgroup `util`), else the model's own
    /// count of the utility category.
    pub fn utility_value(&self) -> f64 {
        self.utility_value
            .unwrap_or_else(|| self.army.utility_value())
    }

    /// The Spectator HUD's economy value: the sender's when it reports one, else the model's economy category.
    pub fn economy_value(&self) -> f64 {
        self.economy_value
            .unwrap_or_else(|| self.army.economy_value())
    }

    /// Who to introduce: the first player still playing, else the first player.
    pub fn lead_player(&self) -> Option<&PlayerCard> {
        self.players
            .iter()
            .find(|p| matches!(p.status(), PlayerStatus::Playing | PlayerStatus::Other))
            .or_else(|| self.players.first())
    }

    /// Records this second's values in the series and the whole-game stats.
    pub(crate) fn sample(&mut self, t: f64) {
        let s = &mut self.series;
        let st = &mut self.stats;
        st.samples += 1;
        // Rates are known at the samples; between two samples the last rate held. A sample after a long gap (a
        // reconnect) counts one second, not the whole gap.
        let dt = st
            .last_sample_t
            .map_or(1.0, |last| (t - last).clamp(0.0, 5.0));
        st.last_sample_t = Some(t);
        if let Some(m) = self.metal {
            st.metal_reclaimed += m.reclaim.unwrap_or(0.0) * dt;
            st.metal_converted += m.converted.unwrap_or(0.0) * dt;
        }
        if let (Some(m), Some(e)) = (self.metal, self.energy) {
            s.metal_income.push(t, m.income);
            s.energy_income.push(t, e.income);
            s.metal.push(t, m.current);
            s.energy.push(t, e.current);
            st.economy_samples += 1;
            st.sum_metal_income += m.income;
            st.sum_energy_income += e.income;
            st.peak_metal_income = st.peak_metal_income.max(m.income);
            st.peak_energy_income = st.peak_energy_income.max(e.income);
        }
        let army = self.army.army_value();
        s.army_value.push(t, army);
        s.build_power.push(t, self.army.build_power);
        let push = |series: &mut Series, v: Option<f64>| {
            if let Some(v) = v {
                series.push(t, v);
            }
        };
        push(&mut s.damage_dealt, self.damage_dealt);
        push(&mut s.damage_received, self.damage_received);
        push(&mut s.units_killed, self.units_killed.map(f64::from));
        push(&mut s.units_died, self.units_died.map(f64::from));
        push(&mut s.metal_produced, self.metal.and_then(|m| m.produced));
        push(&mut s.energy_produced, self.energy.and_then(|e| e.produced));
        push(&mut s.metal_reclaim, self.metal.and_then(|m| m.reclaim));
        push(&mut s.metal_converted, self.metal.and_then(|m| m.converted));
        st.peak_army_value = st.peak_army_value.max(army);
    }
}
