//! The report of the last game that finished while the program ran: a [`LineTap`] watches the game's lines beside
//! the hub's model and, when the game ends (`game_over`, or the sender's `bye`), makes its page on a thread of its
//! own. `serve` answers `/report` with it and the window offers it once a game is over.

use super::collect::Collector;
use super::page::{Page, Source, render};
use crate::model::{Feed, LineTap};
use crate::protocol::{EventKind, Message};
use crate::receiver::ReceiverEvent;
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::{Duration, Instant};

/// Finished pages kept: the last, and the one before it while a stream delay still hides the last one's end.
const KEPT: usize = 2;

/// A finished game's page and when its game ended (wall clock).
#[derive(Clone)]
pub struct Finished {
    pub html: Arc<str>,
    pub ended: Instant,
    pub title: String,
}

/// The last finished games' pages; cheap to clone, shared by the tap and its readers.
#[derive(Clone, Default)]
pub struct LastReport {
    pages: Arc<Mutex<Vec<Finished>>>,
}

impl std::fmt::Debug for LastReport {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "LastReport({} pages)", lock(&self.pages).len())
    }
}

fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    m.lock().unwrap_or_else(std::sync::PoisonError::into_inner)
}

impl LastReport {
    pub fn new() -> LastReport {
        LastReport::default()
    }

    fn push(&self, page: Finished) {
        let mut pages = lock(&self.pages);
        pages.push(page);
        let extra = pages.len().saturating_sub(KEPT);
        pages.drain(..extra);
    }

    /// The newest page whose game ended at least `delay` ago: with a stream delay, a game's result is not given away
    /// before the delayed stream shows its end.
    pub fn shown(&self, delay: Duration, now: Instant) -> Option<Finished> {
        lock(&self.pages)
            .iter()
            .rev()
            .find(|p| p.ended + delay <= now)
            .cloned()
    }
}

/// Watches the game's connection (the same one the hub's feed follows) and reports each game that ends.
pub struct ReportTap {
    state: Mutex<Watching>,
    last: LastReport,
}

struct Watching {
    feed: Feed,
    notes: Collector,
    /// The game's page was made: lines until the next hello belong to no game worth a page.
    done: bool,
}

impl ReportTap {
    pub fn new(last: LastReport) -> ReportTap {
        ReportTap {
            state: Mutex::new(Watching {
                feed: Feed::new(),
                notes: Collector::new(),
                done: false,
            }),
            last,
        }
    }
}

impl LineTap for ReportTap {
    fn event(&self, ev: &ReceiverEvent) {
        let mut w = lock(&self.state);
        let w = &mut *w;
        let ReceiverEvent::Message {
            conn,
            msg,
            bytes,
            unknown_fields,
            ..
        } = ev
        else {
            w.feed.handle(ev.clone());
            return;
        };
        if !w.feed.accepts(*conn) {
            return;
        }
        if matches!(**msg, Message::Hello(_)) {
            w.done = false;
        }
        if w.done {
            return;
        }
        if w.feed.game().starts_new_game(msg) {
            // The game so far did not finish: no page for it.
            w.notes = Collector::new();
        }
        w.notes.before(w.feed.game(), msg);
        let ends = matches!(
            &**msg,
            Message::Bye(_)
                | Message::Event(crate::protocol::Event {
                    kind: EventKind::GameOver { .. },
                    ..
                })
        );
        // The line's raw bytes (kept for the relay) are no use here.
        w.feed.handle(ReceiverEvent::Message {
            conn: *conn,
            msg: msg.clone(),
            bytes: *bytes,
            unknown_fields: *unknown_fields,
            raw: None,
        });
        w.notes.after(w.feed.game());
        if ends && w.feed.game().snapshots > 0 {
            w.done = true;
            let game = w.feed.game().clone();
            let mut notes = std::mem::take(&mut w.notes);
            let last = self.last.clone();
            let ended = Instant::now();
            // A page of a long game takes tens of milliseconds to write: not on the receiver's thread.
            let spawned = std::thread::Builder::new()
                .name("report".into())
                .spawn(move || {
                    let source = Source {
                        name: "the live game".into(),
                        game: 1,
                        last: true,
                    };
                    let Page { html, entry } = render(&game, &mut notes, &source);
                    last.push(Finished {
                        html: Arc::from(html),
                        ended,
                        title: entry.title,
                    });
                });
            if let Err(e) = spawned {
                tracing::warn!("cannot make the game's report: {e}");
            }
        }
    }
}
