//! The eframe app: owns the listener, the hub (the model, fed on the receiver's runtime) and the settings; lays out
//! the panels from the hub's feed; applies and saves setting changes; answers the tray.
//!
//! Repaint policy (repaint.rs): frames come from input, from the tray, from the pacer when what the panels show has
//! changed (at most `max_repaints_per_second`), and from the status' own schedule (the moment a live feed would turn
//! stale, then once a second while STALE counts). Idle costs nothing.

use super::panels::settings::{self, SettingsAction};
use super::panels::{army, graphs, production, scoreboard, status};
use super::settings::{RendererChoice, Settings, SettingsStore};
use super::welcome::{Welcome, WelcomeAction};
use super::{renderer, repaint, theme, tray, window};
use crate::model::{Feed, Hub};
use crate::receiver::ReceiverEvent;
use crate::senders::Speed;
use crate::senders::{Background, replay, simulate};
use crate::station::{Station, StationConfig, WebSettings};
use egui::{RichText, ViewportCommand};
use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, MutexGuard};
use std::time::{Duration, Instant};

/// A built-in sender feeding our own listener.
#[derive(Debug, Clone)]
pub enum Feeder {
    Demo,
    Replay(PathBuf, Speed),
}

enum Running {
    Sim(Background<simulate::SimReport>),
    Replay(Background<replay::ReplayReport>),
}

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
    settings: Settings,
    /// What the window currently reflects, to turn setting edits into viewport commands.
    applied: Settings,
    store: SettingsStore,
    unsaved: bool,
    /// The saved delay while `--delay` stands in for it: what a save writes until the slider is moved.
    saved_delay: Option<u32>,
    hub: Hub,
    /// Receiver, relay and pages feeding `hub`; replaced on a rebind.
    station: Option<Station>,
    report: super::report_button::ReportButton,
    web_port: Option<u16>,
    listen_error: Option<String>,
    port_override: Option<u16>,
    relay_port: Option<u16>,
    feeder: Option<Feeder>,
    running: Option<Running>,
    feeder_error: Option<String>,
    tray: Option<tray::Tray>,
    tray_error: Option<String>,
    quit: Option<Arc<AtomicBool>>,
    running_renderer: RendererChoice,
    /// Why the window runs on another renderer than the setting asks (see renderer.rs).
    renderer_fallback: Option<String>,
    show_settings: bool,
    visible: bool,
    first_frame: bool,
    /// Focus before this frame, to see the window being focused (Alt+Tab) while in click-through.
    was_focused: bool,
    click_through_since: Option<Instant>,
    graphs: graphs::GraphCache,
    /// Decides when a change of the model repaints (see repaint.rs).
    pacer: Arc<repaint::Pacer>,
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
        style(ctx);
        let pacer = repaint::Pacer::new(ctx, settings.max_repaints_per_second);
        let mut app = OverlayApp {
            applied: Settings {
                // Click-through is switched on by the first frame, not the window builder (see window.rs).
                click_through: false,
                ..settings.clone()
            },
            running_renderer: startup
                .renderer
                .as_ref()
                .map_or(settings.renderer, |r| r.renderer),
            renderer_fallback: startup.renderer.and_then(|r| r.fallback),
            settings,
            store,
            unsaved: false,
            saved_delay: None,
            hub: Hub::new(),
            station: None,
            report: Default::default(),
            web_port: startup.web_port,
            listen_error: None,
            port_override: startup.port_override,
            relay_port: startup.relay_port,
            feeder: startup.feeder,
            running: None,
            feeder_error: None,
            tray: None,
            tray_error: None,
            quit: startup.quit,
            show_settings: false,
            visible: true,
            first_frame: true,
            was_focused: true,
            click_through_since: None,
            graphs: graphs::GraphCache::default(),
            pacer,
            plot_height: 72.0,
            welcome: Welcome::default(),
            launched: startup.launched,
        };
        if startup.tray {
            match tray::Tray::new(ctx, app.settings.click_through) {
                Ok(t) => app.tray = Some(t),
                Err(e) => {
                    tracing::info!("no tray icon: {e}");
                    app.tray_error = Some(e);
                }
            }
        }
        // `--delay` stands in for the setting for this run (the slider shows it); see `to_save`.
        if let Some(d) = startup.delay {
            app.saved_delay = Some(app.settings.delay_secs);
            app.settings.delay_secs = d.min(600);
            app.applied.delay_secs = d.min(600);
        }
        app.hub
            .set_delay(Duration::from_secs(u64::from(app.settings.delay_secs)));
        app.hub.set_names(app.settings.names.clone());
        app.hub.set_taps(vec![app.report.tap()]);
        if startup.listen {
            app.listen();
        }
        app
    }

    pub fn settings(&self) -> &Settings {
        &self.settings
    }

    pub fn settings_mut(&mut self) -> &mut Settings {
        &mut self.settings
    }

    /// The model, locked: release it before the next frame.
    pub fn feed(&self) -> MutexGuard<'_, Feed> {
        self.hub.feed()
    }

    /// The shared model the window draws (the web pages read the same one).
    pub fn hub(&self) -> &Hub {
        &self.hub
    }

    /// Feeds one event as if the receiver had queued it (tests and benches build the model this way).
    pub fn handle_event(&mut self, ev: ReceiverEvent) {
        self.hub.handle(ev);
    }

    pub fn notice(&self) -> Option<&str> {
        self.store.notice.as_deref()
    }

    pub fn show_settings(&mut self, show: bool) {
        self.show_settings = show;
    }

    /// The address in use: the settings' one, or the settings' address with `--port` until the user rebinds.
    fn listen_addr(&self) -> Result<SocketAddr, String> {
        let mut a = self.settings.listen_addr()?;
        if let Some(p) = self.port_override {
            a.set_port(p);
        }
        Ok(a)
    }

    /// (Re)binds the listener. The old station is stopped first, which closes it and its connections, so rebinding
    /// to the same port works. A failure is kept for the status panel, never raised.
    fn listen(&mut self) {
        if let Some(old) = self.station.take() {
            old.stop();
        }
        // Until a station runs, the report still sees what the hub is fed (tests feed it directly).
        self.hub.set_taps(vec![self.report.tap()]);
        self.running = None;
        let addr = match self.listen_addr() {
            Ok(a) => a,
            Err(e) => {
                self.listen_error = Some(e);
                return;
            }
        };
        let mut cfg = StationConfig::new(addr);
        cfg.token = self.token();
        // Local only, whatever the listen address: the relay is for programs beside the overlay.
        cfg.relay = self
            .relay_port
            .map(|p| SocketAddr::new(std::net::Ipv4Addr::LOCALHOST.into(), p));
        // The pages on 127.0.0.1: OBS runs beside the overlay, even in a two-PC setup.
        let web_port = self.web_port.unwrap_or(self.settings.web_port);
        cfg.web = (web_port != 0).then(|| WebSettings {
            bind: SocketAddr::new(std::net::Ipv4Addr::LOCALHOST.into(), web_port),
            custom_css: self
                .store
                .path()
                .map(|p| p.with_file_name("custom.css"))
                .or_else(crate::station::default_css),
        });
        cfg.delay = Duration::from_secs(u64::from(self.settings.delay_secs));
        cfg.names = self.settings.names.clone();
        cfg.report = Some(self.report.pages());
        // The window is woken by the pacer, not by every batch (see repaint.rs).
        match Station::start(cfg, &self.hub, || {}) {
            Ok(st) => {
                tracing::info!("listening on {}", st.local_addr());
                if let Some(at) = st.relay_addr() {
                    tracing::info!("relaying the game to programs connecting to {at}");
                }
                match (st.web_addr(), st.web_error()) {
                    (Some(at), _) => tracing::info!("web pages on http://{at}/"),
                    (None, Some(e)) => tracing::warn!("{e}"),
                    (None, None) => {}
                }
                pace(st.runtime(), &self.hub, &self.pacer);
                let local = st.local_addr();
                self.station = Some(st);
                self.listen_error = None;
                self.start_feeder(local);
            }
            Err(e) => {
                tracing::warn!("{e:#}");
                self.listen_error = Some(format!("{e:#}"));
            }
        }
    }

    /// The token setting, when one is set: the listener and the pages require it, our own demo and replay send it.
    fn token(&self) -> Option<String> {
        Some(self.settings.token.trim().to_owned()).filter(|t| !t.is_empty())
    }

    /// Starts the demo or replay into our own listener (again after a rebind).
    fn start_feeder(&mut self, to: SocketAddr) {
        let started = match &self.feeder {
            None => return,
            Some(Feeder::Demo) => simulate::spawn_demo(to, self.token()).map(Running::Sim),
            Some(Feeder::Replay(path, speed)) => {
                replay::spawn(path.clone(), to.to_string(), *speed, self.token())
                    .map(Running::Replay)
            }
        };
        match started {
            Ok(r) => {
                self.running = Some(r);
                self.feeder_error = None;
            }
            Err(e) => self.feeder_error = Some(format!("{e:#}")),
        }
    }

    fn tray_commands(&mut self, ctx: &egui::Context) {
        let Some(t) = &self.tray else { return };
        let mut cmds = Vec::new();
        while let Some(c) = t.try_recv() {
            cmds.push(c);
        }
        for c in cmds {
            match c {
                tray::TrayCommand::ToggleShow => self.set_visible(ctx, !self.visible),
                tray::TrayCommand::ToggleClickThrough => {
                    self.settings.click_through = !self.settings.click_through
                }
                tray::TrayCommand::Settings => {
                    self.set_visible(ctx, true);
                    self.settings.click_through = false;
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
    fn click_through_escape(&mut self, ctx: &egui::Context) {
        let focused = ctx.input(|i| i.viewport().focused).unwrap_or(false);
        let escape = ctx.input(|i| i.key_pressed(egui::Key::Escape));
        if self.settings.click_through {
            // The focus the window had when click-through went on must not count as "focused again".
            let settled = self
                .click_through_since
                .is_some_and(|t| t.elapsed() > Duration::from_secs(1));
            if (focused && !self.was_focused && settled) || (focused && escape) {
                self.settings.click_through = false;
            }
        }
        self.was_focused = focused;
    }

    /// Turns edits (settings window, tray, fallback) into viewport commands, a rebind where asked, and a save once
    /// the pointer is released (a dragged slider saves once, not every frame).
    fn apply_settings(&mut self, ctx: &egui::Context) {
        if self.first_frame {
            self.first_frame = false;
            // Re-apply what the builder could not: click-through (see window.rs).
            ctx.send_viewport_cmd(ViewportCommand::MousePassthrough(
                self.settings.click_through,
            ));
            self.applied.click_through = self.settings.click_through;
            if self.settings.click_through {
                self.click_through_since = Some(Instant::now());
            }
        }
        if self.settings != self.applied {
            if self.settings.delay_secs != self.applied.delay_secs {
                // The slider moved: its value is the setting from now on, saved like any other.
                self.saved_delay = None;
                self.hub
                    .set_delay(Duration::from_secs(u64::from(self.settings.delay_secs)));
            }
            if self.settings.names != self.applied.names {
                self.hub.set_names(self.settings.names.clone());
            }
            window::apply_changes(ctx, &self.applied, &self.settings);
            self.pacer.set_rate(self.settings.max_repaints_per_second);
            if self.settings.click_through && !self.applied.click_through {
                self.click_through_since = Some(Instant::now());
                self.show_settings = false;
            }
            self.applied = self.settings.clone();
            self.unsaved = true;
        }
        if self.unsaved && !ctx.input(|i| i.pointer.any_down()) {
            self.store.save(&self.to_save());
            self.unsaved = false;
        }
        if let Some(t) = &mut self.tray {
            t.sync(self.visible, self.settings.click_through);
        }
    }

    /// The settings as saved: as shown, except a `--delay` given for this run, which keeps the saved delay.
    fn to_save(&self) -> Settings {
        let mut s = self.settings.clone();
        if let Some(d) = self.saved_delay {
            s.delay_secs = d;
        }
        s
    }

    fn link(&self) -> (status::Link, Option<Instant>) {
        let listen = match (&self.listen_error, &self.station) {
            (Some(e), _) => Err(e.as_str()),
            (None, st) => Ok(st.as_ref().map(Station::local_addr)),
        };
        let stale = Duration::from_secs_f32(self.settings.stale_after_secs.max(0.5));
        status::link(&self.hub.feed(), listen, Instant::now(), stale)
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
            if !self.settings.panels.status {
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
                    self.show_settings = !self.show_settings;
                }
                let delay = self.hub.feed().delay();
                self.report.show(ui, delay);
            });
        });
    }

    /// Lays the panels out; returns how many plots of `plot_height` it drew.
    fn panels(&mut self, ui: &mut egui::Ui, link: &status::Link) -> usize {
        let frame = window::card_frame(&self.settings);
        let p = self.settings.panels;
        let gap = 4.0;
        // Held for the frame's panels: the hub applies the next batch after them.
        let hub = self.hub.clone();
        let feed = hub.feed();
        let game = feed.shown();
        if p.status {
            frame.show(ui, |ui| {
                ui.set_width(ui.available_width());
                status::show(ui, &feed, link);
                if let Some(web) = self.station.as_ref().and_then(Station::web_addr) {
                    ui.label(
                        RichText::new(format!("Web pages on http://{web}/")).color(theme::DIM),
                    );
                }
                if let Some(e) = self.station.as_ref().and_then(Station::web_error) {
                    ui.label(RichText::new(e).color(theme::BAD));
                }
                if let Some(relay) = self.station.as_ref().and_then(Station::relay_addr) {
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
            let listening = self.station.as_ref().map(|st| st.local_addr().port());
            self.welcome.refresh(ui.ctx(), self.port_state());
            let can_demo = self.station.is_some() && self.running.is_none();
            let mut action = WelcomeAction::None;
            frame.show(ui, |ui| {
                ui.set_width(ui.available_width());
                action = self.welcome.card(ui, listening, can_demo);
            });
            if action == WelcomeAction::TryDemo
                && let Some(at) = self.station.as_ref().map(Station::local_addr)
            {
                self.feeder = Some(Feeder::Demo);
                self.start_feeder(at);
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
                self.settings.grouping,
                self.settings.time_window,
                self.plot_height,
            );
            frame.show(ui, |ui| {
                ui.set_width(ui.available_width());
                graphs::show(
                    ui,
                    &self.graphs,
                    self.settings.time_window,
                    self.plot_height,
                );
            });
            ui.add_space(gap);
        }
        if p.army {
            frame.show(ui, |ui| {
                ui.set_width(ui.available_width());
                army::show(ui, game, feed.names(), self.settings.top_units);
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
        if let Some(n) = &self.store.notice {
            window::card_frame(&self.settings).show(ui, |ui| {
                ui.colored_label(theme::WARN, n);
                dismiss = ui.small_button("OK").clicked();
            });
        }
        if dismiss {
            self.store.notice = None;
        }
        if let Some(e) = &self.feeder_error {
            ui.colored_label(theme::BAD, format!("demo/replay: {e}"));
        }
    }

    /// The overlay's own port, as the widget checks see it.
    fn port_state(&self) -> crate::install::status::Port {
        use crate::install::status::Port;
        match self.station.as_ref().map(|st| st.local_addr().port()) {
            Some(p) => Port::Ours(p),
            None => {
                let p = self
                    .listen_addr()
                    .map_or(crate::protocol::DEFAULT_PORT, |a| a.port());
                Port::InUse(p, self.listen_error.clone().unwrap_or_default())
            }
        }
    }

    fn settings_window(&mut self, ctx: &egui::Context) {
        if !self.show_settings {
            return;
        }
        self.welcome.refresh(ctx, self.port_state());
        let mut open = true;
        let mut action = SettingsAction::None;
        let listening = self.station.as_ref().map(Station::local_addr);
        let (players, sides) = {
            let feed = self.hub.feed();
            let game = feed.game();
            (
                game.teams.values().map(|t| t.name.clone()).collect(),
                game.ally_teams().into_keys().collect(),
            )
        };
        let cx = settings::SettingsContext {
            listening,
            listen_error: self.listen_error.as_deref(),
            tray: self.tray.is_some(),
            running_renderer: self.running_renderer,
            renderer_fallback: self.renderer_fallback.as_deref(),
            path: self.store.path(),
            players,
            sides,
            widget: self.welcome.widget_line(),
            widget_message: self.welcome.message(),
        };
        let settings = &mut self.settings;
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
        self.show_settings = open;
        match action {
            SettingsAction::None => {}
            SettingsAction::Rebind => {
                self.port_override = None;
                self.listen();
            }
            SettingsAction::ResetGame => self.hub.feed().reset_game(),
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
        if self
            .quit
            .as_ref()
            .is_some_and(|q| q.load(Ordering::Relaxed))
        {
            ctx.send_viewport_cmd(ViewportCommand::Close);
        }
        self.tray_commands(ctx);
        self.click_through_escape(ctx);
        self.apply_settings(ctx);
        if self.running.as_ref().is_some_and(|r| match r {
            Running::Sim(b) => b.is_finished(),
            Running::Replay(b) => b.is_finished(),
        }) && let Some(r) = self.running.take()
        {
            let res = match r {
                Running::Sim(b) => b.stop().map(|_| ()),
                Running::Replay(b) => b.stop().map(|_| ()),
            };
            if let Err(e) = res {
                self.feeder_error = Some(format!("{e:#}"));
            }
        }
    }

    fn ui(&mut self, ui: &mut egui::Ui, _frame: &mut eframe::Frame) {
        let ctx = ui.ctx().clone();
        if let Some(t) = self.launched.take() {
            // Painted right after this; scripts/test-package reads it (time to the first frame).
            tracing::info!("first frame {} ms after start", t.elapsed().as_millis());
        }
        self.pacer.painted(repaint::signature(&self.hub.feed()));
        let (link, turns_stale) = self.link();
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
        if let Some(fill) = window::background_fill(&self.settings) {
            ui.painter().rect_filled(full, 0.0, fill);
        }
        egui::Frame::new()
            .inner_margin(egui::Margin::same(4))
            .show(ui, |ui| {
                // In a card too: over a chroma key, bare text would fringe into the key color.
                window::card_frame(&self.settings)
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
        window::clear_color(&self.settings)
    }

    fn on_exit(&mut self, _gl: Option<&eframe::glow::Context>) {
        // However the window was closed (button, tray, signal), the process is gone within the grace period.
        crate::shutdown::watchdog(crate::shutdown::GRACE);
        if self.unsaved {
            self.store.save(&self.to_save());
        }
        // The receiver first: closing its sockets ends a demo or replay sender blocked writing to it, which the
        // sender's join below would otherwise wait on forever (nothing drains the receiver any more).
        if let Some(st) = self.station.take() {
            st.stop();
        }
        self.running = None;
    }

    /// Only the window geometry is worth keeping; plot zoom or scroll state from last time would only confuse.
    fn persist_egui_memory(&self) -> bool {
        false
    }
}

/// A dark look with slightly larger text than egui's default, for a viewer watching a scaled-down stream.
fn style(ctx: &egui::Context) {
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

/// On `runtime`: after each change of the hub's model, tell the pacer what the panels would now show. Changes that
/// arrive while it works merge into one (a `watch` channel keeps only the latest version). Ends with the runtime.
fn pace(runtime: &tokio::runtime::Handle, hub: &Hub, pacer: &Arc<repaint::Pacer>) {
    let (hub, pacer) = (hub.clone(), pacer.clone());
    let mut changes = hub.changes();
    runtime.spawn(async move {
        while changes.changed().await.is_ok() {
            let signature = repaint::signature(&hub.feed());
            pacer.changed(signature);
        }
    });
}
