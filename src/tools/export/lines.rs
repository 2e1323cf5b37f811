//! Lines of a recording, capped like the receiver's: a file with no newline for gigabytes (not a recording, or
//! corrupt) costs at most the cap in memory and is reported as one over-long line.

use std::io::{self, BufRead};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Line {
    /// The line is in the buffer, without its `\n`.
    Ok,
    /// The line had this many bytes, over the cap; the buffer is empty.
    TooLong(usize),
}

/// Reads the next line into `buf`; `None` at the end of the input.
pub fn read_line(r: &mut impl BufRead, buf: &mut Vec<u8>, cap: usize) -> io::Result<Option<Line>> {
    buf.clear();
    let mut total = 0usize;
    let mut too_long = false;
    let mut any = false;
    loop {
        let (used, ended) = {
            let available = match r.fill_buf() {
                Ok(a) => a,
                Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
                Err(e) => return Err(e),
            };
            if available.is_empty() {
                // The last line of a file that does not end in a newline (a recording cut off mid-write).
                return Ok(any.then_some(if too_long {
                    Line::TooLong(total)
                } else {
                    Line::Ok
                }));
            }
            any = true;
            let newline = memchr::memchr(b'\n', available);
            let chunk = &available[..newline.unwrap_or(available.len())];
            total += chunk.len();
            if !too_long {
                if buf.len() + chunk.len() > cap {
                    too_long = true;
                    buf.clear();
                    buf.shrink_to(64 * 1024);
                } else {
                    buf.extend_from_slice(chunk);
                }
            }
            (
                newline.map_or(available.len(), |i| i + 1),
                newline.is_some(),
            )
        };
        r.consume(used);
        if ended {
            return Ok(Some(if too_long {
                Line::TooLong(total)
            } else {
                Line::Ok
            }));
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn splits_caps_and_keeps_an_unterminated_last_line() {
        let input = b"ab\n\n0123456789\nxyz".as_slice();
        let mut r = io::BufReader::with_capacity(4, input);
        let mut buf = Vec::new();
        let mut out = Vec::new();
        while let Some(l) = read_line(&mut r, &mut buf, 5).expect("read") {
            out.push((l, String::from_utf8_lossy(&buf).into_owned()));
        }
        assert_eq!(
            out,
            vec![
                (Line::Ok, "ab".to_owned()),
                (Line::Ok, String::new()),
                (Line::TooLong(10), String::new()),
                (Line::Ok, "xyz".to_owned()),
            ]
        );
    }
}
