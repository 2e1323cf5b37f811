//! `bar-overlay serve` as a user runs it, fed by `simulate`, and a plain HTTP client for it.

use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpStream;
use std::process::{Child, Command, Stdio};
use std::sync::{Arc, Mutex};
use std::time::Duration;

pub const BIN: &str = env!("CARGO_BIN_EXE_bar-overlay");

/// A running `serve`; killed when dropped. Its stderr after the port lines is collected in `log`.
pub struct Serve {
    child: Child,
    pub port: u16,
    pub web: u16,
    pub log: Arc<Mutex<String>>,
    /// The game token serve was started with (`--token`): `simulate` sends it in its hello.
    token: Option<String>,
}

fn port_of(line: &str) -> u16 {
    line.split_whitespace()
        .find_map(|w| w.trim_end_matches('/').rsplit(':').next()?.parse().ok())
        .unwrap_or_else(|| panic!("no port in {line:?}"))
}

impl Serve {
    pub fn start(extra: &[&str]) -> Serve {
        let mut child = Command::new(BIN)
            .args(["serve", "--port", "0", "--web-port", "0"])
            .args(extra)
            .stdout(Stdio::null())
            .stderr(Stdio::piped())
            .spawn()
            .expect("spawn serve");
        let mut err = BufReader::new(child.stderr.take().expect("stderr"));
        let mut first = String::new();
        let mut second = String::new();
        err.read_line(&mut first).expect("first line");
        err.read_line(&mut second).expect("second line");
        assert!(first.starts_with("listening on "), "{first}");
        assert!(second.starts_with("web pages on http://"), "{second}");
        let log = Arc::new(Mutex::new(String::new()));
        let sink = log.clone();
        std::thread::spawn(move || {
            for line in err.lines().map_while(Result::ok) {
                if let Ok(mut l) = sink.lock() {
                    l.push_str(&line);
                    l.push('\n');
                }
            }
        });
        let token = extra
            .iter()
            .position(|a| *a == "--token")
            .and_then(|i| extra.get(i + 1))
            .map(|t| t.to_string());
        Serve {
            child,
            token,
            port: port_of(&first),
            web: port_of(&second),
            log,
        }
    }

    pub fn url(&self, path: &str) -> String {
        format!("http://127.0.0.1:{}{path}", self.web)
    }

    /// `simulate` into this server at game speed (`speed` 1) or faster.
    pub fn simulate(&self, seconds: u32, speed: &str, teams: u32) -> Child {
        Command::new(BIN)
            .args(["simulate", "--to", &format!("127.0.0.1:{}", self.port)])
            .args(["--seconds", &seconds.to_string(), "--speed", speed])
            .args(["--teams", &teams.to_string(), "--units", "400"])
            .args(self.token.iter().flat_map(|t| ["--token", t.as_str()]))
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("spawn simulate")
    }

    pub fn log(&self) -> String {
        self.log.lock().map(|l| l.clone()).unwrap_or_default()
    }

    pub fn pid(&self) -> u32 {
        self.child.id()
    }
}

impl Drop for Serve {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// A GET over a fresh connection: status, headers, body.
pub fn get(port: u16, path: &str) -> (u16, String, String) {
    let mut s = TcpStream::connect(("127.0.0.1", port)).expect("connect");
    s.set_read_timeout(Some(Duration::from_secs(10)))
        .expect("timeout");
    write!(
        s,
        "GET {path} HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n"
    )
    .expect("request");
    let mut raw = Vec::new();
    s.read_to_end(&mut raw).expect("response");
    let text = String::from_utf8_lossy(&raw).into_owned();
    let (head, body) = text.split_once("\r\n\r\n").unwrap_or((&text, ""));
    let status = head
        .split_whitespace()
        .nth(1)
        .and_then(|c| c.parse().ok())
        .unwrap_or(0);
    (status, head.to_owned(), body.to_owned())
}

/// `/api/state` as JSON.
pub fn state(port: u16, token: Option<&str>) -> serde_json::Value {
    let path = match token {
        Some(t) => format!("/api/state?token={t}"),
        None => "/api/state".to_owned(),
    };
    let (status, _, body) = get(port, &path);
    assert_eq!(status, 200, "{body}");
    serde_json::from_str(&body).unwrap_or_else(|e| panic!("{e}: {body:.300}"))
}

/// Polls `/api/state` until `ok` holds, failing after `secs`.
pub fn wait_state(
    port: u16,
    token: Option<&str>,
    secs: u64,
    ok: impl Fn(&serde_json::Value) -> bool,
) -> serde_json::Value {
    let deadline = std::time::Instant::now() + Duration::from_secs(secs);
    loop {
        let s = state(port, token);
        if ok(&s) {
            return s;
        }
        assert!(
            std::time::Instant::now() < deadline,
            "state never got there: {s}"
        );
        std::thread::sleep(Duration::from_millis(100));
    }
}
