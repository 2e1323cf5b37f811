//! `bar-overlay simulate`: a synthetic game spoken over TCP exactly as the widget speaks it (hello first, a full
//! snapshot on every new connection, deltas that refresh every unit at least five times a second, events, bye).
//! It is also the demo feed of the window and the load generator of the tests and benchmarks.

pub mod units;
mod world;

pub use units::{DEFS, SimDef};
pub use world::World;

use super::Background;
use super::Speed;
use super::sender::Link;
use crate::protocol::{
    self, Bye, Detail, Event, EventKind, Hello, Message, NameVersion, SCHEMA_VERSION, Snapshot,
    View, WidgetStatus,
};
use std::collections::HashSet;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

#[derive(Debug, Clone)]
pub struct SimConfig {
    pub to: String,
    pub teams: u32,
    pub units: u32,
    pub rate_hz: f64,
    pub seconds: f64,
    pub speed: Speed,
    pub seed: u64,
    pub detail: Detail,
    /// Game seconds played before the game goes out at `speed`: sent as fast as the socket takes them, one snapshot a
    /// game second (what the model keeps of history), so a listener starts with the game's past already drawn.
    pub start_at: f64,
    /// Sent in the hello, for a reader started with a token.
    pub token: Option<String>,
}

impl SimConfig {
    /// The built-in demo: a 40-minute 4-team game into `to`, joined 12 minutes in (armies out, the first fights, income
    /// curves already drawn), then at real speed.
    pub fn demo(to: std::net::SocketAddr) -> SimConfig {
        SimConfig {
            to: to.to_string(),
            teams: 4,
            units: 800,
            rate_hz: 30.0,
            seconds: DEMO_SECONDS,
            speed: Speed::Factor(1.0),
            seed: demo_seed(),
            detail: Detail::Standard,
            start_at: DEMO_START_AT,
            token: None,
        }
    }
}

/// A new game each run, or the one `BAR_OVERLAY_DEMO_SEED` names (scripts/ui-smoke checks a known picture: with some
/// seeds close teams' lines lie on top of each other and hide one team's for most of the axis).
fn demo_seed() -> u64 {
    std::env::var("BAR_OVERLAY_DEMO_SEED")
        .ok()
        .and_then(|s| s.trim().parse().ok())
        .unwrap_or_else(|| fastrand::u64(1..10_000))
}

/// The demo game's length: the simulated economy and armies grow along it (the first fights a tenth in).
pub const DEMO_SECONDS: f64 = 40.0 * 60.0;
/// Where a viewer joins the demo.
pub const DEMO_START_AT: f64 = 12.0 * 60.0;

#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct SimReport {
    pub snapshots_sent: u64,
    pub bytes: u64,
    pub connections: u64,
    pub game_frames: u32,
}

/// Runs the simulated game on its own thread until it ends or the handle is stopped or dropped.
pub fn spawn(cfg: SimConfig) -> anyhow::Result<Background<SimReport>> {
    Background::spawn("bar-overlay-simulate", move |stop| run(&cfg, stop))
}

/// The window's `--demo`: [`SimConfig::demo`] games into `to`, one after another (a new seed each, a short pause
/// after each game over), until the handle is stopped or dropped, so a demo left running never runs dry.
/// `token`: the window's token setting, so that its own demo gets in when one is set.
pub fn spawn_demo(
    to: std::net::SocketAddr,
    token: Option<String>,
) -> anyhow::Result<Background<SimReport>> {
    Background::spawn("bar-overlay-demo", move |stop| {
        let mut total = SimReport::default();
        while !stop.load(Ordering::Relaxed) {
            let cfg = SimConfig {
                token: token.clone(),
                ..SimConfig::demo(to)
            };
            let r = run(&cfg, stop)?;
            total.snapshots_sent += r.snapshots_sent;
            total.bytes += r.bytes;
            total.connections += r.connections;
            total.game_frames += r.game_frames;
            let pause = Instant::now() + Duration::from_secs(15);
            while Instant::now() < pause && !stop.load(Ordering::Relaxed) {
                std::thread::sleep(Duration::from_millis(100));
            }
        }
        Ok(total)
    })
}

/// Plays `cfg` to its end in this thread (`bar-overlay simulate`) and says what was sent.
pub fn run_and_report(cfg: &SimConfig) -> anyhow::Result<()> {
    let stop = Arc::new(AtomicBool::new(false));
    let r = run(cfg, &stop)?;
    println!(
        "simulated {:.0} s of game: {} snapshots, {:.1} MB over {} connection(s)",
        f64::from(r.game_frames) / 30.0,
        r.snapshots_sent,
        r.bytes as f64 / 1e6,
        r.connections
    );
    Ok(())
}

/// Turns the world into protocol messages for one connection, as the widget does: a full snapshot first, then
/// deltas of what changed plus a round-robin slice that refreshes every unit at least five times a second.
pub struct Encoder {
    detail: Detail,
    rate_hz: f64,
    seed: u64,
    refresh_cycle: usize,
    seq: u64,
    /// The last unit id the round-robin refreshed.
    cursor: u32,
    need_full: bool,
    token: Option<String>,
}

impl Encoder {
    /// Sends `token` in the hello, as the widget's `token` setting does.
    pub fn with_token(mut self, token: Option<String>) -> Encoder {
        self.token = token;
        self
    }

    pub fn new(detail: Detail, rate_hz: f64, seed: u64) -> Encoder {
        let rate = rate_hz.clamp(1.0, 30.0);
        let frames_per_snapshot = (30.0 / rate).round().max(1.0);
        Encoder {
            detail,
            rate_hz: rate,
            seed,
            refresh_cycle: ((30.0 / frames_per_snapshot) / 5.0).floor().max(1.0) as usize,
            seq: 0,
            cursor: 0,
            need_full: true,
            token: None,
        }
    }

    /// Game frames between snapshots at this rate.
    pub fn frames_per_snapshot(&self) -> u32 {
        (30.0 / self.rate_hz).round().max(1.0) as u32
    }

    /// The next message must be a full snapshot (a new connection, or a final state).
    pub fn restart(&mut self) {
        self.seq = 0;
        self.cursor = 0;
        self.need_full = true;
    }

    pub fn force_full(&mut self) {
        self.need_full = true;
    }
}

/// Plays the whole game into `cfg.to`. Returns when the game ends or `stop` is set.
pub fn run(cfg: &SimConfig, stop: &AtomicBool) -> anyhow::Result<SimReport> {
    let mut link = Link::new(&cfg.to)?;
    let mut world = World::new(cfg.seed, cfg.teams, cfg.units, cfg.seconds);
    // Decision points go with comprehensive detail, as the widget sends them.
    let orders = cfg.detail == Detail::Comprehensive;
    if orders {
        world.record_orders();
    }
    let mut encoder = Encoder::new(cfg.detail, cfg.rate_hz, cfg.seed).with_token(cfg.token.clone());
    let frames_per_snapshot = encoder.frames_per_snapshot();
    let end_frame = (cfg.seconds * 30.0).round() as u32;
    // Fast-forwarded frames: one snapshot per game second (30 frames), no pacing.
    let live_frame = (cfg.start_at.max(0.0) * 30.0).round() as u32;
    let mut report = SimReport::default();
    // Game time is paced from here, once the fast-forward is over.
    let mut started: Option<(Instant, u32)> = None;
    let mut last_status = 0u32;
    while world.frame < end_frame && !stop.load(Ordering::Relaxed) {
        let fast = world.frame < live_frame;
        world.step();
        if world.frame == 1 {
            send_event(&mut link, &world, EventKind::GameStart);
        }
        for team in std::mem::take(&mut world.died) {
            send_event(&mut link, &world, EventKind::TeamDied { team_id: team });
        }
        if orders {
            let orders = world.take_orders();
            if !orders.is_empty() {
                send_event(&mut link, &world, EventKind::Orders { orders });
            }
        }
        for team in world.take_team_changes() {
            send_event(&mut link, &world, EventKind::TeamChanged { team });
        }
        let every = if fast { 30 } else { frames_per_snapshot };
        if world.frame.is_multiple_of(every) {
            let mut fresh = link.poll_connect();
            // Streaming as fast as the socket takes it: with no socket, wait for one rather than race ahead (and lose
            // the fast-forwarded past).
            while (cfg.speed == Speed::Max || fast)
                && !link.is_connected()
                && !stop.load(Ordering::Relaxed)
            {
                std::thread::sleep(link.retry_after().min(Duration::from_millis(50)));
                fresh = link.poll_connect();
            }
            if fresh {
                encoder.restart();
                link.send(&protocol::encode_line(&encoder.hello(&world)));
            }
            if link.is_connected() {
                if world.frame - last_status >= 150 {
                    last_status = world.frame;
                    send_event(&mut link, &world, status(cfg));
                }
                let msg = encoder.snapshot(&mut world);
                if link.send(&protocol::encode_line(&msg)) {
                    report.snapshots_sent += 1;
                }
            } else {
                // Nobody listening: what changed meanwhile reaches the next listener in its full snapshot.
                world.take_changes();
            }
        }
        if let (Speed::Factor(x), false) = (cfg.speed, fast) {
            let (t0, f0) = *started.get_or_insert((Instant::now(), world.frame));
            let due = t0 + Duration::from_secs_f64(f64::from(world.frame - f0) / 30.0 / x);
            let now = Instant::now();
            if due > now {
                std::thread::sleep(due - now);
            }
        }
    }
    if link.is_connected() && world.frame >= end_frame {
        encoder.force_full();
        let last = encoder.snapshot(&mut world);
        if link.send(&protocol::encode_line(&last)) {
            report.snapshots_sent += 1;
        }
        let winners = Some(vec![world.leading_ally()]);
        send_event(&mut link, &world, EventKind::GameOver { winners });
    }
    if link.is_connected() {
        let reason = if world.frame >= end_frame {
            "game_over"
        } else {
            "shutdown"
        };
        link.send(&protocol::encode_line(&Message::Bye(Bye {
            schema_version: SCHEMA_VERSION.into(),
            game_frame: Some(world.frame),
            reason: Some(reason.into()),
        })));
    }
    report.bytes = link.bytes;
    report.connections = link.connections;
    report.game_frames = world.frame;
    Ok(report)
}

impl Encoder {
    pub fn hello(&self, world: &World) -> Message {
        Message::Hello(Hello {
            schema_version: SCHEMA_VERSION.into(),
            widget: NameVersion {
                name: "bar-overlay simulate".into(),
                version: env!("CARGO_PKG_VERSION").into(),
            },
            engine_version: "simulated".into(),
            game: NameVersion {
                name: "Beyond All Reason".into(),
                version: "simulated".into(),
            },
            map: format!("Simulated Isthmus (seed {})", self.seed),
            is_replay: false,
            game_frame: world.frame,
            rate_hz: Some(self.rate_hz),
            detail: Some(self.detail),
            view: View {
                player_id: 99,
                team_id: 0,
                ally_team_id: 0,
                spectating: true,
                full_view: true,
            },
            teams: world.team_infos(),
            unit_defs: World::unit_defs(),
            token: self.token.clone(),
            anonymous: None,
        })
    }

    /// The next snapshot: full when the stream needs one (and every 10 game seconds), else a delta of what changed
    /// plus the next slice of the round-robin refresh.
    pub fn snapshot(&mut self, world: &mut World) -> Message {
        let (created, destroyed) = world.take_changes();
        let full = self.need_full || world.frame.is_multiple_of(300);
        self.need_full = false;
        // The first snapshot of each game second carries the once-a-second team fields, and so does a full one.
        let per_second = full || world.frame % 30 < self.frames_per_snapshot();
        let comprehensive = self.detail == Detail::Comprehensive;
        let (units_full, units, destroyed) = if self.detail == Detail::Minimal {
            (None, None, Vec::new())
        } else if full {
            let all = world
                .unit_ids()
                .filter_map(|id| world.unit(id, comprehensive))
                .collect();
            (Some(true), Some(all), destroyed)
        } else {
            let ids: Vec<u32> = world.unit_ids().collect();
            // One snapshot of headroom: units born during a cycle lengthen it, and none may wait past the cycle.
            let chunk = ids
                .len()
                .div_ceil(self.refresh_cycle.saturating_sub(1).max(1));
            let mut pick: HashSet<u32> = created.iter().copied().collect();
            // The cursor is the last id refreshed, not a position: deaths must not shift it past living units.
            let start = ids.partition_point(|id| *id <= self.cursor);
            for i in 0..chunk.min(ids.len()) {
                let id = ids[(start + i) % ids.len()];
                pick.insert(id);
                self.cursor = id;
            }
            let mut pick: Vec<u32> = pick.into_iter().collect();
            pick.sort_unstable();
            let units = pick
                .into_iter()
                .filter_map(|id| world.unit(id, comprehensive))
                .collect();
            (Some(false), Some(units), destroyed)
        };
        let seq = self.seq;
        self.seq += 1;
        Message::Snapshot(Snapshot {
            schema_version: SCHEMA_VERSION.into(),
            seq: Some(seq),
            game_frame: world.frame,
            game_seconds: (f64::from(world.frame) / 30.0 * 1000.0).round() / 1000.0,
            is_paused: false,
            detail: Some(self.detail),
            teams: world.team_states(per_second),
            units_full,
            units,
            destroyed,
            hidden: Vec::new(),
        })
    }
}

fn status(cfg: &SimConfig) -> EventKind {
    EventKind::Status(WidgetStatus {
        dropped_snapshots: Some(0),
        queue_bytes: Some(0),
        rate_hz: Some(cfg.rate_hz),
        unit_rate_hz: Some(cfg.rate_hz.min(30.0)),
        detail: Some(cfg.detail),
        throttled: Some(false),
        frame_cost_ms: None,
        message: None,
        dropped_orders: Some(0),
    })
}

fn send_event(link: &mut Link, world: &World, kind: EventKind) {
    if link.is_connected() {
        let ev = Event {
            schema_version: SCHEMA_VERSION.into(),
            game_frame: world.frame,
            kind,
        };
        link.send(&protocol::encode_line(&Message::Event(ev)));
    }
}
