//! Every integration test in one binary (the real-engine tests are their own, tests/engine_real.rs): one link of
//! the GUI stack instead of one per file. Each file is a module; `common` holds what they share (the binary's path
//! and port, golden files, the browser).

mod cli;
mod common;
mod delay;
mod export;
mod feed_source;
mod fuzz;
mod limits;
mod model_army;
mod model_stats;
mod peers;
mod pipeline_tcp;
mod protocol_golden;
mod receiver_tcp;
mod relay;
mod shutdown;
mod sim_units;
mod ui_panels;
mod ui_players;
mod ui_snapshots;
mod web;
mod web_browser;
mod widget_install;
mod widget_integration;
