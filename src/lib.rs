//! BAR Live Overlay: the live game of Beyond All Reason, as streamed by the `export_livedata` widget (protocol v1,
//! see SCHEMA.md), received, modelled and shown.
//!
//! Data flows one way: socket -> [`receiver`] -> channel -> [`model`] (the hub's feed) -> [`ui`] panels and
//! [`outputs`] (relay, web pages). No module imports one that sits after it on that path. The headless [`tools`]
//! (`listen`, `record`, `simulate`, `replay`, `summary`, `serve`) use the same pieces.

pub mod cli;
pub mod ingest;
pub mod install;
pub mod logging;
pub mod model;
pub mod outputs;
pub mod peers;
pub mod protocol;
pub mod receiver;
pub mod senders;
pub mod shutdown;
pub mod station;
pub mod tools;
pub mod ui;
