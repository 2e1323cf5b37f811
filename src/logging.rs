//! Log setup: warnings and up on stderr unless RUST_LOG says otherwise; and [`Throttled`] lines for what a hostile
//! peer can make happen thousands of times a second.

use std::time::{Duration, Instant};

pub fn init() {
    let filter = tracing_subscriber::EnvFilter::try_from_default_env()
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("warn"));
    let _ = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr)
        .with_target(false)
        .try_init();
}

/// A warning written at most once per period: the first at once, later ones counted into the next that is written,
/// so a flood shows as a line every few seconds instead of drowning the terminal.
#[derive(Debug)]
pub struct Throttled {
    every: Duration,
    last: Option<Instant>,
    skipped: u64,
}

impl Throttled {
    pub fn new(every: Duration) -> Throttled {
        Throttled {
            every,
            last: None,
            skipped: 0,
        }
    }

    /// Writes `line()` as a warning unless one was written less than a period ago.
    pub fn warn(&mut self, line: impl FnOnce() -> String) {
        let now = Instant::now();
        if self
            .last
            .is_some_and(|t| now.duration_since(t) < self.every)
        {
            self.skipped += 1;
            return;
        }
        self.last = Some(now);
        match std::mem::take(&mut self.skipped) {
            0 => tracing::warn!("{}", line()),
            n => tracing::warn!("{} ({n} more like it not shown)", line()),
        }
    }
}
