//! Message trace: the query, the rows it yields (one per message and recipient, as
//! `Get-MessageTrace` shows them), the raw event chain of a message, the summary shown above the
//! results, and the configuration of trace sources. Pure: std, serde and chrono only.

use std::collections::BTreeMap;
use std::fmt;
use std::path::PathBuf;
use std::str::FromStr;

use chrono::{DateTime, Duration, Utc};
use serde::{Deserialize, Serialize};

/// Delivery status of one message for one recipient, with the vocabulary of Exchange Online.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum TraceStatus {
    Delivered,
    Pending,
    Failed,
    Quarantined,
    FilteredAsSpam,
    Expanded,
    Unknown,
}

impl TraceStatus {
    pub const ALL: [TraceStatus; 7] = [
        TraceStatus::Delivered,
        TraceStatus::Pending,
        TraceStatus::Failed,
        TraceStatus::Quarantined,
        TraceStatus::FilteredAsSpam,
        TraceStatus::Expanded,
        TraceStatus::Unknown,
    ];

    /// The snake_case name used in JSON and on the command line.
    pub fn as_str(self) -> &'static str {
        match self {
            TraceStatus::Delivered => "delivered",
            TraceStatus::Pending => "pending",
            TraceStatus::Failed => "failed",
            TraceStatus::Quarantined => "quarantined",
            TraceStatus::FilteredAsSpam => "filtered_as_spam",
            TraceStatus::Expanded => "expanded",
            TraceStatus::Unknown => "unknown",
        }
    }
}

impl fmt::Display for TraceStatus {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Error for a status name that is not one of [`TraceStatus::ALL`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UnknownStatus(pub String);

impl fmt::Display for UnknownStatus {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "unknown trace status {:?}: use one of delivered, pending, failed, quarantined, \
             filtered_as_spam, expanded, unknown",
            self.0
        )
    }
}

impl std::error::Error for UnknownStatus {}

impl FromStr for TraceStatus {
    type Err = UnknownStatus;

    /// Case-insensitive; accepts the Exchange Online spellings too (`FilteredAsSpam`,
    /// `GettingStatus` = pending, `None` = unknown).
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let norm: String = s
            .trim()
            .chars()
            .filter(|c| *c != '_' && *c != '-' && *c != ' ')
            .flat_map(char::to_lowercase)
            .collect();
        Ok(match norm.as_str() {
            "delivered" => TraceStatus::Delivered,
            "pending" | "gettingstatus" | "deferred" => TraceStatus::Pending,
            "failed" => TraceStatus::Failed,
            "quarantined" => TraceStatus::Quarantined,
            "filteredasspam" | "spam" => TraceStatus::FilteredAsSpam,
            "expanded" => TraceStatus::Expanded,
            "unknown" | "none" => TraceStatus::Unknown,
            _ => return Err(UnknownStatus(s.to_string())),
        })
    }
}

/// What to look for. Every field is optional and all given fields must match.
///
/// Matching rules (all case-insensitive):
/// - `sender` / `recipient`: a full address (`a@b.com`, angle brackets allowed) must equal the
///   address; a term starting with `@` matches the end of the address (`@contoso.com`); any other
///   term (`contoso`) matches anywhere in the address.
/// - `message_id`: equal, ignoring the angle brackets.
/// - `subject_contains`: substring of the subject.
/// - `since` / `until`: bounds (inclusive) on the time the message was received.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct TraceQuery {
    pub sender: Option<String>,
    pub recipient: Option<String>,
    pub message_id: Option<String>,
    pub subject_contains: Option<String>,
    pub status: Option<TraceStatus>,
    pub since: Option<DateTime<Utc>>,
    pub until: Option<DateTime<Utc>>,
}

/// Lower-cases and strips surrounding white space and angle brackets; empty becomes `None`.
pub fn normalize_term(term: &str) -> Option<String> {
    let t = term
        .trim()
        .trim_start_matches('<')
        .trim_end_matches('>')
        .trim();
    if t.is_empty() {
        None
    } else {
        Some(t.to_lowercase())
    }
}

/// Address matching as described on [`TraceQuery`]; `term` must already be normalised.
pub fn address_matches(term: &str, address: &str) -> bool {
    let addr = address
        .trim()
        .trim_start_matches('<')
        .trim_end_matches('>')
        .to_lowercase();
    if term.starts_with('@') {
        addr.ends_with(term)
    } else if term.contains('@') {
        addr == term
    } else {
        addr.contains(term)
    }
}

impl TraceQuery {
    /// True when the query has no text terms (only status and/or time bounds, or nothing).
    pub fn has_text_terms(&self) -> bool {
        self.text_terms().iter().any(Option::is_some)
    }

    /// The normalised text terms: sender, recipient, message id, subject.
    pub fn text_terms(&self) -> [Option<String>; 4] {
        [
            self.sender.as_deref().and_then(normalize_term),
            self.recipient.as_deref().and_then(normalize_term),
            self.message_id.as_deref().and_then(normalize_term),
            self.subject_contains
                .as_deref()
                .map(str::trim)
                .filter(|s| !s.is_empty())
                .map(str::to_lowercase),
        ]
    }

    /// Does this row satisfy every condition of the query?
    pub fn matches(&self, row: &TraceRow) -> bool {
        let [sender, recipient, message_id, subject] = self.text_terms();
        if let Some(t) = sender
            && !address_matches(&t, &row.sender)
        {
            return false;
        }
        if let Some(t) = recipient
            && !address_matches(&t, &row.recipient)
        {
            return false;
        }
        if let Some(t) = message_id
            && normalize_term(&row.message_id).as_deref() != Some(t.as_str())
        {
            return false;
        }
        if let Some(t) = subject
            && !row.subject.to_lowercase().contains(&t)
        {
            return false;
        }
        if let Some(s) = self.status
            && row.status != s
        {
            return false;
        }
        if let Some(since) = self.since
            && row.received < since
        {
            return false;
        }
        if let Some(until) = self.until
            && row.received > until
        {
            return false;
        }
        true
    }
}

/// One message for one recipient.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct TraceRow {
    /// When the message was first seen (earliest event of its chain in the scanned logs).
    pub received: DateTime<Utc>,
    pub sender: String,
    pub recipient: String,
    pub subject: String,
    pub status: TraceStatus,
    /// Last SMTP reply or reason, e.g. `451 4.7.500 Server busy`; empty when none was logged.
    pub reply: String,
    pub message_id: String,
    /// Name of the configured trace source(s) the row came from.
    pub source: String,
    /// Key for [`chain`](crate::trace::chain): the message id for Exchange, the queue id for
    /// Postfix. Together with `recipient` it identifies the row.
    #[serde(default)]
    pub key: String,
    /// Times of temporary failures for this recipient (for the deferral sparkline).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub deferrals: Vec<DateTime<Utc>>,
    /// Time of the last event that set the status.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub last_event: Option<DateTime<Utc>>,
    /// How long the message took, in milliseconds, where the logs say: Postfix's `delay=` of
    /// the latest attempt (summed over content-filter hops), Exchange's first `RECEIVE` to the
    /// delivery.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub delay_ms: Option<u64>,
    /// The enhanced status code logged beside the reply (Postfix `dsn=`); empty when the log
    /// gives none apart from the reply text.
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub dsn: String,
}

/// One raw event of a message's chain.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct TraceEvent {
    pub time: DateTime<Utc>,
    /// Server that logged it (Exchange `server-hostname`, syslog host for Postfix).
    pub server: String,
    /// Name of the configured trace source.
    pub source: String,
    pub file: PathBuf,
    /// 1-based line number in `file` (in the decompressed text for `.gz`).
    pub line: u64,
    /// Exchange event id (`RECEIVE`, `DEFER`…) or Postfix program (`smtp`, `qmgr`…).
    pub event: String,
    /// Recipients the event is about (may be empty).
    pub recipients: Vec<String>,
    pub detail: String,
}

/// Width of a sparkline bucket.
pub const BUCKET_SECS: i64 = 300;
/// At most this many buckets; wider windows use wider buckets (a multiple of 5 minutes).
pub const MAX_BUCKETS: usize = 2016;

/// Deferrals and failures per time bucket across the query window.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct TraceBuckets {
    pub start: Option<DateTime<Utc>>,
    pub width_secs: i64,
    pub deferrals: Vec<u32>,
    pub failures: Vec<u32>,
}

/// Counts shown above the result table.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct TraceSummary {
    pub rows: usize,
    pub by_status: BTreeMap<TraceStatus, usize>,
    pub buckets: TraceBuckets,
}

impl TraceSummary {
    /// Builds the summary; the bucket window is the query's `since..until`, each open end
    /// taken from the rows.
    pub fn from_rows(rows: &[TraceRow], query: &TraceQuery) -> TraceSummary {
        let mut by_status = BTreeMap::new();
        let mut lo: Option<DateTime<Utc>> = None;
        let mut hi: Option<DateTime<Utc>> = None;
        let mut widen = |t: DateTime<Utc>| {
            lo = Some(lo.map_or(t, |l| l.min(t)));
            hi = Some(hi.map_or(t, |h| h.max(t)));
        };
        for row in rows {
            *by_status.entry(row.status).or_insert(0) += 1;
            widen(row.received);
            for d in &row.deferrals {
                widen(*d);
            }
            if let Some(t) = row.last_event {
                widen(t);
            }
        }
        let start = query.since.or(lo);
        let end = query.until.or(hi);
        let buckets = match (start, end) {
            (Some(start), Some(end)) if end >= start => {
                let span = (end - start).num_seconds().max(0);
                let mut width = BUCKET_SECS;
                while span / width + 1 > MAX_BUCKETS as i64 {
                    width += BUCKET_SECS;
                }
                let n = (span / width + 1) as usize;
                let mut b = TraceBuckets {
                    start: Some(start),
                    width_secs: width,
                    deferrals: vec![0; n],
                    failures: vec![0; n],
                };
                let slot = |t: DateTime<Utc>| -> Option<usize> {
                    if t < start || t > end {
                        return None;
                    }
                    Some((((t - start).num_seconds() / width) as usize).min(n - 1))
                };
                for row in rows {
                    for d in &row.deferrals {
                        if let Some(i) = slot(*d) {
                            b.deferrals[i] += 1;
                        }
                    }
                    if row.status == TraceStatus::Failed
                        && let Some(i) = slot(row.last_event.unwrap_or(row.received))
                    {
                        b.failures[i] += 1;
                    }
                }
                b
            }
            _ => TraceBuckets {
                width_secs: BUCKET_SECS,
                ..TraceBuckets::default()
            },
        };
        TraceSummary {
            rows: rows.len(),
            by_status,
            buckets,
        }
    }

    /// End of the bucket window (start + n × width), if any.
    pub fn buckets_end(&self) -> Option<DateTime<Utc>> {
        self.buckets.start.map(|s| {
            s + Duration::seconds(self.buckets.width_secs * self.buckets.deferrals.len() as i64)
        })
    }
}

/// Where an OAuth client secret comes from; never the config text itself (the one secret
/// reference of every config).
pub use super::health::SecretRef as SecretSource;

/// Backend of a trace source.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum TraceSourceKind {
    /// Exchange Server message tracking logs: a folder of `MSGTRK*.LOG`, one file, or a glob.
    ExchangeLogs { path: PathBuf },
    /// Postfix maillog files matched by a glob such as `/var/log/mail.log*` (`.gz` included).
    Postfix { path: PathBuf },
    /// Exchange Online via Microsoft Graph (configuration only for now).
    ExchangeOnline {
        tenant: String,
        client_id: String,
        secret: SecretSource,
        base_url: String,
        token_url: Option<String>,
    },
}

/// One configured trace source.
///
/// In TOML: `name = "ex01"`, `kind = "exchange-logs" | "postfix" | "exchange-online"`, then the
/// fields of that kind (`path`; or `tenant`, `client_id`, one of `client_secret_env` /
/// `client_secret_file`, optional `base_url`, `token_url`). Unknown keys are errors.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(try_from = "RawSource", into = "RawSource")]
pub struct TraceSourceConfig {
    pub name: String,
    pub kind: TraceSourceKind,
}

/// Default Graph endpoint.
pub const GRAPH_BASE_URL: &str = "https://graph.microsoft.com";

/// One `[[trace.sources]]` table as written, every key of every kind read in place (so that an
/// error names `trace.sources[0].path` and its line; an internally tagged enum would buffer the
/// table and lose both). Which keys a kind takes is checked in `TryFrom`.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawSource {
    name: String,
    kind: RawKind,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    path: Option<PathBuf>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    tenant: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    client_id: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    client_secret_env: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    client_secret_file: Option<PathBuf>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    base_url: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    token_url: Option<String>,
}

#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
enum RawKind {
    #[default]
    ExchangeLogs,
    Postfix,
    ExchangeOnline,
}

impl TryFrom<RawSource> for TraceSourceConfig {
    type Error = String;

    fn try_from(raw: RawSource) -> Result<Self, Self::Error> {
        let name = raw.name;
        if name.trim().is_empty() {
            return Err(
                "trace source: `name` is empty: give the source a short name such as \"ex01\""
                    .to_string(),
            );
        }
        let online = [
            ("tenant", raw.tenant.is_some()),
            ("client_id", raw.client_id.is_some()),
            ("client_secret_env", raw.client_secret_env.is_some()),
            ("client_secret_file", raw.client_secret_file.is_some()),
            ("base_url", raw.base_url.is_some()),
            ("token_url", raw.token_url.is_some()),
        ];
        let kind = match raw.kind {
            RawKind::ExchangeLogs | RawKind::Postfix => {
                if let Some((key, _)) = online.iter().find(|(_, present)| *present) {
                    return Err(format!(
                        "trace source {name:?}: `{key}` does not apply to a log-file source (it takes name, kind and path)"
                    ));
                }
                let what = if raw.kind == RawKind::Postfix {
                    "the mail log, e.g. \"/var/log/mail.log*\""
                } else {
                    "the folder of MSGTRK*.LOG files"
                };
                let path = match raw.path {
                    Some(p) if !p.as_os_str().is_empty() => p,
                    Some(_) => {
                        return Err(format!(
                            "trace source {name:?}: `path` is empty: give {what}"
                        ));
                    }
                    None => {
                        return Err(format!(
                            "trace source {name:?}: `path` is missing: give {what}"
                        ));
                    }
                };
                if raw.kind == RawKind::Postfix {
                    TraceSourceKind::Postfix { path }
                } else {
                    TraceSourceKind::ExchangeLogs { path }
                }
            }
            RawKind::ExchangeOnline => {
                if raw.path.is_some() {
                    return Err(format!(
                        "trace source {name:?}: `path` does not apply to kind = \"exchange-online\" (it takes tenant, client_id, client_secret_env or client_secret_file, base_url, token_url)"
                    ));
                }
                let needed = |key: &str, v: Option<String>, what: &str| match v {
                    Some(v) if !v.trim().is_empty() => Ok(v),
                    _ => Err(format!(
                        "trace source {name:?}: `{key}` is missing or empty: give {what}"
                    )),
                };
                let tenant = needed(
                    "tenant",
                    raw.tenant,
                    "the directory (tenant) id or a verified domain",
                )?;
                let client_id = needed("client_id", raw.client_id, "the application (client) id")?;
                let secret = match (raw.client_secret_env, raw.client_secret_file) {
                    (Some(env), None) if !env.trim().is_empty() => SecretSource::Env(env),
                    (None, Some(file)) if !file.as_os_str().is_empty() => SecretSource::File(file),
                    _ => {
                        return Err(format!(
                            "trace source {name:?}: set exactly one of client_secret_env or \
                             client_secret_file, naming the variable or file that holds the secret \
                             (the secret itself never goes in the config)"
                        ));
                    }
                };
                TraceSourceKind::ExchangeOnline {
                    tenant,
                    client_id,
                    secret,
                    base_url: raw.base_url.unwrap_or_else(|| GRAPH_BASE_URL.to_string()),
                    token_url: raw.token_url,
                }
            }
        };
        Ok(TraceSourceConfig { name, kind })
    }
}

impl From<TraceSourceConfig> for RawSource {
    fn from(c: TraceSourceConfig) -> Self {
        let name = c.name;
        match c.kind {
            TraceSourceKind::ExchangeLogs { path } => RawSource {
                name,
                kind: RawKind::ExchangeLogs,
                path: Some(path),
                ..RawSource::default()
            },
            TraceSourceKind::Postfix { path } => RawSource {
                name,
                kind: RawKind::Postfix,
                path: Some(path),
                ..RawSource::default()
            },
            TraceSourceKind::ExchangeOnline {
                tenant,
                client_id,
                secret,
                base_url,
                token_url,
            } => {
                let (client_secret_env, client_secret_file) = match secret {
                    SecretSource::Env(e) => (Some(e), None),
                    SecretSource::File(f) => (None, Some(f)),
                };
                RawSource {
                    name,
                    kind: RawKind::ExchangeOnline,
                    tenant: Some(tenant),
                    client_id: Some(client_id),
                    client_secret_env,
                    client_secret_file,
                    base_url: Some(base_url),
                    token_url,
                    path: None,
                }
            }
        }
    }
}

/// The `[trace]` section of the config.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct TraceConfig {
    pub sources: Vec<TraceSourceConfig>,
    /// A query the console runs in the trace pane when it opens (e.g. `since:1h`).
    pub query: Option<String>,
    /// Run the pane's query again this often while the console is open (e.g. `1m`); the rows
    /// are updated in place.
    pub refresh: Option<String>,
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    fn row(sender: &str, rcpt: &str, status: TraceStatus, min: u32) -> TraceRow {
        TraceRow {
            received: Utc.with_ymd_and_hms(2026, 3, 2, 13, min, 0).unwrap(),
            sender: sender.into(),
            recipient: rcpt.into(),
            subject: "Nightly batch report, part 1".into(),
            status,
            reply: String::new(),
            message_id: "<A@b>".into(),
            source: "ex".into(),
            key: "<A@b>".into(),
            deferrals: vec![],
            last_event: None,
            delay_ms: None,
            dsn: String::new(),
        }
    }

    #[test]
    fn status_parses_exo_spellings_and_serializes_snake_case() {
        assert_eq!(
            "FilteredAsSpam".parse::<TraceStatus>().unwrap(),
            TraceStatus::FilteredAsSpam
        );
        assert_eq!(
            "GettingStatus".parse::<TraceStatus>().unwrap(),
            TraceStatus::Pending
        );
        assert!("bogus".parse::<TraceStatus>().is_err());
        assert_eq!(
            serde_json::to_string(&TraceStatus::FilteredAsSpam).unwrap(),
            "\"filtered_as_spam\""
        );
    }

    #[test]
    fn address_rules() {
        assert!(address_matches("ops@contoso.com", "<OPS@Contoso.com>"));
        assert!(!address_matches("ops@contoso.com", "devops@contoso.com"));
        assert!(address_matches("@contoso.com", "devops@contoso.com"));
        assert!(!address_matches("@contoso.com", "a@contoso.com.evil"));
        assert!(address_matches("contoso", "a@contoso.com"));
    }

    #[test]
    fn query_combinations() {
        let r = row(
            "Alerts@Fabrikam.com",
            "ops@contoso.com",
            TraceStatus::Failed,
            5,
        );
        let mut q = TraceQuery {
            sender: Some("alerts@fabrikam.com".into()),
            ..Default::default()
        };
        assert!(q.matches(&r));
        q.recipient = Some("<OPS@contoso.com>".into());
        assert!(q.matches(&r));
        q.status = Some(TraceStatus::Delivered);
        assert!(!q.matches(&r));
        q.status = Some(TraceStatus::Failed);
        q.subject_contains = Some("BATCH report".into());
        assert!(q.matches(&r));
        q.message_id = Some("a@b".into());
        assert!(q.matches(&r));
        q.since = Some(Utc.with_ymd_and_hms(2026, 3, 2, 13, 6, 0).unwrap());
        assert!(!q.matches(&r));
        q.since = None;
        q.until = Some(Utc.with_ymd_and_hms(2026, 3, 2, 13, 4, 0).unwrap());
        assert!(!q.matches(&r));
        assert!(TraceQuery::default().matches(&r));
        assert!(!TraceQuery::default().has_text_terms());
    }

    #[test]
    fn summary_counts_and_buckets() {
        let mut a = row("a@x", "b@y", TraceStatus::Delivered, 0);
        a.deferrals = vec![
            Utc.with_ymd_and_hms(2026, 3, 2, 13, 1, 0).unwrap(),
            Utc.with_ymd_and_hms(2026, 3, 2, 13, 7, 0).unwrap(),
        ];
        let mut f = row("a@x", "c@y", TraceStatus::Failed, 2);
        f.last_event = Some(Utc.with_ymd_and_hms(2026, 3, 2, 13, 14, 59).unwrap());
        let s = TraceSummary::from_rows(&[a, f], &TraceQuery::default());
        assert_eq!(s.rows, 2);
        assert_eq!(s.by_status[&TraceStatus::Delivered], 1);
        assert_eq!(s.by_status[&TraceStatus::Failed], 1);
        assert_eq!(s.buckets.deferrals, vec![1, 1, 0]);
        assert_eq!(s.buckets.failures, vec![0, 0, 1]);
        assert_eq!(
            s.buckets_end(),
            Some(Utc.with_ymd_and_hms(2026, 3, 2, 13, 15, 0).unwrap())
        );
    }

    #[test]
    fn wide_windows_use_wider_buckets() {
        let q = TraceQuery {
            since: Some(Utc.with_ymd_and_hms(2026, 1, 1, 0, 0, 0).unwrap()),
            until: Some(Utc.with_ymd_and_hms(2026, 3, 1, 0, 0, 0).unwrap()),
            ..Default::default()
        };
        let s = TraceSummary::from_rows(&[], &q);
        assert!(s.buckets.deferrals.len() <= MAX_BUCKETS);
        assert_eq!(s.buckets.width_secs % BUCKET_SECS, 0);
        assert!(s.buckets.width_secs > BUCKET_SECS);
    }

    #[test]
    fn source_config_is_flat_tagged_and_strict() {
        let j = r#"{"sources":[
            {"name":"ex01","kind":"exchange-logs","path":"/logs/ex"},
            {"name":"mx","kind":"postfix","path":"/var/log/mail.log*"},
            {"name":"exo","kind":"exchange-online","tenant":"t","client_id":"c","client_secret_env":"EXO_SECRET"}
        ]}"#;
        let c: TraceConfig = serde_json::from_str(j).unwrap();
        assert_eq!(c.sources.len(), 3);
        assert_eq!(
            c.sources[1].kind,
            TraceSourceKind::Postfix {
                path: "/var/log/mail.log*".into()
            }
        );
        match &c.sources[2].kind {
            TraceSourceKind::ExchangeOnline {
                secret, base_url, ..
            } => {
                assert_eq!(secret, &SecretSource::Env("EXO_SECRET".into()));
                assert_eq!(base_url, GRAPH_BASE_URL);
            }
            other => panic!("{other:?}"),
        }
        // Round trip.
        let back: TraceConfig = serde_json::from_value(serde_json::to_value(&c).unwrap()).unwrap();
        assert_eq!(back, c);
        // Unknown key, both secrets, secret in config: all rejected.
        assert!(
            serde_json::from_str::<TraceSourceConfig>(
                r#"{"name":"x","kind":"postfix","path":"/a","pth":"/b"}"#
            )
            .is_err()
        );
        assert!(
            serde_json::from_str::<TraceSourceConfig>(
                r#"{"name":"x","kind":"exchange-online","tenant":"t","client_id":"c","client_secret_env":"A","client_secret_file":"/f"}"#
            )
            .is_err()
        );
        assert!(
            serde_json::from_str::<TraceSourceConfig>(
                r#"{"name":"x","kind":"exchange-online","tenant":"t","client_id":"c","client_secret":"hunter2"}"#
            )
            .is_err()
        );
    }
}
