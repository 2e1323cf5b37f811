//! Scoreboard: each side (ally team) in its own column, side by side, every player with current metal and energy,
//! income, army value and build power. Two lines a player so a 1080p corner stays legible without tooltips; beyond
//! four players one line each (income and army value), sides in two columns (see `layout`).

use super::layout::{self, Density};
use crate::model::{Game, Names, Team};
use crate::protocol::PlayerStatus;
use crate::ui::theme;
use egui::RichText;

pub fn show(ui: &mut egui::Ui, game: &Game, names: &Names) {
    let sides = game.ally_teams();
    if sides.is_empty() {
        ui.label(RichText::new("No teams yet").color(theme::DIM));
        return;
    }
    if game.is_anonymous() {
        // BAR's anonymous mode: who plays is hidden on purpose (the teams are `Anonymous N`)
        ui.label(RichText::new("Anonymous game: players are not named").color(theme::DIM));
    }
    let sides: Vec<(u32, Vec<&Team>)> = sides.into_iter().collect();
    if Density::of(game) == Density::Compact {
        let cols = layout::two_columns(&sides);
        ui.columns(2, |uis| {
            for (ui, col) in uis.iter_mut().zip(&cols) {
                for (ally, teams) in col {
                    if teams.len() > 1 {
                        side_header(ui, names, *ally, teams);
                    }
                    for t in teams {
                        compact_team(ui, names, t);
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
                side(col, names, *ally, teams);
            }
        });
    }
}

/// One line: the name (giving way when long), the country, then metal and energy income and the army value.
fn compact_team(ui: &mut egui::Ui, names: &Names, t: &Team) {
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
            if let Some(c) = t.lead_player().and_then(|p| p.country.as_deref()) {
                flag(ui, c, true);
            }
            ui.with_layout(egui::Layout::left_to_right(egui::Align::Center), |ui| {
                ui.add(egui::Label::new(name(names, t)).truncate());
            });
        });
    });
}

/// A country as a caster's label: the two-letter code on a dark chip (text: no flag images, nothing is fetched).
/// A frame, not a text background, so the chip takes exactly the room it is given.
fn flag(ui: &mut egui::Ui, code: &str, small: bool) {
    let mut text = RichText::new(code).monospace().color(egui::Color32::WHITE);
    if small {
        text = text.small();
    }
    egui::Frame::new()
        .fill(egui::Color32::from_gray(70))
        .corner_radius(2.0)
        .inner_margin(egui::Margin::symmetric(3, 0))
        .show(ui, |ui| ui.label(text));
}

/// The player card beside a name: country, rating (`~` when estimated from the lobby rank; the uncertainty on
/// hover), and whether the player dropped out or resigned; `AI` for an AI.
fn card(ui: &mut egui::Ui, t: &Team) {
    let Some(p) = t.lead_player() else {
        if t.ai.is_some() {
            ui.label(RichText::new("AI").color(theme::DIM));
        }
        return;
    };
    match p.status() {
        PlayerStatus::Disconnected => {
            ui.label(RichText::new("DC").color(theme::WARN).strong());
        }
        PlayerStatus::Resigned => {
            ui.label(RichText::new("resigned").color(theme::DIM));
        }
        PlayerStatus::Playing | PlayerStatus::Other => {}
    }
    if let Some(skill) = p.skill {
        let estimated = if p.skill_estimated == Some(true) {
            "~"
        } else {
            ""
        };
        let r = ui.label(RichText::new(format!("{estimated}{skill:.0}")).monospace());
        if let Some(sigma) = p.skill_uncertainty {
            r.on_hover_text(format!("rating {skill:.1} ± {sigma:.1}"));
        }
    }
    if let Some(c) = p.country.as_deref() {
        flag(ui, c, false);
    }
}

fn name(names: &Names, t: &Team) -> RichText {
    let mut name = RichText::new(names.team(t))
        .color(theme::team_color(t.color))
        .strong();
    if t.is_dead {
        name = name.strikethrough();
    }
    name
}

fn side(ui: &mut egui::Ui, names: &Names, ally: u32, teams: &[&Team]) {
    side_header(ui, names, ally, teams);
    for t in teams {
        team(ui, names, t);
    }
}

/// "Side 1  army 25k  M +649": the side's totals.
fn side_header(ui: &mut egui::Ui, names: &Names, ally: u32, teams: &[&Team]) {
    let army: f64 = teams.iter().map(|t| t.army.army_value()).sum();
    let metal: Option<f64> = teams
        .iter()
        .map(|t| t.metal.map(|m| m.income))
        .sum::<Option<f64>>();
    ui.horizontal(|ui| {
        ui.label(RichText::new(names.side(ally)).strong());
        let mut s = format!("army {}", theme::amount(army));
        if let Some(m) = metal {
            s.push_str(&format!("  M {}", theme::income(m)));
        }
        ui.label(RichText::new(s).color(theme::DIM));
    });
}

fn team(ui: &mut egui::Ui, names: &Names, t: &Team) {
    let name = name(names, t);
    // Numbers first from the right; the name takes what is left and gives way (truncated with …) when long.
    ui.horizontal(|ui| {
        ui.with_layout(egui::Layout::right_to_left(egui::Align::Center), |ui| {
            ui.spacing_mut().item_spacing.x = 3.0;
            ui.label(RichText::new(theme::amount(t.army.army_value())).strong());
            ui.label(RichText::new("army").color(theme::DIM));
            ui.label(RichText::new(theme::amount(t.army.build_power)).monospace());
            ui.label(RichText::new("BP").color(theme::DIM));
            card(ui, t);
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
    hud(ui, t);
}

/// The Spectator HUD's numbers where the game sends them (protocol 1.1): damage efficiency (dealt per 100
/// received), metal and energy produced, units killed and lost.
fn hud(ui: &mut egui::Ui, t: &Team) {
    let eff = t.damage_efficiency();
    let produced = (
        t.metal.and_then(|m| m.produced),
        t.energy.and_then(|e| e.produced),
    );
    let kd = t.units_killed.zip(t.units_died);
    if eff.is_none() && produced == (None, None) && kd.is_none() {
        return;
    }
    // One label per tag and number, which does not break: the line wraps between pairs, never inside one.
    let pair = |ui: &mut egui::Ui, tag: &str, value: RichText, hover: &str| {
        let style = ui.style().clone();
        let mut job = egui::text::LayoutJob::default();
        RichText::new(format!("{tag} "))
            .color(theme::DIM)
            .append_to(
                &mut job,
                &style,
                egui::FontSelection::Default,
                egui::Align::Center,
            );
        value.monospace().append_to(
            &mut job,
            &style,
            egui::FontSelection::Default,
            egui::Align::Center,
        );
        ui.add(egui::Label::new(job).wrap_mode(egui::TextWrapMode::Extend))
            .on_hover_text(hover);
    };
    ui.horizontal_wrapped(|ui| {
        ui.spacing_mut().item_spacing.x = 7.0;
        if let Some(e) = eff {
            let color = if e >= 100.0 { theme::GOOD } else { theme::BAD };
            let value = RichText::new(format!("{e:.0}%")).color(color);
            pair(ui, "Dmg", value, "damage dealt per 100 received");
        }
        if let Some(v) = produced.0 {
            let value = RichText::new(theme::amount(v)).color(theme::METAL);
            pair(ui, "MP", value, "metal produced");
        }
        if let Some(v) = produced.1 {
            let value = RichText::new(theme::amount(v)).color(theme::ENERGY);
            pair(ui, "EP", value, "energy produced");
        }
        if let Some((k, d)) = kd {
            pair(
                ui,
                "K/D",
                RichText::new(format!("{k}/{d}")),
                "units killed / lost",
            );
        }
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
