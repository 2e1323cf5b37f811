//! A simulated game turned straight into receiver events, without sockets or real time: how the UI tests, the
//! snapshot images and the UI benchmark build a realistic model quickly (the same `World` and `Encoder` that
//! `simulate` streams over TCP).

use crate::protocol::Detail;
use crate::receiver::ReceiverEvent;
use crate::senders::simulate::{Encoder, World};

/// Plays `seconds` of a `teams`-team game at one snapshot per game second into `sink`, starting with the
/// connection and the hello, as the receiver would deliver them.
pub fn play(teams: u32, units: u32, seconds: f64, seed: u64, mut sink: impl FnMut(ReceiverEvent)) {
    let mut world = World::new(seed, teams.clamp(1, 16), units.max(1), seconds.max(60.0));
    let mut enc = Encoder::new(Detail::Standard, 1.0, seed);
    let conn = 1;
    sink(ReceiverEvent::Connected {
        conn,
        peer: std::net::SocketAddr::from(([127, 0, 0, 1], 50000)),
    });
    let msg = |m| ReceiverEvent::Message {
        conn,
        msg: Box::new(m),
        bytes: 0,
        unknown_fields: 0,
        raw: None,
    };
    sink(msg(enc.hello(&world)));
    let frames = (seconds * 30.0).round() as u32;
    let every = enc.frames_per_snapshot();
    while world.frame < frames {
        world.step();
        if world.frame.is_multiple_of(every) {
            sink(msg(enc.snapshot(&mut world)));
        }
    }
}
