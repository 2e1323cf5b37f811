//! The window's own state apart from the game: shown or hidden, click-through and the ways out of it, the tray, the
//! settings window's visibility, the renderer it runs on, and a quit asked for by a signal.

use super::renderer;
use super::settings::{RendererChoice, Settings};
use super::tray;
use egui::ViewportCommand;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

pub struct WindowState {
    pub show_settings: bool,
    visible: bool,
    first_frame: bool,
    /// Focus before this frame, to see the window being focused (Alt+Tab) while in click-through.
    was_focused: bool,
    click_through_since: Option<Instant>,
    tray: Option<tray::Tray>,
    /// Set by a signal handler (SIGTERM, Ctrl-C): close the window cleanly.
    quit: Option<Arc<AtomicBool>>,
    pub running_renderer: RendererChoice,
    /// Why the window runs on another renderer than the setting asks (see renderer.rs).
    pub renderer_fallback: Option<String>,
}

impl WindowState {
    pub fn new(
        settings: &Settings,
        started: Option<renderer::Started>,
        quit: Option<Arc<AtomicBool>>,
    ) -> WindowState {
        WindowState {
            show_settings: false,
            visible: true,
            first_frame: true,
            was_focused: true,
            click_through_since: None,
            tray: None,
            quit,
            running_renderer: started.as_ref().map_or(settings.renderer, |r| r.renderer),
            renderer_fallback: started.and_then(|r| r.fallback),
        }
    }

    /// Adds the tray icon; without one (no tray on this desktop) the window still works.
    pub fn add_tray(&mut self, ctx: &egui::Context, click_through: bool) {
        match tray::Tray::new(ctx, click_through) {
            Ok(t) => self.tray = Some(t),
            Err(e) => tracing::info!("no tray icon: {e}"),
        }
    }

    pub fn has_tray(&self) -> bool {
        self.tray.is_some()
    }

    /// Closes the window when a signal asked for it.
    pub fn close_on_signal(&self, ctx: &egui::Context) {
        if self
            .quit
            .as_ref()
            .is_some_and(|q| q.load(Ordering::Relaxed))
        {
            ctx.send_viewport_cmd(ViewportCommand::Close);
        }
    }

    /// True once, on the first frame: re-apply what the window builder could not (click-through, see window.rs).
    pub fn first_frame(&mut self, click_through: bool) -> bool {
        if !self.first_frame {
            return false;
        }
        self.first_frame = false;
        if click_through {
            self.click_through_since = Some(Instant::now());
        }
        true
    }

    /// Click-through was just switched on: the settings window closes, and the focus it had must not turn it off.
    pub fn click_through_started(&mut self) {
        self.click_through_since = Some(Instant::now());
        self.show_settings = false;
    }

    pub fn tray_commands(&mut self, ctx: &egui::Context, settings: &mut Settings) {
        let Some(t) = &self.tray else { return };
        let mut cmds = Vec::new();
        while let Some(c) = t.try_recv() {
            cmds.push(c);
        }
        for c in cmds {
            match c {
                tray::TrayCommand::ToggleShow => self.set_visible(ctx, !self.visible),
                tray::TrayCommand::ToggleClickThrough => {
                    settings.click_through = !settings.click_through
                }
                tray::TrayCommand::Settings => {
                    self.set_visible(ctx, true);
                    settings.click_through = false;
                    self.show_settings = true;
                    ctx.send_viewport_cmd(ViewportCommand::Focus);
                }
                tray::TrayCommand::Quit => ctx.send_viewport_cmd(ViewportCommand::Close),
            }
        }
    }

    fn set_visible(&mut self, ctx: &egui::Context, visible: bool) {
        self.visible = visible;
        ctx.send_viewport_cmd(ViewportCommand::Visible(visible));
    }

    /// The way back from click-through without a tray: focusing the overlay (Alt+Tab, taskbar) turns it off. A
    /// click-through window gets no mouse input, but keyboard focus still reaches it.
    pub fn click_through_escape(&mut self, ctx: &egui::Context, settings: &mut Settings) {
        let focused = ctx.input(|i| i.viewport().focused).unwrap_or(false);
        let escape = ctx.input(|i| i.key_pressed(egui::Key::Escape));
        if settings.click_through {
            // The focus the window had when click-through went on must not count as "focused again".
            let settled = self
                .click_through_since
                .is_some_and(|t| t.elapsed() > Duration::from_secs(1));
            if (focused && !self.was_focused && settled) || (focused && escape) {
                settings.click_through = false;
            }
        }
        self.was_focused = focused;
    }

    /// The tray's menu shows what the window is.
    pub fn sync_tray(&mut self, click_through: bool) {
        if let Some(t) = &mut self.tray {
            t.sync(self.visible, click_through);
        }
    }
}
