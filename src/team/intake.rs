//! Messages read from an incident's stream, turned into journal lines: chunks put together,
//! every event checked ([`super::wire::check_event`]); what fails is dropped with a warning in
//! the log, never in the journal.

use uuid::Uuid;

use super::large::{CHUNK_HEADER, EVENT_HEADER, Reassembler, parse_chunk_header};
use super::stream::Received;
use super::wire::{INCIDENT_HEADER, Rejected, check_event, clip};

/// The receiving side of one incident's stream.
#[derive(Debug)]
pub struct Intake {
    incident: String,
    chunks: Reassembler,
    /// Messages dropped so far.
    pub dropped: usize,
}

impl Intake {
    pub fn new(incident: &str) -> Self {
        Intake {
            incident: incident.to_string(),
            chunks: Reassembler::default(),
            dropped: 0,
        }
    }

    /// The event a message completes, checked: its id and its journal line.
    pub fn take(&mut self, m: &Received) -> Option<(Uuid, Vec<u8>)> {
        match self.check(m) {
            Ok(found) => found,
            Err(why) => {
                self.dropped += 1;
                tracing::warn!(
                    "team: dropped message {} of incident {}'s stream: {why}",
                    m.seq,
                    self.incident
                );
                None
            }
        }
    }

    fn check(&mut self, m: &Received) -> Result<Option<(Uuid, Vec<u8>)>, Rejected> {
        let header = |name: &str| {
            m.headers
                .as_ref()
                .and_then(|h| h.get(name))
                .map(|v| v.as_str().to_string())
        };
        let incident_header = header(INCIDENT_HEADER);
        let whole = match header(CHUNK_HEADER) {
            None => {
                return check_event(&m.payload, &self.incident, incident_header.as_deref())
                    .map(Some);
            }
            Some(h) => {
                let part = parse_chunk_header(&h)?;
                let id = header(EVENT_HEADER)
                    .and_then(|e| Uuid::parse_str(&e).ok())
                    .ok_or_else(|| {
                        Rejected::BadChunk(format!(
                            "chunk {h} without a valid {EVENT_HEADER} header"
                        ))
                    })?;
                match self.chunks.add(id, part, &m.payload, m.seq)? {
                    Some(w) => (id, w),
                    None => return Ok(None),
                }
            }
        };
        let (id, line) = check_event(&whole.1, &self.incident, incident_header.as_deref())?;
        if id != whole.0 {
            return Err(Rejected::BadChunk(format!(
                "chunks of event {} put together make event {}",
                whole.0,
                clip(&id.to_string())
            )));
        }
        Ok(Some((id, line)))
    }

    /// The stream sequence up to which everything read is settled: `last` read, or just before
    /// an event still waiting for chunks.
    pub fn settled(&self, last: u64) -> u64 {
        match self.chunks.oldest_waiting() {
            Some(first) => last.min(first.saturating_sub(1)),
            None => last,
        }
    }
}
