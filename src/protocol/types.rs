//! The messages of protocol v1 as Rust values. SCHEMA.md is the authority; field names here are the wire names.

use serde::{Deserialize, Serialize};

pub type TeamId = u32;
pub type UnitId = u32;
pub type DefId = u32;

/// Every message the protocol defines. Serializes with its `"type"` tag, exactly as the widget writes it.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum Message {
    Hello(Hello),
    Snapshot(Snapshot),
    Event(Event),
    Bye(Bye),
}

impl Message {
    pub fn kind(&self) -> &'static str {
        match self {
            Message::Hello(_) => "hello",
            Message::Snapshot(_) => "snapshot",
            Message::Event(_) => "event",
            Message::Bye(_) => "bye",
        }
    }

    /// The frame the message speaks of, when it carries one.
    pub fn game_frame(&self) -> Option<u32> {
        match self {
            Message::Hello(h) => Some(h.game_frame),
            Message::Snapshot(s) => Some(s.game_frame),
            Message::Event(e) => Some(e.game_frame),
            Message::Bye(b) => b.game_frame,
        }
    }
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Hello {
    pub schema_version: String,
    pub widget: NameVersion,
    #[serde(default)]
    pub engine_version: String,
    pub game: NameVersion,
    #[serde(default)]
    pub map: String,
    #[serde(default)]
    pub is_replay: bool,
    #[serde(default)]
    pub game_frame: u32,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub rate_hz: Option<f64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub detail: Option<Detail>,
    pub view: View,
    pub teams: Vec<TeamInfo>,
    pub unit_defs: Vec<UnitDef>,
    /// The shared secret of a two-PC setup (1.3): a reader started with a token refuses a connection whose hello does
    /// not carry the same one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub token: Option<String>,
    /// BAR's anonymous mode (1.4): the `teamcolors_anonymous_mode` modoption (`global`, `local`, `disco`, `allred`)
    /// while it is on. Readers show that the game is anonymous in place of who plays.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub anonymous: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct NameVersion {
    pub name: String,
    #[serde(default)]
    pub version: String,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct View {
    pub player_id: u32,
    pub team_id: TeamId,
    pub ally_team_id: u32,
    pub spectating: bool,
    pub full_view: bool,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct TeamInfo {
    pub team_id: TeamId,
    pub ally_team_id: u32,
    pub name: String,
    pub color: [u8; 3],
    #[serde(default)]
    pub is_ai: bool,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub is_dead: Option<bool>,
    /// 1.1: the team's side as the game names it (`armada`, `cortex`, `legion`, `random`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub faction: Option<String>,
    /// 1.1: the people controlling the team (one, or several in a shared team); empty for an AI team.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub players: Vec<PlayerCard>,
    /// 1.1: the AI controlling the team.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ai: Option<AiCard>,
}

/// 1.1: who plays, as a caster introduces them. Every field but the id and name is where BAR provides it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct PlayerCard {
    pub player_id: u32,
    pub name: String,
    /// Two-letter country code (ISO 3166-1 alpha-2, upper case) as the lobby reports it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub country: Option<String>,
    /// Lobby rank (0 = newest).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub rank: Option<u32>,
    /// Skill rating (OpenSkill mu) and its uncertainty (sigma).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub skill: Option<f64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub skill_uncertainty: Option<f64>,
    /// The rating was inferred from the lobby rank, not earned in rated games.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub skill_estimated: Option<bool>,
    /// `playing` (absent means this), `resigned` or `disconnected`; later versions may add values.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub status: Option<String>,
}

impl PlayerCard {
    pub fn status(&self) -> PlayerStatus {
        match self.status.as_deref() {
            None | Some("playing") => PlayerStatus::Playing,
            Some("resigned") => PlayerStatus::Resigned,
            Some("disconnected") => PlayerStatus::Disconnected,
            Some(_) => PlayerStatus::Other,
        }
    }
}

/// A player card's `status`, read leniently: a value of a later minor version is `Other`, not an error.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PlayerStatus {
    Playing,
    Resigned,
    Disconnected,
    Other,
}

/// 1.1: the AI of an AI team.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct AiCard {
    /// What BAR shows (`BARbarianAI(3)`), else the AI's own name.
    pub name: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub short_name: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub version: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct UnitDef {
    pub def_id: DefId,
    pub name: String,
    pub human_name: String,
    pub metal_cost: f64,
    pub energy_cost: f64,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub build_speed: Option<f64>,
    #[serde(default = "one")]
    pub tech_level: u8,
    pub category: Category,
}

fn one() -> u8 {
    1
}

/// What a unit is for, derived the way BAR's Spectator HUD does (see SCHEMA.md).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Category {
    Commander,
    Builder,
    Factory,
    ArmyLand,
    ArmyAir,
    ArmySea,
    Defense,
    Economy,
    Utility,
}

impl Category {
    pub const ALL: [Category; 9] = [
        Category::Commander,
        Category::Builder,
        Category::Factory,
        Category::ArmyLand,
        Category::ArmyAir,
        Category::ArmySea,
        Category::Defense,
        Category::Economy,
        Category::Utility,
    ];

    pub fn index(self) -> usize {
        self as usize
    }

    /// Mobile armed units: what BAR counts as army value.
    pub fn is_army(self) -> bool {
        matches!(
            self,
            Category::ArmyLand | Category::ArmyAir | Category::ArmySea
        )
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Category::Commander => "commander",
            Category::Builder => "builder",
            Category::Factory => "factory",
            Category::ArmyLand => "army_land",
            Category::ArmyAir => "army_air",
            Category::ArmySea => "army_sea",
            Category::Defense => "defense",
            Category::Economy => "economy",
            Category::Utility => "utility",
        }
    }

    pub fn parse(s: &str) -> Option<Category> {
        Category::ALL.into_iter().find(|c| c.as_str() == s)
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Detail {
    Minimal,
    Standard,
    Comprehensive,
}

/// `U`: how a unit is read. Every reader but a totalling tool keeps the whole [`Unit`]; `summary` reads
/// [`UnitCore`]s (see `protocol::Reading`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(bound(deserialize = "U: Deserialize<'de>"))]
pub struct Snapshot<U = Unit> {
    pub schema_version: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub seq: Option<u64>,
    pub game_frame: u32,
    pub game_seconds: f64,
    #[serde(default)]
    pub is_paused: bool,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub detail: Option<Detail>,
    #[serde(default)]
    pub teams: Vec<TeamState>,
    /// Absent means true: `units` is the complete set (the proposal's form).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub units_full: Option<bool>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub units: Option<Vec<U>>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub destroyed: Vec<UnitId>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub hidden: Vec<UnitId>,
}

impl<U> Snapshot<U> {
    pub fn is_full(&self) -> bool {
        self.units_full.unwrap_or(true)
    }

    /// The same snapshot with every unit turned into a `V`.
    pub fn map_units<V>(self, f: impl FnMut(U) -> V) -> Snapshot<V> {
        Snapshot {
            schema_version: self.schema_version,
            seq: self.seq,
            game_frame: self.game_frame,
            game_seconds: self.game_seconds,
            is_paused: self.is_paused,
            detail: self.detail,
            teams: self.teams,
            units_full: self.units_full,
            units: self.units.map(|units| units.into_iter().map(f).collect()),
            destroyed: self.destroyed,
            hidden: self.hidden,
        }
    }
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct TeamState {
    pub team_id: TeamId,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub metal: Option<Resource>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub energy: Option<Resource>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub damage_dealt: Option<f64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub damage_received: Option<f64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub is_dead: Option<bool>,
    /// 1.1: units this team destroyed and lost, since the game started.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub units_killed: Option<u32>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub units_died: Option<u32>,
    /// 1.1: metal cost of finished units in the Spectator HUD's utility (unitgroup `util`) and economy (unitgroup
    /// `metal`/`energy`) groups.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub utility_value: Option<f64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub economy_value: Option<f64>,
    /// 1.1: what the team is building now.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub production: Option<Production>,
}

impl TeamState {
    /// A team state with only its id: every optional field absent.
    pub fn new(team_id: TeamId) -> TeamState {
        TeamState {
            team_id,
            metal: None,
            energy: None,
            damage_dealt: None,
            damage_received: None,
            is_dead: None,
            units_killed: None,
            units_died: None,
            utility_value: None,
            economy_value: None,
            production: None,
        }
    }
}

/// 1.1: a team's production at one moment.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Production {
    /// Every finished factory, idle ones included.
    #[serde(default)]
    pub factories: Vec<FactoryJob>,
    /// Units under construction by constructors (mobile builders, construction turrets, commanders), not factories.
    #[serde(default)]
    pub constructing: Vec<Construction>,
    /// Finished builders (not factories) with no command.
    #[serde(default)]
    pub idle_builders: u32,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct FactoryJob {
    /// The factory's unit id and type.
    pub id: UnitId,
    pub def_id: DefId,
    /// The type of the unit in progress; absent while the factory is idle.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub building: Option<DefId>,
    /// Build progress of that unit, 0-1.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub progress: Option<f32>,
    /// Units in the factory's queue, the one in progress included.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub queued: Option<u32>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Construction {
    /// The unit under construction.
    pub id: UnitId,
    pub def_id: DefId,
    pub progress: f32,
    /// Constructors working on it.
    #[serde(default = "one_u32")]
    pub builders: u32,
}

fn one_u32() -> u32 {
    1
}

#[derive(Debug, Clone, Copy, Default, PartialEq, Serialize, Deserialize)]
pub struct Resource {
    pub current: f64,
    pub income: f64,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub expense: Option<f64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub storage: Option<f64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub produced: Option<f64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub excess: Option<f64>,
    /// 1.1: cumulative amount spent since the game started.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub used: Option<f64>,
    /// 1.1: per second gained by reclaiming (the Spectator HUD's reclaim income).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reclaim: Option<f64>,
    /// 1.1, metal only: per second made by energy converters (the HUD's energy-conversion metal).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub converted: Option<f64>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Unit {
    pub id: UnitId,
    /// `None` for an enemy radar blip whose type was never seen.
    pub def_id: Option<DefId>,
    pub team: TeamId,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub pos: Option<Vec3>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub health: Option<Health>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub build_progress: Option<f32>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub vel: Option<Vec3>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub experience: Option<f32>,
}

/// A unit as a tool that only counts units reads it: which unit, of which type and team, finished or not. Its other
/// fields (position, health, velocity, experience) are skipped unread.
#[derive(Debug, Clone, Copy, PartialEq, Deserialize)]
pub struct UnitCore {
    pub id: UnitId,
    pub def_id: Option<DefId>,
    pub team: TeamId,
    #[serde(default)]
    pub build_progress: Option<f32>,
}

impl From<UnitCore> for Unit {
    fn from(u: UnitCore) -> Unit {
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
}

impl Unit {
    /// What a tool that only counts units reads of this one.
    pub fn core(&self) -> UnitCore {
        UnitCore {
            id: self.id,
            def_id: self.def_id,
            team: self.team,
            build_progress: self.build_progress,
        }
    }

    /// Finished means built: absent build progress means finished (SCHEMA.md).
    pub fn is_finished(&self) -> bool {
        self.build_progress.is_none_or(|p| p >= 1.0)
    }
}

#[derive(Debug, Clone, Copy, Default, PartialEq, Serialize, Deserialize)]
pub struct Vec3 {
    pub x: f32,
    pub y: f32,
    pub z: f32,
}

#[derive(Debug, Clone, Copy, Default, PartialEq, Serialize, Deserialize)]
pub struct Health {
    pub current: f32,
    pub max: f32,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Event {
    pub schema_version: String,
    pub game_frame: u32,
    #[serde(flatten)]
    pub kind: EventKind,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "event", rename_all = "snake_case")]
pub enum EventKind {
    GameStart,
    GameOver {
        #[serde(default, skip_serializing_if = "Option::is_none")]
        winners: Option<Vec<u32>>,
    },
    Paused {
        #[serde(default, skip_serializing_if = "Option::is_none")]
        player_id: Option<u32>,
    },
    Unpaused {
        #[serde(default, skip_serializing_if = "Option::is_none")]
        player_id: Option<u32>,
    },
    TeamDied {
        team_id: TeamId,
    },
    ViewChanged {
        view: View,
    },
    /// 1.1: a team's description changed (a player resigned, disconnected or came back): `team` replaces it.
    TeamChanged {
        team: TeamInfo,
    },
    /// 1.2: the decision points of one frame (orders, builds started, factory queue changes).
    Orders {
        orders: Vec<Order>,
    },
    Status(WidgetStatus),
    /// A kind this reader does not know (a later minor version): ignored, counted.
    #[serde(other)]
    Other,
}

/// The widget's report on itself.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct WidgetStatus {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub dropped_snapshots: Option<u64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub queue_bytes: Option<u64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub rate_hz: Option<f64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub unit_rate_hz: Option<f64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub detail: Option<Detail>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub throttled: Option<bool>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub frame_cost_ms: Option<f64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub message: Option<String>,
    /// 1.2: decision points left out on this connection because a frame had more than the widget's bound.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub dropped_orders: Option<u64>,
}

/// 1.2: one decision point. `team_id` is the team of the unit concerned.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Order {
    /// An order given to units; the units that got the same order from the same player in one frame share it.
    Command(UnitCommand),
    /// A new unit was started by a builder.
    BuildStarted {
        team_id: TeamId,
        unit_id: UnitId,
        def_id: DefId,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        builder_id: Option<UnitId>,
    },
    /// `count` units of `build_def_id` added to (positive) or removed from (negative) a factory's queue.
    FactoryQueue {
        team_id: TeamId,
        unit_id: UnitId,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        def_id: Option<DefId>,
        build_def_id: DefId,
        count: i32,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        player_id: Option<u32>,
    },
    /// A kind of a later minor version: skipped.
    #[serde(other)]
    Other,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct UnitCommand {
    pub team_id: TeamId,
    pub unit_ids: Vec<UnitId>,
    /// The engine's command id; negative: build unit def `-cmd_id`.
    pub cmd_id: i32,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cmd_name: Option<String>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub params: Vec<f64>,
    /// The engine's coded option bits (4 meta, 8 internal, 16 right, 32 shift, 64 ctrl, 128 alt).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub options: Option<u32>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub player_id: Option<u32>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Bye {
    pub schema_version: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub game_frame: Option<u32>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reason: Option<String>,
}
