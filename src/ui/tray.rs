//! The tray icon: show/hide, click-through on/off, settings, quit. It is the way back from click-through mode,
//! which makes the window ignore the mouse.
//!
//! On Linux this is tray-icon's `ksni` backend (StatusNotifierItem over D-Bus: no GTK to build or run). Without a
//! session bus the tray fails to start and the app runs without it. With a bus but no tray host (GNOME without an
//! extension) it "starts" yet nobody shows it, so the app never relies on the tray alone (see `app.rs`).

use std::sync::mpsc;
use tray_icon::menu::{CheckMenuItem, Menu, MenuEvent, MenuItem, PredefinedMenuItem};
use tray_icon::{TrayIcon, TrayIconBuilder, TrayIconEvent};

/// What the user picked in the tray.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TrayCommand {
    ToggleShow,
    ToggleClickThrough,
    Settings,
    Quit,
}

// Fixed ids: the menu event handler is global and outlives any one menu.
const ID_SHOW: &str = "bar-overlay.show";
const ID_CLICK: &str = "bar-overlay.click-through";
const ID_SETTINGS: &str = "bar-overlay.settings";
const ID_QUIT: &str = "bar-overlay.quit";

/// A live tray icon. Its menu items are not `Send`, so it stays on the UI thread with the app.
pub struct Tray {
    _icon: TrayIcon,
    show: MenuItem,
    click_through: CheckMenuItem,
    rx: mpsc::Receiver<TrayCommand>,
    shown: (bool, bool),
}

impl Tray {
    /// Builds the tray and routes its events to the app, waking the UI for each (the app may be hidden).
    pub fn new(ctx: &egui::Context, click_through: bool) -> Result<Tray, String> {
        let show = MenuItem::with_id(ID_SHOW, "Hide overlay", true, None);
        let click = CheckMenuItem::with_id(ID_CLICK, "Click-through", true, click_through, None);
        let settings = MenuItem::with_id(ID_SETTINGS, "Settings…", true, None);
        let quit = MenuItem::with_id(ID_QUIT, "Quit", true, None);
        let menu = Menu::new();
        menu.append_items(&[
            &show,
            &click,
            &settings,
            &PredefinedMenuItem::separator(),
            &quit,
        ])
        .map_err(|e| format!("tray menu: {e}"))?;

        let (tx, rx) = mpsc::channel();
        let menu_tx = tx.clone();
        let menu_ctx = ctx.clone();
        MenuEvent::set_event_handler(Some(move |e: MenuEvent| {
            let cmd = match e.id.as_ref() {
                ID_SHOW => TrayCommand::ToggleShow,
                ID_CLICK => TrayCommand::ToggleClickThrough,
                ID_SETTINGS => TrayCommand::Settings,
                ID_QUIT => TrayCommand::Quit,
                _ => return,
            };
            let _ = menu_tx.send(cmd);
            menu_ctx.request_repaint();
        }));
        // A left click on the icon shows the overlay with its settings: the quickest way out of click-through.
        let icon_ctx = ctx.clone();
        TrayIconEvent::set_event_handler(Some(move |e: TrayIconEvent| {
            if let TrayIconEvent::Click {
                button: tray_icon::MouseButton::Left,
                button_state: tray_icon::MouseButtonState::Up,
                ..
            } = e
            {
                let _ = tx.send(TrayCommand::Settings);
                icon_ctx.request_repaint();
            }
        }));

        let mut builder = TrayIconBuilder::new()
            .with_menu(Box::new(menu))
            .with_tooltip(super::window::TITLE)
            .with_title(super::window::TITLE)
            .with_menu_on_left_click(false);
        if let Some(icon) = super::window::icon()
            && let Ok(i) = tray_icon::Icon::from_rgba(icon.rgba, icon.width, icon.height)
        {
            builder = builder.with_icon(i);
        }
        let icon = builder.build().map_err(|e| e.to_string())?;
        Ok(Tray {
            _icon: icon,
            show,
            click_through: click,
            rx,
            shown: (true, click_through),
        })
    }

    pub fn try_recv(&self) -> Option<TrayCommand> {
        self.rx.try_recv().ok()
    }

    /// Keeps the menu's labels in step with the app (changes may come from the settings window).
    pub fn sync(&mut self, visible: bool, click_through: bool) {
        if self.shown == (visible, click_through) {
            return;
        }
        self.shown = (visible, click_through);
        self.show.set_text(if visible {
            "Hide overlay"
        } else {
            "Show overlay"
        });
        self.click_through.set_checked(click_through);
    }
}

impl Drop for Tray {
    fn drop(&mut self) {
        // The handlers hold the egui context; drop them with the tray.
        MenuEvent::set_event_handler(None::<fn(MenuEvent)>);
        TrayIconEvent::set_event_handler(None::<fn(TrayIconEvent)>);
    }
}
