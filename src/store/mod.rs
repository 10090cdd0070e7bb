//! Local storage: the incident journals and the incident folders under the data directory.

pub mod fsutil;
pub mod incidents;
pub mod journal;
pub mod summary;
pub mod user_files;
pub mod writer;

pub use incidents::{BrokenIncident, DataDir, IncidentSummary, Listed, Problem, StoreError, Which};
pub use journal::{Journal, JournalError, ReadBatch, ReadWarning, Reader};
