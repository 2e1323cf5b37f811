//! The stream delay: the shown game lags the live one, ends equal to it (reduced messages lose nothing the panels
//! show), changing the delay mid-game loses nothing, and its queue stays small.

use bar_overlay::model::{DelayLine, Feed, Game, Hub};
use bar_overlay::receiver::ReceiverEvent;
use std::time::{Duration, Instant};

/// Everything a panel or page shows of a game.
fn assert_shows_the_same(a: &Game, b: &Game) {
    assert_eq!(a.frame, b.frame, "frame");
    assert_eq!(a.seconds, b.seconds, "seconds");
    assert_eq!(a.units.len(), b.units.len(), "unit count");
    assert_eq!(a.teams.len(), b.teams.len(), "teams");
    for (id, ta) in &a.teams {
        let tb = &b.teams[id];
        assert_eq!(ta.name, tb.name, "team {id} name");
        assert_eq!(ta.metal, tb.metal, "team {id} metal");
        assert_eq!(ta.energy, tb.energy, "team {id} energy");
        assert_eq!(ta.army, tb.army, "team {id} composition");
        assert_eq!(ta.stats, tb.stats, "team {id} built, lost, peaks");
        assert_eq!(
            ta.series.army_value.points(),
            tb.series.army_value.points(),
            "team {id} army value series"
        );
        assert_eq!(
            ta.series.metal_income.points(),
            tb.series.metal_income.points(),
            "team {id} metal income series"
        );
    }
    assert_eq!(a.over, b.over, "game over");
}

fn events(seconds: f64) -> Vec<ReceiverEvent> {
    let mut out = Vec::new();
    bar_overlay::ui::demo::play(8, 800, seconds, 3, |e| out.push(e));
    out
}

#[test]
fn the_shown_game_lags_then_matches_the_live_one() {
    let evs = events(300.0);
    let mut feed = Feed::new();
    feed.set_delay(Duration::from_secs(120), Instant::now());
    let start = Instant::now();
    for e in evs {
        feed.handle(e);
    }
    feed.advance(start);
    assert!(
        feed.shown().teams.is_empty() && feed.shown().seconds == 0.0,
        "nothing is shown before it is due"
    );
    assert!(feed.game().seconds >= 299.0, "the live game went on");
    assert!(
        feed.next_due()
            .is_some_and(|d| d >= start + Duration::from_secs(119))
    );
    let line = feed.delay_line().expect("delay line");
    let per_message = line.queued_bytes() / line.queued().max(1);
    println!(
        "queued {} messages, {} KB, {} B each",
        line.queued(),
        line.queued_bytes() >> 10,
        per_message
    );
    assert!(
        per_message < 16 * 1024,
        "a reduced message of an 8-team, 800-unit game is small: {per_message} B"
    );
    feed.advance(Instant::now() + Duration::from_secs(121));
    assert_eq!(feed.next_due(), None);
    assert_shows_the_same(feed.game(), feed.shown());
}

#[test]
fn changing_the_delay_mid_game_loses_nothing() {
    let evs = events(400.0);
    let (first, rest) = evs.split_at(evs.len() / 3);
    let (second, third) = rest.split_at(rest.len() / 2);
    let mut feed = Feed::new();
    for e in first.iter().cloned() {
        feed.handle(e);
    }
    let t0 = Instant::now();
    feed.set_delay(Duration::from_secs(60), t0);
    let frozen = feed.shown().seconds;
    assert_eq!(
        frozen,
        feed.game().seconds,
        "the shown game starts where the live one is"
    );
    for e in second.iter().cloned() {
        feed.handle(e);
    }
    feed.advance(t0 + Duration::from_secs(30));
    assert_eq!(
        feed.shown().seconds,
        frozen,
        "a longer delay holds the shown game still"
    );
    // Shorter: what became due is shown at once, and nothing in between is skipped.
    feed.set_delay(
        Duration::from_secs(5),
        Instant::now() + Duration::from_secs(6),
    );
    assert!(feed.shown().seconds > frozen);
    for e in third.iter().cloned() {
        feed.handle(e);
    }
    feed.set_delay(Duration::from_secs(600), Instant::now());
    feed.advance(Instant::now() + Duration::from_secs(601));
    assert_shows_the_same(feed.game(), feed.shown());
    // Back to live: the live game is shown.
    feed.set_delay(Duration::ZERO, Instant::now());
    assert_eq!(feed.delay(), Duration::ZERO);
    assert!(std::ptr::eq(feed.shown(), feed.game()));
}

#[test]
fn the_hub_applies_delayed_messages_when_they_fall_due() {
    let hub = Hub::new();
    hub.set_delay(Duration::from_millis(300));
    let changes = hub.changes();
    for e in events(120.0) {
        hub.handle(e);
    }
    assert!(hub.feed().shown().teams.is_empty());
    std::thread::sleep(Duration::from_millis(350));
    hub.feed().advance(Instant::now());
    let feed = hub.feed();
    assert_shows_the_same(feed.game(), feed.shown());
    assert!(changes.has_changed().unwrap_or(false));
}

/// Past its memory cap the queue shows its oldest messages early (counted) instead of growing, and loses nothing: once
/// everything is shown, the shown game equals the live one.
#[test]
fn past_its_memory_cap_the_oldest_is_shown_early_and_nothing_is_lost() {
    let mut live = Game::new();
    let cap = 256 << 10;
    let mut line = DelayLine::with_cap(&live, Duration::from_secs(600), cap);
    let at = Instant::now();
    for e in events(300.0) {
        if let ReceiverEvent::Message { msg, .. } = e {
            line.push(at, &msg, &live);
            live.apply(*msg);
            assert!(line.queued_bytes() <= cap || line.queued() == 1);
        }
    }
    assert!(line.early() > 0, "the cap was reached");
    assert!(
        line.shown().seconds > 0.0 && line.shown().seconds < live.seconds,
        "the oldest were shown early, the newest still held: {} of {}",
        line.shown().seconds,
        live.seconds
    );
    line.flush();
    assert_shows_the_same(&live, line.shown());
}
