//! The dataset's tables, column by column. docs/datasets.md documents each column (type, unit, meaning); keep the two
//! in step. Every table starts with `game_id`, so files of many games concatenate into one table.

use super::table::{Column, Kind, Schema};
use crate::protocol::Category;

const fn req(name: &'static str, kind: Kind) -> Column {
    Column {
        name,
        kind,
        nullable: false,
    }
}

const fn opt(name: &'static str, kind: Kind) -> Column {
    Column {
        name,
        kind,
        nullable: true,
    }
}

use Kind::{Bool, F32, F64, I32, Str};

pub const TABLE_COUNT: usize = 8;

/// Every table, in the order they are written.
pub const TABLES: [&str; TABLE_COUNT] = [
    "games",
    "teams",
    "players",
    "unit_defs",
    "team_seconds",
    "units",
    "events",
    "commands",
];

pub fn schema(table: &str) -> Option<Schema> {
    let columns = match table {
        "games" => games(),
        "teams" => teams(),
        "players" => players(),
        "unit_defs" => unit_defs(),
        "team_seconds" => team_seconds(),
        "units" => units(),
        "events" => events(),
        "commands" => commands(),
        _ => return None,
    };
    let name = TABLES.into_iter().find(|t| *t == table)?;
    Some(Schema { name, columns })
}

fn games() -> Vec<Column> {
    vec![
        req("game_id", Str),
        req("source_file", Str),
        req("game_in_file", I32),
        opt("map", Str),
        opt("game_name", Str),
        opt("game_version", Str),
        opt("engine_version", Str),
        opt("widget_version", Str),
        opt("is_replay", Bool),
        opt("detail", Str),
        opt("full_view", Bool),
        opt("spectating", Bool),
        opt("viewer_team_id", I32),
        opt("viewer_ally_team_id", I32),
        req("start_frame", I32),
        req("end_frame", I32),
        req("duration_seconds", F64),
        req("teams", I32),
        req("ally_teams", I32),
        req("ended", Bool),
        opt("winner_ally_team_id", I32),
        req("ended_cleanly", Bool),
        req("snapshots", I32),
        req("seq_gaps", I32),
        opt("dropped_snapshots", I32),
        req("lines_skipped", I32),
    ]
}

fn teams() -> Vec<Column> {
    vec![
        req("game_id", Str),
        req("team_id", I32),
        req("ally_team_id", I32),
        req("name", Str),
        req("is_ai", Bool),
        req("color", Str),
        opt("faction", Str),
        opt("won", Bool),
        req("is_dead", Bool),
        opt("died_frame", I32),
        req("final_army_value", F64),
        req("peak_army_value", F64),
        req("units_built", I32),
        req("units_lost", I32),
    ]
}

/// 1.1 player cards: who played each team, as the team's last description (hello or `team_changed`) had them.
fn players() -> Vec<Column> {
    vec![
        req("game_id", Str),
        req("team_id", I32),
        req("player_id", I32),
        req("name", Str),
        opt("country", Str),
        opt("rank", I32),
        opt("skill", F64),
        opt("skill_uncertainty", F64),
        opt("skill_estimated", Bool),
        req("status", Str),
    ]
}

fn unit_defs() -> Vec<Column> {
    vec![
        req("game_id", Str),
        req("def_id", I32),
        req("name", Str),
        req("human_name", Str),
        req("category", Str),
        req("tech_level", I32),
        req("metal_cost", F64),
        req("energy_cost", F64),
        opt("build_speed", F64),
    ]
}

/// `<category>_count` and `<category>_metal` for each category, in [`Category::ALL`] order.
pub const CATEGORY_COLUMNS: [(&str, &str); 9] = [
    ("commander_count", "commander_metal"),
    ("builder_count", "builder_metal"),
    ("factory_count", "factory_metal"),
    ("army_land_count", "army_land_metal"),
    ("army_air_count", "army_air_metal"),
    ("army_sea_count", "army_sea_metal"),
    ("defense_count", "defense_metal"),
    ("economy_count", "economy_metal"),
    ("utility_count", "utility_metal"),
];

fn team_seconds() -> Vec<Column> {
    let mut c = vec![
        req("game_id", Str),
        req("team_id", I32),
        req("second", I32),
        req("frame", I32),
        req("seconds", F64),
    ];
    c.extend(
        RESOURCE_FIELDS
            .iter()
            .map(|(_, (metal, _))| opt(metal, F64)),
    );
    c.extend(
        RESOURCE_FIELDS
            .iter()
            .map(|(_, (_, energy))| opt(energy, F64)),
    );
    c.extend([
        opt("damage_dealt", F64),
        opt("damage_received", F64),
        opt("units_killed", I32),
        opt("units_died", I32),
        req("army_value", F64),
    ]);
    debug_assert_eq!(CATEGORY_COLUMNS.len(), Category::ALL.len());
    for (count, metal) in CATEGORY_COLUMNS {
        c.push(req(count, I32));
        c.push(req(metal, F64));
    }
    c.extend([
        req("build_power", F64),
        req("under_construction", I32),
        req("unknown_units", I32),
        req("commander_alive", Bool),
        req("is_dead", Bool),
    ]);
    c
}

/// The resource fields of a team second, as (wire field, (metal column, energy column)).
pub const RESOURCE_FIELDS: [(&str, (&str, &str)); 9] = [
    ("current", ("metal", "energy")),
    ("income", ("metal_income", "energy_income")),
    ("expense", ("metal_expense", "energy_expense")),
    ("storage", ("metal_storage", "energy_storage")),
    ("produced", ("metal_produced", "energy_produced")),
    ("excess", ("metal_excess", "energy_excess")),
    ("used", ("metal_used", "energy_used")),
    ("reclaim", ("metal_reclaim", "energy_reclaim")),
    ("converted", ("metal_converted", "energy_converted")),
];

fn units() -> Vec<Column> {
    vec![
        req("game_id", Str),
        req("frame", I32),
        req("seconds", F64),
        req("unit_id", I32),
        opt("def_id", I32),
        opt("unit_name", Str),
        req("team_id", I32),
        opt("x", F32),
        opt("y", F32),
        opt("z", F32),
        opt("health", F32),
        opt("max_health", F32),
        opt("build_progress", F32),
        opt("vx", F32),
        opt("vy", F32),
        opt("vz", F32),
        opt("experience", F32),
        req("full", Bool),
    ]
}

fn events() -> Vec<Column> {
    vec![
        req("game_id", Str),
        req("frame", I32),
        req("seconds", F64),
        req("event", Str),
        opt("team_id", I32),
        opt("unit_id", I32),
        opt("def_id", I32),
        opt("unit_name", Str),
        opt("from_team_id", I32),
        opt("player_id", I32),
        opt("winners", Str),
    ]
}

/// Fixed before the widget sends orders, so datasets made now and later share one schema.
fn commands() -> Vec<Column> {
    vec![
        req("game_id", Str),
        req("frame", I32),
        req("seconds", F64),
        req("kind", Str),
        req("team_id", I32),
        req("unit_id", I32),
        opt("def_id", I32),
        opt("unit_name", Str),
        opt("cmd_id", I32),
        opt("cmd_name", Str),
        opt("params", Str),
        opt("options", I32),
        opt("target_x", F32),
        opt("target_y", F32),
        opt("target_z", F32),
        opt("target_unit_id", I32),
        opt("build_def_id", I32),
        opt("build_unit_name", Str),
        opt("builder_id", I32),
        opt("count", I32),
        opt("player_id", I32),
    ]
}
