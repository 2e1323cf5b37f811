//! What the report needs beyond the model: watched message by message beside a [`Game`], in bounded memory.
//!
//! The model already keeps each team's income, storage, army value and damage as bounded series (`model::series`);
//! this adds the few lines it does not keep (units alive by kind, storage capacity, excess) in the same [`Series`],
//! and the game's moments, build orders, tech timings and actions per minute, each capped so that a recording of any
//! length costs the same.

use crate::model::Game;
use crate::model::{SERIES_CAPACITY as DEFAULT_CAPACITY, Series};
use crate::protocol::{Category, EventKind, Message, Order, Snapshot, TeamId, UnitCore, UnitDef};
use std::collections::BTreeMap;

/// Builds kept per team: the opening a player compares.
pub const BUILDS_PER_TEAM: usize = 30;
/// Trades kept (the largest), lead changes kept (the first), skipped lines described.
const TRADES_KEPT: usize = 12;
const LEAD_CHANGES_KEPT: usize = 60;
/// A game has one commander a player; a sender (or a mod) that keeps making and losing them gets this many marked.
const COMMANDER_DEATHS_KEPT: usize = 64;
const SKIPS_DESCRIBED: usize = 8;
/// Units lost are summed in windows of this many game seconds; a window where at least `TRADE_MIN_METAL` of metal
/// died, a tenth of it or more on each of two sides, is a trade.
const TRADE_WINDOW_SECONDS: f64 = 20.0;
const TRADE_MIN_METAL: f64 = 1500.0;
/// A new army leader must lead by this share to count: two close armies trading places every second are one story.
const LEAD_MARGIN: f64 = 0.10;
/// Armies smaller than this (metal) have no lead worth marking: the first scouts.
const LEAD_MIN_METAL: f64 = 1000.0;
/// A recording whose first snapshot is later than this started mid-game.
pub const LATE_START_SECONDS: f64 = 10.0;
/// Per-minute action counts kept per player (8.5 hours before they thin).
const APM_CAPACITY: usize = 512;

#[derive(Debug, Clone, PartialEq)]
pub enum MomentKind {
    Factory {
        tier: u8,
    },
    CommanderDeath,
    /// Metal lost by all sides together in the trade's window.
    Trade {
        metal: f64,
    },
    LeadChange,
    GameOver,
}

#[derive(Debug, Clone, PartialEq)]
pub struct Moment {
    pub seconds: f64,
    pub kind: MomentKind,
    pub team: Option<TeamId>,
    pub text: String,
}

/// One build: when, what, and its def's tech level and category.
#[derive(Debug, Clone, PartialEq)]
pub struct Build {
    pub seconds: f64,
    pub def_name: String,
    pub tier: u8,
    pub category: Category,
}

/// The report's own lines for one team, sampled once a game second like the model's.
#[derive(Debug, Clone)]
pub struct TeamLines {
    pub land: Series,
    pub air: Series,
    pub sea: Series,
    pub buildings: Series,
    pub metal_storage: Series,
    /// Cumulative metal excess (1.1 senders): its slope is the waste.
    pub metal_excess: Series,
}

impl Default for TeamLines {
    fn default() -> Self {
        let s = || Series::with_capacity(DEFAULT_CAPACITY);
        TeamLines {
            land: s(),
            air: s(),
            sea: s(),
            buildings: s(),
            metal_storage: s(),
            metal_excess: s(),
        }
    }
}

#[derive(Debug, Clone, Default)]
pub struct TeamNotes {
    pub lines: TeamLines,
    /// From the decision points (`build_started`).
    pub builds_ordered: Vec<(u32, Build)>,
    /// From units first seen under construction, for recordings without decision points.
    pub builds_seen: Vec<(u32, Build)>,
    /// First factory of tier 1, 2, 3 (game seconds).
    pub first_factory: [Option<f64>; 3],
    /// First mobile unit of tier 2 and of tier 3.
    pub first_unit_t2: Option<f64>,
    pub first_unit_t3: Option<f64>,
    pub commander_deaths: u32,
}

/// Actions of one player (or of a team, when the sender names no player).
#[derive(Debug, Clone)]
pub struct Actions {
    pub team: TeamId,
    pub player_id: Option<u32>,
    pub total: u64,
    /// Actions per game minute, one point per minute at the minute's end.
    pub per_minute: Series,
    minute: i64,
    count: u64,
    first_seconds: f64,
}

/// Everything the recording could not tell, or told about itself.
#[derive(Debug, Clone, Default)]
pub struct Gaps {
    pub skipped_lines: u64,
    /// The first few skipped lines: line number and why.
    pub skipped: Vec<(u64, String)>,
    pub first_seconds: Option<f64>,
    pub last_seconds: f64,
    pub saw_bye: bool,
    pub saw_game_over: bool,
    pub orders_events: u64,
    /// The widget's own count of decision points it left out (its bound per frame).
    pub dropped_orders: u64,
    pub dropped_snapshots: u64,
    pub unit_snapshots: u64,
    pub lead_changes_dropped: u64,
}

#[derive(Debug, Clone, Default)]
pub struct Collector {
    pub teams: BTreeMap<TeamId, TeamNotes>,
    pub actions: BTreeMap<(TeamId, Option<u32>), Actions>,
    pub moments: Vec<Moment>,
    /// The largest trades, largest first.
    pub trades: Vec<Moment>,
    pub gaps: Gaps,
    last_second: Option<i64>,
    trade_window: Option<i64>,
    /// Metal lost in the current trade window, per ally team.
    trade_lost: BTreeMap<u32, f64>,
    leader: Option<u32>,
}

fn tier(def: &UnitDef) -> u8 {
    def.tech_level.clamp(1, 3)
}

fn is_mobile(c: Category) -> bool {
    matches!(
        c,
        Category::Builder | Category::ArmyLand | Category::ArmyAir | Category::ArmySea
    )
}

impl Collector {
    pub fn new() -> Collector {
        Collector::default()
    }

    /// A line of the recording was skipped.
    pub fn skipped(&mut self, number: u64, why: &str) {
        self.gaps.skipped_lines += 1;
        if self.gaps.skipped.len() < SKIPS_DESCRIBED {
            let why: String = why.chars().take(160).collect();
            self.gaps.skipped.push((number, why));
        }
    }

    /// `msg` is about to be applied to `game`.
    pub fn before(&mut self, game: &Game, msg: &Message) {
        match msg {
            Message::Snapshot(s) => self.snapshot(game, s),
            Message::Event(e) => match &e.kind {
                EventKind::Orders { orders } => {
                    self.gaps.orders_events += 1;
                    self.orders(game, e.game_frame, orders);
                }
                EventKind::GameOver { .. } => self.gaps.saw_game_over = true,
                EventKind::Status(st) => {
                    // The widget's counts are per connection and only grow; the largest seen is the total.
                    self.gaps.dropped_orders =
                        self.gaps.dropped_orders.max(st.dropped_orders.unwrap_or(0));
                    self.gaps.dropped_snapshots = self
                        .gaps
                        .dropped_snapshots
                        .max(st.dropped_snapshots.unwrap_or(0));
                }
                _ => {}
            },
            Message::Bye(_) => self.gaps.saw_bye = true,
            Message::Hello(_) => {}
        }
    }

    /// The message was applied: sample once a game second, as the model does.
    pub fn after(&mut self, game: &Game) {
        if game.snapshots == 0 {
            return;
        }
        self.gaps.last_seconds = game.seconds;
        let second = game.seconds.floor() as i64;
        if self.last_second.is_some_and(|last| second <= last) {
            return;
        }
        self.last_second = Some(second);
        self.close_minutes(game.seconds);
        for (id, team) in &game.teams {
            let notes = self.teams.entry(*id).or_default();
            let l = &mut notes.lines;
            let count = |c: Category| f64::from(team.army.category(c).count);
            if let Some(m) = team.metal {
                if let Some(cap) = m.storage {
                    l.metal_storage.push(game.seconds, cap);
                }
                if let Some(x) = m.excess {
                    l.metal_excess.push(game.seconds, x);
                }
            }
            // Minimal detail sends no units: no line rather than a line of zeros.
            if self.gaps.unit_snapshots == 0 {
                continue;
            }
            l.land.push(game.seconds, count(Category::ArmyLand));
            l.air.push(game.seconds, count(Category::ArmyAir));
            l.sea.push(game.seconds, count(Category::ArmySea));
            let buildings = [
                Category::Factory,
                Category::Defense,
                Category::Economy,
                Category::Utility,
            ]
            .into_iter()
            .map(count)
            .sum();
            l.buildings.push(game.seconds, buildings);
        }
        self.lead(game);
    }

    fn snapshot(&mut self, game: &Game, s: &Snapshot<crate::protocol::Unit>) {
        if self.gaps.first_seconds.is_none() {
            self.gaps.first_seconds = Some(s.game_seconds);
        }
        let t = s.game_seconds;
        for id in &s.destroyed {
            let Some(u) = game.units.get(id) else {
                continue;
            };
            let Some(def) = u.def_id.and_then(|d| game.def(d)) else {
                continue;
            };
            if def.category == Category::Commander
                && u.is_finished()
                && self.moments_of(&MomentKind::CommanderDeath) < COMMANDER_DEATHS_KEPT
            {
                let name = game.teams.get(&u.team).map_or("?", |t| t.name.as_str());
                self.teams.entry(u.team).or_default().commander_deaths += 1;
                self.moments.push(Moment {
                    seconds: t,
                    kind: MomentKind::CommanderDeath,
                    team: Some(u.team),
                    text: format!("{name}'s commander died"),
                });
            }
            if let Some(team) = game.teams.get(&u.team) {
                self.trade_loss(game, t, team.ally_team, def.metal_cost);
            }
        }
        if let Some(units) = &s.units {
            self.gaps.unit_snapshots += 1;
            // Units in a recording's first look that starts mid-game were there before it: when they came is unknown.
            if self.gaps.unit_snapshots == 1 && t > LATE_START_SECONDS {
                return;
            }
            for u in units {
                if !game.units.contains_key(&u.id) {
                    self.first_seen(game, t, &u.core());
                }
            }
        }
    }

    /// A unit not in the model before this snapshot: built, or come into view.
    fn first_seen(&mut self, game: &Game, t: f64, u: &UnitCore) {
        let Some(def) = u.def_id.and_then(|d| game.def(d)) else {
            return;
        };
        let notes = self.teams.entry(u.team).or_default();
        note_tech(notes, def, t, &mut self.moments, game, u.team);
        let started = u.build_progress.is_some_and(|p| p < 1.0);
        if started
            && notes.builds_seen.len() < BUILDS_PER_TEAM
            && !notes.builds_seen.iter().any(|(id, _)| *id == u.id)
        {
            notes.builds_seen.push((u.id, build(def, t)));
        }
    }

    fn orders(&mut self, game: &Game, frame: u32, orders: &[Order]) {
        // Orders carry frames; the game's clock runs at 30 frames a second.
        let t = f64::from(frame) / 30.0;
        for o in orders {
            match o {
                Order::BuildStarted {
                    team_id,
                    unit_id,
                    def_id,
                    ..
                } => {
                    let Some(def) = game.def(*def_id) else {
                        continue;
                    };
                    let notes = self.teams.entry(*team_id).or_default();
                    note_tech(notes, def, t, &mut self.moments, game, *team_id);
                    if notes.builds_ordered.len() < BUILDS_PER_TEAM {
                        notes.builds_ordered.push((*unit_id, build(def, t)));
                    }
                }
                Order::FactoryQueue {
                    team_id, player_id, ..
                } => self.action(*team_id, *player_id, t),
                Order::Command(c) => self.action(c.team_id, c.player_id, t),
                Order::Other => {}
            }
        }
    }

    fn action(&mut self, team: TeamId, player_id: Option<u32>, t: f64) {
        // Bounded: the keys are teams and players the protocol's limits bound.
        let a = self
            .actions
            .entry((team, player_id))
            .or_insert_with(|| Actions {
                team,
                player_id,
                total: 0,
                per_minute: Series::with_capacity(APM_CAPACITY),
                minute: (t / 60.0).floor() as i64,
                count: 0,
                first_seconds: t,
            });
        let minute = (t / 60.0).floor() as i64;
        // Minutes without a snapshot between them (orders come as events) still each get their count.
        while a.minute < minute {
            close_minute(a);
            a.minute += 1;
        }
        a.total += 1;
        a.count += 1;
    }

    /// Closes every player's minute that ended before `t` (a player who stops acting still gets their zeros).
    fn close_minutes(&mut self, t: f64) {
        let minute = (t / 60.0).floor() as i64;
        for a in self.actions.values_mut() {
            while a.minute < minute {
                close_minute(a);
                a.minute += 1;
            }
        }
    }

    /// Ends the game's books: the open minute and trade window are closed.
    pub fn finish(&mut self, game: &Game) {
        let end = game.seconds;
        self.close_minutes(end + 60.0);
        self.close_trade_window(game);
        if let Some(over) = &game.over {
            let t = f64::from(over.frame) / 30.0;
            let text = match &over.winners {
                Some(w) if !w.is_empty() => {
                    let names: Vec<&str> = game
                        .teams
                        .values()
                        .filter(|t| w.contains(&t.ally_team))
                        .map(|t| t.name.as_str())
                        .collect();
                    format!("Game over: {} won", names.join(", "))
                }
                _ => "Game over".to_owned(),
            };
            self.moments.push(Moment {
                seconds: t.min(end.max(t)),
                kind: MomentKind::GameOver,
                team: None,
                text,
            });
        }
    }

    fn trade_loss(&mut self, game: &Game, t: f64, ally: u32, metal: f64) {
        let window = (t / TRADE_WINDOW_SECONDS).floor() as i64;
        if self.trade_window != Some(window) {
            self.close_trade_window(game);
            self.trade_window = Some(window);
        }
        *self.trade_lost.entry(ally).or_default() += metal;
    }

    fn close_trade_window(&mut self, game: &Game) {
        let Some(window) = self.trade_window.take() else {
            return;
        };
        let lost = std::mem::take(&mut self.trade_lost);
        let total: f64 = lost.values().sum();
        // A trade has two sides: a one-sided loss (a commander sniped, a raid unanswered) is not one.
        let sides = lost.values().filter(|m| **m >= total * 0.1).count();
        if total < TRADE_MIN_METAL || sides < 2 {
            return;
        }
        let sides: Vec<String> = lost
            .iter()
            .filter(|(_, m)| **m >= 1.0)
            .map(|(ally, m)| format!("{} lost {}", ally_name(game, *ally), metal_text(*m)))
            .collect();
        let start = window as f64 * TRADE_WINDOW_SECONDS;
        let m = Moment {
            seconds: start + TRADE_WINDOW_SECONDS / 2.0,
            kind: MomentKind::Trade { metal: total },
            team: None,
            text: format!(
                "Trade of {} metal in {} s: {}",
                metal_text(total),
                TRADE_WINDOW_SECONDS,
                sides.join(", ")
            ),
        };
        let pos = self.trades.partition_point(|o| trade_total(o) >= total);
        if pos < TRADES_KEPT {
            self.trades.insert(pos, m.clone());
            self.trades.truncate(TRADES_KEPT);
        }
    }

    fn lead(&mut self, game: &Game) {
        let mut by_ally: BTreeMap<u32, f64> = BTreeMap::new();
        for t in game.teams.values() {
            *by_ally.entry(t.ally_team).or_default() += t.army.army_value();
        }
        if by_ally.len() < 2 {
            return;
        }
        let Some((&top, &value)) = by_ally
            .iter()
            .max_by(|a, b| a.1.total_cmp(b.1).then(b.0.cmp(a.0)))
        else {
            return;
        };
        if value < LEAD_MIN_METAL {
            return;
        }
        match self.leader {
            None => self.leader = Some(top),
            Some(old) if old != top => {
                let old_value = by_ally.get(&old).copied().unwrap_or(0.0);
                if value < old_value * (1.0 + LEAD_MARGIN) {
                    return;
                }
                self.leader = Some(top);
                if self.moments_of(&MomentKind::LeadChange) >= LEAD_CHANGES_KEPT {
                    self.gaps.lead_changes_dropped += 1;
                    return;
                }
                self.moments.push(Moment {
                    seconds: game.seconds,
                    kind: MomentKind::LeadChange,
                    team: None,
                    text: format!(
                        "{} takes the army lead ({} to {})",
                        ally_name(game, top),
                        metal_text(value),
                        metal_text(old_value)
                    ),
                });
            }
            Some(_) => {}
        }
    }

    fn moments_of(&self, kind: &MomentKind) -> usize {
        self.moments.iter().filter(|m| m.kind == *kind).count()
    }
}

fn close_minute(a: &mut Actions) {
    // A minute the player had not started yet is not a minute of zero actions.
    let end = (a.minute + 1) as f64 * 60.0;
    if end > a.first_seconds {
        a.per_minute.push(end, a.count as f64);
    }
    a.count = 0;
}

fn trade_total(m: &Moment) -> f64 {
    match m.kind {
        MomentKind::Trade { metal } => metal,
        _ => 0.0,
    }
}

fn build(def: &UnitDef, t: f64) -> Build {
    Build {
        seconds: t,
        def_name: if def.human_name.is_empty() {
            def.name.clone()
        } else {
            def.human_name.clone()
        },
        tier: tier(def),
        category: def.category,
    }
}

fn note_tech(
    notes: &mut TeamNotes,
    def: &UnitDef,
    t: f64,
    moments: &mut Vec<Moment>,
    game: &Game,
    team: TeamId,
) {
    let tier = tier(def);
    if def.category == Category::Factory {
        let slot = &mut notes.first_factory[usize::from(tier - 1)];
        if slot.is_none_or(|s| t < s) {
            let first = slot.is_none();
            *slot = Some(t);
            let name = game.teams.get(&team).map_or("?", |t| t.name.as_str());
            let text = format!("{name}: first T{tier} factory ({})", build(def, t).def_name);
            if first {
                moments.push(Moment {
                    seconds: t,
                    kind: MomentKind::Factory { tier },
                    team: Some(team),
                    text,
                });
            } else if let Some(m) = moments
                .iter_mut()
                .find(|m| m.kind == MomentKind::Factory { tier } && m.team == Some(team))
            {
                m.seconds = t;
                m.text = text;
            }
        }
    } else if is_mobile(def.category) {
        let slot = match tier {
            2 => &mut notes.first_unit_t2,
            3 => &mut notes.first_unit_t3,
            _ => return,
        };
        if slot.is_none_or(|s| t < s) {
            *slot = Some(t);
        }
    }
}

fn ally_name(game: &Game, ally: u32) -> String {
    let names: Vec<&str> = game
        .teams
        .values()
        .filter(|t| t.ally_team == ally)
        .map(|t| t.name.as_str())
        .collect();
    match names.len() {
        1 | 2 => names.join(" & "),
        _ => format!("Ally team {}", ally + 1),
    }
}

/// Metal as BAR shows it: 950, 3.2k, 1.5M.
pub fn metal_text(m: f64) -> String {
    if m >= 1e6 {
        format!("{:.1}M", m / 1e6)
    } else if m >= 1e3 {
        format!("{:.1}k", m / 1e3)
    } else {
        format!("{m:.0}")
    }
}
