//! Which recordings an export reads (files, folders, glob patterns) and the `game_id` each one gets.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

/// What a folder contributes: its recordings, at any depth.
const EXTENSIONS: [&str; 2] = ["ndjson", "jsonl"];

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Recording {
    pub path: PathBuf,
    /// The first game's id; a file's later games append `-g2`, `-g3`...
    pub id: String,
}

/// Expands the arguments into recordings in a stable order. Arguments that name nothing come back as problems.
pub fn expand(args: &[String]) -> (Vec<Recording>, Vec<String>) {
    let mut files = BTreeSet::new();
    let mut problems = Vec::new();
    for arg in args {
        let path = Path::new(arg);
        if path.is_dir() {
            let before = files.len();
            walk(path, &mut files, &mut problems);
            if files.len() == before {
                problems.push(format!("{arg}: no .ndjson recordings in this folder"));
            }
        } else if path.exists() {
            // A file, or anything that reads like one: a named pipe, /dev/stdin.
            files.insert(path.to_path_buf());
        } else if arg.contains(['*', '?', '[']) {
            match glob::glob(arg) {
                Ok(matches) => {
                    let before = files.len();
                    for m in matches {
                        match m {
                            Ok(p) if p.is_dir() => walk(&p, &mut files, &mut problems),
                            Ok(p) => {
                                files.insert(p);
                            }
                            Err(e) => problems.push(format!("{arg}: {e}")),
                        }
                    }
                    if files.len() == before {
                        problems.push(format!("{arg}: no file matches"));
                    }
                }
                Err(e) => problems.push(format!("{arg}: not a valid pattern ({e})")),
            }
        } else {
            problems.push(format!("{arg}: no such file or folder"));
        }
    }
    let (recordings, mut clashes) = name(files.into_iter().collect());
    problems.append(&mut clashes);
    (recordings, problems)
}

fn walk(dir: &Path, files: &mut BTreeSet<PathBuf>, problems: &mut Vec<String>) {
    let entries = match std::fs::read_dir(dir) {
        Ok(e) => e,
        Err(e) => {
            problems.push(format!("{}: cannot list ({e})", dir.display()));
            return;
        }
    };
    for entry in entries.flatten() {
        let path = entry.path();
        if path.is_dir() {
            walk(&path, files, problems);
        } else if path
            .extension()
            .and_then(|e| e.to_str())
            .is_some_and(|e| EXTENSIONS.contains(&e))
        {
            files.insert(path);
        }
    }
}

/// A name safe in a file name and a directory listing on every OS, and not hidden from readers: Spark and pyarrow
/// skip files that start with `.` or `_`.
pub fn sanitize(s: &str) -> String {
    let mut out: String = s
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || matches!(c, '-' | '.' | '_') {
                c
            } else {
                '_'
            }
        })
        .collect();
    if out.is_empty() || out.starts_with(['.', '_']) {
        out.insert(0, 'g');
    }
    out
}

/// Ids from file names: `games/2025-06-01 ranked.ndjson` is `2025-06-01_ranked`. Recordings with the same file name
/// in different folders take their folder's name in front (`day1_game`, `day2_game`); what still clashes is
/// reported and left out rather than overwriting another recording's files.
fn name(files: Vec<PathBuf>) -> (Vec<Recording>, Vec<String>) {
    let stem = |p: &Path| sanitize(&p.file_stem().unwrap_or_default().to_string_lossy());
    let mut by_stem: BTreeMap<String, usize> = BTreeMap::new();
    for f in &files {
        *by_stem.entry(stem(f)).or_default() += 1;
    }
    let mut seen: BTreeMap<String, PathBuf> = BTreeMap::new();
    let mut out = Vec::new();
    let mut problems = Vec::new();
    for path in files {
        let base = stem(&path);
        let id = if by_stem.get(&base).copied().unwrap_or(0) > 1 {
            let parent = path
                .parent()
                .and_then(|p| p.file_name())
                .map(|p| p.to_string_lossy().into_owned())
                .unwrap_or_default();
            sanitize(&format!("{parent}_{base}"))
        } else {
            base
        };
        if let Some(other) = seen.get(&id) {
            problems.push(format!(
                "{}: skipped, its game_id {id} is already {}'s (rename one of them)",
                path.display(),
                other.display()
            ));
            continue;
        }
        seen.insert(id.clone(), path.clone());
        out.push(Recording { path, id });
    }
    (out, problems)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_are_safe_and_unique() {
        assert_eq!(sanitize("2025-06-01 ranked"), "2025-06-01_ranked");
        assert_eq!(sanitize(".hidden"), "g.hidden");
        assert_eq!(sanitize("_x"), "g_x");
        let (r, p) = name(vec![
            PathBuf::from("day1/game.ndjson"),
            PathBuf::from("day2/game.ndjson"),
            PathBuf::from("other.ndjson"),
        ]);
        let ids: Vec<_> = r.iter().map(|r| r.id.as_str()).collect();
        assert_eq!(ids, ["day1_game", "day2_game", "other"]);
        assert!(p.is_empty());
        let (r, p) = name(vec![
            PathBuf::from("a/day/game.ndjson"),
            PathBuf::from("b/day/game.ndjson"),
        ]);
        assert_eq!(r.len(), 1);
        assert_eq!(p.len(), 1, "{p:?}");
    }
}
