//! The relay: every accepted line of the game's connection, passed on raw to any number of other programs (a second
//! overlay, a browser source, a Python script) on a port of their own, so they can run beside the overlay.
//!
//! A client that connects mid-game first gets the game's hello and a full snapshot made from a model of the game
//! kept here, then the live lines, so its view is consistent from its first line on. The game's connection never
//! waits for a relay client: each has a queue bounded in bytes, and a client that lets it fill is dropped (it may
//! reconnect, and is caught up again).
//!
//! It sees every connection's lines (through [`LineTap`], from the model's hub, or straight from `listen` and
//! `record`) and picks the game's connection by the same rule as `model::Feed`.
//!
//! With a stream delay the relay is held: passing the live game on would defeat the delay (a delayed overlay exists so
//! that nothing leaves the process sooner), and holding 600 s of raw lines does not fit the memory budget. While held
//! it keeps its model current but sends nothing: its clients are dropped and newcomers refused, each with a log line;
//! once the delay is back to 0 they may connect and are caught up as usual.

use crate::model::{Game, LineTap};
use crate::peers::{Admission, Peers, Permit};
use crate::protocol::{self, Event, EventKind, Hello, Message, SCHEMA_VERSION};
use crate::receiver::{ConnId, ReceiverEvent};
use std::collections::HashMap;
use std::net::SocketAddr;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, MutexGuard};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::sync::mpsc;

/// Bytes a relay client may fall behind by before it is dropped. Bytes rather than lines because a line may be a few
/// hundred bytes or half a MiB; 64 MiB is over ten seconds of the heaviest stream (5000 units) and minutes of a
/// usual one, so only a stuck client hits it, or one reading a `--speed max` stream slower than it comes.
pub const RELAY_QUEUE_BYTES: usize = 64 * 1024 * 1024;
/// Relay clients at once; past it newcomers are refused (see [`crate::peers`]).
pub const MAX_RELAY_CLIENTS: usize = 16;

type Line = Arc<[u8]>;

struct Client {
    peer: SocketAddr,
    tx: mpsc::UnboundedSender<Line>,
    /// Bytes sent to `tx` that the writer has not yet written.
    queued: Arc<AtomicUsize>,
    writer: tokio::task::AbortHandle,
}

impl Client {
    /// Queues a line; false when the client is gone or too far behind.
    fn send(&self, line: &Line, cap: usize) -> bool {
        if self.queued.load(Ordering::Relaxed) + line.len() > cap {
            tracing::warn!(
                "relay: {} fell more than {} MiB behind and was dropped (it may reconnect)",
                self.peer,
                cap >> 20
            );
            self.writer.abort();
            return false;
        }
        self.queued.fetch_add(line.len(), Ordering::Relaxed);
        self.tx.send(line.clone()).is_ok()
    }
}

/// What the relay knows, shared by the game's connection tasks and the relay's accept loop (one runtime thread, so
/// the lock is never contended for long and never held across an await).
#[derive(Default)]
struct State {
    /// The connection whose lines are relayed; the same rule as `model::Feed`, so relay clients see what the overlay
    /// models.
    source: Option<ConnId>,
    /// Each connection's hello, so one that takes over mid-stream can be described first.
    hellos: HashMap<ConnId, Hello>,
    /// The hello line relay clients were last sent: what a newcomer gets first.
    hello_line: Option<Line>,
    game: Game,
    clients: Vec<Client>,
    queue_cap: usize,
    /// The overlay is delayed: send nothing (see the module's doc).
    held: bool,
}

/// Why the relay could not start. One line that says what to do.
#[derive(Debug, thiserror::Error)]
pub enum RelayError {
    #[error(
        "cannot open the relay port {addr}: the address is already in use (choose another relay port, or stop the program using it)"
    )]
    InUse { addr: SocketAddr },
    #[error("cannot open the relay port {addr}: {source}")]
    Bind {
        addr: SocketAddr,
        source: std::io::Error,
    },
}

#[derive(Clone)]
pub struct Relay {
    state: Arc<Mutex<State>>,
    addr: SocketAddr,
}

impl Relay {
    /// Binds `addr` now (so a busy port is the caller's error) and accepts relay clients on `runtime` until it stops.
    pub fn start(
        addr: SocketAddr,
        queue_cap: usize,
        runtime: &tokio::runtime::Handle,
    ) -> Result<Relay, RelayError> {
        let err = |source: std::io::Error| match source.kind() {
            std::io::ErrorKind::AddrInUse => RelayError::InUse { addr },
            _ => RelayError::Bind { addr, source },
        };
        let std_listener = std::net::TcpListener::bind(addr).map_err(err)?;
        let local = std_listener.local_addr().map_err(err)?;
        std_listener.set_nonblocking(true).map_err(err)?;
        let relay = Relay {
            state: Arc::new(Mutex::new(State {
                queue_cap: queue_cap.max(1),
                ..State::default()
            })),
            addr: local,
        };
        let accepting = relay.clone();
        runtime.spawn(async move {
            // from_std needs the runtime's reactor, so it runs inside the task.
            match tokio::net::TcpListener::from_std(std_listener) {
                Ok(l) => accepting.serve(l).await,
                Err(e) => tracing::error!("relay: cannot use the relay socket: {e}"),
            }
        });
        Ok(relay)
    }

    /// Where relay clients connect.
    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// Passes one receiver event on: lines of the game's connection go out, a closed connection is forgotten.
    pub fn observe(&self, ev: &ReceiverEvent) {
        match ev {
            ReceiverEvent::Message {
                conn,
                msg,
                raw: Some(raw),
                ..
            } => self.forward(*conn, raw, Some(msg)),
            ReceiverEvent::UnknownType {
                conn,
                raw: Some(raw),
                ..
            } => self.forward(*conn, raw, None),
            ReceiverEvent::Disconnected { conn, .. } => self.closed(*conn),
            _ => {}
        }
    }

    /// Lets every client's writer send what is queued, for up to `timeout`, and stops taking lines: for a program that
    /// is about to exit (`record --until-bye`), whose runtime would otherwise cancel the writers mid-queue and cut the
    /// end of the game (its `bye` included) from the relay's clients.
    pub fn drain(&self, timeout: std::time::Duration) {
        let clients: Vec<Client> = {
            let mut st = self.lock();
            st.held = true;
            st.clients.drain(..).collect()
        };
        let deadline = std::time::Instant::now() + timeout;
        // Dropping the senders ends each writer once its queue is written (or its client is gone).
        let writers: Vec<tokio::task::AbortHandle> =
            clients.into_iter().map(|c| c.writer).collect();
        while writers.iter().any(|w| !w.is_finished()) && std::time::Instant::now() < deadline {
            std::thread::sleep(std::time::Duration::from_millis(5));
        }
    }

    /// Holds the relay while the overlay is delayed (see the module's doc).
    pub fn hold(&self, held: bool) {
        let mut st = self.lock();
        if st.held == held {
            return;
        }
        st.held = held;
        if held {
            for c in st.clients.drain(..) {
                tracing::warn!(
                    "relay: {} dropped: the overlay is delayed, and the relay passes on only the live game",
                    c.peer
                );
                c.writer.abort();
            }
        }
    }

    fn lock(&self) -> MutexGuard<'_, State> {
        // A panic elsewhere while holding the lock leaves plain data behind; carrying on is safe.
        self.state.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Called for every accepted line, in order. `msg` is `None` for a well-formed line of a type this version does
    /// not know: relayed, not modelled.
    fn forward(&self, conn: ConnId, raw: &[u8], msg: Option<&Message>) {
        let mut st = self.lock();
        if let Some(Message::Hello(h)) = msg {
            st.hellos.insert(conn, h.clone());
        }
        if st.source.is_none() {
            st.source = Some(conn);
            if !matches!(msg, Some(Message::Hello(_)))
                && let Some(mut h) = st.hellos.get(&conn).cloned()
            {
                // Taking over mid-stream: as the Feed does, describe the game first, as of now.
                let frame = msg.and_then(Message::game_frame).unwrap_or(0);
                h.game_frame = h.game_frame.max(frame);
                let hello = Message::Hello(h);
                let line = encode(&hello);
                st.game.apply(hello);
                st.hello_line = Some(line.clone());
                st.broadcast(&line);
            }
        }
        if st.source != Some(conn) {
            return;
        }
        // A hello that carried a token (a two-PC setup) goes on without it: the secret stays in the overlay.
        let line: Line = match msg {
            Some(hello @ Message::Hello(_))
                if memchr::memmem::find(raw, b"\"token\"").is_some() =>
            {
                encode(hello)
            }
            _ => {
                let mut line = Vec::with_capacity(raw.len() + 1);
                line.extend_from_slice(raw);
                line.push(b'\n');
                line.into()
            }
        };
        if let Some(msg) = msg {
            if matches!(msg, Message::Hello(_)) {
                st.hello_line = Some(line.clone());
            }
            st.game.apply(msg.clone());
        }
        st.broadcast(&line);
    }

    fn closed(&self, conn: ConnId) {
        let mut st = self.lock();
        st.hellos.remove(&conn);
        if st.source == Some(conn) {
            st.source = None;
        }
    }

    /// Accepts relay clients, at most [`MAX_RELAY_CLIENTS`] at once, until the runtime shuts down.
    async fn serve(self, listener: tokio::net::TcpListener) {
        let clients = Peers::new("relay", MAX_RELAY_CLIENTS);
        loop {
            match listener.accept().await {
                Ok((stream, peer)) => {
                    // Relay clients only read, so there is nothing to prove: the first come keep their place and
                    // newcomers past the cap are refused (closed), which `admit` logs.
                    let Admission::Admitted(permit) = clients.admit(peer) else {
                        continue;
                    };
                    permit.prove();
                    let _ = stream.set_nodelay(true);
                    self.add(stream, peer, permit);
                }
                Err(e) => {
                    tracing::warn!("relay: accept failed: {e}");
                    tokio::time::sleep(std::time::Duration::from_millis(100)).await;
                }
            }
        }
    }

    fn add(&self, stream: tokio::net::TcpStream, peer: SocketAddr, permit: Permit) {
        let (tx, rx) = mpsc::unbounded_channel();
        let queued = Arc::new(AtomicUsize::new(0));
        let writer =
            tokio::spawn(write_lines(stream, rx, queued.clone(), peer, permit)).abort_handle();
        let client = Client {
            peer,
            tx,
            queued,
            writer,
        };
        let mut st = self.lock();
        if st.held {
            tracing::warn!(
                "relay: {peer} refused: the overlay is delayed, and the relay passes on only the live game"
            );
            client.writer.abort();
            return;
        }
        let cap = st.queue_cap;
        // Under the same lock as `forward`: nothing can come between the catch-up and the live lines.
        if let Some(hello) = st.hello_line.clone() {
            client.send(&hello, cap);
            // Teams described differently since that hello (a player resigned or dropped: protocol 1.1).
            for team in st.game.teams.values() {
                let now = team.to_info();
                let in_hello = st
                    .source
                    .and_then(|c| st.hellos.get(&c))
                    .and_then(|h| h.teams.iter().find(|t| t.team_id == team.id));
                let same = in_hello.is_some_and(|h| {
                    (&h.name, &h.faction, &h.players, &h.ai)
                        == (&now.name, &now.faction, &now.players, &now.ai)
                });
                if !same {
                    let ev = Message::Event(Event {
                        schema_version: SCHEMA_VERSION.to_owned(),
                        game_frame: st.game.frame,
                        kind: EventKind::TeamChanged { team: now },
                    });
                    client.send(&encode(&ev), cap);
                }
            }
            let full = Message::Snapshot(st.game.to_full_snapshot());
            client.send(&encode(&full), cap);
            if let Some(over) = &st.game.over {
                let ev = Message::Event(Event {
                    schema_version: SCHEMA_VERSION.to_owned(),
                    game_frame: over.frame,
                    kind: EventKind::GameOver {
                        winners: over.winners.clone(),
                    },
                });
                client.send(&encode(&ev), cap);
            }
        }
        tracing::info!("relay: {peer} connected");
        st.clients.push(client);
    }
}

impl LineTap for Relay {
    fn event(&self, ev: &ReceiverEvent) {
        self.observe(ev);
    }
    fn hold(&self, held: bool) {
        Relay::hold(self, held);
    }
}

impl State {
    fn broadcast(&mut self, line: &Line) {
        if self.held {
            return;
        }
        let cap = self.queue_cap;
        self.clients.retain(|c| c.send(line, cap));
    }
}

fn encode(msg: &Message) -> Line {
    protocol::encode_line(msg).into()
}

async fn write_lines(
    stream: tokio::net::TcpStream,
    mut rx: mpsc::UnboundedReceiver<Line>,
    queued: Arc<AtomicUsize>,
    peer: SocketAddr,
    // Held while the client is served; dropped (the slot freed) however the task ends, aborts included.
    _permit: Permit,
) {
    let (mut from_client, mut to_client) = stream.into_split();
    // Relay clients only read; watching their side too notices one that left while the game is quiet, so its slot
    // under the cap is freed without waiting for the next line to fail.
    let mut scratch = [0u8; 512];
    loop {
        tokio::select! {
            line = rx.recv() => {
                let Some(line) = line else { return };
                if let Err(e) = to_client.write_all(&line).await {
                    tracing::info!("relay: {peer} gone: {e}");
                    return;
                }
                queued.fetch_sub(line.len(), Ordering::Relaxed);
            }
            read = from_client.read(&mut scratch) => {
                if matches!(read, Ok(0) | Err(_)) {
                    tracing::info!("relay: {peer} left");
                    return;
                }
            }
        }
    }
}
