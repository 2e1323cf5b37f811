//! The protocol's limits (SCHEMA.md, "Limits"): what a line may hold at most, checked on every parsed line so that a
//! hostile or broken sender can never make a reader hold more than a real game could.
//!
//! Counts and ids follow the Recoil engine's own maxima (`rts/Sim/Misc/GlobalConstants.h`), so nothing a real game
//! sends can cross them; sizes the engine does not bound (names, unit def count, positions) get a generous margin over
//! anything BAR sends. The check is one pass over the parsed message, with no allocation unless a limit is crossed.

use super::types::*;
use std::fmt;

/// Recoil `MAX_TEAMS`: team ids are 0..=254 (254 real teams and Gaia; the network protocol's team id is 8 bits, 255
/// reserved). Ally team ids live in the same range: there are never more ally teams than teams.
pub const MAX_TEAMS: u32 = 255;
/// Recoil `MAX_PLAYERS`: player ids are 0..=250 (1-byte field, 251-255 reserved).
pub const MAX_PLAYERS: u32 = 251;
/// Recoil `MAX_UNITS`: unit ids are indices into the engine's unit table, 0..=31999, so no more can live at once.
pub const MAX_UNITS: u32 = 32_000;
/// Unit types in one hello, and the largest def id + 1. The engine numbers defs 1..=N with no hard maximum; BAR
/// (with Scavengers and Raptors) has a few thousand.
pub const MAX_UNIT_DEFS: u32 = 16_384;
/// Names: players, AIs, the map, the game, unit types, versions. Engine player names are a few dozen bytes.
pub const MAX_NAME_BYTES: usize = 256;
/// 1.1 (SCHEMA.md, team info): people in one team, characters of a player's or AI's name and of a faction, and
/// entries of each production list (the widget cuts longer lists).
pub const MAX_TEAM_PLAYERS: u32 = 16;
pub const MAX_CARD_CHARS: usize = 64;
pub const MAX_FACTION_CHARS: usize = 32;
/// 1.4: the anonymous mode's name in the hello (BAR's are a few letters).
pub const MAX_ANONYMOUS_BYTES: usize = 32;
pub const MAX_PRODUCTION_ENTRIES: u32 = 64;
/// 1.2: decision points in one `orders` event, parameters of one command, and the characters of a command's name.
pub const MAX_ORDERS: u32 = 4096;
pub const MAX_COMMAND_PARAMS: u32 = 64;
pub const MAX_COMMAND_NAME_CHARS: usize = 64;
/// Free text: the widget's status message, a bye's reason.
pub const MAX_TEXT_BYTES: usize = 1024;
/// Positions, each axis, in elmos. The largest maps are 64x64 map units of 512 elmos (32768 elmos a side); units
/// may stray off the map and radar blips carry an error, so three map sides either way.
pub const MAX_COORD: f32 = 100_000.0;
/// Velocity, each axis, in elmos per frame: Recoil's `MAX_UNIT_SPEED` (1e3) with a margin of 10.
pub const MAX_SPEED: f32 = 10_000.0;
/// Resources, damage, costs, health and experience: absolute values. A two-hour game of the richest economy makes
/// under 1e9 of energy; beyond 1e12 a number is nonsense, and would ruin a graph's scale.
pub const MAX_AMOUNT: f64 = 1e12;

/// A line that crosses a limit: what, the value it had and the bound. Displays as the reason in one line.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LimitError {
    /// Where in the message, e.g. `snapshot units` or `unit 12 pos.x`.
    pub what: String,
    pub value: String,
    pub limit: String,
}

impl fmt::Display for LimitError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} is {} ({})", self.what, self.value, self.limit)
    }
}

type Check = Result<(), LimitError>;

/// Where a check looks, as text only once it fails: a fixed name, or a closure that formats one (most checks pass,
/// and formatting `unit 12345 team` for every unit of every line was a tenth of a recording's parse time).
trait What {
    fn text(self) -> String;
}

impl What for &str {
    fn text(self) -> String {
        self.to_owned()
    }
}

impl<F: FnOnce() -> String> What for F {
    fn text(self) -> String {
        self()
    }
}

fn over(what: impl Into<String>, value: impl fmt::Display, limit: impl Into<String>) -> LimitError {
    LimitError {
        what: what.into(),
        value: value.to_string(),
        limit: limit.into(),
    }
}

fn count(what: impl What, n: usize, max: u32) -> Check {
    if n > max as usize {
        return Err(over(
            what.text(),
            format!("{n} long"),
            format!("at most {max}"),
        ));
    }
    Ok(())
}

fn id(what: impl What, v: u32, end: u32) -> Check {
    if v >= end {
        return Err(over(what.text(), v, format!("at most {}", end - 1)));
    }
    Ok(())
}

fn text(what: impl What, s: &str, max: usize) -> Check {
    if s.len() > max {
        return Err(over(
            what.text(),
            format!("{} bytes long", s.len()),
            format!("at most {max}"),
        ));
    }
    Ok(())
}

fn name(what: impl What, s: &str) -> Check {
    text(what, s, MAX_NAME_BYTES)
}

/// `v` is finite and within `-max..=max`. Written as one comparison that NaN fails.
fn within(what: impl FnOnce() -> String, v: f64, max: f64) -> Check {
    if v.abs() <= max {
        return Ok(());
    }
    Err(over(
        what(),
        num(v),
        format!("must be finite, within ±{max:e}"),
    ))
}

/// As [`within`], for the 32-bit numbers of units, shown as sent (1e30, not 1.0000000150474662e30).
fn within32(what: impl FnOnce() -> String, v: f32, max: f32) -> Check {
    if v.abs() <= max {
        return Ok(());
    }
    let shown = if v.is_finite() && v.abs() >= 1e6 {
        format!("{v:e}")
    } else {
        format!("{v}")
    };
    Err(over(
        what(),
        shown,
        format!("must be finite, within ±{max:e}"),
    ))
}

/// A number as a person reads it: 12.5, or 1e30 rather than thirty-one digits.
fn num(v: f64) -> String {
    if v.is_finite() && v.abs() >= 1e6 {
        format!("{v:e}")
    } else {
        format!("{v}")
    }
}

fn amount(what: impl FnOnce() -> String, v: f64) -> Check {
    within(what, v, MAX_AMOUNT)
}

fn opt_amount(what: impl FnOnce() -> String, v: Option<f64>) -> Check {
    v.map_or(Ok(()), |v| amount(what, v))
}

fn vec3(what: &str, unit: UnitId, v: &Vec3, max: f32) -> Check {
    for (axis, c) in [("x", v.x), ("y", v.y), ("z", v.z)] {
        within32(|| format!("unit {unit} {what}.{axis}"), c, max)?;
    }
    Ok(())
}

/// Checks one parsed message against every limit.
pub fn check(msg: &Message) -> Check {
    match msg {
        Message::Hello(h) => check_hello(h),
        Message::Snapshot(s) => check_snapshot(s),
        Message::Event(e) => check_event(e),
        Message::Bye(b) => b
            .reason
            .as_deref()
            .map_or(Ok(()), |r| text("bye reason", r, MAX_TEXT_BYTES)),
    }
}

fn check_view(v: &View) -> Check {
    id("view player_id", v.player_id, MAX_PLAYERS)?;
    id("view team_id", v.team_id, MAX_TEAMS)?;
    id("view ally_team_id", v.ally_team_id, MAX_TEAMS)
}

/// 1.1's cards count characters, as the JSON Schema does; they are short, so counting costs nothing.
fn chars(what: impl What, s: &str, max: usize) -> Check {
    if s.len() > max && s.chars().count() > max {
        return Err(over(
            what.text(),
            format!("{} characters long", s.chars().count()),
            format!("at most {max}"),
        ));
    }
    Ok(())
}

fn check_team_info(kind: &str, t: &TeamInfo) -> Check {
    id(|| format!("{kind} team_id"), t.team_id, MAX_TEAMS)?;
    id(|| format!("{kind} ally_team_id"), t.ally_team_id, MAX_TEAMS)?;
    name(|| format!("{kind} team name"), &t.name)?;
    let team = t.team_id;
    if let Some(f) = &t.faction {
        chars(|| format!("team {team} faction"), f, MAX_FACTION_CHARS)?;
    }
    count(
        || format!("team {team} players"),
        t.players.len(),
        MAX_TEAM_PLAYERS,
    )?;
    for p in &t.players {
        id(
            || format!("team {team} player_id"),
            p.player_id,
            MAX_PLAYERS,
        )?;
        chars(
            || format!("team {team} player name"),
            &p.name,
            MAX_CARD_CHARS,
        )?;
        for (field, v) in [("country", &p.country), ("status", &p.status)] {
            if let Some(v) = v {
                name(|| format!("team {team} player {field}"), v)?;
            }
        }
        opt_amount(|| format!("team {team} player skill"), p.skill)?;
        opt_amount(
            || format!("team {team} player skill_uncertainty"),
            p.skill_uncertainty,
        )?;
    }
    if let Some(ai) = &t.ai {
        chars(|| format!("team {team} ai name"), &ai.name, MAX_CARD_CHARS)?;
        for v in [&ai.short_name, &ai.version].into_iter().flatten() {
            chars(|| format!("team {team} ai name"), v, MAX_CARD_CHARS)?;
        }
    }
    Ok(())
}

fn check_production(team: TeamId, p: &Production) -> Check {
    count(
        || format!("team {team} factories"),
        p.factories.len(),
        MAX_PRODUCTION_ENTRIES,
    )?;
    for f in &p.factories {
        id(|| format!("team {team} factory id"), f.id, MAX_UNITS)?;
        id(
            || format!("team {team} factory def_id"),
            f.def_id,
            MAX_UNIT_DEFS,
        )?;
        if let Some(b) = f.building {
            id(|| format!("team {team} factory building"), b, MAX_UNIT_DEFS)?;
        }
        if let Some(pr) = f.progress {
            progress(|| format!("team {team} factory {} progress", f.id), pr)?;
        }
    }
    count(
        || format!("team {team} constructing"),
        p.constructing.len(),
        MAX_PRODUCTION_ENTRIES,
    )?;
    for c in &p.constructing {
        id(|| format!("team {team} construction id"), c.id, MAX_UNITS)?;
        id(
            || format!("team {team} construction def_id"),
            c.def_id,
            MAX_UNIT_DEFS,
        )?;
        progress(
            || format!("team {team} construction {} progress", c.id),
            c.progress,
        )?;
    }
    Ok(())
}

fn progress(what: impl FnOnce() -> String, p: f32) -> Check {
    if (0.0..=1.0).contains(&p) {
        return Ok(());
    }
    Err(over(what(), p, "must be 0 to 1"))
}

fn check_hello(h: &Hello) -> Check {
    name("hello schema_version", &h.schema_version)?;
    name("hello widget.name", &h.widget.name)?;
    name("hello widget.version", &h.widget.version)?;
    name("hello engine_version", &h.engine_version)?;
    name("hello game.name", &h.game.name)?;
    name("hello game.version", &h.game.version)?;
    name("hello map", &h.map)?;
    if let Some(t) = &h.token {
        name("hello token", t)?;
    }
    if let Some(a) = &h.anonymous {
        text("hello anonymous", a, MAX_ANONYMOUS_BYTES)?;
    }
    if let Some(r) = h.rate_hz
        && !(1.0..=30.0).contains(&r)
    {
        return Err(over("hello rate_hz", num(r), "must be 1 to 30"));
    }
    check_view(&h.view)?;
    count("hello teams", h.teams.len(), MAX_TEAMS)?;
    for t in &h.teams {
        check_team_info("hello", t)?;
    }
    count("hello unit_defs", h.unit_defs.len(), MAX_UNIT_DEFS)?;
    for d in &h.unit_defs {
        id("hello def_id", d.def_id, MAX_UNIT_DEFS)?;
        name("hello unit def name", &d.name)?;
        name("hello unit def human_name", &d.human_name)?;
        let def = d.def_id;
        amount(|| format!("unit def {def} metal_cost"), d.metal_cost)?;
        amount(|| format!("unit def {def} energy_cost"), d.energy_cost)?;
        opt_amount(|| format!("unit def {def} build_speed"), d.build_speed)?;
    }
    Ok(())
}

fn check_resource(team: TeamId, kind: &str, r: &Resource) -> Check {
    let what = |field: &'static str| move || format!("team {team} {kind}.{field}");
    amount(what("current"), r.current)?;
    amount(what("income"), r.income)?;
    opt_amount(what("expense"), r.expense)?;
    opt_amount(what("storage"), r.storage)?;
    opt_amount(what("produced"), r.produced)?;
    opt_amount(what("excess"), r.excess)?;
    opt_amount(what("used"), r.used)?;
    opt_amount(what("reclaim"), r.reclaim)?;
    opt_amount(what("converted"), r.converted)
}

fn check_snapshot(s: &Snapshot) -> Check {
    name("snapshot schema_version", &s.schema_version)?;
    if !(s.game_seconds >= 0.0 && s.game_seconds <= f64::from(u32::MAX)) {
        return Err(over(
            "snapshot game_seconds",
            num(s.game_seconds),
            "must be finite and 0 or more",
        ));
    }
    count("snapshot teams", s.teams.len(), MAX_TEAMS)?;
    for t in &s.teams {
        id("snapshot team_id", t.team_id, MAX_TEAMS)?;
        let team = t.team_id;
        if let Some(m) = &t.metal {
            check_resource(team, "metal", m)?;
        }
        if let Some(e) = &t.energy {
            check_resource(team, "energy", e)?;
        }
        opt_amount(|| format!("team {team} damage_dealt"), t.damage_dealt)?;
        opt_amount(|| format!("team {team} damage_received"), t.damage_received)?;
        opt_amount(|| format!("team {team} utility_value"), t.utility_value)?;
        opt_amount(|| format!("team {team} economy_value"), t.economy_value)?;
        if let Some(p) = &t.production {
            check_production(team, p)?;
        }
    }
    if let Some(units) = &s.units {
        count("snapshot units", units.len(), MAX_UNITS)?;
        for u in units {
            check_unit(u)?;
        }
    }
    count("snapshot destroyed", s.destroyed.len(), MAX_UNITS)?;
    for &u in &s.destroyed {
        id("snapshot destroyed unit id", u, MAX_UNITS)?;
    }
    count("snapshot hidden", s.hidden.len(), MAX_UNITS)?;
    for &u in &s.hidden {
        id("snapshot hidden unit id", u, MAX_UNITS)?;
    }
    Ok(())
}

fn check_unit(u: &Unit) -> Check {
    id("unit id", u.id, MAX_UNITS)?;
    let unit = u.id;
    if let Some(d) = u.def_id {
        id(|| format!("unit {unit} def_id"), d, MAX_UNIT_DEFS)?;
    }
    id(|| format!("unit {unit} team"), u.team, MAX_TEAMS)?;
    if let Some(p) = &u.pos {
        vec3("pos", unit, p, MAX_COORD)?;
    }
    if let Some(v) = &u.vel {
        vec3("vel", unit, v, MAX_SPEED)?;
    }
    if let Some(h) = &u.health {
        let max = MAX_AMOUNT as f32;
        within32(|| format!("unit {unit} health.current"), h.current, max)?;
        within32(|| format!("unit {unit} health.max"), h.max, max)?;
    }
    if let Some(p) = u.build_progress {
        progress(|| format!("unit {unit} build_progress"), p)?;
    }
    if let Some(x) = u.experience {
        within32(|| format!("unit {unit} experience"), x, MAX_AMOUNT as f32)?;
    }
    Ok(())
}

fn check_event(e: &Event) -> Check {
    name("event schema_version", &e.schema_version)?;
    match &e.kind {
        EventKind::GameOver { winners } => {
            let winners = winners.as_deref().unwrap_or_default();
            count("game_over winners", winners.len(), MAX_TEAMS)?;
            for &w in winners {
                id("game_over winner ally team", w, MAX_TEAMS)?;
            }
            Ok(())
        }
        EventKind::Paused { player_id } | EventKind::Unpaused { player_id } => {
            player_id.map_or(Ok(()), |p| id("event player_id", p, MAX_PLAYERS))
        }
        EventKind::TeamDied { team_id } => id("team_died team_id", *team_id, MAX_TEAMS),
        EventKind::ViewChanged { view } => check_view(view),
        EventKind::TeamChanged { team } => check_team_info("team_changed", team),
        EventKind::Status(s) => {
            if let Some(m) = &s.message {
                text("status message", m, MAX_TEXT_BYTES)?;
            }
            for (field, v) in [
                ("rate_hz", s.rate_hz),
                ("unit_rate_hz", s.unit_rate_hz),
                ("frame_cost_ms", s.frame_cost_ms),
            ] {
                opt_amount(|| format!("status {field}"), v)?;
            }
            Ok(())
        }
        EventKind::Orders { orders } => {
            count("orders", orders.len(), MAX_ORDERS)?;
            orders.iter().try_for_each(check_order)
        }
        EventKind::GameStart | EventKind::Other => Ok(()),
    }
}

fn check_order(o: &Order) -> Check {
    match o {
        Order::Command(c) => {
            id("command team_id", c.team_id, MAX_TEAMS)?;
            count("command unit_ids", c.unit_ids.len(), MAX_UNITS)?;
            for &u in &c.unit_ids {
                id("command unit id", u, MAX_UNITS)?;
            }
            if let Some(n) = &c.cmd_name {
                text("command cmd_name", n, MAX_COMMAND_NAME_CHARS * 4)?;
                if n.chars().count() > MAX_COMMAND_NAME_CHARS {
                    return Err(over(
                        "command cmd_name",
                        format!("{} characters long", n.chars().count()),
                        format!("at most {MAX_COMMAND_NAME_CHARS}"),
                    ));
                }
            }
            count("command params", c.params.len(), MAX_COMMAND_PARAMS)?;
            for &p in &c.params {
                amount(|| "command param".to_owned(), p)?;
            }
            if let Some(opts) = c.options {
                id("command options", opts, 256)?;
            }
            c.player_id
                .map_or(Ok(()), |p| id("command player_id", p, MAX_PLAYERS))
        }
        Order::BuildStarted {
            team_id,
            unit_id,
            def_id,
            builder_id,
        } => {
            id("build_started team_id", *team_id, MAX_TEAMS)?;
            id("build_started unit_id", *unit_id, MAX_UNITS)?;
            id("build_started def_id", *def_id, MAX_UNIT_DEFS)?;
            builder_id.map_or(Ok(()), |b| id("build_started builder_id", b, MAX_UNITS))
        }
        Order::FactoryQueue {
            team_id,
            unit_id,
            def_id,
            build_def_id,
            count: n,
            player_id,
        } => {
            id("factory_queue team_id", *team_id, MAX_TEAMS)?;
            id("factory_queue unit_id", *unit_id, MAX_UNITS)?;
            if let Some(d) = def_id {
                id("factory_queue def_id", *d, MAX_UNIT_DEFS)?;
            }
            id("factory_queue build_def_id", *build_def_id, MAX_UNIT_DEFS)?;
            if n.unsigned_abs() > 100_000 {
                return Err(over("factory_queue count", n, "within ±100000"));
            }
            player_id.map_or(Ok(()), |p| id("factory_queue player_id", p, MAX_PLAYERS))
        }
        Order::Other => Ok(()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn unit(id: UnitId) -> Unit {
        Unit {
            id,
            def_id: Some(1),
            team: 0,
            pos: Some(Vec3 {
                x: 100.0,
                y: 10.0,
                z: 200.0,
            }),
            health: None,
            build_progress: None,
            vel: None,
            experience: None,
        }
    }

    #[test]
    fn nan_and_infinity_fail_the_range_check() {
        let mut u = unit(1);
        assert_eq!(check_unit(&u), Ok(()));
        for bad in [f32::NAN, f32::INFINITY, -1e30, MAX_COORD * 1.01] {
            if let Some(p) = &mut u.pos {
                p.z = bad;
            }
            let e = check_unit(&u).expect_err("refused");
            assert_eq!(e.what, "unit 1 pos.z");
        }
    }

    #[test]
    fn ids_are_checked_against_the_engine_maxima() {
        assert!(check_unit(&unit(MAX_UNITS - 1)).is_ok());
        let e = check_unit(&unit(MAX_UNITS)).expect_err("refused");
        assert_eq!(e.to_string(), "unit id is 32000 (at most 31999)");
        let mut u = unit(3);
        u.team = MAX_TEAMS;
        assert_eq!(
            check_unit(&u).map_err(|e| e.to_string()),
            Err("unit 3 team is 255 (at most 254)".into())
        );
    }
}
