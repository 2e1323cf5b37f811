//! Ending the process on request, whatever it is doing: SIGTERM and Ctrl-C as one future, and a watchdog that makes
//! sure the process is gone within [`GRACE`] of the request even if the clean way (settings saved, sockets closed,
//! threads joined) is held up by a flood, a giant line or a stuck peer.

use std::time::Duration;

/// From the request to the end of the process at the latest (the bound is 3 s; this leaves room for the exit).
pub const GRACE: Duration = Duration::from_millis(2500);

/// Resolves on the first SIGTERM or Ctrl-C (SIGINT). Create it once and keep polling the same future: a fresh
/// `tokio::signal::ctrl_c()` per loop turn misses a signal that arrives between two turns, which under a flood is
/// nearly every signal.
pub async fn stop_signal() {
    #[cfg(unix)]
    {
        use tokio::signal::unix::{SignalKind, signal};
        if let Ok(mut term) = signal(SignalKind::terminate()) {
            tokio::select! {
                _ = term.recv() => {}
                _ = tokio::signal::ctrl_c() => {}
            }
            return;
        }
    }
    let _ = tokio::signal::ctrl_c().await;
}

/// Starts a thread that ends the process `grace` from now unless it has ended by then: called when a stop is asked
/// for, before the clean shutdown starts. Says so in one line when it has to act.
pub fn watchdog(grace: Duration) {
    let spawned = std::thread::Builder::new()
        .name("bar-overlay-exit-watchdog".into())
        .spawn(move || {
            std::thread::sleep(grace);
            eprintln!(
                "bar-overlay: still busy {:.1} s after being asked to stop; exiting now",
                grace.as_secs_f32()
            );
            std::process::exit(1);
        });
    if let Err(e) = spawned {
        tracing::warn!("no exit watchdog: {e}");
    }
}
