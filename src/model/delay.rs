//! The stream delay: a second [`Game`] that is shown (window, pages, `/api/state`) `delay` seconds after the live one,
//! so the overlay matches a stream that OBS delays (BAR tournaments: 2 minutes).
//!
//! Raw lines do not fit: 600 s of a 16-team game with 1000 units at 30 snapshots a second is over 300 MB of deltas.
//! What is shown, though, needs far less than the lines carry: team states, which units exist, of which type and
//! team, and whether they are finished. So every message applied to the live game is queued in a reduced form (units
//! without position, health, velocity or experience; in a delta only the units whose existence, team, type or
//! finished state changed, which the live game tells apart before it applies the message) and applied to the shown
//! game once it is `delay` old. The shown game is a real `Game` built by the same `Game::apply`, so every panel, series
//! and statistic is the same as it would have been live, only later.
//!
//! Changing the delay loses nothing: a longer delay holds the shown game still until the queue's oldest message is due
//! again; a shorter one applies what became due at once. Memory is bounded by [`MAX_QUEUE_BYTES`]: past it the oldest
//! messages are applied early (the shown game then runs less late than asked, and says so).

use super::{Applied, Game};
use crate::protocol::{Message, Production, Resource, Snapshot, TeamState, Unit};
use std::collections::VecDeque;
use std::time::{Duration, Instant};

/// The longest delay a user can set.
pub const MAX_DELAY: Duration = Duration::from_secs(600);

/// What the queue may hold, as estimated by [`cost`]. A 16-team game at 30 Hz takes about 4 KB of memory a message
/// (70 MB for 600 s, all of it held: `benches/web.rs`); this leaves room for full snapshots and larger games.
pub const MAX_QUEUE_BYTES: usize = 96 << 20;

#[derive(Debug, Clone)]
pub struct DelayLine {
    delay: Duration,
    queue: VecDeque<(Instant, Queued, usize)>,
    bytes: usize,
    /// [`MAX_QUEUE_BYTES`], or another cap (tests).
    cap: usize,
    shown: Game,
    /// Messages applied before they were due because the queue was full.
    early: u64,
    /// New games the shown game has begun.
    new_games: u64,
}

impl DelayLine {
    /// Starts showing `live` as it is now, held still until messages queued from now on fall due.
    pub fn new(live: &Game, delay: Duration) -> DelayLine {
        DelayLine::with_cap(live, delay, MAX_QUEUE_BYTES)
    }

    /// As [`DelayLine::new`], with the queue capped at `cap` estimated bytes instead of [`MAX_QUEUE_BYTES`].
    pub fn with_cap(live: &Game, delay: Duration, cap: usize) -> DelayLine {
        DelayLine {
            delay: delay.min(MAX_DELAY),
            queue: VecDeque::new(),
            bytes: 0,
            cap,
            shown: live.clone(),
            early: 0,
            new_games: 0,
        }
    }

    pub fn delay(&self) -> Duration {
        self.delay
    }

    pub fn set_delay(&mut self, delay: Duration) {
        self.delay = delay.min(MAX_DELAY);
    }

    pub fn shown(&self) -> &Game {
        &self.shown
    }

    pub fn queued(&self) -> usize {
        self.queue.len()
    }

    /// The most the queue may hold, in estimated bytes.
    pub fn cap(&self) -> usize {
        self.cap
    }

    /// The queue's estimated size in bytes.
    pub fn queued_bytes(&self) -> usize {
        self.bytes
    }

    /// New games the shown game has begun since this line started.
    pub fn new_games(&self) -> u64 {
        self.new_games
    }

    /// Messages shown sooner than the delay because the queue was full.
    pub fn early(&self) -> u64 {
        self.early
    }

    /// Queues `msg`, received at `at`, before `live` applies it (the reduction needs the live units as they were).
    pub fn push(&mut self, at: Instant, msg: &Message, live: &Game) {
        let reduced = pack(reduce(msg, live));
        let size = cost(&reduced);
        self.queue.push_back((at, reduced, size));
        self.bytes += size;
        while self.bytes > self.cap && self.queue.len() > 1 {
            if self.early == 0 {
                tracing::warn!(
                    "delay: {} MB of the game queued (the cap): the oldest is shown early, less than {} s late",
                    self.cap >> 20,
                    self.delay.as_secs()
                );
            }
            self.early += 1;
            self.pop_apply();
        }
    }

    /// Applies what is due at `now`.
    pub fn advance(&mut self, now: Instant) {
        while self
            .queue
            .front()
            .is_some_and(|(at, _, _)| *at + self.delay <= now)
        {
            self.pop_apply();
        }
    }

    /// When the next queued message falls due.
    pub fn next_due(&self) -> Option<Instant> {
        self.queue.front().map(|(at, _, _)| *at + self.delay)
    }

    /// Applies everything queued (the delay is going away: the live game takes over).
    pub fn flush(&mut self) {
        while !self.queue.is_empty() {
            self.pop_apply();
        }
    }

    fn pop_apply(&mut self) {
        if let Some((_, msg, size)) = self.queue.pop_front() {
            self.bytes -= size;
            if self.shown.apply(unpack(msg)) == Applied::NewGame {
                self.new_games += 1;
            }
        }
    }
}

/// What the shown game needs of `msg`, given the live game before `msg`.
fn reduce(msg: &Message, live: &Game) -> Message {
    let Message::Snapshot(s) = msg else {
        return msg.clone();
    };
    let full = s.units_full.unwrap_or(true);
    let units = s.units.as_ref().map(|units| {
        units
            .iter()
            .filter(|u| full || matters(u, live))
            .map(strip)
            .collect()
    });
    Message::Snapshot(Snapshot {
        schema_version: String::new(),
        seq: s.seq,
        game_frame: s.game_frame,
        game_seconds: s.game_seconds,
        is_paused: s.is_paused,
        detail: s.detail,
        teams: s.teams.clone(),
        units_full: s.units_full,
        units,
        destroyed: s.destroyed.clone(),
        hidden: s.hidden.clone(),
    })
}

/// Whether a delta's unit changes what is shown: the same test `Game` uses to decide whether compositions change.
fn matters(u: &Unit, live: &Game) -> bool {
    live.units.get(&u.id).is_none_or(|old| {
        old.team != u.team || old.def_id != u.def_id || old.is_finished() != u.is_finished()
    })
}

/// A unit as the shown game needs it: its core, the rest left out.
fn strip(u: &Unit) -> Unit {
    Unit::from(u.core())
}

/// The heap of a team's 1.1 production lists (sent once a game second, up to 64 entries each).
fn production_cost(p: &Production) -> usize {
    use std::mem::size_of;
    size_of::<Production>()
        + p.factories.len() * size_of::<crate::protocol::FactoryJob>()
        + p.constructing.len() * size_of::<crate::protocol::Construction>()
}

/// A message's heap and inline size, roughly: enough to bound the queue, cheap enough to run per message.
fn cost(q: &Queued) -> usize {
    use std::mem::size_of;
    let extra = match q {
        Queued::Snapshot(s, teams) => {
            size_of::<Snapshot>()
                + teams.len() * size_of::<PackedTeam>()
                + teams
                    .iter()
                    .map(|t| t.production.as_deref().map_or(0, production_cost))
                    .sum::<usize>()
                + s.units.as_ref().map_or(0, |u| u.len() * size_of::<Unit>())
                + (s.destroyed.len() + s.hidden.len()) * 4
        }
        Queued::Other(m) => {
            size_of::<Message>()
                + match &**m {
                    Message::Hello(h) => {
                        h.unit_defs.len() * (size_of::<crate::protocol::UnitDef>() + 48)
                            + h.teams.len() * (size_of::<crate::protocol::TeamInfo>() + 24)
                    }
                    _ => 64,
                }
        }
    };
    size_of::<(Instant, Queued, usize)>() + extra
}

/// A queued message. Snapshots keep their team states packed: 18000 of a 16-team game (600 s at 30 Hz) are 288000
/// team states, and `TeamState`'s optional numbers (16 bytes each as `Option<f64>`) made them 420 bytes apiece.
#[derive(Debug, Clone)]
enum Queued {
    /// A snapshot with its `teams` moved out, and those teams packed.
    Snapshot(Box<Snapshot>, Box<[PackedTeam]>),
    /// Boxed, as the snapshot: a `Message` inline is 280 bytes, queued 18000 times.
    Other(Box<Message>),
}

/// A `TeamState` in half the room: every number as a plain `f64`, which fields are present in one mask. Unpacks to
/// exactly the state it was packed from.
#[derive(Debug, Clone, PartialEq)]
struct PackedTeam {
    team_id: u32,
    units_killed: u32,
    units_died: u32,
    /// Bit per optional field, in [`PackedTeam::FIELDS`]' order, then metal, energy, killed, died, is_dead and its
    /// value.
    present: u32,
    /// metal's 9 numbers, energy's 9, damage dealt and received, utility and economy value.
    nums: [f64; 22],
    production: Option<Box<Production>>,
}

/// A resource's numbers in a fixed order (current and income are always there), with a presence bit each.
fn pack_resource(r: &Resource, nums: &mut [f64], present: &mut u32, first_bit: u32) {
    let opts = [
        r.expense,
        r.storage,
        r.produced,
        r.excess,
        r.used,
        r.reclaim,
        r.converted,
    ];
    nums[0] = r.current;
    nums[1] = r.income;
    for (i, v) in opts.into_iter().enumerate() {
        if let Some(v) = v {
            nums[2 + i] = v;
            *present |= 1 << (first_bit + i as u32);
        }
    }
}

fn unpack_resource(nums: &[f64], present: u32, first_bit: u32) -> Resource {
    let get = |i: usize| (present & (1 << (first_bit + i as u32)) != 0).then_some(nums[2 + i]);
    Resource {
        current: nums[0],
        income: nums[1],
        expense: get(0),
        storage: get(1),
        produced: get(2),
        excess: get(3),
        used: get(4),
        reclaim: get(5),
        converted: get(6),
    }
}

// Presence bits: 0-6 metal's optional numbers, 7-13 energy's, then these.
const METAL: u32 = 1 << 14;
const ENERGY: u32 = 1 << 15;
const DEALT: u32 = 1 << 16;
const RECEIVED: u32 = 1 << 17;
const UTILITY: u32 = 1 << 18;
const ECONOMY: u32 = 1 << 19;
const KILLED: u32 = 1 << 20;
const DIED: u32 = 1 << 21;
const DEAD_KNOWN: u32 = 1 << 22;
const DEAD: u32 = 1 << 23;

impl PackedTeam {
    fn pack(t: TeamState) -> PackedTeam {
        let mut p = PackedTeam {
            team_id: t.team_id,
            units_killed: t.units_killed.unwrap_or(0),
            units_died: t.units_died.unwrap_or(0),
            present: 0,
            nums: [0.0; 22],
            production: t.production.map(Box::new),
        };
        if let Some(m) = &t.metal {
            pack_resource(m, &mut p.nums[0..9], &mut p.present, 0);
            p.present |= METAL;
        }
        if let Some(e) = &t.energy {
            pack_resource(e, &mut p.nums[9..18], &mut p.present, 7);
            p.present |= ENERGY;
        }
        for (i, (v, bit)) in [
            (t.damage_dealt, DEALT),
            (t.damage_received, RECEIVED),
            (t.utility_value, UTILITY),
            (t.economy_value, ECONOMY),
        ]
        .into_iter()
        .enumerate()
        {
            if let Some(v) = v {
                p.nums[18 + i] = v;
                p.present |= bit;
            }
        }
        if t.units_killed.is_some() {
            p.present |= KILLED;
        }
        if t.units_died.is_some() {
            p.present |= DIED;
        }
        match t.is_dead {
            Some(true) => p.present |= DEAD_KNOWN | DEAD,
            Some(false) => p.present |= DEAD_KNOWN,
            None => {}
        }
        p
    }

    fn unpack(self) -> TeamState {
        let has = |bit: u32| self.present & bit != 0;
        let num = |i: usize, bit: u32| has(bit).then_some(self.nums[i]);
        TeamState {
            team_id: self.team_id,
            metal: has(METAL).then(|| unpack_resource(&self.nums[0..9], self.present, 0)),
            energy: has(ENERGY).then(|| unpack_resource(&self.nums[9..18], self.present, 7)),
            damage_dealt: num(18, DEALT),
            damage_received: num(19, RECEIVED),
            is_dead: has(DEAD_KNOWN).then_some(has(DEAD)),
            units_killed: has(KILLED).then_some(self.units_killed),
            units_died: has(DIED).then_some(self.units_died),
            utility_value: num(20, UTILITY),
            economy_value: num(21, ECONOMY),
            production: self.production.map(|p| *p),
        }
    }
}

fn pack(msg: Message) -> Queued {
    match msg {
        Message::Snapshot(mut s) => {
            let teams = std::mem::take(&mut s.teams)
                .into_iter()
                .map(PackedTeam::pack)
                .collect();
            Queued::Snapshot(Box::new(s), teams)
        }
        other => Queued::Other(Box::new(other)),
    }
}

fn unpack(q: Queued) -> Message {
    match q {
        Queued::Snapshot(mut s, teams) => {
            s.teams = teams
                .into_vec()
                .into_iter()
                .map(PackedTeam::unpack)
                .collect();
            Message::Snapshot(*s)
        }
        Queued::Other(m) => *m,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_packed_team_unpacks_to_exactly_what_it_was() {
        let full = Resource {
            current: 1.5,
            income: -2.25,
            expense: Some(0.0),
            storage: Some(3000.0),
            produced: Some(7.0),
            excess: Some(-0.0),
            used: Some(1e300),
            reclaim: Some(0.125),
            converted: Some(9.5),
        };
        let some = Resource {
            current: 0.0,
            income: 4.0,
            storage: Some(500.0),
            ..Resource::default()
        };
        let mut all = TeamState::new(7);
        all.metal = Some(full);
        all.energy = Some(some);
        all.damage_dealt = Some(12.5);
        all.damage_received = Some(0.0);
        all.is_dead = Some(false);
        all.units_killed = Some(u32::MAX);
        all.units_died = Some(0);
        all.utility_value = Some(3.0);
        all.economy_value = Some(-1.0);
        all.production = Some(Production {
            idle_builders: 3,
            ..Production::default()
        });
        let mut dead = TeamState::new(2);
        dead.is_dead = Some(true);
        dead.energy = Some(full);
        for t in [TeamState::new(0), all, dead] {
            assert_eq!(PackedTeam::pack(t.clone()).unpack(), t);
        }
        assert!(std::mem::size_of::<PackedTeam>() * 2 <= std::mem::size_of::<TeamState>());
    }
}
