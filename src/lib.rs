//! BAR Live Overlay: the live game of Beyond All Reason, as streamed by the `export_livedata` widget (protocol v1,
//! see SCHEMA.md), received, modelled and shown.
//!
//! Data flows one way: socket -> [`receiver`] -> channel -> [`model`] -> `ui` panels. The headless [`tools`] use the
//! same pieces.

pub mod protocol;
pub mod model;
pub mod receiver;
