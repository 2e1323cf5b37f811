//! `bar-overlay listen`: receive and print one status line a second.

use super::Consumer;
use crate::model::{Feed, FeedStats};
use crate::receiver::ReceiverEvent;
use std::net::SocketAddr;

/// Listens on `bind` (relaying to `relay`) for `seconds`, or until interrupted.
pub fn run(
    bind: SocketAddr,
    relay: Option<SocketAddr>,
    seconds: Option<f64>,
) -> anyhow::Result<()> {
    super::receive_loop(bind, relay, false, seconds, &mut Listen::default())
}

#[derive(Default)]
struct Listen {
    feed: Feed,
    last: FeedStats,
}

impl Consumer for Listen {
    fn event(&mut self, ev: ReceiverEvent) -> anyhow::Result<bool> {
        self.feed.handle(ev);
        Ok(true)
    }

    fn tick(&mut self) -> anyhow::Result<()> {
        println!("{}", status_line(&self.feed, &self.last));
        self.last = self.feed.stats();
        Ok(())
    }
}

/// One line: connections, rates over the last second, game clock, teams, units, bad lines.
pub fn status_line(feed: &Feed, last: &FeedStats) -> String {
    let s = feed.stats();
    let g = feed.game();
    let mut line = format!(
        "conns {} | {} msg/s | {:.1} KB/s | game {}{} | teams {} | units {} | bad lines {}",
        feed.connections(),
        s.messages - last.messages,
        (s.bytes - last.bytes) as f64 / 1024.0,
        super::clock(g.seconds),
        if g.paused { " paused" } else { "" },
        g.teams.len(),
        g.units.len(),
        s.bad_lines,
    );
    if s.unknown_types + s.unknown_fields > 0 {
        line += &format!(
            " | unknown types {} fields {}",
            s.unknown_types, s.unknown_fields
        );
    }
    if s.bad_lines > last.bad_lines
        && let Some(e) = feed.last_error()
    {
        line += &format!(" | last: {e}");
    }
    line
}
