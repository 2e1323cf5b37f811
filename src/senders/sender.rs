//! The sending end of a connection, as the widget behaves: connect, say hello first, and when the listener goes
//! away, try again with growing pauses.

use anyhow::Context;
use std::io::Write;
use std::net::{SocketAddr, TcpStream, ToSocketAddrs};
use std::time::{Duration, Instant};

const FIRST_RETRY: Duration = Duration::from_millis(250);
const MAX_RETRY: Duration = Duration::from_secs(5);
const CONNECT_TIMEOUT: Duration = Duration::from_secs(2);

pub struct Link {
    addrs: Vec<SocketAddr>,
    stream: Option<TcpStream>,
    retry_in: Duration,
    next_try: Instant,
    rng: fastrand::Rng,
    pub connections: u64,
    pub bytes: u64,
}

/// Resolves `HOST:PORT` once, so a typo is an error at start rather than a silent retry loop.
pub fn resolve(to: &str) -> anyhow::Result<Vec<SocketAddr>> {
    let addrs: Vec<SocketAddr> = to
        .to_socket_addrs()
        .with_context(|| format!("`{to}` is not a HOST:PORT address this machine can resolve"))?
        .collect();
    anyhow::ensure!(!addrs.is_empty(), "`{to}` resolves to no address");
    Ok(addrs)
}

impl Link {
    pub fn new(to: &str) -> anyhow::Result<Link> {
        Ok(Link {
            addrs: resolve(to)?,
            stream: None,
            retry_in: FIRST_RETRY,
            next_try: Instant::now(),
            rng: fastrand::Rng::new(),
            connections: 0,
            bytes: 0,
        })
    }

    pub fn is_connected(&self) -> bool {
        self.stream.is_some()
    }

    /// Connects if not connected and a retry is due. Returns true when a new connection was just made: the caller
    /// must then send its hello before anything else.
    pub fn poll_connect(&mut self) -> bool {
        if self.stream.is_some() || Instant::now() < self.next_try {
            return false;
        }
        for addr in &self.addrs {
            if let Ok(s) = TcpStream::connect_timeout(addr, CONNECT_TIMEOUT) {
                let _ = s.set_nodelay(true);
                self.stream = Some(s);
                self.retry_in = FIRST_RETRY;
                self.connections += 1;
                return true;
            }
        }
        // Jitter keeps many senders from retrying in lockstep.
        let jitter = 0.8 + self.rng.f64() * 0.4;
        self.next_try = Instant::now() + self.retry_in.mul_f64(jitter);
        self.retry_in = (self.retry_in * 2).min(MAX_RETRY);
        false
    }

    /// How long until the next connection attempt.
    pub fn retry_after(&self) -> Duration {
        self.next_try.saturating_duration_since(Instant::now())
    }

    /// Writes whole lines. On failure the connection is dropped (the peer never sees a partial line continued) and
    /// `false` is returned.
    pub fn send(&mut self, bytes: &[u8]) -> bool {
        let Some(s) = self.stream.as_mut() else {
            return false;
        };
        match s.write_all(bytes) {
            Ok(()) => {
                self.bytes += bytes.len() as u64;
                true
            }
            Err(e) => {
                tracing::info!("connection lost: {e}");
                self.stream = None;
                self.next_try = Instant::now() + FIRST_RETRY;
                false
            }
        }
    }
}
