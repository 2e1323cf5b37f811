//! The game as the overlay sees it, built by applying protocol messages in order.

use super::team::Team;
use super::{Units, composition};
use crate::protocol::{
    Category, DefId, Detail, Event, EventKind, Hello, LimitError, Message, Snapshot, TeamId, Unit,
    UnitDef, View, WidgetStatus, limits,
};
use std::collections::{BTreeMap, HashMap};

/// Points kept per graph line across all teams: up to 32 teams keep a series' full capacity each; more teams share
/// the budget, so a sender naming every team the engine allows cannot make the history grow past it.
pub const SERIES_POINTS_BUDGET: usize = 16 * 8192;

/// A frame this far behind the last one means a new game started (frames only go forward within one).
const NEW_GAME_REWIND_FRAMES: u32 = 30;

#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct GameInfo {
    /// The sender's name (`export_livedata` for the widget, others for simulators and third-party senders).
    pub widget_name: String,
    pub widget_version: String,
    pub engine_version: String,
    pub game_name: String,
    pub game_version: String,
    pub map: String,
    pub is_replay: bool,
    /// BAR's anonymous mode (hello 1.4): the window, the pages and the report show that the game is anonymous, and
    /// `Anonymous N` in place of a human team's name; no player cards.
    pub anonymous: Option<String>,
}

#[derive(Debug, Clone, PartialEq)]
pub struct GameOver {
    pub frame: u32,
    pub winners: Option<Vec<u32>>,
}

/// What applying a message did, for callers that log or count.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Applied {
    Updated,
    /// The message began another game: everything before it was dropped.
    NewGame,
    /// The message is over one of the protocol's limits and changed nothing (`parse_line` refuses such lines
    /// already; this keeps the model bounded for messages built in code too).
    Refused(LimitError),
}

#[derive(Debug, Clone, Default)]
pub struct Game {
    pub info: Option<GameInfo>,
    pub view: Option<View>,
    pub detail: Option<Detail>,
    pub rate_hz: Option<f64>,
    pub defs: HashMap<DefId, UnitDef>,
    pub teams: BTreeMap<TeamId, Team>,
    pub units: Units,
    pub frame: u32,
    pub seconds: f64,
    pub paused: bool,
    pub started: bool,
    pub over: Option<GameOver>,
    pub widget: Option<WidgetStatus>,
    pub snapshots: u64,
    /// Snapshots the sender skipped (gaps in `seq`); the unit set may be stale until the next full snapshot.
    pub seq_gaps: u64,
    pub units_stale: bool,
    pub ended_cleanly: bool,
    last_seq: Option<u64>,
    last_sample_second: Option<i64>,
}

impl Game {
    pub fn new() -> Game {
        Game::default()
    }

    /// Applies one message. Messages of one connection must be applied in the order they arrived.
    ///
    /// Whatever arrives, the model stays within the protocol's limits: at most `MAX_TEAMS` teams, `MAX_UNITS`
    /// units and `MAX_UNIT_DEFS` defs (ids are bounded, so churning ids cannot add more), and each team's history
    /// within [`SERIES_POINTS_BUDGET`].
    pub fn apply(&mut self, msg: Message) -> Applied {
        if let Err(e) = limits::check(&msg) {
            return Applied::Refused(e);
        }
        self.apply_within_limits(msg)
    }

    /// [`Game::apply`] for a message already checked against the limits.
    pub(super) fn apply_within_limits(&mut self, msg: Message) -> Applied {
        match msg {
            Message::Hello(h) => self.apply_hello(h),
            Message::Snapshot(s) => self.apply_snapshot(s),
            Message::Event(e) => {
                self.apply_event(e);
                Applied::Updated
            }
            Message::Bye(_) => {
                self.ended_cleanly = true;
                Applied::Updated
            }
        }
    }

    /// Whether the sender reads every team (a full-view spectator or replay), so values are complete.
    pub fn full_view(&self) -> bool {
        self.view.is_some_and(|v| v.full_view)
    }

    /// Teams grouped by ally team, in id order.
    pub fn ally_teams(&self) -> BTreeMap<u32, Vec<&Team>> {
        let mut out: BTreeMap<u32, Vec<&Team>> = BTreeMap::new();
        for t in self.teams.values() {
            out.entry(t.ally_team).or_default().push(t);
        }
        out
    }

    pub fn def(&self, id: DefId) -> Option<&UnitDef> {
        self.defs.get(&id)
    }

    /// The game now as one full snapshot: what a reader that missed the stream so far needs, after the hello, to hold
    /// the same units and team resources (the relay sends it to a client that joins mid-game). History is not in it.
    pub fn to_full_snapshot(&self) -> Snapshot {
        let mut units: Vec<Unit> = self.units.values().cloned().collect();
        // Ordered so that the same game always gives the same line.
        units.sort_unstable_by_key(|u| u.id);
        Snapshot {
            schema_version: crate::protocol::SCHEMA_VERSION.to_owned(),
            seq: None,
            game_frame: self.frame,
            game_seconds: self.seconds,
            is_paused: self.paused,
            detail: self.detail,
            teams: self.teams.values().map(Team::to_state).collect(),
            units_full: Some(true),
            units: Some(units),
            destroyed: Vec::new(),
            hidden: Vec::new(),
        }
    }

    /// Whether applying `msg` would begin another game, dropping everything before it (what [`Game::apply`] then
    /// returns as [`Applied::NewGame`]). Lets a caller close the old game's books before it is gone.
    pub fn starts_new_game(&self, msg: &Message) -> bool {
        match msg {
            Message::Hello(h) => self.hello_starts_new_game(h),
            Message::Snapshot(s) => self.snapshot_starts_new_game(s),
            Message::Event(_) | Message::Bye(_) => false,
        }
    }

    /// Another game, or the same one's client reconnecting? Same game, map, versions and players, and no rewind.
    fn hello_starts_new_game(&self, h: &Hello) -> bool {
        let Some(info) = &self.info else {
            return false;
        };
        let same_info = info.widget_version == h.widget.version
            && info.engine_version == h.engine_version
            && info.game_name == h.game.name
            && info.game_version == h.game.version
            && info.map == h.map
            && info.is_replay == h.is_replay;
        let same_teams = self.teams.len() == h.teams.len()
            && h.teams
                .iter()
                .all(|t| self.teams.get(&t.team_id).is_some_and(|o| o.name == t.name));
        !(same_info && same_teams && h.game_frame + NEW_GAME_REWIND_FRAMES >= self.frame)
    }

    fn snapshot_starts_new_game(&self, s: &Snapshot) -> bool {
        s.game_frame + NEW_GAME_REWIND_FRAMES < self.frame
    }

    /// The game is anonymous (BAR's anonymous mode, hello 1.4): show that in place of who plays.
    pub fn is_anonymous(&self) -> bool {
        self.info.as_ref().is_some_and(|i| i.anonymous.is_some())
    }

    fn apply_hello(&mut self, h: Hello) -> Applied {
        let applied = if self.hello_starts_new_game(&h) {
            *self = Game::new();
            Applied::NewGame
        } else {
            Applied::Updated
        };
        let info = GameInfo {
            widget_name: h.widget.name,
            widget_version: h.widget.version,
            engine_version: h.engine_version,
            game_name: h.game.name,
            game_version: h.game.version,
            map: h.map,
            is_replay: h.is_replay,
            anonymous: h.anonymous,
        };
        let anonymous = info.anonymous.is_some();
        self.info = Some(info);
        self.view = Some(h.view);
        self.detail = h.detail.or(self.detail);
        self.rate_hz = h.rate_hz.or(self.rate_hz);
        self.frame = self.frame.max(h.game_frame);
        self.started |= h.game_frame > 0;
        self.ended_cleanly = false;
        // A new connection numbers its snapshots from scratch.
        self.last_seq = None;
        self.defs = h.unit_defs.into_iter().map(|d| (d.def_id, d)).collect();
        for info in &h.teams {
            self.teams
                .entry(info.team_id)
                .and_modify(|t| t.update_info(info))
                .or_insert_with(|| Team::from_info(info));
        }
        self.teams
            .retain(|id, _| h.teams.iter().any(|t| t.team_id == *id));
        if anonymous {
            self.teams.values_mut().for_each(Team::anonymize);
        }
        self.recompute();
        applied
    }

    fn apply_snapshot(&mut self, s: Snapshot) -> Applied {
        let mut applied = Applied::Updated;
        if self.snapshot_starts_new_game(&s) {
            self.restart_keeping_description();
            applied = Applied::NewGame;
        }
        self.snapshots += 1;
        self.frame = s.game_frame;
        self.seconds = s.game_seconds;
        self.paused = s.is_paused;
        self.started |= s.game_frame > 0;
        self.detail = s.detail.or(self.detail);
        if let Some(seq) = s.seq {
            if let Some(last) = self.last_seq
                && seq > last + 1
            {
                self.seq_gaps += seq - last - 1;
                self.units_stale = true;
            }
            self.last_seq = Some(seq);
        }
        for ts in s.teams {
            let team = self
                .teams
                .entry(ts.team_id)
                .or_insert_with(|| Team::unnamed(ts.team_id));
            team.update_state(ts);
        }
        let full = s.units_full.unwrap_or(true);
        // Composition depends only on which units exist, their team, type and whether they are finished; most of a
        // delta is position and health refreshes, which leave it as it is.
        let mut dirty = false;
        for id in &s.destroyed {
            if let Some(u) = self.units.remove(id) {
                self.count_loss(&u);
                dirty = true;
            }
        }
        for id in &s.hidden {
            dirty |= self.units.remove(id).is_some();
        }
        if let Some(units) = s.units {
            if full {
                let mut next = Units::with_capacity_and_hasher(units.len(), Default::default());
                for u in units {
                    self.note_update(&u);
                    next.insert(u.id, u);
                }
                self.units = next;
                self.units_stale = false;
                dirty = true;
            } else {
                for u in units {
                    dirty |= self.note_update(&u);
                    self.units.insert(u.id, u);
                }
            }
        }
        if dirty {
            self.recompute();
        }
        self.sample();
        applied
    }

    fn apply_event(&mut self, e: Event) {
        self.frame = self.frame.max(e.game_frame);
        match e.kind {
            EventKind::GameStart => self.started = true,
            EventKind::GameOver { winners } => {
                self.over = Some(GameOver {
                    frame: e.game_frame,
                    winners,
                })
            }
            EventKind::Paused { .. } => self.paused = true,
            EventKind::Unpaused { .. } => self.paused = false,
            EventKind::TeamDied { team_id } => {
                if let Some(t) = self.teams.get_mut(&team_id) {
                    t.is_dead = true;
                }
            }
            EventKind::ViewChanged { view } => {
                self.view = Some(view);
                self.teams
                    .values_mut()
                    .for_each(Team::forget_view_dependent);
            }
            EventKind::TeamChanged { team } => {
                self.teams
                    .entry(team.team_id)
                    .and_modify(|t| t.update_info(&team))
                    .or_insert_with(|| Team::from_info(&team));
                if self.is_anonymous()
                    && let Some(t) = self.teams.get_mut(&team.team_id)
                {
                    t.anonymize();
                }
            }
            EventKind::Status(status) => self.widget = Some(status),
            // Decision points change nothing the overlay shows; `export` reads them from the message.
            EventKind::Orders { .. } | EventKind::Other => {}
        }
    }

    /// Counts a unit seen finishing as built for its team (first seen unfinished, now finished). Returns whether
    /// the update changes the team compositions.
    fn note_update(&mut self, new: &Unit) -> bool {
        let Some(old) = self.units.get(&new.id) else {
            return true;
        };
        let finished_now = !old.is_finished() && new.is_finished();
        let changed = finished_now || old.team != new.team || old.def_id != new.def_id;
        if finished_now {
            let category = self.category_of(new);
            if let (Some(c), Some(team)) = (category, self.teams.get_mut(&new.team)) {
                team.stats.built[c.index()] += 1;
            }
        }
        changed
    }

    fn count_loss(&mut self, unit: &Unit) {
        if !unit.is_finished() {
            return;
        }
        let category = self.category_of(unit);
        if let (Some(c), Some(team)) = (category, self.teams.get_mut(&unit.team)) {
            team.stats.lost[c.index()] += 1;
        }
    }

    fn category_of(&self, unit: &Unit) -> Option<Category> {
        unit.def_id
            .and_then(|d| self.defs.get(&d))
            .map(|d| d.category)
    }

    fn recompute(&mut self) {
        let mut all = composition::compute(&self.units, &self.defs);
        for (id, team) in self.teams.iter_mut() {
            team.army = all.remove(id).unwrap_or_default();
        }
    }

    /// One sample per game second for every team.
    fn sample(&mut self) {
        let second = self.seconds.floor() as i64;
        if self.last_sample_second.is_some_and(|last| second <= last) {
            return;
        }
        self.last_sample_second = Some(second);
        let per_team = (SERIES_POINTS_BUDGET / self.teams.len().max(1))
            .clamp(super::series::MIN_CAPACITY, super::series::DEFAULT_CAPACITY);
        for team in self.teams.values_mut() {
            team.series.limit(per_team);
            team.sample(self.seconds);
        }
    }

    /// The frame went back: another game on the same connection. Keep who is playing, drop what happened.
    fn restart_keeping_description(&mut self) {
        let fresh = Game {
            info: self.info.take(),
            view: self.view,
            detail: self.detail,
            rate_hz: self.rate_hz,
            defs: std::mem::take(&mut self.defs),
            teams: std::mem::take(&mut self.teams)
                .into_iter()
                .map(|(id, t)| {
                    let mut fresh = Team::unnamed(id);
                    fresh.name = t.name;
                    fresh.color = t.color;
                    fresh.ally_team = t.ally_team;
                    fresh.is_ai = t.is_ai;
                    fresh.faction = t.faction;
                    fresh.players = t.players;
                    fresh.ai = t.ai;
                    (id, fresh)
                })
                .collect(),
            ..Game::default()
        };
        *self = fresh;
    }
}
