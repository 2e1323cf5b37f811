//! Files the program replaces or moves aside, never leaving half of one: a settings file, BAR's widget and its
//! BYAR.lua. A reader (BAR starting, the next run) sees the old file or the new one; what is moved aside keeps its
//! name and the moment, so nothing a user wrote is lost.

use anyhow::{Context, Result};
use std::io::Write;
use std::path::{Path, PathBuf};

/// `<path>.<tag>-<unix seconds><suffix>`, with `-N` added until no such file exists.
pub fn aside(path: &Path, tag: &str, suffix: &str) -> PathBuf {
    let stamp = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_secs())
        .unwrap_or(0);
    let named = |n: u32| {
        let mut name = path.as_os_str().to_owned();
        match n {
            0 => name.push(format!(".{tag}-{stamp}{suffix}")),
            n => name.push(format!(".{tag}-{stamp}-{n}{suffix}")),
        }
        PathBuf::from(name)
    };
    (0..)
        .map(named)
        .find(|p| !p.exists())
        .unwrap_or_else(|| named(0))
}

/// Writes `bytes` to a temporary file beside `path` and renames it over `path`: a reader (BAR starting) sees the
/// old file or the new one, never half of one.
pub fn write_atomic(path: &Path, bytes: &[u8]) -> Result<()> {
    let dir = path.parent().unwrap_or(Path::new("."));
    let mut tmp = tempfile::Builder::new()
        .prefix(".bar-overlay-")
        .suffix(".tmp")
        .tempfile_in(dir)
        .with_context(|| format!("could not write in {}", dir.display()))?;
    tmp.write_all(bytes)
        .and_then(|()| tmp.as_file().sync_all())
        .with_context(|| format!("could not write {}", path.display()))?;
    tmp.persist(path)
        .with_context(|| format!("could not replace {}", path.display()))?;
    Ok(())
}
