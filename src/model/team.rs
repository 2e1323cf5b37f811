//! One team as the overlay sees it: who it is, its economy now, its army now, and its history.

use super::composition::Composition;
use super::series::Series;
use crate::protocol::{Category, Resource, TeamId, TeamInfo};

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
    pub army: Composition,
    pub series: TeamSeries,
    pub stats: TeamStats,
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
    }

    /// Records this second's values in the series and the whole-game stats.
    pub(crate) fn sample(&mut self, t: f64) {
        let s = &mut self.series;
        let st = &mut self.stats;
        st.samples += 1;
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
        st.peak_army_value = st.peak_army_value.max(army);
    }
}
