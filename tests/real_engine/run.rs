//! Runs the LiveTest game in the real engine (`tests/engine/run.sh`) with the real widget, while a real receiver
//! listens on an ephemeral port of 127.0.0.1 in this process.

use bar_overlay::receiver::{Receiver, ReceiverConfig, ReceiverEvent};
use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Mode {
    /// The host is a spectator with full view; NullAI plays both teams.
    Spectator,
    /// The host plays team 0 (ally team 0) under fog of war against a NullAI team.
    Player,
}

impl Mode {
    pub fn name(self) -> &'static str {
        match self {
            Mode::Spectator => "spectator",
            Mode::Player => "player",
        }
    }
}

/// One run of the game.
#[derive(Debug, Clone, Copy)]
pub struct Opts<'a> {
    pub mode: Mode,
    pub secs: u32,
    /// Idle tanks per team (high unit counts for cost measurements).
    pub extra: u32,
    /// Structures per team (three solars to a radar tower; cost measurements).
    pub structures: u32,
    /// The engine's `TCPAllowConnect` setting, or `*`.
    pub allow_connect: Option<&'a str>,
    /// The widget file to install, or `widget_file()`.
    pub widget_path: Option<&'a Path>,
    /// The widget's detail level, or its default.
    pub detail: Option<&'a str>,
    /// Install the widget (false: the game alone, a baseline).
    pub widget: bool,
    /// Install the cost probes (`[LiveProbe]` lines).
    pub probe: bool,
    /// The widget's `budgetMs` (0: never throttle), or its default.
    pub budget_ms: Option<f64>,
    /// Appended to the run's directory name.
    pub tag: &'a str,
}

impl Opts<'_> {
    pub fn new(mode: Mode, secs: u32) -> Opts<'static> {
        Opts {
            mode,
            secs,
            extra: 0,
            structures: 0,
            allow_connect: None,
            widget_path: None,
            detail: None,
            widget: true,
            probe: false,
            budget_ms: None,
            tag: "",
        }
    }
}

pub struct Run {
    pub mode: Mode,
    pub events: Vec<ReceiverEvent>,
    pub infolog: String,
    pub out: PathBuf,
    pub wall: Duration,
}

fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

/// The widget under test: the project's, or `LIVETEST_WIDGET` (to compare another version in the same game).
pub fn widget_file() -> PathBuf {
    std::env::var_os("LIVETEST_WIDGET")
        .map(PathBuf::from)
        .unwrap_or_else(|| root().join("widget/export_livedata.lua"))
}

/// The engine binary (`SPRING` overrides). Fails, never skips, when it is missing.
pub fn spring_headless() -> PathBuf {
    let path = std::env::var_os("SPRING")
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from("/usr/games/spring-headless"));
    assert!(
        path.is_file(),
        "the real-engine tests need {} (Debian's `spring` package): run ./scripts/test, which installs it, \
         or `apt-get install --no-install-recommends spring`",
        path.display()
    );
    path
}

fn tail(path: &Path, lines: usize) -> String {
    match std::fs::read(path) {
        Ok(bytes) => {
            let text = String::from_utf8_lossy(&bytes);
            let all: Vec<&str> = text.lines().collect();
            all[all.len().saturating_sub(lines)..].join("\n")
        }
        Err(e) => format!("({} unreadable: {e})", path.display()),
    }
}

/// Plays the game as `opts` say and returns what the receiver saw and the engine's log. Panics with one line and
/// the tail of the engine's log when the engine does not run cleanly.
pub fn run_game(opts: Opts<'_>) -> Run {
    let Opts {
        mode,
        secs,
        extra,
        structures,
        allow_connect,
        widget_path,
        detail,
        widget,
        probe,
        budget_ms,
        tag,
    } = opts;
    let spring = spring_headless();
    let out = PathBuf::from(env!("CARGO_TARGET_TMPDIR"))
        .join("engine")
        .join(format!("{}{tag}", mode.name()));
    let _ = std::fs::remove_dir_all(&out);
    std::fs::create_dir_all(&out).expect("create the run's directory");

    let mut config = ReceiverConfig::new("127.0.0.1:0".parse().expect("address"));
    config.keep_raw = true;
    let (receiver, mut rx) = Receiver::start(config, || {}).expect("the receiver starts");
    let port = receiver.local_addr().port();

    // Drain concurrently, so the widget never waits on us; keep the stream as a user's `record` would.
    let closed = Arc::new(AtomicBool::new(false));
    let closed_w = closed.clone();
    let stream_path = out.join("stream.ndjson");
    let drain = std::thread::spawn(move || {
        let mut file = std::io::BufWriter::new(
            std::fs::File::create(&stream_path).expect("create stream.ndjson"),
        );
        let mut events = Vec::new();
        while let Some(ev) = rx.blocking_recv() {
            if let ReceiverEvent::Message { raw: Some(raw), .. } = &ev {
                let _ = file.write_all(raw);
                let _ = file.write_all(b"\n");
            }
            if matches!(ev, ReceiverEvent::Disconnected { .. }) {
                closed_w.store(true, Ordering::SeqCst);
            }
            events.push(ev);
        }
        let _ = file.flush();
        events
    });

    // Only a guard against a hung engine, never a speed check: the engine slows the game down when the CPU cannot
    // keep up (thousands of moving extra tanks run at a few times real speed on a loaded 2-core machine), and the
    // 90-second player game took over 240 s beside two busy loops and two builds (load 9, the test at nice 19).
    let timeout = 600 + secs * 4 + (extra + structures) / 5;
    let started = Instant::now();
    let result = Command::new("bash")
        .arg(root().join("tests/engine/run.sh"))
        .arg(&out)
        .arg(mode.name())
        .arg(secs.to_string())
        .env(
            "WIDGET",
            if widget {
                widget_path.map_or_else(widget_file, Path::to_path_buf)
            } else {
                PathBuf::new()
            },
        )
        .env("PROBE", if probe { "1" } else { "0" })
        .env(
            "BUDGET",
            budget_ms.map(|b| b.to_string()).unwrap_or_default(),
        )
        .env("NETNS", "0")
        .env("PORT", port.to_string())
        .env("EXTRA", extra.to_string())
        .env("STRUCTURES", structures.to_string())
        .env("ALLOW_CONNECT", allow_connect.unwrap_or("*"))
        .env("DETAIL", detail.unwrap_or(""))
        .env("TIMEOUT", timeout.to_string())
        .env("SPRING", &spring)
        .output()
        .expect("run tests/engine/run.sh with bash");
    let wall = started.elapsed();
    let _ = std::fs::write(
        out.join("run.log"),
        [&result.stdout[..], &result.stderr[..]].concat(),
    );

    // The widget says bye and closes when the engine quits; give the last lines a moment.
    let deadline = Instant::now()
        + if result.status.success() {
            Duration::from_secs(5)
        } else {
            Duration::ZERO
        };
    while !closed.load(Ordering::SeqCst) && Instant::now() < deadline {
        std::thread::sleep(Duration::from_millis(20));
    }
    receiver.stop();
    let events = drain.join().expect("the drain thread");

    let infolog_path = out.join("infolog.txt");
    if !result.status.success() {
        let code = result.status.code().unwrap_or(-1);
        let why = match code {
            124 | 137 => format!("hit the hard timeout of {timeout} s"),
            3 => "left no infolog.txt (it did not start)".to_string(),
            _ => format!("exited with status {code}"),
        };
        let log = if infolog_path.is_file() {
            infolog_path.clone()
        } else {
            out.join("spring.out")
        };
        panic!(
            "{}: the engine {why}; see {}\n--- run.sh ---\n{}{}\n--- last 40 lines of {} ---\n{}",
            mode.name(),
            out.display(),
            String::from_utf8_lossy(&result.stdout),
            String::from_utf8_lossy(&result.stderr),
            log.display(),
            tail(&log, 40)
        );
    }
    let infolog = std::fs::read(&infolog_path)
        .map(|b| String::from_utf8_lossy(&b).into_owned())
        .unwrap_or_else(|e| panic!("read {}: {e}", infolog_path.display()));
    Run {
        mode,
        events,
        infolog,
        out,
        wall,
    }
}
