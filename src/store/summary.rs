//! What `warroom list` needs from a journal, without parsing every event in full: each line is
//! checked to be a JSON object with a version and a type (cheap: nothing is built), and only
//! the events that make the summary (opening, title, severity, status, closing, reopening) are
//! parsed whole. A line that is not well-formed, or from a newer version, sends the caller to
//! the full read, which reports it.

use std::borrow::Cow;
use std::fs::File;
use std::io::Read;
use std::path::Path;

use fd_lock::RwLock;

use crate::domain::event::{Event, JOURNAL_VERSION};

/// The `type`s that change what the listing shows.
const HEADER_TYPES: [&str; 6] = [
    "incident_opened",
    "title_set",
    "severity_set",
    "status_set",
    "closed",
    "reopened",
];

/// The version and type of a line; the rest is checked for form and skipped.
#[derive(serde::Deserialize)]
struct Probe<'a> {
    v: u64,
    #[serde(rename = "type", borrow)]
    kind: Cow<'a, str>,
}

/// The summary's events of the journal at `path`, in order; `None` when the journal has a
/// line this quick read cannot vouch for (so that the full read looks at it and reports it).
pub fn header_events(path: &Path) -> std::io::Result<Option<Vec<Event>>> {
    let lock = RwLock::new(super::journal::open_regular(path)?);
    let mut buf = Vec::new();
    {
        let guard = lock.read()?;
        let mut file: &File = &guard;
        file.read_to_end(&mut buf)?;
    }
    Ok(headers_of(&buf))
}

/// [`header_events`] over the bytes of a journal.
pub fn headers_of(buf: &[u8]) -> Option<Vec<Event>> {
    let mut out = Vec::new();
    for raw in buf.split(|b| *b == b'\n') {
        if raw.iter().all(|b| b.is_ascii_whitespace()) {
            continue;
        }
        let probe: Probe = serde_json::from_slice(raw).ok()?;
        if probe.v > u64::from(JOURNAL_VERSION) {
            return None;
        }
        if HEADER_TYPES.contains(&probe.kind.as_ref()) {
            out.push(serde_json::from_slice::<Event>(raw).ok()?);
        }
    }
    (!out.is_empty()).then_some(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keeps_header_events_and_gives_up_on_odd_lines() {
        let open = r#"{"v":1,"id":"0190b0c0-0000-7000-8000-000000000001","at":"2026-11-30T14:00:00Z","by":"a","type":"incident_opened","incident":"i","title":"t","severity":"sev2"}"#;
        let note = r#"{"v":1,"id":"0190b0c0-0000-7000-8000-000000000002","at":"2026-11-30T14:01:00Z","by":"a","type":"entry_added","occurred_at":"2026-11-30T14:01:00Z","kind":"note","text":"\"type\":\"closed\""}"#;
        let sev = r#"{"v":1,"id":"0190b0c0-0000-7000-8000-000000000003","at":"2026-11-30T14:02:00Z","by":"a","type":"severity_set","severity":"sev1"}"#;
        let text = format!("{open}\n{note}\n\n{sev}\n");
        let got = headers_of(text.as_bytes()).unwrap();
        assert_eq!(got.len(), 2);
        // Damage, a newer version, or a torn header: the full read has to look.
        assert!(headers_of(format!("{open}\n{{\"v\":1,\"id\n").as_bytes()).is_none());
        assert!(
            headers_of(format!("{open}\n{}\n", sev.replace("\"v\":1", "\"v\":2")).as_bytes())
                .is_none()
        );
        assert!(headers_of(format!("{open}\n{}\n", &sev[..sev.len() - 1]).as_bytes()).is_none());
        assert!(headers_of(b"").is_none());
    }
}
