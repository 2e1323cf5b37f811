//! Messages parsed and applied per second at 500, 2000 and 5000 units, beside a plain `serde_json::Value` parse of
//! the same lines. Goal: the full pipeline at 5000 units keeps up with 30 messages a second using under 5% of a core.
//!
//! `cargo bench --bench pipeline` prints a markdown table.

use bar_overlay::model::{Feed, Game};
use bar_overlay::protocol::{self, Detail, Parsed};
use bar_overlay::receiver::{Receiver, ReceiverConfig, ReceiverEvent};
use bar_overlay::senders::simulate::{Encoder, World};
use std::hint::black_box;
use std::io::Write;
use std::time::{Duration, Instant};

/// 10 s of game at 30 snapshots a second, as `simulate` streams it.
struct Lines {
    hello: String,
    full: String,
    deltas: Vec<String>,
    units: usize,
}

fn lines(units: u32) -> Lines {
    // Aim past the target: fights keep armies below the size they are built towards.
    let mut world = World::new(42, 16, units * 3 / 2, 900.0);
    while world.unit_count() < units as usize && world.seconds() < 1800.0 {
        world.step();
    }
    let mut enc = Encoder::new(Detail::Standard, 30.0, 42);
    let text = |m| {
        String::from_utf8(protocol::encode_line(&m))
            .expect("utf8")
            .trim_end()
            .to_owned()
    };
    let hello = text(enc.hello(&world));
    world.step();
    let full = text(enc.snapshot(&mut world));
    let mut deltas = Vec::new();
    while deltas.len() < 300 {
        world.step();
        if world.frame.is_multiple_of(300) {
            continue; // keep the periodic full snapshots out of the delta stream; they are measured on their own
        }
        deltas.push(text(enc.snapshot(&mut world)));
    }
    Lines {
        hello,
        full,
        deltas,
        units: world.unit_count(),
    }
}

/// Mean time per line over enough repetitions to take about `budget`.
fn time_per_line(lines: &[String], budget: Duration, mut f: impl FnMut(&str)) -> Duration {
    let start = Instant::now();
    let mut n = 0u32;
    while start.elapsed() < budget || n == 0 {
        for l in lines {
            f(l);
        }
        n += 1;
    }
    start.elapsed() / (n * lines.len() as u32)
}

fn value_parse(l: &str) {
    black_box(serde_json::from_str::<serde_json::Value>(l).expect("json"));
}

fn parse(l: &str) {
    black_box(protocol::parse_line(l.as_bytes()).expect("valid"));
}

fn message(l: &str) -> protocol::Message {
    match protocol::parse_line(l.as_bytes()) {
        Ok(Parsed::Message { msg, .. }) => msg,
        other => panic!("{other:?}"),
    }
}

/// Parse and apply every line to a model that already holds the game, restarted at each pass.
fn pipeline(lines: &Lines, stream: &[String], budget: Duration) -> Duration {
    let mut base = Game::new();
    base.apply(message(&lines.hello));
    base.apply(message(&lines.full));
    let mut applying = Duration::ZERO;
    let mut n = 0u32;
    while applying < budget || n == 0 {
        // Each pass starts from the same state; only the applying is timed, not the clone.
        let mut g = base.clone();
        let t = Instant::now();
        for l in stream {
            g.apply(message(l));
        }
        applying += t.elapsed();
        n += 1;
        black_box(&g);
    }
    applying / (n * stream.len() as u32)
}

/// Lines through a real socket, the receiver thread and the feed: end-to-end messages per second.
fn over_tcp(lines: &Lines) -> f64 {
    let (receiver, mut rx) = Receiver::start(
        ReceiverConfig::new("127.0.0.1:0".parse().expect("addr")),
        || {},
    )
    .expect("receiver");
    let addr = receiver.local_addr();
    let mut payload = Vec::new();
    for l in std::iter::once(&lines.hello).chain(std::iter::once(&lines.full)) {
        payload.extend_from_slice(l.as_bytes());
        payload.push(b'\n');
    }
    let reps = 5;
    for _ in 0..reps {
        for l in &lines.deltas {
            payload.extend_from_slice(l.as_bytes());
            payload.push(b'\n');
        }
    }
    let total = 2 + reps * lines.deltas.len();
    let writer = std::thread::spawn(move || {
        let mut s = std::net::TcpStream::connect(addr).expect("connect");
        s.write_all(&payload).expect("write");
    });
    let mut feed = Feed::new();
    let mut got = 0;
    let mut start = None;
    while got < total {
        let ev = rx.blocking_recv().expect("receiver alive");
        if let ReceiverEvent::Message { .. } = ev {
            start.get_or_insert_with(Instant::now);
            got += 1;
        }
        feed.handle(ev);
    }
    let elapsed = start.map(|s| s.elapsed()).unwrap_or_default();
    writer.join().expect("writer");
    (total - 1) as f64 / elapsed.as_secs_f64()
}

fn main() {
    let budget = Duration::from_millis(if std::env::var_os("QUICK").is_some() {
        100
    } else {
        1500
    });
    println!(
        "| units | stream | bytes/msg | serde_json::Value | protocol::parse_line | parse + apply | msgs/s (parse + apply) | CPU at 30 msg/s | over TCP msgs/s |"
    );
    println!("|---:|---|---:|---:|---:|---:|---:|---:|---:|");
    for units in [500, 2000, 5000] {
        let l = lines(units);
        for (name, stream) in [("delta", l.deltas.clone()), ("full", vec![l.full.clone()])] {
            let bytes = stream.iter().map(String::len).sum::<usize>() / stream.len();
            let v = time_per_line(&stream, budget, value_parse);
            let p = time_per_line(&stream, budget, parse);
            let a = pipeline(&l, &stream, budget);
            let tcp = if name == "delta" {
                format!("{:.0}", over_tcp(&l))
            } else {
                "-".into()
            };
            println!(
                "| {} | {name} | {bytes} | {:.1} µs | {:.1} µs | {:.1} µs | {:.0} | {:.2} % | {tcp} |",
                l.units,
                v.as_secs_f64() * 1e6,
                p.as_secs_f64() * 1e6,
                a.as_secs_f64() * 1e6,
                1.0 / a.as_secs_f64(),
                a.as_secs_f64() * 30.0 * 100.0,
            );
        }
    }
}
