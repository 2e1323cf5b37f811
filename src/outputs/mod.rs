//! What the overlay passes on besides its window, above the model on the data path: the [`relay`] (the game's lines
//! to other programs) and the [`web`] pages (OBS browser sources). Outputs read the model; the model and the receiver
//! know nothing of them.

pub mod relay;
pub mod web;
