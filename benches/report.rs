//! How fast `report` reads a long game, and whether its memory stays flat: the real binary's `report` beside its
//! `summary` (the plain baseline: the same reader and model, no page) on the same recordings, in the same run.
//! Goal: at least `summary`'s throughput, and peak memory that does not grow with the recording's length.
//!
//! `cargo bench --bench report` records a game as a user would (`simulate --detail comprehensive --speed max` into
//! `record --until-bye`, both the real binary) at half and at full length, then runs `summary FILE` and
//! `report FILE -o PAGE` on each, timing wall and CPU and reading the child's peak resident memory (`wait4`).
//!
//! Sizes: `REPORT_TEAMS` (16), `REPORT_UNITS` (600), `REPORT_SECONDS` (7200: two hours). Recordings are kept in
//! target/bench-report/ and reused by later runs with the same sizes. Each command runs `REPORT_RUNS` times (2) and
//! its fastest run is reported (others' load on a shared machine only ever slows a run down).

#[cfg(not(unix))]
fn main() {
    eprintln!("the report bench reads the children's peak memory with wait4: Unix only");
}

#[cfg(unix)]
fn main() {
    unix::main();
}

#[cfg(unix)]
mod unix {
    use std::io::{BufRead, BufReader};
    use std::path::{Path, PathBuf};
    use std::process::{Command, Stdio};
    use std::time::Instant;

    const BIN: &str = env!("CARGO_BIN_EXE_bar-overlay");

    fn env_u32(key: &str, default: u32) -> u32 {
        std::env::var(key)
            .ok()
            .and_then(|v| v.parse().ok())
            .unwrap_or(default)
    }

    /// A recording of `seconds` of game, made once and kept (`.done` marks a whole one).
    fn recording(dir: &Path, teams: u32, units: u32, seconds: u32) -> PathBuf {
        let file = dir.join(format!("game-{teams}t-{units}u-{seconds}s.ndjson"));
        let done = file.with_extension("done");
        if done.exists() && file.exists() {
            return file;
        }
        let _ = std::fs::remove_file(&file);
        eprintln!("recording {} ({seconds} game seconds)...", file.display());
        let t = Instant::now();
        let mut rec = Command::new(BIN)
            .arg("record")
            .arg(&file)
            .args(["--until-bye", "--port", "0"])
            .stderr(Stdio::piped())
            .stdout(Stdio::null())
            .spawn()
            .expect("spawn record");
        let mut line = String::new();
        BufReader::new(rec.stderr.as_mut().expect("stderr"))
            .read_line(&mut line)
            .expect("record's first line");
        let port = line
            .split_whitespace()
            .find_map(|w| w.rsplit(':').next().and_then(|p| p.parse::<u16>().ok()))
            .unwrap_or_else(|| panic!("no port in {line:?}"));
        let sim = Command::new(BIN)
            .args(["simulate", "--to", &format!("127.0.0.1:{port}")])
            .args([
                "--detail",
                "comprehensive",
                "--speed",
                "max",
                "--seed",
                "11",
            ])
            .args(["--teams", &teams.to_string(), "--units", &units.to_string()])
            .args(["--seconds", &seconds.to_string()])
            .status()
            .expect("simulate");
        assert!(sim.success(), "simulate failed");
        assert!(rec.wait().expect("record").success(), "record failed");
        std::fs::write(&done, "").expect("mark the recording whole");
        eprintln!("  {:.0} s", t.elapsed().as_secs_f64());
        file
    }

    struct Run {
        wall: f64,
        cpu: f64,
        peak_rss_mb: f64,
    }

    /// Runs the binary with `args` once: wall and CPU seconds, and its peak resident memory from `wait4`.
    #[allow(clippy::zombie_processes)]
    fn run_once(args: &[&std::ffi::OsStr]) -> Run {
        let err = tempfile::NamedTempFile::new().expect("stderr file");
        let t = Instant::now();
        let child = Command::new(BIN)
            .args(args)
            .stdout(Stdio::null())
            .stderr(err.reopen().expect("stderr"))
            .spawn()
            .expect("spawn");
        let mut status = 0;
        // Reaped by wait4 below (which reads its peak memory), not by Child::wait.
        // SAFETY: an all-zero rusage is a valid value for wait4 to fill.
        let mut usage: libc::rusage = unsafe { std::mem::zeroed() };
        // SAFETY: waits for our own child by its pid, with pointers to live locals.
        let pid = unsafe { libc::wait4(child.id() as libc::pid_t, &mut status, 0, &mut usage) };
        let wall = t.elapsed().as_secs_f64();
        assert_eq!(pid, child.id() as libc::pid_t, "wait4");
        assert!(
            libc::WIFEXITED(status) && libc::WEXITSTATUS(status) == 0,
            "{args:?} failed: {}",
            std::fs::read_to_string(err.path()).unwrap_or_default()
        );
        let secs = |t: libc::timeval| t.tv_sec as f64 + t.tv_usec as f64 / 1e6;
        Run {
            wall,
            cpu: secs(usage.ru_utime) + secs(usage.ru_stime),
            // Linux reports kilobytes.
            peak_rss_mb: usage.ru_maxrss as f64 / 1024.0,
        }
    }

    fn fastest(runs: u32, args: &[&std::ffi::OsStr]) -> Run {
        let mut best: Option<Run> = None;
        for _ in 0..runs.max(1) {
            let r = run_once(args);
            if best.as_ref().is_none_or(|b| r.wall < b.wall) {
                best = Some(r);
            }
        }
        best.expect("a run")
    }

    pub fn main() {
        // `cargo bench` passes `--bench`; a filter argument that is not ours means another bench was asked for.
        if std::env::args()
            .skip(1)
            .any(|a| !a.starts_with('-') && a != "report")
        {
            return;
        }
        let teams = env_u32("REPORT_TEAMS", 16);
        let units = env_u32("REPORT_UNITS", 600);
        let seconds = env_u32("REPORT_SECONDS", 7200);
        let runs = env_u32("REPORT_RUNS", 2);
        let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("target/bench-report");
        std::fs::create_dir_all(&dir).expect("bench dir");
        let lengths = [seconds / 2, seconds];
        let files: Vec<PathBuf> = lengths
            .iter()
            .map(|s| recording(&dir, teams, units, *s))
            .collect();
        println!(
            "\n### report beside summary: {teams} teams, {units} units, comprehensive, fastest of {runs}\n"
        );
        println!(
            "| command | game | recording | wall s | CPU s | MB/s (wall) | peak RSS MB | page |"
        );
        println!("|---|---|---|---|---|---|---|---|");
        for (file, secs) in files.iter().zip(lengths) {
            let size = std::fs::metadata(file).map(|m| m.len()).unwrap_or(0) as f64;
            let page = file.with_extension("html");
            let summary = fastest(runs, &["summary".as_ref(), file.as_os_str()]);
            let report = fastest(
                runs,
                &[
                    "report".as_ref(),
                    file.as_os_str(),
                    "-o".as_ref(),
                    page.as_os_str(),
                ],
            );
            let page_size = std::fs::metadata(&page).map(|m| m.len()).unwrap_or(0) as f64;
            let game = format!("{}:{:02}:00", secs / 3600, secs / 60 % 60);
            for (name, r, out) in [
                ("summary", &summary, "-".to_owned()),
                ("report", &report, format!("{:.2} MB", page_size / 1e6)),
            ] {
                println!(
                    "| {name} | {game} | {:.2} GB | {:.1} | {:.1} | {:.0} | {:.0} | {out} |",
                    size / 1e9,
                    r.wall,
                    r.cpu,
                    size / 1e6 / r.wall,
                    r.peak_rss_mb
                );
            }
        }
        println!(
            "\n(machine: {} cores; `summary` is the same reader and model without the page)",
            std::thread::available_parallelism().map_or(1, |n| n.get())
        );
    }
}
