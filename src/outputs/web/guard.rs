//! The web server's listener: a cap on open connections, and a write timeout that drops a client that stopped
//! reading (an OBS source that froze, a browser tab the OS suspended).
//!
//! The cap is [`crate::peers`], as for the receiver: a connection proves itself by sending a whole request head (up
//! to the blank line); until then a newcomer past the cap takes its place, so a crowd of idle or half-open
//! connections on a LAN address cannot keep a stream's pages out.
//!
//! Live pages read a stream that never ends. A client that stops reading fills its socket buffer; from then on its
//! writes wait. The page stream keeps only the latest state per client (a `watch`), so waiting costs no memory, but
//! the connection would stay open forever; after [`WRITE_STALL`] of a write that cannot proceed it is closed.

use crate::peers::{Admission, Eviction, Peers, Permit};
use axum::extract::connect_info::Connected;
use axum::serve::{IncomingStream, Listener};
use std::io;
use std::net::SocketAddr;
use std::pin::Pin;
use std::task::{Context, Poll};
use std::time::Duration;
use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};
use tokio::net::{TcpListener, TcpStream};
use tokio::time::Sleep;

/// How long a write may wait for a client that does not read before the client is dropped.
pub const WRITE_STALL: Duration = Duration::from_secs(10);

/// The kernel's send buffer per page client: dozens of states (5-15 KB each), and the most a client that stopped
/// reading holds in the kernel before its writes wait (Linux would otherwise let it grow to 4 MB).
const SEND_BUFFER: usize = 256 * 1024;

/// Connections open at once; past it a newcomer replaces the oldest connection that has not sent a request yet, or
/// is closed at once when all have (one log line). Fifty OBS sources and browser tabs is far beyond a real scene; the
/// cap keeps a runaway client from using up file descriptors.
pub const MAX_CONNECTIONS: usize = 256;

/// The peer of a request, for log lines.
#[derive(Debug, Clone, Copy)]
pub struct Peer(pub SocketAddr);

impl Connected<IncomingStream<'_, GuardedListener>> for Peer {
    fn connect_info(stream: IncomingStream<'_, GuardedListener>) -> Self {
        Peer(*stream.remote_addr())
    }
}

pub struct GuardedListener {
    inner: TcpListener,
    peers: Peers,
    stall: Duration,
}

impl GuardedListener {
    pub fn new(inner: TcpListener, max: usize, stall: Duration) -> GuardedListener {
        GuardedListener {
            inner,
            peers: Peers::new("web", max),
            stall,
        }
    }
}

impl Listener for GuardedListener {
    type Io = Guarded;
    type Addr = SocketAddr;

    async fn accept(&mut self) -> (Guarded, SocketAddr) {
        loop {
            match self.inner.accept().await {
                Ok((stream, peer)) => {
                    // Refused (every place held by a client that has made a request): `admit` logged it.
                    let Admission::Admitted(permit) = self.peers.admit(peer) else {
                        continue;
                    };
                    let _ = stream.set_nodelay(true);
                    let _ = socket2::SockRef::from(&stream).set_send_buffer_size(SEND_BUFFER);
                    let io = Guarded {
                        stream,
                        eviction: Some(permit.eviction()),
                        permit,
                        head: 0,
                        stall: self.stall,
                        waiting: None,
                        peer,
                    };
                    return (io, peer);
                }
                // Out of file descriptors and the like: back off rather than spin.
                Err(e) => {
                    tracing::warn!("web: accept failed: {e}");
                    tokio::time::sleep(Duration::from_millis(100)).await;
                }
            }
        }
    }

    fn local_addr(&self) -> io::Result<SocketAddr> {
        self.inner.local_addr()
    }
}

/// A client connection: holds its place under the cap until dropped, is closed if evicted before it sent a request
/// head, and fails a write that waited longer than `stall`.
pub struct Guarded {
    stream: TcpStream,
    permit: Permit,
    /// Until the first request head; `None` once proven.
    eviction: Option<Eviction>,
    /// How much of the blank line ending a request head (`\r\n\r\n`) the bytes read so far end with.
    head: usize,
    stall: Duration,
    /// Armed when a write first has to wait; cleared when one proceeds.
    waiting: Option<Pin<Box<Sleep>>>,
    peer: SocketAddr,
}

impl Guarded {
    /// Runs a write; if it has to wait, arms (or checks) the stall timer, so the task also wakes when it runs out.
    fn guard<T>(
        &mut self,
        cx: &mut Context<'_>,
        op: impl FnOnce(Pin<&mut TcpStream>, &mut Context<'_>) -> Poll<io::Result<T>>,
    ) -> Poll<io::Result<T>> {
        match op(Pin::new(&mut self.stream), cx) {
            Poll::Ready(r) => {
                self.waiting = None;
                Poll::Ready(r)
            }
            Poll::Pending => {
                let stall = self.stall;
                let timer = self
                    .waiting
                    .get_or_insert_with(|| Box::pin(tokio::time::sleep(stall)));
                match timer.as_mut().poll(cx) {
                    Poll::Ready(()) => {
                        tracing::warn!(
                            "web: {} dropped: it read nothing for {} s",
                            self.peer,
                            stall.as_secs()
                        );
                        Poll::Ready(Err(io::Error::new(
                            io::ErrorKind::TimedOut,
                            "the client stopped reading",
                        )))
                    }
                    Poll::Pending => Poll::Pending,
                }
            }
        }
    }
}

impl AsyncRead for Guarded {
    fn poll_read(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<io::Result<()>> {
        if let Some(e) = &mut self.eviction
            && e.poll(cx).is_ready()
        {
            return Poll::Ready(Err(io::Error::new(
                io::ErrorKind::ConnectionAborted,
                "closed to make room for a newer connection",
            )));
        }
        let before = buf.filled().len();
        let read = Pin::new(&mut self.stream).poll_read(cx, buf);
        if self.eviction.is_some() && read.is_ready() {
            let this = &mut *self;
            for &b in &buf.filled()[before..] {
                this.head = match (this.head, b) {
                    (0 | 2, b'\r') => this.head + 1,
                    (1 | 3, b'\n') => this.head + 1,
                    (_, b'\r') => 1,
                    _ => 0,
                };
                if this.head == 4 {
                    this.permit.prove();
                    this.eviction = None;
                    break;
                }
            }
        }
        read
    }
}

impl AsyncWrite for Guarded {
    fn poll_write(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>> {
        self.guard(cx, |s, cx| s.poll_write(cx, buf))
    }

    fn poll_write_vectored(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        bufs: &[io::IoSlice<'_>],
    ) -> Poll<io::Result<usize>> {
        self.guard(cx, |s, cx| s.poll_write_vectored(cx, bufs))
    }

    fn is_write_vectored(&self) -> bool {
        self.stream.is_write_vectored()
    }

    fn poll_flush(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        self.guard(cx, |s, cx| s.poll_flush(cx))
    }

    fn poll_shutdown(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.stream).poll_shutdown(cx)
    }
}
