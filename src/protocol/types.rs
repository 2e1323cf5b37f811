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

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Snapshot {
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
    pub units: Option<Vec<Unit>>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub destroyed: Vec<UnitId>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub hidden: Vec<UnitId>,
}

impl Snapshot {
    pub fn is_full(&self) -> bool {
        self.units_full.unwrap_or(true)
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

impl Unit {
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
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Bye {
    pub schema_version: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub game_frame: Option<u32>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reason: Option<String>,
}
