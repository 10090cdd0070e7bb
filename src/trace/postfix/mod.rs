//! Postfix maillog lines: `<time> <host> postfix/<daemon>[pid]: <QUEUEID>: <text>`, and the lines
//! of the filters and milters that run beside Postfix and name its queue id (amavisd-new,
//! opendkim, opendmarc).
//!
//! The time is either classic syslog (`Mar  2 13:05:01`, no year: the year is inferred from a
//! reference time, normally the file's modification time, and read as UTC) or RFC 3339
//! (`2026-03-02T13:05:31.482913+00:00`). Queue ids are opaque `[0-9A-Za-z]+` (short hex or
//! long ids); `NOQUEUE` marks a pre-queue reject.
//!
//! # How lines count
//!
//! - A **content filter hop** (a delivery `status=sent` to a loopback `relay=`, such as amavisd-new
//!   on 127.0.0.1:10024, whose reply ends `queued as NEWID`) is not a delivery: the message is
//!   still on its way (pending), and `NEWID` (or amavis's `queued_as: NEWID`) names the queue id
//!   it goes on under after the filter re-injects it. The two ids are one message. A filter's
//!   `Ok, discarded … spam` is `filtered_as_spam` (other discards `quarantined`); a loopback
//!   relay without either (Dovecot LMTP on 127.0.0.1:24) is a delivery.
//! - amavis `Blocked SPAM` is `filtered_as_spam`; any other `Blocked` (`INFECTED`, `BANNED`, …)
//!   is `quarantined`.
//! - **Rejects** (`NOQUEUE: reject:` from smtpd or postscreen, smtpd `QID: reject:` of one
//!   recipient, cleanup `reject`/`milter-reject`, `proxy-reject`): `failed` for a 5xx reply,
//!   `pending` (deferred at our edge) for a 4xx one; `discard` is `failed`, `hold` is
//!   `quarantined`.
//! - **Bounce notifications** (`sender non-delivery notification: NEWID`) are messages of their
//!   own, with the null sender `<>`, linked to the message that bounced.
//! - `status=expired` is `failed`; `status=deferred` is `pending`; address-verification probes
//!   (`status=deliverable`/`undeliverable`) are not messages.
//!
//! Reading a line is here; what a record means for the message (the event the aggregator folds)
//! is `event.rs`.

use std::path::PathBuf;
use std::sync::Arc;

use chrono::{DateTime, Datelike, Duration, NaiveDate, Utc};

use super::{ADDR_CAP, AggKey, Effect, RawEvent, RcptEvent, TEXT_CAP, clean};

mod event;
#[cfg(test)]
mod tests;

pub(crate) use event::to_event;

/// What a reject line did to the message.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RejectAction {
    /// `reject`, `milter-reject`, `proxy-reject`: refused with the reply's code.
    Reject,
    /// `discard`, `milter-discard`: accepted and thrown away.
    Discard,
    /// `hold`, `milter-hold`: put on hold by policy (the hold queue).
    Hold,
}

/// What an amavisd-new verdict line says.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Amavis {
    /// `Passed` (true) or `Blocked` (false).
    pub passed: bool,
    /// `CLEAN`, `SPAM`, `SPAMMY`, `INFECTED (Eicar-Signature)`, `BANNED (…)`, …
    pub category: String,
    pub from: Option<String>,
    pub to: Vec<String>,
    pub message_id: Option<String>,
    /// The queue id the filter handed the message back under.
    pub queued_as: Option<String>,
}

/// What a line says about its message.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PfKind {
    /// smtpd: `client=host[ip]`; `loopback` when the client is this host (a re-injection).
    Client { client: String, loopback: bool },
    /// pickup: `uid=N from=<sender>` (local submission).
    Pickup { from: String },
    /// cleanup: `message-id=<…>`.
    MessageId(String),
    /// cleanup `info:`/`warning:` of header or body checks: the subject (if it is a Subject
    /// header) and the envelope sender the line carries.
    Header {
        subject: Option<String>,
        from: Option<String>,
    },
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
        /// `delay=`, in milliseconds.
        delay_ms: Option<u64>,
        /// `queued as NEWID` at the end of the reply.
        queued_as: Option<String>,
        /// The relay is this host (`127.0.0.1`, `::1`, `localhost`): a content filter hop.
        loopback: bool,
    },
    /// qmgr: `removed`.
    Removed,
    /// postsuper: `removed` (deleted from the queue by the administrator).
    Deleted,
    /// bounce: `sender non-delivery notification: QID` (and the other notifications).
    Notification(String),
    /// A reject, discard or hold: before the queue (`NOQUEUE`) or of a queued message.
    Reject {
        action: RejectAction,
        reply: String,
        from: Option<String>,
        to: Option<String>,
    },
    /// amavisd-new `Passed …` / `Blocked …`.
    Amavis(Amavis),
    /// Anything else about the message.
    Other,
}

/// One line that names a queue id (or `NOQUEUE`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PostfixRecord {
    pub time: DateTime<Utc>,
    pub host: String,
    /// Daemon name, the last part of `postfix/smtp` → `smtp`; `amavis`, `opendkim`, … for filters.
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
    /// a queue id; for amavis, the `Queue-ID:` (else the `queued_as:`) of its verdict.
    pub qid: Option<&'a [u8]>,
    /// Text after `QID: ` (or after `program: ` when there is no queue id).
    pub body: &'a [u8],
    /// The line comes from amavisd-new.
    pub amavis: bool,
}

fn is_qid(tok: &[u8]) -> bool {
    !tok.is_empty()
        && tok.len() <= 32
        && tok.iter().all(u8::is_ascii_alphanumeric)
        // `warning:`, `fatal:`, `statistics:` are words, not queue ids.
        && tok.iter().any(|b| b.is_ascii_digit() || b.is_ascii_uppercase())
}

/// Filters and milters whose lines name a Postfix queue id the same way Postfix does.
const MILTERS: [&[u8]; 4] = [
    b"opendkim",
    b"opendmarc",
    b"clamav-milter",
    b"spamass-milter",
];

/// The value after `key` up to the next `,` (or the end), trimmed.
fn after<'a>(line: &'a [u8], key: &[u8]) -> Option<&'a [u8]> {
    let i = memchr::memmem::find(line, key)? + key.len();
    let rest = &line[i..];
    let end = memchr::memchr(b',', rest).unwrap_or(rest.len());
    Some(rest[..end].trim_ascii())
}

/// Splits a line into timestamp, host, program and queue id. Only `postfix…` programs and the
/// filters beside Postfix are accepted. Cheap: used on every line to correlate by queue id.
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
    if program.contains(&b' ') {
        return None;
    }
    let rest = &line[colon + 2..];
    let base = program.rsplit(|b| *b == b'/').next().unwrap_or(program);
    if !program.starts_with(b"postfix") {
        if base.starts_with(b"amavis") {
            let qid = after(rest, b"Queue-ID: ")
                .filter(|q| is_qid(q))
                .or_else(|| after(rest, b"queued_as: ").filter(|q| is_qid(q)));
            return Some(Head {
                ts,
                host,
                program,
                qid,
                body: rest,
                amavis: true,
            });
        }
        if !MILTERS.contains(&base) {
            return None;
        }
    }
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
        amavis: false,
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
    let s = s.trim();
    let s = s.strip_prefix('<').unwrap_or(s);
    s.strip_suffix('>').unwrap_or(s)
}

/// The address inside the `<…>` that follows `key` (`from=<`), searched from `from` on.
fn angle_after(text: &str, key: &str) -> Option<String> {
    let i = text.find(key)? + key.len();
    let s = &text[i..];
    Some(s[..s.find('>').unwrap_or(s.len())].to_string())
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

/// True for a relay or client on this host: `127.0.0.1[127.0.0.1]:10024`, `localhost[::1]`,
/// `[127.0.0.1]:10025`.
pub fn is_loopback(host: &str) -> bool {
    let addr = match (host.find('['), host.rfind(']')) {
        (Some(o), Some(c)) if c > o => &host[o + 1..c],
        _ => host.split(':').next().unwrap_or(host),
    };
    let addr = addr.trim().to_ascii_lowercase();
    addr.starts_with("127.")
        || addr == "::1"
        || addr == "ipv6:::1"
        || addr == "::ffff:127.0.0.1"
        || addr == "localhost"
}

/// The id after the last `queued as ` of a reply (`250 2.0.0 Ok: queued as 5B2D1E0A8F`).
fn queued_as(reply: &str) -> Option<String> {
    let i = reply.rfind("queued as ")? + "queued as ".len();
    let id: String = reply[i..]
        .chars()
        .take_while(char::is_ascii_alphanumeric)
        .collect();
    is_qid(id.as_bytes()).then_some(id)
}

/// `[from=<a>, ]to=<b>` of a reject line (postscreen separates them with commas), sought after
/// the last `; from=<` so that a header or reply text cannot fool it.
fn envelope(text: &str) -> (Option<String>, Option<String>) {
    let tail = match text.rfind("; from=<") {
        Some(i) => &text[i..],
        None => match text.rfind("; to=<") {
            Some(i) => &text[i..],
            None => return (None, None),
        },
    };
    (angle_after(tail, "from=<"), angle_after(tail, "to=<"))
}

/// The reply of a reject line: `RCPT from host[ip]: 550 5.1.1 …; from=<…> …` gives
/// `550 5.1.1 …`; a header/body check (`header Subject: x from host[ip]; from=<> to=<>
/// proto=ESMTP helo=<h>: 5.7.1 text`) gives what follows the envelope.
fn reject_reply(text: &str) -> String {
    let (left, right) = match text.rfind("; from=<").or_else(|| text.rfind("; to=<")) {
        Some(i) => (&text[..i], &text[i + 2..]),
        None => (text, ""),
    };
    if left.starts_with("header ") || left.starts_with("body ") {
        // The reply follows `helo=<…>: `.
        return match right.find(">: ") {
            Some(i) => right[i + 3..].trim().to_string(),
            None => String::new(),
        };
    }
    // `STAGE from CLIENT: reply`; the client never holds ": ".
    let after_from = match left.find(" from ") {
        Some(i) => &left[i + 6..],
        None => left,
    };
    match after_from.find(": ") {
        Some(i) => after_from[i + 2..].trim().to_string(),
        None => after_from.trim().to_string(),
    }
}

fn parse_amavis(body: &str) -> Option<Amavis> {
    // `(12345-07) Passed CLEAN {RelayedInbound}, [ip]:port [ip] <from> -> <to>,<to2>, Queue-ID: …`
    let (passed, rest) = match (body.find(" Passed "), body.find(" Blocked ")) {
        (Some(p), b) if b.is_none_or(|b| p < b) => (true, &body[p + 8..]),
        (_, Some(b)) => (false, &body[b + 9..]),
        _ => {
            let rest = body
                .strip_prefix("Passed ")
                .map(|r| (true, r))
                .or_else(|| body.strip_prefix("Blocked ").map(|r| (false, r)))?;
            (rest.0, rest.1)
        }
    };
    let cat_end = rest.find([',', '{']).unwrap_or(rest.len());
    let category = rest[..cat_end].trim().to_string();
    let (from, to) = match rest.find("> -> <") {
        Some(arrow) => {
            let from = rest[..arrow + 1]
                .rfind('<')
                .map(|o| rest[o + 1..arrow].to_string());
            let mut to = Vec::new();
            let mut s = &rest[arrow + 5..];
            while let Some(r) = s.strip_prefix('<') {
                let Some(close) = r.find('>') else { break };
                to.push(r[..close].to_string());
                s = &r[close + 1..];
                s = s.strip_prefix(',').unwrap_or(s);
            }
            (from, to)
        }
        None => (None, Vec::new()),
    };
    let value = |key: &str| {
        rest.find(key).map(|i| {
            let v = &rest[i + key.len()..];
            v[..v.find(", ").unwrap_or(v.len())].trim().to_string()
        })
    };
    Some(Amavis {
        passed,
        category,
        from,
        to,
        message_id: value("Message-ID: ").filter(|m| !m.is_empty()),
        queued_as: value("queued_as: ").and_then(|q| {
            let q = q.split([' ', ',']).next().unwrap_or("").to_string();
            is_qid(q.as_bytes()).then_some(q)
        }),
    })
}

fn classify(program: &str, body: &str) -> PfKind {
    let b = body.trim();
    if b == "removed" {
        return if program == "postsuper" {
            PfKind::Deleted
        } else {
            PfKind::Removed
        };
    }
    if let Some(c) = b.strip_prefix("client=") {
        let client = c.split(',').next().unwrap_or(c).trim().to_string();
        return PfKind::Client {
            loopback: is_loopback(&client),
            client,
        };
    }
    if b.starts_with("uid=")
        && let Some(from) = angle_after(b, "from=<")
    {
        return PfKind::Pickup { from };
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
        let delay_ms = field(b, "delay=")
            .and_then(|d| d.trim().parse::<f64>().ok())
            .filter(|d| d.is_finite() && *d >= 0.0 && *d < 1e12)
            .map(|d| (d * 1000.0).round() as u64);
        let (status, reply) = match b.find(", status=") {
            Some(i) => {
                let s = &b[i + 9..];
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
            loopback: is_loopback(&relay),
            queued_as: queued_as(&reply),
            to,
            orig_to,
            relay,
            dsn,
            status,
            reply,
            delay_ms,
        };
    }
    if let Some(i) = b.find(" notification: ")
        && b[..i].ends_with("non-delivery")
            | b[..i].ends_with("delay")
            | b[..i].ends_with("delivery status")
    {
        return PfKind::Notification(b[i + 15..].trim().to_string());
    }
    if let Some((word, rest)) = b.split_once(": ") {
        let action = match word {
            "reject" | "milter-reject" | "proxy-reject" => Some(RejectAction::Reject),
            "discard" | "milter-discard" => Some(RejectAction::Discard),
            "hold" | "milter-hold" => Some(RejectAction::Hold),
            _ => None,
        };
        if let Some(action) = action {
            let (from, to) = envelope(rest);
            return PfKind::Reject {
                action,
                reply: reject_reply(rest),
                from,
                to,
            };
        }
        if matches!(
            word,
            "info" | "warning" | "warn" | "redirect" | "filter" | "replace" | "prepend"
        ) {
            let (from, _) = envelope(rest);
            let mut subject = None;
            if program == "cleanup" {
                for marker in ["header Subject: ", "header subject: ", "header SUBJECT: "] {
                    if let Some(i) = rest.find(marker) {
                        let s = &rest[i + marker.len()..];
                        // `Subject text from host[ip]; from=<…> to=<…> …`
                        let s = s.rfind("; from=<").map_or(s, |e| &s[..e]);
                        let s = s.rfind(" from ").map_or(s, |e| &s[..e]);
                        subject = Some(s.to_string());
                        break;
                    }
                }
            }
            return PfKind::Header { subject, from };
        }
    }
    PfKind::Other
}

fn clean_opt(s: Option<String>, cap: usize) -> Option<String> {
    s.map(|s| clean(&s, cap))
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
    let kind = if h.amavis {
        match parse_amavis(&body) {
            Some(a) => PfKind::Amavis(Amavis {
                passed: a.passed,
                category: clean(&a.category, 128),
                from: clean_opt(a.from, ADDR_CAP),
                to: a.to.iter().map(|t| clean(t, ADDR_CAP)).collect(),
                message_id: clean_opt(a.message_id, ADDR_CAP),
                queued_as: a.queued_as,
            }),
            None => PfKind::Other,
        }
    } else {
        classify(&program, &body)
    };
    let kind = match kind {
        PfKind::Client { client, loopback } => PfKind::Client {
            client: clean(&client, ADDR_CAP),
            loopback,
        },
        PfKind::Pickup { from } => PfKind::Pickup {
            from: clean(&from, ADDR_CAP),
        },
        PfKind::MessageId(m) => PfKind::MessageId(clean(&m, ADDR_CAP)),
        PfKind::Header { subject, from } => PfKind::Header {
            subject: clean_opt(subject, TEXT_CAP),
            from: clean_opt(from, ADDR_CAP),
        },
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
            delay_ms,
            queued_as,
            loopback,
        } => PfKind::Delivery {
            to: clean(&to, ADDR_CAP),
            orig_to: clean_opt(orig_to, ADDR_CAP),
            relay: clean(&relay, ADDR_CAP),
            dsn: clean(&dsn, 32),
            status: clean(&status, 32),
            reply: clean(&reply, TEXT_CAP),
            delay_ms,
            queued_as,
            loopback,
        },
        PfKind::Notification(q) => PfKind::Notification(clean(&q, 64)),
        PfKind::Reject {
            action,
            reply,
            from,
            to,
        } => PfKind::Reject {
            action,
            reply: clean(&reply, TEXT_CAP),
            from: clean_opt(from, ADDR_CAP),
            to: clean_opt(to, ADDR_CAP),
        },
        k @ (PfKind::Amavis(_) | PfKind::Removed | PfKind::Deleted | PfKind::Other) => k,
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

/// True for smtpd's `client=` of a message re-injected from this host (after a content filter).
pub(crate) fn is_loopback_start(body: &[u8]) -> bool {
    body.starts_with(b"client=")
        && is_loopback(&String::from_utf8_lossy(
            body[7..].split(|b| *b == b',').next().unwrap_or_default(),
        ))
}

/// True for qmgr's (or postsuper's) `removed`, the last line of a message.
pub(crate) fn is_removed(body: &[u8]) -> bool {
    super::exchange_logs::trim_cr(body) == b"removed"
}

/// The queue id a line hands its message on to (a content-filter hop's `queued as`, amavis's
/// `queued_as:`), without a full parse. `None` for most lines.
pub(crate) fn link_of<'a>(h: &Head<'a>) -> Option<&'a [u8]> {
    if h.amavis {
        let q = after(h.body, b"queued_as: ")?;
        let q = q.split(|b| *b == b' ').next().unwrap_or(q);
        return (is_qid(q) && Some(q) != h.qid).then_some(q);
    }
    if !h.body.starts_with(b"to=<") || memchr::memmem::find(h.body, b", status=sent ").is_none() {
        return None;
    }
    let relay = after(h.body, b", relay=")?;
    if !is_loopback(&String::from_utf8_lossy(relay)) {
        return None;
    }
    let i = memchr::memmem::rfind(h.body, b"queued as ")? + 10;
    let rest = &h.body[i..];
    let end = rest
        .iter()
        .position(|b| !b.is_ascii_alphanumeric())
        .unwrap_or(rest.len());
    let q = &rest[..end];
    is_qid(q).then_some(q)
}
