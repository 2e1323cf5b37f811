//! Command-line arguments. The binary is a thin shell over this and the library.

use crate::senders::Speed;
use clap::{Args, Parser, Subcommand};
use std::net::{IpAddr, Ipv4Addr, SocketAddr};
use std::path::PathBuf;
use std::time::Duration;

#[derive(Debug, Parser)]
#[command(
    name = "bar-overlay",
    version,
    about = "Live overlay for Beyond All Reason: resource graphs and army composition from the export_livedata widget",
    long_about = "Run with no command to open the overlay window. The widget (widget/export_livedata.lua) in BAR connects \
                  to it on 127.0.0.1:47800. The commands below work without a window."
)]
pub struct Cli {
    #[command(subcommand)]
    pub command: Option<Command>,
    /// Also run a built-in simulated game into the overlay, to see it working without BAR.
    #[arg(long, conflicts_with = "replay")]
    pub demo: bool,
    /// Feed a recording (from `record`) into the overlay.
    #[arg(long, value_name = "FILE")]
    pub replay: Option<PathBuf>,
    /// Replay speed: a factor of game time, or `max`.
    #[arg(long, default_value = "1", value_name = "X|max", requires = "replay")]
    pub speed: Speed,
    /// Listen on this port instead of the configured one.
    #[arg(long)]
    pub port: Option<u16>,
    /// Also pass the game's lines on to other programs connecting to this port on 127.0.0.1, so they can run beside
    /// the overlay. See docs/integration.md.
    #[arg(long, value_name = "P")]
    pub relay_port: Option<u16>,
    /// Serve the web pages (OBS browser sources) on this port of 127.0.0.1 instead of the configured one; 0 turns
    /// them off. See docs/obs.md.
    #[arg(long, value_name = "W")]
    pub web_port: Option<u16>,
    /// Show everything, window and pages, this many seconds late (0 to 600) this run, instead of the configured
    /// delay. Not saved, like --port: the saved delay is kept unless the Stream delay slider is moved.
    #[arg(long, value_name = "S", value_parser = parse_delay)]
    pub delay: Option<f64>,
    /// Use this settings file instead of the one in the OS config directory.
    #[arg(long, value_name = "FILE")]
    pub config: Option<PathBuf>,
    /// Start the window on this renderer (wgpu or glow), skipping the check that moves wgpu to glow on a software-only
    /// graphics driver. Not saved.
    #[arg(long, value_name = "wgpu|glow", value_parser = parse_renderer)]
    pub renderer: Option<Renderer>,
}

/// `--renderer`; the window's own type (`ui::settings::RendererChoice`) is made from it in main.rs, so this module
/// needs nothing of the window.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Renderer {
    Wgpu,
    Glow,
}

fn parse_renderer(s: &str) -> Result<Renderer, String> {
    match s.to_ascii_lowercase().as_str() {
        "wgpu" => Ok(Renderer::Wgpu),
        "glow" | "opengl" | "gl" => Ok(Renderer::Glow),
        _ => Err(format!("the renderer is wgpu or glow, not `{s}`")),
    }
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Receive and print one status line a second.
    Listen(ListenArgs),
    /// Receive and append every valid line to FILE (NDJSON).
    Record(RecordArgs),
    /// Stream a synthetic game over TCP exactly as the widget does.
    Simulate(SimulateArgs),
    /// Send a recording back out with its original game-time pacing.
    Replay(ReplayArgs),
    /// Post-game report from a recording.
    Summary(SummaryArgs),
    /// Recordings as tidy tables (Parquet or CSV) for DuckDB, Polars, pandas, Spark. See docs/datasets.md.
    Export(ExportArgs),
    /// Receive the game and serve it as web pages (OBS browser sources) without a window. See docs/obs.md.
    Serve(ServeArgs),
    /// Install, check or remove the widget in BAR's data folder (found on its own, or --bar-dir).
    Widget(WidgetArgs),
}

#[derive(Debug, Args)]
pub struct WidgetArgs {
    #[command(subcommand)]
    pub action: WidgetAction,
    /// BAR's data folder (the one holding LuaUI, games and springsettings.cfg), when it is not found on its own or
    /// several are. Remembered for the next time.
    #[arg(long, value_name = "DIR", global = true)]
    pub bar_dir: Option<PathBuf>,
}

#[derive(Debug, Subcommand)]
pub enum WidgetAction {
    /// Copy the widget inside this program into BAR (or update the copy there).
    Install {
        /// Also switch it on in BAR's widget settings (LuaUI/Config/BYAR.lua); only while BAR is closed.
        #[arg(long)]
        enable: bool,
        /// Replace a copy that is newer than this program's.
        #[arg(long)]
        force: bool,
    },
    /// Check everything between BAR and the overlay, one line each, with what to do about each problem.
    Status {
        /// The overlay's port the widget connects to.
        #[arg(long, default_value_t = crate::protocol::DEFAULT_PORT)]
        port: u16,
    },
    /// Remove the widget from BAR (a copy you changed is moved aside, not deleted).
    Uninstall,
}

impl WidgetArgs {
    pub fn action(&self) -> crate::tools::widget::Action {
        use crate::tools::widget::Action;
        match self.action {
            WidgetAction::Install { enable, force } => Action::Install { enable, force },
            WidgetAction::Status { port } => Action::Status { port },
            WidgetAction::Uninstall => Action::Uninstall,
        }
    }
}

#[derive(Debug, Args)]
pub struct ServeArgs {
    /// Address to listen on, for the game and the pages. Anything but a loopback address needs --token.
    #[arg(long, default_value_t = IpAddr::V4(Ipv4Addr::LOCALHOST))]
    pub bind: IpAddr,
    /// Port the widget connects to.
    #[arg(long, default_value_t = crate::protocol::DEFAULT_PORT)]
    pub port: u16,
    /// Port of the web pages (http://ADDR:W/).
    #[arg(long, default_value_t = crate::protocol::DEFAULT_WEB_PORT, value_name = "W")]
    pub web_port: u16,
    /// Show everything this many seconds late (0 to 600), to match a delayed stream.
    #[arg(long, default_value_t = 0.0, value_name = "S", value_parser = parse_delay)]
    pub delay: f64,
    /// Also pass the live game's lines on to other programs on this port of 127.0.0.1 (held while --delay is set).
    #[arg(long, value_name = "R")]
    pub relay_port: Option<u16>,
    /// A shared secret: the widget's `token` setting and the pages' `?token=` must match it.
    #[arg(long, value_name = "T")]
    pub token: Option<String>,
    /// The user stylesheet served as /custom.css (default: custom.css beside the settings file).
    #[arg(long, value_name = "FILE")]
    pub css: Option<PathBuf>,
    /// Show a player under another name on the pages: the game's name, `=`, the name to show. Repeat for more.
    #[arg(long, value_name = "NAME=SHOWN", value_parser = parse_rename)]
    pub rename: Vec<(String, String)>,
    /// Name a side on the pages (1 is the first): `2=Team Liquid`. Repeat for more.
    #[arg(long, value_name = "N=NAME", value_parser = parse_side_name)]
    pub side_name: Vec<(u32, String)>,
    /// Stop after this many seconds (default: run until interrupted).
    #[arg(long)]
    pub seconds: Option<f64>,
}

impl ServeArgs {
    /// The station `serve` runs: receiver, hub, pages, relay and delay.
    pub fn station(&self) -> crate::station::StationConfig {
        use crate::station::{StationConfig, WebSettings, default_css};
        let args = self;
        let mut cfg = StationConfig::new(SocketAddr::new(args.bind, args.port));
        cfg.token = args.token.clone().filter(|t| !t.is_empty());
        cfg.relay = args
            .relay_port
            .map(|p| SocketAddr::new(Ipv4Addr::LOCALHOST.into(), p));
        cfg.delay = Duration::from_secs_f64(args.delay);
        for (from, to) in &args.rename {
            cfg.names.rename_player(from, to);
        }
        for (side, name) in &args.side_name {
            cfg.names.name_side(*side, name);
        }
        cfg.web = Some(WebSettings {
            bind: SocketAddr::new(args.bind, args.web_port),
            custom_css: args.css.clone().or_else(default_css),
        });
        cfg
    }
}

pub fn parse_rename(s: &str) -> Result<(String, String), String> {
    match s.split_once('=') {
        Some((from, to)) if !from.trim().is_empty() && !to.trim().is_empty() => {
            Ok((from.trim().to_owned(), to.trim().to_owned()))
        }
        _ => Err(format!(
            "expected the game's name, `=` and the name to show (`Zenit=Zenit [TL]`), not `{s}`"
        )),
    }
}

pub fn parse_side_name(s: &str) -> Result<(u32, String), String> {
    match s.split_once('=') {
        Some((n, name)) if !name.trim().is_empty() => match n.trim().parse::<u32>() {
            Ok(n) if n >= 1 => Ok((n, name.trim().to_owned())),
            _ => Err(format!("the side is a number from 1, not `{n}`")),
        },
        _ => Err(format!(
            "expected a side number, `=` and its name (`2=Team Liquid`), not `{s}`"
        )),
    }
}

pub fn parse_delay(s: &str) -> Result<f64, String> {
    match s.parse::<f64>() {
        Ok(x) if (0.0..=600.0).contains(&x) => Ok(x),
        _ => Err(format!(
            "delay must be a number of seconds from 0 to 600, not `{s}`"
        )),
    }
}

#[derive(Debug, Clone, Args)]
pub struct BindArgs {
    /// Address to listen on. 127.0.0.1 keeps the port private to this machine.
    #[arg(long, default_value_t = IpAddr::V4(Ipv4Addr::LOCALHOST))]
    pub bind: IpAddr,
    /// Port to listen on.
    #[arg(long, default_value_t = crate::protocol::DEFAULT_PORT)]
    pub port: u16,
    /// Also pass the game's lines on to other programs connecting to this port (on the same address), so they can run
    /// beside this one. See docs/integration.md.
    #[arg(long, value_name = "P")]
    pub relay_port: Option<u16>,
}

impl BindArgs {
    pub fn addr(&self) -> SocketAddr {
        SocketAddr::new(self.bind, self.port)
    }

    pub fn relay_addr(&self) -> Option<SocketAddr> {
        self.relay_port.map(|p| SocketAddr::new(self.bind, p))
    }
}

#[derive(Debug, Args)]
pub struct ListenArgs {
    #[command(flatten)]
    pub bind: BindArgs,
    /// Stop after this many seconds (default: run until interrupted).
    #[arg(long)]
    pub seconds: Option<f64>,
}

#[derive(Debug, Args)]
pub struct RecordArgs {
    /// The NDJSON file to append to (created if missing).
    pub file: PathBuf,
    #[command(flatten)]
    pub bind: BindArgs,
    /// Stop after this many seconds (default: run until interrupted).
    #[arg(long)]
    pub seconds: Option<f64>,
    /// Stop when the sender says bye.
    #[arg(long)]
    pub until_bye: bool,
}

#[derive(Debug, Args)]
pub struct SimulateArgs {
    /// Where the overlay (or `listen`/`record`) listens.
    #[arg(long, default_value = "127.0.0.1:47800", value_name = "HOST:PORT")]
    pub to: String,
    /// Number of teams (2 to 16), split into two ally teams.
    #[arg(long, default_value_t = 4, value_parser = clap::value_parser!(u32).range(2..=16))]
    pub teams: u32,
    /// Units on the field when the armies are fully grown (all teams together).
    #[arg(long, default_value_t = 600, value_parser = clap::value_parser!(u32).range(1..=20000))]
    pub units: u32,
    /// Snapshots per second (1 to 30).
    #[arg(long, default_value_t = 30.0)]
    pub rate: f64,
    /// Game seconds to simulate (default: a 20-minute game).
    #[arg(long, default_value_t = 1200.0)]
    pub seconds: f64,
    /// Game speed: a factor of real time, or `max` to stream as fast as the socket takes it.
    #[arg(long, default_value = "1", value_name = "X|max")]
    pub speed: Speed,
    /// Seed for a repeatable game.
    #[arg(long, default_value_t = 1)]
    pub seed: u64,
    /// Detail level: minimal, standard or comprehensive.
    #[arg(long, default_value = "standard")]
    pub detail: String,
    /// Join the game this many game seconds in: they are sent at once (one snapshot a game second, so a listener
    /// gets the game's history), then the game goes on at --speed.
    #[arg(long, default_value_t = 0.0, value_name = "S")]
    pub start_at: f64,
    /// Send this token in the hello, as the widget's `token` setting does (for a reader started with --token).
    #[arg(long, value_name = "T")]
    pub token: Option<String>,
}

impl ExportArgs {
    pub fn options(&self) -> crate::tools::export::Options {
        crate::tools::export::Options {
            recordings: self.recordings.clone(),
            out: self.out.clone(),
            format: self.format,
            jobs: self.jobs,
        }
    }
}

impl SimulateArgs {
    /// The simulator's own config, or why the arguments make none.
    pub fn config(&self) -> anyhow::Result<crate::senders::simulate::SimConfig> {
        use crate::protocol::Detail;
        use crate::senders::simulate::SimConfig;
        let args = self;
        anyhow::ensure!(
            (1.0..=30.0).contains(&args.rate),
            "--rate must be between 1 and 30 snapshots a second"
        );
        anyhow::ensure!(
            args.seconds > 0.0 && args.seconds.is_finite(),
            "--seconds must be a positive number"
        );
        anyhow::ensure!(
            args.start_at >= 0.0 && args.start_at.is_finite(),
            "--start-at must be zero or a positive number of game seconds"
        );
        let detail = match args.detail.as_str() {
            "minimal" => Detail::Minimal,
            "standard" => Detail::Standard,
            "comprehensive" => Detail::Comprehensive,
            other => {
                anyhow::bail!("--detail must be minimal, standard or comprehensive, not `{other}`")
            }
        };
        Ok(SimConfig {
            to: args.to.clone(),
            teams: args.teams,
            units: args.units,
            rate_hz: args.rate,
            seconds: args.seconds,
            speed: args.speed,
            seed: args.seed,
            detail,
            start_at: args.start_at.clamp(0.0, args.seconds),
            token: args.token.clone(),
        })
    }
}

#[derive(Debug, Args)]
pub struct ReplayArgs {
    /// A recording made by `record`.
    pub file: PathBuf,
    /// Where to send it.
    #[arg(long, value_name = "HOST:PORT", default_value = "127.0.0.1:47800")]
    pub to: String,
    /// A factor of the recorded game time, or `max`.
    #[arg(long, default_value = "1", value_name = "X|max")]
    pub speed: Speed,
    /// Send this token in every hello, as the widget's `token` setting does (for a reader started with --token).
    #[arg(long, value_name = "T")]
    pub token: Option<String>,
}

impl ReplayArgs {
    pub fn config(&self) -> crate::senders::replay::ReplayConfig {
        crate::senders::replay::ReplayConfig {
            file: self.file.clone(),
            to: self.to.clone(),
            speed: self.speed,
            token: self.token.clone(),
        }
    }
}

#[derive(Debug, Args)]
pub struct SummaryArgs {
    /// A recording made by `record`.
    pub file: PathBuf,
    /// Print JSON instead of a table.
    #[arg(long)]
    pub json: bool,
}

#[derive(Debug, Args)]
#[command(
    after_help = "Exit status: 0 everything exported; 3 exported what was valid, but lines or files were \
                        skipped (listed on stderr); 1 nothing exported or the output could not be written."
)]
pub struct ExportArgs {
    /// Recordings made by `record`: files, folders (every .ndjson inside, at any depth) or patterns like
    /// 'games/*.ndjson'.
    #[arg(required = true, value_name = "RECORDING")]
    pub recordings: Vec<String>,
    /// The dataset folder: one subfolder per table, one file per game in each. A game exported again replaces its
    /// files.
    #[arg(long, value_name = "DIR")]
    pub out: PathBuf,
    /// File format of the tables.
    #[arg(long, value_enum, default_value = "parquet")]
    pub format: crate::tools::export::Format,
    /// Recordings exported at once (default: one per core).
    #[arg(long, value_name = "N", value_parser = clap::value_parser!(u16).range(1..))]
    pub jobs: Option<u16>,
}
