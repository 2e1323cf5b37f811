//! Colors and number formats shared by the panels, so every panel reads the same way on stream.

use egui::Color32;

/// Text color for secondary labels (units, captions).
pub const DIM: Color32 = Color32::from_rgb(170, 170, 180);
pub const METAL: Color32 = Color32::from_rgb(200, 210, 225);
pub const ENERGY: Color32 = Color32::from_rgb(255, 215, 70);
pub const GOOD: Color32 = Color32::from_rgb(90, 220, 110);
pub const WARN: Color32 = Color32::from_rgb(255, 190, 60);
pub const BAD: Color32 = Color32::from_rgb(255, 90, 80);
pub const LAND: Color32 = Color32::from_rgb(150, 190, 90);
pub const AIR: Color32 = Color32::from_rgb(120, 180, 255);
pub const SEA: Color32 = Color32::from_rgb(60, 130, 200);

/// A team's color made readable on the dark backdrop: BAR has very dark team colors (navy, maroon, purple) that
/// would vanish as text or thin lines, so they are lifted towards white until they reach a minimum brightness.
pub fn team_color(rgb: [u8; 3]) -> Color32 {
    let [r, g, b] = rgb.map(f32::from);
    let luma = 0.299 * r + 0.587 * g + 0.114 * b;
    const MIN_LUMA: f32 = 110.0;
    if luma >= MIN_LUMA {
        return Color32::from_rgb(rgb[0], rgb[1], rgb[2]);
    }
    // Mix with white just enough to reach MIN_LUMA (white has luma 255).
    let t = (MIN_LUMA - luma) / (255.0 - luma).max(1.0);
    let lift = |c: f32| (c + (255.0 - c) * t).round().clamp(0.0, 255.0) as u8;
    Color32::from_rgb(lift(r), lift(g), lift(b))
}

/// A value in metal or energy, short enough for a scoreboard cell: 950, 9.5k, 95k, 1.2M.
pub fn amount(v: f64) -> String {
    if !v.is_finite() {
        return "–".into();
    }
    let a = v.abs();
    let sign = if v < 0.0 { "-" } else { "" };
    if a >= 1e6 {
        format!("{sign}{:.1}M", a / 1e6)
    } else if a >= 1e4 {
        format!("{sign}{:.0}k", a / 1e3)
    } else if a >= 1e3 {
        format!("{sign}{:.1}k", a / 1e3)
    } else {
        format!("{sign}{a:.0}")
    }
}

/// An income per second: +12.3, +250, +1.2k.
pub fn income(v: f64) -> String {
    if !v.is_finite() {
        return "–".into();
    }
    if v.abs() < 100.0 {
        format!("{v:+.1}")
    } else {
        let s = amount(v);
        if v >= 0.0 { format!("+{s}") } else { s }
    }
}

pub use crate::model::game_clock as clock;

/// A dark look with slightly larger text than egui's default, for a viewer watching a scaled-down stream.
pub fn style(ctx: &egui::Context) {
    ctx.set_visuals(egui::Visuals::dark());
    ctx.all_styles_mut(|s| {
        use egui::{FontId, TextStyle};
        s.text_styles
            .insert(TextStyle::Body, FontId::proportional(14.0));
        s.text_styles
            .insert(TextStyle::Button, FontId::proportional(14.0));
        s.text_styles
            .insert(TextStyle::Monospace, FontId::monospace(13.0));
        s.text_styles
            .insert(TextStyle::Small, FontId::proportional(12.0));
        s.spacing.item_spacing = egui::vec2(6.0, 2.0);
        // Windows (the settings) stay readable on top of a transparent overlay.
        s.visuals.window_fill = egui::Color32::from_rgb(24, 26, 32);
        s.visuals.panel_fill = egui::Color32::TRANSPARENT;
    });
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn amounts_are_short() {
        assert_eq!(amount(950.0), "950");
        assert_eq!(amount(9_500.0), "9.5k");
        assert_eq!(amount(95_000.0), "95k");
        assert_eq!(amount(1_230_000.0), "1.2M");
        assert_eq!(income(12.34), "+12.3");
        assert_eq!(income(1234.0), "+1.2k");
        assert_eq!(clock(3725.0), "1:02:05");
        assert_eq!(clock(65.0), "1:05");
    }

    #[test]
    fn dark_team_colors_are_lifted_bright_ones_kept() {
        assert_eq!(team_color([255, 200, 0]), Color32::from_rgb(255, 200, 0));
        let navy = team_color([0, 0, 80]);
        let luma = 0.299 * navy.r() as f32 + 0.587 * navy.g() as f32 + 0.114 * navy.b() as f32;
        assert!(luma >= 108.0, "{navy:?}");
        assert!(navy.b() > navy.r(), "keeps its hue: {navy:?}");
    }
}
