//! Production (protocol 1.1): what each team is building. Up to four players: every factory with the unit in
//! progress, its progress and what is queued after it, then the constructions, then the idle builders. Beyond four,
//! one line a player (idle builders and the furthest-along item), sides in two columns like the other panels.

use super::layout::{self, Density};
use crate::model::{Game, Names, Team};
use crate::protocol::Production;
use crate::ui::theme;
use egui::RichText;

/// Rows listed per team in the full layout; the rest are counted.
const ROWS: usize = 4;

pub fn show(ui: &mut egui::Ui, game: &Game, names: &Names) {
    let sides: Vec<(u32, Vec<&Team>)> = game
        .ally_teams()
        .into_iter()
        .map(|(ally, teams)| {
            let with: Vec<&Team> = teams
                .into_iter()
                .filter(|t| t.production.is_some())
                .collect();
            (ally, with)
        })
        .filter(|(_, teams)| !teams.is_empty())
        .collect();
    if sides.is_empty() {
        ui.label(RichText::new("Production appears once the game sends it").color(theme::DIM));
        return;
    }
    if Density::of(game) == Density::Compact {
        let cols = layout::two_columns(&sides);
        ui.columns(2, |uis| {
            for (ui, col) in uis.iter_mut().zip(&cols) {
                for (_, teams) in col {
                    for t in teams {
                        compact_team(ui, game, names, t);
                    }
                }
            }
        });
        return;
    }
    for (_, teams) in &sides {
        for t in teams {
            team(ui, game, names, t);
        }
    }
}

/// The rows of one team's production: what (a factory and its unit, or a construction) and the numbers.
fn rows(game: &Game, p: &Production) -> Vec<(String, String)> {
    let name = |def: u32| game.def(def).map_or("?", |d| d.human_name.as_str());
    let pct = |p: f32| format!("{:.0}%", p * 100.0);
    let mut out: Vec<(String, String)> = Vec::new();
    for f in &p.factories {
        match f.building {
            Some(b) => {
                let mut n = f.progress.map(pct).unwrap_or_default();
                if let Some(q) = f.queued.filter(|q| *q > 1) {
                    n.push_str(&format!(" +{}", q - 1));
                }
                out.push((format!("{}: {}", name(f.def_id), name(b)), n));
            }
            None => out.push((name(f.def_id).to_owned(), "idle".to_owned())),
        }
    }
    for c in &p.constructing {
        let mut n = pct(c.progress);
        if c.builders > 1 {
            n.push_str(&format!(" ×{}", c.builders));
        }
        out.push((name(c.def_id).to_owned(), n));
    }
    out
}

fn idle(ui: &mut egui::Ui, p: &Production) {
    let color = if p.idle_builders > 0 {
        theme::WARN
    } else {
        theme::DIM
    };
    ui.label(RichText::new(format!("{} idle", p.idle_builders)).color(color))
        .on_hover_text("finished builders without orders");
}

fn team(ui: &mut egui::Ui, game: &Game, names: &Names, t: &Team) {
    let Some(p) = &t.production else { return };
    ui.horizontal(|ui| {
        ui.with_layout(egui::Layout::right_to_left(egui::Align::Center), |ui| {
            idle(ui, p);
            ui.with_layout(egui::Layout::left_to_right(egui::Align::Center), |ui| {
                team_name(ui, names, t);
            });
        });
    });
    let rows = rows(game, p);
    for (what, numbers) in rows.iter().take(ROWS) {
        line(ui, what, numbers);
    }
    if rows.len() > ROWS {
        ui.label(RichText::new(format!("+{} more", rows.len() - ROWS)).color(theme::DIM));
    }
    if rows.is_empty() {
        ui.label(RichText::new("nothing in production").color(theme::DIM));
    }
    ui.add_space(2.0);
}

/// The team's name in its colour, cut short (…) before anything beside it is.
fn team_name(ui: &mut egui::Ui, names: &Names, t: &Team) {
    ui.add(
        egui::Label::new(
            RichText::new(names.team(t))
                .color(theme::team_color(t.color))
                .strong(),
        )
        .truncate(),
    );
}

/// Numbers on the right, never cut; the text before them gives way (truncated with …) when the column is narrow.
fn line(ui: &mut egui::Ui, what: &str, numbers: &str) {
    ui.horizontal(|ui| {
        ui.with_layout(egui::Layout::right_to_left(egui::Align::Center), |ui| {
            ui.label(RichText::new(numbers).monospace());
            ui.with_layout(egui::Layout::left_to_right(egui::Align::Center), |ui| {
                ui.add(egui::Label::new(what).truncate());
            });
        });
    });
}

/// One line: name, the first row's numbers and what, idle builders.
fn compact_team(ui: &mut egui::Ui, game: &Game, names: &Names, t: &Team) {
    let Some(p) = &t.production else { return };
    let rows = rows(game, p);
    ui.horizontal(|ui| {
        ui.with_layout(egui::Layout::right_to_left(egui::Align::Center), |ui| {
            ui.spacing_mut().item_spacing.x = 4.0;
            idle(ui, p);
            if let Some((what, numbers)) = rows.first() {
                ui.label(RichText::new(numbers).monospace());
                ui.with_layout(egui::Layout::left_to_right(egui::Align::Center), |ui| {
                    team_name(ui, names, t);
                    ui.add(egui::Label::new(RichText::new(what).small()).truncate());
                });
            } else {
                ui.with_layout(egui::Layout::left_to_right(egui::Align::Center), |ui| {
                    team_name(ui, names, t);
                });
            }
        });
    });
}
