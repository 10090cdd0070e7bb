//! What `warroom list` needs from a journal, without parsing every event: a cheap look at each
//! line (it starts as this build writes events, `{"v":N,`, and is a whole JSON object: its braces
//! close at its last byte, so a torn write is seen), its `"type":"…"` found with a substring
//! search, and only the events that make the summary (opening, title, severity, status, closing,
//! reopening) parsed in full. A line that fails the look, or comes from a newer version, sends the
//! caller to the full read, which reports it.

use std::fs::File;
use std::io::Read;
use std::path::Path;

use fd_lock::RwLock;
use memchr::memmem;

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
    let type_key = memmem::Finder::new(b"\"type\":\"");
    let mut out = Vec::new();
    for raw in buf.split(|b| *b == b'\n') {
        if raw.first().is_none_or(|b| b.is_ascii_whitespace()) {
            if raw.iter().all(|b| b.is_ascii_whitespace()) {
                continue;
            }
            return None;
        }
        let rest = raw.strip_prefix(b"{\"v\":")?;
        let digits = rest.iter().take_while(|b| b.is_ascii_digit()).count();
        if digits == 0 || digits > 9 || rest.get(digits) != Some(&b',') {
            return None;
        }
        let v: u32 = std::str::from_utf8(&rest[..digits]).ok()?.parse().ok()?;
        if v > JOURNAL_VERSION {
            return None;
        }
        // The tag is written before the event's own fields, and a quote inside an earlier
        // string is escaped, so the first match is the tag.
        let at = type_key.find(raw)? + 8;
        let len = memchr::memchr(b'"', &raw[at..])?;
        let kind = &raw[at..at + len];
        if HEADER_TYPES.iter().any(|h| h.as_bytes() == kind) {
            out.push(serde_json::from_slice::<Event>(raw).ok()?);
        } else if !whole_object(raw) {
            return None;
        }
    }
    (!out.is_empty()).then_some(out)
}

/// Whether `raw` (starting with `{`) is one JSON object whose braces close at its last byte:
/// a write cut short never is. Strings are skipped with their escapes; nothing else is checked.
fn whole_object(raw: &[u8]) -> bool {
    if raw.last() != Some(&b'}') {
        return false;
    }
    let mut depth = 0usize;
    let mut i = 0;
    while let Some(k) = memchr::memchr3(b'"', b'{', b'}', &raw[i..]) {
        let j = i + k;
        match raw[j] {
            b'{' => depth += 1,
            b'}' => {
                depth = match depth.checked_sub(1) {
                    Some(d) => d,
                    None => return false,
                };
                if depth == 0 {
                    return j == raw.len() - 1;
                }
            }
            _ => {
                // A string: to its closing quote, over escapes.
                let mut p = j + 1;
                loop {
                    let Some(q) = raw.get(p..).and_then(|r| memchr::memchr2(b'"', b'\\', r)) else {
                        return false;
                    };
                    if raw[p + q] == b'\\' {
                        p += q + 2;
                    } else {
                        i = p + q + 1;
                        break;
                    }
                }
                continue;
            }
        }
        i = j + 1;
    }
    false
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
        // A text that says "type":"closed" inside a string is not a tag.
        assert_eq!(
            headers_of(format!("{open}\n{note}\n").as_bytes())
                .unwrap()
                .len(),
            1
        );
    }

    #[test]
    fn whole_objects() {
        assert!(whole_object(br#"{"a":{"b":"}"},"c":"\"}"}"#));
        assert!(!whole_object(br#"{"a":{"b":"}"},"c":"\"}""#));
        assert!(!whole_object(br#"{"a":"}"#));
        assert!(!whole_object(br#"{"a":1}}"#));
        assert!(!whole_object(br#"{"a":1},{"b":2}"#));
        assert!(!whole_object(br#"{"a":"\"#));
        assert!(!whole_object(b"{"));
    }
}
