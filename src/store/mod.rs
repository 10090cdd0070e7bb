//! Local storage: the incident journals and the incident folders under the data directory.

pub mod incidents;
pub mod journal;

pub use incidents::{DataDir, IncidentSummary, StoreError};
pub use journal::{Journal, JournalError, ReadBatch, ReadWarning, Reader};
