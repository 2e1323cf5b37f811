//! The hub: the one [`Feed`] of a running app, fed by a task on the receiver's runtime, read by everything that shows
//! or serves the game (the window's panels, the web pages, `/api/state`).
//!
//! Receiver events are applied as they arrive, whether or not a window is drawing, so the pages stay live while the
//! window is hidden or minimized. Readers lock the feed for as long as they read it (a frame's panels, one JSON
//! state); the hub locks it per batch of events. Each change bumps a version on a `watch` channel, which is how the
//! web pages learn that there is something new, and calls `wake` (the window's `request_repaint`).
//!
//! Lines also go to [`LineTap`]s (the relay) in the order they arrive, before the feed consumes them. Taps sit above
//! the model on the data path; they are handed in as trait objects, so the model does not know them.

use super::Feed;
use crate::receiver::ReceiverEvent;
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::{Duration, Instant};
use tokio::sync::{Notify, mpsc, watch};

/// Events applied under one lock at most, so a flood (a replay at max speed) never keeps readers out for long.
const BATCH: usize = 256;

/// Something that sees every receiver event before the model does (the relay). Called on the runtime thread with the
/// feed locked: it must not block.
pub trait LineTap: Send + Sync {
    fn event(&self, ev: &ReceiverEvent);
    /// The shown game is delayed (`true`) or live again: a tap that passes the game on holds it back (see
    /// `outputs::relay`).
    fn hold(&self, _held: bool) {}
}

type Wake = Arc<dyn Fn() + Send + Sync>;

struct Inner {
    feed: Mutex<Feed>,
    version: watch::Sender<u64>,
    taps: Mutex<Vec<Arc<dyn LineTap>>>,
    wake: Mutex<Option<Wake>>,
    /// The delay changed: the task recomputes when the next delayed message is due.
    retime: Notify,
}

/// A handle to the shared model; cheap to clone.
#[derive(Clone)]
pub struct Hub {
    inner: Arc<Inner>,
}

impl Default for Hub {
    fn default() -> Self {
        Hub::new()
    }
}

impl Hub {
    /// A hub with an empty feed and no task: events come from [`Hub::attach`] or [`Hub::handle`].
    pub fn new() -> Hub {
        Hub {
            inner: Arc::new(Inner {
                feed: Mutex::new(Feed::new()),
                version: watch::channel(0).0,
                taps: Mutex::new(Vec::new()),
                wake: Mutex::new(None),
                retime: Notify::new(),
            }),
        }
    }

    /// Applies `events` into this hub's feed on `runtime` until the channel closes (the receiver stopped). `wake` runs
    /// after every change. Attaching again (a rebind) keeps the feed: the game goes on across a new listener.
    pub fn attach(
        &self,
        runtime: &tokio::runtime::Handle,
        events: mpsc::Receiver<ReceiverEvent>,
        wake: impl Fn() + Send + Sync + 'static,
    ) {
        *lock(&self.inner.wake) = Some(Arc::new(wake));
        runtime.spawn(run(self.inner.clone(), events));
    }

    /// The taps that see every event from now on (replacing any before).
    pub fn set_taps(&self, taps: Vec<Arc<dyn LineTap>>) {
        let held = !self.feed().delay().is_zero();
        for t in &taps {
            t.hold(held);
        }
        *lock(&self.inner.taps) = taps;
    }

    /// The model, locked. Hold it only while reading: the hub waits for it.
    pub fn feed(&self) -> MutexGuard<'_, Feed> {
        lock(&self.inner.feed)
    }

    /// Bumped after every change to the feed.
    pub fn changes(&self) -> watch::Receiver<u64> {
        self.inner.version.subscribe()
    }

    /// Handles one event now, as the hub's task would (tests, benches, and the window without a listener).
    pub fn handle(&self, ev: ReceiverEvent) {
        tap(&self.inner, &ev);
        self.feed().handle(ev);
        changed(&self.inner);
    }

    /// The broadcast names from now on (window and pages alike).
    pub fn set_names(&self, names: super::Names) {
        self.feed().set_names(names);
        changed(&self.inner);
    }

    /// Shows everything `delay` late from now on (see `Feed::set_delay`); taps are held while it is not zero.
    pub fn set_delay(&self, delay: Duration) {
        self.feed().set_delay(delay, Instant::now());
        for t in lock(&self.inner.taps).iter() {
            t.hold(!delay.is_zero());
        }
        self.inner.retime.notify_one();
        changed(&self.inner);
    }
}

fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    // A panic elsewhere while holding the lock leaves plain data behind; carrying on is safe.
    m.lock().unwrap_or_else(|e| e.into_inner())
}

fn tap(inner: &Inner, ev: &ReceiverEvent) {
    for t in lock(&inner.taps).iter() {
        t.event(ev);
    }
}

fn changed(inner: &Inner) {
    inner.version.send_modify(|v| *v += 1);
    let wake = lock(&inner.wake).clone();
    if let Some(w) = wake {
        w();
    }
}

async fn run(inner: Arc<Inner>, mut events: mpsc::Receiver<ReceiverEvent>) {
    loop {
        let due = lock(&inner.feed).next_due();
        let until_due = async {
            match due {
                Some(at) => tokio::time::sleep_until(at.into()).await,
                None => std::future::pending().await,
            }
        };
        tokio::select! {
            ev = events.recv() => {
                let Some(ev) = ev else { return };
                {
                    let mut feed = lock(&inner.feed);
                    tap(&inner, &ev);
                    feed.handle(ev);
                    for _ in 1..BATCH {
                        match events.try_recv() {
                            Ok(ev) => {
                                tap(&inner, &ev);
                                feed.handle(ev);
                            }
                            Err(_) => break,
                        }
                    }
                    feed.advance(Instant::now());
                }
                changed(&inner);
            }
            _ = until_due => {
                lock(&inner.feed).advance(Instant::now());
                changed(&inner);
            }
            _ = inner.retime.notified() => {}
        }
    }
}
