//! BAR unit types for the simulator, read from `data/bar-units.tsv` (84 real units: names, costs, categories and
//! tech levels as in the game; the same file gives the widget's fake engine its UnitDefs). The file is compiled in,
//! so the binary needs nothing beside it.
//!
//! `build_speed` is the one column that is ours, not the game's: it approximates BAR's values (commander 300, T1
//! constructors 60-90, T2 250, factories 150/300, turrets 200); empty means the unit cannot build.

use crate::protocol::Category;
use std::sync::LazyLock;

const TABLE: &str = include_str!("../../../data/bar-units.tsv");

pub struct SimDef {
    pub name: &'static str,
    pub human_name: &'static str,
    pub faction: Faction,
    pub metal: f64,
    pub energy: f64,
    pub health: f32,
    /// Elmos per second; 0 for buildings.
    pub speed: f32,
    pub category: Category,
    pub tech: u8,
    pub build_speed: f64,
    pub can_fly: bool,
    /// BAR's `customParams.unitgroup` (`util`, `metal`, `energy`, `builder`, `weapon`, ...): the Spectator HUD's
    /// utility and economy values are sums over it.
    pub unitgroup: &'static str,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Faction {
    Arm,
    Cor,
}

/// Every unit of the table, in file order (the simulator's def ids are indices into it).
pub static DEFS: LazyLock<Vec<SimDef>> = LazyLock::new(|| {
    parse(TABLE).unwrap_or_else(|e| panic!("data/bar-units.tsv (compiled in): {e}"))
});

/// Parses the unit table. The table is part of the binary and checked by a test, so an error here is a bug.
pub fn parse(text: &'static str) -> Result<Vec<SimDef>, String> {
    let mut lines = text.lines().enumerate();
    let header: Vec<&str> = lines.next().ok_or("empty table")?.1.split('\t').collect();
    let col = |name: &str| {
        header
            .iter()
            .position(|h| *h == name)
            .ok_or_else(|| format!("no column {name}"))
    };
    let name = col("name")?;
    let human = col("human_name")?;
    let faction = col("faction")?;
    let metal = col("metal_cost")?;
    let energy = col("energy_cost")?;
    let health = col("health")?;
    let speed = col("speed")?;
    let can_fly = col("can_fly")?;
    let category = col("category")?;
    let tech = col("tech_level")?;
    let build_speed = col("build_speed")?;
    let unitgroup = col("unitgroup")?;
    let mut defs = Vec::new();
    for (i, line) in lines.filter(|(_, l)| !l.trim().is_empty()) {
        let at = |what: &str| format!("line {}: {what}", i + 1);
        let cells: Vec<&'static str> = line.split('\t').collect();
        let cell = |c: usize| cells.get(c).copied().unwrap_or("");
        let number = |c: usize| -> Result<f64, String> {
            match cell(c) {
                "" => Ok(0.0),
                s => s
                    .parse()
                    .map_err(|_| at(&format!("{:?} is not a number", s))),
            }
        };
        defs.push(SimDef {
            name: cell(name),
            human_name: cell(human),
            faction: match cell(faction) {
                "arm" => Faction::Arm,
                "cor" => Faction::Cor,
                other => return Err(at(&format!("unknown faction {other:?}"))),
            },
            metal: number(metal)?,
            energy: number(energy)?,
            health: number(health)? as f32,
            speed: number(speed)? as f32,
            category: Category::ALL
                .into_iter()
                .find(|c| c.as_str() == cell(category))
                .ok_or_else(|| at(&format!("unknown category {:?}", cell(category))))?,
            tech: match cell(tech) {
                "" => 1,
                s => s.parse().map_err(|_| at(&format!("tech level {s:?}")))?,
            },
            build_speed: number(build_speed)?,
            can_fly: cell(can_fly) == "yes",
            unitgroup: cell(unitgroup),
        });
    }
    Ok(defs)
}
