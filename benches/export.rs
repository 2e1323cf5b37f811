//! `bar-overlay export` throughput on a set of 10 recordings of 16-team games (the simulator's, as `simulate`
//! streams them to `record`), beside `summary` on the same files and two plain baselines: reading the lines, and
//! parsing them with `protocol::parse_line` alone. The real release binary runs as a user runs it; its CPU time and
//! peak memory are read from /proc (Linux).
//!
//! `cargo bench --bench export` prints a markdown table. `EXPORT_BENCH_RECORDINGS`, `EXPORT_BENCH_SECONDS` and
//! `EXPORT_BENCH_UNITS` change the set (defaults 10, 60, 1500: about 50 MB a recording, armies at full size from a
//! third of the game on).

use bar_overlay::protocol::{self, Bye, Detail, Event, EventKind, Message, SCHEMA_VERSION};
use bar_overlay::senders::simulate::{Encoder, World};
use std::io::{BufRead, BufReader, BufWriter, Write};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

const BIN: &str = env!("CARGO_BIN_EXE_bar-overlay");

fn env_or(name: &str, default: u32) -> u32 {
    std::env::var(name)
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

/// One game as `record` writes what `simulate` sends (30 snapshots a second, standard detail).
fn write_recording(path: &Path, seed: u64, units: u32, seconds: f64) -> std::io::Result<()> {
    let mut out = BufWriter::new(std::fs::File::create(path)?);
    let mut world = World::new(seed, 16, units, seconds);
    let mut enc = Encoder::new(Detail::Standard, 30.0, seed);
    out.write_all(&protocol::encode_line(&enc.hello(&world)))?;
    let event = |world: &World, kind| {
        protocol::encode_line(&Message::Event(Event {
            schema_version: SCHEMA_VERSION.into(),
            game_frame: world.frame,
            kind,
        }))
    };
    let end = (seconds * 30.0).round() as u32;
    while world.frame < end {
        world.step();
        if world.frame == 1 {
            out.write_all(&event(&world, EventKind::GameStart))?;
        }
        for team in std::mem::take(&mut world.died) {
            out.write_all(&event(&world, EventKind::TeamDied { team_id: team }))?;
        }
        if world.frame.is_multiple_of(enc.frames_per_snapshot()) {
            out.write_all(&protocol::encode_line(&enc.snapshot(&mut world)))?;
        }
    }
    let winners = Some(vec![world.leading_ally()]);
    out.write_all(&event(&world, EventKind::GameOver { winners }))?;
    out.write_all(&protocol::encode_line(&Message::Bye(Bye {
        schema_version: SCHEMA_VERSION.into(),
        game_frame: Some(world.frame),
        reason: Some("game_over".into()),
    })))?;
    out.flush()
}

/// What a run of the real binary cost.
#[derive(Default, Clone, Copy)]
struct Cost {
    wall: Duration,
    cpu: f64,
    peak_rss_kb: u64,
}

/// Runs the binary to completion, sampling /proc for its CPU time (read once more as a zombie, so none is missed)
/// and its peak resident memory.
fn measure(args: &[&str], stdout: &mut String) -> Cost {
    let start = Instant::now();
    let mut child = Command::new(BIN)
        .args(args)
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .expect("spawn bar-overlay");
    let pid = child.id();
    let mut out = child.stdout.take().expect("stdout");
    let reader = std::thread::spawn(move || {
        let mut s = String::new();
        let _ = std::io::Read::read_to_string(&mut out, &mut s);
        s
    });
    let mut cost = Cost::default();
    loop {
        let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).unwrap_or_default();
        // Fields after the command name, which is in parentheses and may hold spaces.
        let fields: Vec<&str> = stat
            .rsplit_once(')')
            .map(|(_, r)| r.split_whitespace().collect())
            .unwrap_or_default();
        if let (Some(u), Some(s)) = (fields.get(11), fields.get(12)) {
            let ticks = u.parse::<f64>().unwrap_or(0.0) + s.parse::<f64>().unwrap_or(0.0);
            cost.cpu = ticks / 100.0;
        }
        if let Some(kb) = std::fs::read_to_string(format!("/proc/{pid}/status"))
            .ok()
            .and_then(|s| {
                s.lines()
                    .find_map(|l| l.strip_prefix("VmHWM:"))
                    .and_then(|v| v.trim().trim_end_matches("kB").trim().parse::<u64>().ok())
            })
        {
            cost.peak_rss_kb = cost.peak_rss_kb.max(kb);
        }
        if fields.first() == Some(&"Z") || stat.is_empty() {
            break;
        }
        std::thread::sleep(Duration::from_millis(5));
    }
    let status = child.wait().expect("wait");
    cost.wall = start.elapsed();
    *stdout = reader.join().unwrap_or_default();
    assert!(
        status.success() || status.code() == Some(3),
        "bar-overlay {args:?}: {status}"
    );
    cost
}

/// Rows per table from export's last line: `...: games 10, teams 160, ...`.
fn rows_out(stdout: &str) -> u64 {
    let line = stdout.lines().last().unwrap_or_default();
    let tables = line.rsplit_once(": ").map_or("", |(_, t)| t);
    tables
        .split(';')
        .next()
        .unwrap_or_default()
        .split(", ")
        .filter_map(|kv| kv.rsplit_once(' ').and_then(|(_, n)| n.parse::<u64>().ok()))
        .sum()
}

fn dir_bytes(dir: &Path) -> u64 {
    let mut total = 0;
    for e in std::fs::read_dir(dir).into_iter().flatten().flatten() {
        let p = e.path();
        total += if p.is_dir() {
            dir_bytes(&p)
        } else {
            e.metadata().map_or(0, |m| m.len())
        };
    }
    total
}

fn main() {
    if std::env::args().any(|a| a == "--list") {
        return; // `cargo test --benches` asks for a list of tests; there are none here.
    }
    let n = env_or("EXPORT_BENCH_RECORDINGS", 10);
    let seconds = f64::from(env_or("EXPORT_BENCH_SECONDS", 60));
    let units = env_or("EXPORT_BENCH_UNITS", 1500);
    let dir = tempfile::tempdir().expect("tempdir");
    let recs = dir.path().join("recs");
    std::fs::create_dir_all(&recs).expect("mkdir");
    eprintln!(
        "making {n} recordings: 16 teams, {units} units, {seconds} s at 30 snapshots a second..."
    );
    let files: Vec<PathBuf> = (0..n)
        .map(|i| {
            let p = recs.join(format!("game-{i:02}.ndjson"));
            write_recording(&p, 100 + u64::from(i), units, seconds).expect("write recording");
            p
        })
        .collect();
    let bytes: u64 = files
        .iter()
        .map(|f| std::fs::metadata(f).map_or(0, |m| m.len()))
        .sum();
    let mb = bytes as f64 / 1e6;

    let mut rows: Vec<String> = Vec::new();
    let mut row = |what: &str, c: Cost, rows_out: Option<u64>, out_bytes: Option<u64>| {
        let secs = c.wall.as_secs_f64();
        // Per CPU second as well as per wall second: on a shared machine wall time grows with everyone else's load.
        let cpu = c.cpu.max(1e-3);
        rows.push(format!(
            "| {what} | {:.1} | {:.1} | {:.1} | {:.1} | {} | {} | {} | {} | {} |",
            secs,
            c.cpu,
            mb / secs,
            mb / cpu,
            rows_out.map_or("-".into(), |r| format!("{:.2} M", r as f64 / 1e6)),
            rows_out.map_or("-".into(), |r| format!("{:.2} M", r as f64 / secs / 1e6)),
            rows_out.map_or("-".into(), |r| format!("{:.2} M", r as f64 / cpu / 1e6)),
            if c.peak_rss_kb > 0 {
                format!("{:.0}", c.peak_rss_kb as f64 / 1024.0)
            } else {
                "-".into()
            },
            out_bytes.map_or("-".into(), |b| format!("{:.1}", b as f64 / 1e6)),
        ));
    };

    // Baselines, in this process: the bytes and lines, then parse_line alone.
    let cpu0 = thread_cpu();
    let start = Instant::now();
    let mut lines = 0u64;
    for f in &files {
        let r = BufReader::with_capacity(1 << 20, std::fs::File::open(f).expect("open"));
        for l in r.split(b'\n') {
            lines += u64::from(!l.expect("read").is_empty());
        }
    }
    let read = start.elapsed();
    let cpu1 = thread_cpu();
    row(
        "baseline: read the lines",
        Cost {
            wall: read,
            cpu: cpu1 - cpu0,
            peak_rss_kb: 0,
        },
        None,
        None,
    );
    let start = Instant::now();
    let mut parsed = 0u64;
    for f in &files {
        let r = BufReader::with_capacity(1 << 20, std::fs::File::open(f).expect("open"));
        for l in r.split(b'\n') {
            let l = l.expect("read");
            parsed += u64::from(std::hint::black_box(protocol::parse_line(&l)).is_ok());
        }
    }
    let parse = start.elapsed();
    assert_eq!(parsed, lines);
    row(
        "baseline: protocol::parse_line",
        Cost {
            wall: parse,
            cpu: thread_cpu() - cpu1,
            peak_rss_kb: 0,
        },
        None,
        None,
    );

    // summary, one file at a time as a user runs it.
    let mut total = Cost::default();
    let mut out = String::new();
    for f in &files {
        let c = measure(&["summary", f.to_str().expect("utf8")], &mut out);
        total.wall += c.wall;
        total.cpu += c.cpu;
        total.peak_rss_kb = total.peak_rss_kb.max(c.peak_rss_kb);
    }
    row("`summary` (each file)", total, None, None);

    let rec_arg = recs.to_str().expect("utf8");
    for (what, format, jobs) in [
        ("`export` Parquet, 1 job", "parquet", "1"),
        ("`export` Parquet, 2 jobs (default here)", "parquet", "2"),
        ("`export` CSV, 1 job", "csv", "1"),
    ] {
        let dest = dir.path().join(format!("out-{format}-{jobs}"));
        let c = measure(
            &[
                "export",
                rec_arg,
                "--out",
                dest.to_str().expect("utf8"),
                "--format",
                format,
                "--jobs",
                jobs,
            ],
            &mut out,
        );
        row(what, c, Some(rows_out(&out)), Some(dir_bytes(&dest)));
    }

    println!(
        "\n{n} recordings, 16 teams, {units} units, {seconds} s each at 30 snapshots a second: {mb:.0} MB, {lines} lines\n"
    );
    println!(
        "| run | wall s | CPU s | MB/s in | MB per CPU s | rows out | rows/s | rows per CPU s | peak RSS MB | output MB |\n|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|"
    );
    for r in rows {
        println!("{r}");
    }
}

/// This thread's CPU time in seconds (Linux; 0 elsewhere).
fn thread_cpu() -> f64 {
    std::fs::read_to_string("/proc/thread-self/schedstat")
        .ok()
        .and_then(|s| s.split_whitespace().next()?.parse::<f64>().ok())
        .map_or(0.0, |ns| ns / 1e9)
}
