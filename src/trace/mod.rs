//! Message trace backends and the streaming scan over log files.
//!
//! - [`exchange_logs`]: Exchange Server message tracking logs (`MSGTRK*.LOG`).
//! - [`postfix`]: Postfix maillog lines (classic syslog or RFC 3339 prefix, `.gz` rotations).
//! - [`scan`]: the parallel, cancellable, streaming scan: [`run_query`], [`collect_query`],
//!   [`chain`].
//! - [`gen`]: a generator of realistic MSGTRK logs for benchmarks.

pub(crate) mod agg;
pub mod all;
pub mod exchange_logs;
pub mod exo;
pub mod files;
pub mod fold;
pub mod r#gen;
pub(crate) mod logfile;
pub mod postfix;
pub mod scan;

use std::path::PathBuf;
use std::sync::Arc;

use chrono::{DateTime, SecondsFormat, Utc};
use serde_json::{Map, Value, json};

use crate::domain::trace::{TraceRow, TraceStatus, TraceSummary};
use crate::domain::trace_breakdown::Breakdown;

pub use scan::{
    LogKind, Progress, ScanMsg, ScanSource, ScanStats, ScanWarning, TraceScan, chain,
    collect_query, run_query,
};

/// Errors a trace scan can return. Problems with one file or one line are not errors: they
/// are [`ScanWarning`]s and the scan goes on.
#[derive(Debug, thiserror::Error)]
pub enum TraceError {
    #[error("{path}: {source}")]
    Io {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    #[error(
        "no log files to scan: check the `path` of each trace source ({0}); \
         a folder, a file or a glob such as /var/log/mail.log* is expected"
    )]
    NoFiles(String),
    #[error(
        "trace source {0:?} is an Exchange Online source, which this scan cannot read; \
         query it through the Exchange Online backend"
    )]
    NotAFileSource(String),
}

/// How an event changes the delivery status of the recipients it names.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Effect {
    /// Informational (AGENTINFO, `removed`, …): no status change.
    Info,
    /// Accepted / in transit.
    Progress,
    /// Temporary failure: pending, and counted as a deferral.
    Deferred,
    Delivered,
    Failed,
    Expanded,
    Quarantined,
    Spam,
    /// Postfix `status=expired`: every recipient not yet delivered has failed.
    Expired,
}

impl Effect {
    /// Status and tie-break rank (higher wins at equal times), or `None` for [`Effect::Info`].
    pub(crate) fn status(self) -> Option<(TraceStatus, u8)> {
        Some(match self {
            Effect::Info => return None,
            Effect::Progress => (TraceStatus::Pending, 1),
            Effect::Deferred => (TraceStatus::Pending, 2),
            Effect::Delivered => (TraceStatus::Delivered, 3),
            Effect::Failed | Effect::Expired => (TraceStatus::Failed, 3),
            Effect::Expanded => (TraceStatus::Expanded, 3),
            Effect::Quarantined => (TraceStatus::Quarantined, 3),
            Effect::Spam => (TraceStatus::FilteredAsSpam, 3),
        })
    }
}

/// How events of one message are grouped.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub(crate) enum AggKey {
    /// Exchange: the message id, shared by every server and file.
    Exchange(String),
    /// Postfix: queue id within one source.
    Postfix { source: usize, qid: String },
    /// A record that stands alone (Postfix `NOQUEUE` reject): an id made from the line.
    Single { source: usize, id: String },
}

/// What one event says about one recipient.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub(crate) struct RcptEvent {
    pub addr: String,
    /// The reply or status text (`451 4.7.500 Server busy…`); empty when none.
    pub reply: String,
    /// The enhanced status code logged beside the reply (Postfix `dsn=`).
    pub dsn: String,
    /// Postfix `orig_to=`: the address before alias rewriting.
    pub orig_to: Option<String>,
    /// Postfix `delay=`, in milliseconds.
    pub delay_ms: Option<u64>,
}

/// One parsed log event on its way from a worker to the aggregator. Every string has been
/// through `sanitize_line`.
#[derive(Debug, Clone)]
pub(crate) struct RawEvent {
    pub time: DateTime<Utc>,
    pub key: AggKey,
    pub source: usize,
    pub message_id: String,
    pub sender: Option<String>,
    pub subject: Option<String>,
    /// Exchange `reference` (a DSN names its original message here).
    pub reference: Option<String>,
    pub recipients: Vec<RcptEvent>,
    /// Message-level reply for events without recipients (expiry reason).
    pub reply: String,
    pub effect: Effect,
    /// A weak status never replaces a normal one, whatever their times (a content-filter hop,
    /// a shadow copy, a Safety Net resubmission).
    pub weak: bool,
    /// The recipients were handed to a content filter.
    pub hop: bool,
    /// The message goes on under this key (a content filter's `queued as`).
    pub link: Option<AggKey>,
    /// A bounce notification created for this message.
    pub notification: Option<AggKey>,
    /// Exchange `RECEIVE`: where the delay clock starts.
    pub receive: bool,
    /// An address-verification probe, not a message.
    pub probe: bool,
    pub event: String,
    pub server: String,
    pub detail: String,
    pub file: Arc<PathBuf>,
    pub line: u64,
}

impl RawEvent {
    pub(crate) fn new(
        time: DateTime<Utc>,
        key: AggKey,
        source: usize,
        file: &Arc<PathBuf>,
        line: u64,
    ) -> RawEvent {
        RawEvent {
            time,
            key,
            source,
            message_id: String::new(),
            sender: None,
            subject: None,
            reference: None,
            recipients: Vec::new(),
            reply: String::new(),
            effect: Effect::Info,
            weak: false,
            hop: false,
            link: None,
            notification: None,
            receive: false,
            probe: false,
            event: String::new(),
            server: String::new(),
            detail: String::new(),
            file: Arc::clone(file),
            line,
        }
    }
}

/// Caps for fields taken from logs.
pub(crate) const ADDR_CAP: usize = 512;
pub(crate) const TEXT_CAP: usize = crate::domain::text::FIELD_CAP;

/// `sanitize_line` with a cap, the one door every log field goes through.
pub(crate) fn clean(s: &str, cap: usize) -> String {
    crate::domain::text::sanitize_line(s, cap)
}

/// True when `s` starts like an SMTP reply: three digits then a space or a dash.
pub(crate) fn looks_like_reply(s: &str) -> bool {
    let b = s.as_bytes();
    b.len() >= 4 && b[..3].iter().all(u8::is_ascii_digit) && (b[3] == b' ' || b[3] == b'-')
}

/// Machine-readable output of a query: exactly
/// `{"summary":{"rows":N,"by_status":{...}},"rows":[{received, sender, recipient, subject,
/// status, reply, message_id, source}]}`. `by_status` lists every status, zeros included.
pub fn trace_json(rows: &[TraceRow], summary: &TraceSummary) -> Value {
    let rows: Vec<Value> = rows
        .iter()
        .map(|r| {
            json!({
                "received": r.received.to_rfc3339_opts(SecondsFormat::AutoSi, true),
                "sender": r.sender,
                "recipient": r.recipient,
                "subject": r.subject,
                "status": r.status.as_str(),
                "reply": r.reply,
                "message_id": r.message_id,
                "source": r.source,
            })
        })
        .collect();
    json!({
        "summary": { "rows": summary.rows, "by_status": status_counts(&summary.by_status) },
        "rows": rows,
    })
}

/// `by_status` with every status, zeros included.
fn status_counts(counts: &std::collections::BTreeMap<TraceStatus, usize>) -> Value {
    let mut by_status = Map::new();
    for s in TraceStatus::ALL {
        let n = counts.get(&s).copied().unwrap_or(0);
        by_status.insert(s.as_str().to_string(), json!(n));
    }
    Value::Object(by_status)
}

/// Machine-readable breakdown: exactly `{"by":"domain","groups":[{"key","count","by_status":
/// {...},"delay_p50_s","delay_p95_s","delay_max_s"}],"summary":{"rows":N,"by_status":{...}}}`,
/// groups largest first, delays `null` where unknown.
pub fn breakdown_json(b: &Breakdown, summary: &TraceSummary) -> Value {
    let groups: Vec<Value> = b
        .groups
        .iter()
        .map(|g| {
            json!({
                "key": g.key,
                "count": g.count,
                "by_status": status_counts(&g.by_status),
                "delay_p50_s": g.delay_p50_s,
                "delay_p95_s": g.delay_p95_s,
                "delay_max_s": g.delay_max_s,
            })
        })
        .collect();
    json!({
        "by": b.by.as_str(),
        "groups": groups,
        "summary": { "rows": summary.rows, "by_status": status_counts(&summary.by_status) },
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::trace::TraceQuery;
    use chrono::TimeZone;

    #[test]
    fn json_shape_is_exact() {
        let row = TraceRow {
            received: Utc.with_ymd_and_hms(2026, 3, 2, 13, 5, 1).unwrap(),
            sender: "a@x".into(),
            recipient: "b@y".into(),
            subject: "s".into(),
            status: TraceStatus::FilteredAsSpam,
            reply: "550 5.7.1".into(),
            message_id: "<m@x>".into(),
            source: "ex".into(),
            key: "<m@x>".into(),
            deferrals: vec![Utc.with_ymd_and_hms(2026, 3, 2, 13, 6, 1).unwrap()],
            last_event: None,
            delay_ms: None,
            dsn: String::new(),
        };
        let summary = TraceSummary::from_rows(std::slice::from_ref(&row), &TraceQuery::default());
        let v = trace_json(&[row], &summary);
        assert_eq!(v["summary"]["rows"], 1);
        assert_eq!(v["summary"]["by_status"]["filtered_as_spam"], 1);
        assert_eq!(v["summary"]["by_status"]["delivered"], 0);
        assert_eq!(v["summary"].as_object().unwrap().len(), 2);
        let r = v["rows"][0].as_object().unwrap();
        let mut keys: Vec<&str> = r.keys().map(String::as_str).collect();
        keys.sort_unstable();
        assert_eq!(
            keys,
            [
                "message_id",
                "received",
                "recipient",
                "reply",
                "sender",
                "source",
                "status",
                "subject"
            ]
        );
        assert_eq!(r["received"], "2026-03-02T13:05:01Z");
        assert_eq!(r["status"], "filtered_as_spam");
    }

    #[test]
    fn reply_shape() {
        assert!(looks_like_reply("451 4.7.500 Server busy"));
        assert!(looks_like_reply("421-4.7.0 x"));
        assert!(!looks_like_reply("To"));
        assert!(!looks_like_reply("45"));
    }
}
