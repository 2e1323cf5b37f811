//! The TCP receiver: a tokio runtime on its own thread, one task per connection, parsed messages out over a channel.
//!
//! The listener is bound synchronously in [`Receiver::start`] so that "address in use" is an error the caller sees
//! (and shows) rather than a log line from a background thread.
//!
//! The receiver knows nothing of what consumes its events. Its runtime is the process's one runtime for network work:
//! the model's hub and the outputs (relay, web pages) are spawned on it through [`Receiver::runtime`].

mod framing;

pub use framing::{Frame, LineFramer};

use crate::logging::Throttled;
use crate::peers::{Admission, Peers, Permit, same_secret};
use crate::protocol::{self, Message, Parsed};
use std::net::SocketAddr;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::thread::JoinHandle;
use std::time::Duration;
use tokio::io::{AsyncBufReadExt, BufReader};
use tokio::sync::{mpsc, oneshot};

/// Game connections at once. A game client needs one; a few spare for a second client and for tools. Newcomers past
/// the cap replace connections that have not sent a hello yet (see [`crate::peers`]).
pub const MAX_PEERS: usize = 16;
/// A connection that has not sent a valid hello by then is closed: the widget sends it first, at once.
pub const HELLO_TIMEOUT: Duration = Duration::from_secs(5);
/// A connection whose last this many lines were all refused is closed: it is not speaking this protocol.
pub const MAX_BAD_LINES_IN_A_ROW: u32 = 16;

/// Identifies one accepted connection for the life of a receiver.
pub type ConnId = u64;

#[derive(Debug, Clone)]
pub struct ReceiverConfig {
    pub bind: SocketAddr,
    pub max_line: usize,
    /// Events buffered before connection tasks wait for the consumer (and TCP pushes back on the sender).
    pub channel_capacity: usize,
    /// Attach each accepted line's bytes to its event (for `record` and the relay, which pass lines on exactly as
    /// sent).
    pub keep_raw: bool,
    /// Game connections at once ([`MAX_PEERS`]).
    pub max_peers: usize,
    /// See [`HELLO_TIMEOUT`].
    pub hello_timeout: Duration,
    /// See [`MAX_BAD_LINES_IN_A_ROW`].
    pub max_bad_lines: u32,
    /// When set, a connection must say this token in its hello; until it has, nothing of it is passed on (not even
    /// that it connected), and one with a wrong or missing token is closed with one log line.
    pub token: Option<String>,
}

impl ReceiverConfig {
    pub fn new(bind: SocketAddr) -> Self {
        ReceiverConfig {
            bind,
            max_line: protocol::MAX_LINE_BYTES,
            channel_capacity: 4096,
            keep_raw: false,
            max_peers: MAX_PEERS,
            hello_timeout: HELLO_TIMEOUT,
            max_bad_lines: MAX_BAD_LINES_IN_A_ROW,
            token: None,
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
    #[error("cannot start the async runtime: {0}")]
    Runtime(std::io::Error),
    #[error("cannot start the receiver thread: {0}")]
    Thread(std::io::Error),
}

/// A running receiver. Dropping it stops listening and closes every connection.
pub struct Receiver {
    local_addr: SocketAddr,
    peers: Peers,
    runtime: tokio::runtime::Handle,
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
        // Built here rather than on the thread so that its handle can be given out before it runs.
        let runtime = tokio::runtime::Builder::new_current_thread()
            .enable_io()
            .enable_time()
            .build()
            .map_err(StartError::Runtime)?;
        let handle = runtime.handle().clone();
        let (tx, rx) = mpsc::channel(config.channel_capacity.max(1));
        let (shutdown_tx, shutdown_rx) = oneshot::channel();
        let wake: Arc<dyn Fn() + Send + Sync> = Arc::new(wake);
        let peers = Peers::new("receiver", config.max_peers);
        let serving = peers.clone();
        let thread = std::thread::Builder::new()
            .name("bar-overlay-receiver".into())
            .spawn(move || {
                serve(
                    runtime,
                    std_listener,
                    serving,
                    config,
                    tx,
                    wake,
                    shutdown_rx,
                )
            })
            .map_err(StartError::Thread)?;
        Ok((
            Receiver {
                local_addr,
                peers,
                runtime: handle,
                shutdown: Some(shutdown_tx),
                thread: Some(thread),
            },
            rx,
        ))
    }

    pub fn local_addr(&self) -> SocketAddr {
        self.local_addr
    }

    /// Connections open now (never more than `ReceiverConfig::max_peers`).
    pub fn open_connections(&self) -> usize {
        self.peers.len()
    }

    /// The runtime the receiver runs on, for the tasks that consume its events (the hub, the outputs). They stop
    /// with the receiver.
    pub fn runtime(&self) -> &tokio::runtime::Handle {
        &self.runtime
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
    runtime: tokio::runtime::Runtime,
    std_listener: std::net::TcpListener,
    peers: Peers,
    config: ReceiverConfig,
    tx: mpsc::Sender<ReceiverEvent>,
    wake: Arc<dyn Fn() + Send + Sync>,
    shutdown: oneshot::Receiver<()>,
) {
    runtime.block_on(async move {
        let listener = match tokio::net::TcpListener::from_std(std_listener) {
            Ok(l) => l,
            Err(e) => {
                tracing::error!("receiver: cannot use the listening socket: {e}");
                return;
            }
        };
        let next_id = AtomicU64::new(1);
        let bad_lines = Arc::new(Mutex::new(Throttled::new(Duration::from_secs(5))));
        let accept_loop = async {
            loop {
                match listener.accept().await {
                    Ok((stream, peer)) => {
                        // Refused: dropping the stream closes it; `admit` has said so in the log.
                        let Admission::Admitted(permit) = peers.admit(peer) else {
                            continue;
                        };
                        // A sender's first bytes often wait in the socket already (the widget sends its hello as
                        // soon as it connects): such a peer is heard from its first instant, so the next silent
                        // newcomer of a flood cannot take its place before its task has read a byte.
                        if has_bytes_waiting(&stream) {
                            permit.heard();
                        }
                        let conn = next_id.fetch_add(1, Ordering::Relaxed);
                        let _ = stream.set_nodelay(true);
                        tokio::spawn(connection(
                            Peer {
                                conn,
                                addr: peer,
                                permit,
                                bad_lines: bad_lines.clone(),
                            },
                            stream,
                            config.clone(),
                            tx.clone(),
                            wake.clone(),
                        ));
                        // Let the new connection read what its peer already sent before the next accept can
                        // evict it: under a flood of connections the accept loop would otherwise run ahead of every
                        // connection task on this one thread, and a sender's hello would sit unread while its slot
                        // went to the next idle newcomer.
                        tokio::task::yield_now().await;
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

/// One accepted connection: its id, address, place under the cap, and the receiver's shared log of refused lines.
struct Peer {
    conn: ConnId,
    addr: SocketAddr,
    permit: Permit,
    bad_lines: Arc<Mutex<Throttled>>,
}

/// How a connection's read loop ended.
enum Ending {
    Clean,
    Lost(String),
    /// The consumer is gone: nothing more to report.
    Abandoned,
    /// Refused for its token before anything of it was passed on: nothing to report either.
    Refused,
}

async fn connection(
    peer: Peer,
    stream: tokio::net::TcpStream,
    config: ReceiverConfig,
    tx: mpsc::Sender<ReceiverEvent>,
    wake: Arc<dyn Fn() + Send + Sync>,
) {
    let conn = peer.conn;
    let emit = |ev: ReceiverEvent| {
        let tx = &tx;
        let wake = &wake;
        async move {
            let ok = tx.send(ev).await.is_ok();
            wake();
            ok
        }
    };
    let mut reader = BufReader::with_capacity(64 * 1024, stream);
    let hello_by = tokio::time::Instant::now() + config.hello_timeout;
    // A connection exists for the model once its peer has said something. A silent one is closed without a word when
    // it is evicted or misses the hello deadline, so a flood of idle connections makes no events at all; and a sender
    // whose first events wait for a busy consumer has been heard by then, so the cap evicts silent peers before it.
    let said_something = tokio::select! {
        // Read first: bytes already waiting beat an eviction notice that arrived in the same instant.
        biased;
        r = reader.fill_buf() => r.is_ok_and(|bytes| !bytes.is_empty()),
        _ = peer.permit.evicted() => false,
        _ = tokio::time::sleep_until(hello_by) => false,
    };
    if !said_something {
        return;
    }
    // Heard in the same poll that read the bytes: no eviction can come between.
    peer.permit.heard();
    // With a token, the connection is announced only once its hello proved it (see `read_lines`).
    if config.token.is_none()
        && !emit(ReceiverEvent::Connected {
            conn,
            peer: peer.addr,
        })
        .await
    {
        return;
    }
    let gated = config.token.is_some();
    let announced = std::sync::atomic::AtomicBool::new(!gated);
    let ending = read_lines(&peer, reader, hello_by, &config, &emit, &announced).await;
    let reason = match ending {
        Ending::Clean => None,
        Ending::Lost(r) => Some(r),
        Ending::Abandoned | Ending::Refused => return,
    };
    if !announced.load(Ordering::Relaxed) {
        // Never announced: it must not be reported gone either.
        return;
    }
    let _ = emit(ReceiverEvent::Disconnected { conn, reason }).await;
}

/// Reads, parses and passes on lines until the peer closes; or until it is evicted, misses the hello deadline, or
/// sends nothing but bad lines.
async fn read_lines<F, Fut>(
    peer: &Peer,
    mut reader: BufReader<tokio::net::TcpStream>,
    hello_by: tokio::time::Instant,
    config: &ReceiverConfig,
    emit: &F,
    announced: &std::sync::atomic::AtomicBool,
) -> Ending
where
    F: Fn(ReceiverEvent) -> Fut,
    Fut: std::future::Future<Output = bool>,
{
    let mut framer = LineFramer::new(config.max_line);
    let mut line_no = 0u64;
    let mut bad_in_a_row = 0u32;
    let mut proven = false;
    let deadline = tokio::time::sleep_until(hello_by);
    tokio::pin!(deadline);
    loop {
        let read = tokio::select! {
            // Polled first, so a peer that keeps sending cannot delay its own eviction or deadline. Neither applies
            // once the peer has sent its hello.
            biased;
            _ = peer.permit.evicted(), if !proven => {
                return Ending::Lost(format!(
                    "closed to make room for a newer connection ({} open, the limit, and this one had sent no hello)",
                    config.max_peers
                ));
            }
            _ = &mut deadline, if !proven => {
                return Ending::Lost(format!(
                    "closed: no valid hello within {} s",
                    config.hello_timeout.as_secs_f32()
                ));
            }
            // Cancelling a read part way loses the partial line, which is fine: the connection is closing.
            r = framer.next(&mut reader) => r,
        };
        let frame = match read {
            Ok(f) => f,
            Err(e) => return Ending::Lost(format!("read error: {e}")),
        };
        line_no += 1;
        let ev = match frame_event(peer, line_no, frame, &framer, config) {
            Step::Event(ev) => ev,
            Step::Skip => continue,
            Step::End(ending, last) => {
                if let Some(ev) = last {
                    let _ = emit(ev).await;
                }
                return ending;
            }
        };
        if matches!(&ev, ReceiverEvent::Message { msg, .. } if matches!(**msg, Message::Hello(_))) {
            // With a token, the peer is announced only now that its hello has passed the check.
            if config.token.is_some() && !announced.load(Ordering::Relaxed) {
                if !emit(ReceiverEvent::Connected {
                    conn: peer.conn,
                    peer: peer.addr,
                })
                .await
                {
                    return Ending::Abandoned;
                }
                announced.store(true, Ordering::Relaxed);
            }
            if !proven {
                proven = true;
                peer.permit.prove();
            }
        }
        bad_in_a_row = count_bad(peer, &ev, bad_in_a_row);
        // Before a token-checked hello, nothing of the peer reaches the consumer.
        if announced.load(Ordering::Relaxed) && !emit(ev).await {
            return Ending::Abandoned;
        }
        if config.max_bad_lines > 0 && bad_in_a_row >= config.max_bad_lines {
            return Ending::Lost(format!(
                "closed after {bad_in_a_row} bad lines in a row (is it speaking protocol v1?)"
            ));
        }
    }
}

/// What the reader does with one framed line.
enum Step {
    Event(ReceiverEvent),
    /// A blank line.
    Skip,
    /// The connection ends, after this last event when there is one.
    End(Ending, Option<ReceiverEvent>),
}

fn frame_event(
    peer: &Peer,
    line_no: u64,
    frame: Frame,
    framer: &LineFramer,
    config: &ReceiverConfig,
) -> Step {
    let conn = peer.conn;
    match frame {
        Frame::Eof => Step::End(Ending::Clean, None),
        Frame::TruncatedAtEof { bytes } => Step::End(
            Ending::Lost("closed mid-line".to_owned()),
            Some(ReceiverEvent::BadLine {
                conn,
                line: line_no,
                error: format!("connection closed in the middle of a line ({bytes} bytes dropped)"),
                bytes,
            }),
        ),
        Frame::Oversize { seen } => Step::Event(ReceiverEvent::BadLine {
            conn,
            line: line_no,
            error: format!(
                "line longer than the {}-byte cap ({seen}+ bytes): skipped",
                config.max_line
            ),
            bytes: seen,
        }),
        Frame::Line => match line_event(peer, line_no, framer.line(), config) {
            Line::Blank => Step::Skip,
            Line::WrongToken => Step::End(Ending::Refused, None),
            Line::Event(ev) => Step::Event(ev),
        },
    }
}

/// Bad lines in a row after `ev`; each is logged (rate-limited per peer).
fn count_bad(peer: &Peer, ev: &ReceiverEvent, in_a_row: u32) -> u32 {
    let ReceiverEvent::BadLine { line, error, .. } = ev else {
        return 0;
    };
    if let Ok(mut log) = peer.bad_lines.lock() {
        log.warn(|| format!("receiver: {} line {line}: {error}", peer.addr));
    }
    in_a_row + 1
}

/// What one line of a connection becomes.
enum Line {
    /// Blank: skipped without a word.
    Blank,
    Event(ReceiverEvent),
    /// A hello without the token the receiver was started with: the connection is refused.
    WrongToken,
}

/// Parses one line into its event. A hello's token is checked here and goes no further.
fn line_event(peer: &Peer, line_no: u64, line: &[u8], config: &ReceiverConfig) -> Line {
    let (conn, bytes) = (peer.conn, line.len() + 1);
    if line.iter().all(u8::is_ascii_whitespace) {
        return Line::Blank;
    }
    let raw = config.keep_raw.then(|| line.to_vec());
    Line::Event(match protocol::parse_line(line) {
        Ok(Parsed::Message {
            mut msg,
            unknown_fields,
        }) => {
            if let Message::Hello(h) = &mut msg {
                let given = h.token.take();
                if let Some(want) = &config.token
                    && !given.as_deref().is_some_and(|g| same_secret(g, want))
                {
                    let why = if given.is_some() { "wrong" } else { "missing" };
                    tracing::warn!(
                        "receiver: refused {}: {why} token in its hello (the widget's token setting must match the overlay's)",
                        peer.addr
                    );
                    return Line::WrongToken;
                }
            }
            ReceiverEvent::Message {
                conn,
                msg: Box::new(msg),
                bytes,
                unknown_fields,
                raw,
            }
        }
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
    })
}

/// Whether the peer has already sent something, without waiting and without taking it from the socket.
fn has_bytes_waiting(stream: &tokio::net::TcpStream) -> bool {
    let mut one = [std::mem::MaybeUninit::<u8>::uninit(); 1];
    // The socket is non-blocking (tokio's): nothing there is WouldBlock, not a wait.
    matches!(socket2::SockRef::from(stream).peek(&mut one), Ok(n) if n > 0)
}
