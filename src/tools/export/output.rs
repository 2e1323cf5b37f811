//! One game's files: `OUT/<table>/<game_id>.<ext>` for every table, written aside as hidden `.<game_id>.<ext>.tmp`
//! files (which DuckDB's, Polars' and Spark's globs and directory scans skip) and renamed into place only once every
//! table of the game is complete. A reader never sees a half-written file, and an export that fails or is killed
//! leaves the previous version of the game's files as they were.

use super::sink::{self, Format, Sink};
use super::table::{Batch, Schema};
use super::tables::{self, TABLE_COUNT, TABLES};
use anyhow::Context;
use std::path::{Path, PathBuf};

/// Rows per Parquet row group (and per CSV write). Big enough for good compression and for readers' parallelism,
/// small enough that the largest table (units) buffers a few tens of MB at most.
pub const ROW_GROUP_ROWS: usize = 128 * 1024;

/// The tables by position in [`TABLES`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum T {
    Games = 0,
    Teams,
    Players,
    UnitDefs,
    TeamSeconds,
    Units,
    Events,
    Commands,
}

struct TableFile {
    schema: Schema,
    batch: Batch,
    sink: Option<Box<dyn Sink>>,
    tmp: PathBuf,
    dest: PathBuf,
    rows: u64,
}

impl TableFile {
    fn flush(&mut self) -> anyhow::Result<()> {
        if self.batch.rows == 0 {
            return Ok(());
        }
        let sink = self.sink.as_mut().context("table already finished")?;
        sink.write(&self.batch)
            .with_context(|| format!("cannot write {}", self.tmp.display()))?;
        self.rows += self.batch.rows as u64;
        self.batch.clear();
        Ok(())
    }

    fn finish(&mut self) -> anyhow::Result<()> {
        self.flush()?;
        if let Some(sink) = self.sink.take() {
            sink.finish()
                .with_context(|| format!("cannot write {}", self.tmp.display()))?;
        }
        Ok(())
    }
}

pub struct GameFiles {
    tables: Vec<TableFile>,
    committed: bool,
}

impl GameFiles {
    pub fn create(out: &Path, game_id: &str, format: Format) -> anyhow::Result<GameFiles> {
        let ext = format.extension();
        let mut files = GameFiles {
            tables: Vec::with_capacity(TABLES.len()),
            committed: false,
        };
        for name in TABLES {
            let schema = tables::schema(name).with_context(|| format!("no schema for {name}"))?;
            let dir = out.join(name);
            std::fs::create_dir_all(&dir)
                .with_context(|| format!("cannot create {}", dir.display()))?;
            let tmp = dir.join(format!(".{game_id}.{ext}.tmp"));
            let dest = dir.join(format!("{game_id}.{ext}"));
            let file = std::fs::File::create(&tmp)
                .with_context(|| format!("cannot create {}", tmp.display()))?;
            // Pushed before the sink is opened so that a failure below still removes the file (Drop).
            files.tables.push(TableFile {
                batch: Batch::new(&schema),
                sink: None,
                tmp,
                dest,
                rows: 0,
                schema,
            });
            let t = files.tables.last_mut().context("just pushed")?;
            t.sink = Some(sink::open(format, &t.schema, file)?);
        }
        Ok(files)
    }

    pub fn batch(&mut self, t: T) -> &mut Batch {
        &mut self.tables[t as usize].batch
    }

    /// Writes out every table whose buffer has reached a row group's worth of rows.
    pub fn flush_full(&mut self) -> anyhow::Result<()> {
        for t in &mut self.tables {
            if t.batch.rows >= ROW_GROUP_ROWS {
                t.flush()?;
            }
        }
        Ok(())
    }

    /// Completes every file, then moves them all into place. Returns the rows written per table.
    pub fn commit(mut self) -> anyhow::Result<[u64; TABLE_COUNT]> {
        for t in &mut self.tables {
            t.finish()?;
        }
        let mut rows = [0u64; TABLE_COUNT];
        for (i, t) in self.tables.iter().enumerate() {
            std::fs::rename(&t.tmp, &t.dest).with_context(|| {
                format!("cannot move {} to {}", t.tmp.display(), t.dest.display())
            })?;
            rows[i] = t.rows;
        }
        self.committed = true;
        Ok(rows)
    }
}

impl Drop for GameFiles {
    fn drop(&mut self) {
        if !self.committed {
            for t in &self.tables {
                // Best effort: the file may never have been created, or was already moved.
                let _ = std::fs::remove_file(&t.tmp);
            }
        }
    }
}
