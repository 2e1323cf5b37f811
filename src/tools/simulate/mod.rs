//! `bar-overlay simulate`: a synthetic game spoken over TCP exactly as the widget speaks it (hello first, a full
//! snapshot on every new connection, deltas that refresh every unit at least five times a second, events, bye).
//! It is also the demo feed of the window and the load generator of the tests and benchmarks.

mod units;
mod world;

pub use units::{DEFS, SimDef};
pub use world::World;

use super::Background;
use super::sender::Link;
use crate::cli::{SimulateArgs, Speed};
use crate::protocol::{
    self, Bye, Detail, Event, EventKind, Hello, Message, NameVersion, SCHEMA_VERSION, Snapshot, View, WidgetStatus,
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
}

impl SimConfig {
    /// The built-in demo: a 4-team game at real speed into `to`, long enough to leave running.
    pub fn demo(to: std::net::SocketAddr) -> SimConfig {
        SimConfig {
            to: to.to_string(),
            teams: 4,
            units: 800,
            rate_hz: 30.0,
            seconds: 3.0 * 3600.0,
            speed: Speed::Factor(1.0),
            seed: fastrand::u64(..),
            detail: Detail::Standard,
        }
    }
}

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

pub fn run_cli(args: &SimulateArgs) -> anyhow::Result<()> {
    anyhow::ensure!((1.0..=30.0).contains(&args.rate), "--rate must be between 1 and 30 snapshots a second");
    anyhow::ensure!(args.seconds > 0.0 && args.seconds.is_finite(), "--seconds must be a positive number");
    let detail = match args.detail.as_str() {
        "minimal" => Detail::Minimal,
        "standard" => Detail::Standard,
        "comprehensive" => Detail::Comprehensive,
        other => anyhow::bail!("--detail must be minimal, standard or comprehensive, not `{other}`"),
    };
    let cfg = SimConfig {
        to: args.to.clone(),
        teams: args.teams,
        units: args.units,
        rate_hz: args.rate,
        seconds: args.seconds,
        speed: args.speed,
        seed: args.seed,
        detail,
    };
    let stop = Arc::new(AtomicBool::new(false));
    let r = run(&cfg, &stop)?;
    println!(
        "simulated {:.0} s of game: {} snapshots, {:.1} MB over {} connection(s)",
        f64::from(r.game_frames) / 30.0,
        r.snapshots_sent,
        r.bytes as f64 / 1e6,
        r.connections
    );
    Ok(())
}

/// The stream state of one connection.
struct Stream {
    seq: u64,
    cursor: usize,
    need_full: bool,
}

/// Plays the whole game into `cfg.to`. Returns when the game ends or `stop` is set.
pub fn run(cfg: &SimConfig, stop: &AtomicBool) -> anyhow::Result<SimReport> {
    let mut link = Link::new(&cfg.to)?;
    let mut world = World::new(cfg.seed, cfg.teams, cfg.units, cfg.seconds);
    let rate = cfg.rate_hz.clamp(1.0, 30.0);
    let frames_per_snapshot = (30.0 / rate).round().max(1.0) as u32;
    // Each unit is refreshed at least 5 times a second: every `refresh_cycle` snapshots.
    let refresh_cycle = ((30.0 / f64::from(frames_per_snapshot)) / 5.0).floor().max(1.0) as usize;
    let end_frame = (cfg.seconds * 30.0).round() as u32;
    let mut stream = Stream { seq: 0, cursor: 0, need_full: true };
    let mut report = SimReport::default();
    let started = Instant::now();
    let mut last_status = 0u32;
    while world.frame < end_frame && !stop.load(Ordering::Relaxed) {
        world.step();
        if world.frame == 1 {
            send_event(&mut link, &world, EventKind::GameStart);
        }
        for team in std::mem::take(&mut world.died) {
            send_event(&mut link, &world, EventKind::TeamDied { team_id: team });
        }
        if world.frame.is_multiple_of(frames_per_snapshot) {
            let mut fresh = link.poll_connect();
            // Streaming as fast as the socket takes it: with no socket, wait for one rather than race ahead.
            while cfg.speed == Speed::Max && !link.is_connected() && !stop.load(Ordering::Relaxed) {
                std::thread::sleep(link.retry_after().min(Duration::from_millis(50)));
                fresh = link.poll_connect();
            }
            if fresh {
                stream = Stream { seq: 0, cursor: 0, need_full: true };
                link.send(&protocol::encode_line(&hello(cfg, &world)));
            }
            if link.is_connected() {
                if world.frame - last_status >= 150 {
                    last_status = world.frame;
                    send_event(&mut link, &world, status(cfg));
                }
                let msg = snapshot(cfg, &mut world, &mut stream, refresh_cycle);
                if link.send(&protocol::encode_line(&msg)) {
                    report.snapshots_sent += 1;
                }
            } else {
                // Nobody listening: what changed meanwhile reaches the next listener in its full snapshot.
                world.take_changes();
            }
        }
        if let Speed::Factor(x) = cfg.speed {
            let due = started + Duration::from_secs_f64(f64::from(world.frame) / 30.0 / x);
            let now = Instant::now();
            if due > now {
                std::thread::sleep(due - now);
            }
        }
    }
    if link.is_connected() && world.frame >= end_frame {
        stream.need_full = true;
        let last = snapshot(cfg, &mut world, &mut stream, refresh_cycle);
        link.send(&protocol::encode_line(&last));
        let winners = Some(vec![world.leading_ally()]);
        send_event(&mut link, &world, EventKind::GameOver { winners });
    }
    if link.is_connected() {
        let reason = if world.frame >= end_frame { "game_over" } else { "shutdown" };
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

fn hello(cfg: &SimConfig, world: &World) -> Message {
    Message::Hello(Hello {
        schema_version: SCHEMA_VERSION.into(),
        widget: NameVersion { name: "bar-overlay simulate".into(), version: env!("CARGO_PKG_VERSION").into() },
        engine_version: "simulated".into(),
        game: NameVersion { name: "Beyond All Reason".into(), version: "simulated".into() },
        map: format!("Simulated Isthmus (seed {})", cfg.seed),
        is_replay: false,
        game_frame: world.frame,
        rate_hz: Some(cfg.rate_hz),
        detail: Some(cfg.detail),
        view: View { player_id: 99, team_id: 0, ally_team_id: 0, spectating: true, full_view: true },
        teams: world.team_infos(),
        unit_defs: World::unit_defs(),
    })
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
    })
}

fn send_event(link: &mut Link, world: &World, kind: EventKind) {
    if link.is_connected() {
        let ev = Event { schema_version: SCHEMA_VERSION.into(), game_frame: world.frame, kind };
        link.send(&protocol::encode_line(&Message::Event(ev)));
    }
}

/// The next snapshot: full when the stream needs one (and every 10 game seconds), else a delta of what changed
/// plus the next slice of the round-robin refresh.
fn snapshot(cfg: &SimConfig, world: &mut World, stream: &mut Stream, refresh_cycle: usize) -> Message {
    let (created, destroyed) = world.take_changes();
    let full = stream.need_full || world.frame.is_multiple_of(300);
    stream.need_full = false;
    let comprehensive = cfg.detail == Detail::Comprehensive;
    let (units_full, units, destroyed) = if cfg.detail == Detail::Minimal {
        (None, None, Vec::new())
    } else if full {
        let all = world.unit_ids().filter_map(|id| world.unit(id, comprehensive)).collect();
        (Some(true), Some(all), destroyed)
    } else {
        let ids: Vec<u32> = world.unit_ids().collect();
        let chunk = ids.len().div_ceil(refresh_cycle);
        let mut pick: HashSet<u32> = created.iter().copied().collect();
        for i in 0..chunk.min(ids.len()) {
            pick.insert(ids[(stream.cursor + i) % ids.len()]);
        }
        stream.cursor = if ids.is_empty() { 0 } else { (stream.cursor + chunk) % ids.len() };
        let mut pick: Vec<u32> = pick.into_iter().collect();
        pick.sort_unstable();
        let units = pick.into_iter().filter_map(|id| world.unit(id, comprehensive)).collect();
        (Some(false), Some(units), destroyed)
    };
    let seq = stream.seq;
    stream.seq += 1;
    Message::Snapshot(Snapshot {
        schema_version: SCHEMA_VERSION.into(),
        seq: Some(seq),
        game_frame: world.frame,
        game_seconds: (f64::from(world.frame) / 30.0 * 1000.0).round() / 1000.0,
        is_paused: false,
        detail: Some(cfg.detail),
        teams: world.team_states(),
        units_full,
        units,
        destroyed,
        hidden: Vec::new(),
    })
}
