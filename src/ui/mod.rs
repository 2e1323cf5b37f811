//! The overlay window (built in its own issue).

use crate::cli::Speed;
use std::path::PathBuf;

/// How the window was asked to start.
#[derive(Debug, Clone)]
pub struct LaunchOptions {
    /// Also run the built-in simulated game into the overlay's own listener.
    pub demo: bool,
    /// Feed this recording into the overlay's own listener.
    pub replay: Option<(PathBuf, Speed)>,
    /// Listen on this port instead of the configured one (not saved).
    pub port: Option<u16>,
    /// A settings file to use instead of the one in the OS config directory.
    pub config: Option<PathBuf>,
}

pub fn run(_opts: LaunchOptions) -> anyhow::Result<()> {
    anyhow::bail!(
        "the overlay window is not built yet; use a command such as `bar-overlay listen` (see --help)"
    )
}
