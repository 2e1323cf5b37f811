//! `bar-overlay record FILE`: append every valid line of the game's connection to an NDJSON file, flushed every
//! second so a crash loses at most the last second.

use super::Consumer;
use crate::model::Feed;
use crate::protocol::{self, Message};
use crate::receiver::ReceiverEvent;
use anyhow::Context;
use std::fs::File;
use std::io::{BufWriter, Write};

/// What `bar-overlay record` was asked for.
#[derive(Debug, Clone)]
pub struct Options {
    /// The NDJSON file to append to.
    pub file: std::path::PathBuf,
    pub bind: std::net::SocketAddr,
    pub relay: Option<std::net::SocketAddr>,
    pub seconds: Option<f64>,
    /// Stop when the sender says bye.
    pub until_bye: bool,
    /// Write the game's report page beside the recording.
    pub report: bool,
}

pub fn run(args: &Options) -> anyhow::Result<()> {
    let file = std::fs::OpenOptions::new()
        .create(true)
        .append(true)
        .open(&args.file)
        .with_context(|| format!("cannot open {} for writing", args.file.display()))?;
    let mut rec = Record {
        out: BufWriter::with_capacity(1 << 20, file),
        feed: Feed::new(),
        lines: 0,
        path: args.file.display().to_string(),
        until_bye: args.until_bye,
    };
    let result = super::receive_loop(args.bind, args.relay, true, args.seconds, &mut rec);
    rec.tick()?;
    eprintln!("recorded {} lines to {}", rec.lines, rec.path);
    result?;
    if args.report {
        let page = args.file.with_extension("html");
        let written = super::report::last_page(&args.file).and_then(|p| {
            std::fs::write(&page, p.html)
                .with_context(|| format!("cannot write {}", page.display()))
        });
        match written {
            Ok(()) => eprintln!("wrote the report {}", page.display()),
            // The recording is safe whatever happens to its page.
            Err(e) => anyhow::bail!("recorded, but no report: {e:#}"),
        }
    }
    Ok(())
}

struct Record {
    out: BufWriter<File>,
    feed: Feed,
    lines: u64,
    path: String,
    until_bye: bool,
}

impl Consumer for Record {
    fn event(&mut self, ev: ReceiverEvent) -> anyhow::Result<bool> {
        let mut bye = false;
        // Only the game's connection is recorded, so two clients never interleave two games in one file.
        if self.feed.accepts(ev.conn()) {
            let raw = match &ev {
                ReceiverEvent::Message { raw, msg, .. } => {
                    bye = msg.kind() == "bye";
                    match (&**msg, raw.as_deref()) {
                        // A two-PC token stays out of the file (recordings get shared), as the relay keeps it: such
                        // a hello is written re-encoded (the receiver already dropped the token from `msg`).
                        (Message::Hello(_), Some(r))
                            if memchr::memmem::find(r, b"\"token\"").is_some() =>
                        {
                            let mut line = protocol::encode_line(msg);
                            line.pop();
                            Some(std::borrow::Cow::Owned(line))
                        }
                        (_, r) => r.map(std::borrow::Cow::Borrowed),
                    }
                }
                ReceiverEvent::UnknownType { raw, .. } => {
                    raw.as_deref().map(std::borrow::Cow::Borrowed)
                }
                _ => None,
            };
            if let Some(raw) = raw {
                self.out
                    .write_all(&raw)
                    .and_then(|()| self.out.write_all(b"\n"))
                    .with_context(|| format!("cannot write {}", self.path))?;
                self.lines += 1;
            }
        }
        self.feed.handle(ev);
        Ok(!(bye && self.until_bye))
    }

    fn tick(&mut self) -> anyhow::Result<()> {
        self.out
            .flush()
            .with_context(|| format!("cannot write {}", self.path))
    }
}
