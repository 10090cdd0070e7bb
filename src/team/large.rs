//! Events larger than one message may be (the server's `max_payload`, 1 MiB by default; an
//! attached playbook can be bigger) travel in chunks on the incident's own subject: chunk `i`
//! of `n` carries headers `Warroom-Chunk: i/n` and `Warroom-Event: <event id>`, and the message
//! id `<event id>.<i>`, so a repeat of any chunk is dropped by the server like a repeat of a
//! whole event. The receiver puts the chunks of one event back together (in any order, repeats
//! ignored) and checks the whole as it checks any event. Chunks stay in the stream in order
//! with every other event, so a console that joins late replays them like the rest.

use std::collections::{BTreeMap, HashMap};

use uuid::Uuid;

use super::wire::{MAX_EVENT_BYTES, Rejected};

/// The header that numbers a chunk: `i/n`, from 0.
pub const CHUNK_HEADER: &str = "Warroom-Chunk";
/// The header that names the event a chunk belongs to.
pub const EVENT_HEADER: &str = "Warroom-Event";

/// Room left in each message for the headers.
const HEADER_ROOM: usize = 1024;
/// The fewest bytes a chunk carries (a server with a tiny `max_payload` still gets progress).
const MIN_CHUNK: usize = 1024;
/// The most events being put together at once; beyond it the oldest is dropped.
const MAX_PARTIAL: usize = 64;

/// The pieces `line` is sent in for a server whose `max_payload` is `max_payload`: one (the
/// whole line) when it fits.
pub fn split(line: &[u8], max_payload: usize) -> Vec<&[u8]> {
    let room = max_payload.saturating_sub(HEADER_ROOM).max(MIN_CHUNK);
    if line.len() <= room {
        return vec![line];
    }
    line.chunks(room).collect()
}

/// Parses `i/n`.
pub fn parse_chunk_header(h: &str) -> Result<(u32, u32), Rejected> {
    let bad = || Rejected::BadChunk(format!("header {:?}", super::wire::clip(h)));
    let (i, n) = h.split_once('/').ok_or_else(bad)?;
    let i: u32 = i.trim().parse().map_err(|_| bad())?;
    let n: u32 = n.trim().parse().map_err(|_| bad())?;
    if n == 0 || i >= n || n as usize > MAX_EVENT_BYTES / MIN_CHUNK {
        return Err(bad());
    }
    Ok((i, n))
}

#[derive(Debug)]
struct Partial {
    n: u32,
    parts: BTreeMap<u32, Vec<u8>>,
    bytes: usize,
    first_seq: u64,
}

/// Puts chunked events back together.
#[derive(Debug, Default)]
pub struct Reassembler {
    partial: HashMap<Uuid, Partial>,
}

impl Reassembler {
    /// Takes chunk `i` of `n` of event `id`, found at stream sequence `seq`. Returns the whole
    /// event once every chunk is in.
    pub fn add(
        &mut self,
        id: Uuid,
        (i, n): (u32, u32),
        data: &[u8],
        seq: u64,
    ) -> Result<Option<Vec<u8>>, Rejected> {
        if !self.partial.contains_key(&id) && self.partial.len() >= MAX_PARTIAL {
            let oldest = self
                .partial
                .iter()
                .min_by_key(|(_, p)| p.first_seq)
                .map(|(k, _)| *k);
            if let Some(k) = oldest {
                self.partial.remove(&k);
                tracing::warn!("team: event {k} never got all its chunks; dropped");
            }
        }
        let p = self.partial.entry(id).or_insert_with(|| Partial {
            n,
            parts: BTreeMap::new(),
            bytes: 0,
            first_seq: seq,
        });
        if p.n != n {
            return Err(Rejected::BadChunk(format!(
                "event {id}: {n} chunks announced, {} before",
                p.n
            )));
        }
        if !p.parts.contains_key(&i) {
            p.bytes += data.len();
            p.parts.insert(i, data.to_vec());
        }
        if p.bytes > MAX_EVENT_BYTES {
            let size = p.bytes;
            self.partial.remove(&id);
            return Err(Rejected::Oversized(size));
        }
        if p.parts.len() as u32 == p.n {
            let p = self.partial.remove(&id).expect("just seen");
            let mut whole = Vec::with_capacity(p.bytes);
            for (_, part) in p.parts {
                whole.extend(part);
            }
            return Ok(Some(whole));
        }
        Ok(None)
    }

    /// The first stream sequence of an event still missing chunks: reading must start there
    /// again next time, so no chunk is lost.
    pub fn oldest_waiting(&self) -> Option<u64> {
        self.partial.values().map(|p| p.first_seq).min()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn split_and_reassemble_in_any_order_with_repeats() {
        let line: Vec<u8> = (0..10_000u32).map(|i| (i % 251) as u8).collect();
        let parts = split(&line, 3024);
        assert_eq!(parts.len(), 5);
        assert!(parts.iter().all(|p| p.len() <= 2000));
        assert_eq!(split(b"small", 3000).len(), 1);
        let id = Uuid::now_v7();
        let mut r = Reassembler::default();
        let n = parts.len() as u32;
        let order = [3usize, 0, 3, 1, 4];
        for (k, &i) in order.iter().enumerate() {
            assert_eq!(
                r.add(id, (i as u32, n), parts[i], 10 + k as u64).unwrap(),
                None
            );
        }
        assert_eq!(r.oldest_waiting(), Some(10));
        let whole = r.add(id, (2, n), parts[2], 20).unwrap().unwrap();
        assert_eq!(whole, line);
        assert_eq!(r.oldest_waiting(), None);
    }

    #[test]
    fn bad_headers_and_mismatched_counts_are_rejected() {
        assert_eq!(parse_chunk_header("2/5").unwrap(), (2, 5));
        for h in ["5/5", "x/2", "1", "0/0", "0/99999999"] {
            assert!(parse_chunk_header(h).is_err(), "{h}");
        }
        let mut r = Reassembler::default();
        let id = Uuid::now_v7();
        r.add(id, (0, 3), b"a", 1).unwrap();
        assert!(r.add(id, (1, 4), b"b", 2).is_err());
    }
}
