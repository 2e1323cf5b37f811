//! What the window runs: its station (receiver, relay, web pages, delay) feeding the hub, and the built-in sender
//! (the demo or a replay) feeding that station. A rebind stops the old station before the new one binds, so the same
//! port can be taken again; a failure is kept for the status panel, never raised.

use super::report_button::ReportButton;
use super::settings::Settings;
use super::{panels::status, repaint};
use crate::install::status::Port;
use crate::model::Hub;
use crate::senders::{Background, Speed, replay, simulate};
use crate::station::{Station, StationConfig, WebSettings};
use std::net::{Ipv4Addr, SocketAddr};
use std::path::{Path, PathBuf};
use std::sync::Arc;
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

impl Running {
    fn is_finished(&self) -> bool {
        match self {
            Running::Sim(b) => b.is_finished(),
            Running::Replay(b) => b.is_finished(),
        }
    }

    fn stop(self) -> anyhow::Result<()> {
        match self {
            Running::Sim(b) => b.stop().map(|_| ()),
            Running::Replay(b) => b.stop().map(|_| ()),
        }
    }
}

/// The ports given on the command line for this run (not saved).
#[derive(Debug, Clone, Copy, Default)]
pub struct Ports {
    pub listen: Option<u16>,
    pub relay: Option<u16>,
    pub web: Option<u16>,
}

pub struct Pipeline {
    hub: Hub,
    /// Receiver, relay and pages feeding `hub`; replaced on a rebind.
    station: Option<Station>,
    pub report: ReportButton,
    ports: Ports,
    listen_error: Option<String>,
    feeder: Option<Feeder>,
    running: Option<Running>,
    feeder_error: Option<String>,
    /// Told after each change of the model, on the station's runtime (see repaint.rs).
    pacer: Arc<repaint::Pacer>,
}

impl Pipeline {
    /// Nothing runs yet: `listen` starts the station. Until then the hub is fed directly (tests, benches).
    pub fn new(
        settings: &Settings,
        ports: Ports,
        feeder: Option<Feeder>,
        pacer: Arc<repaint::Pacer>,
    ) -> Pipeline {
        let hub = Hub::new();
        let report = ReportButton::default();
        hub.set_delay(Duration::from_secs(u64::from(settings.delay_secs)));
        hub.set_names(settings.names.clone());
        hub.set_taps(vec![report.tap()]);
        Pipeline {
            hub,
            station: None,
            report,
            ports,
            listen_error: None,
            feeder,
            running: None,
            feeder_error: None,
            pacer,
        }
    }

    /// The shared model the window draws (the web pages read the same one).
    pub fn hub(&self) -> &Hub {
        &self.hub
    }

    pub fn station(&self) -> Option<&Station> {
        self.station.as_ref()
    }

    pub fn local_addr(&self) -> Option<SocketAddr> {
        self.station.as_ref().map(Station::local_addr)
    }

    pub fn listen_error(&self) -> Option<&str> {
        self.listen_error.as_deref()
    }

    pub fn feeder_error(&self) -> Option<&str> {
        self.feeder_error.as_deref()
    }

    /// The address in use: the settings' one, or the settings' address with `--port` until the user rebinds.
    fn listen_addr(&self, settings: &Settings) -> Result<SocketAddr, String> {
        let mut a = settings.listen_addr()?;
        if let Some(p) = self.ports.listen {
            a.set_port(p);
        }
        Ok(a)
    }

    /// The settings' address from now on, `--port` no longer: the user chose one.
    pub fn rebind(&mut self, settings: &Settings, config: Option<&Path>) {
        self.ports.listen = None;
        self.listen(settings, config);
    }

    /// (Re)binds the station. `config` is the settings file, beside which the pages look for custom.css.
    pub fn listen(&mut self, settings: &Settings, config: Option<&Path>) {
        self.stop();
        // Until a station runs, the report still sees what the hub is fed (tests feed it directly).
        self.hub.set_taps(vec![self.report.tap()]);
        let addr = match self.listen_addr(settings) {
            Ok(a) => a,
            Err(e) => {
                self.listen_error = Some(e);
                return;
            }
        };
        let mut cfg = StationConfig::new(addr);
        cfg.token = token(settings);
        // Local only, whatever the listen address: the relay is for programs beside the overlay.
        cfg.relay = self
            .ports
            .relay
            .map(|p| SocketAddr::new(Ipv4Addr::LOCALHOST.into(), p));
        // The pages on 127.0.0.1: OBS runs beside the overlay, even in a two-PC setup.
        let web_port = self.ports.web.unwrap_or(settings.web_port);
        cfg.web = (web_port != 0).then(|| WebSettings {
            bind: SocketAddr::new(Ipv4Addr::LOCALHOST.into(), web_port),
            custom_css: config
                .map(|p| p.with_file_name("custom.css"))
                .or_else(crate::station::default_css),
        });
        cfg.delay = Duration::from_secs(u64::from(settings.delay_secs));
        cfg.names = settings.names.clone();
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
                self.start_feeder(local, token(settings));
            }
            Err(e) => {
                tracing::warn!("{e:#}");
                self.listen_error = Some(format!("{e:#}"));
            }
        }
    }

    /// Whether "Try the demo" can start: a station listens and nothing feeds it yet.
    pub fn can_demo(&self) -> bool {
        self.station.is_some() && self.running.is_none()
    }

    pub fn start_demo(&mut self, settings: &Settings) {
        if let Some(at) = self.local_addr() {
            self.feeder = Some(Feeder::Demo);
            self.start_feeder(at, token(settings));
        }
    }

    /// Starts the demo or replay into our own listener (again after a rebind).
    fn start_feeder(&mut self, to: SocketAddr, token: Option<String>) {
        let started = match &self.feeder {
            None => return,
            Some(Feeder::Demo) => simulate::spawn_demo(to, token).map(Running::Sim),
            Some(Feeder::Replay(path, speed)) => {
                replay::spawn(path.clone(), to.to_string(), *speed, token).map(Running::Replay)
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

    /// Collects a sender that has finished; its error is kept for the window.
    pub fn poll_feeder(&mut self) {
        if self.running.as_ref().is_some_and(Running::is_finished)
            && let Some(r) = self.running.take()
            && let Err(e) = r.stop()
        {
            self.feeder_error = Some(format!("{e:#}"));
        }
    }

    /// The overlay's own port, as the widget checks see it.
    pub fn port_state(&self, settings: &Settings) -> Port {
        match self.local_addr() {
            Some(a) => Port::Ours(a.port()),
            None => {
                let p = self
                    .listen_addr(settings)
                    .map_or(crate::protocol::DEFAULT_PORT, |a| a.port());
                Port::InUse(p, self.listen_error.clone().unwrap_or_default())
            }
        }
    }

    /// What the status panel says of the link, and when a live feed would turn stale.
    pub fn link(&self, stale_after_secs: f32) -> (status::Link, Option<Instant>) {
        let listen = match &self.listen_error {
            Some(e) => Err(e.as_str()),
            None => Ok(self.local_addr()),
        };
        let stale = Duration::from_secs_f32(stale_after_secs.max(0.5));
        status::link(&self.hub.feed(), listen, Instant::now(), stale)
    }

    /// The receiver first: closing its sockets ends a demo or replay sender blocked writing to it, which the sender's
    /// join would otherwise wait on forever (nothing drains the receiver any more).
    pub fn stop(&mut self) {
        if let Some(st) = self.station.take() {
            st.stop();
        }
        self.running = None;
    }
}

/// The token setting, when one is set: the listener and the pages require it, our own demo and replay send it.
fn token(settings: &Settings) -> Option<String> {
    Some(settings.token.trim().to_owned()).filter(|t| !t.is_empty())
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
