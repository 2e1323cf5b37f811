//! One running game pipeline: the receiver (its own thread and runtime), the hub (model and stream delay) or the
//! caller's own consumer, the relay and the web pages, started from one config value and stopped in order. The
//! window, `serve`, `listen`, `record` and the demo all start a `Station`; nothing else wires these parts, so a change
//! to how a game is received (a token, a cap, the delay) is made here once.
//!
//! ```text
//!               +------------------- Station -------------------+
//!  widget --TCP-> receiver --events--> hub (model, delay) --> web pages
//!               |                 \--> relay (a hub tap, or observe())
//!               +-----------------------------------------------+
//!  started by: ui::app (window, demo, replay), tools::serve, tools::listen, tools::record
//! ```

use crate::model::{Hub, Names};
use crate::outputs::relay::{RELAY_QUEUE_BYTES, Relay};
use crate::outputs::web::{WebConfig, WebServer};
use crate::receiver::{Receiver, ReceiverConfig, ReceiverEvent};
use std::net::{IpAddr, SocketAddr};
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;
use tokio::sync::mpsc;

/// Everything a station needs to run.
#[derive(Debug, Clone)]
pub struct StationConfig {
    /// Where the widget connects.
    pub listen: SocketAddr,
    /// The shared secret of a two-PC setup: required in the hello and on the pages.
    pub token: Option<String>,
    /// Pass the game's lines on to other programs here.
    pub relay: Option<SocketAddr>,
    /// Serve the web pages (only with a hub).
    pub web: Option<WebSettings>,
    /// Keep each line's bytes on its event (`record` writes them as they came; the relay does anyway).
    pub keep_raw: bool,
    /// Show everything this late (only with a hub).
    pub delay: Duration,
    /// Broadcast names (only with a hub).
    pub names: Names,
}

impl StationConfig {
    pub fn new(listen: SocketAddr) -> StationConfig {
        StationConfig {
            listen,
            token: None,
            relay: None,
            web: None,
            keep_raw: false,
            delay: Duration::ZERO,
            names: Names::default(),
        }
    }
}

#[derive(Debug, Clone)]
pub struct WebSettings {
    pub bind: SocketAddr,
    /// Served as `/custom.css`.
    pub custom_css: Option<PathBuf>,
}

/// A running pipeline. Dropping it stops everything; [`Station::stop`] does it in order and waits.
pub struct Station {
    // Field order is drop order: the pages and the relay go before the receiver that feeds them.
    web: Option<WebServer>,
    web_error: Option<String>,
    relay: Option<Relay>,
    hub: Option<Hub>,
    receiver: Receiver,
}

impl Station {
    /// Receiver, relay and web pages, feeding `hub` (the window and `serve`). `wake` runs after each batch the hub
    /// applies. A relay that cannot start is an error; pages that cannot start are kept as [`Station::web_error`]
    /// (the window shows it, `serve` stops on it).
    pub fn start(
        cfg: StationConfig,
        hub: &Hub,
        wake: impl Fn() + Send + Sync + 'static,
    ) -> anyhow::Result<Station> {
        let (mut station, events) = Station::bind(&cfg)?;
        if let Some(r) = &station.relay {
            hub.set_taps(vec![Arc::new(r.clone())]);
        }
        hub.set_delay(cfg.delay);
        hub.set_names(cfg.names.clone());
        if let Some(w) = &cfg.web {
            let mut web = WebConfig::new(w.bind);
            web.token = cfg.token.clone();
            web.custom_css = w.custom_css.clone();
            match WebServer::start(web, hub.clone(), station.receiver.runtime()) {
                Ok(w) => station.web = Some(w),
                Err(e) => station.web_error = Some(e.to_string()),
            }
        }
        hub.attach(station.receiver.runtime(), events, wake);
        station.hub = Some(hub.clone());
        Ok(station)
    }

    /// Receiver and relay, the events handed to the caller (`listen`, `record`), who passes each to
    /// [`Station::observe`] for the relay.
    pub fn start_events(
        cfg: StationConfig,
    ) -> anyhow::Result<(Station, mpsc::Receiver<ReceiverEvent>)> {
        Station::bind(&cfg)
    }

    fn bind(cfg: &StationConfig) -> anyhow::Result<(Station, mpsc::Receiver<ReceiverEvent>)> {
        check_bind(cfg.listen.ip(), cfg.token.as_deref())?;
        let mut rc = ReceiverConfig::new(cfg.listen);
        // The relay passes lines on byte for byte.
        rc.keep_raw = cfg.keep_raw || cfg.relay.is_some();
        rc.token = cfg.token.clone().filter(|t| !t.is_empty());
        let (receiver, events) = Receiver::start(rc, || {})?;
        let relay = cfg
            .relay
            .map(|at| Relay::start(at, RELAY_QUEUE_BYTES, receiver.runtime()))
            .transpose()?;
        let station = Station {
            web: None,
            web_error: None,
            relay,
            hub: None,
            receiver,
        };
        Ok((station, events))
    }

    pub fn local_addr(&self) -> SocketAddr {
        self.receiver.local_addr()
    }

    /// The receiver's runtime: tasks that follow the hub run there and end with the station.
    pub fn runtime(&self) -> &tokio::runtime::Handle {
        self.receiver.runtime()
    }

    pub fn web_addr(&self) -> Option<SocketAddr> {
        self.web.as_ref().map(WebServer::addr)
    }

    /// Why the pages are not served, when they were asked for.
    pub fn web_error(&self) -> Option<&str> {
        self.web_error.as_deref()
    }

    pub fn relay_addr(&self) -> Option<SocketAddr> {
        self.relay.as_ref().map(Relay::addr)
    }

    /// Passes an event the caller took from [`Station::start_events`] to the relay.
    pub fn observe(&self, ev: &ReceiverEvent) {
        if let Some(r) = &self.relay {
            r.observe(ev);
        }
    }

    /// Gives the relay's clients up to `timeout` to take what is queued for them.
    pub fn drain_relay(&self, timeout: Duration) {
        if let Some(r) = &self.relay {
            r.drain(timeout);
        }
    }

    /// Stops in order: the hub forgets the relay, the pages and the relay close, then the receiver and its thread.
    pub fn stop(mut self) {
        if let Some(hub) = self.hub.take() {
            hub.set_taps(Vec::new());
        }
        self.web = None;
        self.relay = None;
        self.receiver.stop();
    }
}

/// Anything but loopback reaches other machines: only with a token.
pub fn check_bind(bind: IpAddr, token: Option<&str>) -> anyhow::Result<()> {
    if !bind.is_loopback() && token.is_none_or(str::is_empty) {
        anyhow::bail!(
            "refusing to listen on {bind} without a token: other machines could feed or read the overlay. Add \
             --token SECRET (and set the same token in the widget), or use --bind 127.0.0.1"
        );
    }
    Ok(())
}

/// custom.css beside the settings file, where the window's settings live too.
pub fn default_css() -> Option<PathBuf> {
    confy::get_configuration_file_path("bar-overlay", "settings")
        .ok()
        .map(|p| p.with_file_name("custom.css"))
}
