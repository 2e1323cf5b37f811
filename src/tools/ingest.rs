//! Reading a recording fast: lines are parsed on every core while the caller consumes the previous batch in order.
//!
//! `summary` and `replay` spend most of their time in `protocol::parse_line`, which needs nothing but the line, so
//! batches of lines are parsed by one thread per core while the calling thread reads the next batch and hands the
//! previous one, in file order, to the caller (who applies it to a model, or sends it on). Lines are capped like the
//! receiver's (`export::lines::read_line`): a file without newlines costs the cap, not its size.

use super::export::lines::{Line, read_line};
use crate::protocol::{self, ParseError, Parsed};
use std::io::{self, BufRead};

/// Lines a batch holds at most, and the bytes at which it is cut earlier: enough to keep every core busy between
/// hand-overs, little enough that two batches in flight stay a few tens of megabytes.
const BATCH_LINES: usize = 1024;
const BATCH_BYTES: usize = 16 << 20;

/// One line of the file, in order.
pub struct Item {
    /// 1-based line number in the file.
    pub number: u64,
    /// The line without its terminator (empty for an over-long line).
    pub line: Vec<u8>,
    pub kind: ItemKind,
}

// Nearly every line is `Parsed`, so boxing it would add an allocation per line and save nothing.
#[allow(clippy::large_enum_variant)]
pub enum ItemKind {
    /// Only whitespace.
    Blank,
    /// Over the line cap: this many bytes, skipped.
    TooLong(usize),
    Parsed(Result<Parsed, ParseError>),
}

/// Threads that parse: every core the process may use.
pub fn parse_threads() -> usize {
    std::thread::available_parallelism().map_or(1, |n| n.get())
}

/// Calls `f` with every line of `reader`, in order, parsed. Stops at the end of the input, at a read error, or when
/// `f` returns `false`.
pub fn for_each(
    mut reader: impl BufRead,
    threads: usize,
    mut f: impl FnMut(Item) -> bool,
) -> io::Result<()> {
    let threads = threads.max(1);
    std::thread::scope(|s| {
        let mut number = 0u64;
        let mut parsing: Option<std::thread::ScopedJoinHandle<'_, Vec<Item>>> = None;
        loop {
            let batch = read_batch(&mut reader, &mut number)?;
            let done = batch.is_empty();
            let next = (!done).then(|| s.spawn(move || parse_batch(batch, threads)));
            if let Some(prev) = parsing.take() {
                let items = prev
                    .join()
                    .map_err(|_| io::Error::other("a parsing thread panicked"))?;
                for item in items {
                    if !f(item) {
                        // Let the batch being parsed finish (the scope waits for it) and stop.
                        return Ok(());
                    }
                }
            }
            parsing = next;
            if done {
                return Ok(());
            }
        }
    })
}

fn read_batch(reader: &mut impl BufRead, number: &mut u64) -> io::Result<Vec<Item>> {
    let mut items = Vec::new();
    let mut bytes = 0;
    let mut buf = Vec::new();
    while items.len() < BATCH_LINES && bytes < BATCH_BYTES {
        let Some(read) = read_line(reader, &mut buf, protocol::MAX_LINE_BYTES)? else {
            break;
        };
        *number += 1;
        let kind = match read {
            Line::TooLong(n) => ItemKind::TooLong(n),
            // Parsed by a worker; blank lines are found there too.
            Line::Ok => ItemKind::Blank,
        };
        bytes += buf.len();
        let line = std::mem::replace(&mut buf, Vec::with_capacity(4096));
        items.push(Item {
            number: *number,
            line,
            kind,
        });
    }
    Ok(items)
}

/// Parses a batch on `threads` threads, each a contiguous share, in place.
fn parse_batch(mut items: Vec<Item>, threads: usize) -> Vec<Item> {
    let share = items.len().div_ceil(threads).max(1);
    std::thread::scope(|s| {
        let mut chunks = items.chunks_mut(share);
        // This thread takes the first share itself.
        let first = chunks.next();
        for chunk in chunks {
            s.spawn(move || chunk.iter_mut().for_each(parse_item));
        }
        if let Some(c) = first {
            c.iter_mut().for_each(parse_item);
        }
    });
    items
}

fn parse_item(item: &mut Item) {
    if matches!(item.kind, ItemKind::TooLong(_)) {
        return;
    }
    if item.line.last() == Some(&b'\r') {
        item.line.pop();
    }
    if !item.line.iter().all(u8::is_ascii_whitespace) {
        item.kind = ItemKind::Parsed(protocol::parse_line(&item.line));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_line_in_order_whatever_the_threads() {
        let hello = std::fs::read_to_string(concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/tests/data/hello.ndjson"
        ))
        .expect("golden hello");
        let mut text = String::new();
        for i in 0..5000 {
            match i % 4 {
                0 => text.push_str(hello.trim_end()),
                1 => text.push_str("  "),
                2 => text.push_str("{not json"),
                _ => text.push_str(&format!(
                    r#"{{"type":"snapshot","schema_version":"1.0","game_frame":{i},"game_seconds":1.0,"is_paused":false,"teams":[]}}"#
                )),
            }
            text.push_str(if i % 7 == 0 { "\r\n" } else { "\n" });
        }
        for threads in [1, 2, 5] {
            let mut seen = Vec::new();
            for_each(text.as_bytes(), threads, |item| {
                let tag = match &item.kind {
                    ItemKind::Blank => 'b',
                    ItemKind::TooLong(_) => 'l',
                    ItemKind::Parsed(Ok(Parsed::Message { msg, .. })) => match msg.game_frame() {
                        Some(f) if f > 0 => 's',
                        _ => 'h',
                    },
                    ItemKind::Parsed(Ok(Parsed::UnknownType(_))) => 'u',
                    ItemKind::Parsed(Err(_)) => 'e',
                };
                seen.push((item.number, tag));
                true
            })
            .expect("read");
            assert_eq!(seen.len(), 5000, "{threads} threads");
            for (i, (n, tag)) in seen.iter().enumerate() {
                assert_eq!(*n, i as u64 + 1);
                let want = ['h', 'b', 'e', 's'][i % 4];
                assert_eq!(*tag, want, "line {n} with {threads} threads");
            }
        }
    }

    #[test]
    fn stops_when_asked() {
        let text = "\n".repeat(10_000);
        let mut n = 0;
        for_each(text.as_bytes(), 2, |_| {
            n += 1;
            n < 3
        })
        .expect("read");
        assert_eq!(n, 3);
    }
}
