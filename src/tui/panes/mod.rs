//! One module per pane: its key handling and its part of `update`. Each uses the state
//! (`super::state`), never `update` itself.

pub mod closing;
pub mod evidence;
pub mod health;
pub mod markers;
pub mod playbook;
pub mod review;
pub mod timeline;
pub mod trace;
pub mod updates;
