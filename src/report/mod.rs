//! The post-game report: a whole game as one self-contained HTML page (timelines, moments, build orders, tech
//! timings, actions per minute, totals), built beside the model as a recording is read, in memory that does not grow
//! with the recording's length. `tools::report` reads files into it; docs/report.md is the user's side.
//!
//! It sits below the outputs (the web pages serve a finished game's page) and above the model (it reads the model's
//! series and adds the few lines the model does not keep, see [`collect`]).

pub mod collect;
pub mod index;
pub mod live;
pub mod page;
pub mod totals;

pub use collect::Collector;
pub use page::{Entry, Page, Source, render};
