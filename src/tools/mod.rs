//! The headless commands: `listen`, `record`, `simulate`, `replay`, `summary`, `export`, `serve`, `widget`. They run without a display.

pub mod export;
pub mod listen;
pub mod record;
pub mod serve;
pub mod summary;
pub mod widget;

use crate::receiver::ReceiverEvent;
use crate::station::{Station, StationConfig};
use std::net::SocketAddr;
use std::time::Duration;

/// What `listen` and `record` do with what arrives.
pub(crate) trait Consumer {
    /// Handles one event; returning false ends the loop.
    fn event(&mut self, ev: ReceiverEvent) -> anyhow::Result<bool>;
    /// Runs once a second and once at the end.
    fn tick(&mut self) -> anyhow::Result<()>;
}

/// Feeds `consumer` until SIGTERM or Ctrl-C, `seconds` have passed, or it asks to stop. The loop `listen` and `record` share.
pub(crate) fn receive_loop(
    bind: SocketAddr,
    relay: Option<SocketAddr>,
    keep_raw: bool,
    seconds: Option<f64>,
    consumer: &mut impl Consumer,
) -> anyhow::Result<()> {
    let mut cfg = StationConfig::new(bind);
    cfg.keep_raw = keep_raw;
    cfg.relay = relay;
    let (station, mut events) = Station::start_events(cfg)?;
    // Scripts and tests read the port from this first line: keep its form.
    eprintln!("listening on {} (Ctrl-C to stop)", station.local_addr());
    if let Some(at) = station.relay_addr() {
        eprintln!("relay on {at}");
    }
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()?;
    rt.block_on(async {
        let deadline =
            seconds.map(|s| tokio::time::Instant::now() + Duration::from_secs_f64(s.max(0.0)));
        let mut tick = tokio::time::interval(Duration::from_secs(1));
        tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        tick.tick().await;
        let stop = crate::shutdown::stop_signal();
        tokio::pin!(stop);
        loop {
            let until_deadline = async {
                match deadline {
                    Some(d) => tokio::time::sleep_until(d).await,
                    None => std::future::pending().await,
                }
            };
            tokio::select! {
                ev = events.recv() => match ev {
                    Some(ev) => {
                        station.observe(&ev);
                        if !consumer.event(ev)? { break }
                    }
                    None => break,
                },
                _ = tick.tick() => consumer.tick()?,
                _ = &mut stop => {
                    // From here the process ends within the grace period, however busy the receiver is.
                    crate::shutdown::watchdog(crate::shutdown::GRACE);
                    break;
                }
                _ = until_deadline => break,
            }
        }
        consumer.tick()
    })?;
    station.drain_relay(Duration::from_secs(2));
    Ok(())
}

pub(crate) use crate::model::game_clock as clock;
