//! What a team has on the field, in BAR's terms: army value and its land/air/sea split, defense, economy and utility
//! value, build power, and the unit types that make it up.

use crate::protocol::{Category, DefId, TeamId, UnitDef};
use std::collections::{BTreeMap, HashMap};

#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub struct Totals {
    pub count: u32,
    pub metal: f64,
}

#[derive(Debug, Clone, PartialEq)]
pub struct DefTotals {
    pub def_id: DefId,
    pub count: u32,
    pub metal: f64,
}

/// One team's finished units, summed. Units under construction count in `under_construction` only.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Composition {
    pub by_category: [Totals; 9],
    /// Sorted by metal value, highest first (then by def id, so the order is stable).
    pub by_def: Vec<DefTotals>,
    pub build_power: f64,
    pub commander_alive: bool,
    pub under_construction: u32,
    /// Radar blips and units whose def the sender never described.
    pub unknown: u32,
}

impl Composition {
    pub fn category(&self, c: Category) -> Totals {
        self.by_category[c.index()]
    }

    /// BAR's army value: metal cost of finished mobile armed units, commanders excluded.
    pub fn army_value(&self) -> f64 {
        self.army_land() + self.army_air() + self.army_sea()
    }
    pub fn army_land(&self) -> f64 {
        self.category(Category::ArmyLand).metal
    }
    pub fn army_air(&self) -> f64 {
        self.category(Category::ArmyAir).metal
    }
    pub fn army_sea(&self) -> f64 {
        self.category(Category::ArmySea).metal
    }
    pub fn defense_value(&self) -> f64 {
        self.category(Category::Defense).metal
    }
    pub fn economy_value(&self) -> f64 {
        self.category(Category::Economy).metal
    }
    pub fn utility_value(&self) -> f64 {
        self.category(Category::Utility).metal
    }
    pub fn army_count(&self) -> u32 {
        [Category::ArmyLand, Category::ArmyAir, Category::ArmySea]
            .iter()
            .map(|c| self.category(*c).count)
            .sum()
    }

    /// The `n` unit types of the army categories worth the most metal.
    pub fn top_army<'a>(
        &'a self,
        defs: &'a HashMap<DefId, UnitDef>,
        n: usize,
    ) -> impl Iterator<Item = &'a DefTotals> {
        self.by_def
            .iter()
            .filter(move |d| {
                defs.get(&d.def_id)
                    .is_some_and(|def| def.category.is_army())
            })
            .take(n)
    }
}

/// Every team's composition, computed from the unit set. Linear in units.
pub fn compute(
    units: &super::Units,
    defs: &HashMap<DefId, UnitDef>,
) -> BTreeMap<TeamId, Composition> {
    let mut teams: BTreeMap<TeamId, Composition> = BTreeMap::new();
    let mut per_def: HashMap<(TeamId, DefId), Totals> = HashMap::new();
    for unit in units.values() {
        let c = teams.entry(unit.team).or_default();
        let Some(def) = unit.def_id.and_then(|d| defs.get(&d)) else {
            c.unknown += 1;
            continue;
        };
        if def.category == Category::Commander {
            c.commander_alive = true;
        }
        if !unit.is_finished() {
            c.under_construction += 1;
            continue;
        }
        let t = &mut c.by_category[def.category.index()];
        t.count += 1;
        t.metal += def.metal_cost;
        c.build_power += def.build_speed.unwrap_or(0.0);
        let d = per_def.entry((unit.team, def.def_id)).or_default();
        d.count += 1;
        d.metal += def.metal_cost;
    }
    for ((team_id, def_id), t) in per_def {
        teams.entry(team_id).or_default().by_def.push(DefTotals {
            def_id,
            count: t.count,
            metal: t.metal,
        });
    }
    for c in teams.values_mut() {
        c.by_def
            .sort_by(|a, b| b.metal.total_cmp(&a.metal).then(a.def_id.cmp(&b.def_id)));
    }
    teams
}
