//! The settings window: a form over [`Settings`], edited in place (the app notices changes, applies and saves them);
//! what it wants beyond that (rebind, reset, quit) it returns as a [`SettingsAction`].

use crate::ui::settings::{Background, Grouping, RendererChoice, Settings, TimeWindow};
use std::net::SocketAddr;
use std::path::Path;

/// What the settings window asks the app to do beyond editing `Settings`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SettingsAction {
    None,
    /// Listen on the address now in the settings.
    Rebind,
    ResetGame,
    Quit,
    /// Install or update the widget in BAR (and enable it while BAR is closed).
    InstallWidget,
    /// Remove the widget from BAR.
    RemoveWidget,
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
    /// The widget in BAR, in one line (from the same checks as the welcome card), when checked.
    pub widget: Option<String>,
    /// What the last install or removal did.
    pub widget_message: Option<&'a str>,
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
                ui.colored_label(crate::ui::theme::BAD, err);
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
            crate::ui::repaint::PER_SECOND_RANGE,
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
            crate::ui::theme::WARN,
            "No tray icon: to turn click-through off, Alt+Tab to the overlay (or click its taskbar entry).",
        );
    }
    ui.horizontal(|ui| {
        ui.label("Renderer");
        ui.selectable_value(&mut s.renderer, RendererChoice::Wgpu, "wgpu");
        ui.selectable_value(&mut s.renderer, RendererChoice::Glow, "glow (OpenGL)");
    });
    if let Some(why) = cx.renderer_fallback {
        ui.colored_label(crate::ui::theme::WARN, format!("{why}."));
    } else if s.renderer != cx.running_renderer {
        ui.colored_label(
            crate::ui::theme::WARN,
            "The renderer changes at the next start.",
        );
    }

    ui.separator();
    ui.heading("BAR widget");
    ui.label(cx.widget.as_deref().unwrap_or("Looking for BAR..."));
    ui.horizontal(|ui| {
        if ui.button("Install or update widget").clicked() {
            action = SettingsAction::InstallWidget;
        }
        if ui.button("Remove widget").clicked() {
            action = SettingsAction::RemoveWidget;
        }
    });
    if let Some(m) = cx.widget_message {
        ui.label(egui::RichText::new(m).small());
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
                if name_row(ui, &default, &mut text) {
                    names.name_side(side, &text);
                }
            }
            for player in players {
                let mut text = names.players.get(&player).cloned().unwrap_or_default();
                if name_row(ui, &player, &mut text) {
                    names.rename_player(&player, &text);
                }
            }
        });
}

/// One row of the names grid: the name the game gives, and the one shown instead (empty: the game's). True when edited.
fn name_row(ui: &mut egui::Ui, given: &str, shown: &mut String) -> bool {
    let l = ui.label(format!("{given}:"));
    let edit = ui
        .add(
            egui::TextEdit::singleline(shown)
                .hint_text(given)
                .char_limit(crate::model::MAX_NAME_CHARS)
                .desired_width(160.0),
        )
        .labelled_by(l.id);
    ui.end_row();
    edit.changed()
}
