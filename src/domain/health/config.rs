//! The `[health]` configuration: sources, their kinds and secrets, and the humane durations and
//! sizes they are written with.

use std::collections::BTreeSet;
use std::fmt;
use std::path::PathBuf;
use std::time::Duration;

use serde::{Deserialize, Deserializer, Serialize, Serializer};

use crate::domain::queue::QueueThresholds;

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
    /// A Postfix queue listing (`postqueue -j`), run locally or through `ssh`.
    #[serde(rename = "postfix-queue")]
    PostfixQueue(QueueSource),
    /// Any command printing a JSON array of queues (`{queue, count, oldest_seconds, reason}`).
    #[serde(rename = "command-queue")]
    CommandQueue(QueueSource),
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
            SourceKind::PostfixQueue(_) => "postfix-queue",
            SourceKind::CommandQueue(_) => "command-queue",
        }
    }

    /// The queue settings of a queue source.
    pub fn queue(&self) -> Option<&QueueSource> {
        match self {
            SourceKind::PostfixQueue(q) | SourceKind::CommandQueue(q) => Some(q),
            _ => None,
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

/// Settings of a queue source (`postfix-queue`, `command-queue`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct QueueSource {
    /// The program and its arguments, run without a shell. Default for `postfix-queue`:
    /// `["postqueue", "-j"]`; `command-queue` needs one.
    pub command: Vec<String>,
    /// The most output read from the command, in bytes; more makes the source `unknown`.
    /// Default 16 MiB.
    pub max_output: usize,
    /// When the queue is a warning or an alert.
    pub thresholds: QueueThresholds,
}

/// Default `command` of a `postfix-queue` source.
pub const DEFAULT_POSTQUEUE: [&str; 2] = ["postqueue", "-j"];
/// Default `max_output` of a queue source: 16 MiB.
pub const DEFAULT_MAX_OUTPUT: usize = 16 * 1024 * 1024;
/// Default `timeout` of a queue source: 20 s (a listing over `ssh` of a large queue is slow).
pub const DEFAULT_QUEUE_TIMEOUT: Duration = Duration::from_secs(20);

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
    #[serde(default)]
    command: Option<Vec<String>>,
    #[serde(default)]
    max_output: Option<ByteSize>,
    #[serde(default)]
    warn_count: Option<u64>,
    #[serde(default)]
    alert_count: Option<u64>,
    #[serde(default)]
    warn_age: Option<Positive>,
    #[serde(default)]
    alert_age: Option<Positive>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "snake_case")]
enum RawKind {
    Graph,
    Statuspage,
    Feed,
    Google,
    Smtp,
    #[serde(rename = "postfix-queue")]
    PostfixQueue,
    #[serde(rename = "command-queue")]
    CommandQueue,
}

impl RawKind {
    fn name(self) -> &'static str {
        match self {
            RawKind::Graph => "graph",
            RawKind::Statuspage => "statuspage",
            RawKind::Feed => "feed",
            RawKind::Google => "google",
            RawKind::Smtp => "smtp",
            RawKind::PostfixQueue => "postfix-queue",
            RawKind::CommandQueue => "command-queue",
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
            RawKind::PostfixQueue | RawKind::CommandQueue => &[
                "command",
                "max_output",
                "warn_count",
                "alert_count",
                "warn_age",
                "alert_age",
            ],
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
        add("command", self.command.is_some());
        add("max_output", self.max_output.is_some());
        add("warn_count", self.warn_count.is_some());
        add("alert_count", self.alert_count.is_some());
        add("warn_age", self.warn_age.is_some());
        add("alert_age", self.alert_age.is_some());
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
                "health source `{name}`: `{key}` does not apply to kind = \"{kind_name}\" (it takes name, kind, interval, timeout, {}{})",
                if own.contains(&"max_output") {
                    ""
                } else {
                    "max_body, "
                },
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
            RawKind::PostfixQueue | RawKind::CommandQueue => {
                let q = queue_source(&name, raw.kind, &raw)?;
                if raw.kind == RawKind::PostfixQueue {
                    SourceKind::PostfixQueue(q)
                } else {
                    SourceKind::CommandQueue(q)
                }
            }
        };
        let interval = raw.interval.map_or(DEFAULT_INTERVAL, |p| p.0);
        let default_timeout = if kind.queue().is_some() {
            DEFAULT_QUEUE_TIMEOUT
        } else {
            DEFAULT_TIMEOUT
        };
        let timeout = raw.timeout.map_or(default_timeout, |p| p.0);
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

/// The settings of a queue source, checked: a usable command, a cap above zero, thresholds in
/// order.
fn queue_source(name: &str, kind: RawKind, raw: &RawSource) -> Result<QueueSource, String> {
    if raw.max_body.is_some() {
        return Err(format!(
            "health source `{name}`: `max_body` does not apply to kind = \"{}\"; its output cap is `max_output` (e.g. \"16MiB\")",
            kind.name()
        ));
    }
    let command = match (&raw.command, kind) {
        (Some(c), _) => c.clone(),
        (None, RawKind::PostfixQueue) => DEFAULT_POSTQUEUE.iter().map(|s| s.to_string()).collect(),
        (None, _) => {
            return Err(format!(
                "health source `{name}`: `command` is missing: give the program and its arguments as a list, e.g. [\"pwsh\", \"-NoProfile\", \"-File\", \"/etc/warroom/queues.ps1\"]"
            ));
        }
    };
    if command.first().is_none_or(|p| p.trim().is_empty()) {
        return Err(format!(
            "health source `{name}`: `command` is empty: give the program and its arguments as a list, e.g. [\"postqueue\", \"-j\"]"
        ));
    }
    if command.iter().any(|a| a.contains('\0')) {
        return Err(format!(
            "health source `{name}`: `command` has an argument with a NUL character; remove it"
        ));
    }
    let max_output = raw.max_output.as_ref().map_or(DEFAULT_MAX_OUTPUT, |b| b.0);
    if max_output == 0 {
        return Err(format!(
            "health source `{name}`: `max_output` must be more than zero bytes (e.g. \"16MiB\")"
        ));
    }
    let d = QueueThresholds::default();
    let thresholds = QueueThresholds {
        warn_count: raw.warn_count.unwrap_or(d.warn_count),
        alert_count: raw.alert_count.unwrap_or(d.alert_count),
        warn_age: raw.warn_age.as_ref().map_or(d.warn_age, |p| p.0),
        alert_age: raw.alert_age.as_ref().map_or(d.alert_age, |p| p.0),
    };
    thresholds
        .check()
        .map_err(|e| format!("health source `{name}`: {e}"))?;
    Ok(QueueSource {
        command,
        max_output,
        thresholds,
    })
}

/// A duration written for humans: see [`crate::domain::time::parse_config_duration`].
pub use crate::domain::time::{
    format_config_duration as format_duration, parse_config_duration as parse_duration,
};

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
