//! Getting the widget into BAR: the widget travels inside the binary; this finds BAR's write folder, installs,
//! updates or removes the widget there, enables it in BAR's `LuaUI/Config/BYAR.lua`, and checks everything that keeps
//! it from reaching the overlay. Used by `bar-overlay widget ...` and by the window's welcome card alike.

pub mod byar;
pub mod copies;
pub mod engine;
pub mod locate;
pub mod prefs;
pub mod springsettings;
pub mod status;

use anyhow::{Context, Result, bail};
use locate::{Candidate, Os, Source};
use std::path::{Path, PathBuf};

/// The widget's text, as shipped.
pub const WIDGET_SOURCE: &str = include_str!("../../widget/export_livedata.lua");
/// `GetInfo().name`: BAR keys its settings (BYAR.lua) by it.
pub const WIDGET_NAME: &str = "Live Data Export";
/// The file name of a new copy.
pub const WIDGET_FILE: &str = "export_livedata.lua";

/// What to type in the game instead, when BYAR.lua cannot be edited.
pub const ENABLE_IN_GAME: &str =
    "press F11 and tick Live Data Export, or type /luaui enablewidget Live Data Export";

/// Where BAR's write folder was looked for, and what was found.
#[derive(Debug, Clone)]
pub struct Located {
    /// The folder to use, when one could be chosen.
    pub chosen: Option<Candidate>,
    /// Every folder that looks like a write folder, in the order of trust (the chosen one among them).
    pub found: Vec<Candidate>,
    /// Engines running now.
    pub running: Vec<engine::RunningEngine>,
}

impl Located {
    /// Several plausible folders and no way to tell which one BAR uses: the user picks.
    pub fn ambiguous(&self) -> bool {
        self.chosen.is_none() && self.found.len() > 1
    }

    /// The write folder, or an error that says what to do.
    pub fn folder(&self) -> Result<&Path> {
        if let Some(c) = &self.chosen {
            return Ok(&c.path);
        }
        if self.found.len() > 1 {
            let list: Vec<String> = self
                .found
                .iter()
                .map(|c| format!("{} ({})", c.path.display(), c.source))
                .collect();
            bail!(
                "BAR has several data folders here: {}; pick one with --bar-dir DIR",
                list.join(", ")
            );
        }
        bail!(
            "BAR's data folder was not found (the folder holding LuaUI, games and springsettings.cfg); start BAR once, \
             or pass it with --bar-dir DIR"
        )
    }

    /// Whether an engine is running with this write folder (or with one we cannot tell).
    pub fn running_in(&self, dir: &Path) -> Option<u32> {
        self.running
            .iter()
            .find(|e| {
                e.write_dir
                    .as_deref()
                    .is_none_or(|w| locate::same_path(w, dir))
            })
            .map(|e| e.pid)
    }
}

/// Finds BAR's write folder on this machine: `given` (`--bar-dir`) if any, else the running engine's, the remembered
/// one, `SPRING_WRITEDIR`, then the install kinds' defaults.
pub fn locate(given: Option<&Path>) -> Located {
    let running = engine::running();
    let env = |k: &str| std::env::var(k).ok();
    let home = std::env::home_dir();
    let remembered = prefs::remembered();
    let running_dirs: Vec<PathBuf> = running.iter().filter_map(|e| e.write_dir.clone()).collect();
    let mut all = locate::candidates(
        &running_dirs,
        remembered.as_deref(),
        Os::current(),
        &env,
        home.as_deref(),
    );
    if let Some(g) = given {
        all.insert(
            0,
            Candidate {
                path: g.to_owned(),
                source: Source::Given,
            },
        );
    }
    choose(all, running)
}

/// The pure half of `locate`: which of the candidates (in the order of trust) to use.
pub fn choose(all: Vec<Candidate>, running: Vec<engine::RunningEngine>) -> Located {
    let mut found: Vec<Candidate> = Vec::new();
    let mut chosen = None;
    for c in all {
        // A folder the user named is taken as it is; the others must look like a write folder.
        let given = c.source == Source::Given;
        if !given && !locate::looks_like_write_dir(&c.path) {
            continue;
        }
        if chosen.is_none() && !matches!(c.source, Source::Default(_)) {
            chosen = Some(c.clone());
        }
        if !found
            .iter()
            .any(|f: &Candidate| locate::same_path(&f.path, &c.path))
        {
            found.push(c);
        }
    }
    if chosen.is_none() && found.len() == 1 {
        chosen = found.first().cloned();
    }
    Located {
        chosen,
        found,
        running,
    }
}

/// Installs or updates the widget in the folder `located` chose (`force`: also over a newer copy) and remembers the
/// folder for the next time. The window and `widget install` both start here.
pub fn install_widget(located: &Located, force: bool) -> Result<(PathBuf, Vec<copies::Installed>)> {
    let dir = located.folder()?.to_owned();
    let done = copies::install(&dir, force)?;
    prefs::remember(&dir);
    Ok((dir, done))
}

/// BAR's widget settings file in a write folder.
pub fn byar_path(write_dir: &Path) -> PathBuf {
    write_dir.join("LuaUI").join("Config").join("BYAR.lua")
}

/// What enabling did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Enabled {
    /// BYAR.lua was edited; the old file was kept as `backup`.
    Edited { backup: PathBuf },
    /// There was no BYAR.lua: a minimal one was written.
    Created,
    /// Already enabled: nothing written.
    Already,
}

/// Enables the widget in BYAR.lua, unless BAR runs in this folder (it rewrites the file when it exits, undoing the
/// edit): then the error says what to type in the game.
pub fn enable(located: &Located, dir: &Path) -> Result<Enabled> {
    if let Some(pid) = located.running_in(dir) {
        bail!(
            "BAR is running (process {pid}) and rewrites its widget settings when it exits, so they were left alone: {ENABLE_IN_GAME}"
        );
    }
    let path = byar_path(dir);
    let text = match std::fs::read(&path) {
        Ok(b) => String::from_utf8(b).map_err(|_| {
            anyhow::anyhow!("{} is not UTF-8 text; {ENABLE_IN_GAME}", path.display())
        })?,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
            let parent = path.parent().unwrap_or(dir);
            std::fs::create_dir_all(parent)
                .with_context(|| format!("could not create {}", parent.display()))?;
            crate::files::write_atomic(&path, byar::minimal(WIDGET_NAME).as_bytes())?;
            return Ok(Enabled::Created);
        }
        Err(e) => return Err(e).with_context(|| format!("could not read {}", path.display())),
    };
    let edited = byar::enable(&text, WIDGET_NAME).map_err(|e| {
        anyhow::anyhow!("{} was not changed: {e}; {ENABLE_IN_GAME}", path.display())
    })?;
    let Some(edited) = edited else {
        return Ok(Enabled::Already);
    };
    let backup = crate::files::aside(&path, "bar-overlay", ".bak");
    std::fs::copy(&path, &backup)
        .with_context(|| format!("could not back up {}", path.display()))?;
    crate::files::write_atomic(&path, edited.as_bytes())?;
    Ok(Enabled::Edited { backup })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_first_trusted_folder_wins_over_defaults() {
        let tmp = tempfile::tempdir().unwrap();
        let a = tmp.path().join("a");
        let b = tmp.path().join("b");
        let c = tmp.path().join("c");
        for d in [&a, &b] {
            std::fs::create_dir_all(d.join("LuaUI")).unwrap();
        }
        std::fs::create_dir_all(&c).unwrap(); // exists, but is no write folder
        let pick = |cs: &[(&PathBuf, Source)]| {
            let all = cs
                .iter()
                .map(|(p, s)| Candidate {
                    path: (*p).clone(),
                    source: s.clone(),
                })
                .collect();
            choose(all, vec![])
        };
        let (x, y, z) = (
            Source::Default("x"),
            Source::Default("y"),
            Source::Default("z"),
        );
        // Two defaults: the user picks.
        let l = pick(&[(&a, x.clone()), (&b, y.clone()), (&c, z)]);
        assert!(l.ambiguous() && l.folder().is_err());
        assert_eq!(l.found.len(), 2);
        // A remembered choice settles it; a remembered folder that is gone does not.
        assert!(pick(&[(&c, Source::Remembered), (&a, x.clone()), (&b, y.clone())]).ambiguous());
        let l = pick(&[(&b, Source::Remembered), (&a, x.clone()), (&b, y)]);
        assert_eq!(l.folder().unwrap(), b);
        // One default: it.
        assert_eq!(pick(&[(&a, x.clone())]).folder().unwrap(), a);
        // A folder the user gives is taken even if it looks empty.
        assert_eq!(pick(&[(&c, Source::Given), (&a, x)]).folder().unwrap(), c);
    }
}
