//! When the window paints. A game streams 30 snapshots a second, but what the panels show changes about once a second
//! (the clock, incomes, the graphs' new point) or when units appear, finish or die; each painted frame costs layout,
//! tessellation and, on a machine without a GPU, the software rasterizer's work. So:
//!
//! - a change of the model asks for a frame only when what the panels show differs from the last frame
//!   ([`signature`]: the numbers as the panels format them, the clock's second, the status);
//! - and no sooner than `1 / max_per_second` after the last frame (the setting `max_repaints_per_second`, default 2);
//! - input (mouse, keyboard, the settings window) repaints at once, as egui does; the status schedules its own
//!   repaints (the moment a live game turns stale, then once a second while the STALE counter runs).
//!
//! The hub calls [`Pacer::changed`] on its runtime thread after each batch; the UI thread calls [`Pacer::painted`] at
//! the start of each frame.

use crate::model::{Feed, Team};
use crate::ui::theme;
use std::hash::{Hash, Hasher};
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::{Duration, Instant};

/// Default and range of the `max_repaints_per_second` setting.
pub const DEFAULT_PER_SECOND: f32 = 2.0;
pub const PER_SECOND_RANGE: std::ops::RangeInclusive<f32> = 0.5..=30.0;

pub struct Pacer {
    ctx: egui::Context,
    state: Mutex<State>,
}

struct State {
    min_interval: Duration,
    last_frame: Option<Instant>,
    /// What the last frame showed.
    shown: u64,
    /// Frames painted, and frames asked for by model changes (for tests and the benchmark).
    frames: u64,
    asked: u64,
}

impl Pacer {
    pub fn new(ctx: &egui::Context, per_second: f32) -> Arc<Pacer> {
        Arc::new(Pacer {
            ctx: ctx.clone(),
            state: Mutex::new(State {
                min_interval: interval(per_second),
                last_frame: None,
                shown: 0,
                frames: 0,
                asked: 0,
            }),
        })
    }

    fn state(&self) -> MutexGuard<'_, State> {
        // Plain numbers: a panic elsewhere cannot leave them inconsistent.
        self.state.lock().unwrap_or_else(|e| e.into_inner())
    }

    pub fn set_rate(&self, per_second: f32) {
        self.state().min_interval = interval(per_second);
    }

    /// The model changed and would now show `signature`: ask for a frame if that differs from the last one, at the
    /// earliest moment the rate allows. Cheap; called from any thread.
    pub fn changed(&self, signature: u64) {
        let delay = {
            let mut s = self.state();
            if signature == s.shown {
                return;
            }
            s.asked += 1;
            let now = Instant::now();
            s.last_frame.map_or(Duration::ZERO, |t| {
                (t + s.min_interval).saturating_duration_since(now)
            })
        };
        // egui keeps the earliest of the requested times, so requests between two frames merge into one.
        self.ctx.request_repaint_after(delay);
    }

    /// A frame is being painted, showing `signature`.
    pub fn painted(&self, signature: u64) {
        let mut s = self.state();
        s.last_frame = Some(Instant::now());
        s.shown = signature;
        s.frames += 1;
    }

    /// Frames painted so far, and model changes that asked for one.
    pub fn counts(&self) -> (u64, u64) {
        let s = self.state();
        (s.frames, s.asked)
    }
}

fn interval(per_second: f32) -> Duration {
    let rate = if per_second.is_finite() {
        per_second.clamp(*PER_SECOND_RANGE.start(), *PER_SECOND_RANGE.end())
    } else {
        DEFAULT_PER_SECOND
    };
    Duration::from_secs_f32(1.0 / rate)
}

/// What the panels would show from `feed`, as a hash: numbers as the panels format them (a value that changes in a
/// digit the panels do not print changes nothing), the game clock's second, the graphs' sample count, the status.
/// Keep it in step with the panels; what it misses still shows within a game second, when the clock changes.
pub fn signature(feed: &Feed) -> u64 {
    let mut h = std::collections::hash_map::DefaultHasher::new();
    let g = feed.shown();
    (feed.source().is_some(), g.started, g.snapshots > 0).hash(&mut h);
    (g.seconds.floor() as i64, g.paused, feed.delay().as_secs()).hash(&mut h);
    g.over.as_ref().map(|o| o.winners.clone()).hash(&mut h);
    g.view.map(|v| (v.full_view, v.spectating)).hash(&mut h);
    g.info.as_ref().map(|i| &i.map).hash(&mut h);
    g.widget
        .as_ref()
        .map(|w| (w.dropped_snapshots, w.throttled, &w.message))
        .hash(&mut h);
    (g.seq_gaps, feed.last_error()).hash(&mut h);
    feed.shown_new_games().hash(&mut h);
    for t in g.teams.values() {
        team(t, &mut h);
    }
    h.finish()
}

fn team(t: &Team, h: &mut impl Hasher) {
    (t.id, t.ally_team, &t.name, t.color, t.is_dead).hash(h);
    for r in [t.metal, t.energy] {
        r.map(|r| (theme::amount(r.current), theme::income(r.income)))
            .hash(h);
    }
    let a = &t.army;
    for v in [
        a.army_land(),
        a.army_air(),
        a.army_sea(),
        a.defense_value(),
        a.economy_value(),
        a.build_power,
    ] {
        theme::amount(v).hash(h);
    }
    (a.commander_alive, a.by_def.is_empty()).hash(h);
    for d in a.by_def.iter().take(10) {
        (d.def_id, d.count, theme::amount(d.metal)).hash(h);
    }
    t.stats.samples.hash(h);
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::protocol::{Message, Snapshot, Unit};
    use crate::receiver::ReceiverEvent;

    #[test]
    fn a_change_of_what_is_shown_asks_for_a_frame_the_same_picture_none() {
        let ctx = egui::Context::default();
        let p = Pacer::new(&ctx, 2.0);
        p.painted(1);
        p.changed(1);
        assert_eq!(p.counts(), (1, 0), "nothing new to show");
        p.changed(2);
        p.changed(3);
        assert_eq!(p.counts(), (1, 2));
    }

    /// A game a minute in, then one more snapshot made of `edit` on the last one's copy.
    fn after(edit: impl FnOnce(&mut Snapshot, &Feed)) -> (u64, u64) {
        let mut feed = Feed::new();
        let mut last = None;
        crate::ui::demo::play(4, 200, 60.0, 3, |e| {
            if let ReceiverEvent::Message { msg, .. } = &e
                && let Message::Snapshot(s) = msg.as_ref()
            {
                last = Some(s.clone());
            }
            feed.handle(e);
        });
        let before = signature(&feed);
        let mut s = last.expect("snapshots");
        s.units_full = Some(false);
        s.units = Some(Vec::new());
        s.seq = s.seq.map(|q| q + 1);
        edit(&mut s, &feed);
        feed.handle(ReceiverEvent::Message {
            conn: 1,
            msg: Box::new(Message::Snapshot(s)),
            bytes: 0,
            unknown_fields: 0,
            raw: None,
        });
        (before, signature(&feed))
    }

    #[test]
    fn the_signature_follows_what_the_panels_print() {
        let (a, b) = after(|_, _| {});
        assert_eq!(a, b, "the same numbers again");
        let (a, b) = after(|s, feed| {
            // Units moving or being hurt show nowhere.
            let moved: Vec<Unit> = feed
                .game()
                .units
                .values()
                .map(|u| {
                    let mut u = u.clone();
                    if let Some(p) = &mut u.pos {
                        p.x += 100.0;
                    }
                    u
                })
                .collect();
            s.units = Some(moved);
        });
        assert_eq!(a, b, "units moved");
        let (a, b) = after(|s, _| {
            if let Some(m) = &mut s.teams[0].metal {
                m.income += 10.0;
            }
        });
        assert_ne!(a, b, "an income changed");
        let (a, b) = after(|s, _| {
            s.game_frame += 30;
            s.game_seconds += 1.0;
        });
        assert_ne!(a, b, "the clock's second changed");
    }

    #[test]
    fn rates_out_of_range_are_clamped() {
        assert_eq!(interval(0.0), Duration::from_secs(2));
        assert_eq!(interval(f32::NAN), Duration::from_millis(500));
        assert_eq!(interval(1000.0), Duration::from_secs_f32(1.0 / 30.0));
    }
}
