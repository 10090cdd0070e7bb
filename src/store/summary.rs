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
    let mut out = Vec::new();
    let mut start = 0;
    let ends = memchr::memchr_iter(b'\n', buf).chain(std::iter::once(buf.len()));
    for end in ends {
        let raw = &buf[start..end];
        start = end + 1;
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
        let kind = type_of_whole_object(raw)?;
        if HEADER_TYPES.iter().any(|h| h.as_bytes() == kind) {
            out.push(serde_json::from_slice::<Event>(raw).ok()?);
        }
    }
    (!out.is_empty()).then_some(out)
}

/// The value of the `"type"` key of `raw` (which starts with `{`), if `raw` is one JSON object
/// whose braces close at its last byte (a write cut short never is) and has that key at its
/// top level. One pass: strings are skipped with a search for their closing quote, over
/// escapes; nothing else is checked.
fn type_of_whole_object(raw: &[u8]) -> Option<&[u8]> {
    const KEY: &[u8] = b"type\":\"";
    let mut kind: Option<&[u8]> = None;
    let mut depth: usize = 1;
    let mut i = 1;
    while i < raw.len() {
        match raw[i] {
            b'"' => {
                if depth == 1 && kind.is_none() && raw[i + 1..].starts_with(KEY) {
                    let at = i + 1 + KEY.len();
                    let len = memchr::memchr(b'"', &raw[at..])?;
                    kind = Some(&raw[at..at + len]);
                }
                // To the closing quote, over escapes.
                let mut p = i + 1;
                loop {
                    let q = p + memchr::memchr2(b'"', b'\\', raw.get(p..)?)?;
                    if raw[q] == b'\\' {
                        p = q + 2;
                    } else {
                        i = q + 1;
                        break;
                    }
                }
                continue;
            }
            b'{' => depth += 1,
            b'}' => {
                depth -= 1;
                if depth == 0 {
                    // The outer object closes: that must be the last byte.
                    return (i == raw.len() - 1).then_some(kind).flatten();
                }
            }
            _ => {}
        }
        i += 1;
    }
    None
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
    fn whole_objects_and_their_type() {
        let t =
            |raw: &[u8]| type_of_whole_object(raw).map(|k| String::from_utf8_lossy(k).into_owned());
        assert_eq!(
            t(br#"{"a":{"type":"x","b":"}"},"c":"\"}","type":"closed"}"#).as_deref(),
            Some("closed")
        );
        assert_eq!(
            t(br#"{"by":"\"type\":\"closed","type":"note"}"#).as_deref(),
            Some("note")
        );
        assert_eq!(t(br#"{"a":{"b":"}"},"c":"\"}""#), None);
        assert_eq!(t(br#"{"type":"x","a":"}"#), None);
        assert_eq!(t(br#"{"type":"x","a":1}}"#), None);
        assert_eq!(t(br#"{"type":"x"},{"b":2}"#), None);
        assert_eq!(t(br#"{"type":"x","a":"\"#), None);
        assert_eq!(t(br#"{"a":1}"#), None);
        assert_eq!(t(b"{"), None);
        assert_eq!(t(br#"{"type":"#), None);
    }
}
