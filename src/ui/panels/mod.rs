//! The overlay's panels. Each reads the model and draws; none keeps state except the graphs' line cache.

pub mod army;
pub mod graphs;
pub mod layout;
pub mod production;
pub mod scoreboard;
pub mod settings;
pub mod status;
