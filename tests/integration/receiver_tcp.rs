//! The receiver over real TCP on 127.0.0.1 with ephemeral ports: good lines, bad lines, a line over the cap, invalid
//! UTF-8, a peer that vanishes mid-line, two clients at once, and a port in use.

use crate::common;

use bar_overlay::model::Feed;
use bar_overlay::protocol::{MAX_LINE_BYTES, Message};
use bar_overlay::receiver::{Receiver, ReceiverConfig, ReceiverEvent, StartError};
use common::{data, events_until, next_event};
use std::io::Write;
use std::net::TcpStream;

fn start(max_line: Option<usize>) -> (Receiver, tokio::sync::mpsc::Receiver<ReceiverEvent>) {
    let mut cfg = ReceiverConfig::new("127.0.0.1:0".parse().expect("addr"));
    if let Some(m) = max_line {
        cfg.max_line = m;
    }
    Receiver::start(cfg, || {}).expect("receiver starts on an ephemeral port")
}

fn kinds(evs: &[ReceiverEvent]) -> Vec<String> {
    evs.iter()
        .map(|e| match e {
            ReceiverEvent::Connected { .. } => "connected".into(),
            ReceiverEvent::Disconnected { reason: None, .. } => "closed".into(),
            ReceiverEvent::Disconnected {
                reason: Some(r), ..
            } => format!("lost: {r}"),
            ReceiverEvent::Message { msg, .. } => msg.kind().into(),
            ReceiverEvent::UnknownType { kind, .. } => format!("unknown {kind}"),
            ReceiverEvent::BadLine { line, error, .. } => format!("bad {line}: {error}"),
        })
        .collect()
}

fn until_disconnect(rx: &mut tokio::sync::mpsc::Receiver<ReceiverEvent>) -> Vec<String> {
    kinds(&events_until(rx, 10, |e| {
        matches!(e.last(), Some(ReceiverEvent::Disconnected { .. }))
    }))
}

#[test]
fn garbage_is_reported_and_the_stream_carries_on() {
    let (rx_handle, mut rx) = start(None);
    let mut s = TcpStream::connect(rx_handle.local_addr()).expect("connect");
    let bye = data("bye.ndjson");
    let mut bytes = Vec::new();
    bytes.extend_from_slice(b"this is not json\n");
    bytes.extend_from_slice(bye.trim_end().as_bytes());
    bytes.extend_from_slice(b"\r\n\n   \n");
    bytes.extend_from_slice(
        b"{\"type\":\"bye\",\"schema_version\":\"1.0\",\"reason\":\"\xc3\x28\"}\n",
    );
    bytes.extend_from_slice(b"{\"type\":\"chat\",\"schema_version\":\"1.0\"}\n");
    bytes.extend_from_slice(bye.as_bytes());
    s.write_all(&bytes).expect("write");
    drop(s);
    let got = until_disconnect(&mut rx);
    assert_eq!(got.len(), 7, "{got:#?}");
    assert_eq!(got[0], "connected");
    assert!(got[1].starts_with("bad 1: not a JSON object"), "{}", got[1]);
    assert_eq!(got[2], "bye");
    assert!(got[3].starts_with("bad 5: not valid UTF-8"), "{}", got[3]);
    assert_eq!(got[4], "unknown chat");
    assert_eq!(got[5], "bye");
    assert_eq!(got[6], "closed");
}

#[test]
fn a_line_over_the_default_cap_is_skipped_without_losing_the_next() {
    let (rx_handle, mut rx) = start(None);
    let addr = rx_handle.local_addr();
    let writer = std::thread::spawn(move || {
        let mut s = TcpStream::connect(addr).expect("connect");
        let mut huge = vec![b'x'; MAX_LINE_BYTES + 10];
        huge.push(b'\n');
        s.write_all(&huge).expect("write huge");
        s.write_all(data("bye.ndjson").as_bytes())
            .expect("write bye");
    });
    let got = until_disconnect(&mut rx);
    writer.join().expect("writer");
    assert_eq!(got.len(), 4, "{got:#?}");
    assert!(
        got[1].contains("longer than the 8388608-byte cap"),
        "{}",
        got[1]
    );
    assert_eq!(got[2], "bye");
}

#[test]
fn a_peer_that_vanishes_mid_line_loses_only_that_line() {
    let (rx_handle, mut rx) = start(Some(4096));
    let mut s = TcpStream::connect(rx_handle.local_addr()).expect("connect");
    s.write_all(data("bye.ndjson").as_bytes()).expect("write");
    s.write_all(br#"{"type":"snapshot","schema_version":"1.0","game_fr"#)
        .expect("write");
    drop(s);
    let got = until_disconnect(&mut rx);
    assert_eq!(got[1], "bye");
    assert!(
        got[2].contains("closed in the middle of a line (50 bytes dropped)"),
        "{}",
        got[2]
    );
    assert_eq!(got[3], "lost: closed mid-line");
}

#[test]
fn the_proposal_example_arrives_as_a_snapshot() {
    let (rx_handle, mut rx) = start(None);
    let mut s = TcpStream::connect(rx_handle.local_addr()).expect("connect");
    let compact: serde_json::Value =
        serde_json::from_str(&data("proposal_example.json")).expect("json");
    writeln!(s, "{compact}").expect("write");
    drop(s);
    let evs = events_until(&mut rx, 10, |e| {
        matches!(e.last(), Some(ReceiverEvent::Disconnected { .. }))
    });
    let mut feed = Feed::new();
    for e in evs {
        feed.handle(e);
    }
    assert_eq!(feed.game().frame, 9000);
    assert_eq!(feed.game().units[&42].def_id, Some(15));
    assert_eq!(feed.stats().bad_lines, 0);
}

#[test]
fn two_clients_at_once_do_not_corrupt_each_other() {
    let (rx_handle, mut rx) = start(None);
    let addr = rx_handle.local_addr();
    let hello = data("hello.ndjson");
    let snapshot = data("snapshot_full.ndjson");
    // Both write byte by byte, interleaved in time, so a shared buffer would mix their lines. Both stay connected
    // until all six messages are in (the barrier's third party is this thread): on a loaded machine one client could
    // otherwise be done and gone before the other said anything, and the second would be followed, not ignored.
    let all_in = std::sync::Arc::new(std::sync::Barrier::new(3));
    let clients: Vec<_> = (0..2)
        .map(|_| {
            let lines = format!("{hello}{snapshot}{snapshot}");
            let all_in = all_in.clone();
            std::thread::spawn(move || {
                let mut s = TcpStream::connect(addr).expect("connect");
                s.set_nodelay(true).expect("nodelay");
                for chunk in lines.as_bytes().chunks(97) {
                    s.write_all(chunk).expect("write");
                    std::thread::sleep(std::time::Duration::from_micros(200));
                }
                all_in.wait();
            })
        })
        .collect();
    let mut released = false;
    let mut disconnected = 0;
    let mut per_conn = std::collections::HashMap::<u64, Vec<String>>::new();
    let mut feed = Feed::new();
    while disconnected < 2 {
        let ev = next_event(&mut rx, 10);
        if let ReceiverEvent::Message { conn, msg, .. } = &ev {
            per_conn
                .entry(*conn)
                .or_default()
                .push(msg.kind().to_owned());
        }
        if let ReceiverEvent::BadLine { error, .. } = &ev {
            panic!("a line was corrupted: {error}");
        }
        disconnected += usize::from(matches!(ev, ReceiverEvent::Disconnected { .. }));
        feed.handle(ev);
        if !released && per_conn.values().map(Vec::len).sum::<usize>() == 6 {
            released = true;
            all_in.wait();
        }
    }
    for c in clients {
        c.join().expect("client");
    }
    assert_eq!(per_conn.len(), 2);
    for kinds in per_conn.values() {
        assert_eq!(kinds, &["hello", "snapshot", "snapshot"]);
    }
    assert_eq!(feed.stats().messages, 6);
    assert!(
        feed.stats().ignored >= 2,
        "the second client is counted, not mixed in"
    );
    assert_eq!(feed.game().units.len(), 12);
}

#[test]
fn a_port_in_use_is_a_clear_error() {
    let (first, _rx) = start(None);
    let err = Receiver::start(ReceiverConfig::new(first.local_addr()), || {})
        .err()
        .expect("second bind fails");
    assert!(matches!(err, StartError::InUse { .. }));
    let text = err.to_string();
    assert!(
        text.contains("already in use") && text.contains(&first.local_addr().to_string()),
        "{text}"
    );
}

#[test]
fn stopping_closes_connections_and_frees_the_port() {
    let (rx_handle, mut rx) = start(None);
    let addr = rx_handle.local_addr();
    let mut s = TcpStream::connect(addr).expect("connect");
    // A connection reaches the model once its peer says something.
    s.write_all(b"\n").expect("write");
    assert!(matches!(
        next_event(&mut rx, 5),
        ReceiverEvent::Connected { .. }
    ));
    rx_handle.stop();
    let (again, _rx2) =
        Receiver::start(ReceiverConfig::new(addr), || {}).expect("port is free again");
    assert_eq!(again.local_addr(), addr);
    let _ = Message::kind; // the Message type is part of the public event API
}
