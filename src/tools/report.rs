//! `bar-overlay report RECORDING...`: each game as one HTML page (`crate::report`), and an index page when there are
//! several. The recording streams through `summary`'s reader, so memory does not grow with its length.

use super::export::inputs;
use super::summary::{self, Watch};
use crate::model::Game;
use crate::protocol::Message;
use crate::report::{self, Collector, Entry, Page, Source};
use anyhow::Context;
use std::path::{Path, PathBuf};

/// Writes the pages of `recordings` (files, folders, patterns) to `out`: a .html file for one, else a folder.
pub fn run_cli(given: &[String], out: Option<&Path>) -> anyhow::Result<()> {
    let (recordings, problems) = inputs::expand(given);
    for p in &problems {
        eprintln!("bar-overlay report: {p}");
    }
    anyhow::ensure!(!recordings.is_empty(), "no recordings to report on");
    let single_file =
        recordings.len() == 1 && out.is_some_and(|o| has_html_extension(o) && !o.is_dir());
    let mut index = Vec::new();
    let mut failed = 0;
    for r in &recordings {
        let place = |game: u32| -> PathBuf {
            let suffix = if game > 1 {
                format!("-g{game}")
            } else {
                String::new()
            };
            match out {
                Some(o) if single_file => {
                    if game > 1 {
                        o.with_file_name(format!(
                            "{}{suffix}.html",
                            o.file_stem().unwrap_or_default().to_string_lossy()
                        ))
                    } else {
                        o.to_path_buf()
                    }
                }
                Some(dir) => dir.join(format!("{}{suffix}.html", r.id)),
                None => r.path.with_file_name(format!(
                    "{}{suffix}.html",
                    r.path.file_stem().unwrap_or_default().to_string_lossy()
                )),
            }
        };
        if let Some(dir) = out.filter(|_| !single_file) {
            std::fs::create_dir_all(dir)
                .with_context(|| format!("cannot create the folder {}", dir.display()))?;
        }
        match write_reports(&r.path, place) {
            Ok(pages) => {
                for (entry, path) in pages {
                    eprintln!(
                        "wrote {} ({}, {}{})",
                        path.display(),
                        entry.map,
                        crate::model::game_clock(entry.duration_seconds),
                        match entry.notes {
                            0 => String::new(),
                            n => format!(", {n} caveat{} noted", if n == 1 { "" } else { "s" }),
                        }
                    );
                    index.push((entry, path));
                }
            }
            Err(e) => {
                eprintln!("bar-overlay report: {e:#}");
                failed += 1;
            }
        }
    }
    if recordings.len() > 1 || index.len() > 1 {
        let dir = match out {
            Some(o) if !single_file => o.to_path_buf(),
            Some(o) => o.parent().map(Path::to_path_buf).unwrap_or_default(),
            None => given
                .iter()
                .map(PathBuf::from)
                .find(|p| p.is_dir())
                .unwrap_or_else(|| PathBuf::from(".")),
        };
        let file = dir.join("index.html");
        let rows: Vec<(Entry, String)> = index
            .into_iter()
            .map(|(e, p)| (e, relative(&p, &dir)))
            .collect();
        std::fs::write(&file, report::index::render(&rows))
            .with_context(|| format!("cannot write {}", file.display()))?;
        eprintln!("wrote {} ({} games)", file.display(), rows.len());
    }
    anyhow::ensure!(
        failed == 0,
        "{failed} of {} recordings could not be reported on",
        recordings.len()
    );
    Ok(())
}

fn has_html_extension(p: &Path) -> bool {
    p.extension()
        .and_then(|e| e.to_str())
        .is_some_and(|e| e.eq_ignore_ascii_case("html") || e.eq_ignore_ascii_case("htm"))
}

/// `page` as a link from `dir`: its path below `dir`, else its absolute path as a file URL.
fn relative(page: &Path, dir: &Path) -> String {
    if let Ok(rest) = page.strip_prefix(dir) {
        return rest.to_string_lossy().replace('\\', "/");
    }
    let abs = std::fs::canonicalize(page).unwrap_or_else(|_| page.to_path_buf());
    format!("file://{}", abs.to_string_lossy().replace('\\', "/"))
}

/// Reads one recording and writes a page for each of its games to `place(game)` (1-based) as each game ends.
pub fn write_reports(
    recording: &Path,
    mut place: impl FnMut(u32) -> PathBuf,
) -> anyhow::Result<Vec<(Entry, PathBuf)>> {
    let mut written = Vec::new();
    pages(recording, |game, page| {
        let path = place(game);
        std::fs::write(&path, page.html)
            .with_context(|| format!("cannot write {}", path.display()))?;
        written.push((page.entry, path));
        Ok(())
    })?;
    Ok(written)
}

/// The page of a recording's last game, in memory (`record --report`, `serve`'s `/report`, the window's button).
pub fn last_page(recording: &Path) -> anyhow::Result<Page> {
    let mut last = None;
    pages(recording, |_, page| {
        last = Some(page);
        Ok(())
    })?;
    last.context("no game in the recording")
}

/// Reads one recording and hands `emit` each game's page (with its 1-based number in the file) as the game ends.
pub fn pages(
    recording: &Path,
    emit: impl FnMut(u32, Page) -> anyhow::Result<()>,
) -> anyhow::Result<()> {
    let name = recording
        .file_name()
        .unwrap_or_default()
        .to_string_lossy()
        .into_owned();
    let mut w = Writer {
        name,
        emit,
        game: 1,
        notes: Collector::new(),
        error: None,
    };
    let read = summary::read(recording, &mut w)?;
    if let Some(e) = w.error.take() {
        return Err(e);
    }
    w.finish(&read.game, true)
}

struct Writer<F> {
    name: String,
    emit: F,
    game: u32,
    notes: Collector,
    error: Option<anyhow::Error>,
}

impl<F: FnMut(u32, Page) -> anyhow::Result<()>> Writer<F> {
    /// Hands on the page of the game so far.
    fn finish(&mut self, game: &Game, last: bool) -> anyhow::Result<()> {
        let source = Source {
            name: self.name.clone(),
            game: self.game,
            last,
        };
        let page = report::render(game, &mut self.notes, &source);
        (self.emit)(self.game, page)
    }
}

impl<F: FnMut(u32, Page) -> anyhow::Result<()>> Watch for Writer<F> {
    fn skipped(&mut self, number: u64, why: &str) {
        self.notes.skipped(number, why);
    }

    fn before(&mut self, game: &Game, msg: &Message) {
        if game.snapshots > 0 && game.starts_new_game(msg) {
            // The game so far ends here: its page is made now, before the model starts over.
            if let Err(e) = self.finish(game, false) {
                self.error.get_or_insert(e);
            }
            self.game += 1;
            self.notes = Collector::new();
        }
        self.notes.before(game, msg);
    }

    fn after(&mut self, game: &Game) {
        self.notes.after(game);
    }
}
