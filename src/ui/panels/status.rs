//! Status: is the game there (waiting / live / stale), its clock, paused, what the sender can see, and the widget's
//! own health. The first thing a streamer checks when a number looks wrong.

use crate::model::Feed;
use crate::ui::theme;
use egui::{Color32, RichText};
use std::net::SocketAddr;
use std::time::{Duration, Instant};

/// Where the data stands, from the overlay's side.
#[derive(Debug, Clone, PartialEq)]
pub enum Link {
    /// The listener could not start (the reason is one user-facing line).
    NotListening(String),
    /// Listening; no game has connected yet, or the last one left.
    Waiting {
        addr: Option<SocketAddr>,
        had_game: bool,
    },
    /// A connected game that sent something recently.
    Live,
    /// A connected game that went quiet (game hung, alt-tabbed loading, widget throttled hard).
    Stale { quiet: Duration },
}

/// What the status shows, decided from the feed and the clock. Also says when it would next change on its own
/// (live turning stale), so the app can schedule exactly one repaint instead of polling.
pub fn link(
    feed: &Feed,
    listen: Result<Option<SocketAddr>, &str>,
    now: Instant,
    stale_after: Duration,
) -> (Link, Option<Instant>) {
    let addr = match listen {
        Err(e) => return (Link::NotListening(e.to_owned()), None),
        Ok(a) => a,
    };
    match (feed.source(), feed.last_message()) {
        (Some(_), Some(last)) => {
            let quiet = now.saturating_duration_since(last);
            if quiet >= stale_after {
                (Link::Stale { quiet }, None)
            } else {
                (Link::Live, Some(last + stale_after))
            }
        }
        _ => (
            Link::Waiting {
                addr,
                had_game: feed.game().info.is_some() || feed.game().snapshots > 0,
            },
            None,
        ),
    }
}

pub fn show(ui: &mut egui::Ui, feed: &Feed, link: &Link) {
    let game = feed.shown();
    ui.horizontal_wrapped(|ui| {
        let (text, color) = match link {
            Link::NotListening(_) => ("NOT LISTENING".to_owned(), theme::BAD),
            Link::Waiting { had_game: true, .. } => ("DISCONNECTED".to_owned(), theme::WARN),
            Link::Waiting { .. } => ("WAITING FOR GAME".to_owned(), theme::DIM),
            Link::Live => ("LIVE".to_owned(), theme::GOOD),
            Link::Stale { quiet } => (format!("STALE {}s", quiet.as_secs()), theme::WARN),
        };
        dot(ui, color);
        ui.label(RichText::new(text).color(color).strong());
        if game.started || game.snapshots > 0 {
            ui.label(
                RichText::new(theme::clock(game.seconds))
                    .strong()
                    .monospace(),
            );
        }
        if game.paused {
            ui.label(RichText::new("PAUSED").color(theme::WARN).strong());
        }
        let delay = feed.delay();
        if !delay.is_zero() {
            ui.label(
                RichText::new(format!("DELAYED {}", theme::clock(delay.as_secs_f64())))
                    .color(theme::WARN)
                    .strong(),
            );
        }
        if let Some(over) = &game.over {
            let who = over
                .winners
                .as_ref()
                .map(|w| {
                    let sides: Vec<String> = w.iter().map(|a| format!("side {}", a + 1)).collect();
                    format!(" – {} won", sides.join(", "))
                })
                .unwrap_or_default();
            ui.label(
                RichText::new(format!("GAME OVER{who}"))
                    .color(theme::WARN)
                    .strong(),
            );
        }
    });
    match link {
        Link::NotListening(err) => {
            ui.label(RichText::new(err).color(theme::BAD));
        }
        Link::Waiting { addr: Some(a), .. } => {
            ui.label(
                RichText::new(format!(
                    "Listening on {a}; start BAR with the widget enabled"
                ))
                .color(theme::DIM),
            );
        }
        _ => {}
    }
    if game.view.is_some() || game.info.is_some() {
        ui.horizontal_wrapped(|ui| {
            if let Some(v) = game.view {
                let (text, color) = if game.full_view() {
                    if v.spectating {
                        ("Spectator: full view", theme::GOOD)
                    } else {
                        ("Full view", theme::GOOD)
                    }
                } else {
                    ("Player view: enemy data partial", theme::WARN)
                };
                ui.label(RichText::new(text).color(color));
            }
            if let Some(info) = &game.info
                && !info.map.is_empty()
            {
                ui.label(RichText::new(&info.map).color(theme::DIM));
            }
        });
    }
    let dropped = game
        .widget
        .as_ref()
        .and_then(|w| w.dropped_snapshots)
        .unwrap_or(0);
    let throttled = game
        .widget
        .as_ref()
        .and_then(|w| w.throttled)
        .unwrap_or(false);
    if dropped > 0 || throttled || game.seq_gaps > 0 {
        let mut parts = Vec::new();
        if dropped > 0 {
            parts.push(format!("widget dropped {dropped} snapshots"));
        }
        if game.seq_gaps > 0 {
            parts.push(format!("{} gaps", game.seq_gaps));
        }
        if throttled {
            parts.push("widget throttled".to_owned());
        }
        ui.label(RichText::new(parts.join(" · ")).color(theme::WARN));
    }
    if let Some(msg) = game.widget.as_ref().and_then(|w| w.message.as_deref()) {
        ui.label(RichText::new(msg).color(theme::DIM));
    }
    if let Some(err) = feed.last_error() {
        ui.label(
            RichText::new(format!("last bad line: {err}"))
                .small()
                .color(Color32::from_rgb(200, 140, 140)),
        );
    }
}

/// A status light (painted: the default fonts have no bullet glyph).
fn dot(ui: &mut egui::Ui, color: Color32) {
    let h = ui.text_style_height(&egui::TextStyle::Body);
    let (rect, _) = ui.allocate_exact_size(egui::vec2(h * 0.7, h), egui::Sense::hover());
    ui.painter().circle_filled(rect.center(), h * 0.3, color);
}
