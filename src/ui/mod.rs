//! The overlay window: a transparent, borderless, always-on-top eframe window over the core library.
//!
//! Data flows one way: socket -> receiver -> channel -> [`app`] drains into the `Feed` -> panels read the model.
//! The UI never touches sockets; the receiver only wakes egui.
//!
//! One small file per job: [`app`] (the frame), [`pipeline`] (the station and built-in sender the window runs),
//! [`settings`] (the persisted settings and their store), [`settings_sync`] (edits to apply and save),
//! [`window_state`] (tray, click-through, visibility), [`window`] (viewport, background, drag/resize), [`theme`]
//! (look, colors, numbers), and one file per panel under [`panels`] (the settings window among them).

pub mod app;
pub mod demo;
pub mod panels;
pub mod pipeline;
pub mod renderer;
pub mod repaint;
pub mod report_button;
pub mod settings;
pub mod settings_sync;
pub mod theme;
pub mod tray;
pub mod welcome;
pub mod window;
pub mod window_state;

use crate::senders::Speed;
use std::path::PathBuf;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};

/// How the window was asked to start.
#[derive(Debug, Clone)]
pub struct LaunchOptions {
    /// Also run the built-in simulated game into the overlay's own listener.
    pub demo: bool,
    /// Feed this recording into the overlay's own listener.
    pub replay: Option<(PathBuf, Speed)>,
    /// Listen on this port instead of the configured one (not saved).
    pub port: Option<u16>,
    /// Also serve the game's lines to other programs on this port of 127.0.0.1 (`outputs::relay`; not saved).
    pub relay_port: Option<u16>,
    /// The web pages' port instead of the configured one (0: off; not saved).
    pub web_port: Option<u16>,
    /// The stream delay in seconds instead of the configured one (saved only with another settings change).
    pub delay: Option<u32>,
    /// A settings file to use instead of the one in the OS config directory.
    pub config: Option<PathBuf>,
    /// Start on this renderer, without the software-adapter check (not saved).
    pub renderer: Option<settings::RendererChoice>,
}

pub fn run(opts: LaunchOptions) -> anyhow::Result<()> {
    let launched = std::time::Instant::now();
    if let Some((file, _)) = &opts.replay {
        // Say so now, in the terminal, rather than in a window that shows nothing.
        std::fs::File::open(file)
            .map_err(|e| anyhow::anyhow!("cannot read {}: {e}", file.display()))?;
    }
    let (store, settings) = settings::SettingsStore::open(opts.config.clone());
    // Window position and size (eframe's own store) live beside the settings file.
    let geometry = store.path().map(|p| p.with_file_name("window.ron"));
    let started = renderer::choose(settings.renderer, opts.renderer, renderer::probe_wgpu);
    if let Some(why) = &started.fallback {
        tracing::warn!("{why}");
    }
    let native = window::native_options(&settings, started.eframe(), geometry);
    let feeder = if opts.demo {
        Some(app::Feeder::Demo)
    } else {
        opts.replay.map(|(f, s)| app::Feeder::Replay(f, s))
    };
    let quit = Arc::new(AtomicBool::new(false));
    let startup = app::Startup {
        listen: true,
        port_override: opts.port,
        relay_port: opts.relay_port,
        web_port: opts.web_port,
        delay: opts.delay,
        feeder,
        tray: true,
        quit: Some(quit.clone()),
        renderer: Some(started),
        launched: Some(launched),
    };
    eframe::run_native(
        window::TITLE,
        native,
        Box::new(move |cc| {
            watch_signals(cc.egui_ctx.clone(), quit);
            Ok(Box::new(app::OverlayApp::new(
                &cc.egui_ctx,
                store,
                settings,
                startup,
            )))
        }),
    )
    .map_err(|e| {
        anyhow::anyhow!(
            "cannot open the overlay window: {e}. Try the other renderer (--renderer glow or wgpu; settings file: renderer = \"glow\" or \
             \"wgpu\"), or use the headless commands (see --help)"
        )
    })
}

/// SIGTERM and Ctrl-C close the window the normal way (settings saved, listener closed, exit code 0) instead of
/// killing the process mid-write.
fn watch_signals(ctx: egui::Context, quit: Arc<AtomicBool>) {
    let spawned = std::thread::Builder::new()
        .name("bar-overlay-signals".into())
        .spawn(move || {
            let rt = match tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()
            {
                Ok(rt) => rt,
                Err(e) => {
                    tracing::warn!("no signal handling: {e}");
                    return;
                }
            };
            rt.block_on(crate::shutdown::stop_signal());
            // The clean way (a frame, settings saved, listener closed) normally takes milliseconds; whatever holds
            // it up, the process ends within the grace period.
            crate::shutdown::watchdog(crate::shutdown::GRACE);
            quit.store(true, Ordering::Relaxed);
            ctx.request_repaint();
        });
    if let Err(e) = spawned {
        tracing::warn!("no signal handling: {e}");
    }
}
