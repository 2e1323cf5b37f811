//! A cap on concurrent connections, shared by every listener (the receiver, the relay, web pages), and the shared
//! secret's comparison they all make.
//!
//! A listener asks [`Peers::admit`] for each accepted socket and keeps the [`Permit`] as long as the connection
//! lives. A peer is *unproven* until its listener calls [`Permit::prove`] (the receiver: a valid hello; the relay:
//! at once). When the cap is reached a newcomer takes the place of the oldest unproven peer, which is told through
//! [`Permit::evicted`] and closed; only when every peer is proven is the newcomer refused. So a flood of idle or
//! garbage connections can hold no slot for long, and a real sender, which proves itself with its first line, always
//! gets in.
//!
//! Among unproven peers the silent ones go first: a peer that has sent bytes ([`Permit::heard`]) may be in the middle
//! of a long first line (a hello with every unit def is hundreds of KB), while an idle one has nothing to lose.

use crate::logging::Throttled;
use std::net::SocketAddr;
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::Duration;
use tokio::sync::Notify;

/// How often at most the cap's log line is written; the lines between are counted into the next one.
const LOG_EVERY: Duration = Duration::from_secs(5);

struct Slot {
    id: u64,
    peer: SocketAddr,
    proven: bool,
    heard: bool,
    evict: Arc<Notify>,
}

struct Inner {
    slots: Vec<Slot>,
    next_id: u64,
    log: Throttled,
}

/// The connections of one listener. Cheap to clone; clones share the count.
#[derive(Clone)]
pub struct Peers {
    /// Says whose cap it is in the log line: "receiver", "relay", "web".
    name: &'static str,
    max: usize,
    inner: Arc<Mutex<Inner>>,
}

/// What [`Peers::admit`] did with a newcomer.
pub enum Admission {
    Admitted(Permit),
    /// Every slot is held by a proven peer.
    Refused,
}

impl Peers {
    pub fn new(name: &'static str, max: usize) -> Peers {
        Peers {
            name,
            max: max.max(1),
            inner: Arc::new(Mutex::new(Inner {
                slots: Vec::new(),
                next_id: 0,
                log: Throttled::new(LOG_EVERY),
            })),
        }
    }

    fn lock(&self) -> MutexGuard<'_, Inner> {
        // The data stays consistent whatever panicked while holding the lock: every change is one push or remove.
        self.inner.lock().unwrap_or_else(|e| e.into_inner())
    }

    pub fn max(&self) -> usize {
        self.max
    }

    /// Connections holding a permit now.
    pub fn len(&self) -> usize {
        self.lock().slots.len()
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Lets `peer` in if there is room, making room by evicting the oldest unproven peer if need be.
    pub fn admit(&self, peer: SocketAddr) -> Admission {
        let mut inner = self.lock();
        let mut evicted = None;
        if inner.slots.len() >= self.max {
            let silent = inner.slots.iter().position(|s| !s.proven && !s.heard);
            match silent.or_else(|| inner.slots.iter().position(|s| !s.proven)) {
                Some(i) => {
                    let old = inner.slots.remove(i);
                    old.evict.notify_one();
                    evicted = Some(old.peer);
                }
                None => {
                    inner.log.warn(|| {
                        format!(
                            "{}: {} connections open (the limit), all of them established; refused {peer}",
                            self.name, self.max
                        )
                    });
                    return Admission::Refused;
                }
            }
        }
        if let Some(old) = evicted {
            inner.log.warn(|| {
                format!(
                    "{}: {} connections open (the limit); closed {old}, the oldest that had not yet proven itself, \
                     to let {peer} in",
                    self.name, self.max
                )
            });
        }
        let id = inner.next_id;
        inner.next_id += 1;
        let evict = Arc::new(Notify::new());
        inner.slots.push(Slot {
            id,
            peer,
            proven: false,
            heard: false,
            evict: evict.clone(),
        });
        Admission::Admitted(Permit {
            peers: self.clone(),
            id,
            evict,
        })
    }
}

/// A connection's place under the cap, given back when dropped.
pub struct Permit {
    peers: Peers,
    id: u64,
    evict: Arc<Notify>,
}

impl Permit {
    /// The peer has shown it is what the listener serves: a newcomer can no longer take its place.
    pub fn prove(&self) {
        let mut inner = self.peers.lock();
        if let Some(s) = inner.slots.iter_mut().find(|s| s.id == self.id) {
            s.proven = true;
        }
    }

    /// The peer has sent something: silent peers are evicted before it.
    pub fn heard(&self) {
        let mut inner = self.peers.lock();
        if let Some(s) = inner.slots.iter_mut().find(|s| s.id == self.id) {
            s.heard = true;
        }
    }

    /// Resolves once a newcomer has taken this connection's place: close it then.
    pub async fn evicted(&self) {
        self.evict.notified().await
    }

    /// The same as [`Permit::evicted`], as a value for code that polls by hand (an `AsyncRead` wrapper).
    pub fn eviction(&self) -> Eviction {
        Eviction(Box::pin(self.evict.clone().notified_owned()))
    }
}

/// See [`Permit::eviction`].
pub struct Eviction(std::pin::Pin<Box<tokio::sync::futures::OwnedNotified>>);

impl Eviction {
    /// Ready once the connection has been evicted; registers the task to be woken then.
    pub fn poll(&mut self, cx: &mut std::task::Context<'_>) -> std::task::Poll<()> {
        self.0.as_mut().poll(cx)
    }
}

impl Drop for Permit {
    fn drop(&mut self) {
        let mut inner = self.peers.lock();
        if let Some(i) = inner.slots.iter().position(|s| s.id == self.id) {
            inner.slots.remove(i);
        }
    }
}

/// Compares without stopping at the first difference, so timing tells nothing about the token.
pub fn same_secret(a: &str, b: &str) -> bool {
    let (a, b) = (a.as_bytes(), b.as_bytes());
    a.len() == b.len() && a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

#[cfg(test)]
mod tests {
    use super::*;

    fn addr(port: u16) -> SocketAddr {
        SocketAddr::from(([127, 0, 0, 1], port))
    }

    fn admitted(a: Admission) -> Permit {
        match a {
            Admission::Admitted(p) => p,
            Admission::Refused => panic!("refused"),
        }
    }

    #[tokio::test]
    async fn a_newcomer_replaces_the_oldest_unproven_and_never_a_proven_peer() {
        let peers = Peers::new("test", 2);
        let proven = admitted(peers.admit(addr(1)));
        proven.prove();
        let idle = admitted(peers.admit(addr(2)));
        let newcomer = admitted(peers.admit(addr(3)));
        assert_eq!(peers.len(), 2);
        // The idle one was told to go; the proven one was not.
        tokio::time::timeout(Duration::from_secs(1), idle.evicted())
            .await
            .expect("the oldest unproven peer is evicted");
        assert!(
            tokio::time::timeout(Duration::from_millis(50), proven.evicted())
                .await
                .is_err()
        );
        drop(idle);
        assert_eq!(peers.len(), 2, "an evicted permit is no longer counted");
        newcomer.prove();
        assert!(matches!(peers.admit(addr(4)), Admission::Refused));
        drop(proven);
        assert_eq!(peers.len(), 1);
        let _again = admitted(peers.admit(addr(5)));
        assert_eq!(peers.len(), 2);
    }

    #[tokio::test]
    async fn a_silent_peer_goes_before_one_that_has_sent_bytes() {
        let peers = Peers::new("test", 2);
        let talking = admitted(peers.admit(addr(1)));
        talking.heard();
        let silent = admitted(peers.admit(addr(2)));
        let newcomer = admitted(peers.admit(addr(3)));
        tokio::time::timeout(Duration::from_secs(1), silent.evicted())
            .await
            .expect("the silent peer is evicted although it is younger");
        assert!(
            tokio::time::timeout(Duration::from_millis(50), talking.evicted())
                .await
                .is_err(),
            "the peer in the middle of its first line stays"
        );
        drop(silent);
        newcomer.prove();
        // With no silent peer left, the oldest unproven goes.
        let _another = admitted(peers.admit(addr(4)));
        tokio::time::timeout(Duration::from_secs(1), talking.evicted())
            .await
            .expect("then the oldest unproven");
    }
}
