//! Exchange Server message tracking logs (`MSGTRK*.LOG`).
//!
//! A file starts with `#Software`, `#Version`, `#Log-type`, `#Date` and `#Fields` header lines
//! (optionally after a UTF-8 BOM), then one CSV event a line. Columns are always located
//! through that file's own `#Fields` line: Exchange 2010 writes 26 columns, 2013 adds
//! `network-message-id` (27), 2016/2019/SE add three more at the end (30).
//! `recipient-address` and `recipient-status` are parallel `;`-separated lists; a status text
//! may itself contain `;`, which [`pair_recipients`] accounts for.

use std::fs::File;
use std::io::{self, Read, Seek, SeekFrom};
use std::path::{Path, PathBuf};
use std::sync::Arc;

use chrono::{DateTime, Utc};

use super::{ADDR_CAP, AggKey, Effect, RawEvent, RcptEvent, TEXT_CAP, clean, looks_like_reply};

/// Does this file name look like a message tracking log
/// (`MSGTRK`, `MSGTRKMA`, `MSGTRKMD`, `MSGTRKMS`, 8–10 digits, `-n`, `.log`, any case)?
pub fn is_msgtrk_name(name: &str) -> bool {
    let up = name.to_ascii_uppercase();
    let Some(rest) = up.strip_prefix("MSGTRK") else {
        return false;
    };
    let rest = ["MA", "MD", "MS"]
        .iter()
        .find_map(|p| {
            rest.strip_prefix(p)
                .filter(|r| r.starts_with(|c: char| c.is_ascii_digit()))
        })
        .unwrap_or(rest);
    let Some(rest) = rest.strip_suffix(".LOG") else {
        return false;
    };
    let Some((date, seq)) = rest.split_once('-') else {
        return false;
    };
    (8..=10).contains(&date.len())
        && date.bytes().all(|b| b.is_ascii_digit())
        && !seq.is_empty()
        && seq.bytes().all(|b| b.is_ascii_digit())
}

/// Column of each field this parser uses; `None` when the layout lacks it.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct FieldMap {
    /// Number of columns declared by `#Fields`.
    pub count: usize,
    pub date_time: Option<usize>,
    pub client_hostname: Option<usize>,
    pub server_hostname: Option<usize>,
    pub source_context: Option<usize>,
    pub connector_id: Option<usize>,
    pub source: Option<usize>,
    pub event_id: Option<usize>,
    pub internal_message_id: Option<usize>,
    pub message_id: Option<usize>,
    pub network_message_id: Option<usize>,
    pub recipient_address: Option<usize>,
    pub recipient_status: Option<usize>,
    pub reference: Option<usize>,
    pub message_subject: Option<usize>,
    pub sender_address: Option<usize>,
}

impl FieldMap {
    /// Builds the map from the text after `#Fields:`. `None` unless it names at least
    /// `date-time` and `event-id`.
    pub fn from_fields(list: &str) -> Option<FieldMap> {
        let mut m = FieldMap::default();
        for (i, name) in list.split(',').enumerate() {
            m.count = i + 1;
            let slot = match name.trim().to_ascii_lowercase().as_str() {
                "date-time" => &mut m.date_time,
                "client-hostname" => &mut m.client_hostname,
                "server-hostname" => &mut m.server_hostname,
                "source-context" => &mut m.source_context,
                "connector-id" => &mut m.connector_id,
                "source" => &mut m.source,
                "event-id" => &mut m.event_id,
                "internal-message-id" => &mut m.internal_message_id,
                "message-id" => &mut m.message_id,
                "network-message-id" => &mut m.network_message_id,
                "recipient-address" => &mut m.recipient_address,
                "recipient-status" => &mut m.recipient_status,
                "reference" => &mut m.reference,
                "message-subject" => &mut m.message_subject,
                "sender-address" => &mut m.sender_address,
                _ => continue,
            };
            *slot = Some(i);
        }
        (m.date_time.is_some() && m.event_id.is_some()).then_some(m)
    }
}

/// A `#Name: value` header line, name lower-cased (`#Log-Type` and `#Log-type` both occur).
pub fn parse_header(line: &str) -> Option<(String, &str)> {
    let body = line.strip_prefix('#')?;
    let (name, value) = body.split_once(':')?;
    Some((name.trim().to_ascii_lowercase(), value.trim()))
}

/// Why a line could not be read.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum LineError {
    #[error("unterminated quoted field (line cut off?)")]
    Unterminated,
    #[error("{got} fields where #Fields declares {want} (line cut off?)")]
    FieldCount { got: usize, want: usize },
    #[error("bad date-time {0:?}")]
    BadTime(String),
    #[error("event line before any #Fields header")]
    NoHeader,
}

/// Splits one CSV line: fields with commas or quotes are double-quoted, `""` is a quote.
/// Invalid UTF-8 is replaced, not rejected.
pub fn split_csv(line: &[u8]) -> Result<Vec<String>, LineError> {
    let mut out = Vec::with_capacity(32);
    let mut i = 0;
    let n = line.len();
    loop {
        if i < n && line[i] == b'"' {
            let mut field = Vec::new();
            i += 1;
            loop {
                match memchr::memchr(b'"', &line[i..]) {
                    None => return Err(LineError::Unterminated),
                    Some(q) => {
                        field.extend_from_slice(&line[i..i + q]);
                        i += q + 1;
                        if i < n && line[i] == b'"' {
                            field.push(b'"');
                            i += 1;
                        } else {
                            break;
                        }
                    }
                }
            }
            out.push(String::from_utf8_lossy(&field).into_owned());
            // Anything between the closing quote and the comma is kept, as Excel does.
            match memchr::memchr(b',', &line[i..]) {
                Some(c) => {
                    if c > 0
                        && let Some(last) = out.last_mut()
                    {
                        last.push_str(&String::from_utf8_lossy(&line[i..i + c]));
                    }
                    i += c + 1;
                }
                None => {
                    if i < n
                        && let Some(last) = out.last_mut()
                    {
                        last.push_str(&String::from_utf8_lossy(&line[i..]));
                    }
                    return Ok(out);
                }
            }
        } else {
            match memchr::memchr(b',', &line[i..]) {
                Some(c) => {
                    out.push(String::from_utf8_lossy(&line[i..i + c]).into_owned());
                    i += c + 1;
                }
                None => {
                    out.push(String::from_utf8_lossy(&line[i..]).into_owned());
                    return Ok(out);
                }
            }
        }
    }
}

/// Pairs the `;`-separated recipient list with the parallel status list. With one recipient
/// the whole status is its status (it may contain `;`, e.g. `550 4.4.7 QUEUE.Expired; message
/// expired`). With several, pieces that do not start a new status (an SMTP reply `NNN ` or
/// `To`/`Cc`/`Bcc`) are glued back to the previous one.
pub fn pair_recipients(addresses: &str, statuses: &str) -> Vec<(String, String)> {
    let addrs: Vec<&str> = addresses
        .split(';')
        .map(str::trim)
        .filter(|a| !a.is_empty())
        .collect();
    if addrs.len() <= 1 {
        return addrs
            .first()
            .map(|a| vec![(a.to_string(), statuses.trim().to_string())])
            .unwrap_or_default();
    }
    let pieces: Vec<&str> = statuses.split(';').collect();
    let groups: Vec<String> = if pieces.len() == addrs.len() {
        pieces.iter().map(|p| p.trim().to_string()).collect()
    } else {
        let mut groups: Vec<String> = Vec::new();
        for p in pieces {
            let t = p.trim();
            let starts_new = looks_like_reply(t)
                || ["to", "cc", "bcc"].contains(&t.to_ascii_lowercase().as_str());
            match groups.last_mut() {
                Some(last) if !starts_new => {
                    last.push(';');
                    last.push_str(p);
                }
                _ => groups.push(t.to_string()),
            }
        }
        groups
    };
    addrs
        .iter()
        .enumerate()
        .map(|(i, a)| {
            (
                a.to_string(),
                groups
                    .get(i)
                    .map(|g| g.trim().to_string())
                    .unwrap_or_default(),
            )
        })
        .collect()
}

/// One event line, every text field sanitised.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MsgtrkRecord {
    pub time: DateTime<Utc>,
    pub server: String,
    pub client_hostname: String,
    pub source: String,
    pub event_id: String,
    pub internal_message_id: String,
    pub message_id: String,
    pub network_message_id: String,
    /// Recipient and its status text (`To`, `250 2.1.5 Recipient OK`, …).
    pub recipients: Vec<(String, String)>,
    pub sender: String,
    pub subject: String,
    pub reference: String,
    pub source_context: String,
    pub connector_id: String,
}

impl MsgtrkRecord {
    /// The key that groups this record with the rest of its message: the message id, else
    /// the network message id, else server and internal id when the record names a
    /// recipient; `None` for a record about no message (`NOTIFYMAPI` and other store-driver
    /// notifications).
    pub fn key(&self) -> Option<String> {
        if !self.message_id.is_empty() {
            Some(self.message_id.clone())
        } else if !self.network_message_id.is_empty() {
            Some(self.network_message_id.clone())
        } else if !self.recipients.is_empty()
            && !self.internal_message_id.is_empty()
            && self.internal_message_id != "0"
        {
            Some(format!("{}:{}", self.server, self.internal_message_id))
        } else {
            None
        }
    }
}

/// Parses one event line (without its line end) with the column map of its file.
pub fn parse_record(map: &FieldMap, line: &[u8]) -> Result<MsgtrkRecord, LineError> {
    let fields = split_csv(line)?;
    if fields.len() != map.count {
        return Err(LineError::FieldCount {
            got: fields.len(),
            want: map.count,
        });
    }
    let get = |idx: Option<usize>| idx.and_then(|i| fields.get(i)).map_or("", String::as_str);
    let raw_time = get(map.date_time).trim();
    let time = DateTime::parse_from_rfc3339(raw_time)
        .map_err(|_| LineError::BadTime(clean(raw_time, 64)))?
        .with_timezone(&Utc);
    let recipients = pair_recipients(get(map.recipient_address), get(map.recipient_status))
        .into_iter()
        .map(|(a, s)| (clean(&a, ADDR_CAP), clean(&s, TEXT_CAP)))
        .collect();
    Ok(MsgtrkRecord {
        time,
        server: clean(get(map.server_hostname), ADDR_CAP),
        client_hostname: clean(get(map.client_hostname), ADDR_CAP),
        source: clean(get(map.source), 64),
        event_id: clean(get(map.event_id), 64).to_ascii_uppercase(),
        internal_message_id: clean(get(map.internal_message_id), ADDR_CAP),
        message_id: clean(get(map.message_id), ADDR_CAP),
        network_message_id: clean(get(map.network_message_id), ADDR_CAP),
        recipients,
        sender: clean(get(map.sender_address), ADDR_CAP),
        subject: clean(get(map.message_subject), TEXT_CAP),
        reference: clean(get(map.reference), ADDR_CAP),
        source_context: clean(get(map.source_context), TEXT_CAP),
        connector_id: clean(get(map.connector_id), ADDR_CAP),
    })
}

/// Status effect of an event id (S18 list), refined by the status text for content-filter
/// outcomes (`quarantin…` → quarantined, `spam` → filtered as spam). The flag is true for a
/// *weak* effect, which never replaces a normal one: the events of shadow redundancy and Safety
/// Net resubmission (`HARECEIVE`, `RESUBMIT…`, `DUPLICATEDELIVER`), which copy a message that
/// is counted already.
pub(crate) fn event_effect(event_id: &str, text: &str) -> (Effect, bool) {
    let (base, weak) = match event_id {
        "DELIVER" | "SEND" => (Effect::Delivered, false),
        // A copy of a message delivered already, found out and dropped by the store.
        "DUPLICATEDELIVER" => (Effect::Delivered, true),
        "FAIL" | "DELIVERFAIL" | "SUBMITFAIL" | "BADMAIL" | "DROP" | "POISONMESSAGE"
        | "MODERATORREJECT" | "MODERATIONEXPIRE" | "MODERATORSALLNDR" => (Effect::Failed, false),
        "RESUBMITFAIL" => (Effect::Failed, true),
        "DEFER" | "SUBMITDEFER" | "THROTTLE" => (Effect::Deferred, false),
        "RESUBMITDEFER" => (Effect::Deferred, true),
        "EXPAND" | "DUPLICATEEXPAND" => (Effect::Expanded, false),
        "RECEIVE"
        | "SUBMIT"
        | "CLIENTSUBMISSION"
        | "TRANSFER"
        | "REDIRECT"
        | "RESOLVE"
        | "INITMESSAGECREATED"
        | "MODERATORAPPROVE"
        | "PROCESS"
        | "PROCESSMEETINGMESSAGE"
        | "DSN"
        | "LOAD" => (Effect::Progress, false),
        "HARECEIVE" | "RESUBMIT" => (Effect::Progress, true),
        // AGENTINFO, NOTIFYMAPI, NOTIFYSHADOW, HAREDIRECT, HAREDIRECTFAIL (the shadow copy
        // failed, not the message), HADISCARD, DUPLICATEREDIRECT, SUPPRESSED and anything new.
        _ => (Effect::Info, false),
    };
    if matches!(base, Effect::Failed | Effect::Progress) && event_id != "RECEIVE" {
        let t = text.to_ascii_lowercase();
        if t.contains("quarantin") {
            return (Effect::Quarantined, weak);
        }
        if base == Effect::Failed && t.contains("spam") {
            return (Effect::Spam, weak);
        }
    }
    (base, weak)
}

/// Turns a record into the aggregator's event; `None` for a record that names no message
/// (store-driver notifications such as `NOTIFYMAPI` carry neither a message id nor a
/// recipient).
pub(crate) fn to_event(
    rec: MsgtrkRecord,
    source: usize,
    file: &Arc<PathBuf>,
    line: u64,
) -> Option<RawEvent> {
    let key = rec.key()?;
    let status_text: Vec<&str> = rec
        .recipients
        .iter()
        .map(|(_, s)| s.as_str())
        .filter(|s| {
            !s.is_empty() && !["to", "cc", "bcc"].contains(&s.to_ascii_lowercase().as_str())
        })
        .collect();
    let all_text = format!("{} {}", status_text.join(" "), rec.source_context);
    let (effect, weak) = event_effect(&rec.event_id, &all_text);
    let mut detail_parts: Vec<String> = Vec::new();
    if !rec.source.is_empty() {
        detail_parts.push(format!("[{}]", rec.source));
    }
    for (a, s) in &rec.recipients {
        if !s.is_empty() && !["to", "cc", "bcc"].contains(&s.to_ascii_lowercase().as_str()) {
            detail_parts.push(format!("{a}: {s}"));
        }
    }
    for extra in [&rec.connector_id, &rec.source_context] {
        if !extra.is_empty() {
            detail_parts.push(extra.clone());
        }
    }
    if rec.event_id == "DSN" && !rec.reference.is_empty() {
        detail_parts.push(format!("for {}", rec.reference));
    }
    let mut ev = RawEvent::new(rec.time, AggKey::Exchange(key), source, file, line);
    ev.recipients = rec
        .recipients
        .into_iter()
        .map(|(addr, s)| RcptEvent {
            addr,
            reply: if looks_like_reply(&s) {
                s
            } else {
                String::new()
            },
            ..RcptEvent::default()
        })
        .collect();
    ev.message_id = rec.message_id;
    ev.sender = Some(rec.sender).filter(|s| !s.is_empty());
    ev.subject = Some(rec.subject);
    ev.reference = Some(rec.reference).filter(|s| !s.is_empty());
    ev.effect = effect;
    ev.weak = weak;
    ev.receive = rec.event_id == "RECEIVE";
    ev.detail = clean(&detail_parts.join(" · "), TEXT_CAP);
    ev.event = rec.event_id;
    ev.server = rec.server;
    Some(ev)
}

/// Per-file parse state: the column map from `#Fields` and the header values seen.
#[derive(Debug, Clone, Default)]
pub struct FileState {
    pub map: Option<FieldMap>,
    pub version: Option<String>,
    pub log_type: Option<String>,
}

impl FileState {
    /// Applies a `#` header line; returns false if it was not a well-formed header.
    pub fn apply_header(&mut self, line: &[u8]) -> bool {
        let text = String::from_utf8_lossy(trim_cr(line));
        let Some((name, value)) = parse_header(&text) else {
            return false;
        };
        match name.as_str() {
            "fields" => {
                self.map = FieldMap::from_fields(value);
                return self.map.is_some();
            }
            "version" => self.version = Some(clean(value, 64)),
            "log-type" => self.log_type = Some(clean(value, 128)),
            _ => {}
        }
        true
    }

    /// Parses a line that is not a header.
    pub fn parse(&self, line: &[u8]) -> Result<MsgtrkRecord, LineError> {
        match &self.map {
            Some(m) => parse_record(m, trim_cr(line)),
            None => Err(LineError::NoHeader),
        }
    }
}

pub(crate) fn trim_cr(line: &[u8]) -> &[u8] {
    match line.last() {
        Some(b'\r') => &line[..line.len() - 1],
        _ => line,
    }
}

/// What one [`MsgtrkTail::poll`] read.
#[derive(Debug, Default)]
pub struct TailBatch {
    /// Records with their 1-based line numbers.
    pub records: Vec<(u64, MsgtrkRecord)>,
    /// Lines that could not be read, with the reason.
    pub bad_lines: Vec<(u64, LineError)>,
    /// True when the file had shrunk (rotated or truncated) and was read again from the start.
    pub restarted: bool,
}

/// Follows one MSGTRK file that Exchange is still writing: each [`poll`](Self::poll) reads from
/// the remembered offset to the current end; an incomplete last line is kept until its end
/// arrives.
#[derive(Debug)]
pub struct MsgtrkTail {
    path: PathBuf,
    offset: u64,
    partial: Vec<u8>,
    state: FileState,
    next_line: u64,
}

impl MsgtrkTail {
    pub fn new(path: impl Into<PathBuf>) -> Self {
        MsgtrkTail {
            path: path.into(),
            offset: 0,
            partial: Vec::new(),
            state: FileState::default(),
            next_line: 1,
        }
    }

    /// Bytes consumed so far (including a held-back incomplete line).
    pub fn offset(&self) -> u64 {
        self.offset
    }

    pub fn path(&self) -> &Path {
        &self.path
    }

    /// Reads what was appended since the last call.
    pub fn poll(&mut self) -> io::Result<TailBatch> {
        let mut batch = TailBatch::default();
        let mut file = File::open(&self.path)?;
        let len = file.metadata()?.len();
        if len < self.offset {
            *self = MsgtrkTail::new(self.path.clone());
            batch.restarted = true;
        }
        file.seek(SeekFrom::Start(self.offset))?;
        let mut buf = vec![0u8; super::files::CHUNK];
        loop {
            let n = match file.read(&mut buf) {
                Ok(0) => break,
                Ok(n) => n,
                Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
                Err(e) => return Err(e),
            };
            let mut data = &buf[..n];
            if self.offset == 0 && data.starts_with(&[0xef, 0xbb, 0xbf]) {
                data = &data[3..];
            }
            self.offset += n as u64;
            self.partial.extend_from_slice(data);
            let Some(last) = memchr::memrchr(b'\n', &self.partial) else {
                continue;
            };
            let complete: Vec<u8> = self.partial.drain(..=last).collect();
            for line in complete[..complete.len() - 1].split(|b| *b == b'\n') {
                let no = self.next_line;
                self.next_line += 1;
                if trim_cr(line).is_empty() {
                    continue;
                }
                if line.first() == Some(&b'#') {
                    self.state.apply_header(line);
                    continue;
                }
                match self.state.parse(line) {
                    Ok(r) => batch.records.push((no, r)),
                    Err(e) => batch.bad_lines.push((no, e)),
                }
            }
        }
        Ok(batch)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names() {
        assert!(is_msgtrk_name("MSGTRK2026030213-1.LOG"));
        assert!(is_msgtrk_name("msgtrkms2022091915-12.log"));
        assert!(is_msgtrk_name("MSGTRKMD20260302-1.LOG"));
        assert!(!is_msgtrk_name("MSGTRK2026-1.LOG"));
        assert!(!is_msgtrk_name("MSGTRK20260302.LOG"));
        assert!(!is_msgtrk_name("notes.txt"));
    }

    #[test]
    fn csv_quotes_commas_and_doubled_quotes() {
        let f = split_csv(br#"a,"b, c","say ""hi""",,"x""#).unwrap();
        assert_eq!(f, ["a", "b, c", "say \"hi\"", "", "x"]);
        assert_eq!(split_csv(b"").unwrap(), [""]);
        assert_eq!(split_csv(b"a,").unwrap(), ["a", ""]);
        assert_eq!(split_csv(br#"a,"open"#), Err(LineError::Unterminated));
    }

    #[test]
    fn pairing_keeps_semicolons_inside_a_status() {
        assert_eq!(
            pair_recipients(
                "ops@contoso.com",
                "550 4.4.7 QUEUE.Expired; message expired"
            ),
            [(
                "ops@contoso.com".to_string(),
                "550 4.4.7 QUEUE.Expired; message expired".to_string()
            )]
        );
        assert_eq!(
            pair_recipients("a@x;b@x", "250 2.1.5 OK;250 2.1.5 OK"),
            [
                ("a@x".to_string(), "250 2.1.5 OK".to_string()),
                ("b@x".to_string(), "250 2.1.5 OK".to_string())
            ]
        );
        assert_eq!(
            pair_recipients(
                "a@x;b@x",
                "550 4.4.7 QUEUE.Expired; message expired;250 2.1.5 OK"
            ),
            [
                (
                    "a@x".to_string(),
                    "550 4.4.7 QUEUE.Expired; message expired".to_string()
                ),
                ("b@x".to_string(), "250 2.1.5 OK".to_string())
            ]
        );
        assert_eq!(
            pair_recipients("a@x;b@x;c@x", "To;Cc"),
            [
                ("a@x".to_string(), "To".to_string()),
                ("b@x".to_string(), "Cc".to_string()),
                ("c@x".to_string(), String::new())
            ]
        );
        assert!(pair_recipients("", "").is_empty());
    }

    #[test]
    fn effects() {
        let e = |id: &str, text: &str| event_effect(id, text);
        assert_eq!(e("DELIVER", ""), (Effect::Delivered, false));
        assert_eq!(e("DUPLICATEDELIVER", ""), (Effect::Delivered, true));
        assert_eq!(e("DEFER", "451 4.4.0"), (Effect::Deferred, false));
        assert_eq!(
            e("FAIL", "550 5.7.1 Message rejected as spam"),
            (Effect::Spam, false)
        );
        assert_eq!(
            e("REDIRECT", "quarantine mailbox"),
            (Effect::Quarantined, false)
        );
        assert_eq!(e("AGENTINFO", ""), (Effect::Info, false));
        assert_eq!(e("POISONMESSAGE", ""), (Effect::Failed, false));
        assert_eq!(e("SOMETHINGNEW", ""), (Effect::Info, false));
        // Shadow redundancy and store-driver notifications never decide a status.
        assert_eq!(e("HARECEIVE", ""), (Effect::Progress, true));
        assert_eq!(e("RESUBMIT", ""), (Effect::Progress, true));
        assert_eq!(e("HAREDIRECT", ""), (Effect::Info, false));
        assert_eq!(e("HAREDIRECTFAIL", ""), (Effect::Info, false));
        assert_eq!(e("NOTIFYMAPI", ""), (Effect::Info, false));
    }

    #[test]
    fn field_map_needs_date_and_event() {
        assert!(FieldMap::from_fields("a,b,c").is_none());
        let m = FieldMap::from_fields("event-id, Date-Time ,x").unwrap();
        assert_eq!((m.count, m.event_id, m.date_time), (3, Some(0), Some(1)));
    }
}
