//! What the pages and `/api/state` get: the shown game (delayed when a delay is set) as JSON, built once per change
//! and shared by every client. Documented field by field in docs/obs.md.

use crate::model::{Feed, Game, HudTotals, Names, Team, game_clock, reduce};
use crate::protocol::{PlayerCard, PlayerStatus, Production};
use serde::Serialize;
use std::time::{Duration, Instant};

/// A source quiet for this long is shown as stale (the window's default too).
const STALE_AFTER: Duration = Duration::from_secs(5);

/// Points per graph line: about one per pixel column of a 1920-wide page's graph.
const SERIES_BUCKETS: usize = 300;

#[derive(Serialize)]
pub struct State<'a> {
    /// Game time of what is shown, in seconds.
    pub game_seconds: f64,
    pub clock: String,
    pub status: Status<'a>,
    pub sides: Vec<Side>,
    pub teams: Vec<TeamOut<'a>>,
    /// Bumped when custom.css changes, so pages reload it.
    pub css_version: u64,
}

#[derive(Serialize)]
pub struct Status<'a> {
    /// `waiting`, `live`, `stale` or `disconnected`.
    pub link: &'static str,
    /// Seconds everything shown lags the game; 0 when live.
    pub delay: f64,
    /// `DELAYED 2:00`, or empty.
    pub delay_label: String,
    /// With a delay: messages held back, and how many were shown sooner than the delay because the held data reached
    /// its memory cap (0 unless the game is far larger than a 16-team one).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub delay_queued: Option<usize>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub delay_early: Option<u64>,
    pub started: bool,
    pub paused: bool,
    pub over: bool,
    /// Ally team ids that won, when the game is over and the sender knew.
    pub winners: Option<&'a [u32]>,
    pub map: Option<&'a str>,
    /// Whether the sender reads every team (a full-view spectator or a replay).
    pub full_view: bool,
    pub spectating: bool,
    /// BAR's anonymous mode (`global`, `local`, ...): the pages say the game is anonymous; teams are `Anonymous N`.
    pub anonymous: Option<&'a str>,
    pub widget_message: Option<&'a str>,
}

#[derive(Serialize)]
pub struct Side {
    pub ally_team: u32,
    /// `Side N`, or the broadcast name set for it.
    pub name: String,
    pub teams: Vec<u32>,
    pub army_value: f64,
    /// Summed over the side's teams whose economy is readable; `null` if none is.
    pub metal_income: Option<f64>,
    pub energy_income: Option<f64>,
}

#[derive(Serialize)]
pub struct Resource {
    pub current: f64,
    pub income: f64,
    pub storage: Option<f64>,
}

#[derive(Serialize)]
pub struct UnitCount<'a> {
    pub name: &'a str,
    pub count: u32,
    pub metal: f64,
}

#[derive(Serialize)]
pub struct TeamOut<'a> {
    pub team_id: u32,
    pub ally_team: u32,
    pub name: &'a str,
    /// `#rrggbb`.
    pub color: String,
    pub is_ai: bool,
    pub is_dead: bool,
    /// `null` while the sender cannot read this team's economy.
    pub metal: Option<Resource>,
    pub energy: Option<Resource>,
    pub army_value: f64,
    pub army_land: f64,
    pub army_air: f64,
    pub army_sea: f64,
    pub defense_value: f64,
    pub economy_value: f64,
    pub build_power: f64,
    pub commander_alive: bool,
    /// The army's unit types worth the most metal.
    pub top_units: Vec<UnitCount<'a>>,
    /// Protocol 1.1 (each `null` or empty from a 1.0 sender, or where the view may not read it): the side, the
    /// lead player's card (or the AI's), every card, and the Spectator HUD's values.
    pub faction: Option<&'a str>,
    pub player: Option<PlayerOut<'a>>,
    pub players: Vec<PlayerOut<'a>>,
    pub utility_value: f64,
    #[serde(flatten)]
    pub hud: HudTotals,
    /// Metal per second from reclaiming and from energy converters.
    pub metal_reclaim: Option<f64>,
    pub metal_converted: Option<f64>,
    pub production: Option<ProductionOut<'a>>,
}

/// A player card (or an AI's), as the pages show it.
#[derive(Serialize)]
pub struct PlayerOut<'a> {
    pub name: &'a str,
    /// Two-letter code, shown as a text label (no flag images: nothing is fetched).
    pub country: Option<&'a str>,
    pub skill: Option<f64>,
    pub skill_uncertainty: Option<f64>,
    pub skill_estimated: bool,
    pub rank: Option<u32>,
    /// `playing`, `resigned`, `disconnected`, or `ai`.
    pub status: &'static str,
}

#[derive(Serialize)]
pub struct ProductionOut<'a> {
    pub factories: Vec<FactoryOut<'a>>,
    pub constructing: Vec<ConstructionOut<'a>>,
    pub idle_builders: u32,
}

#[derive(Serialize)]
pub struct FactoryOut<'a> {
    pub factory: &'a str,
    /// The unit in progress; `null` while the factory is idle.
    pub building: Option<&'a str>,
    pub progress: Option<f32>,
    pub queued: Option<u32>,
}

#[derive(Serialize)]
pub struct ConstructionOut<'a> {
    pub name: &'a str,
    pub progress: f32,
    pub builders: u32,
}

/// The shown game's state now.
pub fn state_json(feed: &Feed, now: Instant, css_version: u64) -> String {
    let game = feed.shown();
    let link = match (feed.source(), feed.last_message()) {
        (Some(_), Some(last)) if now.saturating_duration_since(last) < STALE_AFTER => "live",
        (Some(_), _) => "stale",
        _ if feed.game().info.is_some() || feed.game().snapshots > 0 => "disconnected",
        _ => "waiting",
    };
    let delay = feed.delay();
    let status = Status {
        link,
        delay: delay.as_secs_f64(),
        delay_label: if delay.is_zero() {
            String::new()
        } else {
            format!("DELAYED {}", game_clock(delay.as_secs_f64()))
        },
        delay_queued: feed.delay_line().map(|l| l.queued()),
        delay_early: feed.delay_line().map(|l| l.early()),
        started: game.started || game.snapshots > 0,
        paused: game.paused,
        over: game.over.is_some(),
        winners: game.over.as_ref().and_then(|o| o.winners.as_deref()),
        map: game.info.as_ref().map(|i| i.map.as_str()),
        full_view: game.full_view(),
        spectating: game.view.is_some_and(|v| v.spectating),
        anonymous: game.info.as_ref().and_then(|i| i.anonymous.as_deref()),
        widget_message: game.widget.as_ref().and_then(|w| w.message.as_deref()),
    };
    let state = State {
        game_seconds: game.seconds,
        clock: game_clock(game.seconds),
        status,
        sides: sides(game, feed.names()),
        teams: game
            .teams
            .values()
            .map(|t| team(game, t, feed.names()))
            .collect(),
        css_version,
    };
    serde_json::to_string(&state).unwrap_or_else(|e| format!(r#"{{"error":"{e}"}}"#))
}

fn sides(game: &Game, names: &Names) -> Vec<Side> {
    game.ally_teams()
        .into_iter()
        .map(|(ally, teams)| Side {
            ally_team: ally,
            name: names.side(ally),
            teams: teams.iter().map(|t| t.id).collect(),
            army_value: teams.iter().map(|t| t.army.army_value()).sum(),
            metal_income: teams.iter().map(|t| t.metal.map(|m| m.income)).sum(),
            energy_income: teams.iter().map(|t| t.energy.map(|e| e.income)).sum(),
        })
        .collect()
}

fn team<'a>(game: &'a Game, t: &'a Team, names: &'a Names) -> TeamOut<'a> {
    let res = |r: Option<crate::model::Resource>| {
        r.map(|r| Resource {
            current: r.current,
            income: r.income,
            storage: r.storage,
        })
    };
    let a = &t.army;
    TeamOut {
        team_id: t.id,
        ally_team: t.ally_team,
        name: names.team(t),
        color: format!("#{:02x}{:02x}{:02x}", t.color[0], t.color[1], t.color[2]),
        is_ai: t.is_ai,
        is_dead: t.is_dead,
        metal: res(t.metal),
        energy: res(t.energy),
        army_value: a.army_value(),
        army_land: a.army_land(),
        army_air: a.army_air(),
        army_sea: a.army_sea(),
        defense_value: a.defense_value(),
        economy_value: t.economy_value(),
        build_power: a.build_power,
        commander_alive: a.commander_alive,
        top_units: a
            .top_army(&game.defs, 4)
            .map(|d| UnitCount {
                name: game
                    .def(d.def_id)
                    .map_or("?", |def| def.human_name.as_str()),
                count: d.count,
                metal: d.metal,
            })
            .collect(),
        faction: t.faction.as_deref(),
        player: t.lead_player().map(|p| player(p, names)).or_else(|| {
            t.ai.as_ref().map(|ai| PlayerOut {
                name: &ai.name,
                country: None,
                skill: None,
                skill_uncertainty: None,
                skill_estimated: false,
                rank: None,
                status: "ai",
            })
        }),
        players: t.players.iter().map(|p| player(p, names)).collect(),
        utility_value: t.utility_value(),
        hud: t.hud_totals(),
        metal_reclaim: t.metal.and_then(|m| m.reclaim),
        metal_converted: t.metal.and_then(|m| m.converted),
        production: t.production.as_ref().map(|p| production(game, p)),
    }
}

fn player<'a>(p: &'a PlayerCard, names: &'a Names) -> PlayerOut<'a> {
    PlayerOut {
        name: names.player(&p.name),
        country: p.country.as_deref(),
        skill: p.skill,
        skill_uncertainty: p.skill_uncertainty,
        skill_estimated: p.skill_estimated.unwrap_or(false),
        rank: p.rank,
        status: match p.status() {
            PlayerStatus::Resigned => "resigned",
            PlayerStatus::Disconnected => "disconnected",
            PlayerStatus::Playing | PlayerStatus::Other => "playing",
        },
    }
}

fn production<'a>(game: &'a Game, p: &'a Production) -> ProductionOut<'a> {
    let name = |def: u32| game.def(def).map_or("?", |d| d.human_name.as_str());
    ProductionOut {
        factories: p
            .factories
            .iter()
            .map(|f| FactoryOut {
                factory: name(f.def_id),
                building: f.building.map(name),
                progress: f.progress,
                queued: f.queued,
            })
            .collect(),
        constructing: p
            .constructing
            .iter()
            .map(|c| ConstructionOut {
                name: name(c.def_id),
                progress: c.progress,
                builders: c.builders,
            })
            .collect(),
        idle_builders: p.idle_builders,
    }
}

#[derive(Serialize)]
struct SeriesOut {
    from: f64,
    to: f64,
    teams: Vec<TeamSeriesOut>,
}

#[derive(Serialize)]
struct TeamSeriesOut {
    team_id: u32,
    /// `[[game_seconds, value], ...]`, reduced to a min and a max per bucket.
    metal_income: Vec<[f64; 2]>,
    energy_income: Vec<[f64; 2]>,
    army_value: Vec<[f64; 2]>,
}

/// Which series the pages have: changes once a game second (a new sample) or with a new game.
pub fn series_key(feed: &Feed) -> (u64, u64, usize) {
    let game = feed.shown();
    let samples = game
        .teams
        .values()
        .map(|t| t.stats.samples)
        .max()
        .unwrap_or(0);
    (samples, feed.shown_new_games(), game.teams.len())
}

/// The whole game's graphs, each line reduced to [`SERIES_BUCKETS`] buckets.
pub fn series_json(feed: &Feed) -> String {
    let game = feed.shown();
    let to = game.seconds.max(1.0);
    let line = |s: &crate::model::Series| {
        reduce(s.points(), 0.0, to, SERIES_BUCKETS)
            .iter()
            .map(|p| [p.x, (p.y * 10.0).round() / 10.0])
            .collect()
    };
    let out = SeriesOut {
        from: 0.0,
        to,
        teams: game
            .teams
            .values()
            .map(|t| TeamSeriesOut {
                team_id: t.id,
                metal_income: line(&t.series.metal_income),
                energy_income: line(&t.series.energy_income),
                army_value: line(&t.series.army_value),
            })
            .collect(),
    };
    serde_json::to_string(&out).unwrap_or_else(|e| format!(r#"{{"error":"{e}"}}"#))
}
