//! The web pages' cost, as a user runs them: the real `serve` binary fed by `simulate` (16 teams, 30 snapshots a
//! second), with 0 (the baseline, same run), 1, 10 and 50 page clients following `/api/stream`; the app's CPU and
//! memory from /proc. Then the stream delay's memory: `serve --delay 600` fed 600 game seconds of a 16-team game at
//! 30 Hz (ten times faster than real time, so every message of them is still held back when the feed ends: what a
//! 600 s delay holds at game speed), beside the same feed without a delay; what is held and whether anything was
//! shown early (the queue's memory cap) is read from serve's `/api/state`, the count of snapshots from simulate.
//!
//! `cargo bench --bench web` prints markdown tables.

use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpStream;
use std::process::{Child, Command, Stdio};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::time::{Duration, Instant};

const BIN: &str = env!("CARGO_BIN_EXE_bar-overlay");

struct Serve {
    child: Child,
    port: u16,
    web: u16,
}

impl Drop for Serve {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn port_of(line: &str) -> u16 {
    line.split_whitespace()
        .find_map(|w| w.trim_end_matches('/').rsplit(':').next()?.parse().ok())
        .unwrap_or_else(|| panic!("no port in {line:?}"))
}

fn serve(extra: &[&str]) -> Serve {
    let mut child = Command::new(BIN)
        .args(["serve", "--port", "0", "--web-port", "0"])
        .args(extra)
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .expect("serve");
    let mut err = BufReader::new(child.stderr.take().expect("stderr"));
    let (mut a, mut b) = (String::new(), String::new());
    err.read_line(&mut a).expect("line");
    err.read_line(&mut b).expect("line");
    std::thread::spawn(move || for _ in err.lines() {});
    Serve {
        child,
        port: port_of(&a),
        web: port_of(&b),
    }
}

fn simulate(port: u16, seconds: u32, speed: &str, units: u32) -> Child {
    Command::new(BIN)
        .args(["simulate", "--to", &format!("127.0.0.1:{port}")])
        .args([
            "--teams",
            "16",
            "--rate",
            "30",
            "--units",
            &units.to_string(),
        ])
        .args(["--seconds", &seconds.to_string(), "--speed", speed])
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .expect("simulate")
}

fn cpu_ticks(pid: u32) -> u64 {
    let Ok(stat) = std::fs::read_to_string(format!("/proc/{pid}/stat")) else {
        return 0;
    };
    let Some(i) = stat.rfind(')') else { return 0 };
    let f: Vec<&str> = stat[i + 2..].split_whitespace().collect();
    let n = |k: usize| f.get(k).and_then(|v| v.parse::<u64>().ok()).unwrap_or(0);
    n(11) + n(12)
}

fn rss_kb(pid: u32) -> u64 {
    std::fs::read_to_string(format!("/proc/{pid}/status"))
        .ok()
        .and_then(|s| {
            s.lines()
                .find(|l| l.starts_with("VmRSS:"))
                .and_then(|l| l.split_whitespace().nth(1)?.parse().ok())
        })
        .unwrap_or(0)
}

/// A page client: follows /api/stream, counting events and bytes, until `stop`.
fn client(web: u16, stop: Arc<AtomicBool>, events: Arc<AtomicU64>, bytes: Arc<AtomicU64>) {
    std::thread::spawn(move || {
        let Ok(mut s) = TcpStream::connect(("127.0.0.1", web)) else {
            return;
        };
        let _ = s.set_read_timeout(Some(Duration::from_millis(500)));
        let _ = write!(s, "GET /api/stream HTTP/1.1\r\nHost: bench\r\n\r\n");
        let mut buf = vec![0u8; 1 << 16];
        while !stop.load(Ordering::Relaxed) {
            match s.read(&mut buf) {
                Ok(0) => return,
                Ok(n) => {
                    bytes.fetch_add(n as u64, Ordering::Relaxed);
                    let k = buf[..n]
                        .windows(13)
                        .filter(|w| w == b"event: update")
                        .count();
                    events.fetch_add(k as u64, Ordering::Relaxed);
                }
                Err(e)
                    if e.kind() == std::io::ErrorKind::WouldBlock
                        || e.kind() == std::io::ErrorKind::TimedOut => {}
                Err(_) => return,
            }
        }
    });
}

fn clients_table() {
    const SECONDS: u64 = 15;
    println!(
        "\n### Page clients (serve + simulate: 16 teams, 600 units, 30 snapshots/s; {SECONDS} s per row)\n"
    );
    println!(
        "| page clients | serve CPU (% of one core) | per client updates/s | per client KB/s | serve RSS MB |"
    );
    println!("|---:|---:|---:|---:|---:|");
    for n in [0usize, 1, 10, 50] {
        let srv = serve(&[]);
        let mut sim = simulate(srv.port, 600, "1", 600);
        // Warm up: the game running, clients connected and caught up.
        std::thread::sleep(Duration::from_secs(3));
        let stop = Arc::new(AtomicBool::new(false));
        let events = Arc::new(AtomicU64::new(0));
        let bytes = Arc::new(AtomicU64::new(0));
        for _ in 0..n {
            client(srv.web, stop.clone(), events.clone(), bytes.clone());
        }
        std::thread::sleep(Duration::from_secs(2));
        let (e0, b0) = (
            events.load(Ordering::Relaxed),
            bytes.load(Ordering::Relaxed),
        );
        let pid = srv.child.id();
        let t0 = cpu_ticks(pid);
        let start = Instant::now();
        std::thread::sleep(Duration::from_secs(SECONDS));
        let secs = start.elapsed().as_secs_f64();
        let cpu = (cpu_ticks(pid) - t0) as f64 / 100.0 / secs * 100.0;
        let per = |v: u64| {
            if n == 0 {
                0.0
            } else {
                v as f64 / n as f64 / secs
            }
        };
        let ev = per(events.load(Ordering::Relaxed) - e0);
        let kb = per(bytes.load(Ordering::Relaxed) - b0) / 1024.0;
        println!(
            "| {n} | {cpu:.1} | {} | {} | {:.1} |",
            if n == 0 {
                "-".into()
            } else {
                format!("{ev:.1}")
            },
            if n == 0 {
                "-".into()
            } else {
                format!("{kb:.0}")
            },
            rss_kb(pid) as f64 / 1024.0
        );
        stop.store(true, Ordering::Relaxed);
        let _ = sim.kill();
        let _ = sim.wait();
    }
}

/// `/api/state` as JSON (the delay's queue and early count are in its status).
fn api_state(web: u16) -> serde_json::Value {
    let Ok(mut s) = TcpStream::connect(("127.0.0.1", web)) else {
        return serde_json::Value::Null;
    };
    let _ = s.set_read_timeout(Some(Duration::from_secs(10)));
    let _ = write!(
        s,
        "GET /api/state HTTP/1.1\r\nHost: bench\r\nConnection: close\r\n\r\n"
    );
    let mut text = String::new();
    let _ = s.read_to_string(&mut text);
    text.split_once("\r\n\r\n")
        .and_then(|(_, body)| serde_json::from_str(body).ok())
        .unwrap_or(serde_json::Value::Null)
}

fn delay_table() {
    const GAME_SECONDS: u32 = 600;
    println!(
        "\n### Stream delay memory (16 teams, 1000 units, 30 snapshots/s: {GAME_SECONDS} game seconds fed at 10x game \
         speed, so `--delay 600` holds every message of them)\n"
    );
    println!(
        "| serve | snapshots fed | feed wall s | held back | shown early | serve CPU s | RSS at start MB | RSS after MB |"
    );
    println!("|---|---:|---:|---:|---:|---:|---:|---:|");
    for (name, args) in [
        ("no delay", vec![]),
        ("--delay 600", vec!["--delay", "600"]),
    ] {
        let srv = serve(&args);
        let pid = srv.child.id();
        let start_rss = rss_kb(pid);
        let t0 = cpu_ticks(pid);
        let start = Instant::now();
        // Runs to its end: every snapshot of the game sent, and simulate's own count of them.
        let out = simulate(srv.port, GAME_SECONDS, "10", 1000)
            .wait_with_output()
            .expect("simulate");
        let wall = start.elapsed().as_secs_f64();
        let stdout = String::from_utf8_lossy(&out.stdout);
        let fed = stdout
            .split(" snapshots")
            .next()
            .and_then(|h| h.rsplit(' ').next())
            .unwrap_or("?")
            .to_owned();
        // What serve has received it has applied or queued by now.
        std::thread::sleep(Duration::from_secs(1));
        let state = api_state(srv.web);
        let status = &state["status"];
        let num = |v: &serde_json::Value| v.as_u64().map_or("-".to_owned(), |n| n.to_string());
        println!(
            "| {name} | {fed} | {wall:.0} | {} | {} | {:.1} | {:.1} | {:.1} |",
            num(&status["delay_queued"]),
            num(&status["delay_early"]),
            (cpu_ticks(pid) - t0) as f64 / 100.0,
            start_rss as f64 / 1024.0,
            rss_kb(pid) as f64 / 1024.0
        );
    }
}

fn main() {
    // `cargo bench` passes --bench; `cargo test --benches` runs this without it: do nothing then.
    if !std::env::args().any(|a| a == "--bench") {
        return;
    }
    // `cargo bench --bench web -- clients` (or `delay`): one table only.
    let only = std::env::args()
        .skip(1)
        .find(|a| a == "clients" || a == "delay");
    if only.as_deref() != Some("delay") {
        clients_table();
    }
    if only.as_deref() != Some("clients") {
        delay_table();
    }
}
