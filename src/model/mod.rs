//! The game as the overlay sees it, and the [`Feed`] that turns receiver events into it.
//!
//! Data flows one way: receiver events -> [`Feed::handle`] -> [`Game::apply`]. One connection at a time is the
//! source of the game; others are counted and ignored until the source goes away, so two game clients connected at
//! once never mix their games. With a stream delay, what is shown is a second game that lags the live one
//! ([`delay`]); [`Feed::shown`] is what panels and pages read. The [`hub`] runs a feed for the app.

mod composition;
pub mod delay;
mod game;
pub mod hub;
mod names;
mod series;
mod team;

pub use composition::{Composition, DefTotals, Totals, compute as compute_composition};
pub use delay::{DelayLine, MAX_DELAY};
pub use game::{Applied, Game, GameInfo, GameOver, SERIES_POINTS_BUDGET};
pub use hub::{Hub, LineTap};
pub use names::{MAX_NAME_CHARS, MAX_RENAMES, Names};
pub use series::{DEFAULT_CAPACITY as SERIES_CAPACITY, Sample, Series, reduce};
pub use team::{HudTotals, TEAM_PALETTE, Team, TeamSeries, TeamStats};

pub use crate::protocol::{Health, Resource, Unit, Vec3};

/// The units a game holds, by id. Hashed with aHash (egui's own map hasher, already in the tree): every message
/// looks up each unit it carries, and std's SipHash was a tenth of applying a recording's deltas. Its keys are
/// seeded per process, so ids a sender picks cannot be aimed at one bucket.
pub type Units = std::collections::HashMap<crate::protocol::UnitId, Unit, ahash::RandomState>;

use crate::protocol::{Hello, Message, limits};
use crate::receiver::{ConnId, ReceiverEvent};
use std::collections::BTreeMap;
use std::net::SocketAddr;
use std::time::{Duration, Instant};

/// Game time as people read it: m:ss, or h:mm:ss past an hour. Used by the panels, the graphs' axis and the tools.
pub fn game_clock(seconds: f64) -> String {
    let s = seconds.max(0.0) as u64;
    if s >= 3600 {
        format!("{}:{:02}:{:02}", s / 3600, s / 60 % 60, s % 60)
    } else {
        format!("{}:{:02}", s / 60, s % 60)
    }
}

#[derive(Debug, Clone)]
pub struct Connection {
    pub peer: SocketAddr,
    pub messages: u64,
    /// Kept so that a connection can take over as the source with its game described.
    hello: Option<Box<Hello>>,
}

/// Counters over the life of a feed.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct FeedStats {
    pub connections_total: u64,
    pub messages: u64,
    pub bytes: u64,
    pub bad_lines: u64,
    pub unknown_types: u64,
    pub unknown_fields: u64,
    /// Messages from connections that were not the source.
    pub ignored: u64,
    pub new_games: u64,
}

#[derive(Debug, Default)]
pub struct Feed {
    game: Game,
    source: Option<ConnId>,
    connections: BTreeMap<ConnId, Connection>,
    stats: FeedStats,
    last_message: Option<Instant>,
    last_error: Option<String>,
    /// Present while a stream delay is set.
    delayed: Option<DelayLine>,
    /// The live count of new games when the delay line started.
    new_games_before_delay: u64,
    /// Broadcast names, for everything that shows the game.
    names: Names,
}

impl Feed {
    pub fn new() -> Feed {
        Feed::default()
    }

    /// The live game: what the receiver has applied so far. What to show is [`Feed::shown`].
    pub fn game(&self) -> &Game {
        &self.game
    }

    /// The game as it is to be shown: the live one, or with a delay the one `delay` behind it.
    pub fn shown(&self) -> &Game {
        self.delayed.as_ref().map_or(&self.game, DelayLine::shown)
    }

    /// New games the shown game has seen (a graph cache rebuilds on a change).
    pub fn shown_new_games(&self) -> u64 {
        match &self.delayed {
            Some(line) => self.new_games_before_delay + line.new_games(),
            None => self.stats.new_games,
        }
    }

    pub fn delay(&self) -> Duration {
        self.delayed
            .as_ref()
            .map_or(Duration::ZERO, DelayLine::delay)
    }

    /// The broadcast names everything that shows the game uses.
    pub fn names(&self) -> &Names {
        &self.names
    }

    pub fn set_names(&mut self, names: Names) {
        self.names = names.cleaned();
    }

    pub fn delay_line(&self) -> Option<&DelayLine> {
        self.delayed.as_ref()
    }

    /// Shows the game `delay` (at most [`MAX_DELAY`]) late from `now` on. Nothing is lost either way: a longer delay
    /// holds the shown game still until it is that far behind; a shorter one catches up at once; zero shows the live
    /// game.
    pub fn set_delay(&mut self, delay: Duration, now: Instant) {
        let delay = delay.min(MAX_DELAY);
        match (&mut self.delayed, delay.is_zero()) {
            (None, true) => {}
            (Some(_), true) => self.delayed = None,
            (Some(line), false) => {
                line.set_delay(delay);
                line.advance(now);
            }
            (None, false) => {
                self.new_games_before_delay = self.stats.new_games;
                self.delayed = Some(DelayLine::new(&self.game, delay));
            }
        }
    }

    /// Applies to the shown game what has become due at `now`.
    pub fn advance(&mut self, now: Instant) {
        if let Some(line) = &mut self.delayed {
            line.advance(now);
        }
    }

    /// When the shown game next changes on its own (a delayed message falls due).
    pub fn next_due(&self) -> Option<Instant> {
        self.delayed.as_ref().and_then(DelayLine::next_due)
    }

    pub fn stats(&self) -> FeedStats {
        self.stats
    }

    pub fn connections(&self) -> usize {
        self.connections.len()
    }

    /// The connection the game comes from.
    pub fn source(&self) -> Option<ConnId> {
        self.source
    }

    pub fn source_peer(&self) -> Option<SocketAddr> {
        self.source
            .and_then(|c| self.connections.get(&c))
            .map(|c| c.peer)
    }

    /// Whether a message from `conn` goes into the game: it is the source, or there is none and it would become it.
    pub fn accepts(&self, conn: ConnId) -> bool {
        self.source.is_none_or(|s| s == conn)
    }

    /// When the source last sent anything: the UI calls a quiet source stale.
    pub fn last_message(&self) -> Option<Instant> {
        self.last_message
    }

    /// The last rejected line, as one line of text.
    pub fn last_error(&self) -> Option<&str> {
        self.last_error.as_deref()
    }

    /// Starts over with an empty game, keeping connections (the UI's "reset").
    pub fn reset_game(&mut self) {
        self.game = Game::new();
        if let Some(line) = &mut self.delayed {
            *line = DelayLine::with_cap(&self.game, line.delay(), line.cap());
        }
    }

    pub fn handle(&mut self, ev: ReceiverEvent) {
        match ev {
            ReceiverEvent::Connected { conn, peer } => {
                self.stats.connections_total += 1;
                self.connections.insert(
                    conn,
                    Connection {
                        peer,
                        messages: 0,
                        hello: None,
                    },
                );
            }
            ReceiverEvent::Disconnected { conn, reason } => {
                if let Some(reason) = reason
                    && let Some(c) = self.connections.get(&conn)
                {
                    tracing::info!("connection from {} lost: {reason}", c.peer);
                }
                self.connections.remove(&conn);
                if self.source == Some(conn) {
                    self.source = None;
                }
            }
            ReceiverEvent::Message {
                conn,
                msg,
                bytes,
                unknown_fields,
                ..
            } => {
                self.stats.bytes += bytes as u64;
                self.stats.unknown_fields += u64::from(unknown_fields);
                self.on_message(conn, *msg);
            }
            ReceiverEvent::UnknownType { bytes, .. } => {
                self.stats.bytes += bytes as u64;
                self.stats.unknown_types += 1;
            }
            ReceiverEvent::BadLine {
                conn,
                line,
                error,
                bytes,
            } => {
                self.stats.bytes += bytes as u64;
                self.stats.bad_lines += 1;
                let peer = self
                    .connections
                    .get(&conn)
                    .map(|c| c.peer.to_string())
                    .unwrap_or_default();
                self.last_error = Some(format!("{peer} line {line}: {error}"));
            }
        }
    }

    fn on_message(&mut self, conn: ConnId, msg: Message) {
        self.stats.messages += 1;
        let Some(c) = self.connections.get_mut(&conn) else {
            return;
        };
        c.messages += 1;
        if let Message::Hello(h) = &msg {
            if c.hello.is_none() {
                tracing::info!(
                    "game connected from {}: {} {}",
                    c.peer,
                    h.widget.name,
                    h.widget.version
                );
            }
            c.hello = Some(Box::new(h.clone()));
        }
        if self.source.is_none() {
            self.source = Some(conn);
            // Taking over mid-stream: describe the game first, and distrust the unit set until a full snapshot.
            if !matches!(msg, Message::Hello(_)) {
                if let Some(mut h) = c.hello.clone() {
                    // The stored hello is as old as the connection; the game has moved on since.
                    h.game_frame = h.game_frame.max(msg.game_frame().unwrap_or(0));
                    self.apply(Message::Hello(*h));
                }
                self.game.units_stale = true;
            }
        }
        if self.source != Some(conn) {
            self.stats.ignored += 1;
            return;
        }
        self.last_message = Some(Instant::now());
        self.apply(msg);
    }

    fn apply(&mut self, msg: Message) {
        // Checked once here, so that a refused message reaches neither the delay line nor the live game. The
        // receiver's parser refuses such lines already; this covers messages built in code.
        if let Err(e) = limits::check(&msg) {
            self.stats.bad_lines += 1;
            self.last_error = Some(format!("message refused, over a limit: {e}"));
            return;
        }
        if let Some(line) = &mut self.delayed {
            line.push(Instant::now(), &msg, &self.game);
        }
        if self.game.apply_within_limits(msg) == Applied::NewGame {
            self.stats.new_games += 1;
        }
    }
}
