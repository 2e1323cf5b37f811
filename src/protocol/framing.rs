//! Protocol v1 is one JSON object a line. This is where a line ends and whether it fits the cap, for every reader of
//! the stream whatever its source: the receiver's socket (a buffer at a time) and recordings (a 1 MiB chunk at a
//! time). Input comes in pieces that cut lines anywhere; a line over the cap is never held, only counted.

/// What the next piece of input did to the current line.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Cut {
    /// The line ends at `end` of the piece (its `\n` is there), within the cap; the piece before `end` is its last
    /// bytes.
    Line { end: usize },
    /// The line ends at `end` of the piece and had `total` bytes in all, over the cap.
    TooLong { end: usize, total: usize },
    /// No newline: the whole piece continues the line. `keep` is false once the line is over the cap (its bytes are
    /// then dropped), and `passed_cap` is true in the piece that took it over.
    More { keep: bool, passed_cap: bool },
}

/// Cuts input into lines of at most `cap` bytes (without the `\n`).
#[derive(Debug, Clone)]
pub struct LineCutter {
    cap: usize,
    /// Bytes of the current line in the pieces before.
    len: usize,
}

impl LineCutter {
    pub fn new(cap: usize) -> Self {
        LineCutter { cap, len: 0 }
    }

    /// Reads `piece` up to its first newline; the caller goes on after `end + 1` for `Line` and `TooLong`.
    pub fn cut(&mut self, piece: &[u8]) -> Cut {
        match memchr::memchr(b'\n', piece) {
            Some(end) => {
                let total = std::mem::take(&mut self.len) + end;
                if total > self.cap {
                    Cut::TooLong { end, total }
                } else {
                    Cut::Line { end }
                }
            }
            None => {
                let was_over = self.len > self.cap;
                self.len += piece.len();
                let over = self.len > self.cap;
                Cut::More {
                    keep: !over,
                    passed_cap: over && !was_over,
                }
            }
        }
    }

    /// Bytes of a line begun and not ended (what is cut off when the input ends here).
    pub fn pending(&self) -> usize {
        self.len
    }

    /// The input ended: the line begun, if any, is dropped from the count.
    pub fn reset(&mut self) {
        self.len = 0;
    }
}

/// The line without a `\r` before its `\n` (Windows line ends are accepted).
pub fn trim_cr(line: &[u8]) -> &[u8] {
    line.strip_suffix(b"\r").unwrap_or(line)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Every way of cutting the same input into pieces gives the same lines.
    #[test]
    fn lines_whatever_the_pieces() {
        let input = b"ab\r\n\n0123456789\nxyz\n12345\n";
        for piece in 1..=input.len() {
            let mut c = LineCutter::new(5);
            let (mut line, mut got) = (Vec::new(), Vec::new());
            let mut rest: &[u8] = input;
            let mut passed = 0;
            while !rest.is_empty() {
                let chunk = &rest[..piece.min(rest.len())];
                match c.cut(chunk) {
                    Cut::Line { end } => {
                        line.extend_from_slice(&chunk[..end]);
                        got.push(String::from_utf8_lossy(trim_cr(&line)).into_owned());
                        line.clear();
                        rest = &rest[end + 1..];
                    }
                    Cut::TooLong { end, total } => {
                        got.push(format!("too long {total}"));
                        line.clear();
                        rest = &rest[end + 1..];
                    }
                    Cut::More { keep, passed_cap } => {
                        if keep {
                            line.extend_from_slice(chunk);
                        }
                        passed += usize::from(passed_cap);
                        rest = &rest[chunk.len()..];
                    }
                }
            }
            assert_eq!(
                got,
                ["ab", "", "too long 10", "xyz", "12345"],
                "pieces of {piece}"
            );
            // The cap is passed in a piece without a newline only when the long line spans pieces.
            assert!(passed <= 1, "pieces of {piece}");
            assert_eq!(c.pending(), 0);
        }
    }

    #[test]
    fn an_unended_line_is_pending() {
        let mut c = LineCutter::new(8);
        assert_eq!(
            c.cut(b"abc"),
            Cut::More {
                keep: true,
                passed_cap: false
            }
        );
        assert_eq!(c.pending(), 3);
        assert_eq!(
            c.cut(b"defghi"),
            Cut::More {
                keep: false,
                passed_cap: true
            }
        );
        assert_eq!(
            c.cut(b"j"),
            Cut::More {
                keep: false,
                passed_cap: false
            }
        );
        assert_eq!(c.pending(), 10);
        c.reset();
        assert_eq!(c.cut(b"12345678\n"), Cut::Line { end: 8 });
    }
}
