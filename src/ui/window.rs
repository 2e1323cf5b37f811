//! The OS window: how it is built (borderless, transparent, on top), its background modes, moving and resizing it
//! without decorations, and the viewport commands that apply setting changes at run time.

use super::settings::{Background, Settings};
use egui::{Color32, ViewportCommand};
use std::path::PathBuf;

/// The stable title OBS's Window Capture matches on. Do not add changing text (clock, status) to it.
pub const TITLE: &str = "BAR Live Overlay";
pub const APP_ID: &str = "bar-overlay";

/// The app icon (assets/icon.png, drawn by assets/make_icon.py), for the window and the tray.
pub const ICON_PNG: &[u8] = include_bytes!("../../assets/icon.png");

pub fn icon() -> Option<egui::IconData> {
    match eframe::icon_data::from_png_bytes(ICON_PNG) {
        Ok(i) => Some(i),
        Err(e) => {
            tracing::warn!("app icon unreadable: {e}");
            None
        }
    }
}

/// Window options from the settings. Position and size are restored by eframe from `persistence_path`.
pub fn native_options(
    s: &Settings,
    renderer: eframe::Renderer,
    persistence_path: Option<PathBuf>,
) -> eframe::NativeOptions {
    let mut vp = egui::ViewportBuilder::default()
        .with_title(TITLE)
        .with_app_id(APP_ID)
        .with_decorations(false)
        .with_transparent(true)
        .with_has_shadow(false)
        .with_resizable(true)
        .with_inner_size([440.0, 720.0])
        .with_min_inner_size([220.0, 120.0])
        // Click-through is never restored at start: a window that ignores the mouse from its first frame, on a
        // desktop without a tray, would look broken. The setting is re-applied by the app after the first frame.
        .with_mouse_passthrough(false);
    if s.always_on_top {
        vp = vp.with_always_on_top();
    }
    if let Some(icon) = icon() {
        vp = vp.with_icon(icon);
    }
    eframe::NativeOptions {
        viewport: vp,
        renderer,
        persist_window: persistence_path.is_some(),
        persistence_path,
        ..Default::default()
    }
}

/// The window's fill: none (transparent), the dark fill at the chosen opacity, or the key color.
pub fn background_fill(s: &Settings) -> Option<Color32> {
    match s.background {
        Background::Transparent => None,
        Background::Solid => Some(Color32::from_rgba_unmultiplied(
            16,
            18,
            24,
            (s.opacity * 255.0).round() as u8,
        )),
        Background::ChromaKey => {
            let [r, g, b] = s.chroma_key;
            Some(Color32::from_rgb(r, g, b))
        }
    }
}

/// What the OS clears the window to. Transparent needs exactly zero (eframe's default is a translucent grey).
pub fn clear_color(s: &Settings) -> [f32; 4] {
    background_fill(s).map_or([0.0; 4], |c| c.to_normalized_gamma_f32())
}

/// The backdrop of one panel. On a transparent window it is what keeps text readable over the game; over a
/// chroma key it must be opaque, or the key color bleeds into anti-aliased text and the key filter eats it.
pub fn card_frame(s: &Settings) -> egui::Frame {
    let alpha = match s.background {
        Background::Transparent => s.opacity,
        // The window fill already carries the opacity.
        Background::Solid => 0.35,
        Background::ChromaKey => 1.0,
    };
    egui::Frame::new()
        .fill(Color32::from_rgba_unmultiplied(
            10,
            12,
            16,
            (alpha * 255.0).round() as u8,
        ))
        .corner_radius(6.0)
        .inner_margin(egui::Margin::symmetric(8, 6))
}

/// The grip that moves the borderless window. `StartDrag` must be sent as the press begins (winit needs the button
/// still down), so this reacts to `drag_started_by`, not `dragged_by`.
pub fn drag_handle(ui: &mut egui::Ui, response: &egui::Response) {
    if response.drag_started_by(egui::PointerButton::Primary) {
        ui.ctx().send_viewport_cmd(ViewportCommand::StartDrag);
    }
}

/// A small grip in the bottom-right corner for resizing the borderless window.
pub fn resize_grip(ui: &mut egui::Ui) {
    let size = 14.0;
    let rect = ui.max_rect();
    let grip = egui::Rect::from_min_size(rect.max - egui::vec2(size, size), egui::vec2(size, size));
    let resp = ui.interact(grip, ui.scope_id().with("resize_grip"), egui::Sense::drag());
    let color = if resp.hovered() {
        Color32::from_gray(220)
    } else {
        Color32::from_gray(120)
    };
    let p = ui.painter();
    for i in 1..=3 {
        let d = i as f32 * 4.0;
        p.line_segment(
            [
                egui::pos2(grip.max.x - d, grip.max.y - 1.0),
                egui::pos2(grip.max.x - 1.0, grip.max.y - d),
            ],
            egui::Stroke::new(1.5, color),
        );
    }
    if resp.hovered() {
        ui.ctx().set_cursor_icon(egui::CursorIcon::ResizeSouthEast);
    }
    if resp.drag_started_by(egui::PointerButton::Primary) {
        ui.ctx().send_viewport_cmd(ViewportCommand::BeginResize(
            egui::viewport::ResizeDirection::SouthEast,
        ));
    }
}

/// Sends the viewport commands for settings that changed at run time.
pub fn apply_changes(ctx: &egui::Context, old: &Settings, new: &Settings) {
    if old.always_on_top != new.always_on_top {
        ctx.send_viewport_cmd(ViewportCommand::WindowLevel(if new.always_on_top {
            egui::WindowLevel::AlwaysOnTop
        } else {
            egui::WindowLevel::Normal
        }));
    }
    if old.click_through != new.click_through {
        ctx.send_viewport_cmd(ViewportCommand::MousePassthrough(new.click_through));
    }
    if old.scale != new.scale {
        ctx.set_zoom_factor(new.scale);
    }
}
