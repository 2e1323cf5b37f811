//! Reading a recording fast: lines are parsed on every core while the caller consumes the previous batch in order.
//!
//! `summary` and `replay` spend most of their time parsing, which needs nothing but the line, so the file is read in
//! large chunks, each chunk's lines are parsed by one thread per core, and meanwhile the calling thread reads the next
//! chunk and hands the previous one's lines, in file order, to the caller (who applies them to a model, or sends them
//! on). Lines are never copied out of their chunk, and chunk buffers are reused: the calling thread's share of the
//! work is the read itself and the caller's own. Lines are capped like the receiver's: a file without newlines costs
//! the cap, not its size.

use crate::protocol::{self, Cut, LineCutter};
use std::io::{self, Read};
use std::ops::Range;

/// Bytes read per batch: enough lines to keep every core busy between hand-overs, few enough that the first and the
/// last batch, parsed while nothing else can be, are short (1 MiB: 4 and 16 were slower).
const CHUNK_BYTES: usize = 1 << 20;

/// One line of the file, in order, with what the caller's parse function made of it.
pub struct Item<'a, T> {
    /// 1-based line number in the file.
    pub number: u64,
    /// The line without its terminator (`\n` or `\r\n`); empty for an over-long line.
    pub line: &'a [u8],
    pub kind: ItemKind<T>,
}

pub enum ItemKind<T> {
    /// Only whitespace.
    Blank,
    /// Over the line cap: this many bytes, skipped.
    TooLong(usize),
    Parsed(T),
}

/// Threads that parse: every core the process may use. With one, the caller's thread parses between reads.
pub fn parse_threads() -> usize {
    std::thread::available_parallelism().map_or(1, |n| n.get())
}

/// Calls `f` with every line of `reader`, in order, parsed by `parse` (on `threads` threads; `parse` gets a line
/// without its terminator, never a blank one). Stops at the end of the input, at a read error, or when `f` returns
/// `false`.
pub fn for_each<T: Send>(
    reader: impl Read,
    threads: usize,
    parse: fn(&[u8]) -> T,
    f: impl FnMut(Item<'_, T>) -> bool,
) -> io::Result<()> {
    for_each_capped(reader, threads, protocol::MAX_LINE_BYTES, parse, f)
}

fn for_each_capped<T: Send>(
    reader: impl Read,
    threads: usize,
    cap: usize,
    parse: fn(&[u8]) -> T,
    mut f: impl FnMut(Item<'_, T>) -> bool,
) -> io::Result<()> {
    let mut lines = Lines::new(reader, cap);
    if threads <= 1 {
        // One thread: the caller's. Another thread would only take turns with it on the same core.
        let mut spare = Vec::new();
        loop {
            let mut batch = lines.next_batch(std::mem::take(&mut spare))?;
            if batch.slots.is_empty() {
                return Ok(());
            }
            for slot in &mut batch.slots {
                parse_slot(slot, &batch.bytes, parse);
            }
            match hand_on_batch(batch, &mut f) {
                Some(bytes) => spare = bytes,
                None => return Ok(()),
            }
        }
    }
    std::thread::scope(|s| {
        let mut parsing: Option<std::thread::ScopedJoinHandle<'_, Batch<T>>> = None;
        let mut spare = Vec::new();
        loop {
            // After a short read (a pipe, a recording still being written) the next read may wait for the writer:
            // the lines already read go on first.
            if lines.waiting
                && let Some(prev) = parsing.take()
            {
                match hand_on(prev, &mut f)? {
                    Some(bytes) => spare = bytes,
                    None => return Ok(()),
                }
            }
            let batch = lines.next_batch(std::mem::take(&mut spare))?;
            let done = batch.slots.is_empty();
            let next = (!done).then(|| s.spawn(move || parse_batch(batch, threads, parse)));
            if let Some(prev) = parsing.take() {
                match hand_on(prev, &mut f)? {
                    Some(bytes) => spare = bytes,
                    // Let the batch being parsed finish (the scope waits for it) and stop.
                    None => return Ok(()),
                }
            }
            parsing = next;
            if done {
                return Ok(());
            }
        }
    })
}

/// Waits for a batch's parse and gives its lines to `f`, in order; its buffer back for reuse, or `None` when `f`
/// asked to stop.
fn hand_on<T>(
    parsing: std::thread::ScopedJoinHandle<'_, Batch<T>>,
    f: &mut impl FnMut(Item<'_, T>) -> bool,
) -> io::Result<Option<Vec<u8>>> {
    let batch = parsing
        .join()
        .map_err(|_| io::Error::other("a parsing thread panicked"))?;
    Ok(hand_on_batch(batch, f))
}

/// Gives a parsed batch's lines to `f`, in order; its buffer back, or `None` when `f` asked to stop.
fn hand_on_batch<T>(batch: Batch<T>, f: &mut impl FnMut(Item<'_, T>) -> bool) -> Option<Vec<u8>> {
    for slot in batch.slots {
        let item = Item {
            number: slot.number,
            line: &batch.bytes[slot.range],
            kind: slot.kind,
        };
        if !f(item) {
            return None;
        }
    }
    Some(batch.bytes)
}

/// A chunk of the file and its lines.
struct Batch<T> {
    bytes: Vec<u8>,
    slots: Vec<Slot<T>>,
}

struct Slot<T> {
    number: u64,
    /// The line in `Batch::bytes`, without its terminator.
    range: Range<usize>,
    kind: ItemKind<T>,
}

/// Cuts a reader into batches of whole lines.
struct Lines<R> {
    reader: R,
    /// Where lines end, and whether they fit the cap (the receiver's rule).
    cutter: LineCutter,
    /// The start of a line the previous chunk ended in (none when that line is over the cap).
    carry: Vec<u8>,
    number: u64,
    eof: bool,
    /// The last read came back short: more may only come when the writer writes.
    waiting: bool,
}

impl<R: Read> Lines<R> {
    fn new(reader: R, cap: usize) -> Self {
        Lines {
            reader,
            cutter: LineCutter::new(cap),
            carry: Vec::new(),
            number: 0,
            eof: false,
            waiting: false,
        }
    }

    /// The next batch, read into `buf` (a spent batch's buffer, reused); no slots at the end of the input.
    fn next_batch<T>(&mut self, mut buf: Vec<u8>) -> io::Result<Batch<T>> {
        let mut slots = Vec::new();
        loop {
            // The buffer keeps its length from batch to batch, so reading into it costs no zeroing (a megabyte a
            // chunk was 3 % of `summary`); `filled` is what this batch holds.
            let start = self.carry.len();
            let want = start + CHUNK_BYTES;
            if buf.len() < want {
                buf.resize(want, 0);
            }
            buf[..start].copy_from_slice(&self.carry);
            self.carry.clear();
            let filled = if self.eof {
                start
            } else {
                self.fill(&mut buf[..want], start)?
            };
            let data = &buf[..filled];
            let mut line_start = 0;
            // The cutter has counted the carried start of a line already.
            let mut from = start;
            let keep = loop {
                match self.cutter.cut(&data[from..]) {
                    Cut::Line { end } => {
                        self.end_line(&mut slots, line_start..from + end, None);
                        from += end + 1;
                        line_start = from;
                    }
                    Cut::TooLong { end, total } => {
                        self.end_line(&mut slots, 0..0, Some(total));
                        from += end + 1;
                        line_start = from;
                    }
                    Cut::More { keep, .. } => break keep,
                }
            };
            if self.eof {
                // The last line of a file that does not end in a newline (a recording cut off mid-write).
                let pending = self.cutter.pending();
                if pending > 0 {
                    let long = (!keep).then_some(pending);
                    self.end_line(&mut slots, line_start..filled, long);
                    self.cutter.reset();
                }
                return Ok(Batch { bytes: buf, slots });
            }
            if keep {
                self.carry.extend_from_slice(&data[line_start..]);
            }
            if !slots.is_empty() {
                return Ok(Batch { bytes: buf, slots });
            }
        }
    }

    /// The next line is `range` of the batch, or `too_long` bytes over the cap (none kept).
    fn end_line<T>(
        &mut self,
        slots: &mut Vec<Slot<T>>,
        range: Range<usize>,
        too_long: Option<usize>,
    ) {
        self.number += 1;
        let (range, kind) = match too_long {
            Some(n) => (0..0, ItemKind::TooLong(n)),
            // Parsed, or found blank, by a worker.
            None => (range, ItemKind::Blank),
        };
        slots.push(Slot {
            number: self.number,
            range,
            kind,
        });
    }

    /// Reads into `buf` after `start`, until it is full, or the input ends, or a read came back short with a whole
    /// line after `start`: a file fills whole chunks, while a pipe or a recording still being written (a short read:
    /// nothing more for now) hands on the lines it has instead of waiting for a full chunk. Returns the bytes filled.
    fn fill(&mut self, buf: &mut [u8], start: usize) -> io::Result<usize> {
        let mut filled = start;
        self.waiting = false;
        while filled < buf.len() {
            let n = match self.reader.read(&mut buf[filled..]) {
                Ok(n) => n,
                Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
                Err(e) => return Err(e),
            };
            let from = filled;
            filled += n;
            if n == 0 {
                self.eof = true;
                break;
            }
            if filled < buf.len() && memchr::memchr(b'\n', &buf[from..filled]).is_some() {
                self.waiting = true;
                break;
            }
        }
        Ok(filled)
    }
}

/// Parses a batch on `threads` threads, which take its lines a few at a time (lines differ in size by 100x: a full
/// snapshot beside a delta), so no thread is left with the big ones while the others wait.
fn parse_batch<T: Send>(mut batch: Batch<T>, threads: usize, parse: fn(&[u8]) -> T) -> Batch<T> {
    let bytes: &[u8] = &batch.bytes;
    let work = std::sync::Mutex::new(batch.slots.chunks_mut(8));
    let worker = || {
        loop {
            let next = match work.lock() {
                Ok(mut chunks) => chunks.next(),
                // Another worker panicked while taking work; the scope re-raises it.
                Err(_) => None,
            };
            let Some(chunk) = next else { return };
            chunk
                .iter_mut()
                .for_each(|slot| parse_slot(slot, bytes, parse));
        }
    };
    std::thread::scope(|s| {
        for _ in 1..threads {
            s.spawn(worker);
        }
        // This thread is one of the workers.
        worker();
    });
    batch
}

fn parse_slot<T>(slot: &mut Slot<T>, bytes: &[u8], parse: fn(&[u8]) -> T) {
    if matches!(slot.kind, ItemKind::TooLong(_)) {
        return;
    }
    slot.range.end = slot.range.start + protocol::trim_cr(&bytes[slot.range.clone()]).len();
    let line = &bytes[slot.range.clone()];
    if !line.iter().all(u8::is_ascii_whitespace) {
        slot.kind = ItemKind::Parsed(parse(line));
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::protocol::Parsed;

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
            for_each(text.as_bytes(), threads, protocol::parse_line, |item| {
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

    /// Every line comes out whole, in order, wherever the chunks cut it; over-long ones (also ones longer than a
    /// chunk) are reported with their size; a last line without a newline is kept.
    #[test]
    fn lines_across_chunks_over_the_cap_and_at_the_end() {
        let mut text = Vec::new();
        let mut want = Vec::new();
        for i in 0..400usize {
            let len = match i % 50 {
                7 => CHUNK_BYTES + 17, // over the cap, longer than a chunk
                8 => 101,              // just over the cap
                _ => (i * 7919) % 90,
            };
            let line: Vec<u8> = (0..len).map(|j| b'a' + ((i + j) % 26) as u8).collect();
            text.extend_from_slice(&line);
            want.push(line);
            if i != 399 {
                text.push(b'\n');
            }
        }
        let mut got = Vec::new();
        for_each_capped(
            text.as_slice(),
            2,
            100,
            |l: &[u8]| l.len(),
            |item| {
                got.push(match item.kind {
                    ItemKind::TooLong(n) => (item.number, n, true),
                    ItemKind::Blank => (item.number, 0, false),
                    ItemKind::Parsed(n) => {
                        assert_eq!(item.line.len(), n);
                        assert_eq!(item.line, want[item.number as usize - 1].as_slice());
                        (item.number, n, false)
                    }
                });
                true
            },
        )
        .expect("read");
        assert_eq!(got.len(), want.len());
        for (i, (number, n, too_long)) in got.into_iter().enumerate() {
            assert_eq!(number, i as u64 + 1);
            assert_eq!(n, want[i].len(), "line {number}");
            assert_eq!(too_long, want[i].len() > 100, "line {number}");
        }
    }

    /// A pipe or a recording still being written: lines go on as they arrive, not once a whole chunk is there.
    #[test]
    fn lines_from_a_pipe_go_on_before_a_chunk_fills() {
        for threads in [1, 2] {
            pipe_with(threads);
        }
    }

    fn pipe_with(threads: usize) {
        struct Pipe(std::sync::mpsc::Receiver<Vec<u8>>);
        impl Read for Pipe {
            fn read(&mut self, out: &mut [u8]) -> io::Result<usize> {
                // Blocks like a pipe until the writer sends more; the writer hanging up is the end.
                let Ok(bytes) = self.0.recv() else {
                    return Ok(0);
                };
                out[..bytes.len()].copy_from_slice(&bytes);
                Ok(bytes.len())
            }
        }
        let (writer, pipe) = std::sync::mpsc::channel();
        let (seen_tx, seen) = std::sync::mpsc::channel();
        let reader = std::thread::spawn(move || {
            for_each(
                Pipe(pipe),
                threads,
                |l: &[u8]| l.to_vec(),
                |item| {
                    if let ItemKind::Parsed(line) = item.kind {
                        let _ = seen_tx.send(line);
                    }
                    true
                },
            )
        });
        // Each line must come out while the writer still holds the pipe open (the guard only ends a hang).
        let guard = std::time::Duration::from_secs(120);
        writer.send(b"one\n".to_vec()).expect("send");
        assert_eq!(
            seen.recv_timeout(guard).expect("first line, pipe open"),
            b"one"
        );
        writer.send(b"tw".to_vec()).expect("send");
        writer.send(b"o\nthree".to_vec()).expect("send");
        assert_eq!(
            seen.recv_timeout(guard).expect("second line, pipe open"),
            b"two"
        );
        drop(writer);
        assert_eq!(seen.recv_timeout(guard).expect("last line"), b"three");
        reader.join().expect("reader thread").expect("read");
    }

    #[test]
    fn stops_when_asked() {
        let text = "x\n".repeat(10_000);
        let mut n = 0;
        for_each(text.as_bytes(), 2, protocol::parse_line, |_| {
            n += 1;
            n < 3
        })
        .expect("read");
        assert_eq!(n, 3);
    }
}
