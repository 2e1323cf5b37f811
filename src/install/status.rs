//! Everything between "BAR is installed" and "the overlay gets the game", checked one by one, each with what to do
//! when it fails: `bar-overlay widget status` prints these lines and the window's welcome card shows them.

use super::{Located, WIDGET_NAME, byar, byar_path, copies, springsettings};
use std::cmp::Ordering;
use std::path::PathBuf;

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Level {
    Ok,
    Info,
    Warn,
    Fail,
}

impl Level {
    pub fn tag(self) -> &'static str {
        match self {
            Level::Ok => "ok",
            Level::Info => "info",
            Level::Warn => "warn",
            Level::Fail => "FAIL",
        }
    }
}

/// One line of the status: what was checked and how it is, and what to do about it when it is not fine.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Check {
    pub level: Level,
    pub what: String,
    pub fix: Option<String>,
}

fn check(level: Level, what: impl Into<String>, fix: Option<String>) -> Check {
    Check {
        level,
        what: what.into(),
        fix,
    }
}

/// The widget in the write folder, compared with the one inside this binary.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum WidgetState {
    /// No folder to look in.
    Unknown,
    Missing,
    Current(PathBuf),
    Older {
        path: PathBuf,
        version: String,
    },
    Newer {
        path: PathBuf,
        version: String,
    },
    /// Same version, other text: the user edited it.
    Changed(PathBuf),
    /// More than one copy: BAR loads neither twice ("duplicate name").
    Duplicate(Vec<PathBuf>),
}

impl WidgetState {
    /// An install (or update) would help.
    pub fn wants_install(&self) -> bool {
        matches!(
            self,
            WidgetState::Missing | WidgetState::Older { .. } | WidgetState::Duplicate(_)
        )
    }
}

/// Whether the overlay's port is free, taken, or ours.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Port {
    /// This program listens there (the window).
    Ours(u16),
    /// Nothing listens yet (a terminal's `widget status`): the overlay must be started before the game.
    Free(u16),
    /// Something else holds it.
    InUse(u16, String),
}

/// What `status` found.
#[derive(Debug, Clone)]
pub struct Status {
    pub folder: Option<PathBuf>,
    pub widget: WidgetState,
    pub enabled: Option<bool>,
    pub bar_running: Option<u32>,
    pub checks: Vec<Check>,
}

impl Status {
    pub fn worst(&self) -> Level {
        self.checks
            .iter()
            .map(|c| c.level)
            .max()
            .unwrap_or(Level::Ok)
    }
}

/// Tries the overlay's port on 127.0.0.1 the way the receiver binds it.
pub fn probe_port(port: u16) -> Port {
    match std::net::TcpListener::bind(("127.0.0.1", port)) {
        Ok(_) => Port::Free(port),
        Err(e) => Port::InUse(port, e.to_string()),
    }
}

/// Checks everything for the folder `located` chose.
pub fn status(located: &Located, port: Port) -> Status {
    let mut checks = Vec::new();
    let install =
        "run `bar-overlay widget install --enable` (or the window's Install button)".to_owned();
    let folder = match located.folder() {
        Ok(dir) => {
            let how = located
                .chosen
                .as_ref()
                .map(|c| c.source.to_string())
                .unwrap_or_default();
            checks.push(check(
                Level::Ok,
                format!("BAR data folder: {} ({how})", dir.display()),
                None,
            ));
            Some(dir.to_owned())
        }
        Err(e) => {
            checks.push(check(
                Level::Fail,
                "BAR data folder not found",
                Some(e.to_string()),
            ));
            None
        }
    };
    let bar_running = folder.as_deref().and_then(|d| located.running_in(d));
    if let Some(pid) = bar_running {
        checks.push(check(
            Level::Info,
            format!("BAR is running (process {pid})"),
            Some("a new or updated widget loads after `/luaui reload` in the game, or at the next start".into()),
        ));
    }
    let widget = folder.as_deref().map_or(WidgetState::Unknown, widget_state);
    let bundled = copies::bundled_version();
    match &widget {
        WidgetState::Unknown => {}
        WidgetState::Missing => checks.push(check(
            Level::Fail,
            "widget not installed",
            Some(install.clone()),
        )),
        WidgetState::Current(p) => checks.push(check(
            Level::Ok,
            format!("widget {bundled} installed: {}", p.display()),
            None,
        )),
        WidgetState::Older { path, version } => checks.push(check(
            Level::Warn,
            format!(
                "widget {version} installed ({}); this overlay has {bundled}",
                path.display()
            ),
            Some("update it: `bar-overlay widget install` (or the window's Update button)".into()),
        )),
        WidgetState::Newer { path, version } => checks.push(check(
            Level::Info,
            format!(
                "widget {version} installed ({}) is newer than this overlay's {bundled}",
                path.display()
            ),
            Some(
                "update the overlay; `widget install --force` would put the older one back".into(),
            ),
        )),
        WidgetState::Changed(p) => checks.push(check(
            Level::Info,
            format!(
                "widget {bundled} installed with your own changes: {}",
                p.display()
            ),
            Some(
                "`bar-overlay widget install` replaces it (your copy is kept as a .bak file)"
                    .into(),
            ),
        )),
        WidgetState::Duplicate(ps) => {
            let list: Vec<String> = ps.iter().map(|p| p.display().to_string()).collect();
            checks.push(check(
                Level::Fail,
                format!(
                    "{} copies of the widget: {} (BAR refuses two widgets named {WIDGET_NAME})",
                    ps.len(),
                    list.join(", ")
                ),
                Some(
                    "delete all but one (`bar-overlay widget uninstall` then `install` leaves one)"
                        .into(),
                ),
            ));
        }
    }
    let mut enabled = None;
    if let Some(dir) = &folder {
        let path = byar_path(dir);
        match std::fs::read_to_string(&path) {
            Ok(text) => match byar::read(&text, WIDGET_NAME) {
                Ok(info) => {
                    enabled = Some(info.enabled());
                    if info.enabled() {
                        checks.push(check(
                            Level::Ok,
                            "widget enabled in BAR (LuaUI/Config/BYAR.lua)",
                            None,
                        ));
                    } else {
                        checks.push(check(
                            Level::Fail,
                            "widget not enabled in BAR (new user widgets start off)",
                            Some(enable_fix(bar_running)),
                        ));
                    }
                    if info.allow_user_widgets == Some(false) {
                        checks.push(check(
                            Level::Fail,
                            "user widgets are turned off in BAR (allowUserWidgets = false in BYAR.lua)",
                            Some("turn user widgets back on in BAR's settings; the overlay never changes that for you".into()),
                        ));
                    }
                }
                Err(e) => checks.push(check(
                    Level::Warn,
                    format!("{} could not be read: {e}", path.display()),
                    Some(super::ENABLE_IN_GAME.into()),
                )),
            },
            Err(_) => {
                enabled = Some(false);
                checks.push(check(
                    Level::Fail,
                    "widget not enabled in BAR (no LuaUI/Config/BYAR.lua yet)",
                    Some(enable_fix(bar_running)),
                ));
            }
        }
        let cfg = dir.join("springsettings.cfg");
        if let Ok(text) = std::fs::read_to_string(&cfg) {
            let s = springsettings::parse(&text);
            if springsettings::luasocket_disabled(&s) {
                checks.push(check(
                    Level::Fail,
                    "LuaSocket is off (LuaSocketEnabled = 0 in springsettings.cfg): no widget can connect",
                    Some(format!("set LuaSocketEnabled = 1 in {} while BAR is closed", cfg.display())),
                ));
            }
            let port_no = match &port {
                Port::Ours(p) | Port::Free(p) | Port::InUse(p, _) => *p,
            };
            if let Some(why) = springsettings::connect_denied(&s, port_no) {
                checks.push(check(
                    Level::Fail,
                    "the engine will deny the widget's connection",
                    Some(why),
                ));
            }
        }
    }
    checks.push(match port {
        Port::Ours(p) => check(Level::Ok, format!("the overlay listens on 127.0.0.1:{p}"), None),
        Port::Free(p) => check(
            Level::Info,
            format!("nothing listens on 127.0.0.1:{p} yet"),
            Some("start the overlay (bar-overlay); the widget connects within seconds and reconnects on its own".into()),
        ),
        Port::InUse(p, e) => check(
            Level::Info,
            format!("127.0.0.1:{p} is taken ({e})"),
            Some("fine if it is the overlay or `bar-overlay serve`; otherwise start the overlay with --port and set the widget's port to match (/livedata port N)".into()),
        ),
    });
    Status {
        folder,
        widget,
        enabled,
        bar_running,
        checks,
    }
}

fn enable_fix(bar_running: Option<u32>) -> String {
    match bar_running {
        Some(_) => super::ENABLE_IN_GAME.to_owned(),
        None => format!(
            "run `bar-overlay widget install --enable` while BAR is closed, or in the game: {}",
            super::ENABLE_IN_GAME
        ),
    }
}

/// The widget copies in `dir`, summed up.
pub fn widget_state(dir: &std::path::Path) -> WidgetState {
    let found = copies::find(dir);
    match found.as_slice() {
        [] => WidgetState::Missing,
        [c] => {
            let version = c.version.clone().unwrap_or_else(|| "unknown".into());
            match c.age() {
                Ordering::Less => WidgetState::Older {
                    path: c.path.clone(),
                    version,
                },
                Ordering::Greater => WidgetState::Newer {
                    path: c.path.clone(),
                    version,
                },
                Ordering::Equal if c.bundled => WidgetState::Current(c.path.clone()),
                Ordering::Equal => WidgetState::Changed(c.path.clone()),
            }
        }
        many => WidgetState::Duplicate(many.iter().map(|c| c.path.clone()).collect()),
    }
}
