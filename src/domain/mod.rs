//! Pure types and rules. Nothing here does I/O or imports from the rest of the crate.

pub mod channels;
pub mod close_record;
pub mod closing;
pub mod comms;
pub mod entry_text;
pub mod event;
pub mod evidence;
pub mod followup;
pub mod handoff;
pub mod health;
pub mod incident;
pub mod marker;
pub mod playbook;
pub mod queue;
pub mod review;
pub mod stats;
pub mod team_config;
pub mod text;
pub mod time;
pub mod toml_errors;
pub mod trace;
pub mod trace_breakdown;
pub mod trace_query;
pub mod tracker;
pub mod updates;
pub mod vocab;
