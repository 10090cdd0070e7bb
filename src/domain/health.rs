//! The service-health model every source normalises to, the diff that turns two polls into
//! timeline-worthy changes, the compact "last seen" state kept in the journal, and the source
//! configuration types.
//!
//! Pure: std, serde and chrono only.

use std::collections::{BTreeMap, BTreeSet};
use std::fmt;
use std::path::PathBuf;
use std::time::Duration;

use chrono::{DateTime, SecondsFormat, Utc};
use serde::{Deserialize, Deserializer, Serialize, Serializer};

// ---------------------------------------------------------------------------------------------
// Model
// ---------------------------------------------------------------------------------------------

/// How bad things are. The derived order is by severity, least severe first:
/// `Operational < Maintenance < Unknown < Degraded < PartialOutage < MajorOutage`, so the worst of
/// several levels is their `max`. `Unknown` ranks above "all fine" (we cannot vouch for it) but
/// below any reported problem.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize, Default,
)]
#[serde(rename_all = "snake_case")]
pub enum Level {
    /// Working normally.
    Operational,
    /// Planned maintenance in progress.
    Maintenance,
    /// No usable information (never polled successfully, or a value we do not know).
    #[default]
    Unknown,
    /// Working, but slow or partly failing.
    Degraded,
    /// Failing for part of the users or features.
    PartialOutage,
    /// Down.
    MajorOutage,
}

impl Level {
    /// The snake_case name used in JSON and in keys.
    pub fn as_str(self) -> &'static str {
        match self {
            Level::Operational => "operational",
            Level::Maintenance => "maintenance",
            Level::Unknown => "unknown",
            Level::Degraded => "degraded",
            Level::PartialOutage => "partial_outage",
            Level::MajorOutage => "major_outage",
        }
    }

    /// True for `Degraded`, `PartialOutage` and `MajorOutage`.
    pub fn is_problem(self) -> bool {
        self >= Level::Degraded
    }
}

impl fmt::Display for Level {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// One dated post on an item (a Graph post, a Statuspage incident update, a Google update).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ItemUpdate {
    /// When it was posted.
    pub at: DateTime<Utc>,
    /// Plain, sanitised text.
    pub text: String,
}

/// One thing a source reports on: an issue, an incident, a component, a service, a probe.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct HealthItem {
    /// Stable id within the source (e.g. `EX1234567`, a Statuspage id, a feed guid).
    pub id: String,
    /// One-line, sanitised title.
    pub title: String,
    /// The affected service or component, when the source says.
    pub service: Option<String>,
    /// Normalised level of this item.
    pub level: Level,
    /// The source's own status text, kept verbatim (sanitised), including values we do not know.
    pub status: String,
    /// When it started.
    pub started: Option<DateTime<Utc>>,
    /// When the source last changed it.
    pub updated: Option<DateTime<Utc>>,
    /// When it was resolved; `None` while open.
    pub resolved: Option<DateTime<Utc>>,
    /// Posts, oldest first.
    pub updates: Vec<ItemUpdate>,
}

/// What one source said at one poll.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SourceSnapshot {
    /// The configured source name.
    pub name: String,
    /// The source kind (`graph`, `statuspage`, `feed`, `google`, `smtp`).
    pub kind: String,
    /// Overall level of the source.
    pub level: Level,
    /// Items, in the source's order.
    pub items: Vec<HealthItem>,
    /// When the source last answered usefully.
    pub last_success: Option<DateTime<Utc>>,
    /// Why the last poll failed; `None` when it succeeded. When set, `items` and `level` are the
    /// ones from the last success.
    pub last_error: Option<String>,
    /// When this snapshot was taken.
    pub polled_at: DateTime<Utc>,
}

impl SourceSnapshot {
    /// The worst level among the items, `Operational` when there are none.
    pub fn worst_item_level(&self) -> Level {
        self.items
            .iter()
            .map(|i| i.level)
            .max()
            .unwrap_or(Level::Operational)
    }

    /// The snapshot to show after a failed poll: the previous items and level are kept (so a
    /// flaky source does not flap the pane), the error is recorded. Without a previous success
    /// the level is `Unknown`.
    pub fn failed(
        name: &str,
        kind: &str,
        previous: Option<&SourceSnapshot>,
        error: String,
        now: DateTime<Utc>,
    ) -> SourceSnapshot {
        match previous {
            Some(p) if p.last_success.is_some() => SourceSnapshot {
                name: name.to_string(),
                kind: kind.to_string(),
                level: p.level,
                items: p.items.clone(),
                last_success: p.last_success,
                last_error: Some(error),
                polled_at: now,
            },
            _ => SourceSnapshot {
                name: name.to_string(),
                kind: kind.to_string(),
                level: Level::Unknown,
                items: Vec::new(),
                last_success: None,
                last_error: Some(error),
                polled_at: now,
            },
        }
    }
}

// ---------------------------------------------------------------------------------------------
// Diff
// ---------------------------------------------------------------------------------------------

/// What kind of change a [`HealthChange`] reports.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "change", rename_all = "snake_case")]
pub enum ChangeKind {
    /// An item we had not seen before.
    NewItem {
        /// Its level.
        level: Level,
        /// Its status text.
        status: String,
    },
    /// An item's level changed.
    LevelChanged {
        /// Before.
        from: Level,
        /// After.
        to: Level,
    },
    /// An item's status text changed (compared case-insensitively).
    StatusChanged {
        /// Before.
        from: String,
        /// After.
        to: String,
    },
    /// A post newer than any seen before.
    NewUpdate {
        /// When it was posted.
        at: DateTime<Utc>,
    },
    /// An item got a resolution time.
    Resolved,
    /// An open item is no longer listed by the source (resolved or withdrawn).
    Gone,
    /// The source's overall level changed.
    SourceLevelChanged {
        /// Before (`None` the first time a source is seen).
        from: Option<Level>,
        /// After.
        to: Level,
    },
}

/// One change worth an entry in the incident timeline.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct HealthChange {
    /// The source name.
    pub source: String,
    /// The item, unless the change is about the whole source.
    pub item_id: Option<String>,
    /// What changed.
    pub kind: ChangeKind,
    /// A dedup key derived only from the data the source published (plus the poll time for
    /// source-level changes), e.g. `m365/EX1234567/status/serviceDegradation@2026-03-02T15:41:07Z`
    /// or `m365/EX1234567/update/2026-03-02T15:41:07Z`. The same change seen twice gives the same
    /// key.
    pub key: String,
    /// A one-line human description for the timeline.
    pub text: String,
}

/// What is remembered about one item between polls (and across restarts).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SeenItem {
    /// Last seen level.
    pub level: Level,
    /// Last seen status text.
    pub status: String,
    /// Time of the newest post seen.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub last_update: Option<DateTime<Utc>>,
    /// Whether it was seen resolved.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub resolved: bool,
}

/// What is remembered about one source.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SeenSource {
    /// Last seen overall level.
    pub level: Level,
    /// Items by id.
    #[serde(default)]
    pub items: BTreeMap<String, SeenItem>,
}

impl SeenSource {
    fn from_snapshot(snap: &SourceSnapshot) -> SeenSource {
        SeenSource {
            level: snap.level,
            items: snap
                .items
                .iter()
                .map(|i| {
                    (
                        i.id.clone(),
                        SeenItem {
                            level: i.level,
                            status: i.status.clone(),
                            last_update: i.updates.iter().map(|u| u.at).max(),
                            resolved: i.resolved.is_some(),
                        },
                    )
                })
                .collect(),
        }
    }
}

/// The compact, serialisable "last seen" state of every source, meant to be stored in the
/// journal so that after a restart [`diff_seen`] reports only what really changed.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct SeenState {
    /// Per source name.
    #[serde(default)]
    pub sources: BTreeMap<String, SeenSource>,
}

impl SeenState {
    /// Records `snap` as seen. A snapshot carrying an error is ignored (its items are stale copies).
    pub fn apply(&mut self, snap: &SourceSnapshot) {
        if snap.last_error.is_some() {
            return;
        }
        self.sources
            .insert(snap.name.clone(), SeenSource::from_snapshot(snap));
    }

    /// Forgets a source (e.g. removed from the config).
    pub fn remove(&mut self, source: &str) {
        self.sources.remove(source);
    }
}

/// The changes between the previous snapshot of a source (if any) and the next one.
/// Same rules as [`diff_seen`].
pub fn diff(prev: Option<&SourceSnapshot>, next: &SourceSnapshot) -> Vec<HealthChange> {
    let seen = prev.map(SeenSource::from_snapshot);
    diff_source(seen.as_ref(), next)
}

/// The changes between what was last seen of `next`'s source and `next`.
///
/// Rules:
/// - a snapshot carrying an error reports nothing (the pane shows the error);
/// - a new item is reported unless it is an `Operational` row with nothing to say (a resolved
///   item, or a component/service without posts), so the first poll does not flood the timeline
///   with every green component;
/// - for a known item: level change, status change (case-insensitive), each post newer than the
///   newest seen, and resolution;
/// - a previously open item that disappears is reported as gone;
/// - the source's overall level is reported when it changes, and the first time a source is
///   seen if it is not `Operational`/`Unknown`.
pub fn diff_seen(seen: &SeenState, next: &SourceSnapshot) -> Vec<HealthChange> {
    diff_source(seen.sources.get(&next.name), next)
}

/// Timestamps in keys and texts: whole seconds, `Z`.
fn ts(t: DateTime<Utc>) -> String {
    t.to_rfc3339_opts(SecondsFormat::Secs, true)
}

fn short(s: &str, max_chars: usize) -> String {
    let mut out: String = s.chars().take(max_chars).collect();
    if s.chars().nth(max_chars).is_some() {
        out.push('…');
    }
    out
}

fn one_line(s: &str) -> String {
    s.split_whitespace().collect::<Vec<_>>().join(" ")
}

fn diff_source(seen: Option<&SeenSource>, next: &SourceSnapshot) -> Vec<HealthChange> {
    let mut out = Vec::new();
    if next.last_error.is_some() {
        return out;
    }
    let src = next.name.as_str();
    let change =
        |item_id: Option<&str>, kind: ChangeKind, key: String, text: String| HealthChange {
            source: src.to_string(),
            item_id: item_id.map(str::to_string),
            kind,
            key,
            text,
        };

    // Overall level first, so the timeline reads "overall degraded", then the details.
    match seen {
        Some(s) if s.level != next.level => out.push(change(
            None,
            ChangeKind::SourceLevelChanged {
                from: Some(s.level),
                to: next.level,
            },
            format!("{src}/level/{}@{}", next.level, ts(next.polled_at)),
            format!("{src}: overall {} → {}", s.level, next.level),
        )),
        None if !matches!(next.level, Level::Operational | Level::Unknown) => out.push(change(
            None,
            ChangeKind::SourceLevelChanged {
                from: None,
                to: next.level,
            },
            format!("{src}/level/{}@{}", next.level, ts(next.polled_at)),
            format!("{src}: overall {}", next.level),
        )),
        _ => {}
    }

    let mut present = BTreeSet::new();
    for item in &next.items {
        present.insert(item.id.as_str());
        let id = item.id.as_str();
        let stamp = ts(item.updated.unwrap_or(next.polled_at));
        let old = seen.and_then(|s| s.items.get(id));
        let Some(old) = old else {
            let quiet = item.level == Level::Operational
                && (item.resolved.is_some() || item.updates.is_empty());
            if !quiet {
                let resolved = if item.resolved.is_some() {
                    ", resolved"
                } else {
                    ""
                };
                out.push(change(
                    Some(id),
                    ChangeKind::NewItem {
                        level: item.level,
                        status: item.status.clone(),
                    },
                    format!("{src}/{id}/new"),
                    format!(
                        "{src} {id}: new ({}, {}{resolved}) {}",
                        item.level,
                        short(&item.status, 60),
                        short(&item.title, 160)
                    ),
                ));
            }
            continue;
        };
        if old.level != item.level {
            out.push(change(
                Some(id),
                ChangeKind::LevelChanged {
                    from: old.level,
                    to: item.level,
                },
                format!("{src}/{id}/level/{}@{stamp}", item.level),
                format!("{src} {id}: level {} → {}", old.level, item.level),
            ));
        }
        if !old.status.eq_ignore_ascii_case(&item.status) {
            out.push(change(
                Some(id),
                ChangeKind::StatusChanged {
                    from: old.status.clone(),
                    to: item.status.clone(),
                },
                format!("{src}/{id}/status/{}@{stamp}", item.status),
                format!(
                    "{src} {id}: status {} → {}",
                    short(&old.status, 60),
                    short(&item.status, 60)
                ),
            ));
        }
        let mut fresh: Vec<&ItemUpdate> = item
            .updates
            .iter()
            .filter(|u| old.last_update.is_none_or(|seen_at| u.at > seen_at))
            .collect();
        fresh.sort_by_key(|u| u.at);
        for u in fresh {
            out.push(change(
                Some(id),
                ChangeKind::NewUpdate { at: u.at },
                format!("{src}/{id}/update/{}", ts(u.at)),
                format!(
                    "{src} {id}: update {}: {}",
                    u.at.format("%H:%M UTC"),
                    short(&one_line(&u.text), 200)
                ),
            ));
        }
        if !old.resolved && item.resolved.is_some() {
            out.push(change(
                Some(id),
                ChangeKind::Resolved,
                format!("{src}/{id}/resolved"),
                format!("{src} {id}: resolved: {}", short(&item.title, 160)),
            ));
        }
    }

    if let Some(s) = seen {
        for (id, old) in &s.items {
            if !present.contains(id.as_str()) && !old.resolved && old.level != Level::Operational {
                out.push(change(
                    Some(id),
                    ChangeKind::Gone,
                    format!("{src}/{id}/gone"),
                    format!("{src} {id}: no longer listed by the source (resolved or withdrawn)"),
                ));
            }
        }
    }
    out
}

// ---------------------------------------------------------------------------------------------
// Configuration
// ---------------------------------------------------------------------------------------------

/// Default poll interval: 60 s.
pub const DEFAULT_INTERVAL: Duration = Duration::from_secs(60);
/// Default per-request timeout: 15 s.
pub const DEFAULT_TIMEOUT: Duration = Duration::from_secs(15);
/// Default body cap: 8 MiB.
pub const DEFAULT_MAX_BODY: usize = 8 * 1024 * 1024;
/// The Google Workspace status dashboard's incident history.
pub const DEFAULT_GOOGLE_URL: &str = "https://www.google.com/appsstatus/dashboard/incidents.json";
/// Microsoft Graph, public cloud.
pub const DEFAULT_GRAPH_BASE: &str = "https://graph.microsoft.com";
/// Microsoft identity platform, public cloud.
pub const DEFAULT_TOKEN_URL: &str = "https://login.microsoftonline.com";

/// The `[health]` section: the sources to poll. Default: none. Source names must be unique.
///
/// ```toml
/// [[health.sources]]
/// name = "m365"
/// kind = "graph"
/// tenant = "contoso.onmicrosoft.com"          # or the directory (tenant) id
/// client_id = "535fb089-9ff3-47b6-9bfb-4f1264799865"
/// client_secret_env = "WARROOM_GRAPH_SECRET"  # or client_secret_file = "/run/secrets/graph"
/// services = ["Exchange Online"]              # default; [] = all services
/// interval = "60s"                            # default
/// timeout = "15s"                             # default, per request
/// max_body = "8MiB"                           # default
///
/// [[health.sources]]
/// name = "provider"
/// kind = "statuspage"
/// url = "https://status.example-mail.test"    # the page root; /api/v2/summary.json is added
///
/// [[health.sources]]
/// name = "aws"
/// kind = "feed"
/// url = "https://status.aws.amazon.com/rss/all.rss"
///
/// [[health.sources]]
/// name = "workspace"
/// kind = "google"                             # url defaults to the Workspace incidents.json
///
/// [[health.sources]]
/// name = "mx"
/// kind = "smtp"
/// host = "contoso-com.mail.protection.outlook.com"
/// port = 25                                   # default
/// helo = "warroom.invalid"                    # default
/// starttls_required = true                    # default
/// ```
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, try_from = "RawHealthConfig")]
pub struct HealthConfig {
    /// The sources, each polled on its own.
    pub sources: Vec<HealthSourceConfig>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawHealthConfig {
    #[serde(default)]
    sources: Vec<HealthSourceConfig>,
}

impl TryFrom<RawHealthConfig> for HealthConfig {
    type Error = String;
    fn try_from(raw: RawHealthConfig) -> Result<Self, String> {
        let mut names = BTreeSet::new();
        for s in &raw.sources {
            if !names.insert(s.name.as_str()) {
                return Err(format!(
                    "two health sources are named `{}`; give each source a unique name",
                    s.name
                ));
            }
        }
        Ok(HealthConfig {
            sources: raw.sources,
        })
    }
}

/// One source to poll.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(try_from = "RawSource")]
pub struct HealthSourceConfig {
    /// Unique name, shown in the pane and used in timeline keys.
    pub name: String,
    /// Time between polls (`"60s"`, `"5m"`, `"1h30m"`, `"250ms"`). Default 60 s.
    #[serde(serialize_with = "ser_duration")]
    pub interval: Duration,
    /// Per-request timeout (the SMTP probe uses it for the whole conversation). Default 15 s.
    #[serde(serialize_with = "ser_duration")]
    pub timeout: Duration,
    /// Body size cap in bytes (`8388608`, `"8MiB"`, `"512KiB"`). Default 8 MiB.
    pub max_body: usize,
    /// Kind-specific settings, tagged by `kind`.
    #[serde(flatten)]
    pub kind: SourceKind,
}

/// The kind of source and its settings (`kind = "graph" | "statuspage" | "feed" | "google" |
/// "smtp"`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum SourceKind {
    /// Microsoft 365 service health through Microsoft Graph.
    Graph(GraphSource),
    /// An Atlassian Statuspage page.
    Statuspage(UrlSource),
    /// An RSS 2.0 or Atom feed.
    Feed(UrlSource),
    /// Google Workspace / Cloud `incidents.json`.
    Google(UrlSource),
    /// An SMTP banner/EHLO/STARTTLS probe.
    Smtp(SmtpSource),
}

impl SourceKind {
    /// The `kind` tag.
    pub fn name(&self) -> &'static str {
        match self {
            SourceKind::Graph(_) => "graph",
            SourceKind::Statuspage(_) => "statuspage",
            SourceKind::Feed(_) => "feed",
            SourceKind::Google(_) => "google",
            SourceKind::Smtp(_) => "smtp",
        }
    }
}

/// Settings of a Graph source. Exactly one of `client_secret_env` / `client_secret_file` is set.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct GraphSource {
    /// Directory (tenant) id or verified domain.
    pub tenant: String,
    /// Application (client) id.
    pub client_id: String,
    /// Environment variable holding the client secret.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub client_secret_env: Option<String>,
    /// File holding the client secret.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub client_secret_file: Option<PathBuf>,
    /// Service names to watch (as in `healthOverviews`); empty = all. Default `["Exchange Online"]`.
    pub services: Vec<String>,
    /// Graph base URL (national clouds, tests). Default `https://graph.microsoft.com`.
    pub base_url: String,
    /// Login authority. Default `https://login.microsoftonline.com`.
    pub token_url: String,
}

/// Where a secret lives, never the config text itself: a Graph source's client secret, an
/// Exchange Online trace source's (as `trace::SecretSource`), an update channel's password or
/// API key.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SecretRef {
    /// An environment variable.
    Env(String),
    /// A file.
    File(PathBuf),
}

impl SecretRef {
    /// `$VAR` or the file's path, for messages.
    pub fn describe(&self) -> String {
        match self {
            SecretRef::Env(v) => format!("${v}"),
            SecretRef::File(p) => p.display().to_string(),
        }
    }
}

impl GraphSource {
    /// Where the secret lives (validated at load time: exactly one is set).
    pub fn secret_ref(&self) -> SecretRef {
        match (&self.client_secret_env, &self.client_secret_file) {
            (Some(var), _) => SecretRef::Env(var.clone()),
            (None, Some(path)) => SecretRef::File(path.clone()),
            // Unreachable through deserialisation; a hand-built config gets an empty variable
            // name, which fails loudly when the token is requested.
            (None, None) => SecretRef::Env(String::new()),
        }
    }
}

/// A source identified by one URL.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct UrlSource {
    /// For `statuspage` the page root (`https://www.githubstatus.com`), otherwise the document.
    pub url: String,
}

/// Settings of an SMTP probe.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct SmtpSource {
    /// Host name or address.
    pub host: String,
    /// Port. Default 25.
    pub port: u16,
    /// Name sent with EHLO. Default `warroom.invalid`.
    pub helo: String,
    /// Whether a missing STARTTLS offer counts as degraded. Default true.
    pub starttls_required: bool,
}

/// One `[[health.sources]]` table as written: every key of every kind, so that the keys are
/// read in place (an error names `health.sources[0].interval` and its line, which an internally
/// tagged enum cannot do: it buffers the table first). Which keys a kind takes is checked in
/// `TryFrom`.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawSource {
    name: String,
    kind: RawKind,
    #[serde(default)]
    interval: Option<Positive>,
    #[serde(default)]
    timeout: Option<Positive>,
    #[serde(default)]
    max_body: Option<ByteSize>,
    #[serde(default)]
    url: Option<String>,
    #[serde(default)]
    tenant: Option<String>,
    #[serde(default)]
    client_id: Option<String>,
    #[serde(default)]
    client_secret_env: Option<String>,
    #[serde(default)]
    client_secret_file: Option<PathBuf>,
    /// Accepted only to refuse it with a helpful message; the value is never kept.
    #[serde(default, rename = "client_secret")]
    _client_secret: Option<NeverInConfig>,
    #[serde(default)]
    services: Option<Vec<String>>,
    #[serde(default)]
    base_url: Option<String>,
    #[serde(default)]
    token_url: Option<String>,
    #[serde(default)]
    host: Option<String>,
    #[serde(default)]
    port: Option<u16>,
    #[serde(default)]
    helo: Option<String>,
    #[serde(default)]
    starttls_required: Option<bool>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "snake_case")]
enum RawKind {
    Graph,
    Statuspage,
    Feed,
    Google,
    Smtp,
}

impl RawKind {
    fn name(self) -> &'static str {
        match self {
            RawKind::Graph => "graph",
            RawKind::Statuspage => "statuspage",
            RawKind::Feed => "feed",
            RawKind::Google => "google",
            RawKind::Smtp => "smtp",
        }
    }

    /// The keys this kind takes besides `name`, `kind`, `interval`, `timeout` and `max_body`.
    fn own_keys(self) -> &'static [&'static str] {
        match self {
            RawKind::Graph => &[
                "tenant",
                "client_id",
                "client_secret_env",
                "client_secret_file",
                "services",
                "base_url",
                "token_url",
            ],
            RawKind::Statuspage | RawKind::Feed | RawKind::Google => &["url"],
            RawKind::Smtp => &["host", "port", "helo", "starttls_required"],
        }
    }
}

/// A duration longer than zero (`interval`, `timeout`).
struct Positive(Duration);

impl<'de> Deserialize<'de> for Positive {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let HumaneDuration(d0) = HumaneDuration::deserialize(d)?;
        if d0.is_zero() {
            return Err(serde::de::Error::custom(
                "must be longer than zero, e.g. \"60s\" or \"250ms\"",
            ));
        }
        Ok(Positive(d0))
    }
}

/// A `client_secret` key: refused wherever it appears, naming the key; its value is never read
/// into memory beyond the parser.
struct NeverInConfig;

impl<'de> Deserialize<'de> for NeverInConfig {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        serde::de::IgnoredAny::deserialize(d)?;
        Err(serde::de::Error::custom(
            "the client secret must not be written in the config; put it in an environment variable named by `client_secret_env` or a file named by `client_secret_file`",
        ))
    }
}

impl RawSource {
    /// The kind-specific keys present in the table.
    fn present_keys(&self) -> Vec<&'static str> {
        let mut keys = Vec::new();
        let mut add = |key: &'static str, present: bool| {
            if present {
                keys.push(key);
            }
        };
        add("url", self.url.is_some());
        add("tenant", self.tenant.is_some());
        add("client_id", self.client_id.is_some());
        add("client_secret_env", self.client_secret_env.is_some());
        add("client_secret_file", self.client_secret_file.is_some());
        add("services", self.services.is_some());
        add("base_url", self.base_url.is_some());
        add("token_url", self.token_url.is_some());
        add("host", self.host.is_some());
        add("port", self.port.is_some());
        add("helo", self.helo.is_some());
        add("starttls_required", self.starttls_required.is_some());
        keys
    }
}

/// A key a kind needs: present and not blank, or an error saying what to give.
fn required(name: &str, key: &str, value: Option<String>, what: &str) -> Result<String, String> {
    match value {
        Some(v) if !v.trim().is_empty() => Ok(v),
        Some(_) => Err(format!(
            "health source `{name}`: `{key}` is empty: give {what}"
        )),
        None => Err(format!(
            "health source `{name}`: `{key}` is missing: give {what}"
        )),
    }
}

fn check_name(name: &str) -> Result<(), String> {
    if name.trim().is_empty() || name.len() > 64 || name.chars().any(|c| c.is_control() || c == '/')
    {
        return Err(format!(
            "health source name `{}` is not usable; use 1-64 printable characters without `/`",
            name.escape_debug()
        ));
    }
    Ok(())
}

fn check_http_url(name: &str, field: &str, url: &str) -> Result<String, String> {
    let lower = url.to_ascii_lowercase();
    if (lower.starts_with("https://") || lower.starts_with("http://"))
        && url.len() > "http://".len()
        && !url.chars().any(|c| c.is_whitespace() || c.is_control())
    {
        Ok(url.trim_end_matches('/').to_string())
    } else {
        Err(format!(
            "health source `{name}`: `{field}` must be an http(s) URL, got `{}`",
            url.escape_debug()
        ))
    }
}

impl TryFrom<RawSource> for HealthSourceConfig {
    type Error = String;

    fn try_from(raw: RawSource) -> Result<Self, String> {
        check_name(&raw.name)?;
        let name = raw.name.clone();
        let kind_name = raw.kind.name();
        let own = raw.kind.own_keys();
        if let Some(key) = raw.present_keys().into_iter().find(|k| !own.contains(k)) {
            return Err(format!(
                "health source `{name}`: `{key}` does not apply to kind = \"{kind_name}\" (it takes name, kind, interval, timeout, max_body, {})",
                own.join(", ")
            ));
        }
        let kind = match raw.kind {
            RawKind::Graph => {
                let tenant = required(
                    &name,
                    "tenant",
                    raw.tenant,
                    "the directory (tenant) id or a verified domain such as contoso.onmicrosoft.com",
                )?;
                let client_id = required(
                    &name,
                    "client_id",
                    raw.client_id,
                    "the application (client) id of the app registration",
                )?;
                if raw.client_secret_env.is_some() == raw.client_secret_file.is_some() {
                    return Err(format!(
                        "health source `{name}`: set exactly one of `client_secret_env` (a variable holding the secret) or `client_secret_file` (a file holding it)"
                    ));
                }
                if raw
                    .client_secret_env
                    .as_deref()
                    .is_some_and(|v| v.trim().is_empty())
                    || raw
                        .client_secret_file
                        .as_deref()
                        .is_some_and(|p| p.as_os_str().is_empty())
                {
                    return Err(format!(
                        "health source `{name}`: the client secret's variable or file name is empty: give the name of the environment variable or the path of the file that holds the secret"
                    ));
                }
                let base_url = check_http_url(
                    &name,
                    "base_url",
                    raw.base_url.as_deref().unwrap_or(DEFAULT_GRAPH_BASE),
                )?;
                let token_url = check_http_url(
                    &name,
                    "token_url",
                    raw.token_url.as_deref().unwrap_or(DEFAULT_TOKEN_URL),
                )?;
                SourceKind::Graph(GraphSource {
                    tenant,
                    client_id,
                    client_secret_env: raw.client_secret_env,
                    client_secret_file: raw.client_secret_file,
                    services: raw
                        .services
                        .unwrap_or_else(|| vec!["Exchange Online".to_string()]),
                    base_url,
                    token_url,
                })
            }
            RawKind::Statuspage | RawKind::Feed => {
                let what = if raw.kind == RawKind::Statuspage {
                    "the status page's root URL, e.g. \"https://status.example.com\""
                } else {
                    "the RSS or Atom feed's URL"
                };
                let url = required(&name, "url", raw.url, what)?;
                let url = UrlSource {
                    url: check_http_url(&name, "url", &url)?,
                };
                if raw.kind == RawKind::Statuspage {
                    SourceKind::Statuspage(url)
                } else {
                    SourceKind::Feed(url)
                }
            }
            RawKind::Google => SourceKind::Google(UrlSource {
                url: check_http_url(
                    &name,
                    "url",
                    raw.url.as_deref().unwrap_or(DEFAULT_GOOGLE_URL),
                )?,
            }),
            RawKind::Smtp => {
                let ok_host = |h: &str| {
                    !h.is_empty()
                        && h.len() <= 255
                        && h.chars()
                            .all(|c| c.is_ascii_alphanumeric() || "-.:[]_".contains(c))
                };
                let host = required(
                    &name,
                    "host",
                    raw.host,
                    "the mail server's host name or IP address",
                )?;
                if !ok_host(&host) {
                    return Err(format!(
                        "health source `{name}`: `host` must be a host name or IP address, got `{}`",
                        host.escape_debug()
                    ));
                }
                let helo = raw.helo.unwrap_or_else(|| "warroom.invalid".to_string());
                if !ok_host(&helo) {
                    return Err(format!(
                        "health source `{name}`: `helo` must be a host name, got `{}`",
                        helo.escape_debug()
                    ));
                }
                SourceKind::Smtp(SmtpSource {
                    host,
                    port: raw.port.unwrap_or(25),
                    helo,
                    starttls_required: raw.starttls_required.unwrap_or(true),
                })
            }
        };
        let interval = raw.interval.map_or(DEFAULT_INTERVAL, |p| p.0);
        let timeout = raw.timeout.map_or(DEFAULT_TIMEOUT, |p| p.0);
        let max_body = raw.max_body.map(|b| b.0).unwrap_or(DEFAULT_MAX_BODY);
        if max_body == 0 {
            return Err(format!(
                "health source `{name}`: `max_body` must be more than zero bytes (e.g. \"8MiB\")"
            ));
        }
        Ok(HealthSourceConfig {
            name,
            interval,
            timeout,
            max_body,
            kind,
        })
    }
}

/// A duration written for humans: what [`crate::domain::time::parse_duration`] reads (`"60s"`,
/// `"5m"`, `"1h30m"`), or milliseconds (`"250ms"`), or a bare number of seconds.
pub fn parse_duration(input: &str) -> Result<Duration, String> {
    let s = input.trim();
    let bad = || {
        format!(
            "`{}` is not a duration; write it like \"60s\", \"5m\", \"1h30m\" or \"250ms\"",
            input.escape_debug()
        )
    };
    if let Ok(secs) = s.parse::<u64>() {
        return Ok(Duration::from_secs(secs));
    }
    if let Some(ms) = s.strip_suffix("ms")
        && let Ok(ms) = ms.parse::<u64>()
    {
        return Ok(Duration::from_millis(ms));
    }
    crate::domain::time::parse_duration(s)
        .and_then(|d| d.to_std().ok())
        .filter(|d| d.as_secs() <= 365 * 86_400)
        .ok_or_else(bad)
}

/// Formats a duration the way [`parse_duration`] reads it (`"60s"`, `"250ms"`, `"5m"`).
pub fn format_duration(d: Duration) -> String {
    if d.subsec_millis() != 0 {
        return format!("{}ms", d.as_millis());
    }
    crate::domain::time::format_duration(chrono::Duration::seconds(d.as_secs() as i64))
}

fn ser_duration<S: Serializer>(d: &Duration, s: S) -> Result<S::Ok, S::Error> {
    s.serialize_str(&format_duration(*d))
}

/// A byte count written for humans: an integer, or `<number><unit>` with `B`, `KB`, `KiB`, `MB`,
/// `MiB`, `GB`, `GiB` (case-insensitive).
pub fn parse_byte_size(input: &str) -> Result<usize, String> {
    let s = input.trim();
    let bad = || {
        format!(
            "`{}` is not a size; write it like 8388608, \"8MiB\" or \"512KiB\"",
            input.escape_debug()
        )
    };
    let split = s
        .find(|c: char| !(c.is_ascii_digit() || c == '.'))
        .unwrap_or(s.len());
    let value: f64 = s[..split].parse().map_err(|_| bad())?;
    let scale: f64 = match s[split..].trim().to_ascii_lowercase().as_str() {
        "" | "b" => 1.0,
        "kb" => 1e3,
        "kib" | "k" => 1024.0,
        "mb" => 1e6,
        "mib" | "m" => 1024.0 * 1024.0,
        "gb" => 1e9,
        "gib" | "g" => 1024.0 * 1024.0 * 1024.0,
        _ => return Err(bad()),
    };
    let bytes = value * scale;
    if !bytes.is_finite() || bytes < 0.0 || bytes > usize::MAX as f64 {
        return Err(bad());
    }
    Ok(bytes as usize)
}

/// A duration written as `"60s"`, `"5m"`, `"1h30m"`, `"250ms"` (or whole seconds).
pub struct HumaneDuration(pub Duration);

impl<'de> Deserialize<'de> for HumaneDuration {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl serde::de::Visitor<'_> for V {
            type Value = HumaneDuration;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a duration such as \"60s\", \"5m\" or \"250ms\"")
            }
            fn visit_u64<E: serde::de::Error>(self, v: u64) -> Result<HumaneDuration, E> {
                Ok(HumaneDuration(Duration::from_secs(v)))
            }
            fn visit_i64<E: serde::de::Error>(self, v: i64) -> Result<HumaneDuration, E> {
                u64::try_from(v)
                    .map(|v| HumaneDuration(Duration::from_secs(v)))
                    .map_err(|_| E::custom("a duration cannot be negative"))
            }
            fn visit_str<E: serde::de::Error>(self, v: &str) -> Result<HumaneDuration, E> {
                parse_duration(v).map(HumaneDuration).map_err(E::custom)
            }
        }
        d.deserialize_any(V)
    }
}

struct ByteSize(usize);

impl<'de> Deserialize<'de> for ByteSize {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl serde::de::Visitor<'_> for V {
            type Value = ByteSize;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a size such as 8388608 or \"8MiB\"")
            }
            fn visit_u64<E: serde::de::Error>(self, v: u64) -> Result<ByteSize, E> {
                usize::try_from(v)
                    .map(ByteSize)
                    .map_err(|_| E::custom("size too large"))
            }
            fn visit_i64<E: serde::de::Error>(self, v: i64) -> Result<ByteSize, E> {
                usize::try_from(v)
                    .map(ByteSize)
                    .map_err(|_| E::custom("a size cannot be negative"))
            }
            fn visit_str<E: serde::de::Error>(self, v: &str) -> Result<ByteSize, E> {
                parse_byte_size(v).map(ByteSize).map_err(E::custom)
            }
        }
        d.deserialize_any(V)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    fn t(h: u32, m: u32) -> DateTime<Utc> {
        Utc.with_ymd_and_hms(2026, 3, 2, h, m, 0).unwrap()
    }

    fn item(id: &str, level: Level, status: &str, updates: &[(u32, u32)]) -> HealthItem {
        HealthItem {
            id: id.into(),
            title: format!("title of {id}"),
            service: Some("Exchange Online".into()),
            level,
            status: status.into(),
            started: Some(t(13, 0)),
            updated: Some(t(13, 30)),
            resolved: None,
            updates: updates
                .iter()
                .map(|&(h, m)| ItemUpdate {
                    at: t(h, m),
                    text: format!("post at {h}:{m}"),
                })
                .collect(),
        }
    }

    fn snap(level: Level, items: Vec<HealthItem>) -> SourceSnapshot {
        SourceSnapshot {
            name: "m365".into(),
            kind: "graph".into(),
            level,
            items,
            last_success: Some(t(14, 0)),
            last_error: None,
            polled_at: t(14, 0),
        }
    }

    #[test]
    fn level_order_is_by_severity() {
        assert!(Level::Operational < Level::Maintenance);
        assert!(Level::Maintenance < Level::Unknown);
        assert!(Level::Unknown < Level::Degraded);
        assert!(Level::Degraded < Level::PartialOutage);
        assert!(Level::PartialOutage < Level::MajorOutage);
        assert_eq!(
            serde_json::to_string(&Level::PartialOutage).unwrap(),
            "\"partial_outage\""
        );
    }

    #[test]
    fn first_poll_reports_problems_not_green_rows() {
        let next = snap(
            Level::Degraded,
            vec![
                item(
                    "EX1234567",
                    Level::Degraded,
                    "serviceDegradation",
                    &[(13, 21)],
                ),
                item(
                    "svc:Exchange",
                    Level::Operational,
                    "serviceOperational",
                    &[],
                ),
            ],
        );
        let changes = diff(None, &next);
        let keys: Vec<_> = changes.iter().map(|c| c.key.as_str()).collect();
        assert_eq!(
            keys,
            vec![
                "m365/level/degraded@2026-03-02T14:00:00Z",
                "m365/EX1234567/new"
            ]
        );
        assert!(
            changes[1]
                .text
                .starts_with("m365 EX1234567: new (degraded, serviceDegradation)")
        );
    }

    #[test]
    fn status_level_update_and_resolution() {
        let prev = snap(
            Level::Degraded,
            vec![item(
                "EX1234567",
                Level::Degraded,
                "investigating",
                &[(13, 21)],
            )],
        );
        let mut it = item(
            "EX1234567",
            Level::MajorOutage,
            "serviceInterruption",
            &[(13, 21), (15, 41)],
        );
        it.updated = Some(t(15, 41));
        let next = snap(Level::MajorOutage, vec![it.clone()]);
        let changes = diff(Some(&prev), &next);
        let texts: Vec<_> = changes.iter().map(|c| c.text.as_str()).collect();
        assert_eq!(
            texts,
            vec![
                "m365: overall degraded → major_outage",
                "m365 EX1234567: level degraded → major_outage",
                "m365 EX1234567: status investigating → serviceInterruption",
                "m365 EX1234567: update 15:41 UTC: post at 15:41",
            ]
        );
        assert_eq!(
            changes[2].key,
            "m365/EX1234567/status/serviceInterruption@2026-03-02T15:41:00Z"
        );
        assert_eq!(changes[3].key, "m365/EX1234567/update/2026-03-02T15:41:00Z");

        // Same snapshot again: nothing.
        assert!(diff(Some(&next), &next).is_empty());

        // Resolved.
        let mut done = it;
        done.level = Level::Operational;
        done.status = "serviceRestored".into();
        done.resolved = Some(t(16, 0));
        let last = snap(Level::Operational, vec![done]);
        let kinds: Vec<_> = diff(Some(&next), &last)
            .into_iter()
            .map(|c| c.kind)
            .collect();
        assert!(kinds.contains(&ChangeKind::Resolved), "{kinds:?}");
    }

    #[test]
    fn status_compare_ignores_case() {
        let prev = snap(
            Level::Degraded,
            vec![item("EX1", Level::Degraded, "serviceDegradation", &[])],
        );
        let next = snap(
            Level::Degraded,
            vec![item("EX1", Level::Degraded, "ServiceDegradation", &[])],
        );
        assert!(diff(Some(&prev), &next).is_empty());
    }

    #[test]
    fn vanished_open_item_is_gone() {
        let prev = snap(
            Level::Degraded,
            vec![item("cp306tmzcl0y", Level::Degraded, "monitoring", &[])],
        );
        let next = snap(Level::Operational, vec![]);
        let changes = diff(Some(&prev), &next);
        assert_eq!(changes.len(), 2);
        assert_eq!(changes[1].kind, ChangeKind::Gone);
    }

    #[test]
    fn error_snapshots_report_nothing_and_are_not_applied() {
        let good = snap(
            Level::Degraded,
            vec![item("EX1", Level::Degraded, "investigating", &[])],
        );
        let mut seen = SeenState::default();
        seen.apply(&good);
        let bad = SourceSnapshot::failed("m365", "graph", Some(&good), "boom".into(), t(15, 0));
        assert_eq!(bad.items, good.items);
        assert!(diff_seen(&seen, &bad).is_empty());
        let before = seen.clone();
        seen.apply(&bad);
        assert_eq!(seen, before);
        let never = SourceSnapshot::failed("x", "feed", None, "boom".into(), t(15, 0));
        assert_eq!(never.level, Level::Unknown);
    }

    #[test]
    fn seen_state_survives_a_restart_without_duplicates() {
        let first = snap(
            Level::Degraded,
            vec![item("EX1", Level::Degraded, "investigating", &[(13, 21)])],
        );
        let mut seen = SeenState::default();
        assert_eq!(diff_seen(&seen, &first).len(), 2);
        seen.apply(&first);
        // Persist and reload as the journal would.
        let json = serde_json::to_string(&seen).unwrap();
        let reloaded: SeenState = serde_json::from_str(&json).unwrap();
        assert_eq!(reloaded, seen);
        assert!(diff_seen(&reloaded, &first).is_empty());
        let second = snap(
            Level::Degraded,
            vec![item(
                "EX1",
                Level::Degraded,
                "investigating",
                &[(13, 21), (14, 5)],
            )],
        );
        let changes = diff_seen(&reloaded, &second);
        assert_eq!(changes.len(), 1);
        assert_eq!(changes[0].kind, ChangeKind::NewUpdate { at: t(14, 5) });
    }

    #[test]
    fn durations() {
        assert_eq!(parse_duration("60s"), Ok(Duration::from_secs(60)));
        assert_eq!(parse_duration("5m"), Ok(Duration::from_secs(300)));
        assert_eq!(parse_duration("1h30m"), Ok(Duration::from_secs(5400)));
        assert_eq!(parse_duration("250ms"), Ok(Duration::from_millis(250)));
        assert_eq!(parse_duration("1500ms"), Ok(Duration::from_millis(1500)));
        assert_eq!(parse_duration("90"), Ok(Duration::from_secs(90)));
        assert_eq!(parse_duration(" 2m "), Ok(Duration::from_secs(120)));
        for bad in ["", "s", "5x", "-5s", "1..2s", "5m3", "abc"] {
            assert!(parse_duration(bad).is_err(), "{bad}");
        }
        for d in [60_000, 250, 300_000, 3_600_000, 1500] {
            let d = Duration::from_millis(d);
            assert_eq!(parse_duration(&format_duration(d)), Ok(d));
        }
    }

    #[test]
    fn byte_sizes() {
        assert_eq!(parse_byte_size("8MiB"), Ok(8 * 1024 * 1024));
        assert_eq!(parse_byte_size("512 KiB"), Ok(512 * 1024));
        assert_eq!(parse_byte_size("1000"), Ok(1000));
        assert!(parse_byte_size("lots").is_err());
    }

    #[test]
    fn config_defaults_and_validation() {
        let cfg: HealthConfig = toml::from_str(
            r#"
            [[sources]]
            name = "m365"
            kind = "graph"
            tenant = "contoso.onmicrosoft.com"
            client_id = "535fb089-9ff3-47b6-9bfb-4f1264799865"
            client_secret_env = "WARROOM_GRAPH_SECRET"

            [[sources]]
            name = "provider"
            kind = "statuspage"
            url = "https://status.example-mail.test/"
            interval = "5m"
            timeout = "250ms"
            max_body = "1MiB"

            [[sources]]
            name = "workspace"
            kind = "google"

            [[sources]]
            name = "aws"
            kind = "feed"
            url = "https://status.aws.amazon.com/rss/all.rss"

            [[sources]]
            name = "mx"
            kind = "smtp"
            host = "mx.contoso.com"
            "#,
        )
        .unwrap();
        assert_eq!(cfg.sources.len(), 5);
        let g = &cfg.sources[0];
        assert_eq!(g.interval, DEFAULT_INTERVAL);
        assert_eq!(g.timeout, DEFAULT_TIMEOUT);
        assert_eq!(g.max_body, DEFAULT_MAX_BODY);
        let SourceKind::Graph(graph) = &g.kind else {
            panic!("not graph")
        };
        assert_eq!(graph.services, vec!["Exchange Online".to_string()]);
        assert_eq!(graph.base_url, DEFAULT_GRAPH_BASE);
        assert_eq!(graph.token_url, DEFAULT_TOKEN_URL);
        assert_eq!(
            graph.secret_ref(),
            SecretRef::Env("WARROOM_GRAPH_SECRET".into())
        );
        let p = &cfg.sources[1];
        assert_eq!(p.interval, Duration::from_secs(300));
        assert_eq!(p.timeout, Duration::from_millis(250));
        assert_eq!(p.max_body, 1024 * 1024);
        assert_eq!(
            p.kind,
            SourceKind::Statuspage(UrlSource {
                url: "https://status.example-mail.test".into()
            })
        );
        assert_eq!(
            cfg.sources[2].kind,
            SourceKind::Google(UrlSource {
                url: DEFAULT_GOOGLE_URL.into()
            })
        );
        assert_eq!(
            cfg.sources[4].kind,
            SourceKind::Smtp(SmtpSource {
                host: "mx.contoso.com".into(),
                port: 25,
                helo: "warroom.invalid".into(),
                starttls_required: true
            })
        );
        assert_eq!(HealthConfig::default().sources.len(), 0);
    }

    /// The message, as the config loader shows it (toml's own rendering would quote the line).
    fn config_err(toml_text: &str) -> String {
        toml::from_str::<HealthConfig>(toml_text)
            .unwrap_err()
            .message()
            .to_string()
    }

    #[test]
    fn config_errors_say_what_to_do() {
        let e =
            config_err("[[sources]]\nname='x'\nkind='statuspage'\nurl='https://a.test'\nbogus=1\n");
        assert!(e.contains("bogus"), "{e}");
        let e = config_err(
            "[[sources]]\nname='m'\nkind='graph'\ntenant='t'\nclient_id='c'\nclient_secret='hunter2-pass'\n",
        );
        assert!(e.contains("client_secret_env"), "{e}");
        assert!(!e.contains("hunter2-pass"), "{e}");
        let e = config_err("[[sources]]\nname='m'\nkind='graph'\ntenant='t'\nclient_id='c'\n");
        assert!(e.contains("exactly one"), "{e}");
        let e = config_err("[[sources]]\nname='x'\nkind='feed'\nurl='file:///etc/passwd'\n");
        assert!(e.contains("http(s) URL"), "{e}");
        let e = config_err(
            "[[sources]]\nname='x'\nkind='feed'\nurl='https://a.test'\ninterval='soon'\n",
        );
        assert!(e.contains("not a duration"), "{e}");
        let e = config_err(
            "[[sources]]\nname='x'\nkind='feed'\nurl='https://a.test'\n[[sources]]\nname='x'\nkind='feed'\nurl='https://b.test'\n",
        );
        assert!(e.contains("unique"), "{e}");
        let e = config_err("[[sources]]\nname='x'\nkind='carrier_pigeon'\n");
        assert!(e.contains("carrier_pigeon"), "{e}");
    }

    #[test]
    fn config_serialises_back() {
        let cfg: HealthConfig = toml::from_str(
            "[[sources]]\nname='x'\nkind='smtp'\nhost='127.0.0.1'\nport=2525\ninterval='250ms'\n",
        )
        .unwrap();
        let text = toml::to_string(&cfg).unwrap();
        let again: HealthConfig = toml::from_str(&text).unwrap();
        assert_eq!(again, cfg);
    }
}
