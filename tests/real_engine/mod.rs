//! Support for `tests/engine_real.rs`: run the LiveTest game in the real engine, read its ground truth, check the
//! stream and the overlay's model against it.
#![allow(dead_code)]

pub mod check;
pub mod orders;
pub mod run;
pub mod truth;
