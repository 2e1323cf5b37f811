//! `bar-overlay replay FILE --to HOST:PORT`: send a recording back out with its original game-time pacing.

use super::Background;
use super::Speed;
use super::sender::Link;
use crate::ingest::{self, ItemKind};
use crate::protocol::{self, Message, Parsed};
use anyhow::Context;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct ReplayReport {
    pub lines_sent: u64,
    pub lines_skipped: u64,
    pub connections: u64,
}

/// What `bar-overlay replay` sends, and where.
#[derive(Debug, Clone)]
pub struct ReplayConfig {
    pub file: PathBuf,
    pub to: String,
    pub speed: Speed,
    /// Sent in every hello, for a reader started with `--token`.
    pub token: Option<String>,
}

/// Sends the whole recording in this thread and says what was sent.
pub fn run_and_report(cfg: &ReplayConfig) -> anyhow::Result<()> {
    let r = run(
        &cfg.file,
        &cfg.to,
        cfg.speed,
        cfg.token.as_deref(),
        &AtomicBool::new(false),
    )?;
    println!(
        "replayed {} lines ({} unreadable lines skipped)",
        r.lines_sent, r.lines_skipped
    );
    Ok(())
}

/// Replays on its own thread (the window's `--replay`; `token`: the window's token setting, so that its own replay
/// gets into a token-protected listener).
pub fn spawn(
    file: PathBuf,
    to: String,
    speed: Speed,
    token: Option<String>,
) -> anyhow::Result<Background<ReplayReport>> {
    // Fail now, in the caller's hands, if the file cannot be read.
    std::fs::File::open(&file).with_context(|| format!("cannot read {}", file.display()))?;
    Background::spawn("bar-overlay-replay", move |stop| {
        run(&file, &to, speed, token.as_deref(), stop)
    })
}

/// A recorded hello as it goes out (without its newline): read whole, and with a `token` re-encoded like the relay's
/// hello (the fields of this protocol version, the token ours); without one, as it was recorded.
fn hello_to_send(raw: &[u8], token: Option<&str>) -> Result<Vec<u8>, protocol::ParseError> {
    match (protocol::parse_line(raw)?, token) {
        (
            Parsed::Message {
                msg: Message::Hello(mut h),
                ..
            },
            Some(t),
        ) => {
            h.token = Some(t.to_owned());
            let mut line = protocol::encode_line(&Message::Hello(h));
            line.pop();
            Ok(line)
        }
        _ => Ok(raw.to_vec()),
    }
}

/// With a `token`, every hello goes out carrying it (in place of any the recording holds), as the widget's `token`
/// setting sends it; without one the recording's lines go out as they are.
pub fn run(
    file: &Path,
    to: &str,
    speed: Speed,
    token: Option<&str>,
    stop: &AtomicBool,
) -> anyhow::Result<ReplayReport> {
    let reader =
        std::fs::File::open(file).with_context(|| format!("cannot read {}", file.display()))?;
    let mut link = Link::new(to)?;
    let mut report = ReplayReport::default();
    let mut last_hello: Option<Vec<u8>> = None;
    let mut clock: Option<(Instant, u32)> = None;
    let mut line = Vec::new();
    // Lines are read on every core ahead of the one being sent (`--speed max` goes as fast as that allows). A line is
    // only peeked at (type, version, frame, and that it is JSON): the listener judges the rest, as it judged the
    // game's own line when it was recorded. A hello is read whole, to be re-sent to a new listener.
    ingest::for_each(
        reader,
        ingest::parse_threads(),
        protocol::peek_line,
        |item| {
            if stop.load(Ordering::Relaxed) {
                return false;
            }
            let n = item.number;
            line.clear();
            line.extend_from_slice(item.line);
            let frame = match item.kind {
                ItemKind::Blank => return true,
                ItemKind::TooLong(bytes) => {
                    tracing::warn!(
                        "{} line {n}: {bytes} bytes, over the {}-byte line cap; skipped",
                        file.display(),
                        protocol::MAX_LINE_BYTES
                    );
                    report.lines_skipped += 1;
                    return true;
                }
                ItemKind::Parsed(Ok(peeked)) if peeked.kind == "hello" => {
                    match hello_to_send(item.line, token) {
                        Ok(hello) => {
                            line = hello;
                            last_hello = Some(line.clone());
                        }
                        Err(e) => {
                            tracing::warn!("{} line {n}: {e}; skipped", file.display());
                            report.lines_skipped += 1;
                            return true;
                        }
                    }
                    peeked.game_frame
                }
                ItemKind::Parsed(Ok(peeked)) => peeked.game_frame,
                ItemKind::Parsed(Err(e)) => {
                    tracing::warn!("{} line {n}: {e}; skipped", file.display());
                    report.lines_skipped += 1;
                    return true;
                }
            };
            if let (Some(frame), Speed::Factor(x)) = (frame, speed) {
                let (t0, f0) = *clock.get_or_insert((Instant::now(), frame));
                if frame < f0 {
                    // A new game in the same file: restart the clock.
                    clock = Some((Instant::now(), frame));
                } else {
                    let due = t0 + Duration::from_secs_f64(f64::from(frame - f0) / 30.0 / x);
                    while Instant::now() < due && !stop.load(Ordering::Relaxed) {
                        std::thread::sleep((due - Instant::now()).min(Duration::from_millis(50)));
                    }
                }
            }
            line.push(b'\n');
            loop {
                if link.poll_connect() {
                    // A new listener hears the game described first.
                    if let Some(h) = &last_hello
                        && !line.starts_with(br#"{"type":"hello""#)
                    {
                        link.send(h);
                        link.send(b"\n");
                    }
                }
                if link.send(&line) {
                    report.lines_sent += 1;
                    return true;
                }
                if stop.load(Ordering::Relaxed) {
                    return false;
                }
                std::thread::sleep(
                    link.retry_after()
                        .clamp(Duration::from_millis(10), Duration::from_millis(100)),
                );
            }
        },
    )
    .with_context(|| format!("cannot read {}", file.display()))?;
    report.connections = link.connections;
    Ok(report)
}
