//! The widget's copies in a write folder: found, written and removed.
//!
//! BAR loads every `.lua` in `LuaUI/Widgets/` and one folder below (where BAR's widget catalog installs, in
//! `LuaUI/Widgets/<id>/`), and two widgets of one name are an error ("duplicate name"). So an existing copy anywhere
//! there is the one updated, never a second one; backups never end in `.lua`; nothing else in the folder is touched.

use super::{WIDGET_NAME, WIDGET_SOURCE};
use anyhow::{Context, Result};
use sha2::{Digest, Sha256};
use std::cmp::Ordering;
use std::path::{Path, PathBuf};

/// Every widget text this project has shipped, `sha256 version` a line: a copy whose text is among them is ours,
/// untouched; any other was changed by its user and is backed up before it is replaced or removed.
const KNOWN: &str = include_str!("../../widget/known-versions.txt");

/// The widgets folder of a write folder. The case matters on Linux: BAR reads `LuaUI/Widgets/` and nothing else.
pub fn widgets_dir(write_dir: &Path) -> PathBuf {
    write_dir.join("LuaUI").join("Widgets")
}

/// One copy of the widget found in a write folder.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Copy {
    pub path: PathBuf,
    /// `WIDGET_VERSION` in its text, when it has one.
    pub version: Option<String>,
    /// Its text is one we shipped (any version).
    pub pristine: bool,
    /// Its text is the widget inside this binary (line ends aside).
    pub bundled: bool,
}

impl Copy {
    /// How it compares with the widget inside this binary.
    pub fn age(&self) -> Ordering {
        match &self.version {
            Some(v) => compare_versions(v, &bundled_version()),
            None => Ordering::Less,
        }
    }
}

/// The widget's version inside this binary.
pub fn bundled_version() -> String {
    version_of(WIDGET_SOURCE).unwrap_or_default()
}

/// `WIDGET_VERSION = "x.y.z"` in a widget's text.
pub fn version_of(text: &str) -> Option<String> {
    text.lines().find_map(|l| {
        let rest = l
            .trim_start()
            .strip_prefix("WIDGET_VERSION")?
            .trim_start()
            .strip_prefix('=')?;
        let v = rest.trim_start().strip_prefix('"')?;
        v.split_once('"').map(|(v, _)| v.to_owned())
    })
}

/// Whether a widget's text is ours: its `GetInfo` names our widget.
fn is_ours(text: &str) -> bool {
    text.lines().take(80).any(|l| {
        let l = l.trim_start();
        l.starts_with("name") && l.contains(&format!("\"{WIDGET_NAME}\""))
    })
}

fn digest(text: &[u8]) -> String {
    // A copy saved with Windows line ends is the same widget.
    let normalized: Vec<u8> = text.iter().copied().filter(|b| *b != b'\r').collect();
    Sha256::digest(&normalized)
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

/// The digest of the widget inside this binary, computed once.
fn bundled_digest() -> &'static str {
    static D: std::sync::OnceLock<String> = std::sync::OnceLock::new();
    D.get_or_init(|| digest(WIDGET_SOURCE.as_bytes()))
}

/// Whether a text with this digest is one we shipped (the bundled one or any listed in known-versions.txt).
fn is_known(d: &str) -> bool {
    d == bundled_digest()
        || KNOWN
            .lines()
            .any(|l| l.split_whitespace().next() == Some(d))
}

/// Semver-like: numeric parts compared as numbers, missing parts as 0.
pub fn compare_versions(a: &str, b: &str) -> Ordering {
    let parts = |s: &str| -> Vec<u64> {
        s.split(['.', '-', '+'])
            .map(|p| p.parse().unwrap_or(0))
            .collect()
    };
    let (a, b) = (parts(a), parts(b));
    for i in 0..a.len().max(b.len()) {
        let o = a.get(i).unwrap_or(&0).cmp(b.get(i).unwrap_or(&0));
        if o != Ordering::Equal {
            return o;
        }
    }
    Ordering::Equal
}

/// Every copy of the widget in `LuaUI/Widgets/` and one folder below, in path order.
pub fn find(write_dir: &Path) -> Vec<Copy> {
    let dir = widgets_dir(write_dir);
    let mut files: Vec<PathBuf> = Vec::new();
    let Ok(entries) = std::fs::read_dir(&dir) else {
        return Vec::new();
    };
    for e in entries.flatten() {
        let p = e.path();
        if p.is_dir() {
            if let Ok(sub) = std::fs::read_dir(&p) {
                files.extend(sub.flatten().map(|e| e.path()));
            }
        } else {
            files.push(p);
        }
    }
    let mut out: Vec<Copy> = files
        .into_iter()
        .filter(|p| p.extension().is_some_and(|x| x.eq_ignore_ascii_case("lua")) && p.is_file())
        .filter_map(|path| {
            let bytes = std::fs::read(&path).ok()?;
            let text = String::from_utf8_lossy(&bytes);
            if !is_ours(&text) {
                return None;
            }
            let d = digest(&bytes);
            Some(Copy {
                version: version_of(&text),
                pristine: is_known(&d),
                bundled: d == bundled_digest(),
                path,
            })
        })
        .collect();
    out.sort_by(|a, b| a.path.cmp(&b.path));
    out
}

/// What `install` did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Installed {
    /// A first copy, at this path.
    New(PathBuf),
    /// An older or changed copy replaced; `backup` holds the user's changed text.
    Updated {
        path: PathBuf,
        from: Option<String>,
        backup: Option<PathBuf>,
    },
    /// The copy there is this version already.
    Current(PathBuf),
    /// The copy there is newer than this binary's; left alone.
    Newer { path: PathBuf, version: String },
}

impl Installed {
    pub fn path(&self) -> &Path {
        match self {
            Installed::New(p) | Installed::Current(p) => p,
            Installed::Updated { path, .. } | Installed::Newer { path, .. } => path,
        }
    }
}

/// Installs or updates the widget in `write_dir`. Every copy found is brought up to date (BAR would refuse two
/// anyway); with none, the widget goes to `LuaUI/Widgets/export_livedata.lua`. `force` also replaces a newer copy.
pub fn install(write_dir: &Path, force: bool) -> Result<Vec<Installed>> {
    let copies = find(write_dir);
    if copies.is_empty() {
        let dir = widgets_dir(write_dir);
        std::fs::create_dir_all(&dir)
            .with_context(|| format!("could not create {}", dir.display()))?;
        let path = dir.join(super::WIDGET_FILE);
        crate::files::write_atomic(&path, WIDGET_SOURCE.as_bytes())?;
        return Ok(vec![Installed::New(path)]);
    }
    let mut out = Vec::new();
    for c in copies {
        if c.bundled {
            out.push(Installed::Current(c.path));
            continue;
        }
        if c.age() == Ordering::Greater && !force {
            let version = c.version.clone().unwrap_or_default();
            out.push(Installed::Newer {
                path: c.path,
                version,
            });
            continue;
        }
        let backup = if c.pristine {
            None
        } else {
            Some(back_up(&c.path)?)
        };
        crate::files::write_atomic(&c.path, WIDGET_SOURCE.as_bytes())?;
        out.push(Installed::Updated {
            path: c.path,
            from: c.version,
            backup,
        });
    }
    Ok(out)
}

/// What `uninstall` did with one copy.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Removed {
    Deleted(PathBuf),
    /// A copy its user changed: moved aside (not deleted) to this path.
    MovedAside {
        path: PathBuf,
        to: PathBuf,
    },
}

/// Removes every copy: ours are deleted, changed ones are moved aside so nothing the user wrote is lost.
pub fn uninstall(write_dir: &Path) -> Result<Vec<Removed>> {
    let mut out = Vec::new();
    for c in find(write_dir) {
        if c.pristine {
            std::fs::remove_file(&c.path)
                .with_context(|| format!("could not delete {}", c.path.display()))?;
            out.push(Removed::Deleted(c.path));
        } else {
            let to = aside_name(&c.path);
            std::fs::rename(&c.path, &to)
                .with_context(|| format!("could not move {} aside", c.path.display()))?;
            out.push(Removed::MovedAside { path: c.path, to });
        }
    }
    Ok(out)
}

/// `<file>.user-<unix seconds>.bak`: not `.lua`, so BAR does not load the backup as a second widget.
fn aside_name(path: &Path) -> PathBuf {
    crate::files::aside(path, "user", ".bak")
}

fn back_up(path: &Path) -> Result<PathBuf> {
    let to = aside_name(path);
    std::fs::copy(path, &to)
        .with_context(|| format!("could not back up {} to {}", path.display(), to.display()))?;
    Ok(to)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn versions_compare_as_numbers() {
        assert_eq!(compare_versions("1.10.0", "1.9.3"), Ordering::Greater);
        assert_eq!(compare_versions("1.0", "1.0.0"), Ordering::Equal);
        assert_eq!(compare_versions("0.9", "1.0.0"), Ordering::Less);
    }

    #[test]
    fn the_bundled_widget_has_a_version_and_is_ours() {
        assert!(!bundled_version().is_empty());
        assert!(is_ours(WIDGET_SOURCE));
        let known = |t: &str| is_known(&digest(t.as_bytes()));
        assert!(known(WIDGET_SOURCE));
        assert!(known(&WIDGET_SOURCE.replace('\n', "\r\n")));
        assert!(!known(&format!("{WIDGET_SOURCE}-- mine\n")));
    }

    /// The catalog's manifest and the list of shipped texts follow the widget: a widget change that forgets either
    /// fails here with the line to write.
    #[test]
    fn manifest_and_known_versions_match_the_widget() {
        let m: serde_json::Value =
            serde_json::from_str(include_str!("../../widget/manifest.json")).unwrap();
        assert_eq!(
            m["version"].as_str(),
            Some(bundled_version().as_str()),
            "widget/manifest.json's version"
        );
        let id = m["id"].as_str().unwrap_or_default();
        assert!(
            id.starts_with(|c: char| c.is_ascii_lowercase())
                && id
                    .chars()
                    .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_'),
            "the catalog wants ids like ^[a-z][a-z0-9_]*$, not {id:?}"
        );
        assert_eq!(m["display_name"].as_str(), Some(WIDGET_NAME));
        for k in ["author", "description", "last_updated"] {
            assert!(
                m[k].as_str().is_some_and(|s| !s.is_empty()),
                "manifest.json needs {k}"
            );
        }
        let line = format!("{} {}", bundled_digest(), bundled_version());
        assert!(
            KNOWN.lines().any(|l| l == line),
            "widget/known-versions.txt lacks the widget as shipped now: append `{line}` (and raise WIDGET_VERSION \
             when the widget changed)"
        );
        for l in KNOWN.lines().filter(|l| !l.starts_with('#')) {
            let v = l.split_whitespace().nth(1).unwrap_or("0");
            assert_ne!(
                compare_versions(v, &bundled_version()),
                Ordering::Greater,
                "{l}"
            );
            if l != line {
                assert_ne!(
                    v,
                    bundled_version(),
                    "another text already shipped as {v}: raise WIDGET_VERSION"
                );
            }
        }
    }

    #[test]
    fn version_lines() {
        assert_eq!(
            version_of("  WIDGET_VERSION    = \"1.2.3\",\n"),
            Some("1.2.3".into())
        );
        assert_eq!(version_of("local WIDGET_VERSION = 5"), None);
    }
}
