//! Checks one real-engine run: the engine's log, the stream, and the overlay's model against the game's ground
//! truth at every frame the game dumped it.

use super::run::{Mode, Run};
use super::truth::{Dump, Truth};
use bar_overlay::model::{Feed, Game};
use bar_overlay::protocol::{Detail, EventKind, Message, Snapshot};
use bar_overlay::receiver::ReceiverEvent;
use std::collections::{BTreeMap, HashMap, HashSet};

/// The player's ally team in `Mode::Player` (team 0).
const MY_ALLY: u32 = 0;
/// How far (elmos) a unit may move in a frame (the gunship's top speed is 4.5; a little margin for aircraft that
/// overshoot), and how far apart the model and the game may be besides (pathing, the dump's rounding).
const MAX_SPEED: f64 = 5.0;
const POS_SLACK: f64 = 24.0;
/// Frames until the widget notices that a player's enemy died: the engine sends a player no `UnitDestroyed` for
/// enemies, so the widget learns it from its next full scan of `GetAllUnits` (every `30 / unit rate` snapshots; the
/// unit rate is 6 Hz unless the widget throttles itself), or when the dying unit's turn to be refreshed comes first.
/// A radar blip has no health to tell that it is dying: it goes when the engine stops listing it, two frames on.
fn scan_lag(unit_rate_hz: f64) -> u32 {
    (30.0 / unit_rate_hz.max(1.0)).ceil() as u32 + 3
}

/// Headless rendering stubs the engine logs as errors (no GL); everything else logged as an error is a failure.
const HARMLESS: [&str; 3] = [
    "Could not create FBO",
    "failed to map PBO",
    "Could not finalize",
];

#[derive(Default)]
pub struct Problems {
    pub list: Vec<String>,
    pub total: usize,
}

impl Problems {
    pub fn add(&mut self, s: String) {
        self.total += 1;
        if self.list.len() < 60 {
            self.list.push(s);
        }
    }
}

#[derive(Default, Debug)]
pub struct Stats {
    pub snapshots: usize,
    pub dumps_checked: usize,
    pub deaths: usize,
    pub deaths_in_view: usize,
    pub destroyed: usize,
    pub hidden: usize,
    pub max_units_seen: usize,
    /// `frame_cost_ms` of the widget's status events, with the unit count at that time.
    pub frame_costs: Vec<(f64, usize)>,
    /// destroyed frame minus death frame, per death reported as destroyed
    pub destroyed_lag: BTreeMap<i64, usize>,
    /// The lowest unit refresh rate the widget reported (6 Hz unless it throttled itself).
    pub min_unit_rate_hz: f64,
    /// Enemy units a player was sent in line of sight (with health) and as radar blips.
    pub enemy_in_los: usize,
    pub enemy_blips: usize,
    pub last_frame: u32,
    /// Decision points (protocol 1.2 `orders`) seen and checked.
    pub orders: super::orders::OrderStats,
}

#[derive(Clone, Copy, PartialEq, Eq, Debug)]
enum Seen {
    Sent,
    Destroyed,
    Hidden,
    /// Absent from a full snapshot while the model had it.
    Dropped,
}

pub fn log_problems(infolog: &str, p: &mut Problems) {
    for line in infolog.lines() {
        let error = line.contains("Error:") && !HARMLESS.iter().any(|h| line.contains(h));
        if error
            || line.contains("[Internal Lua error")
            || line.contains("not loading")
            || line.contains("[livedata] error")
        {
            p.add(format!("engine log: {line}"));
        }
    }
    if !infolog.contains("[livedata] connected to 127.0.0.1:") {
        p.add("engine log: the widget never said `[livedata] connected to 127.0.0.1:...`".into());
    }
}

fn close(a: f64, b: f64) -> bool {
    (a - b).abs() <= 0.01 + b.abs() * 1e-4
}

fn def_name(game: &Game, def: u32) -> String {
    game.defs
        .get(&def)
        .map(|d| d.name.clone())
        .unwrap_or_else(|| format!("def {def}"))
}

/// What a check needs to know about the whole run.
struct Ctx<'a> {
    truth: &'a Truth,
    /// unit id -> the frame of the last snapshot that carried it (the model's position is from then)
    last_sent: HashMap<u32, u32>,
    /// unit id -> the frames it died at (ids are reused)
    deaths: HashMap<u32, Vec<u32>>,
    /// see [`scan_lag`]
    lag: u32,
}

/// The model after the snapshot(s) of `frame` against the truth dumped at `frame`.
fn compare(game: &Game, dump: &Dump, frame: u32, mode: Mode, ctx: &Ctx<'_>, p: &mut Problems) {
    let ally_of = |team: u32| game.teams.get(&team).map(|t| t.ally_team);
    for (id, tu) in &dump.units {
        let allied = mode == Mode::Spectator || ally_of(tu.team) == Some(MY_ALLY);
        let visible = allied || tu.in_los() || tu.in_radar();
        let what = format!("unit {id} ({}, team {})", def_name(game, tu.def), tu.team);
        let Some(u) = game.units.get(id) else {
            if visible {
                p.add(format!(
                    "frame {frame}: {what} exists but is not in the model"
                ));
            }
            continue;
        };
        if !visible {
            p.add(format!(
                "frame {frame}: {what} is in the model but outside line of sight and radar (los state {})",
                tu.los
            ));
            continue;
        }
        if u.team != tu.team {
            p.add(format!(
                "frame {frame}: {what} has team {} in the model",
                u.team
            ));
        }
        let typed = allied || tu.in_los();
        if typed {
            if u.def_id != Some(tu.def) {
                p.add(format!("frame {frame}: {what} has def {:?}", u.def_id));
            }
            // the engine tells a player nothing when an enemy unit finishes: the widget shows it at the unit's next
            // refresh (the same lag as a scan), so an enemy that was still being built a moment ago may lag
            let just_finished = !allied
                && tu.built
                && ctx
                    .truth
                    .dumps
                    .range(frame.saturating_sub(ctx.lag + 10)..frame)
                    .any(|(_, d)| d.units.get(id).is_some_and(|u| !u.built));
            if u.is_finished() != tu.built && !just_finished {
                p.add(format!(
                    "frame {frame}: {what} is {} but the model says {}",
                    if tu.built {
                        "finished"
                    } else {
                        "under construction"
                    },
                    if u.is_finished() {
                        "finished"
                    } else {
                        "under construction"
                    }
                ));
            }
            if u.health.is_none() {
                p.add(format!(
                    "frame {frame}: {what} is in line of sight but has no health"
                ));
            }
            match &u.pos {
                Some(pos) => {
                    let d = ((pos.x as f64 - tu.x).powi(2) + (pos.z as f64 - tu.z).powi(2)).sqrt();
                    let since =
                        frame.saturating_sub(ctx.last_sent.get(id).copied().unwrap_or(frame));
                    if d > POS_SLACK + MAX_SPEED * since as f64 {
                        p.add(format!(
                            "frame {frame}: {what} is at ({:.0}, {:.0}) in the model (sent {since} frames ago), \
                             ({:.0}, {:.0}) in the game",
                            pos.x, pos.z, tu.x, tu.z
                        ));
                    }
                }
                None => p.add(format!("frame {frame}: {what} has no position")),
            }
        } else {
            if u.health.is_some() {
                p.add(format!(
                    "frame {frame}: {what} is a radar blip but has health"
                ));
            }
            if u.def_id.is_some_and(|d| d != tu.def) {
                p.add(format!(
                    "frame {frame}: radar blip {what} has def {:?}",
                    u.def_id
                ));
            }
        }
    }
    for (id, u) in &game.units {
        let enemy_died_lately = mode == Mode::Player
            && ally_of(u.team) != Some(MY_ALLY)
            && ctx
                .deaths
                .get(id)
                .is_some_and(|fs| fs.iter().any(|&d| d <= frame && frame <= d + ctx.lag));
        if !dump.units.contains_key(id) && !enemy_died_lately {
            p.add(format!(
                "frame {frame}: unit {id} (def {:?}, team {}) is in the model but does not exist in the game",
                u.def_id, u.team
            ));
        }
    }
    for (tid, tt) in &dump.teams {
        let Some(team) = game.teams.get(tid) else {
            p.add(format!("frame {frame}: team {tid} is not in the model"));
            continue;
        };
        let readable = mode == Mode::Spectator || team.ally_team == MY_ALLY;
        for (name, got, want) in [
            ("metal", &team.metal, tt.metal),
            ("energy", &team.energy, tt.energy),
        ] {
            match (readable, got) {
                (true, Some(r)) => {
                    let fields = [
                        ("current", r.current, want[0]),
                        ("storage", r.storage.unwrap_or(f64::NAN), want[1]),
                        ("income", r.income, want[2]),
                        ("expense", r.expense.unwrap_or(f64::NAN), want[3]),
                    ];
                    for (field, g, w) in fields {
                        if !close(g, w) {
                            p.add(format!("frame {frame}: team {tid} {name}.{field} is {g} in the model, {w} in the game"));
                        }
                    }
                }
                (true, None) => p.add(format!(
                    "frame {frame}: team {tid} has no {name} in the model"
                )),
                (false, Some(_)) => p.add(format!(
                    "frame {frame}: enemy team {tid} {name} is in the model"
                )),
                (false, None) => {}
            }
        }
        if team.is_dead != tt.dead {
            p.add(format!(
                "frame {frame}: team {tid} is_dead {} in the model, {} in the game",
                team.is_dead, tt.dead
            ));
        }
    }
}

/// Stream-level checks of one snapshot (before it is applied to `game`).
fn check_snapshot(
    s: &Snapshot,
    game: &Game,
    mode: Mode,
    timeline: &mut HashMap<u32, Vec<(u32, Seen)>>,
    stats: &mut Stats,
    p: &mut Problems,
) {
    let f = s.game_frame;
    let units = s.units.as_deref().unwrap_or(&[]);
    if s.is_full() && s.units.is_some() {
        let now: HashSet<u32> = units.iter().map(|u| u.id).collect();
        for id in game.units.keys().filter(|id| !now.contains(id)) {
            timeline.entry(*id).or_default().push((f, Seen::Dropped));
        }
    }
    let comprehensive = s.detail == Some(Detail::Comprehensive);
    for u in units {
        timeline.entry(u.id).or_default().push((f, Seen::Sent));
        let allied = mode == Mode::Spectator
            || game.teams.get(&u.team).map(|t| t.ally_team) == Some(MY_ALLY);
        if !allied {
            if u.health.is_some() {
                stats.enemy_in_los += 1;
            } else {
                stats.enemy_blips += 1;
            }
        }
        if comprehensive {
            // the engine gives experience only for allied units, and no velocity for a radar blip
            if allied && (u.experience.is_none() || u.vel.is_none()) {
                p.add(format!(
                    "frame {f}: unit {} of team {} lacks experience or velocity",
                    u.id, u.team
                ));
            }
            if !allied && u.experience.is_some() {
                p.add(format!(
                    "frame {f}: the player got enemy unit {}'s experience",
                    u.id
                ));
            }
            if !allied && u.health.is_none() && u.vel.is_some() {
                p.add(format!(
                    "frame {f}: the player got radar blip {}'s velocity",
                    u.id
                ));
            }
        }
    }
    for id in &s.destroyed {
        timeline.entry(*id).or_default().push((f, Seen::Destroyed));
    }
    for id in &s.hidden {
        timeline.entry(*id).or_default().push((f, Seen::Hidden));
    }
    stats.destroyed += s.destroyed.len();
    stats.hidden += s.hidden.len();
    if mode == Mode::Spectator && !s.hidden.is_empty() {
        p.add(format!(
            "frame {f}: a full-view spectator got hidden units {:?}",
            s.hidden
        ));
    }
    if mode == Mode::Player {
        for t in &s.teams {
            let ally = game.teams.get(&t.team_id).map(|t| t.ally_team);
            if ally != Some(MY_ALLY)
                && (t.metal.is_some()
                    || t.energy.is_some()
                    || t.damage_dealt.is_some()
                    || t.units_killed.is_some()
                    || t.utility_value.is_some()
                    || t.production.is_some())
            {
                p.add(format!(
                    "frame {f}: the player got enemy team {}'s economy",
                    t.team_id
                ));
            }
        }
    }
}

/// Every death: reported once, as `destroyed` where the view knows it died, never sent again.
fn check_deaths(
    truth: &Truth,
    mode: Mode,
    game: &Game,
    timeline: &HashMap<u32, Vec<(u32, Seen)>>,
    ctx: &Ctx<'_>,
    stats: &mut Stats,
    p: &mut Problems,
) {
    stats.deaths = truth.deaths.len();
    let known: HashSet<u32> = truth.deaths.iter().map(|d| d.id).collect();
    for d in &truth.deaths {
        // the engine reuses unit ids: what follows a new unit with this id is not about this one
        let reborn = truth
            .created
            .iter()
            .filter(|&&(f, id, _, _)| id == d.id && f > d.frame)
            .map(|&(f, _, _, _)| f)
            .min()
            .unwrap_or(u32::MAX);
        let Some(events) = timeline.get(&d.id) else {
            continue; // never in view
        };
        let events: Vec<(u32, Seen)> = events
            .iter()
            .copied()
            .filter(|&(f, _)| f < reborn)
            .collect();
        // in the model when it died: sent, and not removed since
        let before: Vec<&(u32, Seen)> = events.iter().filter(|(f, _)| *f < d.frame).collect();
        let in_model = before.last().is_some_and(|(_, k)| *k == Seen::Sent)
            || events.iter().any(|&(f, k)| f == d.frame && k == Seen::Sent);
        if !in_model {
            continue;
        }
        stats.deaths_in_view += 1;
        let allied = mode == Mode::Spectator
            || game.teams.get(&d.team).map(|t| t.ally_team) == Some(MY_ALLY);
        let what = format!(
            "unit {} ({}, team {}) died at frame {}",
            d.id,
            def_name(game, d.def),
            d.team,
            d.frame
        );
        let removals: Vec<(u32, Seen)> = events
            .iter()
            .copied()
            .filter(|&(f, k)| k != Seen::Sent && f >= d.frame)
            .collect();
        let Some(&(rf, kind)) = removals.first() else {
            let grace = if allied { 1 } else { ctx.lag };
            if d.frame + grace <= stats.last_frame {
                p.add(format!(
                    "{what}: never removed from the model (last sent at {:?})",
                    events.last()
                ));
            }
            continue;
        };
        if removals.len() > 1 {
            p.add(format!(
                "{what}: removed {} times: {removals:?}",
                removals.len()
            ));
        }
        if allied {
            if kind != Seen::Destroyed {
                p.add(format!(
                    "{what}: reported as {kind:?} at frame {rf}, not destroyed"
                ));
            } else {
                *stats
                    .destroyed_lag
                    .entry(rf as i64 - d.frame as i64)
                    .or_default() += 1;
                if rf > d.frame + 1 {
                    p.add(format!("{what}: destroyed only at frame {rf}"));
                }
            }
        } else if rf > d.frame + ctx.lag {
            p.add(format!("{what}: removed ({kind:?}) only at frame {rf}"));
        }
        let again: Vec<u32> = events
            .iter()
            .filter(|&&(f, k)| k == Seen::Sent && f > d.frame + 1)
            .map(|&(f, _)| f)
            .collect();
        if !again.is_empty() {
            p.add(format!(
                "{what}: sent again after its death at frames {:?}",
                &again[..again.len().min(5)]
            ));
        }
    }
    // destroyed ids the game never killed
    for (id, events) in timeline {
        for &(f, k) in events {
            let window = |d: u32, team: u32| {
                let allied = mode == Mode::Spectator
                    || game.teams.get(&team).map(|t| t.ally_team) == Some(MY_ALLY);
                d <= f && f <= d + if allied { 1 } else { ctx.lag }
            };
            if k == Seen::Destroyed
                && !truth
                    .deaths
                    .iter()
                    .any(|d| d.id == *id && window(d.frame, d.team))
            {
                p.add(format!(
                    "frame {f}: unit {id} reported destroyed but the game {}",
                    if known.contains(id) {
                        "killed it at another frame"
                    } else {
                        "never killed it"
                    }
                ));
            }
        }
    }
}

/// Runs every check; returns the problems and what was seen.
pub fn check(run: &Run, truth: &Truth) -> (Problems, Stats) {
    let mut p = Problems::default();
    let mut stats = Stats::default();
    log_problems(&run.infolog, &mut p);
    let mode = run.mode;

    // the unit rate decides how late a player learns of enemy deaths: take the lowest the widget reported
    stats.min_unit_rate_hz = run
        .events
        .iter()
        .filter_map(|ev| match ev {
            ReceiverEvent::Message { msg, .. } => match msg.as_ref() {
                Message::Event(e) => match &e.kind {
                    EventKind::Status(st) => st.unit_rate_hz,
                    _ => None,
                },
                _ => None,
            },
            _ => None,
        })
        .fold(6.0, f64::min);
    let mut deaths: HashMap<u32, Vec<u32>> = HashMap::new();
    for d in &truth.deaths {
        deaths.entry(d.id).or_default().push(d.frame);
    }
    let mut ctx = Ctx {
        truth,
        last_sent: HashMap::new(),
        deaths,
        lag: scan_lag(stats.min_unit_rate_hz),
    };

    let mut feed = Feed::new();
    let mut messages: Vec<&Message> = Vec::new();
    let mut connections = 0;
    let mut timeline: HashMap<u32, Vec<(u32, Seen)>> = HashMap::new();
    let mut last_frame: Option<u32> = None;
    let mut last_seq: Option<u64> = None;
    for ev in &run.events {
        match ev {
            ReceiverEvent::Connected { .. } => connections += 1,
            ReceiverEvent::BadLine { line, error, .. } => {
                p.add(format!("stream line {line} rejected: {error}"))
            }
            ReceiverEvent::UnknownType { kind, .. } => {
                p.add(format!("stream: unknown message type {kind}"))
            }
            ReceiverEvent::Message {
                msg,
                unknown_fields,
                ..
            } => {
                if *unknown_fields > 0 {
                    p.add(format!(
                        "stream: {unknown_fields} unknown fields in a {}",
                        msg.kind()
                    ));
                }
                messages.push(msg.as_ref());
                if let Message::Snapshot(s) = msg.as_ref() {
                    // the model is complete for a frame once the next frame's snapshot arrives
                    if let Some(f) = last_frame.filter(|&f| f < s.game_frame)
                        && let Some(dump) = truth.dumps.get(&f)
                    {
                        compare(feed.game(), dump, f, mode, &ctx, &mut p);
                        stats.dumps_checked += 1;
                    }
                    last_frame = Some(s.game_frame);
                    stats.last_frame = s.game_frame;
                    if let (Some(prev), Some(seq)) = (last_seq, s.seq)
                        && seq != prev + 1
                    {
                        p.add(format!(
                            "frame {}: seq {seq} after {prev}: the widget dropped snapshots",
                            s.game_frame
                        ));
                    }
                    last_seq = s.seq;
                    stats.snapshots += 1;
                    check_snapshot(s, feed.game(), mode, &mut timeline, &mut stats, &mut p);
                    for u in s.units.as_deref().unwrap_or(&[]) {
                        ctx.last_sent.insert(u.id, s.game_frame);
                    }
                }
                if let Message::Event(e) = msg.as_ref()
                    && let EventKind::Status(st) = &e.kind
                    && let Some(c) = st.frame_cost_ms
                {
                    stats.frame_costs.push((c, feed.game().units.len()));
                }
            }
            ReceiverEvent::Disconnected { .. } => {}
        }
        feed.handle(ev.clone());
        stats.max_units_seen = stats.max_units_seen.max(feed.game().units.len());
    }
    if let Some(f) = last_frame
        && let Some(dump) = truth.dumps.get(&f)
    {
        compare(feed.game(), dump, f, mode, &ctx, &mut p);
        stats.dumps_checked += 1;
    }
    if connections != 1 {
        p.add(format!("stream: {connections} connections, expected 1"));
    }
    check_deaths(
        truth,
        mode,
        feed.game(),
        &timeline,
        &ctx,
        &mut stats,
        &mut p,
    );
    check_messages(&messages, truth, mode, &mut p);
    stats.orders = super::orders::check(&messages, truth, mode, &run.infolog, &mut p);
    check_hud(truth, feed.game(), mode, &mut p);
    scenario(truth, feed.game(), &mut p);
    (p, stats)
}

/// Protocol 1.1 from the real engine's calls (GetTeamUnitStats, GetTeamResourceStats, GetUnitIsBuilding,
/// GetFactoryCommands, GetUnitCommands, GetUnitResources): every team the view reads fully has them at the end, and
/// the deaths they count are the game's.
fn check_hud(truth: &Truth, game: &Game, mode: Mode, p: &mut Problems) {
    let mut died = 0;
    for t in game.teams.values() {
        if mode == Mode::Player && t.ally_team != MY_ALLY {
            continue;
        }
        let id = t.id;
        if t.production.is_none() || t.utility_value.is_none() || t.economy_value.is_none() {
            p.add(format!("team {id}: no 1.1 production or HUD values"));
        }
        if t.metal.and_then(|m| m.used).is_none() {
            p.add(format!("team {id}: no metal used"));
        }
        match (t.units_killed, t.units_died) {
            (Some(_), Some(d)) => died += d as usize,
            _ => p.add(format!("team {id}: no units killed/died")),
        }
        if t.faction.is_none() || (t.is_ai && t.ai.is_none()) || (!t.is_ai && t.players.is_empty())
        {
            p.add(format!("team {id}: no faction, AI card or player card"));
        }
        if t.players.iter().any(|c| c.status.is_some()) {
            p.add(format!(
                "team {id}: a player is not playing: {:?}",
                t.players
            ));
        }
    }
    if died == 0 || died > truth.deaths.len() {
        p.add(format!(
            "units died {died} (readable teams), the game had {} deaths",
            truth.deaths.len()
        ));
    }
}

/// The game played what it should, or the checks above prove little.
fn scenario(truth: &Truth, game: &Game, p: &mut Problems) {
    let def = |name: &str| {
        game.defs
            .values()
            .find(|d| d.name == name)
            .map(|d| d.def_id)
    };
    let created = |name: &str| {
        truth
            .created
            .iter()
            .filter(|c| Some(c.2) == def(name))
            .count()
    };
    let mut fail = |what: String| p.add(format!("the test game did not play its scenario: {what}"));
    if truth.deaths.len() < 20 {
        fail(format!(
            "{} deaths, expected at least 20",
            truth.deaths.len()
        ));
    }
    if truth.given.len() != 2 {
        fail(format!("{} units given, expected 2", truth.given.len()));
    }
    if truth.max_units() < 25 {
        fail(format!(
            "at most {} units at once, expected 25 or more",
            truth.max_units()
        ));
    }
    if created("ltplane") < 6 {
        fail(format!(
            "{} gunships, expected 6 or more",
            created("ltplane")
        ));
    }
    let labs_built = truth
        .dumps
        .values()
        .flat_map(|d| d.units.values())
        .filter(|u| Some(u.def) == def("ltlab") && u.built)
        .map(|u| u.team)
        .collect::<HashSet<u32>>();
    if labs_built.len() != 2 {
        fail(format!(
            "factories finished for teams {labs_built:?}, expected both"
        ));
    }
    if truth.gameover.is_none() {
        fail("no game over".into());
    }
}

/// hello first, bye (game_over) last, the game's events, the view.
fn check_messages(messages: &[&Message], truth: &Truth, mode: Mode, p: &mut Problems) {
    match messages.first().copied() {
        Some(Message::Hello(h)) => {
            if h.engine_version.trim().is_empty() {
                p.add("hello: engine_version is empty".into());
            }
            if h.game.name != "LiveTest" || h.game.version != "1.0" {
                p.add(format!(
                    "hello: game {:?} {:?}, expected LiveTest 1.0",
                    h.game.name, h.game.version
                ));
            }
            let (spec, full) = (mode == Mode::Spectator, mode == Mode::Spectator);
            if h.view.spectating != spec || h.view.full_view != full {
                p.add(format!("hello: view {:?} in {mode:?} mode", h.view));
            }
            if mode == Mode::Player && (h.view.team_id != 0 || h.view.ally_team_id != MY_ALLY) {
                p.add(format!(
                    "hello: the player's view is {:?}, expected team 0",
                    h.view
                ));
            }
            let teams: Vec<(u32, u32)> = h
                .teams
                .iter()
                .map(|t| (t.team_id, t.ally_team_id))
                .collect();
            if teams != [(0, 0), (1, 1)] {
                p.add(format!("hello: teams {teams:?}, expected [(0, 0), (1, 1)]"));
            }
            let cat = |name: &str| {
                h.unit_defs
                    .iter()
                    .find(|d| d.name == name)
                    .map(|d| d.category.as_str())
            };
            for (name, want) in [
                ("ltcom", "commander"),
                ("lttank", "army_land"),
                ("ltplane", "army_air"),
                ("ltsolar", "economy"),
                ("ltlab", "factory"),
                // never built; a ship by its move class alone (moveDef.smClass)
                ("ltboat", "army_sea"),
            ] {
                if cat(name) != Some(want) {
                    p.add(format!(
                        "hello: unit def {name} has category {:?}, expected {want}",
                        cat(name)
                    ));
                }
            }
        }
        other => p.add(format!(
            "stream: the first message is {:?}, not hello",
            other.map(|m| m.kind())
        )),
    }
    let events: Vec<&EventKind> = messages
        .iter()
        .filter_map(|m| match m {
            Message::Event(e) => Some(&e.kind),
            _ => None,
        })
        .collect();
    if !events.iter().any(|e| matches!(e, EventKind::GameStart)) {
        p.add("stream: no game_start event".into());
    }
    if !events
        .iter()
        .any(|e| matches!(e, EventKind::TeamDied { team_id: 1 }))
    {
        p.add("stream: no team_died event for team 1".into());
    }
    let winner = truth.gameover.map(|(_, w)| w);
    let overs: Vec<&&EventKind> = events
        .iter()
        .filter(|e| matches!(e, EventKind::GameOver { .. }))
        .collect();
    match overs.as_slice() {
        [EventKind::GameOver { winners }] => {
            if winners.as_deref() != winner.as_ref().map(std::slice::from_ref) {
                p.add(format!(
                    "stream: game_over winners {winners:?}, the game says {winner:?}"
                ));
            }
        }
        _ => p.add(format!(
            "stream: {} game_over events, expected 1",
            overs.len()
        )),
    }
    match messages.last().copied() {
        Some(Message::Bye(b)) if b.reason.as_deref() == Some("game_over") => {}
        other => p.add(format!(
            "stream: the last message is {other:?}, not a bye with reason game_over"
        )),
    }
}
