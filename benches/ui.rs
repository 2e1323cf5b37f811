//! The overlay's costs, as a markdown table. `cargo bench --bench ui`
//!
//! - UI frame CPU time (layout + tessellation, what the UI thread spends; GPU work not included) with a two-hour,
//!   16-team history in the model, driven through a headless egui context. Goal: 95th percentile under 4 ms.
//! - The real binary's CPU (every thread, from /proc) while an 8-team, 1000-unit game streams at 30 snapshots a
//!   second under Xvfb with software GL, with the load average beside it. Goal: at most 10% of a core. Set
//!   `UI_BENCH_BEFORE=path/to/older/bar-overlay` to measure an earlier build in the same run.
//! - Idle: whether a frame with no data and no input asks for another (it must not), and the real binary's CPU use
//!   over 10 s with nothing connected, under Xvfb. Goal: about zero.
//! - Resident memory of the real binary after a two-hour, 16-team game streamed into it (simulate at max speed).
//!   Goal: under 120 MB.
//!
//! The real-binary rows need Xvfb (scripts/ui-smoke installs it); without it they say "n/a".

use bar_overlay::ui::app::{OverlayApp, Startup};
use bar_overlay::ui::settings::{Grouping, SettingsStore, TimeWindow};
use eframe::App as _;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

const TEAMS: u32 = 16;
const UNITS: u32 = 3000;
const GAME_SECONDS: f64 = 7200.0;

struct Headless {
    ctx: egui::Context,
    frame: eframe::Frame,
    app: OverlayApp,
    t: f64,
}

impl Headless {
    fn new(dir: &std::path::Path) -> Headless {
        let ctx = egui::Context::default();
        let (store, settings) = SettingsStore::open(Some(dir.join("settings.toml")));
        let app = OverlayApp::new(&ctx, store, settings, Startup::default());
        Headless {
            ctx,
            frame: eframe::Frame::_new_kittest(),
            app,
            t: 0.0,
        }
    }

    /// One frame as eframe runs it: logic, the ui pass, tessellation. Returns the time taken and whether egui was
    /// asked for another frame.
    fn frame(&mut self) -> (Duration, bool) {
        self.t += 1.0 / 30.0;
        let input = egui::RawInput {
            screen_rect: Some(egui::Rect::from_min_size(
                egui::Pos2::ZERO,
                egui::vec2(440.0, 900.0),
            )),
            time: Some(self.t),
            ..Default::default()
        };
        let start = Instant::now();
        self.app.logic(&self.ctx, &mut self.frame);
        let ctx = self.ctx.clone();
        let out = ctx.run_ui(input, |ui| self.app.ui(ui, &mut self.frame));
        let prims = ctx.tessellate(out.shapes, out.pixels_per_point);
        std::hint::black_box(prims);
        let took = start.elapsed();
        let again = out
            .viewport_output
            .get(&egui::ViewportId::ROOT)
            .is_some_and(|v| v.repaint_delay < Duration::from_secs(1));
        (took, again)
    }

    /// Per frame, over `n` frames after a warm-up: the mean and 95th percentile of this thread's CPU time (so other
    /// processes on a shared machine do not count), and the 95th percentile of wall time.
    fn time(
        &mut self,
        n: usize,
        mut before: impl FnMut(&mut OverlayApp, usize),
    ) -> (f64, f64, f64) {
        for i in 0..5 {
            before(&mut self.app, i);
            self.frame();
        }
        let mut cpu = Vec::with_capacity(n);
        let mut wall = Vec::with_capacity(n);
        for i in 0..n {
            before(&mut self.app, i);
            let a = thread_cpu_ns();
            let took = self.frame().0.as_secs_f64() * 1e3;
            let b = thread_cpu_ns();
            wall.push(took);
            // Without schedstat, wall time stands in.
            cpu.push(b.zip(a).map_or(took, |(b, a)| (b - a) as f64 / 1e6));
        }
        let p95 = |v: &mut Vec<f64>| {
            v.sort_by(f64::total_cmp);
            v[(n * 95 / 100).min(n - 1)]
        };
        let mean = cpu.iter().sum::<f64>() / n as f64;
        (mean, p95(&mut cpu), p95(&mut wall))
    }
}

/// Nanoseconds this thread has run on a CPU (CLOCK_THREAD_CPUTIME_ID: exact, where /proc's schedstat is only
/// brought up to date at the scheduler's tick), `None` where there is no such clock.
#[cfg(unix)]
fn thread_cpu_ns() -> Option<u64> {
    let mut ts = libc::timespec {
        tv_sec: 0,
        tv_nsec: 0,
    };
    // SAFETY: `ts` is a valid, writable timespec for the duration of the call.
    let r = unsafe { libc::clock_gettime(libc::CLOCK_THREAD_CPUTIME_ID, &mut ts) };
    (r == 0).then(|| ts.tv_sec as u64 * 1_000_000_000 + ts.tv_nsec as u64)
}

#[cfg(not(unix))]
fn thread_cpu_ns() -> Option<u64> {
    None
}

fn main() {
    let dir = tempfile::tempdir().expect("tempdir");
    let mut rows: Vec<(String, String, String)> = Vec::new();

    // --- frame time with a two-hour, 16-team history ------------------------------------------------------------
    let mut h = Headless::new(dir.path());
    let build = Instant::now();
    let app = &mut h.app;
    bar_overlay::ui::demo::play(TEAMS, UNITS, GAME_SECONDS, 42, |e| app.handle_event(e));
    // One guard: the feed is behind the hub's mutex, and a second `feed()` in the same expression would deadlock.
    let (teams, units, seconds) = {
        let feed = h.app.feed();
        let g = feed.game();
        (g.teams.len(), g.units.len(), g.seconds)
    };
    eprintln!(
        "model: {teams} teams, {units} units, {seconds} s of game, built in {:.1} s",
        build.elapsed().as_secs_f64()
    );
    for (label, window, grouping) in [
        (
            "whole game, per player (48 lines)",
            TimeWindow::WholeGame,
            Grouping::Team,
        ),
        (
            "last 15 min, per player",
            TimeWindow::FifteenMinutes,
            Grouping::Team,
        ),
        (
            "whole game, per ally team",
            TimeWindow::WholeGame,
            Grouping::AllyTeam,
        ),
    ] {
        h.app.settings_mut().time_window = window;
        h.app.settings_mut().grouping = grouping;
        let (mean, p95, wall) = h.time(200, |_, _| {});
        rows.push((
            format!("UI frame, 2 h x 16 teams, {label}"),
            format!("CPU p95 {p95:.2} ms, mean {mean:.2} (wall p95 {wall:.2})"),
            "p95 < 4 ms CPU".into(),
        ));
    }
    // The once-a-second frame that also rebuilds the graph cache (forced here by flipping the window each frame).
    h.app.settings_mut().grouping = Grouping::Team;
    let (mean, p95, wall) = h.time(100, |app, i| {
        app.settings_mut().time_window = if i % 2 == 0 {
            TimeWindow::WholeGame
        } else {
            TimeWindow::FifteenMinutes
        };
    });
    rows.push((
        "UI frame that rebuilds all graph lines (once per game second)".into(),
        format!("CPU p95 {p95:.2} ms, mean {mean:.2} (wall p95 {wall:.2})"),
        "p95 < 4 ms CPU".into(),
    ));
    // The font atlas is one RGBA texture, kept by egui and again by the GL driver (llvmpipe: in main memory).
    let [aw, ah] = h.ctx.fonts(|f| f.font_image_size());
    rows.push((
        "Font atlas after the panels above (egui's copy; the GL driver holds another)".into(),
        format!("{aw} x {ah} = {:.1} MB", (aw * ah * 4) as f64 / 1e6),
        "-".into(),
    ));
    drop(h);

    // --- idle ---------------------------------------------------------------------------------------------------
    // egui lays a new window out over its first few frames (sizing passes); after that an idle frame must not ask
    // for another one.
    let mut idle = Headless::new(dir.path());
    for _ in 0..10 {
        idle.frame();
    }
    let asked = (0..20).filter(|_| idle.frame().1).count();
    rows.push((
        "Idle frames (no data, no input) that ask for another frame".into(),
        format!("{asked} of 20"),
        "0".into(),
    ));

    match Xvfb::start() {
        Some(x) => {
            let bin = env!("CARGO_BIN_EXE_bar-overlay");
            // CPU share over 10 s, and resident memory (all, and the part that is mapped files: GL driver, libraries).
            let cpu = |args: &[&str], tag: &str| -> Option<(f64, u64, u64)> {
                let cfg = dir.path().join(format!("{tag}.toml"));
                std::fs::write(&cfg, "renderer = \"glow\"\n").ok()?;
                let mut child = x.spawn(bin, args, &cfg)?;
                std::thread::sleep(Duration::from_secs(4));
                let a = cpu_ticks(child.id())?;
                std::thread::sleep(Duration::from_secs(10));
                let b = cpu_ticks(child.id())?;
                let rss = rss_kb(child.id()).unwrap_or(0);
                let files = status_kb(child.id(), "RssFile:").unwrap_or(0);
                stop(&mut child);
                Some((
                    (b - a) as f64 / ticks_per_second() / 10.0 * 100.0,
                    rss,
                    files,
                ))
            };
            let idle_cpu = cpu(&["--port", "0"], "idle");
            rows.push((
                "Real binary, idle, nothing connected (CPU over 10 s)".into(),
                idle_cpu.map_or("n/a".into(), |c| format!("{:.2} % of a core", c.0)),
                "~0".into(),
            ));
            rows.push((
                "Real binary RSS at start, idle (of which mapped files: GL driver, libraries)"
                    .into(),
                idle_cpu.map_or("n/a".into(), |c| {
                    format!(
                        "{:.0} MB ({:.0} MB)",
                        c.1 as f64 / 1024.0,
                        c.2 as f64 / 1024.0
                    )
                }),
                "-".into(),
            ));
            let demo_cpu = cpu(&["--demo", "--port", "0"], "demo");
            rows.push((
                "Real binary, demo game at 30 snapshots/s (software GL, for scale)".into(),
                demo_cpu.map_or("n/a".into(), |c| format!("{:.1} % of a core", c.0)),
                "-".into(),
            ));
            // The repaint policy's goal, with an earlier build beside this one when UI_BENCH_BEFORE names its binary.
            let before = std::env::var("UI_BENCH_BEFORE").ok();
            for (who, b) in before
                .as_deref()
                .map(|b| ("before (UI_BENCH_BEFORE)", b))
                .into_iter()
                .chain([("this build", bin)])
            {
                rows.push((
                    format!(
                        "Real binary ({who}), {STREAM_TEAMS}-team {STREAM_UNITS}-unit game streamed at 30 Hz, \
                         software GL: CPU of all its threads over {STREAM_SECS} s [machine load]"
                    ),
                    streaming_cpu(&x, b, dir.path()).unwrap_or_else(|| "n/a".into()),
                    "<= 10 % of a core".into(),
                ));
            }
            rows.push((
                format!("Real binary RSS after a 2 h, {TEAMS}-team game streamed in"),
                rss_after_game(&x, bin, dir.path()).unwrap_or_else(|| "n/a".into()),
                "< 120 MB".into(),
            ));
        }
        None => {
            for what in ["idle CPU", "demo CPU", "RSS after a 2 h game"] {
                rows.push((
                    format!("Real binary, {what}"),
                    "n/a (no Xvfb)".into(),
                    "".into(),
                ));
            }
        }
    }

    println!("| measure | result | goal |\n|---|---|---|");
    for (a, b, c) in rows {
        println!("| {a} | {b} | {c} |");
    }
}

const STREAM_TEAMS: u32 = 8;
const STREAM_UNITS: u32 = 1000;
const STREAM_SECS: u64 = 20;

/// The overlay's CPU (utime + stime of every thread, from /proc) while `simulate` streams an 8-team game with its
/// armies at full size (joined 7 minutes in) at 30 snapshots a second in real time, with the load average beside it
/// (a shared machine's other work slows the software rasterizer's threads, not what they have to do).
fn streaming_cpu(x: &Xvfb, bin: &str, dir: &std::path::Path) -> Option<String> {
    let port = {
        let l = std::net::TcpListener::bind("127.0.0.1:0").ok()?;
        l.local_addr().ok()?.port()
    };
    let cfg = dir.join("stream.toml");
    std::fs::write(&cfg, "renderer = \"glow\"\n").ok()?;
    let mut overlay = x.spawn(bin, &["--port", &port.to_string()], &cfg)?;
    std::thread::sleep(Duration::from_secs(3));
    let mut sim = Command::new(env!("CARGO_BIN_EXE_bar-overlay"))
        .args([
            "simulate",
            "--to",
            &format!("127.0.0.1:{port}"),
            "--teams",
            &STREAM_TEAMS.to_string(),
            "--units",
            &STREAM_UNITS.to_string(),
            "--rate",
            "30",
            "--start-at",
            "420",
        ])
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .ok()?;
    // The history (seven minutes at once) is taken in, then the game streams live.
    std::thread::sleep(Duration::from_secs(6));
    let a = cpu_ticks(overlay.id());
    let load_a = loadavg();
    std::thread::sleep(Duration::from_secs(STREAM_SECS));
    let b = cpu_ticks(overlay.id());
    let load_b = loadavg();
    stop(&mut sim);
    stop(&mut overlay);
    let share = (b? - a?) as f64 / ticks_per_second() / STREAM_SECS as f64 * 100.0;
    Some(format!(
        "{share:.1} % of a core [load {:.1} -> {:.1}]",
        load_a.unwrap_or(f64::NAN),
        load_b.unwrap_or(f64::NAN)
    ))
}

/// The one-minute load average.
fn loadavg() -> Option<f64> {
    std::fs::read_to_string("/proc/loadavg")
        .ok()?
        .split_whitespace()
        .next()?
        .parse()
        .ok()
}

/// Streams a two-hour game at max speed into the real overlay, then reads its resident memory.
fn rss_after_game(x: &Xvfb, bin: &str, dir: &std::path::Path) -> Option<String> {
    let port = {
        let l = std::net::TcpListener::bind("127.0.0.1:0").ok()?;
        l.local_addr().ok()?.port()
    };
    let cfg = dir.join("rss.toml");
    std::fs::write(&cfg, "renderer = \"glow\"\n").ok()?;
    let mut overlay = x.spawn(bin, &["--port", &port.to_string()], &cfg)?;
    std::thread::sleep(Duration::from_secs(3));
    let started = Instant::now();
    let status = Command::new(bin)
        .args([
            "simulate",
            "--to",
            &format!("127.0.0.1:{port}"),
            "--teams",
            &TEAMS.to_string(),
            "--units",
            &UNITS.to_string(),
            "--seconds",
            &GAME_SECONDS.to_string(),
            "--rate",
            "1",
            "--speed",
            "max",
        ])
        .stdout(Stdio::null())
        .status()
        .ok()?;
    // Let the overlay drain what is queued.
    std::thread::sleep(Duration::from_secs(3));
    let rss = rss_kb(overlay.id());
    let peak = hwm_kb(overlay.id());
    stop(&mut overlay);
    eprintln!(
        "streamed the 2 h game in {:.0} s (simulate: {status})",
        started.elapsed().as_secs_f64()
    );
    Some(format!(
        "{:.0} MB (peak {:.0} MB)",
        rss? as f64 / 1024.0,
        peak.unwrap_or(0) as f64 / 1024.0
    ))
}

struct Xvfb {
    child: Child,
    display: String,
}

impl Xvfb {
    fn start() -> Option<Xvfb> {
        let n = (140..180).find(|n| !std::path::Path::new(&format!("/tmp/.X{n}-lock")).exists())?;
        let display = format!(":{n}");
        let child = Command::new("Xvfb")
            .args([
                &display,
                "-screen",
                "0",
                "1280x900x24",
                "-nolisten",
                "tcp",
                "-noreset",
            ])
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .ok()?;
        std::thread::sleep(Duration::from_secs(1));
        Some(Xvfb { child, display })
    }

    fn spawn(&self, bin: &str, args: &[&str], cfg: &std::path::Path) -> Option<Child> {
        Command::new(bin)
            .args(args)
            .arg("--config")
            .arg(cfg)
            .env("DISPLAY", &self.display)
            .env_remove("WAYLAND_DISPLAY")
            .env_remove("DBUS_SESSION_BUS_ADDRESS")
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .ok()
    }
}

impl Drop for Xvfb {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn stop(child: &mut Child) {
    let _ = Command::new("kill")
        .args(["-TERM", &child.id().to_string()])
        .status();
    let deadline = Instant::now() + Duration::from_secs(10);
    while Instant::now() < deadline {
        if let Ok(Some(_)) = child.try_wait() {
            return;
        }
        std::thread::sleep(Duration::from_millis(100));
    }
    let _ = child.kill();
    let _ = child.wait();
}

/// utime + stime of a process, in clock ticks.
fn cpu_ticks(pid: u32) -> Option<u64> {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).ok()?;
    // Fields after the command name (which may contain spaces) start after the last ')'.
    let rest = &stat[stat.rfind(')')? + 2..];
    let f: Vec<&str> = rest.split_whitespace().collect();
    Some(f.get(11)?.parse::<u64>().ok()? + f.get(12)?.parse::<u64>().ok()?)
}

fn ticks_per_second() -> f64 {
    // Linux's USER_HZ is 100 on every mainstream configuration.
    100.0
}

fn status_kb(pid: u32, key: &str) -> Option<u64> {
    let s = std::fs::read_to_string(format!("/proc/{pid}/status")).ok()?;
    s.lines()
        .find(|l| l.starts_with(key))?
        .split_whitespace()
        .nth(1)?
        .parse()
        .ok()
}

fn rss_kb(pid: u32) -> Option<u64> {
    status_kb(pid, "VmRSS:")
}

fn hwm_kb(pid: u32) -> Option<u64> {
    status_kb(pid, "VmHWM:")
}
