//! The first thing a new user sees: with no game connected, a card that says whether BAR was found and where, whether
//! the widget is installed, enabled and current (with an Install button), the port the overlay waits on, a demo to
//! try, and where to read more. A widget older than the one inside this program gets an Update banner during a game.
//!
//! The checks look at files and processes, so they run on a thread of their own, again on a frame drawn at least a few
//! seconds after the last (input draws one); an idle window schedules nothing (the game arriving replaces the card).

use super::theme;
use crate::install::status::{self, Level, Port, Status, WidgetState};
use crate::install::{self, Enabled, Located, copies};
use egui::RichText;
use std::path::PathBuf;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

/// How soon the checks may run again while the card is shown (the user may be installing BAR or starting it).
const RECHECK: Duration = Duration::from_secs(4);

/// What the card asks the app to do.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum WelcomeAction {
    None,
    TryDemo,
}

struct Checked {
    located: Located,
    status: Status,
}

#[derive(Default)]
pub struct Welcome {
    last: Arc<Mutex<Option<Checked>>>,
    running: Arc<Mutex<bool>>,
    asked: Option<Instant>,
    /// The outcome of the last Install click: fine or not, and what to tell the user.
    message: Option<(bool, String)>,
    typed_dir: String,
    /// The first result is logged once, for a user's bug report (and scripts/test-package).
    logged: bool,
}

impl Welcome {
    /// Starts the checks when due (on a thread; a repaint follows their result).
    pub fn refresh(&mut self, ctx: &egui::Context, port: Port) {
        if self.asked.is_some_and(|t| t.elapsed() < RECHECK) {
            return;
        }
        {
            let mut running = self.running.lock().unwrap_or_else(|e| e.into_inner());
            if *running {
                return;
            }
            *running = true;
        }
        self.asked = Some(Instant::now());
        let (last, running, repaint) = (self.last.clone(), self.running.clone(), ctx.clone());
        let spawned = std::thread::Builder::new()
            .name("welcome-checks".into())
            .spawn(move || {
                let located = install::locate(None);
                let status = status::status(&located, port);
                *last.lock().unwrap_or_else(|e| e.into_inner()) = Some(Checked { located, status });
                *running.lock().unwrap_or_else(|e| e.into_inner()) = false;
                repaint.request_repaint();
            });
        if spawned.is_err() {
            *self.running.lock().unwrap_or_else(|e| e.into_inner()) = false;
        }
    }

    /// Checks again at the next refresh (after an install or a folder picked).
    fn recheck(&mut self) {
        self.asked = None;
    }

    /// The welcome card.
    pub fn card(
        &mut self,
        ui: &mut egui::Ui,
        listening: Option<u16>,
        can_demo: bool,
    ) -> WelcomeAction {
        let mut action = WelcomeAction::None;
        ui.label(RichText::new("Welcome to BAR Live").heading().strong());
        ui.label("The overlay shows a Beyond All Reason game while it is played. It needs the Live Data Export widget in BAR:");
        ui.add_space(4.0);
        let mut pick: Option<PathBuf> = None;
        let mut do_install = false;
        {
            let last = self.last.lock().unwrap_or_else(|e| e.into_inner());
            match last.as_ref() {
                None => {
                    ui.label(RichText::new("Looking for BAR...").color(theme::DIM));
                }
                Some(c) => {
                    if !self.logged {
                        self.logged = true;
                        let lines: Vec<&str> =
                            c.status.checks.iter().map(|c| c.what.as_str()).collect();
                        tracing::info!("welcome card: {}", lines.join("; "));
                    }
                    for check in &c.status.checks {
                        check_line(ui, check);
                    }
                    if c.located.ambiguous() {
                        ui.label("BAR has several data folders here. Which one do you play from?");
                        for f in &c.located.found {
                            if ui.button(format!("Use {}", f.path.display())).clicked() {
                                pick = Some(f.path.clone());
                            }
                        }
                    } else if c.status.folder.is_none() {
                        let l = ui.label("Paste BAR's data folder (the one holding LuaUI, games and springsettings.cfg):");
                        ui.horizontal(|ui| {
                            ui.add(
                                egui::TextEdit::singleline(&mut self.typed_dir)
                                    .desired_width(260.0),
                            )
                            .labelled_by(l.id);
                            if ui.button("Use").clicked() && !self.typed_dir.trim().is_empty() {
                                pick = Some(PathBuf::from(self.typed_dir.trim()));
                            }
                        });
                    }
                    let label = match &c.status.widget {
                        WidgetState::Older { .. } => Some("Update widget"),
                        WidgetState::Missing | WidgetState::Duplicate(_) => Some("Install widget"),
                        _ if c.status.enabled == Some(false) => Some("Enable widget"),
                        _ => None,
                    };
                    if let (Some(label), Some(_)) = (label, &c.status.folder) {
                        do_install = ui.button(label).clicked();
                    }
                }
            }
        }
        if let Some(dir) = pick {
            install::prefs::remember(&dir);
            self.message = None;
            self.recheck();
        }
        if do_install {
            self.install();
        }
        if let Some((ok, msg)) = &self.message {
            ui.label(RichText::new(msg).color(if *ok { theme::GOOD } else { theme::WARN }));
        }
        ui.add_space(4.0);
        match listening {
            Some(p) => ui.label(format!(
                "Waiting for the game on port {p}: start a game or a replay in BAR."
            )),
            None => ui.label(
                RichText::new("Not listening: see the status above or Settings.").color(theme::BAD),
            ),
        };
        ui.horizontal(|ui| {
            let demo = ui.add_enabled(can_demo, egui::Button::new("Try the demo"));
            if demo
                .on_hover_text("A simulated 4-team game, to see the overlay working without BAR")
                .clicked()
            {
                action = WelcomeAction::TryDemo;
            }
        });
        ui.label(
            RichText::new(
                "More: the README's Install section, or `bar-overlay widget status` in a terminal.",
            )
            .color(theme::DIM)
            .small(),
        );
        action
    }

    /// During a game whose widget is older than ours: one line and an Update button.
    pub fn update_banner(&mut self, ui: &mut egui::Ui, theirs: &str) {
        ui.horizontal_wrapped(|ui| {
            ui.label(
                RichText::new(format!(
                    "The widget in BAR is {theirs}; this overlay has {}.",
                    copies::bundled_version()
                ))
                .color(theme::WARN),
            );
            if ui.small_button("Update widget").clicked() {
                self.install();
            }
        });
        if let Some((ok, msg)) = &self.message {
            ui.label(RichText::new(msg).color(if *ok { theme::GOOD } else { theme::WARN }));
        }
    }

    /// The widget's state in one line, from the last checks (the settings window shows it).
    pub fn widget_line(&self) -> Option<String> {
        let last = self.last.lock().unwrap_or_else(|e| e.into_inner());
        let c = last.as_ref()?;
        let Some(dir) = &c.status.folder else {
            return Some("BAR's data folder was not found (see the welcome card or `bar-overlay widget status`).".into());
        };
        let what = match &c.status.widget {
            WidgetState::Unknown | WidgetState::Missing => "not installed".to_owned(),
            WidgetState::Current(_) => format!("{} installed", copies::bundled_version()),
            WidgetState::Older { version, .. } => format!(
                "{version} installed (this overlay has {})",
                copies::bundled_version()
            ),
            WidgetState::Newer { version, .. } => {
                format!("{version} installed, newer than this overlay's")
            }
            WidgetState::Changed(_) => "installed, with your changes".to_owned(),
            WidgetState::Duplicate(p) => format!("{} copies installed (BAR refuses both)", p.len()),
        };
        let enabled = match c.status.enabled {
            Some(true) => ", enabled",
            Some(false) if c.status.widget != WidgetState::Missing => ", not enabled",
            _ => "",
        };
        Some(format!("Widget {what}{enabled} in {}", dir.display()))
    }

    /// What the last install or removal did.
    pub fn message(&self) -> Option<&str> {
        self.message.as_ref().map(|(_, m)| m.as_str())
    }

    /// Removes the widget from the folder found (a copy the user changed is moved aside).
    pub fn uninstall(&mut self) {
        let located = install::locate(None);
        let res = located
            .folder()
            .map(std::path::Path::to_path_buf)
            .and_then(|dir| copies::uninstall(&dir));
        self.message = Some(match res {
            Ok(removed) if removed.is_empty() => (true, "The widget was not installed.".to_owned()),
            Ok(removed) => (
                true,
                format!(
                    "Removed {} cop{} of the widget; BAR forgets it at its next start.",
                    removed.len(),
                    if removed.len() == 1 { "y" } else { "ies" }
                ),
            ),
            Err(e) => (false, format!("{e:#}")),
        });
        self.recheck();
    }

    /// Installs (or updates) the widget in the folder found, and enables it when BAR is closed.
    pub fn install(&mut self) {
        let located = install::locate(None);
        self.message = Some(match install_and_enable(&located) {
            Ok(msg) => (true, msg),
            Err(e) => (false, format!("{e:#}")),
        });
        self.recheck();
    }
}

fn install_and_enable(located: &Located) -> anyhow::Result<String> {
    let (dir, done) = install::install_widget(located, false)?;
    let mut msg = match done.first() {
        Some(copies::Installed::Newer { version, .. }) => {
            format!("BAR has a newer widget ({version}); kept it.")
        }
        _ => "Widget installed.".to_owned(),
    };
    match located.running_in(&dir) {
        Some(_) => msg.push_str(&format!(
            " BAR is running: type /luaui reload in the game to load it; if it stays off, {}.",
            install::ENABLE_IN_GAME
        )),
        None => match install::enable(located, &dir) {
            Ok(Enabled::Edited { .. } | Enabled::Created | Enabled::Already) => {
                msg.push_str(" It is enabled: start BAR and a game or replay.")
            }
            Err(e) => msg.push_str(&format!(" Not enabled: {e:#}")),
        },
    }
    Ok(msg)
}

fn check_line(ui: &mut egui::Ui, c: &status::Check) {
    let (mark, color) = match c.level {
        Level::Ok => ("ok", theme::GOOD),
        Level::Info => ("i", theme::DIM),
        Level::Warn => ("!", theme::WARN),
        Level::Fail => ("x", theme::BAD),
    };
    ui.horizontal_wrapped(|ui| {
        ui.label(RichText::new(mark).color(color).strong().monospace());
        ui.label(&c.what);
    });
    if let Some(fix) = c.fix.as_ref().filter(|_| c.level != Level::Ok) {
        ui.label(RichText::new(format!("   {fix}")).color(theme::DIM).small());
    }
}
