//! How fast recordings are read: the real binary's `summary` and `replay --speed max` beside Python's `json.loads`
//! over the same file, in the same run. Goal: `summary` and `replay` at least 10x `json.loads`.
//!
//! `cargo bench --bench ingest` writes a recording (a simulated game as `record` would store it), then measures:
//! - python3: `json.loads` of every line (the plain baseline: parse only, no model);
//! - `bar-overlay summary FILE` (parse, model, report) and `bar-overlay replay FILE --to SINK --speed max` (parse,
//!   send over TCP to a reader that discards), run as a user runs them, timed by Python (wall and CPU of the child);
//! - in-process, one thread: `protocol::parse_line` alone, and parse + `Game::apply`.
//!
//! Sizes: `INGEST_TEAMS`, `INGEST_UNITS`, `INGEST_SECONDS` (default 16 teams, 2000 units, 300 s at 30 snapshots/s).
//! Each command runs `INGEST_RUNS` times (default 3) and its fastest run is reported (the others' load on a shared
//! machine only ever slows a run down).

use bar_overlay::model::Game;
use bar_overlay::protocol::{self, Detail, Parsed};
use bar_overlay::senders::simulate::{Encoder, World};
use std::io::{BufRead, BufReader, Read, Write};
use std::process::Command;
use std::time::Instant;

const PY: &str = r#"
import json, resource, subprocess, sys, time

def child(args):
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    t = time.perf_counter()
    out = subprocess.run(args, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    wall = time.perf_counter() - t
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    if out.returncode != 0:
        sys.exit(f"{args[1]} failed: {out.stderr.decode()}")
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    return wall, cpu

what, path = sys.argv[1], sys.argv[2]
if what == "json":
    t, c = time.perf_counter(), time.process_time()
    n = 0
    with open(path, "rb") as f:
        for line in f:
            if line.strip():
                json.loads(line)
                n += 1
    print(time.perf_counter() - t, time.process_time() - c)
else:
    print(*child(sys.argv[3:]))
"#;

fn env_u32(key: &str, default: u32) -> u32 {
    std::env::var(key)
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

/// A recording as `record` stores it: hello, then a snapshot every game frame (30 a second).
fn write_recording(path: &std::path::Path, teams: u32, units: u32, seconds: u32) -> u64 {
    let mut out = std::io::BufWriter::new(std::fs::File::create(path).expect("create recording"));
    let mut world = World::new(7, teams, units, f64::from(seconds) * 3.0);
    let mut enc = Encoder::new(Detail::Standard, 30.0, 7);
    out.write_all(&protocol::encode_line(&enc.hello(&world)))
        .expect("write");
    while world.frame < seconds * 30 {
        world.step();
        out.write_all(&protocol::encode_line(&enc.snapshot(&mut world)))
            .expect("write");
    }
    out.flush().expect("flush");
    std::fs::metadata(path).map(|m| m.len()).unwrap_or(0)
}

/// Runs the Python helper `RUNS` times; returns the fastest run's (wall, cpu) seconds. On a shared machine a run
/// can only be slowed by the others' load, never sped up, so the fastest is the closest to the program's own cost.
fn python(args: &[&str]) -> Option<(f64, f64)> {
    fastest(|| python_once(args))
}

/// The fastest (by wall time) of `RUNS` runs of `run`; none if any run failed.
fn fastest(mut run: impl FnMut() -> Option<(f64, f64)>) -> Option<(f64, f64)> {
    (0..*RUNS)
        .map(|_| run())
        .collect::<Option<Vec<_>>>()?
        .into_iter()
        .min_by(|a, b| a.0.total_cmp(&b.0))
}

/// The baseline's interpreter: `INGEST_PYTHON`, else the system's `/usr/bin/python3` where there is one (Debian's is
/// built with profile-guided optimization; a pyenv build first on `PATH` was 1.5x slower on the same file, which
/// would flatter every ratio), else `python3`.
static PYTHON: std::sync::LazyLock<String> = std::sync::LazyLock::new(|| {
    std::env::var("INGEST_PYTHON").unwrap_or_else(|_| {
        if std::path::Path::new("/usr/bin/python3").exists() {
            "/usr/bin/python3".into()
        } else {
            "python3".into()
        }
    })
});

/// Runs of each measurement (`INGEST_RUNS`, default 3).
static RUNS: std::sync::LazyLock<u32> =
    std::sync::LazyLock::new(|| env_u32("INGEST_RUNS", 3).max(1));

fn python_once(args: &[&str]) -> Option<(f64, f64)> {
    let out = Command::new(&*PYTHON)
        .arg("-c")
        .arg(PY)
        .args(args)
        .output()
        .ok()?;
    if !out.status.success() {
        eprintln!("{}", String::from_utf8_lossy(&out.stderr));
        return None;
    }
    let text = String::from_utf8_lossy(&out.stdout);
    let mut it = text.split_whitespace().map(|v| v.parse::<f64>().ok());
    Some((it.next()??, it.next()??))
}

/// A TCP reader that takes everything `replay` sends and throws it away (as fast as a local overlay would read).
fn sink() -> (u16, std::thread::JoinHandle<u64>) {
    let l = std::net::TcpListener::bind("127.0.0.1:0").expect("bind sink");
    let port = l.local_addr().expect("addr").port();
    let h = std::thread::spawn(move || {
        let Ok((mut s, _)) = l.accept() else { return 0 };
        let mut buf = vec![0u8; 1 << 20];
        let mut total = 0u64;
        while let Ok(n) = s.read(&mut buf) {
            if n == 0 {
                break;
            }
            total += n as u64;
        }
        total
    });
    (port, h)
}

fn main() {
    let teams = env_u32("INGEST_TEAMS", 16);
    let units = env_u32("INGEST_UNITS", 2000);
    let seconds = env_u32("INGEST_SECONDS", 300);
    let dir = tempfile::tempdir().expect("tempdir");
    let file = dir.path().join("game.ndjson");
    let bytes = write_recording(&file, teams, units, seconds);
    let path = file.to_str().expect("utf8 path");
    let mb = bytes as f64 / 1e6;
    let threads = bar_overlay::ingest::parse_threads();
    eprintln!(
        "recording: {teams} teams, {units} units, {seconds} s at 30 snapshots/s: {mb:.0} MB; {threads} parsing threads"
    );
    let bin = env!("CARGO_BIN_EXE_bar-overlay");

    let mut rows: Vec<(String, Option<(f64, f64)>)> = Vec::new();
    let py = python(&["json", path]);
    rows.push(("python3 json.loads, every line (baseline)".into(), py));
    // An earlier build beside this one, when INGEST_BEFORE names its binary.
    if let Ok(before) = std::env::var("INGEST_BEFORE") {
        rows.push((
            "bar-overlay summary FILE, before (INGEST_BEFORE)".into(),
            python(&["child", path, &before, "summary", path]),
        ));
    }
    rows.push((
        "bar-overlay summary FILE".into(),
        python(&["child", path, bin, "summary", path]),
    ));
    // Each run needs a reader of its own.
    let mut received = 0;
    let replay = fastest(|| {
        let (port, reader) = sink();
        let to = format!("127.0.0.1:{port}");
        let run = python_once(&[
            "child", path, bin, "replay", path, "--to", &to, "--speed", "max",
        ]);
        received = reader.join().unwrap_or(0);
        run
    });
    rows.push((
        format!(
            "bar-overlay replay FILE --speed max (to a TCP reader; {:.0} MB arrived)",
            received as f64 / 1e6
        ),
        replay,
    ));

    // In-process, one thread, for scale: what one core does with the same lines.
    let lines: Vec<Vec<u8>> = BufReader::new(std::fs::File::open(&file).expect("open"))
        .split(b'\n')
        .map_while(Result::ok)
        .collect();
    let t = Instant::now();
    let mut parsed = Vec::with_capacity(lines.len());
    for l in &lines {
        if let Ok(Parsed::Message { msg, .. }) = protocol::parse_line(l) {
            parsed.push(msg);
        }
    }
    let parse = t.elapsed().as_secs_f64();
    let t = Instant::now();
    let mut game = Game::new();
    for m in parsed {
        game.apply(m);
    }
    let apply = t.elapsed().as_secs_f64();
    std::hint::black_box(&game);
    rows.push((
        "in-process, 1 thread: protocol::parse_line".into(),
        Some((parse, parse)),
    ));
    rows.push((
        "in-process, 1 thread: parse_line + Game::apply".into(),
        Some((parse + apply, parse + apply)),
    ));

    let version = Command::new(&*PYTHON)
        .arg("--version")
        .output()
        .map(|o| String::from_utf8_lossy(&o.stdout).trim().to_owned())
        .unwrap_or_default();
    println!(
        "{mb:.0} MB recording ({teams} teams, {units} units, {seconds} s); {threads} cores; fastest of {} runs; \
         baseline {} ({version}); load {}\n",
        *RUNS,
        *PYTHON,
        std::fs::read_to_string("/proc/loadavg")
            .ok()
            .and_then(|l| l.split_whitespace().next().map(str::to_owned))
            .unwrap_or_else(|| "?".into())
    );
    // On a shared machine wall times stretch with the others' load; CPU times (the child's user + system, every
    // thread) do not, so both ratios are printed.
    println!(
        "| reader | wall | MB/s | CPU | x json.loads (wall) | x json.loads (CPU) | goal |\n\
         |---|---:|---:|---:|---:|---:|---|"
    );
    let ratio = |b: Option<f64>, x: f64| b.map_or("-".into(), |b| format!("{:.1}x", b / x));
    for (name, r) in &rows {
        let goal = if name.starts_with("bar-overlay") && !name.contains("before") {
            ">= 10x"
        } else {
            ""
        };
        match r {
            Some((wall, cpu)) => println!(
                "| {name} | {wall:.2} s | {:.0} | {cpu:.2} s | {} | {} | {goal} |",
                mb / wall,
                ratio(py.map(|p| p.0), *wall),
                ratio(py.map(|p| p.1), *cpu),
            ),
            None => println!("| {name} | failed | | | | | {goal} |"),
        }
    }
}
