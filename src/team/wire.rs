//! What travels on the stream and how a received message is checked before it may reach the
//! journal. Pure: no network, no files.
//!
//! A message is one journal line (one JSON event, byte for byte as the sender's journal has
//! it), with headers `Nats-Msg-Id` (the event id: the server drops a repeat) and
//! `Warroom-Incident`. An event larger than the server's `max_payload` travels in chunks (see
//! [`super::large`]).

use serde_json::Value;
use uuid::Uuid;

use crate::domain::event::{Event, EventBody, JOURNAL_VERSION};
use crate::domain::text::sanitize;

/// The largest event accepted from the stream, whole (an attached 8 MiB playbook, escaped as
/// JSON, fits with room to spare). Anything larger is dropped.
pub const MAX_EVENT_BYTES: usize = 32 * 1024 * 1024;

/// The header that names the incident a message belongs to.
pub const INCIDENT_HEADER: &str = "Warroom-Incident";

/// Why a received message was dropped (for the log line).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum Rejected {
    #[error("larger than {MAX_EVENT_BYTES} bytes ({0} bytes)")]
    Oversized(usize),
    #[error("not JSON: {0}")]
    NotJson(String),
    #[error("not an event: {0}")]
    NotAnEvent(String),
    #[error("belongs to incident {0:?}, not this one")]
    OtherIncident(String),
    #[error("a bad chunk: {0}")]
    BadChunk(String),
}

/// Whether an incident id can be used in a subject and a stream name.
pub fn id_fits(incident: &str) -> bool {
    !incident.is_empty()
        && incident.len() <= 200
        && incident
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
}

/// The subject an incident's events are published on.
pub fn subject(incident: &str) -> String {
    format!("warroom.incident.{incident}")
}

/// The JetStream stream that keeps an incident's events.
pub fn stream_name(incident: &str) -> String {
    format!("warroom-{incident}")
}

/// The incident a stream name is for.
pub fn incident_of_stream(name: &str) -> Option<&str> {
    name.strip_prefix("warroom-").filter(|id| id_fits(id))
}

/// Checks a received event for `incident`: size, JSON shape (`v`, `id`, `at`, `by`, `type`),
/// a known type's fields, the incident named in an opening or in the header; control
/// characters and terminal escapes in any text are removed. Returns the event id and the line
/// to append (the bytes as received when they were clean, one line).
pub fn check_event(
    payload: &[u8],
    incident: &str,
    header_incident: Option<&str>,
) -> Result<(Uuid, Vec<u8>), Rejected> {
    if payload.len() > MAX_EVENT_BYTES {
        return Err(Rejected::Oversized(payload.len()));
    }
    if let Some(h) = header_incident
        && h != incident
    {
        return Err(Rejected::OtherIncident(clip(h)));
    }
    let mut value: Value =
        serde_json::from_slice(payload).map_err(|e| Rejected::NotJson(e.to_string()))?;
    let obj = value
        .as_object()
        .ok_or_else(|| Rejected::NotAnEvent("not a JSON object".into()))?;
    let v = obj
        .get("v")
        .and_then(Value::as_u64)
        .filter(|v| *v >= 1)
        .ok_or_else(|| Rejected::NotAnEvent("no version `v`".into()))?;
    let id = obj
        .get("id")
        .and_then(Value::as_str)
        .and_then(|s| Uuid::parse_str(s).ok())
        .ok_or_else(|| Rejected::NotAnEvent("no event id".into()))?;
    let by_ok = obj
        .get("by")
        .and_then(Value::as_str)
        .is_some_and(|b| !b.trim().is_empty());
    if !by_ok {
        return Err(Rejected::NotAnEvent("no author `by`".into()));
    }
    let at_ok = obj
        .get("at")
        .and_then(Value::as_str)
        .is_some_and(|a| chrono::DateTime::parse_from_rfc3339(a).is_ok());
    if !at_ok {
        return Err(Rejected::NotAnEvent("no time `at`".into()));
    }
    if obj
        .get("type")
        .and_then(Value::as_str)
        .is_none_or(str::is_empty)
    {
        return Err(Rejected::NotAnEvent("no `type`".into()));
    }
    let cleaned = clean_strings(&mut value);
    if v <= u64::from(JOURNAL_VERSION) {
        // A type this build knows must have its fields; an unknown one is kept as it is.
        let ev: Event = serde_json::from_value(value.clone())
            .map_err(|e| Rejected::NotAnEvent(e.to_string()))?;
        if let EventBody::IncidentOpened {
            incident: other, ..
        } = &ev.body
            && other != incident
        {
            return Err(Rejected::OtherIncident(clip(other)));
        }
    }
    let one_line = !payload.iter().any(|b| *b == b'\n' || *b == b'\r');
    let line = if cleaned || !one_line {
        serde_json::to_vec(&value).map_err(|e| Rejected::NotJson(e.to_string()))?
    } else {
        payload.to_vec()
    };
    Ok((id, line))
}

/// Removes escapes and control characters from every string (keys included); whether any
/// changed.
fn clean_strings(v: &mut Value) -> bool {
    match v {
        Value::String(s) => {
            let c = sanitize(s, usize::MAX);
            let changed = c != *s;
            *s = c;
            changed
        }
        Value::Array(a) => a.iter_mut().fold(false, |ch, x| clean_strings(x) | ch),
        Value::Object(o) => {
            let dirty_keys = o.keys().any(|k| sanitize(k, usize::MAX) != *k);
            let mut changed = false;
            if dirty_keys {
                let old = std::mem::take(o);
                for (k, x) in old {
                    o.insert(sanitize(&k, usize::MAX), x);
                }
                changed = true;
            }
            o.values_mut().fold(changed, |ch, x| clean_strings(x) | ch)
        }
        _ => false,
    }
}

/// Foreign text in a log line: short and clean.
pub fn clip(s: &str) -> String {
    sanitize(s, 80)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ev(id: &str, extra: &str) -> String {
        format!(
            r#"{{"v":1,"id":"{id}","at":"2026-12-01T10:00:00Z","by":"bob","type":"entry_added","occurred_at":"2026-12-01T10:00:00Z","kind":"note","text":"hi"{extra}}}"#
        )
    }

    const ID: &str = "0193a4b2-0000-7000-8000-000000000001";

    #[test]
    fn a_good_event_is_kept_byte_for_byte() {
        let raw = ev(ID, "");
        let (id, line) = check_event(raw.as_bytes(), "inc", Some("inc")).unwrap();
        assert_eq!(id.to_string(), ID);
        assert_eq!(line, raw.as_bytes());
    }

    #[test]
    fn an_unknown_type_is_kept_with_its_fields() {
        let raw = format!(
            r#"{{"v":1,"id":"{ID}","at":"2026-12-01T10:00:00Z","by":"bob","type":"from_the_future","x":[1,2]}}"#
        );
        let (_, line) = check_event(raw.as_bytes(), "inc", None).unwrap();
        assert_eq!(line, raw.as_bytes());
    }

    #[test]
    fn bad_data_is_rejected_with_a_reason() {
        let r = |p: &str, h: Option<&str>| check_event(p.as_bytes(), "inc", h).unwrap_err();
        assert!(matches!(r("not json", None), Rejected::NotJson(_)));
        assert!(matches!(r("[1]", None), Rejected::NotAnEvent(_)));
        let no_id = ev(ID, "").replace(ID, "nope");
        assert!(r(&no_id, None).to_string().contains("id"));
        let no_by = ev(ID, "").replace(r#""by":"bob""#, r#""by":"""#);
        assert!(r(&no_by, None).to_string().contains("author"));
        let bad_fields = ev(ID, "").replace(r#""kind":"note""#, r#""kind":7"#);
        assert!(matches!(r(&bad_fields, None), Rejected::NotAnEvent(_)));
        assert!(matches!(
            r(&ev(ID, ""), Some("other")),
            Rejected::OtherIncident(_)
        ));
        let opening = format!(
            r#"{{"v":1,"id":"{ID}","at":"2026-12-01T10:00:00Z","by":"bob","type":"incident_opened","incident":"other","title":"t","severity":"sev2"}}"#
        );
        assert!(matches!(r(&opening, None), Rejected::OtherIncident(_)));
        let huge = vec![b' '; MAX_EVENT_BYTES + 1];
        assert!(matches!(
            check_event(&huge, "inc", None).unwrap_err(),
            Rejected::Oversized(_)
        ));
    }

    #[test]
    fn escapes_are_cleaned_and_the_line_stays_one_line() {
        let raw = ev(ID, "").replace(r#""text":"hi""#, "\"text\":\"hi\\u001b[2Jthere\"");
        let raw = raw.replacen(',', ",\n", 1);
        let (_, line) = check_event(raw.as_bytes(), "inc", None).unwrap();
        let text = String::from_utf8(line).unwrap();
        assert!(!text.contains('\n') && !text.contains("\\u001b"), "{text}");
        let back: Event = serde_json::from_str(&text).unwrap();
        assert_eq!(back.id.to_string(), ID);
    }

    #[test]
    fn names() {
        assert!(id_fits("20261201-1000-mail-delayed-2"));
        assert!(!id_fits("a.b") && !id_fits("a*") && !id_fits(""));
        assert_eq!(incident_of_stream(&stream_name("x-1")), Some("x-1"));
        assert_eq!(subject("x"), "warroom.incident.x");
    }
}
