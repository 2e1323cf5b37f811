//! The feed follows one connection at a time, and a second connection takes over only when the first is gone.

use crate::common;

use bar_overlay::model::Feed;
use bar_overlay::protocol::Message;
use bar_overlay::receiver::ReceiverEvent;
use common::golden;

fn msg(conn: u64, m: Message) -> ReceiverEvent {
    ReceiverEvent::Message {
        conn,
        msg: Box::new(m),
        bytes: 100,
        unknown_fields: 0,
        raw: None,
    }
}

fn connect(conn: u64) -> ReceiverEvent {
    ReceiverEvent::Connected {
        conn,
        peer: format!("127.0.0.1:{}", 40000 + conn).parse().expect("addr"),
    }
}

#[test]
fn one_source_at_a_time_and_takeover_with_the_stored_hello() {
    let hello = golden("hello.ndjson").remove(0);
    let full = golden("snapshot_full.ndjson").remove(0);
    let mut delta = golden("snapshot_delta.ndjson").remove(0);
    let mut feed = Feed::new();
    feed.handle(connect(1));
    feed.handle(connect(2));
    feed.handle(msg(1, hello.clone()));
    feed.handle(msg(2, hello.clone()));
    feed.handle(msg(1, full.clone()));
    feed.handle(msg(2, full));
    assert_eq!(feed.source(), Some(1));
    assert_eq!(feed.stats().ignored, 2);
    feed.handle(ReceiverEvent::Disconnected {
        conn: 1,
        reason: Some("reset".into()),
    });
    assert_eq!(feed.source(), None);
    assert_eq!(feed.connections(), 1);
    // Connection 2 takes over with a delta: its stored hello describes the game, the units are marked stale.
    if let Message::Snapshot(s) = &mut delta {
        s.seq = Some(5);
    }
    feed.handle(msg(2, delta));
    assert_eq!(feed.source(), Some(2));
    assert!(feed.game().units_stale);
    assert_eq!(feed.game().teams.len(), 4);
    assert_eq!(
        feed.stats().new_games,
        0,
        "same game, same map: history is kept"
    );
    feed.handle(ReceiverEvent::BadLine {
        conn: 2,
        line: 9,
        error: "not a JSON object: x".into(),
        bytes: 3,
    });
    assert_eq!(
        feed.last_error(),
        Some("127.0.0.1:40002 line 9: not a JSON object: x")
    );
}
