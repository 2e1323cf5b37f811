//! Scoreboard: each side (ally team) in its own column, side by side, every player with current metal and energy,
//! income, army value and build power. Two lines a player so a 1080p corner stays legible without tooltips; beyond
//! four players one line each (income and army value), sides in two columns (see `layout`).

use super::layout::{self, Density};
use crate::model::{Game, Team};
use crate::ui::theme;
use egui::RichText;

pub fn show(ui: &mut egui::Ui, game: &Game) {
    let sides = game.ally_teams();
    if sides.is_empty() {
        ui.label(RichText::new("No teams yet").color(theme::DIM));
        return;
    }
    let sides: Vec<(u32, Vec<&Team>)> = sides.into_iter().collect();
    if Density::of(game) == Density::Compact {
        let cols = layout::two_columns(&sides);
        ui.columns(2, |uis| {
            for (ui, col) in uis.iter_mut().zip(&cols) {
                for (ally, teams) in col {
                    if teams.len() > 1 {
                        side_header(ui, *ally, teams);
                    }
                    for t in teams {
                        compact_team(ui, t);
                    }
                }
            }
        });
        return;
    }
    // Up to four sides side by side; larger free-for-alls wrap into rows of four.
    for row in sides.chunks(4) {
        ui.columns(row.len(), |cols| {
            for (col, (ally, teams)) in cols.iter_mut().zip(row) {
                side(col, *ally, teams);
            }
        });
    }
}

/// One line: the name (giving way when long), then metal and energy income and the army value.
fn compact_team(ui: &mut egui::Ui, t: &Team) {
    ui.horizontal(|ui| {
        ui.with_layout(egui::Layout::right_to_left(egui::Align::Center), |ui| {
            ui.spacing_mut().item_spacing.x = 4.0;
            ui.label(RichText::new(theme::amount(t.army.army_value())).strong());
            for (r, color) in [(t.energy, theme::ENERGY), (t.metal, theme::METAL)] {
                match r {
                    Some(r) => ui.label(
                        RichText::new(theme::income(r.income))
                            .monospace()
                            .color(color),
                    ),
                    None => ui.label(RichText::new("?").color(theme::DIM)),
                };
            }
            ui.with_layout(egui::Layout::left_to_right(egui::Align::Center), |ui| {
                ui.add(egui::Label::new(name(t)).truncate());
            });
        });
    });
}

fn name(t: &Team) -> RichText {
    let mut name = RichText::new(&t.name)
        .color(theme::team_color(t.color))
        .strong();
    if t.is_dead {
        name = name.strikethrough();
    }
    name
}

fn side(ui: &mut egui::Ui, ally: u32, teams: &[&Team]) {
    side_header(ui, ally, teams);
    for t in teams {
        team(ui, t);
    }
}

/// "Side 1  army 25k  M +649": the side's totals.
fn side_header(ui: &mut egui::Ui, ally: u32, teams: &[&Team]) {
    let army: f64 = teams.iter().map(|t| t.army.army_value()).sum();
    let metal: Option<f64> = teams
        .iter()
        .map(|t| t.metal.map(|m| m.income))
        .sum::<Option<f64>>();
    ui.horizontal(|ui| {
        ui.label(RichText::new(format!("Side {}", ally + 1)).strong());
        let mut s = format!("army {}", theme::amount(army));
        if let Some(m) = metal {
            s.push_str(&format!("  M {}", theme::income(m)));
        }
        ui.label(RichText::new(s).color(theme::DIM));
    });
}

fn team(ui: &mut egui::Ui, t: &Team) {
    let name = name(t);
    // Numbers first from the right; the name takes what is left and gives way (truncated with …) when long.
    ui.horizontal(|ui| {
        ui.with_layout(egui::Layout::right_to_left(egui::Align::Center), |ui| {
            ui.spacing_mut().item_spacing.x = 3.0;
            ui.label(RichText::new(theme::amount(t.army.army_value())).strong());
            ui.label(RichText::new("army").color(theme::DIM));
            ui.label(RichText::new(theme::amount(t.army.build_power)).monospace());
            ui.label(RichText::new("BP").color(theme::DIM));
            ui.with_layout(egui::Layout::left_to_right(egui::Align::Center), |ui| {
                ui.add(egui::Label::new(name).truncate());
            });
        });
    });
    ui.horizontal_wrapped(|ui| {
        ui.spacing_mut().item_spacing.x = 3.0;
        resource(ui, "M", theme::METAL, t.metal);
        ui.add_space(4.0);
        resource(ui, "E", theme::ENERGY, t.energy);
    });
}

/// `M 1.2k +25.3`, or `M ?` while the sender cannot read this team's economy (player view of an enemy).
fn resource(ui: &mut egui::Ui, tag: &str, color: egui::Color32, r: Option<crate::model::Resource>) {
    ui.label(RichText::new(tag).color(color).strong());
    match r {
        Some(r) => {
            ui.label(RichText::new(theme::amount(r.current)).monospace());
            ui.label(
                RichText::new(theme::income(r.income))
                    .monospace()
                    .color(color),
            );
        }
        None => {
            ui.label(RichText::new("?").color(theme::DIM));
        }
    }
}
