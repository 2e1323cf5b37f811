//! Splits a byte stream into lines without ever holding more than the cap.

use crate::protocol::{Cut, LineCutter, trim_cr};
use tokio::io::{AsyncBufRead, AsyncBufReadExt};

/// What one read step produced.
#[derive(Debug, PartialEq, Eq)]
pub enum Frame {
    /// A complete line, terminator and any trailing `\r` removed. Borrowed until the next call.
    Line,
    /// A line passed the cap; its bytes up to here are dropped and the rest will be skipped up to the next `\n`.
    Oversize {
        seen: usize,
    },
    /// The peer closed with an unterminated line of this many bytes: it is dropped, never parsed.
    TruncatedAtEof {
        bytes: usize,
    },
    Eof,
}

/// Reads `\n`-terminated lines from a buffered stream, capped at `max` bytes each (where a line ends and whether it
/// fits: `protocol::LineCutter`, as for recordings).
pub struct LineFramer {
    line: Vec<u8>,
    cutter: LineCutter,
    /// The current line passed the cap and was reported: its rest is dropped up to its newline.
    skipping: bool,
}

impl LineFramer {
    pub fn new(max: usize) -> Self {
        LineFramer {
            line: Vec::new(),
            cutter: LineCutter::new(max),
            skipping: false,
        }
    }

    /// The line of the last `Frame::Line`.
    pub fn line(&self) -> &[u8] {
        &self.line
    }

    pub async fn next<R: AsyncBufRead + Unpin>(
        &mut self,
        reader: &mut R,
    ) -> std::io::Result<Frame> {
        if !self.skipping {
            self.line.clear();
        }
        loop {
            let chunk = reader.fill_buf().await?;
            if chunk.is_empty() {
                let was_skipping = std::mem::replace(&mut self.skipping, false);
                let bytes = self.cutter.pending();
                self.cutter.reset();
                self.line.clear();
                return Ok(if bytes > 0 && !was_skipping {
                    Frame::TruncatedAtEof { bytes }
                } else {
                    Frame::Eof
                });
            }
            match self.cutter.cut(chunk) {
                Cut::Line { end } => {
                    self.line.extend_from_slice(&chunk[..end]);
                    reader.consume(end + 1);
                    let kept = trim_cr(&self.line).len();
                    self.line.truncate(kept);
                    return Ok(Frame::Line);
                }
                Cut::TooLong { end, total } => {
                    reader.consume(end + 1);
                    self.line.clear();
                    // Reported when it passed the cap, unless it passed it in this piece.
                    if !std::mem::replace(&mut self.skipping, false) {
                        return Ok(Frame::Oversize { seen: total });
                    }
                }
                Cut::More { keep, passed_cap } => {
                    let n = chunk.len();
                    if keep {
                        self.line.extend_from_slice(chunk);
                    }
                    reader.consume(n);
                    if passed_cap {
                        self.line.clear();
                        self.skipping = true;
                        return Ok(Frame::Oversize {
                            seen: self.cutter.pending(),
                        });
                    }
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    async fn frames(input: &[u8], max: usize, chunk: usize) -> Vec<Result<String, String>> {
        // A reader that hands out at most `chunk` bytes a time, as a slow socket would.
        let (mut w, r) = tokio::io::duplex(chunk.max(1));
        let data = input.to_vec();
        tokio::spawn(async move {
            use tokio::io::AsyncWriteExt;
            let _ = w.write_all(&data).await;
        });
        let mut reader = tokio::io::BufReader::with_capacity(chunk.max(1), r);
        let mut framer = LineFramer::new(max);
        let mut out = Vec::new();
        loop {
            match framer.next(&mut reader).await.expect("duplex read") {
                Frame::Line => out.push(Ok(String::from_utf8_lossy(framer.line()).into_owned())),
                Frame::Oversize { seen } => out.push(Err(format!("oversize>{}", seen > max))),
                Frame::TruncatedAtEof { bytes } => out.push(Err(format!("truncated {bytes}"))),
                Frame::Eof => break,
            }
        }
        out
    }

    #[tokio::test]
    async fn splits_lines_accepts_crlf_and_reports_truncation() {
        for chunk in [1, 3, 64] {
            let got = frames(b"a\r\nbb\n\ncc", 10, chunk).await;
            assert_eq!(
                got,
                vec![
                    Ok("a".into()),
                    Ok("bb".into()),
                    Ok("".into()),
                    Err("truncated 2".into())
                ],
                "chunk {chunk}"
            );
        }
    }

    #[tokio::test]
    async fn oversize_line_is_skipped_and_the_next_line_survives() {
        for chunk in [1, 4, 7, 1000] {
            let got = frames(b"12345678901234\nok\n123456789\n", 8, chunk).await;
            assert_eq!(
                got,
                vec![
                    Err("oversize>true".into()),
                    Ok("ok".into()),
                    Err("oversize>true".into())
                ],
                "chunk {chunk}"
            );
        }
    }

    #[tokio::test]
    async fn a_line_exactly_at_the_cap_is_accepted() {
        let got = frames(b"12345678\n", 8, 3).await;
        assert_eq!(got, vec![Ok("12345678".into())]);
    }
}
