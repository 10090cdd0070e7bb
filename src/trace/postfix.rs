//! Postfix maillog lines: `<time> <host> postfix/<daemon>[pid]: <QUEUEID>: <text>`.
//!
//! The time is either classic syslog (`Mar  2 13:05:01`, no year: the year is inferred from a
//! reference time, normally the file's modification time, and read as UTC) or RFC 3339
//! (`2026-03-02T13:05:31.482913+00:00`). Queue ids are opaque `[0-9A-Za-z]+` (short hex or
//! long ids); `NOQUEUE` marks a pre-queue reject.

use std::path::PathBuf;
use std::sync::Arc;

use chrono::{DateTime, Datelike, Duration, NaiveDate, Utc};

use super::{ADDR_CAP, AggKey, Effect, RawEvent, TEXT_CAP, clean};

/// What a line says about its message.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PfKind {
    /// smtpd: `client=host[ip]`.
    Client(String),
    /// pickup: `uid=N from=<sender>` (local submission).
    Pickup { from: String },
    /// cleanup: `message-id=<…>`.
    MessageId(String),
    /// cleanup `info:`/`warning: header Subject: …` (only with header_checks).
    Subject(String),
    /// qmgr: `from=<…>, size=N, nrcpt=N (queue active)`.
    Queued { from: String },
    /// qmgr: `from=<…>, status=expired, returned to sender`.
    Expired { from: String },
    /// A delivery agent's `to=<…>, …, dsn=X.Y.Z, status=… (reply)`.
    Delivery {
        to: String,
        orig_to: Option<String>,
        relay: String,
        dsn: String,
        status: String,
        reply: String,
    },
    /// qmgr: `removed`.
    Removed,
    /// bounce: `sender non-delivery notification: QID`.
    Notification(String),
    /// `NOQUEUE: reject: …` before the message was queued.
    Reject {
        reply: String,
        from: String,
        to: String,
    },
    /// cleanup `reject:` / `milter-reject:` of a queued message.
    CleanupReject(String),
    /// Anything else about the message.
    Other,
}

/// One Postfix line that names a queue id (or `NOQUEUE`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PostfixRecord {
    pub time: DateTime<Utc>,
    pub host: String,
    /// Daemon name, the last part of `postfix/smtp` → `smtp`.
    pub program: String,
    /// Queue id, or `NOQUEUE`.
    pub qid: String,
    pub kind: PfKind,
    /// The text after the queue id, sanitised.
    pub text: String,
}

/// Positions inside a line found without allocating.
pub(crate) struct Head<'a> {
    pub ts: &'a [u8],
    pub host: &'a [u8],
    pub program: &'a [u8],
    /// Token before `: ` right after the program (`3449C23E79`, `NOQUEUE`), if it looks like
    /// a queue id.
    pub qid: Option<&'a [u8]>,
    /// Text after `QID: ` (or after `program: ` when there is no queue id).
    pub body: &'a [u8],
}

fn is_qid(tok: &[u8]) -> bool {
    !tok.is_empty()
        && tok.iter().all(u8::is_ascii_alphanumeric)
        // `warning:`, `fatal:`, `statistics:` are words, not queue ids.
        && tok.iter().any(|b| b.is_ascii_digit() || b.is_ascii_uppercase())
}

/// Splits a line into timestamp, host, program and queue id. Only `postfix…` programs are
/// accepted. Cheap: used on every line to correlate by queue id.
pub(crate) fn head(line: &[u8]) -> Option<Head<'_>> {
    let line = super::exchange_logs::trim_cr(line);
    let ts_end = if line.first()?.is_ascii_digit() {
        memchr::memchr(b' ', line)?
    } else {
        // `Mmm dd hh:mm:ss`: month, day (maybe space-padded), time.
        let mut i = 3;
        if line.len() < 15 {
            return None;
        }
        while line.get(i) == Some(&b' ') {
            i += 1;
        }
        let t = memchr::memchr(b' ', &line[i..])? + i + 1; // start of time
        t + memchr::memchr(b' ', &line[t..])?
    };
    let ts = &line[..ts_end];
    let h0 = ts_end + 1;
    let h1 = h0 + memchr::memchr(b' ', line.get(h0..)?)?;
    let host = &line[h0..h1];
    let p0 = h1 + 1;
    let colon = p0 + memchr::memmem::find(line.get(p0..)?, b": ")?;
    let prog_full = &line[p0..colon];
    let program = match memchr::memchr(b'[', prog_full) {
        Some(b) => &prog_full[..b],
        None => prog_full,
    };
    if !program.starts_with(b"postfix") || program.contains(&b' ') {
        return None;
    }
    let rest = &line[colon + 2..];
    let (qid, body) = match memchr::memmem::find(rest, b": ") {
        Some(q) if is_qid(&rest[..q]) => (Some(&rest[..q]), &rest[q + 2..]),
        _ => (None, rest),
    };
    Some(Head {
        ts,
        host,
        program,
        qid,
        body,
    })
}

const MONTHS: [&str; 12] = [
    "jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec",
];

/// Parses a syslog timestamp. Classic stamps get the year that puts them at most a day after
/// `reference` (a log line from December read in January belongs to last year).
pub fn parse_time(ts: &str, reference: DateTime<Utc>) -> Option<DateTime<Utc>> {
    if ts.starts_with(|c: char| c.is_ascii_digit()) {
        return DateTime::parse_from_rfc3339(ts)
            .ok()
            .map(|t| t.with_timezone(&Utc));
    }
    let mut parts = ts.split_whitespace();
    let mon = parts.next()?.to_ascii_lowercase();
    let month = MONTHS.iter().position(|m| *m == mon)? as u32 + 1;
    let day: u32 = parts.next()?.parse().ok()?;
    let time = chrono::NaiveTime::parse_from_str(parts.next()?, "%H:%M:%S%.f").ok()?;
    let limit = reference + Duration::days(1);
    for year in [reference.year(), reference.year() - 1, reference.year() - 2] {
        if let Some(d) = NaiveDate::from_ymd_opt(year, month, day) {
            let t = d.and_time(time).and_utc();
            if t <= limit {
                return Some(t);
            }
        }
    }
    None
}

/// Value of `key=` up to the next `, ` (or end), angle brackets kept.
fn field<'a>(text: &'a str, key: &str) -> Option<&'a str> {
    let start = if text.starts_with(key) {
        key.len()
    } else {
        text.find(&format!(", {key}"))? + 2 + key.len()
    };
    let rest = &text[start..];
    let end = rest.find(", ").unwrap_or(rest.len());
    Some(&rest[..end])
}

fn strip_angle(s: &str) -> &str {
    s.trim().trim_start_matches('<').trim_end_matches('>')
}

/// The useful part of a delivery reply: the remote server's words without `host X said:` and
/// `(in reply to … command)`.
pub fn simplify_reply(text: &str) -> &str {
    let mut t = text.trim();
    if let Some(i) = t.find(" said: ") {
        t = &t[i + 7..];
    }
    if let Some(i) = t.rfind(" (in reply to ")
        && t.ends_with(')')
    {
        t = &t[..i];
    }
    t.trim()
}

fn classify(program: &str, body: &str) -> PfKind {
    let b = body.trim();
    if b == "removed" {
        return PfKind::Removed;
    }
    if let Some(c) = b.strip_prefix("client=") {
        return PfKind::Client(c.split(',').next().unwrap_or(c).to_string());
    }
    if b.starts_with("uid=")
        && let Some(i) = b.find("from=<")
    {
        let from = &b[i + 5..];
        let end = from.find('>').map_or(from.len(), |e| e + 1);
        return PfKind::Pickup {
            from: strip_angle(&from[..end]).to_string(),
        };
    }
    if let Some(m) = b.strip_prefix("message-id=") {
        return PfKind::MessageId(m.trim().to_string());
    }
    if b.starts_with("from=<") {
        let from = strip_angle(field(b, "from=").unwrap_or("")).to_string();
        if b.contains("status=expired") {
            return PfKind::Expired { from };
        }
        return PfKind::Queued { from };
    }
    if b.starts_with("to=<") {
        let to = strip_angle(field(b, "to=").unwrap_or("")).to_string();
        let orig_to = field(b, "orig_to=").map(|s| strip_angle(s).to_string());
        let relay = field(b, "relay=").unwrap_or("").to_string();
        let dsn = field(b, "dsn=").unwrap_or("").to_string();
        let (status, reply) = match b.find("status=") {
            Some(i) => {
                let s = &b[i + 7..];
                let word_end = s.find([' ', ',']).unwrap_or(s.len());
                let status = s[..word_end].to_string();
                let after = &s[word_end..];
                let reply = match (after.find('('), after.rfind(')')) {
                    (Some(o), Some(c)) if c > o => simplify_reply(&after[o + 1..c]).to_string(),
                    _ => after.trim_start_matches([',', ' ']).to_string(),
                };
                (status, reply)
            }
            None => (String::new(), String::new()),
        };
        return PfKind::Delivery {
            to,
            orig_to,
            relay,
            dsn,
            status,
            reply,
        };
    }
    if let Some(q) = b.strip_prefix("sender non-delivery notification: ") {
        return PfKind::Notification(q.trim().to_string());
    }
    for marker in ["header Subject: ", "header subject: "] {
        if program == "cleanup"
            && (b.starts_with("info: ") || b.starts_with("warning: "))
            && let Some(i) = b.find(marker)
        {
            let s = &b[i + marker.len()..];
            // `Subject text from host[ip]; from=<…> to=<…> …`
            let s = s.rfind("; from=<").map_or(s, |e| &s[..e]);
            let s = s.rfind(" from ").map_or(s, |e| &s[..e]);
            return PfKind::Subject(s.to_string());
        }
    }
    if program == "cleanup" && (b.starts_with("reject: ") || b.starts_with("milter-reject: ")) {
        let r = b.split_once(": ").map_or(b, |(_, r)| r);
        return PfKind::CleanupReject(r.to_string());
    }
    if let Some(r) = b.strip_prefix("reject: ") {
        // `RCPT from host[ip]: 450 4.7.25 reason; from=<a> to=<b> proto=ESMTP helo=<h>`
        let reply = r
            .find("]: ")
            .map_or(r, |i| &r[i + 3..])
            .split("; from=<")
            .next()
            .unwrap_or("")
            .to_string();
        let grab = |key: &str| {
            r.find(key)
                .map(|i| {
                    let s = &r[i + key.len()..];
                    s[..s.find('>').unwrap_or(s.len())].to_string()
                })
                .unwrap_or_default()
        };
        return PfKind::Reject {
            reply,
            from: grab("from=<"),
            to: grab("to=<"),
        };
    }
    PfKind::Other
}

/// Parses a line about a queued (or `NOQUEUE`) message; `None` for other lines (connect,
/// disconnect, warnings) and for lines that are not Postfix at all.
pub fn parse_line(line: &[u8], reference: DateTime<Utc>) -> Option<PostfixRecord> {
    let h = head(line)?;
    let qid = h.qid?;
    let ts = std::str::from_utf8(h.ts).ok()?;
    let time = parse_time(ts, reference)?;
    let program_full = String::from_utf8_lossy(h.program);
    let program = program_full.rsplit('/').next().unwrap_or("").to_string();
    let body = String::from_utf8_lossy(h.body);
    let kind = classify(&program, &body);
    let kind = match kind {
        PfKind::Client(c) => PfKind::Client(clean(&c, ADDR_CAP)),
        PfKind::Pickup { from } => PfKind::Pickup {
            from: clean(&from, ADDR_CAP),
        },
        PfKind::MessageId(m) => PfKind::MessageId(clean(&m, ADDR_CAP)),
        PfKind::Subject(s) => PfKind::Subject(clean(&s, TEXT_CAP)),
        PfKind::Queued { from } => PfKind::Queued {
            from: clean(&from, ADDR_CAP),
        },
        PfKind::Expired { from } => PfKind::Expired {
            from: clean(&from, ADDR_CAP),
        },
        PfKind::Delivery {
            to,
            orig_to,
            relay,
            dsn,
            status,
            reply,
        } => PfKind::Delivery {
            to: clean(&to, ADDR_CAP),
            orig_to: orig_to.map(|o| clean(&o, ADDR_CAP)),
            relay: clean(&relay, ADDR_CAP),
            dsn: clean(&dsn, 32),
            status: clean(&status, 32),
            reply: clean(&reply, TEXT_CAP),
        },
        PfKind::Notification(q) => PfKind::Notification(clean(&q, 64)),
        PfKind::Reject { reply, from, to } => PfKind::Reject {
            reply: clean(&reply, TEXT_CAP),
            from: clean(&from, ADDR_CAP),
            to: clean(&to, ADDR_CAP),
        },
        PfKind::CleanupReject(r) => PfKind::CleanupReject(clean(&r, TEXT_CAP)),
        k @ (PfKind::Removed | PfKind::Other) => k,
    };
    Some(PostfixRecord {
        time,
        host: clean(&String::from_utf8_lossy(h.host), ADDR_CAP),
        program: clean(&program, 64),
        qid: String::from_utf8_lossy(qid).into_owned(),
        kind,
        text: clean(&body, TEXT_CAP),
    })
}

/// True for the first line of a message's life in the log (smtpd `client=`, pickup `uid=`).
pub(crate) fn is_start(body: &[u8]) -> bool {
    body.starts_with(b"client=") || body.starts_with(b"uid=")
}

/// True for qmgr's `removed`, the last line of a message.
pub(crate) fn is_removed(body: &[u8]) -> bool {
    super::exchange_logs::trim_cr(body) == b"removed"
}

/// Turns a record into the aggregator's event.
pub(crate) fn to_event(
    rec: PostfixRecord,
    source: usize,
    file: &Arc<PathBuf>,
    line: u64,
) -> RawEvent {
    let mut ev = RawEvent {
        time: rec.time,
        key: AggKey::Postfix {
            source,
            qid: rec.qid.clone(),
        },
        source,
        message_id: String::new(),
        sender: None,
        subject: None,
        reference: None,
        recipients: Vec::new(),
        reply: String::new(),
        effect: Effect::Info,
        event: rec.program,
        server: rec.host,
        detail: rec.text,
        file: Arc::clone(file),
        line,
    };
    match rec.kind {
        PfKind::Client(_) => ev.effect = Effect::Progress,
        PfKind::Pickup { from } | PfKind::Queued { from } => {
            ev.effect = Effect::Progress;
            ev.sender = Some(from);
        }
        PfKind::MessageId(m) => {
            ev.effect = Effect::Progress;
            ev.message_id = m;
        }
        PfKind::Subject(s) => ev.subject = Some(s),
        PfKind::Expired { from } => {
            ev.effect = Effect::Expired;
            ev.sender = Some(from);
            ev.reply = "message expired, returned to sender".to_string();
        }
        PfKind::Delivery {
            to, status, reply, ..
        } => {
            ev.effect = match status.as_str() {
                "sent" => Effect::Delivered,
                "deferred" => Effect::Deferred,
                "bounced" | "expired" => Effect::Failed,
                _ => Effect::Info,
            };
            ev.recipients.push((to, reply));
        }
        PfKind::Reject { reply, from, to } => {
            let fname = file
                .file_name()
                .map(|n| n.to_string_lossy())
                .unwrap_or_default();
            ev.key = AggKey::Single(format!("NOQUEUE:{fname}:{line}"));
            ev.effect = Effect::Rejected;
            ev.sender = Some(from);
            ev.recipients.push((to, reply));
        }
        PfKind::CleanupReject(r) => {
            ev.effect = Effect::Failed;
            ev.reply = r;
        }
        PfKind::Removed | PfKind::Notification(_) | PfKind::Other => {}
    }
    ev
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    fn refr() -> DateTime<Utc> {
        Utc.with_ymd_and_hms(2026, 3, 3, 0, 0, 0).unwrap()
    }

    #[test]
    fn classic_and_rfc3339_times() {
        assert_eq!(
            parse_time("Mar  2 13:05:01", refr()),
            Some(Utc.with_ymd_and_hms(2026, 3, 2, 13, 5, 1).unwrap())
        );
        // December seen in January is last year.
        let jan = Utc.with_ymd_and_hms(2026, 1, 2, 0, 0, 0).unwrap();
        assert_eq!(
            parse_time("Dec 31 23:59:59", jan),
            Some(Utc.with_ymd_and_hms(2025, 12, 31, 23, 59, 59).unwrap())
        );
        assert_eq!(
            parse_time("2026-03-02T13:05:31.482913+01:00", refr()),
            Some(
                Utc.with_ymd_and_hms(2026, 3, 2, 12, 5, 31).unwrap()
                    + Duration::microseconds(482913)
            )
        );
        assert_eq!(parse_time("Foo  2 13:05:01", refr()), None);
    }

    #[test]
    fn lines() {
        let l = b"Mar  2 13:10:02 mx1 postfix/smtp[24101]: 3449C23E79: to=<ops@contoso.com>, relay=contoso-com.mail.protection.outlook.com[192.0.2.56]:25, delay=301, delays=300/0.01/0.4/0.2, dsn=4.7.500, status=deferred (host contoso-com.mail.protection.outlook.com[192.0.2.56] said: 451 4.7.500 Server busy. Please try again later from [198.51.100.7]. (AS761) [BN8NAM11FT012.eop-nam11.prod.protection.outlook.com] (in reply to RCPT TO command))";
        let r = parse_line(l, refr()).unwrap();
        assert_eq!(r.qid, "3449C23E79");
        assert_eq!(r.program, "smtp");
        match r.kind {
            PfKind::Delivery {
                to,
                status,
                reply,
                dsn,
                ..
            } => {
                assert_eq!(to, "ops@contoso.com");
                assert_eq!(status, "deferred");
                assert_eq!(dsn, "4.7.500");
                assert!(reply.starts_with("451 4.7.500 Server busy."), "{reply}");
                assert!(reply.ends_with("prod.protection.outlook.com]"), "{reply}");
            }
            k => panic!("{k:?}"),
        }
        assert!(
            parse_line(
                b"Mar  2 13:05:01 mx1 postfix/smtpd[24011]: connect from a[1.2.3.4]",
                refr()
            )
            .is_none()
        );
        assert!(
            parse_line(
                b"Mar  2 13:05:01 mx1 postfix/smtpd[1]: warning: hostname x does not resolve",
                refr()
            )
            .is_none()
        );
        assert!(parse_line(b"Mar  2 13:05:01 mx1 sshd[1]: ABC123: x", refr()).is_none());
        let q = parse_line(
            b"Mar  2 13:20:00 mx1 postfix/qmgr[1668]: 5D6E7F8091: from=<newsletter@contoso.com>, status=expired, returned to sender",
            refr(),
        )
        .unwrap();
        assert_eq!(
            q.kind,
            PfKind::Expired {
                from: "newsletter@contoso.com".into()
            }
        );
        let nq = parse_line(
            b"Mar  2 13:12:44 mx1 postfix/smtpd[24140]: NOQUEUE: reject: RCPT from unknown[198.51.100.99]: 450 4.7.25 Client host rejected: cannot find your hostname, [198.51.100.99]; from=<x@spam.example> to=<ops@contoso.com> proto=ESMTP helo=<spam.example>",
            refr(),
        )
        .unwrap();
        assert_eq!(
            nq.kind,
            PfKind::Reject {
                reply:
                    "450 4.7.25 Client host rejected: cannot find your hostname, [198.51.100.99]"
                        .into(),
                from: "x@spam.example".into(),
                to: "ops@contoso.com".into()
            }
        );
        let s = parse_line(
            b"Mar  2 13:05:01 mx1 postfix/cleanup[9]: 3449C23E79: info: header Subject: Nightly batch from mail.fabrikam.com[203.0.113.10]; from=<a@b> to=<c@d> proto=ESMTP helo=<x>",
            refr(),
        )
        .unwrap();
        assert_eq!(s.kind, PfKind::Subject("Nightly batch".into()));
    }

    #[test]
    fn reply_simplification() {
        assert_eq!(
            simplify_reply("host x[1.2.3.4] said: 550 5.1.1 nope (in reply to RCPT TO command)"),
            "550 5.1.1 nope"
        );
        assert_eq!(
            simplify_reply("connect to x[1.2.3.4]:25: Connection timed out"),
            "connect to x[1.2.3.4]:25: Connection timed out"
        );
    }
}
