//! The folder the user chose, remembered for the next time (`install.toml` in the OS config directory, beside the
//! window's settings). A file that cannot be read is ignored: the folder is then found again or asked for.

use serde::{Deserialize, Serialize};
use std::path::PathBuf;

#[derive(Debug, Default, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default)]
struct InstallPrefs {
    bar_dir: Option<PathBuf>,
}

const APP: &str = "bar-overlay";
const NAME: &str = "install";

/// The remembered write folder, if any.
pub fn remembered() -> Option<PathBuf> {
    let path = confy::get_configuration_file_path(APP, NAME).ok()?;
    if !path.is_file() {
        return None;
    }
    match confy::load_path::<InstallPrefs>(&path) {
        Ok(p) => p.bar_dir,
        Err(e) => {
            tracing::warn!("ignoring {}: {e}", path.display());
            None
        }
    }
}

/// Remembers `dir`; a failure is logged, not raised (the install itself worked).
pub fn remember(dir: &std::path::Path) {
    let prefs = InstallPrefs {
        bar_dir: Some(dir.to_owned()),
    };
    if let Err(e) = confy::store(APP, NAME, prefs) {
        tracing::warn!("could not remember the BAR folder: {e}");
    }
}
