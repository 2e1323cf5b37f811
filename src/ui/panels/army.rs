//! Army composition per team: army value split into land, air and sea (a bar plus numbers), defense, economy and
//! build power beside it, commander alive or not, and the unit types worth the most with their counts. Beyond four
//! players one line each (name, commander, the bar, the value), sides in two columns (see `layout`).

use super::layout::{self, Density};
use crate::model::{Game, Names, Team};
use crate::ui::theme;
use egui::{Color32, RichText, Sense, Stroke, vec2};

pub fn show(ui: &mut egui::Ui, game: &Game, names: &Names, top_units: usize) {
    if game.teams.is_empty() {
        ui.label(RichText::new("No teams yet").color(theme::DIM));
        return;
    }
    // Scale every bar against the largest army, so the bars compare teams, not just shares within one.
    let max_army = game
        .teams
        .values()
        .map(|t| t.army.army_value())
        .fold(0.0_f64, f64::max);
    let sides: Vec<(u32, Vec<&Team>)> = game.ally_teams().into_iter().collect();
    if Density::of(game) == Density::Compact {
        let cols = layout::two_columns(&sides);
        ui.columns(2, |uis| {
            for (ui, col) in uis.iter_mut().zip(&cols) {
                for (i, (_, teams)) in col.iter().enumerate() {
                    if i > 0 {
                        ui.add_space(3.0);
                    }
                    for t in teams {
                        compact_team(ui, game, names, t, max_army);
                    }
                }
            }
        });
        return;
    }
    let mut first = true;
    for (_, teams) in &sides {
        for t in teams {
            if !first {
                ui.add_space(2.0);
            }
            first = false;
            team(ui, game, names, t, max_army, top_units);
        }
    }
}

/// One line: the value on the right, the bar before it, the name (giving way when long) on the left; the name is
/// struck through once the commander is dead.
fn compact_team(ui: &mut egui::Ui, game: &Game, names: &Names, t: &Team, max_army: f64) {
    let a = &t.army;
    ui.horizontal(|ui| {
        ui.with_layout(egui::Layout::right_to_left(egui::Align::Center), |ui| {
            ui.spacing_mut().item_spacing.x = 4.0;
            ui.label(RichText::new(theme::amount(a.army_value())).strong());
            let bar = (ui.available_width() * 0.4).max(16.0);
            split_bar(
                ui,
                [a.army_land(), a.army_air(), a.army_sea()],
                max_army,
                bar,
                8.0,
            );
            let mut name = RichText::new(names.team(t))
                .color(theme::team_color(t.color))
                .strong();
            let known = !(a.by_def.is_empty() && !a.commander_alive && !game.full_view());
            if known && !a.commander_alive {
                name = name.strikethrough();
            }
            ui.with_layout(egui::Layout::left_to_right(egui::Align::Center), |ui| {
                ui.add(egui::Label::new(name).truncate());
            });
        });
    });
}

fn team(ui: &mut egui::Ui, game: &Game, names: &Names, t: &Team, max_army: f64, top_units: usize) {
    let a = &t.army;
    ui.horizontal(|ui| {
        ui.label(
            RichText::new(names.team(t))
                .color(theme::team_color(t.color))
                .strong(),
        );
        let (text, color) = if a.commander_alive {
            ("Com alive", theme::GOOD)
        } else {
            ("Com dead", theme::BAD)
        };
        // Without data on this team's units (player view of an enemy), the commander's fate is unknown.
        if a.by_def.is_empty() && !a.commander_alive && !game.full_view() {
            ui.label(RichText::new("Com ?").color(theme::DIM));
        } else {
            ui.label(RichText::new(text).color(color));
        }
        ui.with_layout(egui::Layout::right_to_left(egui::Align::Center), |ui| {
            ui.label(RichText::new(theme::amount(a.army_value())).strong());
            ui.label(RichText::new("army").color(theme::DIM));
        });
    });
    split_bar(
        ui,
        [a.army_land(), a.army_air(), a.army_sea()],
        max_army,
        ui.available_width(),
        6.0,
    );
    ui.horizontal_wrapped(|ui| {
        ui.spacing_mut().item_spacing.x = 4.0;
        for (tag, v, c) in [
            ("Land", a.army_land(), theme::LAND),
            ("Air", a.army_air(), theme::AIR),
            ("Sea", a.army_sea(), theme::SEA),
        ] {
            ui.label(RichText::new(tag).color(c));
            ui.label(RichText::new(theme::amount(v)).monospace());
        }
        ui.label(RichText::new("|").color(theme::DIM));
        for (tag, v) in [
            ("Def", a.defense_value()),
            // The Spectator HUD's definitions when the game sends them (protocol 1.1), else the model's.
            ("Eco", t.economy_value()),
            ("Util", t.utility_value()),
            ("BP", a.build_power),
        ] {
            ui.label(RichText::new(tag).color(theme::DIM));
            ui.label(RichText::new(theme::amount(v)).monospace());
        }
    });
    let top: Vec<String> = a
        .top_army(&game.defs, top_units)
        .map(|d| {
            let name = game
                .def(d.def_id)
                .map(|def| def.human_name.as_str())
                .unwrap_or("?");
            format!("{}× {name} ({})", d.count, theme::amount(d.metal))
        })
        .collect();
    if !top.is_empty() {
        ui.label(RichText::new(top.join(" · ")).small());
    }
}

/// A bar whose length is this army against the largest, split into land, air and sea.
fn split_bar(ui: &mut egui::Ui, parts: [f64; 3], max_army: f64, width: f32, height: f32) {
    let (rect, _) = ui.allocate_exact_size(vec2(width, height), Sense::hover());
    let p = ui.painter();
    p.rect_filled(rect, 2.0, Color32::from_white_alpha(18));
    let total: f64 = parts.iter().sum();
    if max_army <= 0.0 || total <= 0.0 {
        return;
    }
    let mut x = rect.left();
    for (v, c) in parts.iter().zip([theme::LAND, theme::AIR, theme::SEA]) {
        let w = (v / max_army) as f32 * rect.width();
        if w > 0.0 {
            let r = egui::Rect::from_min_max(
                egui::pos2(x, rect.top()),
                egui::pos2(x + w, rect.bottom()),
            );
            p.rect_filled(r, 0.0, c);
            x += w;
        }
    }
    p.rect_stroke(
        rect,
        2.0,
        Stroke::new(1.0, Color32::from_white_alpha(30)),
        egui::StrokeKind::Inside,
    );
}
