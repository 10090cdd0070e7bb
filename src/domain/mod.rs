//! Pure types and rules. Nothing here does I/O or imports from the rest of the crate.

pub mod text;
pub mod trace;
