//! The overlay as web pages, for OBS browser sources (docs/obs.md): `/` (the main panels, laid out for a 1920x1080
//! scene), `/scoreboard`, `/graphs`, `/army`, `/status`, `/production`, `/players` (one panel each), `/api/state`,
//! `/api/series`, and `/api/stream` (server-sent events: the state at most 30 times a second, the graphs once a game
//! second).
//!
//! It runs on the receiver's runtime and reads the hub's feed: what it serves is what the window shows, delayed
//! alike. Each change is turned into JSON once, by one publisher task, and every client takes the latest from a
//! `watch`: a slow client skips states instead of queueing them, and one that stops reading is dropped ([`guard`]).
//! Pages, script and style are embedded in the binary; no CDN, no build step.

mod guard;
mod pages;
pub mod state;

pub use guard::{MAX_CONNECTIONS, WRITE_STALL};

use crate::model::Hub;
use crate::peers::same_secret;
use axum::Router;
use axum::extract::{ConnectInfo, Request, State as AxState};
use axum::http::{HeaderValue, StatusCode, header};
use axum::middleware::{self, Next};
use axum::response::sse::{Event, KeepAlive, Sse};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use guard::{GuardedListener, Peer};
use std::convert::Infallible;
use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::{Duration, Instant, SystemTime};
use tokio::sync::watch;

/// Pages get a new state at most this often (30 Hz, the widget's own top rate).
const MIN_INTERVAL: Duration = Duration::from_millis(33);

#[derive(Debug, Clone)]
pub struct WebConfig {
    pub bind: SocketAddr,
    /// Required as `?token=` (or `Authorization: Bearer`) on every request but the static script and style.
    pub token: Option<String>,
    /// The user's stylesheet, served as `/custom.css` and reloaded by the pages when it changes.
    pub custom_css: Option<PathBuf>,
    pub max_connections: usize,
    pub write_stall: Duration,
}

impl WebConfig {
    pub fn new(bind: SocketAddr) -> WebConfig {
        WebConfig {
            bind,
            token: None,
            custom_css: None,
            max_connections: MAX_CONNECTIONS,
            write_stall: WRITE_STALL,
        }
    }
}

/// Why the web server could not start. One line that says what to do.
#[derive(Debug, thiserror::Error)]
pub enum WebError {
    #[error(
        "cannot serve the web pages on {addr}: the address is already in use (choose another --web-port, or stop the program using it)"
    )]
    InUse { addr: SocketAddr },
    #[error("cannot serve the web pages on {addr}: {source}")]
    Bind {
        addr: SocketAddr,
        source: std::io::Error,
    },
}

/// One published state, shared by every client.
struct Update {
    state: Arc<str>,
    series: Arc<str>,
    series_version: u64,
}

#[derive(Clone)]
struct Shared {
    hub: Hub,
    updates: watch::Receiver<Arc<Update>>,
    token: Option<Arc<str>>,
    custom_css: Option<PathBuf>,
    css_version: Arc<std::sync::atomic::AtomicU64>,
}

/// The running web server; dropping it stops serving (open pages reconnect to the next one).
pub struct WebServer {
    addr: SocketAddr,
    tasks: Vec<tokio::task::AbortHandle>,
}

impl Drop for WebServer {
    fn drop(&mut self) {
        for t in &self.tasks {
            t.abort();
        }
    }
}

impl WebServer {
    /// Binds now (so a busy port is the caller's error) and serves on `runtime`.
    pub fn start(
        config: WebConfig,
        hub: Hub,
        runtime: &tokio::runtime::Handle,
    ) -> Result<WebServer, WebError> {
        let addr = config.bind;
        let err = |source: std::io::Error| match source.kind() {
            std::io::ErrorKind::AddrInUse => WebError::InUse { addr },
            _ => WebError::Bind { addr, source },
        };
        let std_listener = std::net::TcpListener::bind(addr).map_err(err)?;
        let local = std_listener.local_addr().map_err(err)?;
        std_listener.set_nonblocking(true).map_err(err)?;

        let empty = Arc::new(Update {
            state: Arc::from("{}"),
            series: Arc::from("{}"),
            series_version: 0,
        });
        let (tx, updates) = watch::channel(empty);
        let shared = Shared {
            hub: hub.clone(),
            updates,
            token: config.token.map(Arc::from),
            custom_css: config.custom_css,
            css_version: Arc::default(),
        };
        let publisher = runtime.spawn(publish(shared.clone(), tx)).abort_handle();
        let app = router(shared);
        let (max, stall) = (config.max_connections, config.write_stall);
        let server = runtime
            .spawn(async move {
                let listener = match tokio::net::TcpListener::from_std(std_listener) {
                    Ok(l) => GuardedListener::new(l, max, stall),
                    Err(e) => {
                        tracing::error!("web: cannot use the socket: {e}");
                        return;
                    }
                };
                let service = app.into_make_service_with_connect_info::<Peer>();
                if let Err(e) = axum::serve(listener, service).await {
                    tracing::error!("web: the server stopped: {e}");
                }
            })
            .abort_handle();
        Ok(WebServer {
            addr: local,
            tasks: vec![publisher, server],
        })
    }

    pub fn addr(&self) -> SocketAddr {
        self.addr
    }
}

fn router(shared: Shared) -> Router {
    let page = |name: &'static str| get(move || async move { pages::page(name) });
    Router::new()
        .route("/", page("all"))
        .route("/scoreboard", page("scoreboard"))
        .route("/graphs", page("graphs"))
        .route("/army", page("army"))
        .route("/status", page("status"))
        .route("/production", page("production"))
        .route("/players", page("players"))
        .route("/overlay.js", get(|| async { pages::script() }))
        .route("/overlay.css", get(|| async { pages::style() }))
        .route("/custom.css", get(custom_css))
        .route("/api/state", get(api_state))
        .route("/api/series", get(api_series))
        .route("/api/stream", get(api_stream))
        .fallback(|| async { (StatusCode::NOT_FOUND, "not found\n") })
        .layer(middleware::from_fn_with_state(shared.clone(), check_token))
        .with_state(shared)
}

/// Turns each change of the hub's feed into JSON once, at most every [`MIN_INTERVAL`]; once a second also without a
/// change, so the link status (live, stale) and custom.css changes reach the pages.
async fn publish(shared: Shared, tx: watch::Sender<Arc<Update>>) {
    let mut changes = shared.hub.changes();
    let mut tick = tokio::time::interval(Duration::from_secs(1));
    tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    let mut series_key = None;
    let mut series: Arc<str> = Arc::from("{}");
    let mut series_version = 0u64;
    let mut css_stamp: Option<SystemTime> = None;
    loop {
        tokio::select! {
            r = changes.changed() => if r.is_err() { return },
            _ = tick.tick() => {
                let stamp = shared
                    .custom_css
                    .as_ref()
                    .and_then(|p| std::fs::metadata(p).and_then(|m| m.modified()).ok());
                if stamp != css_stamp {
                    css_stamp = stamp;
                    shared.css_version.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
                }
            }
        }
        let css = shared
            .css_version
            .load(std::sync::atomic::Ordering::Relaxed);
        let state: Arc<str> = {
            let feed = shared.hub.feed();
            let key = state::series_key(&feed);
            if series_key != Some(key) {
                series_key = Some(key);
                series = Arc::from(state::series_json(&feed));
                series_version += 1;
            }
            Arc::from(state::state_json(&feed, Instant::now(), css))
        };
        let same = {
            let last = tx.borrow();
            *last.state == *state && last.series_version == series_version
        };
        if !same {
            tx.send_replace(Arc::new(Update {
                state,
                series: series.clone(),
                series_version,
            }));
        }
        tokio::time::sleep(MIN_INTERVAL).await;
    }
}

fn json(body: String) -> Response {
    (
        [
            (header::CONTENT_TYPE, "application/json"),
            (header::CACHE_CONTROL, "no-store"),
        ],
        body,
    )
        .into_response()
}

async fn api_state(AxState(s): AxState<Shared>) -> Response {
    let css = s.css_version.load(std::sync::atomic::Ordering::Relaxed);
    let body = state::state_json(&s.hub.feed(), Instant::now(), css);
    json(body)
}

async fn api_series(AxState(s): AxState<Shared>) -> Response {
    let body = state::series_json(&s.hub.feed());
    json(body)
}

/// Server-sent events: `update` events whose data is `{"state":...}`, with `"series":...` added when the graphs
/// changed since this client's last one. The first event carries both.
async fn api_stream(AxState(s): AxState<Shared>) -> impl IntoResponse {
    let mut updates = s.updates.clone();
    updates.mark_changed();
    let stream = futures_util::stream::unfold(
        (updates, 0u64),
        |(mut updates, mut seen_series)| async move {
            updates.changed().await.ok()?;
            let u = updates.borrow_and_update().clone();
            let data = if u.series_version != seen_series {
                seen_series = u.series_version;
                format!(r#"{{"state":{},"series":{}}}"#, u.state, u.series)
            } else {
                format!(r#"{{"state":{}}}"#, u.state)
            };
            let ev = Event::default().event("update").data(data);
            Some((Ok::<_, Infallible>(ev), (updates, seen_series)))
        },
    );
    let mut resp = Sse::new(stream)
        .keep_alive(KeepAlive::new().interval(Duration::from_secs(5)))
        .into_response();
    resp.headers_mut()
        .insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    resp
}

/// The user's stylesheet, read at each request so edits apply without a restart; empty when there is none.
async fn custom_css(AxState(s): AxState<Shared>) -> Response {
    let body = match &s.custom_css {
        // Small and local: read in place rather than bring in tokio's fs.
        Some(p) => std::fs::read_to_string(p).unwrap_or_default(),
        None => String::new(),
    };
    (
        [
            (header::CONTENT_TYPE, "text/css; charset=utf-8"),
            (header::CACHE_CONTROL, "no-store"),
        ],
        body,
    )
        .into_response()
}

/// With a token set, every request but the static script and style must carry it; others are refused with one log
/// line and get nothing of the game.
async fn check_token(
    AxState(s): AxState<Shared>,
    ConnectInfo(Peer(peer)): ConnectInfo<Peer>,
    req: Request,
    next: Next,
) -> Response {
    let Some(token) = &s.token else {
        return next.run(req).await;
    };
    let path = req.uri().path();
    if path == "/overlay.js" || path == "/overlay.css" {
        return next.run(req).await;
    }
    let from_query = req.uri().query().and_then(|q| {
        q.split('&')
            .find_map(|kv| kv.strip_prefix("token="))
            .map(percent_decode)
    });
    let from_header = req
        .headers()
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.strip_prefix("Bearer "))
        .map(str::to_owned);
    let given = from_query.or(from_header);
    if given.as_deref().is_some_and(|g| same_secret(g, token)) {
        return next.run(req).await;
    }
    let why = if given.is_some() { "wrong" } else { "missing" };
    tracing::warn!("web: refused {peer} {path}: {why} token");
    (
        StatusCode::UNAUTHORIZED,
        "this overlay needs its token: add ?token=... to the address\n",
    )
        .into_response()
}

/// `%XX` and `+` in a query value (tokens are usually plain, but a user may paste one with symbols).
fn percent_decode(s: &str) -> String {
    let hex = |c: u8| (c as char).to_digit(16);
    let b = s.as_bytes();
    let mut out = Vec::with_capacity(b.len());
    let mut i = 0;
    while i < b.len() {
        match (
            b[i],
            b.get(i + 1).and_then(|&c| hex(c)),
            b.get(i + 2).and_then(|&c| hex(c)),
        ) {
            (b'%', Some(hi), Some(lo)) => {
                out.push((hi * 16 + lo) as u8);
                i += 3;
            }
            (b'+', _, _) => {
                out.push(b' ');
                i += 1;
            }
            (c, _, _) => {
                out.push(c);
                i += 1;
            }
        }
    }
    String::from_utf8_lossy(&out).into_owned()
}
