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
use crate::protocol::{Message, Snapshot, Unit};
use std::collections::VecDeque;
use std::time::{Duration, Instant};

/// The longest delay a user can set.
pub const MAX_DELAY: Duration = Duration::from_secs(600);

/// What the queue may hold, as estimated by [`cost`]. A 16-team game at 30 Hz queues about 3 KB a message (20 MB
/// for 600 s, see `benches/web.rs`); this leaves room for many full snapshots.
pub const MAX_QUEUE_BYTES: usize = 96 << 20;

#[derive(Debug, Clone)]
pub struct DelayLine {
    delay: Duration,
    queue: VecDeque<(Instant, Message, usize)>,
    bytes: usize,
    shown: Game,
    /// Messages applied before they were due because the queue was full.
    early: u64,
    /// New games the shown game has begun.
    new_games: u64,
}

impl DelayLine {
    /// Starts showing `live` as it is now, held still until messages queued from now on fall due.
    pub fn new(live: &Game, delay: Duration) -> DelayLine {
        DelayLine {
            delay: delay.min(MAX_DELAY),
            queue: VecDeque::new(),
            bytes: 0,
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
        let reduced = reduce(msg, live);
        let size = cost(&reduced);
        self.queue.push_back((at, reduced, size));
        self.bytes += size;
        while self.bytes > MAX_QUEUE_BYTES && self.queue.len() > 1 {
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
            if self.shown.apply(msg) == Applied::NewGame {
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

fn strip(u: &Unit) -> Unit {
    Unit {
        id: u.id,
        def_id: u.def_id,
        team: u.team,
        pos: None,
        health: None,
        build_progress: u.build_progress,
        vel: None,
        experience: None,
    }
}

/// The heap of a team's 1.1 production lists (sent once a game second, up to 64 entries each).
fn production_cost(t: &crate::protocol::TeamState) -> usize {
    use std::mem::size_of;
    t.production.as_ref().map_or(0, |p| {
        p.factories.len() * size_of::<crate::protocol::FactoryJob>()
            + p.constructing.len() * size_of::<crate::protocol::Construction>()
    })
}

/// A message's heap and inline size, roughly: enough to bound the queue, cheap enough to run per message.
fn cost(msg: &Message) -> usize {
    use std::mem::size_of;
    let extra = match msg {
        Message::Snapshot(s) => {
            s.teams.len() * size_of::<crate::protocol::TeamState>()
                + s.teams.iter().map(production_cost).sum::<usize>()
                + s.units.as_ref().map_or(0, |u| u.len() * size_of::<Unit>())
                + (s.destroyed.len() + s.hidden.len()) * 4
        }
        Message::Hello(h) => {
            h.unit_defs.len() * (size_of::<crate::protocol::UnitDef>() + 48)
                + h.teams.len() * (size_of::<crate::protocol::TeamInfo>() + 24)
        }
        _ => 64,
    };
    size_of::<(Instant, Message, usize)>() + extra
}
