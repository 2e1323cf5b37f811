//! One game's rows: what each message adds to the tables, read beside the model so that the numbers are the
//! overlay's and `summary`'s (army value, samples once per game second, units built and lost).

use super::output::{GameFiles, T};
use super::tables::TABLE_COUNT;
use crate::model::{Game, Team};
use crate::protocol::{
    Category, DefId, EventKind, Message, Order, Resource, Snapshot, TeamId, TeamInfo,
};
use parquet::data_type::ByteArray;
use std::collections::HashMap;

pub struct GameRows {
    files: GameFiles,
    game_id: ByteArray,
    source: String,
    game_in_file: u32,
    /// Unit names by def, shared by every row that names the type.
    names: HashMap<DefId, ByteArray>,
    first_frame: Option<u32>,
    last_second: Option<i64>,
    died: HashMap<TeamId, u32>,
    /// 1.1 counters the model does not keep: the last units killed and died each team reported.
    kills: HashMap<TeamId, (Option<u32>, Option<u32>)>,
    /// Each team's last description (hello, then `team_changed`), for factions and player cards.
    infos: HashMap<TeamId, TeamInfo>,
    pub lines_skipped: u64,
}

fn event_name(kind: &EventKind) -> Option<&'static str> {
    Some(match kind {
        EventKind::GameStart => "game_start",
        EventKind::GameOver { .. } => "game_over",
        EventKind::Paused { .. } => "paused",
        EventKind::Unpaused { .. } => "unpaused",
        EventKind::TeamDied { .. } => "team_died",
        EventKind::ViewChanged { .. } => "view_changed",
        EventKind::TeamChanged { .. } => "team_changed",
        // The widget's own state and kinds of later versions are not game events; orders go to `commands`.
        EventKind::Status(_) | EventKind::Orders { .. } | EventKind::Other => return None,
    })
}

impl GameRows {
    pub fn new(files: GameFiles, game_id: &str, source: &str, game_in_file: u32) -> GameRows {
        GameRows {
            files,
            game_id: ByteArray::from(game_id),
            source: source.to_owned(),
            game_in_file,
            names: HashMap::new(),
            first_frame: None,
            last_second: None,
            died: HashMap::new(),
            kills: HashMap::new(),
            infos: HashMap::new(),
            lines_skipped: 0,
        }
    }

    /// Rows that `msg` adds, read against the game as it was before `msg` (a death needs the unit's last team and
    /// type, a transfer its previous team). Call [`GameRows::after`] once the message is applied.
    pub fn before(&mut self, game: &Game, msg: &Message) {
        if let Some(f) = msg.game_frame() {
            self.first_frame.get_or_insert(f);
        }
        match msg {
            Message::Snapshot(s) => {
                for t in &s.teams {
                    let k = self.kills.entry(t.team_id).or_default();
                    k.0 = t.units_killed.or(k.0);
                    k.1 = t.units_died.or(k.1);
                }
                self.snapshot(game, s)
            }
            Message::Hello(h) => {
                self.infos = h.teams.iter().map(|t| (t.team_id, t.clone())).collect();
            }
            Message::Event(e) => {
                if let EventKind::TeamChanged { team } = &e.kind {
                    self.infos.insert(team.team_id, team.clone());
                }
                if let EventKind::Orders { orders } = &e.kind {
                    self.orders(game, e.game_frame, orders);
                    return;
                }
                let Some(name) = event_name(&e.kind) else {
                    return;
                };
                let (team, player, winners) = match &e.kind {
                    EventKind::TeamDied { team_id } => {
                        self.died.entry(*team_id).or_insert(e.game_frame);
                        (Some(*team_id), None, None)
                    }
                    EventKind::Paused { player_id } | EventKind::Unpaused { player_id } => {
                        (None, *player_id, None)
                    }
                    EventKind::TeamChanged { team } => (Some(team.team_id), None, None),
                    EventKind::ViewChanged { view } => {
                        (Some(view.team_id), Some(view.player_id), None)
                    }
                    EventKind::GameOver { winners } => (
                        None,
                        None,
                        winners
                            .as_ref()
                            .map(|w| w.iter().map(u32::to_string).collect::<Vec<_>>().join(",")),
                    ),
                    _ => (None, None, None),
                };
                self.files
                    .batch(T::Events)
                    .row()
                    .put(&self.game_id)
                    .put(e.game_frame)
                    .put(f64::from(e.game_frame) / 30.0)
                    .put(name)
                    .put(team)
                    .put(None::<u32>)
                    .put(None::<u32>)
                    .put(None::<&ByteArray>)
                    .put(None::<u32>)
                    .put(player)
                    .put(winners.as_deref())
                    .end();
            }
            Message::Bye(_) => {}
        }
    }

    fn snapshot(&mut self, game: &Game, s: &Snapshot) {
        let frame = s.game_frame;
        let seconds = s.game_seconds;
        for id in &s.destroyed {
            let old = game.units.get(id);
            let def = old.and_then(|u| u.def_id);
            self.unit_event(frame, "unit_destroyed", old.map(|u| u.team), *id, def, None);
        }
        let full = s.is_full();
        for u in s.units.iter().flatten() {
            if let Some(old) = game.units.get(&u.id) {
                if old.team != u.team {
                    self.unit_event(
                        frame,
                        "unit_transferred",
                        Some(u.team),
                        u.id,
                        u.def_id,
                        Some(old.team),
                    );
                }
                if !old.is_finished() && u.is_finished() {
                    self.unit_event(frame, "unit_finished", Some(u.team), u.id, u.def_id, None);
                }
            }
            let name = u.def_id.and_then(|d| self.names.get(&d));
            let pos = u.pos;
            let vel = u.vel;
            self.files
                .batch(T::Units)
                .row()
                .put(&self.game_id)
                .put(frame)
                .put(seconds)
                .put(u.id)
                .put(u.def_id)
                .put(name)
                .put(u.team)
                .put(pos.map(|p| p.x))
                .put(pos.map(|p| p.y))
                .put(pos.map(|p| p.z))
                .put(u.health.map(|h| h.current))
                .put(u.health.map(|h| h.max))
                .put(u.build_progress)
                .put(vel.map(|v| v.x))
                .put(vel.map(|v| v.y))
                .put(vel.map(|v| v.z))
                .put(u.experience)
                .put(full)
                .end();
        }
    }

    fn unit_event(
        &mut self,
        frame: u32,
        event: &str,
        team: Option<TeamId>,
        unit: u32,
        def: Option<DefId>,
        from_team: Option<TeamId>,
    ) {
        let name = def.and_then(|d| self.names.get(&d));
        self.files
            .batch(T::Events)
            .row()
            .put(&self.game_id)
            .put(frame)
            .put(f64::from(frame) / 30.0)
            .put(event)
            .put(team)
            .put(Some(unit))
            .put(def)
            .put(name)
            .put(from_team)
            .put(None::<u32>)
            .put(None::<&str>)
            .end();
    }

    /// One `commands` row per unit ordered, per build started, per factory queue change. A unit's type comes from
    /// the order where it says, else from the unit as last seen.
    fn orders(&mut self, game: &Game, frame: u32, orders: &[Order]) {
        let def_of = |id: u32| game.units.get(&id).and_then(|u| u.def_id);
        for order in orders {
            match order {
                Order::Command(c) => {
                    let params = (!c.params.is_empty()).then(|| params_json(&c.params));
                    let target = match c.params.as_slice() {
                        [x, y, z, ..] => Some([*x as f32, *y as f32, *z as f32]),
                        _ => None,
                    };
                    // One parameter is a target: a unit id for the commands that take one.
                    let target_unit = match c.params.as_slice() {
                        [id] if *id >= 0.0 && id.fract() == 0.0 => Some(*id as u32),
                        _ => None,
                    };
                    let build = (c.cmd_id < 0).then(|| c.cmd_id.unsigned_abs());
                    for &unit in &c.unit_ids {
                        self.command_row(
                            frame,
                            CommandRow {
                                kind: "command",
                                team: c.team_id,
                                unit,
                                def: def_of(unit),
                                cmd_id: Some(c.cmd_id),
                                cmd_name: c.cmd_name.as_deref(),
                                params: params.as_deref(),
                                options: c.options,
                                target,
                                target_unit,
                                build,
                                player: c.player_id,
                                ..CommandRow::default()
                            },
                        );
                    }
                }
                Order::BuildStarted {
                    team_id,
                    unit_id,
                    def_id,
                    builder_id,
                } => self.command_row(
                    frame,
                    CommandRow {
                        kind: "build_started",
                        team: *team_id,
                        unit: *unit_id,
                        def: Some(*def_id),
                        build: Some(*def_id),
                        builder: *builder_id,
                        ..CommandRow::default()
                    },
                ),
                Order::FactoryQueue {
                    team_id,
                    unit_id,
                    def_id,
                    build_def_id,
                    count,
                    player_id,
                } => self.command_row(
                    frame,
                    CommandRow {
                        kind: "factory_queue",
                        team: *team_id,
                        unit: *unit_id,
                        def: def_id.or_else(|| def_of(*unit_id)),
                        build: Some(*build_def_id),
                        count: Some(*count),
                        player: *player_id,
                        ..CommandRow::default()
                    },
                ),
                Order::Other => {}
            }
        }
    }

    /// The row in the `commands` table's column order; unit names come from the types.
    fn command_row(&mut self, frame: u32, r: CommandRow<'_>) {
        let name = |d: Option<DefId>| d.and_then(|d| self.names.get(&d));
        self.files
            .batch(T::Commands)
            .row()
            .put(&self.game_id)
            .put(frame)
            .put(f64::from(frame) / 30.0)
            .put(r.kind)
            .put(r.team)
            .put(r.unit)
            .put(r.def)
            .put(name(r.def))
            .put(r.cmd_id)
            .put(r.cmd_name)
            .put(r.params)
            .put(r.options)
            .put(r.target.map(|t| t[0]))
            .put(r.target.map(|t| t[1]))
            .put(r.target.map(|t| t[2]))
            .put(r.target_unit)
            .put(r.build)
            .put(name(r.build))
            .put(r.builder)
            .put(r.count)
            .put(r.player)
            .end();
    }

    /// Rows that need the game with `msg` applied: a team second at the first snapshot of each game second (when
    /// the model samples its series, so `peak_army_value` and the incomes agree with `summary`).
    pub fn after(&mut self, game: &Game, msg_was: Kind) -> anyhow::Result<()> {
        match msg_was {
            Kind::Hello => {
                self.names = game
                    .defs
                    .values()
                    .map(|d| (d.def_id, ByteArray::from(d.name.as_str())))
                    .collect();
            }
            Kind::Snapshot => {
                let second = game.seconds.floor() as i64;
                if self.last_second.is_none_or(|last| second > last) {
                    self.last_second = Some(second);
                    for team in game.teams.values() {
                        self.team_second(game, team, second);
                    }
                }
            }
            Kind::Other => {}
        }
        self.files.flush_full()
    }

    fn team_second(&mut self, game: &Game, t: &Team, second: i64) {
        let mut row = self
            .files
            .batch(T::TeamSeconds)
            .row()
            .put(&self.game_id)
            .put(t.id)
            .put(i32::try_from(second).unwrap_or(i32::MAX))
            .put(game.frame)
            .put(game.seconds);
        type Field = fn(&Resource) -> Option<f64>;
        // In RESOURCE_FIELDS' order.
        const FIELDS: [Field; 9] = [
            |r| Some(r.current),
            |r| Some(r.income),
            |r| r.expense,
            |r| r.storage,
            |r| r.produced,
            |r| r.excess,
            |r| r.used,
            |r| r.reclaim,
            |r| r.converted,
        ];
        let (killed, died) = self.kills.get(&t.id).copied().unwrap_or_default();
        for res in [t.metal, t.energy] {
            for f in FIELDS {
                row = row.put(res.as_ref().and_then(f));
            }
        }
        row = row
            .put(t.damage_dealt)
            .put(t.damage_received)
            .put(killed)
            .put(died)
            .put(t.army.army_value());
        for c in Category::ALL {
            let totals = t.army.category(c);
            row = row.put(totals.count).put(totals.metal);
        }
        row.put(t.army.build_power)
            .put(t.army.under_construction)
            .put(t.army.unknown)
            .put(t.army.commander_alive)
            .put(t.is_dead)
            .end();
    }

    /// The game's own rows (games, teams, unit types), then every file moved into place. Returns rows per table.
    pub fn finish(mut self, game: &Game) -> anyhow::Result<[u64; TABLE_COUNT]> {
        let winners = game.over.as_ref().and_then(|o| o.winners.as_ref());
        let winner = winners.and_then(|w| match w.as_slice() {
            [one] => Some(*one),
            _ => None,
        });
        let view = game.view;
        let info = game.info.as_ref();
        let ally_teams = game.ally_teams().len() as u32;
        self.files
            .batch(T::Games)
            .row()
            .put(&self.game_id)
            .put(self.source.as_str())
            .put(self.game_in_file)
            .put(info.map(|i| i.map.as_str()))
            .put(info.map(|i| i.game_name.as_str()))
            .put(info.map(|i| i.game_version.as_str()))
            .put(info.map(|i| i.engine_version.as_str()))
            .put(info.map(|i| i.widget_version.as_str()))
            .put(info.map(|i| i.is_replay))
            .put(game.detail.map(detail_name))
            .put(view.map(|v| v.full_view))
            .put(view.map(|v| v.spectating))
            .put(view.map(|v| v.team_id))
            .put(view.map(|v| v.ally_team_id))
            .put(self.first_frame.unwrap_or(0))
            .put(game.frame)
            .put(game.seconds)
            .put(game.teams.len() as u32)
            .put(ally_teams)
            .put(game.over.is_some())
            .put(winner)
            .put(game.ended_cleanly)
            .put(u32::try_from(game.snapshots).unwrap_or(u32::MAX))
            .put(u32::try_from(game.seq_gaps).unwrap_or(u32::MAX))
            .put(
                game.widget
                    .as_ref()
                    .and_then(|w| w.dropped_snapshots)
                    .map(|d| u32::try_from(d).unwrap_or(u32::MAX)),
            )
            .put(u32::try_from(self.lines_skipped).unwrap_or(u32::MAX))
            .end();
        for t in game.teams.values() {
            let won = winners.map(|w| w.contains(&t.ally_team));
            let [r, g, b] = t.color;
            self.files
                .batch(T::Teams)
                .row()
                .put(&self.game_id)
                .put(t.id)
                .put(t.ally_team)
                .put(t.name.as_str())
                .put(t.is_ai)
                .put(format!("#{r:02x}{g:02x}{b:02x}").as_str())
                .put(self.infos.get(&t.id).and_then(|i| i.faction.as_deref()))
                .put(won)
                .put(t.is_dead)
                .put(self.died.get(&t.id).copied())
                .put(t.army.army_value())
                .put(t.stats.peak_army_value)
                .put(t.stats.built.iter().sum::<u32>())
                .put(t.stats.lost.iter().sum::<u32>())
                .end();
        }
        let mut infos: Vec<&TeamInfo> = self.infos.values().collect();
        infos.sort_unstable_by_key(|i| i.team_id);
        for info in infos {
            for p in &info.players {
                self.files
                    .batch(T::Players)
                    .row()
                    .put(&self.game_id)
                    .put(info.team_id)
                    .put(p.player_id)
                    .put(p.name.as_str())
                    .put(p.country.as_deref())
                    .put(p.rank)
                    .put(p.skill)
                    .put(p.skill_uncertainty)
                    .put(p.skill_estimated)
                    .put(p.status.as_deref().unwrap_or("playing"))
                    .end();
            }
        }
        let mut defs: Vec<_> = game.defs.values().collect();
        defs.sort_unstable_by_key(|d| d.def_id);
        for d in defs {
            self.files
                .batch(T::UnitDefs)
                .row()
                .put(&self.game_id)
                .put(d.def_id)
                .put(d.name.as_str())
                .put(d.human_name.as_str())
                .put(d.category.as_str())
                .put(u32::from(d.tech_level))
                .put(d.metal_cost)
                .put(d.energy_cost)
                .put(d.build_speed)
                .end();
        }
        self.files.commit()
    }
}

/// What kind of message was applied, kept before the message moves into the model.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    Hello,
    Snapshot,
    Other,
}

impl Kind {
    pub fn of(msg: &Message) -> Kind {
        match msg {
            Message::Hello(_) => Kind::Hello,
            Message::Snapshot(_) => Kind::Snapshot,
            _ => Kind::Other,
        }
    }
}

fn detail_name(d: crate::protocol::Detail) -> &'static str {
    match d {
        crate::protocol::Detail::Minimal => "minimal",
        crate::protocol::Detail::Standard => "standard",
        crate::protocol::Detail::Comprehensive => "comprehensive",
    }
}

/// Command parameters as a JSON array, numbers as the engine gave them (integers without a fraction).
fn params_json(params: &[f64]) -> String {
    let items: Vec<String> = params
        .iter()
        .map(|p| {
            if p.is_finite() {
                format!("{p}")
            } else {
                "null".to_owned()
            }
        })
        .collect();
    format!("[{}]", items.join(","))
}

/// One row of the `commands` table: what an order says, the rest empty.
#[derive(Default)]
struct CommandRow<'a> {
    kind: &'static str,
    team: TeamId,
    unit: u32,
    def: Option<DefId>,
    cmd_id: Option<i32>,
    cmd_name: Option<&'a str>,
    /// The parameters as a JSON array.
    params: Option<&'a str>,
    options: Option<u32>,
    target: Option<[f32; 3]>,
    target_unit: Option<u32>,
    build: Option<DefId>,
    builder: Option<u32>,
    count: Option<i32>,
    player: Option<u32>,
}
