//! SIGTERM and Ctrl-C end the real binary's headless receivers within 3 s under any load: `listen` during a flood of
//! 3000 idle and garbage connections plus a game at full speed, `record` while peers stream lines far over the 8 MiB
//! cap; and `record` keeps every whole line it had. (The window's turn is in scripts/hardening, under Xvfb.)
//!
//! Needs `python3` for the flood (tests/harden/flood.py).

use bar_overlay::protocol::{self, Parsed};
use std::io::{BufRead, BufReader};
use std::process::{Child, Command, ExitStatus, Stdio};
use std::sync::mpsc;
use std::time::{Duration, Instant};

const BIN: &str = env!("CARGO_BIN_EXE_bar-overlay");

/// The bound the issue sets, from the signal to the process being gone.
const LIMIT: Duration = Duration::from_secs(3);

struct Running {
    child: Child,
    port: u16,
    stderr: std::thread::JoinHandle<String>,
}

/// Starts a listening command on port 0; its stderr is read on a thread (a flood makes it log, and a full pipe would
/// block it), the first line giving the port.
fn spawn_listening(args: &[&str]) -> Running {
    let mut child = Command::new(BIN)
        .args(args)
        .args(["--port", "0"])
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .expect("spawn bar-overlay");
    let stderr = child.stderr.take().expect("stderr");
    let (tx, rx) = mpsc::channel();
    let stderr = std::thread::spawn(move || {
        let mut all = String::new();
        for line in BufReader::new(stderr).lines() {
            let Ok(line) = line else { break };
            if all.is_empty() {
                let _ = tx.send(line.clone());
            }
            all.push_str(&line);
            all.push('\n');
        }
        all
    });
    let first = rx
        .recv_timeout(Duration::from_secs(20))
        .expect("a first line on stderr");
    let port = crate::common::port_in(&first).unwrap_or_else(|| panic!("no port in {first:?}"));
    Running {
        child,
        port,
        stderr,
    }
}

fn flood(port: u16, count: u32, extra: &[&str]) -> Child {
    Command::new("python3")
        .arg(concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/tests/harden/flood.py"
        ))
        .args(["127.0.0.1".to_owned(), port.to_string()])
        .args(["--count", &count.to_string(), "--seconds", "40"])
        .args(extra)
        .stdout(Stdio::piped())
        .spawn()
        .expect("python3 is needed for the flood (scripts/test installs what the tests need)")
}

fn simulate(port: u16) -> Child {
    Command::new(BIN)
        .args(["simulate", "--to", &format!("127.0.0.1:{port}")])
        .args(["--speed", "max", "--seconds", "7200", "--teams", "16"])
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("spawn simulate")
}

/// Sends `signal` and waits for the process to end; returns how long it took and how it ended.
fn stop(child: &mut Child, signal: &str) -> (Duration, ExitStatus) {
    let sent = Instant::now();
    let ok = Command::new("kill")
        .args([&format!("-{signal}"), &child.id().to_string()])
        .status()
        .expect("kill")
        .success();
    assert!(ok, "kill -{signal}");
    loop {
        if let Some(status) = child.try_wait().expect("wait") {
            return (sent.elapsed(), status);
        }
        if sent.elapsed() > Duration::from_secs(15) {
            let _ = child.kill();
            panic!("still running 15 s after SIG{signal}");
        }
        std::thread::sleep(Duration::from_millis(10));
    }
}

fn end(mut c: Child) {
    let _ = c.kill();
    let _ = c.wait();
}

/// One test, the cases one after another: each loads the machine (a flood, a game at full speed), and running them
/// side by side would measure the machine rather than the binary.
#[test]
fn sigterm_and_ctrl_c_end_listen_and_record_within_3_s_under_load() {
    listen_during_a_flood();
    record_during_giant_lines();
}

fn listen_during_a_flood() {
    for signal in ["TERM", "INT"] {
        let mut listen = spawn_listening(&["listen"]);
        let crowd = flood(listen.port, 3000, &[]);
        let game = simulate(listen.port);
        std::thread::sleep(Duration::from_secs(5));
        assert!(
            listen.child.try_wait().expect("wait").is_none(),
            "listen died under the flood"
        );
        let (took, status) = stop(&mut listen.child, signal);
        end(crowd);
        end(game);
        let log = listen.stderr.join().expect("stderr");
        eprintln!("listen, SIG{signal} during a flood: gone in {took:?}");
        assert!(took < LIMIT, "SIG{signal}: {took:?}\n{log}");
        assert!(status.success(), "SIG{signal}: {status}\n{log}");
        assert!(
            log.contains("connections open (the limit)"),
            "the cap said so in the log:\n{log}"
        );
        assert!(!log.contains("panicked"), "{log}");
    }
}

fn record_during_giant_lines() {
    let dir = tempfile::tempdir().expect("tempdir");
    let file = dir.path().join("game.ndjson");
    let mut record = spawn_listening(&["record", file.to_str().expect("path")]);
    let game = simulate(record.port);
    // A few peers each streaming a line that never ends, far past the cap, next to the game.
    let mut giants = flood(record.port, 8, &["--giant-every", "1", "--bad-every", "0"]);
    std::thread::sleep(Duration::from_secs(5));
    assert!(
        giants.try_wait().expect("wait").is_none(),
        "the flood ended early"
    );
    let (took, status) = stop(&mut record.child, "TERM");
    let _ = Command::new("kill").arg(giants.id().to_string()).status();
    let out = giants.wait_with_output().expect("flood");
    end(game);
    let log = record.stderr.join().expect("stderr");
    eprintln!("record, SIGTERM during giant lines: gone in {took:?}");
    assert!(took < LIMIT, "{took:?}\n{log}");
    assert!(status.success(), "{status}\n{log}");
    let text = std::fs::read_to_string(&file).expect("recording");
    assert!(text.ends_with('\n'), "the recording ends on a whole line");
    let lines: Vec<&str> = text.lines().collect();
    assert!(lines.len() > 30, "{} lines recorded", lines.len());
    for (i, l) in lines.iter().enumerate() {
        assert!(
            matches!(
                protocol::parse_line(l.as_bytes()),
                Ok(Parsed::Message { .. })
            ),
            "line {} of the recording is not a whole valid message",
            i + 1
        );
    }
    let giants: serde_json::Value = serde_json::from_slice(&out.stdout).expect("flood stats");
    assert!(
        giants["bytes_sent"].as_u64().unwrap_or(0) > 16 << 20,
        "the giant lines were streaming: {giants}"
    );
}
