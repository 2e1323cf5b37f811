//! The persisted settings (confy, TOML in the OS config directory). The window that edits them is
//! `panels/settings.rs`.
//!
//! Every field has a serde default, so a file from an older or newer version loads with what it has and defaults for
//! the rest. A file that cannot be parsed at all is moved aside (never deleted: it may hold a streamer's careful
//! setup) and defaults load with a notice the user can see.

use serde::{Deserialize, Serialize};
use std::net::{IpAddr, Ipv4Addr, SocketAddr};
use std::path::{Path, PathBuf};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Background {
    /// Per-pixel alpha: the game shows around and, dimmed, behind the panels.
    Transparent,
    /// A dark fill with the opacity setting: for capture methods that drop alpha.
    Solid,
    /// An opaque key color around the panels, for OBS's Color Key filter.
    ChromaKey,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum TimeWindow {
    FiveMinutes,
    FifteenMinutes,
    WholeGame,
}

impl TimeWindow {
    /// Seconds of game time shown, `None` for the whole game.
    pub fn seconds(self) -> Option<f64> {
        match self {
            TimeWindow::FiveMinutes => Some(300.0),
            TimeWindow::FifteenMinutes => Some(900.0),
            TimeWindow::WholeGame => None,
        }
    }
    pub fn label(self) -> &'static str {
        match self {
            TimeWindow::FiveMinutes => "5 min",
            TimeWindow::FifteenMinutes => "15 min",
            TimeWindow::WholeGame => "Whole game",
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Grouping {
    /// One line per player.
    Team,
    /// One line per side (ally team), values summed.
    AllyTeam,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum RendererChoice {
    Wgpu,
    Glow,
}

impl RendererChoice {
    /// Glow on Windows: wgpu's default DX12 swapchain there has no alpha (egui issue 4451).
    fn platform_default() -> Self {
        if cfg!(windows) {
            RendererChoice::Glow
        } else {
            RendererChoice::Wgpu
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct Panels {
    pub status: bool,
    pub scoreboard: bool,
    pub graphs: bool,
    pub army: bool,
    /// Off by default: the default window fits the other four from 1 to 16 players.
    pub production: bool,
}

impl Default for Panels {
    fn default() -> Self {
        Panels {
            status: true,
            scoreboard: true,
            graphs: true,
            army: true,
            production: false,
        }
    }
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct Settings {
    /// The address the overlay listens on. 127.0.0.1 keeps the port private to this machine.
    pub listen_address: String,
    pub port: u16,
    pub background: Background,
    /// 0..1: the panels' backdrop in transparent mode, the whole window in solid mode.
    pub opacity: f32,
    pub chroma_key: [u8; 3],
    /// UI zoom (1.0 = egui's normal size).
    pub scale: f32,
    pub time_window: TimeWindow,
    pub grouping: Grouping,
    /// Used at the next start (a running window cannot change its renderer).
    pub renderer: RendererChoice,
    pub always_on_top: bool,
    pub click_through: bool,
    /// Seconds without data from a connected game before the status says "stale".
    pub stale_after_secs: f32,
    /// Unit types listed per team in the army panel.
    pub top_units: usize,
    /// The window redraws at most this often while a game streams (see `ui::repaint`); input redraws at once.
    pub max_repaints_per_second: f32,
    /// Port of the web pages (OBS browser sources) on 127.0.0.1; 0 turns them off.
    pub web_port: u16,
    /// Seconds everything (window and pages) is shown late, to match a delayed stream; 0 to 600.
    pub delay_secs: u32,
    /// Shared secret for a two-PC setup: the widget's `token` setting and the pages' `?token=`. Required when the
    /// listen address is not a loopback address.
    pub token: String,
    /// Tables last: TOML needs plain values before them.
    pub panels: Panels,
    /// Broadcast names: players and sides renamed for the stream, in the window and the pages alike.
    pub names: crate::model::Names,
}

impl Default for Settings {
    fn default() -> Self {
        Settings {
            listen_address: Ipv4Addr::LOCALHOST.to_string(),
            port: crate::protocol::DEFAULT_PORT,
            background: Background::Transparent,
            opacity: 0.6,
            chroma_key: [0, 255, 0],
            scale: 1.0,
            time_window: TimeWindow::FifteenMinutes,
            grouping: Grouping::Team,
            renderer: RendererChoice::platform_default(),
            always_on_top: true,
            click_through: false,
            stale_after_secs: 3.0,
            top_units: 3,
            max_repaints_per_second: super::repaint::DEFAULT_PER_SECOND,
            web_port: crate::protocol::DEFAULT_WEB_PORT,
            delay_secs: 0,
            token: String::new(),
            panels: Panels::default(),
            names: crate::model::Names::default(),
        }
    }
}

impl Settings {
    /// The listen address, or why it is not one.
    pub fn listen_addr(&self) -> Result<SocketAddr, String> {
        self.listen_address
            .trim()
            .parse::<IpAddr>()
            .map(|ip| SocketAddr::new(ip, self.port))
            .map_err(|_| {
                format!(
                    "`{}` is not an IP address (use 127.0.0.1, or 0.0.0.0 for other machines)",
                    self.listen_address.trim()
                )
            })
    }

    /// Keeps hand-edited values in a range the UI can live with.
    fn sanitized(mut self) -> Settings {
        let d = Settings::default();
        let fix = |v: f32, lo: f32, hi: f32, def: f32| {
            if v.is_finite() { v.clamp(lo, hi) } else { def }
        };
        self.opacity = fix(self.opacity, 0.0, 1.0, d.opacity);
        self.scale = fix(self.scale, 0.5, 3.0, d.scale);
        self.stale_after_secs = fix(self.stale_after_secs, 1.0, 60.0, d.stale_after_secs);
        self.top_units = self.top_units.clamp(1, 10);
        let r = &super::repaint::PER_SECOND_RANGE;
        self.max_repaints_per_second = fix(
            self.max_repaints_per_second,
            *r.start(),
            *r.end(),
            d.max_repaints_per_second,
        );
        self.delay_secs = self.delay_secs.min(600);
        self.names = self.names.cleaned();
        self
    }
}

/// Where the settings live, and what went wrong with them (shown in the UI, never a crash).
#[derive(Debug, Clone)]
pub struct SettingsStore {
    /// `None` when the OS has no config directory: settings then last for this run only.
    path: Option<PathBuf>,
    /// A message for the user about loading or saving; cleared when they dismiss it.
    pub notice: Option<String>,
}

impl SettingsStore {
    /// The file in the OS config directory, or `override_path` (`--config`).
    pub fn open(override_path: Option<PathBuf>) -> (SettingsStore, Settings) {
        let path = match override_path {
            Some(p) => Ok(p),
            None => confy::get_configuration_file_path("bar-overlay", "settings")
                .map_err(|e| format!("no settings directory ({e}); settings will not be saved")),
        };
        match path {
            Ok(p) => {
                let (settings, notice) = load(&p);
                (
                    SettingsStore {
                        path: Some(p),
                        notice,
                    },
                    settings,
                )
            }
            Err(notice) => (
                SettingsStore {
                    path: None,
                    notice: Some(notice),
                },
                Settings::default(),
            ),
        }
    }

    pub fn path(&self) -> Option<&Path> {
        self.path.as_deref()
    }

    /// Writes the settings; a failure becomes the notice.
    pub fn save(&mut self, s: &Settings) {
        let Some(path) = &self.path else { return };
        if let Err(e) = confy::store_path(path, s) {
            self.notice = Some(format!(
                "could not save settings to {}: {e}",
                path.display()
            ));
        }
    }
}

/// Loads `path`, creating it with defaults when missing. An unparsable file is renamed to
/// `<name>.corrupt-<unix seconds>` and defaults are used.
fn load(path: &Path) -> (Settings, Option<String>) {
    match confy::load_path::<Settings>(path) {
        Ok(s) => (s.sanitized(), None),
        Err(e @ confy::ConfyError::BadTomlData(_)) => {
            let stamp = std::time::SystemTime::now()
                .duration_since(std::time::UNIX_EPOCH)
                .map(|d| d.as_secs())
                .unwrap_or(0);
            let mut aside = path.as_os_str().to_owned();
            aside.push(format!(".corrupt-{stamp}"));
            let aside = PathBuf::from(aside);
            let moved = std::fs::rename(path, &aside);
            let defaults = Settings::default();
            let notice = match moved {
                Ok(()) => {
                    // Start the new file right away so the next start is clean.
                    let _ = confy::store_path(path, &defaults);
                    format!(
                        "Settings file was unreadable ({e}); it was moved to {} and defaults are in use.",
                        aside.display()
                    )
                }
                Err(re) => format!(
                    "Settings file {} is unreadable ({e}) and could not be moved aside ({re}); defaults are in use.",
                    path.display()
                ),
            };
            tracing::warn!("{notice}");
            (defaults, Some(notice))
        }
        Err(e) => {
            let notice = format!(
                "Could not load settings from {} ({e}); defaults are in use.",
                path.display()
            );
            tracing::warn!("{notice}");
            (Settings::default(), Some(notice))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn missing_fields_take_defaults_and_values_are_clamped() {
        let dir = tempfile::tempdir().expect("tempdir");
        let p = dir.path().join("s.toml");
        std::fs::write(&p, "port = 5000\nscale = 99.0\n[panels]\narmy = false\n").expect("write");
        let (s, notice) = load(&p);
        assert_eq!(notice, None);
        assert_eq!(s.port, 5000);
        assert_eq!(s.scale, 3.0);
        assert!(!s.panels.army && s.panels.graphs);
        assert_eq!(s.listen_address, "127.0.0.1");
    }

    #[test]
    fn corrupt_file_is_moved_aside_with_a_notice() {
        let dir = tempfile::tempdir().expect("tempdir");
        let p = dir.path().join("s.toml");
        std::fs::write(&p, "port = \"not a number\n[[[").expect("write");
        let (s, notice) = load(&p);
        assert_eq!(s, Settings::default());
        let notice = notice.expect("a notice");
        assert!(notice.contains("moved to"), "{notice}");
        let names: Vec<String> = std::fs::read_dir(dir.path())
            .expect("read_dir")
            .filter_map(|e| e.ok())
            .map(|e| e.file_name().to_string_lossy().into_owned())
            .collect();
        assert!(
            names.iter().any(|n| n.starts_with("s.toml.corrupt-")),
            "{names:?}"
        );
        // And a fresh, valid file took its place.
        assert_eq!(load(&p), (Settings::default(), None));
    }

    #[test]
    fn round_trips_through_toml() {
        let dir = tempfile::tempdir().expect("tempdir");
        let p = dir.path().join("s.toml");
        let s = Settings {
            background: Background::ChromaKey,
            grouping: Grouping::AllyTeam,
            ..Settings::default()
        };
        confy::store_path(&p, &s).expect("store");
        assert_eq!(load(&p), (s, None));
    }
}
