//! The window's "Report" button: once a game is over (and a stream delay no longer hides its end), it writes that
//! game's report page to a file and opens it in the default browser.

use super::theme;
use crate::model::LineTap;
use crate::report::live::{LastReport, ReportTap};
use egui::RichText;
use std::sync::Arc;
use std::time::{Duration, Instant};

#[derive(Default)]
pub struct ReportButton {
    last: LastReport,
    /// Why the last click opened nothing.
    error: Option<String>,
}

impl ReportButton {
    /// The tap that makes the pages: the hub's taps must include it.
    pub fn tap(&self) -> Arc<dyn LineTap> {
        Arc::new(ReportTap::new(self.last.clone()))
    }

    /// The pages, for the web server's `/report`.
    pub fn pages(&self) -> LastReport {
        self.last.clone()
    }

    /// The button, in a right-to-left layout, when there is a report to open.
    pub fn show(&mut self, ui: &mut egui::Ui, delay: Duration) {
        let Some(page) = self.last.shown(delay, Instant::now()) else {
            return;
        };
        let button = ui
            .small_button("Report")
            .on_hover_text(format!("Open the report of {} in the browser", page.title));
        if button.clicked() {
            self.error = open(&page.html).err();
        }
        if let Some(e) = &self.error {
            ui.label(RichText::new(e).color(theme::BAD).small());
        }
    }
}

/// Writes the page into the temporary folder (one file, replaced by the next game's) and opens it.
fn open(html: &str) -> Result<(), String> {
    let path = std::env::temp_dir().join("bar-overlay-last-game.html");
    std::fs::write(&path, html).map_err(|e| format!("cannot write {}: {e}", path.display()))?;
    open::that_detached(&path).map_err(|e| format!("cannot open the browser: {e}"))
}
