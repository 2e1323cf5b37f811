//! The settings as the user edits them, beside what the window last applied and what is saved: edits turn into one
//! change a frame for the app to apply, and into a save once the pointer is released (a dragged slider saves once,
//! not every frame).

use super::settings::{Settings, SettingsStore};
use std::path::Path;

pub struct SettingsSync {
    /// What the settings window, the tray and the keyboard edit.
    pub settings: Settings,
    /// What the window currently reflects, to turn edits into viewport commands.
    applied: Settings,
    store: SettingsStore,
    unsaved: bool,
    /// The saved delay while `--delay` stands in for it: what a save writes until the slider is moved.
    saved_delay: Option<u32>,
}

impl SettingsSync {
    /// `delay` is `--delay`: shown by the slider for this run, while the saved delay stays as it was.
    pub fn new(store: SettingsStore, mut settings: Settings, delay: Option<u32>) -> SettingsSync {
        let mut saved_delay = None;
        if let Some(d) = delay {
            saved_delay = Some(settings.delay_secs);
            settings.delay_secs = d.min(600);
        }
        SettingsSync {
            applied: Settings {
                // Click-through is switched on by the first frame, not the window builder (see window.rs).
                click_through: false,
                ..settings.clone()
            },
            settings,
            store,
            unsaved: false,
            saved_delay,
        }
    }

    /// The first frame has applied click-through.
    pub fn click_through_applied(&mut self) {
        self.applied.click_through = self.settings.click_through;
    }

    /// The settings the window reflected before this frame's edits, when there were any; they will be saved.
    pub fn take_changes(&mut self) -> Option<Settings> {
        if self.settings == self.applied {
            return None;
        }
        if self.settings.delay_secs != self.applied.delay_secs {
            // The slider moved: its value is the setting from now on, saved like any other.
            self.saved_delay = None;
        }
        self.unsaved = true;
        Some(std::mem::replace(&mut self.applied, self.settings.clone()))
    }

    /// Saves pending edits unless the pointer is still down (a drag in progress).
    pub fn save_when_released(&mut self, pointer_down: bool) {
        if self.unsaved && !pointer_down {
            self.save();
        }
    }

    /// Saves pending edits now (the window is closing).
    pub fn save_pending(&mut self) {
        if self.unsaved {
            self.save();
        }
    }

    fn save(&mut self) {
        self.store.save(&self.to_save());
        self.unsaved = false;
    }

    /// The settings as saved: as shown, except a `--delay` given for this run, which keeps the saved delay.
    fn to_save(&self) -> Settings {
        let mut s = self.settings.clone();
        if let Some(d) = self.saved_delay {
            s.delay_secs = d;
        }
        s
    }

    /// The settings file, when there is one.
    pub fn path(&self) -> Option<&Path> {
        self.store.path()
    }

    /// A problem with the settings file the user has not dismissed yet.
    pub fn notice(&self) -> Option<&str> {
        self.store.notice.as_deref()
    }

    pub fn dismiss_notice(&mut self) {
        self.store.notice = None;
    }
}
