//! warroom: a terminal incident war-room console for cloud mail outages.

pub mod domain;
pub mod trace;
