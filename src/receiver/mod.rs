//! The TCP receiver: a tokio runtime on its own thread, one task per connection, parsed messages out over a channel.
//!
//! The listener is bound synchronously in [`Receiver::start`] so that "address in use" is an error the caller sees
//! (and shows) rather than a log line from a background thread.

mod framing;
mod relay;

pub use framing::{Frame, LineFramer};
pub use relay::RELAY_QUEUE_BYTES;

use relay::Relay;

use crate::protocol::{self, Message, Parsed};
use std::net::SocketAddr;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::thread::JoinHandle;
use tokio::io::BufReader;
use tokio::sync::{mpsc, oneshot};

/// Identifies one accepted connection for the life of a receiver.
pub type ConnId = u64;

#[derive(Debug, Clone)]
pub struct ReceiverConfig {
    pub bind: SocketAddr,
    pub max_line: usize,
    /// Events buffered before connection tasks wait for the consumer (and TCP pushes back on the sender).
    pub channel_capacity: usize,
    /// Attach each accepted line's bytes to its event (for `record`, which must write lines exactly as sent).
    pub keep_raw: bool,
    /// Also serve the game's lines to other programs on this address (see [`relay`]).
    pub relay: Option<SocketAddr>,
    /// How far (bytes) a relay client may fall behind before it is dropped.
    pub relay_queue_bytes: usize,
}

impl ReceiverConfig {
    pub fn new(bind: SocketAddr) -> Self {
        ReceiverConfig {
            bind,
            max_line: protocol::MAX_LINE_BYTES,
            channel_capacity: 4096,
            keep_raw: false,
            relay: None,
            relay_queue_bytes: RELAY_QUEUE_BYTES,
        }
    }
}

#[derive(Debug, Clone)]
pub enum ReceiverEvent {
    Connected {
        conn: ConnId,
        peer: SocketAddr,
    },
    /// `reason` is `None` for a clean close by the peer.
    Disconnected {
        conn: ConnId,
        reason: Option<String>,
    },
    Message {
        conn: ConnId,
        msg: Box<Message>,
        bytes: usize,
        unknown_fields: u32,
        raw: Option<Vec<u8>>,
    },
    /// A well-formed line of a message type this version does not know.
    UnknownType {
        conn: ConnId,
        kind: String,
        bytes: usize,
        raw: Option<Vec<u8>>,
    },
    /// A line that was rejected; the connection carries on with the next one. `line` counts from 1.
    BadLine {
        conn: ConnId,
        line: u64,
        error: String,
        bytes: usize,
    },
}

impl ReceiverEvent {
    pub fn conn(&self) -> ConnId {
        match self {
            ReceiverEvent::Connected { conn, .. }
            | ReceiverEvent::Disconnected { conn, .. }
            | ReceiverEvent::Message { conn, .. }
            | ReceiverEvent::UnknownType { conn, .. }
            | ReceiverEvent::BadLine { conn, .. } => *conn,
        }
    }
}

/// Why the receiver could not start. Displays as one line that says what to do.
#[derive(Debug, thiserror::Error)]
pub enum StartError {
    #[error(
        "cannot listen on {addr}: the address is already in use (is another overlay or recorder running? choose another port)"
    )]
    InUse { addr: SocketAddr },
    #[error("cannot listen on {addr}: {source}")]
    Bind {
        addr: SocketAddr,
        source: std::io::Error,
    },
    #[error(
        "cannot open the relay port {addr}: the address is already in use (choose another relay port, or stop the program using it)"
    )]
    RelayInUse { addr: SocketAddr },
    #[error("cannot open the relay port {addr}: {source}")]
    RelayBind {
        addr: SocketAddr,
        source: std::io::Error,
    },
    #[error("cannot start the receiver thread: {0}")]
    Thread(std::io::Error),
}

/// A running receiver. Dropping it stops listening and closes every connection.
pub struct Receiver {
    local_addr: SocketAddr,
    relay_addr: Option<SocketAddr>,
    shutdown: Option<oneshot::Sender<()>>,
    thread: Option<JoinHandle<()>>,
}

impl Receiver {
    /// Binds `config.bind` now, then serves on a background thread. `wake` runs after events are queued (the UI
    /// passes `ctx.request_repaint`).
    pub fn start(
        config: ReceiverConfig,
        wake: impl Fn() + Send + Sync + 'static,
    ) -> Result<(Receiver, mpsc::Receiver<ReceiverEvent>), StartError> {
        let (std_listener, local_addr) = bind(config.bind, |addr, source| match source.kind() {
            std::io::ErrorKind::AddrInUse => StartError::InUse { addr },
            _ => StartError::Bind { addr, source },
        })?;
        let relay = match config.relay {
            Some(addr) => Some(bind(addr, |addr, source| match source.kind() {
                std::io::ErrorKind::AddrInUse => StartError::RelayInUse { addr },
                _ => StartError::RelayBind { addr, source },
            })?),
            None => None,
        };
        let relay_addr = relay.as_ref().map(|(_, a)| *a);
        let relay_listener = relay.map(|(l, _)| l);
        let (tx, rx) = mpsc::channel(config.channel_capacity.max(1));
        let (shutdown_tx, shutdown_rx) = oneshot::channel();
        let wake: Arc<dyn Fn() + Send + Sync> = Arc::new(wake);
        let thread = std::thread::Builder::new()
            .name("bar-overlay-receiver".into())
            .spawn(move || serve(std_listener, relay_listener, config, tx, wake, shutdown_rx))
            .map_err(StartError::Thread)?;
        Ok((
            Receiver {
                local_addr,
                relay_addr,
                shutdown: Some(shutdown_tx),
                thread: Some(thread),
            },
            rx,
        ))
    }

    pub fn local_addr(&self) -> SocketAddr {
        self.local_addr
    }

    /// Where relay clients connect, when the relay is on.
    pub fn relay_addr(&self) -> Option<SocketAddr> {
        self.relay_addr
    }

    /// Stops listening, closes every connection and waits for the thread.
    pub fn stop(mut self) {
        self.shutdown_now();
    }

    fn shutdown_now(&mut self) {
        if let Some(tx) = self.shutdown.take() {
            let _ = tx.send(());
        }
        if let Some(thread) = self.thread.take() {
            let _ = thread.join();
        }
    }
}

impl Drop for Receiver {
    fn drop(&mut self) {
        self.shutdown_now();
    }
}

/// Binds now so that the caller sees the error; `err` says which port it was.
fn bind(
    addr: SocketAddr,
    err: impl Fn(SocketAddr, std::io::Error) -> StartError,
) -> Result<(std::net::TcpListener, SocketAddr), StartError> {
    let listener = std::net::TcpListener::bind(addr).map_err(|e| err(addr, e))?;
    let local = listener.local_addr().map_err(|e| err(addr, e))?;
    listener.set_nonblocking(true).map_err(|e| err(addr, e))?;
    Ok((listener, local))
}

fn serve(
    std_listener: std::net::TcpListener,
    relay_listener: Option<std::net::TcpListener>,
    config: ReceiverConfig,
    tx: mpsc::Sender<ReceiverEvent>,
    wake: Arc<dyn Fn() + Send + Sync>,
    shutdown: oneshot::Receiver<()>,
) {
    let runtime = match tokio::runtime::Builder::new_current_thread()
        .enable_io()
        .enable_time()
        .build()
    {
        Ok(rt) => rt,
        Err(e) => {
            tracing::error!("receiver: cannot start the async runtime: {e}");
            return;
        }
    };
    runtime.block_on(async move {
        let listener = match tokio::net::TcpListener::from_std(std_listener) {
            Ok(l) => l,
            Err(e) => {
                tracing::error!("receiver: cannot use the listening socket: {e}");
                return;
            }
        };
        let relay = match relay_listener.map(tokio::net::TcpListener::from_std) {
            Some(Ok(l)) => {
                let relay = Relay::new(config.relay_queue_bytes);
                tokio::spawn(relay.clone().serve(l));
                Some(relay)
            }
            Some(Err(e)) => {
                tracing::error!("receiver: cannot use the relay socket: {e}");
                None
            }
            None => None,
        };
        let next_id = AtomicU64::new(1);
        let accept_loop = async {
            loop {
                match listener.accept().await {
                    Ok((stream, peer)) => {
                        let conn = next_id.fetch_add(1, Ordering::Relaxed);
                        let _ = stream.set_nodelay(true);
                        tokio::spawn(connection(
                            conn,
                            peer,
                            stream,
                            config.clone(),
                            relay.clone(),
                            tx.clone(),
                            wake.clone(),
                        ));
                    }
                    // Running out of file descriptors and the like: back off rather than spin.
                    Err(e) => {
                        tracing::warn!("receiver: accept failed: {e}");
                        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
                    }
                }
            }
        };
        tokio::select! {
            _ = accept_loop => {}
            _ = shutdown => {}
        }
    });
    // Dropping the runtime cancels every connection task and closes their sockets.
}

async fn connection(
    conn: ConnId,
    peer: SocketAddr,
    stream: tokio::net::TcpStream,
    config: ReceiverConfig,
    relay: Option<Relay>,
    tx: mpsc::Sender<ReceiverEvent>,
    wake: Arc<dyn Fn() + Send + Sync>,
) {
    let emit = |ev: ReceiverEvent| {
        let tx = &tx;
        let wake = &wake;
        async move {
            let ok = tx.send(ev).await.is_ok();
            wake();
            ok
        }
    };
    let leaving = Leaving(relay.as_ref(), conn);
    if !emit(ReceiverEvent::Connected { conn, peer }).await {
        return;
    }
    let mut reader = BufReader::with_capacity(64 * 1024, stream);
    let max_line = config.max_line;
    let mut framer = LineFramer::new(max_line);
    let mut line_no = 0u64;
    let reason = loop {
        let frame = match framer.next(&mut reader).await {
            Ok(f) => f,
            Err(e) => break Some(format!("read error: {e}")),
        };
        line_no += 1;
        let ev = match frame {
            Frame::Eof => break None,
            Frame::TruncatedAtEof { bytes } => {
                let _ = emit(ReceiverEvent::BadLine {
                    conn,
                    line: line_no,
                    error: format!(
                        "connection closed in the middle of a line ({bytes} bytes dropped)"
                    ),
                    bytes,
                })
                .await;
                break Some("closed mid-line".to_owned());
            }
            Frame::Oversize { seen } => ReceiverEvent::BadLine {
                conn,
                line: line_no,
                error: format!("line longer than the {max_line}-byte cap ({seen}+ bytes): skipped"),
                bytes: seen,
            },
            Frame::Line => {
                let line = framer.line();
                let bytes = line.len() + 1;
                if line.iter().all(u8::is_ascii_whitespace) {
                    continue;
                }
                let raw = config.keep_raw.then(|| line.to_vec());
                let parsed = protocol::parse_line(line);
                if let Some(relay) = &relay {
                    match &parsed {
                        Ok(Parsed::Message { msg, .. }) => relay.forward(conn, line, Some(msg)),
                        Ok(Parsed::UnknownType(_)) => relay.forward(conn, line, None),
                        Err(_) => {}
                    }
                }
                match parsed {
                    Ok(Parsed::Message {
                        msg,
                        unknown_fields,
                    }) => ReceiverEvent::Message {
                        conn,
                        msg: Box::new(msg),
                        bytes,
                        unknown_fields,
                        raw,
                    },
                    Ok(Parsed::UnknownType(kind)) => ReceiverEvent::UnknownType {
                        conn,
                        kind,
                        bytes,
                        raw,
                    },
                    Err(e) => ReceiverEvent::BadLine {
                        conn,
                        line: line_no,
                        error: e.to_string(),
                        bytes,
                    },
                }
            }
        };
        if !emit(ev).await {
            return;
        }
    };
    drop(leaving);
    let _ = emit(ReceiverEvent::Disconnected { conn, reason }).await;
}

/// Tells the relay a connection is gone however its task ends (closed, consumer gone, runtime shut down).
struct Leaving<'a>(Option<&'a Relay>, ConnId);

impl Drop for Leaving<'_> {
    fn drop(&mut self) {
        if let Some(relay) = self.0 {
            relay.closed(self.1);
        }
    }
}
