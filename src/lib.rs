//! warroom: a terminal incident war-room console for cloud mail outages.
//!
//! Layers (arrows point down only): `domain` (pure types and rules) ← `store` (the journal) ←
//! `tui` (the console) ← `cli`. See DESIGN.md.

pub mod cli;
pub mod config;
pub mod diag;
pub mod domain;
pub mod drill;
pub mod evidence;
pub mod export;
pub mod health;
pub mod net;
pub mod store;
pub mod team;
pub mod trace;
pub mod tracker;
pub mod tui;
pub mod updates;
