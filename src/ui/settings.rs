//! The persisted settings (confy, TOML in the OS config directory) and the in-app settings window.
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

/// What the settings window asks the app to do beyond editing `Settings`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SettingsAction {
    None,
    /// Listen on the address now in the settings.
    Rebind,
    ResetGame,
    Quit,
}

/// What the settings window shows about the running app.
pub struct SettingsContext<'a> {
    pub listening: Option<SocketAddr>,
    pub listen_error: Option<&'a str>,
    pub tray: bool,
    /// The renderer this window was started with.
    pub running_renderer: RendererChoice,
    /// Why it differs from the setting, when the start-up check overrode it.
    pub renderer_fallback: Option<&'a str>,
    pub path: Option<&'a Path>,
    /// The players (as the game names them) and sides of the game now, for the broadcast names.
    pub players: Vec<String>,
    pub sides: Vec<u32>,
}

/// The settings form. Edits `s` in place; the app notices changes, applies and saves them.
pub fn settings_ui(ui: &mut egui::Ui, s: &mut Settings, cx: &SettingsContext) -> SettingsAction {
    let mut action = SettingsAction::None;
    ui.heading("Connection");
    egui::Grid::new("settings_conn")
        .num_columns(2)
        .show(ui, |ui| {
            let l = ui.label("Listen address");
            ui.add(egui::TextEdit::singleline(&mut s.listen_address).desired_width(120.0))
                .labelled_by(l.id);
            ui.end_row();
            let l = ui.label("Port");
            ui.add(egui::DragValue::new(&mut s.port).range(1..=65535))
                .labelled_by(l.id);
            ui.end_row();
            let l = ui.label("Token");
            ui.add(
                egui::TextEdit::singleline(&mut s.token)
                    .password(true)
                    .desired_width(120.0),
            )
            .labelled_by(l.id)
            .on_hover_text(
                "Needed to listen on a LAN address; the widget's token setting must match",
            );
            ui.end_row();
            let l = ui.label("Web pages port");
            ui.add(egui::DragValue::new(&mut s.web_port).range(0..=65535))
                .labelled_by(l.id)
                .on_hover_text("OBS browser sources: http://127.0.0.1:PORT/ (0: off)");
            ui.end_row();
        });
    ui.horizontal(|ui| {
        if ui.button("Listen").clicked() {
            action = SettingsAction::Rebind;
        }
        match (cx.listening, cx.listen_error) {
            (_, Some(err)) => {
                ui.colored_label(super::theme::BAD, err);
            }
            (Some(addr), None) => {
                ui.label(format!("listening on {addr}"));
            }
            (None, None) => {
                ui.label("not listening");
            }
        }
    });

    let l = ui.label("Stream delay (s)");
    ui.add(egui::Slider::new(&mut s.delay_secs, 0..=600))
        .labelled_by(l.id)
        .on_hover_text("Show everything this late, window and pages, to match a delayed stream (tournaments: 120)");

    ui.separator();
    ui.heading("Panels");
    ui.horizontal_wrapped(|ui| {
        ui.checkbox(&mut s.panels.status, "Status");
        ui.checkbox(&mut s.panels.scoreboard, "Scoreboard");
        ui.checkbox(&mut s.panels.graphs, "Graphs");
        ui.checkbox(&mut s.panels.army, "Army");
        ui.checkbox(&mut s.panels.production, "Production");
    });
    ui.horizontal(|ui| {
        ui.label("Graph window");
        for w in [
            TimeWindow::FiveMinutes,
            TimeWindow::FifteenMinutes,
            TimeWindow::WholeGame,
        ] {
            ui.selectable_value(&mut s.time_window, w, w.label());
        }
    });
    ui.horizontal(|ui| {
        ui.label("Graph lines");
        ui.selectable_value(&mut s.grouping, Grouping::Team, "Per player");
        ui.selectable_value(&mut s.grouping, Grouping::AllyTeam, "Per ally team");
    });

    names_ui(ui, &mut s.names, cx);

    ui.separator();
    ui.heading("Window");
    ui.horizontal(|ui| {
        ui.label("Background");
        ui.selectable_value(&mut s.background, Background::Transparent, "Transparent");
        ui.selectable_value(&mut s.background, Background::Solid, "Solid");
        ui.selectable_value(&mut s.background, Background::ChromaKey, "Chroma key");
    });
    ui.add(egui::Slider::new(&mut s.opacity, 0.0..=1.0).text("Opacity"));
    if s.background == Background::ChromaKey {
        ui.horizontal(|ui| {
            let l = ui.label("Key color");
            ui.color_edit_button_srgb(&mut s.chroma_key)
                .labelled_by(l.id);
            ui.label("(OBS: Color Key filter with this color)");
        });
    }
    ui.add(egui::Slider::new(&mut s.scale, 0.5..=2.5).text("Scale"));
    ui.add(
        egui::Slider::new(
            &mut s.max_repaints_per_second,
            super::repaint::PER_SECOND_RANGE,
        )
        .logarithmic(true)
        .text("Redraws a second, at most"),
    )
    .on_hover_text(
        "How often the overlay redraws while a game streams. The numbers change about once a second; more costs \
         CPU (much more without a GPU). Mouse and keyboard redraw at once.",
    );
    ui.checkbox(&mut s.always_on_top, "Always on top");
    ui.checkbox(
        &mut s.click_through,
        "Click-through (mouse goes to the game)",
    );
    if cx.tray {
        ui.label("Turn click-through off from the tray icon, or Alt+Tab to the overlay.");
    } else {
        ui.colored_label(
            super::theme::WARN,
            "No tray icon: to turn click-through off, Alt+Tab to the overlay (or click its taskbar entry).",
        );
    }
    ui.horizontal(|ui| {
        ui.label("Renderer");
        ui.selectable_value(&mut s.renderer, RendererChoice::Wgpu, "wgpu");
        ui.selectable_value(&mut s.renderer, RendererChoice::Glow, "glow (OpenGL)");
    });
    if let Some(why) = cx.renderer_fallback {
        ui.colored_label(super::theme::WARN, format!("{why}."));
    } else if s.renderer != cx.running_renderer {
        ui.colored_label(
            super::theme::WARN,
            "The renderer changes at the next start.",
        );
    }

    ui.separator();
    ui.horizontal(|ui| {
        if ui.button("Reset game").clicked() {
            action = SettingsAction::ResetGame;
        }
        if ui.button("Defaults").clicked() {
            *s = Settings {
                // Keep where we listen: resetting the look should not drop the game's connection.
                listen_address: s.listen_address.clone(),
                port: s.port,
                ..Settings::default()
            };
        }
        if ui.button("Quit overlay").clicked() {
            action = SettingsAction::Quit;
        }
    });
    if let Some(p) = cx.path {
        ui.label(egui::RichText::new(format!("Saved in {}", p.display())).small());
    }
    action
}

/// Broadcast names: one field per player and side of the game now (empty keeps the game's name), plus renames kept
/// from earlier games, which apply again when those players come back.
fn names_ui(ui: &mut egui::Ui, names: &mut crate::model::Names, cx: &SettingsContext) {
    ui.separator();
    ui.heading("Broadcast names");
    if cx.players.is_empty() && names.is_empty() {
        ui.label("Rename players and sides here once a game is on (window and pages alike).");
        return;
    }
    let mut players: Vec<String> = cx.players.clone();
    for kept in names.players.keys() {
        if !players.contains(kept) {
            players.push(kept.clone());
        }
    }
    let mut sides: Vec<u32> = cx.sides.iter().map(|a| a + 1).collect();
    for kept in names.sides.keys().filter_map(|k| k.parse::<u32>().ok()) {
        if !sides.contains(&kept) {
            sides.push(kept);
        }
    }
    sides.sort_unstable();
    egui::Grid::new("settings_names")
        .num_columns(2)
        .show(ui, |ui| {
            for side in sides {
                let default = format!("Side {side}");
                let mut text = names
                    .sides
                    .get(&side.to_string())
                    .cloned()
                    .unwrap_or_default();
                let l = ui.label(format!("{default}:"));
                let edit = ui
                    .add(
                        egui::TextEdit::singleline(&mut text)
                            .hint_text(&default)
                            .char_limit(crate::model::MAX_NAME_CHARS)
                            .desired_width(160.0),
                    )
                    .labelled_by(l.id);
                if edit.changed() {
                    names.name_side(side, &text);
                }
                ui.end_row();
            }
            for player in players {
                let mut text = names.players.get(&player).cloned().unwrap_or_default();
                let l = ui.label(format!("{player}:"));
                let edit = ui
                    .add(
                        egui::TextEdit::singleline(&mut text)
                            .hint_text(&player)
                            .char_limit(crate::model::MAX_NAME_CHARS)
                            .desired_width(160.0),
                    )
                    .labelled_by(l.id);
                if edit.changed() {
                    names.rename_player(&player, &text);
                }
                ui.end_row();
            }
        });
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
