//! `bar-overlay serve`: receiver, model and web pages without a window (a streaming PC, a headless box, the tests).

use crate::model::Hub;
use crate::shutdown::stop_signal;
use crate::station::{Station, StationConfig};
use std::time::Duration;

/// Runs `cfg` (its web pages must start) for `seconds`, or until interrupted.
pub fn run(cfg: StationConfig, seconds: Option<f64>) -> anyhow::Result<()> {
    let delay = cfg.delay;
    let hub = Hub::new();
    let station = Station::start(cfg, &hub, || {})?;
    if let Some(e) = station.web_error() {
        anyhow::bail!("{e}");
    }
    let rt = station.runtime().clone();
    // Scripts and tests read the ports from these first lines: keep their form.
    eprintln!("listening on {} (Ctrl-C to stop)", station.local_addr());
    if let Some(at) = station.web_addr() {
        eprintln!("web pages on http://{at}/");
    }
    if let Some(at) = station.relay_addr() {
        eprintln!("relay on {at}");
    }
    if !delay.is_zero() {
        eprintln!(
            "everything served is {} s late{}",
            delay.as_secs_f64(),
            if station.relay_addr().is_some() {
                "; the relay is held while delayed"
            } else {
                ""
            }
        );
    }
    // The receiver's runtime drives the sockets and timers; this thread only waits on it.
    rt.block_on(async {
        let until = async {
            match seconds {
                Some(s) => tokio::time::sleep(Duration::from_secs_f64(s.max(0.0))).await,
                None => std::future::pending().await,
            }
        };
        tokio::select! {
            _ = until => {}
            _ = stop_signal() => {}
        }
    });
    station.stop();
    Ok(())
}
