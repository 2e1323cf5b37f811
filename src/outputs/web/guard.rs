//! The web server's listener: a cap on open connections, and a write timeout that drops a client that stopped
//! reading (an OBS source that froze, a browser tab the OS suspended).
//!
//! Live pages read a stream that never ends. A client that stops reading fills its socket buffer; from then on its
//! writes wait. The page stream keeps only the latest state per client (a `watch`), so waiting costs no memory, but
//! the connection would stay open forever; after [`WRITE_STALL`] of a write that cannot proceed it is closed.

use axum::extract::connect_info::Connected;
use axum::serve::{IncomingStream, Listener};
use std::io;
use std::net::SocketAddr;
use std::pin::Pin;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
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

/// Connections open at once; more are closed as soon as accepted, with a log line. Fifty OBS sources and browser tabs
/// is far beyond a real scene; the cap keeps a runaway client from using up file descriptors.
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
    open: Arc<AtomicUsize>,
    max: usize,
    stall: Duration,
}

impl GuardedListener {
    pub fn new(inner: TcpListener, max: usize, stall: Duration) -> GuardedListener {
        GuardedListener {
            inner,
            open: Arc::new(AtomicUsize::new(0)),
            max: max.max(1),
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
                    if self.open.load(Ordering::Relaxed) >= self.max {
                        tracing::warn!(
                            "web: {peer} refused: {} connections are open already",
                            self.max
                        );
                        continue;
                    }
                    let _ = stream.set_nodelay(true);
                    let _ = socket2::SockRef::from(&stream).set_send_buffer_size(SEND_BUFFER);
                    self.open.fetch_add(1, Ordering::Relaxed);
                    let io = Guarded {
                        stream,
                        open: self.open.clone(),
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

/// A client connection: counts itself open until dropped, and fails a write that waited longer than `stall`.
pub struct Guarded {
    stream: TcpStream,
    open: Arc<AtomicUsize>,
    stall: Duration,
    /// Armed when a write first has to wait; cleared when one proceeds.
    waiting: Option<Pin<Box<Sleep>>>,
    peer: SocketAddr,
}

impl Drop for Guarded {
    fn drop(&mut self) {
        self.open.fetch_sub(1, Ordering::Relaxed);
    }
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
        Pin::new(&mut self.stream).poll_read(cx, buf)
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
