//! Helpers shared by the integration tests.
#![allow(dead_code)]

pub mod browser;
pub mod report;
pub mod serve;

use bar_overlay::protocol::{self, Message, Parsed};
use bar_overlay::receiver::ReceiverEvent;
use std::path::PathBuf;
use std::time::{Duration, Instant};
use tokio::sync::mpsc;

pub fn data(name: &str) -> String {
    let path = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("tests/data")
        .join(name);
    std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("read {}: {e}", path.display()))
}

/// The messages of a golden file.
pub fn golden(name: &str) -> Vec<Message> {
    data(name)
        .lines()
        .filter(|l| !l.trim().is_empty())
        .map(|l| match protocol::parse_line(l.as_bytes()) {
            Ok(Parsed::Message { msg, .. }) => msg,
            other => panic!("{name}: {other:?}"),
        })
        .collect()
}

/// Waits for the next receiver event, failing the test after `secs`.
pub fn next_event(rx: &mut mpsc::Receiver<ReceiverEvent>, secs: u64) -> ReceiverEvent {
    let deadline = Instant::now() + Duration::from_secs(secs);
    loop {
        match rx.try_recv() {
            Ok(ev) => return ev,
            Err(mpsc::error::TryRecvError::Empty) if Instant::now() < deadline => {
                std::thread::sleep(Duration::from_millis(2))
            }
            Err(e) => panic!("no receiver event within {secs} s: {e}"),
        }
    }
}

/// Collects events until `done` says so, failing after `secs`.
pub fn events_until(
    rx: &mut mpsc::Receiver<ReceiverEvent>,
    secs: u64,
    mut done: impl FnMut(&[ReceiverEvent]) -> bool,
) -> Vec<ReceiverEvent> {
    let mut out = Vec::new();
    let deadline = Instant::now() + Duration::from_secs(secs);
    while !done(&out) {
        let left = deadline
            .saturating_duration_since(Instant::now())
            .as_secs()
            .max(1);
        assert!(
            Instant::now() < deadline,
            "timed out; events so far: {out:#?}"
        );
        out.push(next_event(rx, left));
    }
    out
}

/// The real binary.
pub const BIN: &str = env!("CARGO_BIN_EXE_bar-overlay");

/// Runs the real binary to its end.
pub fn run(args: &[&str]) -> std::process::Output {
    std::process::Command::new(BIN)
        .args(args)
        .output()
        .expect("run bar-overlay")
}

/// Streams a simulated game to the listener on `port` (`simulate --to 127.0.0.1:PORT ARGS...`) to its end; a failure
/// shows the simulator's error.
pub fn simulate_to(port: u16, args: &[&str]) -> std::process::Output {
    let to = format!("127.0.0.1:{port}");
    let out = run(&[&["simulate", "--to", to.as_str()], args].concat());
    assert!(
        out.status.success(),
        "simulate: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    out
}

/// The port in a `listening on ADDR ...` line (the first line on stderr of every listening command).
pub fn port_in(line: &str) -> Option<u16> {
    line.trim()
        .strip_prefix("listening on ")?
        .split_whitespace()
        .next()?
        .rsplit(':')
        .next()?
        .parse()
        .ok()
}

/// Starts the real binary with `args` (which listen on port 0) and returns it with the port its first stderr line
/// names. The rest of stderr, and stdout, stay in `child` to be read (both are pipes).
pub fn spawn_listening(args: &[&str]) -> (std::process::Child, u16) {
    use std::io::BufRead;
    let mut child = std::process::Command::new(BIN)
        .args(args)
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .expect("spawn bar-overlay");
    let mut line = String::new();
    std::io::BufReader::new(child.stderr.as_mut().expect("stderr"))
        .read_line(&mut line)
        .expect("read stderr");
    let port = port_in(&line).unwrap_or_else(|| panic!("no port in {line:?}"));
    (child, port)
}
