//! A synthetic BAR game: teams whose economy grows along a believable curve, build real unit types with it, send
//! their armies to the front and lose them there. Deterministic for a seed.

use super::units::{DEFS, Faction, SimDef};
use crate::model::TEAM_PALETTE;
use crate::protocol::{
    AiCard, Category, Construction, FactoryJob, Health, Order, PlayerCard, Production, Resource,
    TeamInfo, TeamState, Unit, UnitCommand, UnitDef, Vec3,
};
use std::collections::BTreeMap;

const FRAMES_PER_SECOND: u32 = 30;
const MAP_SIZE: f32 = 12288.0;
const NAMES: [&str; 16] = [
    "Zenit",
    "Nyx",
    "Kroll \"The Wall\"",
    "Ferris",
    "Öster",
    "Blackhawk",
    "Mira",
    "Tarkus",
    "Vex",
    "Saltmine",
    "Quill",
    "Ravel",
    "Jolt",
    "Pyre",
    "Ember",
    "Lumen",
];
const COUNTRIES: [&str; 12] = [
    "DE", "US", "SE", "PL", "FR", "GB", "BR", "CA", "NL", "FI", "RU", "AU",
];
/// Longest list of factories or constructions a team reports (SCHEMA.md: production).
const MAX_PRODUCTION_ENTRIES: usize = 64;

pub struct SimTeam {
    pub id: u32,
    pub ally: u32,
    pub name: String,
    faction: Faction,
    skill: f64,
    base: (f32, f32),
    metal: Stock,
    energy: Stock,
    damage_dealt: f64,
    damage_received: f64,
    pub dead: bool,
    factories: u32,
    units_killed: u32,
    units_died: u32,
    /// The player's card; `None` for an AI team.
    player: Option<PlayerCard>,
    /// Finished energy converters, counted once a game second.
    converters: u32,
    /// Finished builders (commanders, constructors, construction turrets), counted once a game second.
    builders: u32,
}

#[derive(Default, Clone, Copy)]
struct Stock {
    current: f64,
    storage: f64,
    income: f64,
    expense: f64,
    produced: f64,
    excess: f64,
    used: f64,
    /// Per second, parts of `income`: from reclaiming, and (metal) from energy converters.
    reclaim: f64,
    converted: Option<f64>,
}

impl Stock {
    fn resource(&self) -> Resource {
        let r1 = |v: f64| (v * 10.0).round() / 10.0;
        Resource {
            current: r1(self.current),
            income: r1(self.income),
            expense: Some(r1(self.expense)),
            storage: Some(r1(self.storage)),
            produced: Some(r1(self.produced)),
            excess: Some(r1(self.excess)),
            used: Some(r1(self.used)),
            reclaim: Some(r1(self.reclaim)),
            converted: self.converted.map(r1),
        }
    }
}

/// A team's once-a-second values (see [`World::team_states`]).
#[derive(Default)]
struct SecondStats {
    utility: f64,
    economy: f64,
    production: Production,
}

pub struct SimUnit {
    pub id: u32,
    def: usize,
    pub team: u32,
    pos: (f32, f32, f32),
    vel: (f32, f32),
    target: (f32, f32),
    health: f32,
    progress: f32,
    experience: f32,
}

impl SimUnit {
    fn def(&self) -> &'static SimDef {
        &DEFS[self.def]
    }
}

pub struct World {
    rng: fastrand::Rng,
    pub frame: u32,
    length_seconds: f64,
    target_per_team: usize,
    pub teams: Vec<SimTeam>,
    units: BTreeMap<u32, SimUnit>,
    next_id: u32,
    /// Ids created or destroyed since [`World::take_changes`] was last called.
    created: Vec<u32>,
    destroyed: Vec<u32>,
    pub died: Vec<u32>,
    /// Decision points since [`World::take_orders`], kept only once [`World::record_orders`] asked for them. They
    /// are read off what the world does anyway (no random draws), so a seed plays the same game either way.
    orders: Option<Vec<Order>>,
    /// Where in its swing the battle's momentum starts, per seed.
    phase: f64,
    /// Draws for what protocol 1.1 added (cards, kill credit, reclaim), apart from `rng` so that a seed plays the same
    /// battle as before 1.1.
    aux: fastrand::Rng,
    /// Metal in wrecks on the battlefield, waiting to be reclaimed.
    wrecks: f64,
    /// Teams whose description changed since [`World::take_team_changes`] (a player disconnected or came back).
    team_changes: Vec<u32>,
    /// The team whose player drops out for a while, and when (game seconds).
    dropout: Option<(u32, f64, f64)>,
}

impl World {
    pub fn new(seed: u64, teams: u32, total_units: u32, length_seconds: f64) -> World {
        let mut rng = fastrand::Rng::with_seed(seed);
        let teams = teams.clamp(1, 16);
        let sims = (0..teams)
            .map(|id| {
                let ally = id % 2;
                let slot = (id / 2) as f32;
                let (bx, bz) = if ally == 0 {
                    (1200.0, 1200.0)
                } else {
                    (MAP_SIZE - 1200.0, MAP_SIZE - 1200.0)
                };
                let spread = if ally == 0 { 1.0 } else { -1.0 };
                SimTeam {
                    id,
                    ally,
                    name: NAMES[id as usize % NAMES.len()].to_owned(),
                    faction: if rng.bool() {
                        Faction::Arm
                    } else {
                        Faction::Cor
                    },
                    skill: 0.8 + rng.f64() * 0.4,
                    base: (
                        bx + spread * slot * 1400.0,
                        bz + spread * (slot % 2.0) * 900.0,
                    ),
                    metal: Stock {
                        current: 1000.0,
                        storage: 1000.0,
                        ..Stock::default()
                    },
                    energy: Stock {
                        current: 1000.0,
                        storage: 1000.0,
                        ..Stock::default()
                    },
                    damage_dealt: 0.0,
                    damage_received: 0.0,
                    dead: false,
                    factories: 0,
                    units_killed: 0,
                    units_died: 0,
                    player: None,
                    converters: 0,
                    builders: 0,
                }
            })
            .collect();
        let mut w = World {
            rng,
            frame: 0,
            length_seconds: length_seconds.max(10.0),
            target_per_team: (total_units as usize / teams as usize).max(1),
            teams: sims,
            units: BTreeMap::new(),
            next_id: 1000,
            created: Vec::new(),
            destroyed: Vec::new(),
            died: Vec::new(),
            orders: None,
            phase: 0.0,
            aux: fastrand::Rng::with_seed(seed ^ 0x5eed_0011),
            wrecks: 0.0,
            team_changes: Vec::new(),
            dropout: None,
        };
        w.phase = w.rng.f64() * std::f64::consts::TAU;
        w.deal_cards();
        for t in 0..w.teams.len() {
            let com = DEFS
                .iter()
                .position(|d| d.category == Category::Commander && d.faction == w.teams[t].faction)
                .unwrap_or(0);
            let (x, z) = w.teams[t].base;
            w.spawn(t as u32, com, (x, z), 1.0);
        }
        w
    }

    pub fn seconds(&self) -> f64 {
        f64::from(self.frame) / f64::from(FRAMES_PER_SECOND)
    }

    pub fn unit_count(&self) -> usize {
        self.units.len()
    }

    /// The unit types the hello describes: every type the simulator can build.
    pub fn unit_defs() -> Vec<UnitDef> {
        DEFS.iter()
            .enumerate()
            .map(|(i, d)| UnitDef {
                def_id: i as u32 + 1,
                name: d.name.to_owned(),
                human_name: d.human_name.to_owned(),
                metal_cost: d.metal,
                energy_cost: d.energy,
                build_speed: Some(d.build_speed),
                tech_level: d.tech,
                category: d.category,
            })
            .collect()
    }

    pub fn team_infos(&self) -> Vec<TeamInfo> {
        self.teams.iter().map(|t| self.team_info(t)).collect()
    }

    fn team_info(&self, t: &SimTeam) -> TeamInfo {
        TeamInfo {
            team_id: t.id,
            ally_team_id: t.ally,
            name: t.name.clone(),
            color: TEAM_PALETTE[t.id as usize % TEAM_PALETTE.len()],
            is_ai: t.player.is_none(),
            is_dead: Some(t.dead),
            faction: Some(
                match t.faction {
                    Faction::Arm => "armada",
                    Faction::Cor => "cortex",
                }
                .to_owned(),
            ),
            players: t.player.iter().cloned().collect(),
            ai: t.player.is_none().then(|| AiCard {
                name: format!("BARbarianAI({})", t.id),
                short_name: Some("BARb".into()),
                version: Some("stable".into()),
            }),
        }
    }

    /// The new descriptions of teams that changed since the last call (for `team_changed` events).
    pub fn take_team_changes(&mut self) -> Vec<TeamInfo> {
        std::mem::take(&mut self.team_changes)
            .into_iter()
            .filter_map(|id| self.teams.get(id as usize))
            .map(|t| self.team_info(t))
            .collect()
    }

    /// Player cards for the human teams (every fifth team is an AI, as before 1.1), and one player who drops out
    /// for 45 s partway through a long enough game.
    fn deal_cards(&mut self) {
        let rng = &mut self.aux;
        for t in &mut self.teams {
            if t.id % 5 == 4 {
                continue;
            }
            let rank = rng.u32(0..8);
            t.player = Some(PlayerCard {
                player_id: t.id,
                name: t.name.clone(),
                country: Some(COUNTRIES[rng.usize(..COUNTRIES.len())].to_owned()),
                rank: Some(rank),
                skill: Some((8.0 + f64::from(rank) * 4.0 + rng.f64() * 10.0).round()),
                skill_uncertainty: Some(((0.8 + rng.f64() * 6.0) * 100.0).round() / 100.0),
                skill_estimated: (rank < 2).then_some(true),
                status: None,
            });
        }
        if self.length_seconds >= 240.0 && self.teams.len() > 1 {
            let start = self.length_seconds * 0.4;
            self.dropout = Some((1, start, start + 45.0));
        }
    }

    /// Every team's state. `per_second` adds the fields the engine refreshes once a game second (SCHEMA.md: they
    /// are sent in the first snapshot of each game second and in full snapshots).
    pub fn team_states(&self, per_second: bool) -> Vec<TeamState> {
        let mut extra = if per_second {
            self.per_second_stats()
        } else {
            Vec::new()
        };
        self.teams
            .iter()
            .map(|t| {
                let mut s = TeamState {
                    metal: Some(t.metal.resource()),
                    energy: Some(t.energy.resource()),
                    is_dead: t.dead.then_some(true),
                    ..TeamState::new(t.id)
                };
                if let Some(x) = extra.get_mut(t.id as usize) {
                    s.damage_dealt = Some(t.damage_dealt.round());
                    s.damage_received = Some(t.damage_received.round());
                    s.units_killed = Some(t.units_killed);
                    s.units_died = Some(t.units_died);
                    s.utility_value = Some(x.utility);
                    s.economy_value = Some(x.economy);
                    s.production = Some(std::mem::take(&mut x.production));
                }
                s
            })
            .collect()
    }

    /// Per team: HUD values and production, from the unit list in one pass.
    fn per_second_stats(&self) -> Vec<SecondStats> {
        let mut out: Vec<SecondStats> = (0..self.teams.len())
            .map(|_| SecondStats::default())
            .collect();
        // Mobile units under construction come out of a factory when the team has one.
        let mut waiting: Vec<Vec<&SimUnit>> = vec![Vec::new(); self.teams.len()];
        let mut sites: Vec<Vec<&SimUnit>> = vec![Vec::new(); self.teams.len()];
        for u in self.units.values() {
            let Some(x) = out.get_mut(u.team as usize) else {
                continue;
            };
            let d = u.def();
            if u.progress < 1.0 {
                if d.speed > 0.0 {
                    waiting[u.team as usize].push(u);
                } else {
                    sites[u.team as usize].push(u);
                }
                continue;
            }
            match d.unitgroup {
                "util" => x.utility += d.metal,
                "metal" | "energy" => x.economy += d.metal,
                _ => {}
            }
            if d.category == Category::Factory {
                x.production.factories.push(FactoryJob {
                    id: u.id,
                    def_id: u.def as u32 + 1,
                    building: None,
                    progress: None,
                    queued: None,
                });
            }
        }
        for (team, x) in out.iter_mut().enumerate() {
            let p = &mut x.production;
            // (Without a finished factory the simulator still builds mobile units; no one would be building them in
            // BAR, so they are not listed.)
            let n = p.factories.len();
            for (i, u) in waiting[team].iter().enumerate().filter(|_| n > 0) {
                let f = &mut p.factories[i % n];
                if f.building.is_none() {
                    f.building = Some(u.def as u32 + 1);
                    f.progress = Some((u.progress * 1000.0).round() / 1000.0);
                }
                f.queued = Some(f.queued.unwrap_or(0) + 1);
            }
            let builders = self.teams[team].builders.max(1);
            let mut busy = 0;
            for u in &sites[team] {
                let on_it = (1 + u.id % 3).min(builders);
                busy += on_it;
                p.constructing.push(Construction {
                    id: u.id,
                    def_id: u.def as u32 + 1,
                    progress: (u.progress * 1000.0).round() / 1000.0,
                    builders: on_it,
                });
            }
            p.idle_builders = self.teams[team].builders.saturating_sub(busy);
            p.factories.sort_by_key(|f| (f.building.is_none(), f.id));
            p.factories.truncate(MAX_PRODUCTION_ENTRIES);
            p.constructing
                .sort_by(|a, b| b.progress.total_cmp(&a.progress).then(a.id.cmp(&b.id)));
            p.constructing.truncate(MAX_PRODUCTION_ENTRIES);
        }
        out
    }

    /// Unit ids in id order (the order refreshes walk through).
    pub fn unit_ids(&self) -> impl Iterator<Item = u32> + '_ {
        self.units.keys().copied()
    }

    /// A unit as the widget would report it at this detail.
    pub fn unit(&self, id: u32, comprehensive: bool) -> Option<Unit> {
        let u = self.units.get(&id)?;
        let d = u.def();
        let progress = (u.progress * 1000.0).round() / 1000.0;
        Some(Unit {
            id,
            def_id: Some(u.def as u32 + 1),
            team: u.team,
            pos: Some(Vec3 {
                x: u.pos.0.round(),
                y: u.pos.1.round(),
                z: u.pos.2.round(),
            }),
            health: Some(Health {
                current: u.health.max(0.0).round(),
                max: d.health,
            }),
            build_progress: (comprehensive || progress < 1.0).then_some(progress),
            vel: comprehensive.then(|| Vec3 {
                x: (u.vel.0 * 100.0).round() / 100.0,
                y: 0.0,
                z: (u.vel.1 * 100.0).round() / 100.0,
            }),
            experience: comprehensive.then_some((u.experience * 1000.0).round() / 1000.0),
        })
    }

    /// Keeps decision points (orders, builds started, factory queues) from now on, for [`World::take_orders`].
    pub fn record_orders(&mut self) {
        self.orders.get_or_insert_with(Vec::new);
    }

    /// Decision points since the last call.
    pub fn take_orders(&mut self) -> Vec<Order> {
        self.orders.as_mut().map(std::mem::take).unwrap_or_default()
    }

    /// The simulated player of a team: one per team, numbered like the team; AI teams have none.
    fn player_of(team: u32) -> Option<u32> {
        (team % 5 != 4).then_some(team)
    }

    /// A new unit under construction, and who builds it: mobile units come from a factory (a queue change), the rest
    /// from a constructor or the commander (a build order). Picks among them by the new unit's id, not at random.
    fn note_build(&mut self, team: u32, new_id: u32) {
        let Some(orders) = self.orders.as_mut() else {
            return;
        };
        let Some(new) = self.units.get(&new_id) else {
            return;
        };
        let def = &DEFS[new.def];
        let from_factory = def.speed > 0.0 && def.category != Category::Builder;
        let able = |factory: bool| -> Vec<(u32, usize)> {
            self.units
                .values()
                .filter(|u| u.team == team && u.progress >= 1.0 && u.id != new_id)
                .filter(|u| {
                    let c = u.def().category;
                    if factory {
                        c == Category::Factory
                    } else {
                        matches!(c, Category::Builder | Category::Commander)
                    }
                })
                .map(|u| (u.id, u.def))
                .collect()
        };
        // Before a team's first factory stands, its commander and constructors start everything.
        let mut builders = if from_factory { able(true) } else { Vec::new() };
        let from_factory = !builders.is_empty();
        if !from_factory {
            builders = able(false);
        }
        let def_id = new.def as u32 + 1;
        let builder = (!builders.is_empty()).then(|| builders[new_id as usize % builders.len()]);
        let player_id = Self::player_of(team);
        match builder {
            Some((factory, factory_def)) if from_factory => orders.push(Order::FactoryQueue {
                team_id: team,
                unit_id: factory,
                def_id: Some(factory_def as u32 + 1),
                build_def_id: def_id,
                count: 1,
                player_id,
            }),
            Some((constructor, _)) => orders.push(Order::Command(UnitCommand {
                team_id: team,
                unit_ids: vec![constructor],
                cmd_id: -(def_id as i32),
                cmd_name: Some(def.name.to_owned()),
                params: vec![
                    f64::from(new.pos.0.round()),
                    f64::from(new.pos.1.round()),
                    f64::from(new.pos.2.round()),
                    0.0,
                ],
                options: Some(0),
                player_id,
            })),
            None => {}
        }
        orders.push(Order::BuildStarted {
            team_id: team,
            unit_id: new_id,
            def_id,
            builder_id: builder.map(|b| b.0),
        });
    }

    /// Ids created and destroyed since the last call.
    pub fn take_changes(&mut self) -> (Vec<u32>, Vec<u32>) {
        (
            std::mem::take(&mut self.created),
            std::mem::take(&mut self.destroyed),
        )
    }

    /// The ally team with the largest army, for the game-over event.
    pub fn leading_ally(&self) -> u32 {
        let mut value = [0.0f64; 2];
        for u in self.units.values() {
            if u.def().category.is_army() && u.progress >= 1.0 {
                value[(self.teams[u.team as usize].ally % 2) as usize] += u.def().metal;
            }
        }
        u32::from(value[1] > value[0])
    }

    /// Advances one game frame (1/30 s).
    pub fn step(&mut self) {
        self.frame += 1;
        let dt = 1.0 / FRAMES_PER_SECOND as f32;
        for u in self.units.values_mut() {
            if u.vel != (0.0, 0.0) {
                u.pos.0 = (u.pos.0 + u.vel.0 * dt).clamp(0.0, MAP_SIZE);
                u.pos.2 = (u.pos.2 + u.vel.1 * dt).clamp(0.0, MAP_SIZE);
            }
        }
        if self.frame.is_multiple_of(FRAMES_PER_SECOND) {
            self.second();
        }
    }

    fn second(&mut self) {
        let t = self.seconds();
        let phase = t / self.length_seconds;
        self.tally();
        if let Some((team, from, to)) = self.dropout {
            let status = if t >= from && t < to {
                Some("disconnected")
            } else {
                None
            };
            if let Some(card) = self
                .teams
                .get_mut(team as usize)
                .and_then(|t| t.player.as_mut())
                && card.status.as_deref() != status
            {
                card.status = status.map(str::to_owned);
                self.team_changes.push(team);
            }
        }
        for i in 0..self.teams.len() {
            self.economy(i, t);
            self.build(i, phase);
        }
        self.steer();
        if phase > 0.12 {
            self.fight();
        }
    }

    /// Counts what the once-a-second values need: finished converters and builders per team.
    fn tally(&mut self) {
        for t in &mut self.teams {
            t.converters = 0;
            t.builders = 0;
        }
        for u in self.units.values() {
            if u.progress < 1.0 {
                continue;
            }
            let d = u.def();
            if let Some(t) = self.teams.get_mut(u.team as usize) {
                if d.name.ends_with("makr") {
                    t.converters += 1;
                }
                if d.build_speed > 0.0 && d.category != Category::Factory {
                    t.builders += 1;
                }
            }
        }
    }

    /// Income follows a logistic curve sized so that the armies reach their target size a third into the game.
    fn economy(&mut self, i: usize, t: f64) {
        let avg_needed = self.target_per_team as f64 * 140.0 / (0.35 * self.length_seconds);
        let peak = (avg_needed * 1.6).max(25.0);
        let x = (t - 0.25 * self.length_seconds) / (0.08 * self.length_seconds);
        let logistic = 1.0 / (1.0 + (-x).exp());
        let noise = 1.0 + (self.rng.f64() - 0.5) * 0.06;
        let teams = self.teams.len() as f64;
        let team = &mut self.teams[i];
        if team.dead {
            team.metal.income = 0.0;
            team.energy.income = 0.0;
            team.metal.reclaim = 0.0;
            team.energy.reclaim = 0.0;
            team.metal.converted = Some(0.0);
            return;
        }
        let m_income = peak * (0.04 + 0.96 * logistic) * team.skill * noise;
        let e_income = m_income * (11.0 + 3.0 * team.skill) * noise;
        for (stock, income) in [(&mut team.metal, m_income), (&mut team.energy, e_income)] {
            stock.income = income;
            stock.produced += income;
            stock.storage = (1000.0 + t * 3.0).min(12000.0);
            stock.current += income;
        }
        // Parts of that income (the battle does not change with them): converters make 1 metal/s each while energy
        // is in store; builders reclaim the battle's wrecks, and trees early on.
        let converting = team.energy.current > team.energy.storage * 0.3;
        let converted = if converting {
            f64::from(team.converters).min(m_income * 0.3)
        } else {
            0.0
        };
        team.metal.converted = Some(converted);
        let reach = f64::from(team.builders) * 0.6;
        let share = self.wrecks / teams;
        let reclaim = share.min(reach).min((m_income - converted).max(0.0) * 0.4);
        self.wrecks -= reclaim;
        team.metal.reclaim = reclaim;
        team.energy.reclaim = if t < 240.0 {
            e_income * 0.03 * self.aux.f64()
        } else {
            0.0
        };
    }

    /// Spends the team's metal on its units under construction, and starts new ones while there is room.
    fn build(&mut self, i: usize, phase: f64) {
        let team_id = i as u32;
        let building: Vec<u32> = self
            .units
            .values()
            .filter(|u| u.team == team_id && u.progress < 1.0)
            .map(|u| u.id)
            .collect();
        let count = self.units.values().filter(|u| u.team == team_id).count();
        let slots = (3.0 + phase * 30.0).min(14.0) as usize;
        let metal_budget = self.teams[i]
            .metal
            .current
            .min(self.teams[i].metal.income * 1.2);
        let mut spent = 0.0;
        if !building.is_empty() {
            let share = metal_budget / building.len() as f64;
            for id in &building {
                if let Some(u) = self.units.get_mut(id) {
                    let d = &DEFS[u.def];
                    let step = (share / d.metal).min(1.0 - f64::from(u.progress)) as f32;
                    u.progress = (u.progress + step).min(1.0);
                    u.health = (d.health * u.progress).max(1.0);
                    spent += f64::from(step) * d.metal;
                }
            }
        }
        let team = &mut self.teams[i];
        team.metal.expense = spent;
        team.metal.current -= spent;
        team.energy.expense = spent * 11.0;
        team.energy.current -= team.energy.expense;
        team.metal.used += spent;
        team.energy.used += team.energy.expense;
        for stock in [&mut team.metal, &mut team.energy] {
            if stock.current > stock.storage {
                stock.excess += stock.current - stock.storage;
                stock.current = stock.storage;
            }
            stock.current = stock.current.max(0.0);
        }
        if team.dead || count >= self.target_per_team || building.len() >= slots {
            return;
        }
        let starts = (slots - building.len())
            .min(self.target_per_team - count)
            .min(3);
        for _ in 0..starts {
            if let Some(def) = self.pick_def(i, phase) {
                let (bx, bz) = self.teams[i].base;
                let spot = (
                    bx + self.rng.f32() * 1600.0 - 800.0,
                    bz + self.rng.f32() * 1600.0 - 800.0,
                );
                self.spawn(team_id, def, spot, 0.0);
                self.note_build(team_id, self.next_id - 1);
                if DEFS[def].category == Category::Factory {
                    self.teams[i].factories += 1;
                }
            }
        }
    }

    fn pick_def(&mut self, i: usize, phase: f64) -> Option<usize> {
        let team = &self.teams[i];
        let weights: [(Category, f64); 8] = if phase < 0.15 {
            [
                (Category::Economy, 45.0),
                (Category::Builder, 18.0),
                (Category::Factory, 6.0),
                (Category::ArmyLand, 20.0),
                (Category::ArmyAir, 3.0),
                (Category::ArmySea, 1.0),
                (Category::Defense, 5.0),
                (Category::Utility, 2.0),
            ]
        } else {
            [
                (Category::Economy, 16.0),
                (Category::Builder, 5.0),
                (Category::Factory, 2.0),
                (Category::ArmyLand, 48.0),
                (Category::ArmyAir, 14.0),
                (Category::ArmySea, 5.0),
                (Category::Defense, 7.0),
                (Category::Utility, 3.0),
            ]
        };
        let total: f64 = weights.iter().map(|w| w.1).sum();
        let mut roll = self.rng.f64() * total;
        let mut category = Category::ArmyLand;
        for (c, w) in weights {
            if roll < w {
                category = c;
                break;
            }
            roll -= w;
        }
        if category == Category::Factory && team.factories >= 3 {
            category = Category::ArmyLand;
        }
        let tech_ok = |d: &SimDef| d.tech == 1 || phase > 0.35;
        let options: Vec<usize> = DEFS
            .iter()
            .enumerate()
            .filter(|(_, d)| d.category == category && d.faction == team.faction && tech_ok(d))
            .map(|(i, _)| i)
            .collect();
        if options.is_empty() {
            return None;
        }
        Some(options[self.rng.usize(..options.len())])
    }

    fn spawn(&mut self, team: u32, def: usize, (x, z): (f32, f32), progress: f32) {
        let id = self.next_id;
        self.next_id += 1;
        let d = &DEFS[def];
        let y = if d.can_fly {
            300.0
        } else {
            40.0 + self.rng.f32() * 30.0
        };
        self.units.insert(
            id,
            SimUnit {
                id,
                def,
                team,
                pos: (x.clamp(0.0, MAP_SIZE), y, z.clamp(0.0, MAP_SIZE)),
                vel: (0.0, 0.0),
                target: (x, z),
                health: if progress >= 1.0 { d.health } else { 1.0 },
                progress,
                experience: 0.0,
            },
        );
        self.created.push(id);
    }

    /// Finished mobile units head for the front; builders wander near home.
    fn steer(&mut self) {
        let centre = MAP_SIZE / 2.0;
        for u in self.units.values_mut() {
            let d = &DEFS[u.def];
            if d.speed <= 0.0 || u.progress < 1.0 {
                continue;
            }
            let (dx, dz) = (u.target.0 - u.pos.0, u.target.1 - u.pos.2);
            let dist = (dx * dx + dz * dz).sqrt();
            if dist < 60.0 {
                let (cx, cz) = if d.category.is_army() {
                    (centre, centre)
                } else {
                    let home = self.teams[u.team as usize].base;
                    (home.0, home.1)
                };
                u.target = (
                    cx + self.rng.f32() * 2400.0 - 1200.0,
                    cz + self.rng.f32() * 2400.0 - 1200.0,
                );
                u.vel = (0.0, 0.0);
                if let Some(orders) = self.orders.as_mut() {
                    // Armies fight their way to the front (CMD.FIGHT, 16); builders move (CMD.MOVE, 10).
                    let (cmd_id, name) = if d.category.is_army() {
                        (16, "fight")
                    } else {
                        (10, "move")
                    };
                    orders.push(Order::Command(UnitCommand {
                        team_id: u.team,
                        unit_ids: vec![u.id],
                        cmd_id,
                        cmd_name: Some(name.to_owned()),
                        params: vec![
                            f64::from(u.target.0.round()),
                            f64::from(u.pos.1.round()),
                            f64::from(u.target.1.round()),
                        ],
                        options: Some(0),
                        player_id: Self::player_of(u.team),
                    }));
                }
            } else {
                let s = d.speed / dist;
                u.vel = (dx * s, dz * s);
            }
        }
    }

    /// Units near the front trade damage in proportion to the enemy's army there.
    fn fight(&mut self) {
        let centre = MAP_SIZE / 2.0;
        let mut front: [Vec<u32>; 2] = [Vec::new(), Vec::new()];
        let mut power = [0.0f64; 2];
        for u in self.units.values() {
            let (dx, dz) = (u.pos.0 - centre, u.pos.2 - centre);
            if u.progress >= 1.0 && dx * dx + dz * dz < 2500.0 * 2500.0 {
                let side = (self.teams[u.team as usize].ally % 2) as usize;
                front[side].push(u.id);
                if u.def().category.is_army() {
                    power[side] += u.def().metal;
                }
            }
        }
        for side in 0..2 {
            let enemy = 1 - side;
            // Both sides bleed in proportion to the size of the fight; the stronger side only mildly less (a
            // square law would let the first side ahead snowball), and a slow swing of momentum gives comebacks.
            let (own, theirs) = (power[side].max(1.0), power[enemy]);
            let momentum = 1.0
                + 0.35
                    * (self.seconds() / 90.0 + self.phase + side as f64 * std::f64::consts::PI)
                        .sin();
            let damage = 0.05
                * (own * theirs).sqrt()
                * (theirs / own).powf(0.25)
                * momentum
                * (0.6 + self.rng.f64() * 0.8);
            if front[side].is_empty() || damage <= 0.0 {
                continue;
            }
            let hits = front[side].len().min(6);
            for _ in 0..hits {
                let id = front[side][self.rng.usize(..front[side].len())];
                let share = (damage / hits as f64) as f32;
                let Some(u) = self.units.get_mut(&id) else {
                    continue;
                };
                u.health -= share;
                let victim_team = u.team as usize;
                let dead = u.health <= 0.0;
                let metal = u.def().metal;
                self.teams[victim_team].damage_received += f64::from(share);
                // The credit goes to a team of the other side that is at the front, drawn apart from the battle.
                let attacker = if front[enemy].is_empty() {
                    None
                } else {
                    let by = front[enemy][self.aux.usize(..front[enemy].len())];
                    self.units.get(&by).map(|u| u.team as usize)
                };
                let attacker = attacker
                    .or_else(|| self.teams.iter().position(|t| t.ally as usize % 2 == enemy));
                if let Some(a) = attacker {
                    self.teams[a].damage_dealt += f64::from(share);
                }
                if dead && self.units.remove(&id).is_some() {
                    self.teams[victim_team].units_died += 1;
                    if let Some(a) = attacker {
                        self.teams[a].units_killed += 1;
                    }
                    self.wrecks += metal * 0.4;
                    self.destroyed.push(id);
                    front[side].retain(|x| *x != id);
                    if front[side].is_empty() {
                        break;
                    }
                }
            }
        }
        for u in self.units.values_mut() {
            if u.vel != (0.0, 0.0) {
                u.experience = (u.experience + 0.001).min(10.0);
            }
        }
        for t in 0..self.teams.len() {
            let alive = self.units.values().any(|u| u.team == t as u32);
            if !alive && !self.teams[t].dead {
                self.teams[t].dead = true;
                self.died.push(t as u32);
            }
        }
    }
}
