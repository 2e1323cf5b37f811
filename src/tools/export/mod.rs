//! `bar-overlay export RECORDING... --out DIR`: recordings as tidy tables for analysis (Parquet or CSV), one file
//! per game per table, `OUT/<table>/<game_id>.parquet`, which DuckDB, Polars, pyarrow and Spark read as one table
//! per folder. Tables and columns: docs/datasets.md.
//!
//! Every line goes through `protocol::parse_line` and `model::Game`, so the numbers are the overlay's. A bad line is
//! reported (file and line number) and skipped; the rest of the recording is exported.

pub(crate) mod inputs;
mod output;
mod rows;
mod sink;
mod table;
mod tables;

pub use inputs::{Recording, expand, sanitize};
pub use sink::Format;
pub use tables::{TABLE_COUNT, TABLES, schema};

use crate::ingest::{self, ItemKind};
use crate::model::Game;
use crate::protocol::{self, MAX_LINE_BYTES, Parsed};
use anyhow::Context;
use output::GameFiles;
use rows::{GameRows, Kind};
use std::path::Path;
use std::process::ExitCode;
use std::sync::Mutex;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};

/// Problems shown per recording; the rest are counted in one line.
pub const PROBLEMS_SHOWN: usize = 10;

/// Exit status when everything valid was exported but something was skipped (bad lines, files that are not
/// recordings, arguments that name nothing). 0 is a clean export; 1 an error that stopped it (nothing to read,
/// output not writable).
pub const EXIT_PARTIAL: u8 = 3;

/// What an export did, summed over recordings.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Report {
    pub recordings: u64,
    pub games: u64,
    pub bytes_in: u64,
    pub lines: u64,
    pub lines_skipped: u64,
    /// Rows per table, in [`TABLES`] order.
    pub rows: [u64; TABLE_COUNT],
    /// Everything skipped, one line each (arguments, files, lines).
    pub problems: u64,
}

impl Report {
    fn add(&mut self, o: &Report) {
        self.recordings += o.recordings;
        self.games += o.games;
        self.bytes_in += o.bytes_in;
        self.lines += o.lines;
        self.lines_skipped += o.lines_skipped;
        for (a, b) in self.rows.iter_mut().zip(o.rows) {
            *a += b;
        }
        self.problems += o.problems;
    }

    pub fn total_rows(&self) -> u64 {
        self.rows.iter().sum()
    }
}

/// What `bar-overlay export` was asked for.
#[derive(Debug, Clone)]
pub struct Options {
    /// Files, folders (every .ndjson inside) or patterns.
    pub recordings: Vec<String>,
    pub out: std::path::PathBuf,
    pub format: Format,
    /// Recordings exported at once (default: one per core).
    pub jobs: Option<u16>,
}

pub fn run_cli(args: &Options) -> anyhow::Result<ExitCode> {
    let (recordings, arg_problems) = expand(&args.recordings);
    for p in &arg_problems {
        eprintln!("export: {p}");
    }
    anyhow::ensure!(
        !recordings.is_empty(),
        "no recordings to export (give .ndjson files from `bar-overlay record`, folders or patterns)"
    );
    std::fs::create_dir_all(&args.out)
        .with_context(|| format!("cannot create {}", args.out.display()))?;
    let jobs = args.jobs.map_or_else(
        || std::thread::available_parallelism().map_or(1, std::num::NonZero::get),
        usize::from,
    );
    let mut report = export_all(&recordings, &args.out, args.format, jobs, &|line| {
        eprintln!("{line}")
    })?;
    report.problems += arg_problems.len() as u64;
    println!(
        "exported {} games from {} recordings ({:.1} MB) to {}: {}{}",
        report.games,
        report.recordings,
        report.bytes_in as f64 / 1e6,
        args.out.display(),
        TABLES
            .iter()
            .zip(report.rows)
            .map(|(t, n)| format!("{t} {n}"))
            .collect::<Vec<_>>()
            .join(", "),
        if report.problems > 0 {
            format!("; {} problems, see above", report.problems)
        } else {
            String::new()
        }
    );
    anyhow::ensure!(
        report.games > 0,
        "nothing exported: no recording held a game"
    );
    Ok(if report.problems > 0 {
        ExitCode::from(EXIT_PARTIAL)
    } else {
        ExitCode::SUCCESS
    })
}

/// Exports `recordings` on `jobs` threads. Problems with the input go to `say`, one line each, and are counted;
/// an error writing the output stops everything and is returned.
pub fn export_all(
    recordings: &[Recording],
    out: &Path,
    format: Format,
    jobs: usize,
    say: &(dyn Fn(&str) + Sync),
) -> anyhow::Result<Report> {
    let next = AtomicUsize::new(0);
    let failed = AtomicBool::new(false);
    let total = Mutex::new(Report::default());
    let first_error: Mutex<Option<anyhow::Error>> = Mutex::new(None);
    let workers = jobs.clamp(1, recordings.len().max(1));
    // Cores left over by the recordings exported at once parse each one's lines (one recording: every core).
    let parse_threads = (ingest::parse_threads() / workers).max(1);
    std::thread::scope(|s| {
        for _ in 0..workers {
            s.spawn(|| {
                while !failed.load(Ordering::Relaxed) {
                    let i = next.fetch_add(1, Ordering::Relaxed);
                    let Some(rec) = recordings.get(i) else { break };
                    match export_recording(rec, out, format, parse_threads, say) {
                        Ok(r) => {
                            if let Ok(mut t) = total.lock() {
                                t.add(&r);
                            }
                        }
                        Err(e) => {
                            failed.store(true, Ordering::Relaxed);
                            if let Ok(mut slot) = first_error.lock() {
                                slot.get_or_insert(e);
                            }
                        }
                    }
                }
            });
        }
    });
    if let Some(e) = first_error.into_inner().ok().flatten() {
        return Err(e);
    }
    total
        .into_inner()
        .map_err(|_| anyhow::anyhow!("an export thread panicked"))
}

/// One recording, game by game, its lines parsed on `parse_threads` threads. Input problems are reported and
/// skipped; output errors are returned.
pub fn export_recording(
    rec: &Recording,
    out: &Path,
    format: Format,
    parse_threads: usize,
    say: &(dyn Fn(&str) + Sync),
) -> anyhow::Result<Report> {
    let shown = rec.path.display().to_string();
    let mut report = Report {
        recordings: 1,
        ..Report::default()
    };
    let mut problems = 0u64;
    let mut problem = |what: String| {
        problems += 1;
        if problems <= PROBLEMS_SHOWN as u64 {
            say(&format!("{shown}: {what}"));
        }
    };
    let file = match std::fs::File::open(&rec.path) {
        Ok(f) => f,
        Err(e) => {
            problem(format!("cannot read ({e})"));
            report.problems = problems;
            return Ok(report);
        }
    };
    report.bytes_in = file.metadata().map_or(0, |m| m.len());
    let mut game = Game::new();
    let mut current: Option<GameRows> = None;
    let mut games_in_file = 0u32;
    let mut skipped_before_game = 0u64;
    let mut line_no = 0u64;
    // An error writing the output stops the file; it is returned once the reader has stopped.
    let mut failed: Option<anyhow::Error> = None;
    let read = ingest::for_each(file, parse_threads, protocol::parse_line, |item| {
        line_no = item.number;
        report.lines += 1;
        let parsed = match item.kind {
            ItemKind::Blank => return true,
            ItemKind::TooLong(n) => Err(format!(
                "{n} bytes without a newline (the cap is {MAX_LINE_BYTES})"
            )),
            ItemKind::Parsed(p) => p.map_err(|e| e.to_string()),
        };
        let msg = match parsed {
            Ok(Parsed::Message { msg, .. }) => msg,
            // A message type of a later version: not ours to export, not a problem.
            Ok(Parsed::UnknownType(_)) => return true,
            Err(e) => {
                problem(format!("line {line_no}: {e}; skipped"));
                report.lines_skipped += 1;
                match current.as_mut() {
                    Some(rows) => rows.lines_skipped += 1,
                    None => skipped_before_game += 1,
                }
                return true;
            }
        };
        let step = (|| -> anyhow::Result<()> {
            if current.is_none() || game.starts_new_game(&msg) {
                if let Some(rows) = current.take() {
                    finish(rows, &game, &mut report)?;
                }
                games_in_file += 1;
                let id = if games_in_file == 1 {
                    rec.id.clone()
                } else {
                    format!("{}-g{games_in_file}", rec.id)
                };
                let files = GameFiles::create(out, &id, format)?;
                let mut rows = GameRows::new(files, &id, &shown, games_in_file);
                rows.lines_skipped += std::mem::take(&mut skipped_before_game);
                current = Some(rows);
            }
            if let Some(rows) = current.as_mut() {
                rows.before(&game, &msg);
                let kind = Kind::of(&msg);
                game.apply(msg);
                rows.after(&game, kind)?;
            }
            Ok(())
        })();
        match step {
            Ok(()) => true,
            Err(e) => {
                failed = Some(e);
                false
            }
        }
    });
    if let Some(e) = failed {
        return Err(e);
    }
    if let Err(e) = read {
        problem(format!(
            "cannot read after line {line_no} ({e}); exported what came before"
        ));
    }
    match current {
        Some(rows) => finish(rows, &game, &mut report)?,
        None => problem(format!(
            "no protocol v1 messages in {line_no} lines (is it a recording from `bar-overlay record`?)"
        )),
    }
    if problems > PROBLEMS_SHOWN as u64 {
        say(&format!(
            "{shown}: {} more problems not shown",
            problems - PROBLEMS_SHOWN as u64
        ));
    }
    report.problems = problems;
    Ok(report)
}

fn finish(rows: GameRows, game: &Game, report: &mut Report) -> anyhow::Result<()> {
    let written = rows.finish(game)?;
    for (a, b) in report.rows.iter_mut().zip(written) {
        *a += b;
    }
    report.games += 1;
    Ok(())
}
