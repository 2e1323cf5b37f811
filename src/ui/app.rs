//! The eframe app: one frame of the window. Its state is split by job: the pipeline it runs (station, hub, built-in
//! sender; pipeline.rs), the settings being edited and saved (settings_sync.rs), the window's own state (tray,
//! click-through, visibility; window_state.rs), and what the panels keep between frames (graphs, plot height, the
//! first-run card). Panels draw from the hub's feed and return what they want done; this file does it.
//!
//! Repaint policy (repaint.rs): frames come from input, from the tray, from the pacer when what the panels show has
//! changed (at most `max_repaints_per_second`), and from the status' own schedule (the moment a live feed would turn
//! stale, then once a second while STALE counts). Idle costs nothing.

use super::panels::settings::{self, SettingsAction};
use super::panels::{army, graphs, production, scoreboard, status};
use super::pipeline::{Pipeline, Ports};
use super::settings::{Settings, SettingsStore};
use super::settings_sync::SettingsSync;
use super::welcome::{Welcome, WelcomeAction};
use super::window_state::WindowState;
use super::{renderer, repaint, theme, window};
use crate::model::{Feed, Hub};
use crate::receiver::ReceiverEvent;
use crate::station::Station;
use egui::{RichText, ViewportCommand};
use std::sync::atomic::AtomicBool;
use std::sync::{Arc, MutexGuard};
use std::time::{Duration, Instant};

pub use super::pipeline::Feeder;

/// How the app starts; `Startup::default()` (no listener, no tray) is what the UI tests use.
#[derive(Default)]
pub struct Startup {
    pub listen: bool,
    pub port_override: Option<u16>,
    /// Also pass the game's lines on to other programs on this port of 127.0.0.1 (`--relay-port`, not saved).
    pub relay_port: Option<u16>,
    /// The web pages' port instead of the setting's (`--web-port`, not saved; 0 turns them off).
    pub web_port: Option<u16>,
    /// The stream delay in seconds instead of the setting's (`--delay`), for this run only, like `--port`: the
    /// slider shows it, and the saved delay stays as it was unless the slider is moved.
    pub delay: Option<u32>,
    pub feeder: Option<Feeder>,
    pub tray: bool,
    /// Set by a signal handler (SIGTERM, Ctrl-C): close the window cleanly.
    pub quit: Option<Arc<AtomicBool>>,
    /// The renderer the window was started on, when known (else the setting's).
    pub renderer: Option<renderer::Started>,
    /// When the program started: the first frame logs how long the user waited for it.
    pub launched: Option<Instant>,
}

pub struct OverlayApp {
    sync: SettingsSync,
    pipeline: Pipeline,
    win: WindowState,
    /// Decides when a change of the model repaints (see repaint.rs).
    pacer: Arc<repaint::Pacer>,
    graphs: graphs::GraphCache,
    /// Each graph's plot height: what the window has left after the other panels (see `fit_plots`).
    plot_height: f32,
    /// The first-run card shown while no game has come, and the widget's Update banner.
    welcome: Welcome,
    launched: Option<Instant>,
}

/// The plots' height range: below it a line's shape is lost; above it the graphs take room for nothing.
const PLOT_HEIGHT: std::ops::RangeInclusive<f32> = 40.0..=110.0;

impl OverlayApp {
    pub fn new(
        ctx: &egui::Context,
        store: SettingsStore,
        settings: Settings,
        startup: Startup,
    ) -> OverlayApp {
        ctx.set_zoom_factor(settings.scale);
        theme::style(ctx);
        let pacer = repaint::Pacer::new(ctx, settings.max_repaints_per_second);
        let sync = SettingsSync::new(store, settings, startup.delay);
        let ports = Ports {
            listen: startup.port_override,
            relay: startup.relay_port,
            web: startup.web_port,
        };
        let pipeline = Pipeline::new(&sync.settings, ports, startup.feeder, pacer.clone());
        let mut win = WindowState::new(&sync.settings, startup.renderer, startup.quit);
        if startup.tray {
            win.add_tray(ctx, sync.settings.click_through);
        }
        let mut app = OverlayApp {
            sync,
            pipeline,
            win,
            pacer,
            graphs: graphs::GraphCache::default(),
            plot_height: 72.0,
            welcome: Welcome::default(),
            launched: startup.launched,
        };
        if startup.listen {
            app.pipeline.listen(&app.sync.settings, app.sync.path());
        }
        app
    }

    pub fn settings(&self) -> &Settings {
        &self.sync.settings
    }

    pub fn settings_mut(&mut self) -> &mut Settings {
        &mut self.sync.settings
    }

    /// The model, locked: release it before the next frame.
    pub fn feed(&self) -> MutexGuard<'_, Feed> {
        self.pipeline.hub().feed()
    }

    /// The shared model the window draws (the web pages read the same one).
    pub fn hub(&self) -> &Hub {
        self.pipeline.hub()
    }

    /// Feeds one event as if the receiver had queued it (tests and benches build the model this way).
    pub fn handle_event(&mut self, ev: ReceiverEvent) {
        self.pipeline.hub().handle(ev);
    }

    pub fn notice(&self) -> Option<&str> {
        self.sync.notice()
    }

    pub fn show_settings(&mut self, show: bool) {
        self.win.show_settings = show;
    }

    /// Turns edits (settings window, tray, fallback) into what they change: the hub's delay and names, viewport
    /// commands, the repaint rate; and a save once the pointer is released.
    fn apply_settings(&mut self, ctx: &egui::Context) {
        let click_through = self.sync.settings.click_through;
        if self.win.first_frame(click_through) {
            ctx.send_viewport_cmd(ViewportCommand::MousePassthrough(click_through));
            self.sync.click_through_applied();
        }
        if let Some(before) = self.sync.take_changes() {
            let now = &self.sync.settings;
            let hub = self.pipeline.hub();
            if now.delay_secs != before.delay_secs {
                hub.set_delay(Duration::from_secs(u64::from(now.delay_secs)));
            }
            if now.names != before.names {
                hub.set_names(now.names.clone());
            }
            window::apply_changes(ctx, &before, now);
            self.pacer.set_rate(now.max_repaints_per_second);
            if now.click_through && !before.click_through {
                self.win.click_through_started();
            }
        }
        self.sync
            .save_when_released(ctx.input(|i| i.pointer.any_down()));
        self.win.sync_tray(self.sync.settings.click_through);
    }

    fn header(&mut self, ui: &mut egui::Ui, link: &status::Link) {
        // The whole bar drags the window. It is registered before the widgets on it, so the button stays on top.
        let h = ui.spacing().interact_size.y;
        let bar_rect =
            egui::Rect::from_min_size(ui.cursor().min, egui::vec2(ui.available_width(), h));
        let bar = ui.interact(
            bar_rect,
            ui.scope_id().with("header_drag"),
            egui::Sense::drag(),
        );
        window::drag_handle(ui, &bar);
        if bar.hovered() {
            ui.ctx().set_cursor_icon(egui::CursorIcon::Grab);
        }
        ui.horizontal(|ui| {
            ui.set_min_height(h);
            ui.label(RichText::new(":: BAR Live").strong().color(theme::DIM));
            // With the status panel hidden, the header still says whether data flows.
            if !self.sync.settings.panels.status {
                let (dot, c) = match link {
                    status::Link::Live => ("live", theme::GOOD),
                    status::Link::Stale { .. } => ("stale", theme::WARN),
                    status::Link::NotListening(_) => ("not listening", theme::BAD),
                    status::Link::Waiting { .. } => ("waiting", theme::DIM),
                };
                ui.label(RichText::new(dot).color(c));
            }
            ui.with_layout(egui::Layout::right_to_left(egui::Align::Center), |ui| {
                if ui.small_button("Settings").clicked() {
                    self.win.show_settings = !self.win.show_settings;
                }
                let delay = self.pipeline.hub().feed().delay();
                self.pipeline.report.show(ui, delay);
            });
        });
    }

    /// Lays the panels out; returns how many plots of `plot_height` it drew.
    fn panels(&mut self, ui: &mut egui::Ui, link: &status::Link) -> usize {
        let frame = window::card_frame(&self.sync.settings);
        let p = self.sync.settings.panels;
        let gap = 4.0;
        // Held for the frame's panels: the hub applies the next batch after them.
        let hub = self.pipeline.hub().clone();
        let feed = hub.feed();
        let game = feed.shown();
        if p.status {
            frame.show(ui, |ui| {
                ui.set_width(ui.available_width());
                status::show(ui, &feed, link);
                if let Some(web) = self.pipeline.station().and_then(Station::web_addr) {
                    ui.label(
                        RichText::new(format!("Web pages on http://{web}/")).color(theme::DIM),
                    );
                }
                if let Some(e) = self.pipeline.station().and_then(Station::web_error) {
                    ui.label(RichText::new(e).color(theme::BAD));
                }
                if let Some(relay) = self.pipeline.station().and_then(Station::relay_addr) {
                    ui.label(
                        RichText::new(format!("Relaying to programs on {relay}")).color(theme::DIM),
                    );
                }
            });
            ui.add_space(gap);
        }
        let fresh = matches!(
            link,
            status::Link::Waiting {
                had_game: false,
                ..
            } | status::Link::NotListening(_)
        ) && game.info.is_none()
            && game.snapshots == 0;
        if fresh {
            drop(feed);
            let listening = self.pipeline.local_addr().map(|a| a.port());
            self.welcome
                .refresh(ui.ctx(), self.pipeline.port_state(&self.sync.settings));
            let can_demo = self.pipeline.can_demo();
            let mut action = WelcomeAction::None;
            frame.show(ui, |ui| {
                ui.set_width(ui.available_width());
                action = self.welcome.card(ui, listening, can_demo);
            });
            if action == WelcomeAction::TryDemo {
                self.pipeline.start_demo(&self.sync.settings);
            }
            return 0;
        }
        if let Some(theirs) = older_widget(game) {
            frame.show(ui, |ui| {
                ui.set_width(ui.available_width());
                self.welcome.update_banner(ui, &theirs);
            });
            ui.add_space(gap);
        }
        if p.scoreboard {
            frame.show(ui, |ui| {
                ui.set_width(ui.available_width());
                scoreboard::show(ui, game, feed.names());
            });
            ui.add_space(gap);
        }
        if p.graphs {
            self.graphs.update(
                game,
                feed.names(),
                feed.shown_new_games(),
                self.sync.settings.grouping,
                self.sync.settings.time_window,
                self.plot_height,
            );
            frame.show(ui, |ui| {
                ui.set_width(ui.available_width());
                graphs::show(
                    ui,
                    &self.graphs,
                    self.sync.settings.time_window,
                    self.plot_height,
                );
            });
            ui.add_space(gap);
        }
        if p.army {
            frame.show(ui, |ui| {
                ui.set_width(ui.available_width());
                army::show(ui, game, feed.names(), self.sync.settings.top_units);
            });
        }
        if p.production {
            ui.add_space(gap);
            frame.show(ui, |ui| {
                ui.set_width(ui.available_width());
                production::show(ui, game, feed.names());
            });
        }
        if p.graphs && !self.graphs.lines().is_empty() {
            graphs::Metric::ALL.len()
        } else {
            0
        }
    }

    /// Reflow: the plots take the height the other panels leave in the window (within `PLOT_HEIGHT`), so every
    /// panel fits without scrolling whenever it can, from one player to sixteen. Measured from this frame's layout;
    /// a change redoes the frame before it is shown (`request_discard`), so no frame with the wrong size is painted.
    fn fit_plots(&mut self, ctx: &egui::Context, plots: usize, content: f32, room: f32) {
        if plots == 0 {
            return;
        }
        let rest = content - plots as f32 * self.plot_height;
        let fit = ((room - rest) / plots as f32 - 1.0)
            .clamp(*PLOT_HEIGHT.start(), *PLOT_HEIGHT.end())
            .floor();
        if (fit - self.plot_height).abs() >= 1.0 {
            self.plot_height = fit;
            ctx.request_discard("graphs resized to fit the window");
        }
    }

    fn notices(&mut self, ui: &mut egui::Ui) {
        let mut dismiss = false;
        if let Some(n) = self.sync.notice() {
            window::card_frame(&self.sync.settings).show(ui, |ui| {
                ui.colored_label(theme::WARN, n);
                dismiss = ui.small_button("OK").clicked();
            });
        }
        if dismiss {
            self.sync.dismiss_notice();
        }
        if let Some(e) = self.pipeline.feeder_error() {
            ui.colored_label(theme::BAD, format!("demo/replay: {e}"));
        }
    }

    fn settings_window(&mut self, ctx: &egui::Context) {
        if !self.win.show_settings {
            return;
        }
        self.welcome
            .refresh(ctx, self.pipeline.port_state(&self.sync.settings));
        let mut open = true;
        let mut action = SettingsAction::None;
        let listening = self.pipeline.local_addr();
        let (players, sides) = {
            let feed = self.pipeline.hub().feed();
            let game = feed.game();
            (
                game.teams.values().map(|t| t.name.clone()).collect(),
                game.ally_teams().into_keys().collect(),
            )
        };
        // Owned: the form below edits the settings beside it.
        let path = self.sync.path().map(std::path::Path::to_path_buf);
        let cx = settings::SettingsContext {
            listening,
            listen_error: self.pipeline.listen_error(),
            tray: self.win.has_tray(),
            running_renderer: self.win.running_renderer,
            renderer_fallback: self.win.renderer_fallback.as_deref(),
            path: path.as_deref(),
            players,
            sides,
            widget: self.welcome.widget_line(),
            widget_message: self.welcome.message(),
        };
        let settings = &mut self.sync.settings;
        // Fit the window: the overlay may be smaller than the form, which then scrolls. `max_height` is the form's
        // own height: the window's top (28), its title bar and frame (~40) and a margin at the bottom come on top.
        let room = (ctx.content_rect().height() - 28.0 - 40.0 - 12.0).max(120.0);
        egui::Window::new("Settings")
            .open(&mut open)
            .collapsible(false)
            .resizable(false)
            .vscroll(true)
            .max_height(room)
            .default_height(room)
            .default_pos([8.0, 28.0])
            .show(ctx, |ui| {
                action = settings::settings_ui(ui, settings, &cx);
            });
        self.win.show_settings = open;
        match action {
            SettingsAction::None => {}
            SettingsAction::Rebind => {
                self.pipeline.rebind(&self.sync.settings, self.sync.path());
            }
            SettingsAction::ResetGame => self.pipeline.hub().feed().reset_game(),
            SettingsAction::Quit => ctx.send_viewport_cmd(ViewportCommand::Close),
            SettingsAction::InstallWidget => self.welcome.install(),
            SettingsAction::RemoveWidget => self.welcome.uninstall(),
        }
    }
}

/// The version of the game's widget when it is older than the one inside this program.
fn older_widget(game: &crate::model::Game) -> Option<String> {
    let info = game.info.as_ref()?;
    let older = info.widget_name == "export_livedata"
        && crate::install::copies::compare_versions(
            &info.widget_version,
            &crate::install::copies::bundled_version(),
        ) == std::cmp::Ordering::Less;
    older.then(|| info.widget_version.clone())
}

/// Widest font atlas we let egui make. egui makes its atlas as wide as the GPU allows (16384 on llvmpipe) and doubles
/// its height as glyphs arrive, so a few rows of text cost megabytes, twice (egui's image and the driver's texture,
/// in main memory with software GL). 2048 holds every glyph the panels use in a few rows.
const MAX_FONT_ATLAS_SIDE: usize = 2048;

impl eframe::App for OverlayApp {
    fn raw_input_hook(&mut self, _ctx: &egui::Context, raw_input: &mut egui::RawInput) {
        let side = raw_input.max_texture_side.unwrap_or(MAX_FONT_ATLAS_SIDE);
        raw_input.max_texture_side = Some(side.min(MAX_FONT_ATLAS_SIDE));
    }

    /// Runs before every frame and also while the window is hidden: data and tray keep flowing.
    fn logic(&mut self, ctx: &egui::Context, _frame: &mut eframe::Frame) {
        self.win.close_on_signal(ctx);
        self.win.tray_commands(ctx, &mut self.sync.settings);
        self.win.click_through_escape(ctx, &mut self.sync.settings);
        self.apply_settings(ctx);
        self.pipeline.poll_feeder();
    }

    fn ui(&mut self, ui: &mut egui::Ui, _frame: &mut eframe::Frame) {
        let ctx = ui.ctx().clone();
        if let Some(t) = self.launched.take() {
            // Painted right after this; scripts/test-package reads it (time to the first frame).
            tracing::info!("first frame {} ms after start", t.elapsed().as_millis());
        }
        self.pacer
            .painted(repaint::signature(&self.pipeline.hub().feed()));
        let (link, turns_stale) = self.pipeline.link(self.sync.settings.stale_after_secs);
        if let Some(at) = turns_stale {
            // The moment a live feed would become stale.
            ctx.request_repaint_after(at.saturating_duration_since(Instant::now()));
        }
        if matches!(link, status::Link::Stale { .. }) {
            // The STALE counter shows whole seconds.
            ctx.request_repaint_after(Duration::from_secs(1));
        }
        let full = ui.max_rect();
        // Also painted here, not only as the clear color, so captures of egui's own output (tests) show it.
        if let Some(fill) = window::background_fill(&self.sync.settings) {
            ui.painter().rect_filled(full, 0.0, fill);
        }
        egui::Frame::new()
            .inner_margin(egui::Margin::same(4))
            .show(ui, |ui| {
                // In a card too: over a chroma key, bare text would fringe into the key color.
                window::card_frame(&self.sync.settings)
                    .inner_margin(egui::Margin::symmetric(6, 1))
                    .show(ui, |ui| self.header(ui, &link));
                ui.add_space(4.0);
                self.notices(ui);
                let out = egui::ScrollArea::vertical()
                    .auto_shrink([false, false])
                    .show(ui, |ui| self.panels(ui, &link));
                self.fit_plots(&ctx, out.inner, out.content_size.y, out.inner_rect.height());
            });
        let mut grip_ui = ui.new_child(egui::UiBuilder::new().max_rect(full));
        window::resize_grip(&mut grip_ui);
        self.settings_window(&ctx);
    }

    fn clear_color(&self, _visuals: &egui::Visuals) -> [f32; 4] {
        window::clear_color(&self.sync.settings)
    }

    fn on_exit(&mut self, _gl: Option<&eframe::glow::Context>) {
        // However the window was closed (button, tray, signal), the process is gone within the grace period.
        crate::shutdown::watchdog(crate::shutdown::GRACE);
        self.sync.save_pending();
        self.pipeline.stop();
    }

    /// Only the window geometry is worth keeping; plot zoom or scroll state from last time would only confuse.
    fn persist_egui_memory(&self) -> bool {
        false
    }
}
