//! The channels a stakeholder update can go out on, as configured (`[[updates.channels]]`): what
//! each kind needs, checked when the config is read. Sending lives in `crate::updates`.
//!
//! ```toml
//! [[updates.channels]]
//! name = "ops-teams"
//! kind = "teams"                  # teams | slack | webhook | smtp | statuspage | file | clipboard
//! url_env = "WARROOM_TEAMS_URL"   # or url_file = "/run/secrets/teams", or url = "..."
//! audience = "internal"           # or "external": sending asks for a confirmation first
//! ```

use std::collections::BTreeMap;
use std::path::PathBuf;

use serde::{Deserialize, Serialize};

/// Where a password or API key comes from (the one secret reference of every config).
pub use super::health::SecretRef;
use super::time::parse_duration;
use super::vocab::{Severity, Status};

/// Who reads a channel. Sending to an `external` one needs an explicit confirmation that shows
/// the exact text; templates see it as the `audience` placeholder.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Default, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Audience {
    #[default]
    Internal,
    External,
}

impl Audience {
    pub fn as_str(self) -> &'static str {
        match self {
            Audience::Internal => "internal",
            Audience::External => "external",
        }
    }
}

/// Where a webhook URL comes from. Webhook URLs carry their credential in the path, so the
/// environment or a file is the place for them; the URL itself is never shown or journaled.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum UrlRef {
    Env(String),
    File(PathBuf),
    Literal(String),
}

/// The body a Teams channel posts.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum TeamsFormat {
    /// A Workflows webhook message carrying an Adaptive Card (the default).
    #[default]
    AdaptiveCard,
    /// The legacy Office 365 connector MessageCard.
    MessageCard,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TeamsChannel {
    pub url: UrlRef,
    pub format: TeamsFormat,
}

/// How the SMTP connection is protected.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum SmtpTls {
    /// Plain connection upgraded with STARTTLS; refuse to send when the relay does not offer it.
    #[default]
    StartTls,
    /// TLS from the first byte (port 465).
    Implicit,
    /// No TLS at all (an explicit opt-out).
    None,
}

impl SmtpTls {
    pub fn as_str(self) -> &'static str {
        match self {
            SmtpTls::StartTls => "starttls",
            SmtpTls::Implicit => "implicit",
            SmtpTls::None => "none",
        }
    }

    /// The port used when the channel names none: 587, 465 or 25.
    pub fn default_port(self) -> u16 {
        match self {
            SmtpTls::StartTls => 587,
            SmtpTls::Implicit => 465,
            SmtpTls::None => 25,
        }
    }
}

/// An SMTP relay and the list the mail goes to.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SmtpChannel {
    pub host: String,
    pub port: u16,
    pub from: String,
    pub to: Vec<String>,
    /// Name sent with EHLO.
    pub helo: String,
    pub tls: SmtpTls,
    /// Log in with AUTH PLAIN or LOGIN (whichever the relay offers) as this user.
    pub username: Option<String>,
    pub password: Option<SecretRef>,
    /// A PEM file of CA certificates to trust besides the system's.
    pub ca_file: Option<PathBuf>,
}

/// The default Statuspage API.
pub const STATUSPAGE_API: &str = "https://api.statuspage.io/v1";

/// A Statuspage page to publish incidents on.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StatuspageChannel {
    pub page_id: String,
    pub api_key: SecretRef,
    /// Without a trailing slash.
    pub base_url: String,
    /// Component name → component id.
    pub components: BTreeMap<String, String>,
}

crate::domain::vocab::words! {
    /// A Statuspage component status (the API's words: `partial_outage`).
    pub enum ComponentStatus ("component status") {
        Operational => "operational",
        DegradedPerformance => "degraded_performance",
        PartialOutage => "partial_outage",
        MajorOutage => "major_outage",
        UnderMaintenance => "under_maintenance",
    }
}

impl ComponentStatus {
    pub fn parse(s: &str) -> Option<ComponentStatus> {
        s.parse().ok()
    }

    /// The next one in [`ComponentStatus::ALL`], wrapping (for cycling in the composer).
    pub fn next(self) -> ComponentStatus {
        let i = Self::ALL.iter().position(|c| *c == self).unwrap_or(0);
        Self::ALL[(i + 1) % Self::ALL.len()]
    }

    /// What a component shows by default: operational once the incident is resolved, else by
    /// severity (SEV1 major outage, SEV2 partial outage, SEV3 and SEV4 degraded performance).
    pub fn default_for(severity: Severity, status: Status) -> ComponentStatus {
        if status == Status::Resolved {
            return ComponentStatus::Operational;
        }
        match severity {
            Severity::Sev1 => ComponentStatus::MajorOutage,
            Severity::Sev2 => ComponentStatus::PartialOutage,
            Severity::Sev3 | Severity::Sev4 => ComponentStatus::DegradedPerformance,
        }
    }
}

/// Statuspage's incident status for warroom's: investigating, identified, monitoring (also for
/// mitigated) or resolved.
pub fn statuspage_status(status: Status) -> &'static str {
    match status {
        Status::Investigating => "investigating",
        Status::Identified => "identified",
        Status::Mitigated | Status::Monitoring => "monitoring",
        Status::Resolved => "resolved",
    }
}

/// Statuspage's `impact_override` for a severity: critical, major, minor or none.
pub fn statuspage_impact(severity: Severity) -> &'static str {
    match severity {
        Severity::Sev1 => "critical",
        Severity::Sev2 => "major",
        Severity::Sev3 => "minor",
        Severity::Sev4 => "none",
    }
}

/// One channel.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(try_from = "RawChannel")]
pub struct ChannelConfig {
    pub name: String,
    /// Bound on one send (the whole SMTP conversation, or one HTTP request and its retries).
    pub timeout: std::time::Duration,
    pub audience: Audience,
    pub kind: ChannelKind,
}

/// What a channel is.
#[derive(Debug, Clone, PartialEq)]
pub enum ChannelKind {
    /// Microsoft Teams: a Workflows webhook (Adaptive Card) or a legacy connector (MessageCard).
    Teams(TeamsChannel),
    /// Slack incoming webhook (`{"text": ...}`).
    Slack(UrlRef),
    /// Any JSON webhook: `{"incident","severity","status","title","text","sent_at"}`.
    Webhook(UrlRef),
    /// A mail through an SMTP relay (STARTTLS, implicit TLS or none; AUTH when configured).
    Smtp(SmtpChannel),
    /// An incident on a Statuspage page (created on the first send, updated after).
    Statuspage(StatuspageChannel),
    /// Appends the text to a file.
    File(PathBuf),
    /// The terminal clipboard, through OSC 52.
    Clipboard,
}

impl ChannelKind {
    /// The `kind` word.
    pub fn word(&self) -> &'static str {
        match self {
            ChannelKind::Teams(_) => "teams",
            ChannelKind::Slack(_) => "slack",
            ChannelKind::Webhook(_) => "webhook",
            ChannelKind::Smtp(_) => "smtp",
            ChannelKind::Statuspage(_) => "statuspage",
            ChannelKind::File(_) => "file",
            ChannelKind::Clipboard => "clipboard",
        }
    }
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawChannel {
    name: String,
    kind: String,
    #[serde(default)]
    audience: Option<String>,
    #[serde(default)]
    timeout: Option<String>,
    #[serde(default)]
    url: Option<String>,
    #[serde(default)]
    url_env: Option<String>,
    #[serde(default)]
    url_file: Option<PathBuf>,
    #[serde(default)]
    format: Option<String>,
    #[serde(default)]
    host: Option<String>,
    #[serde(default)]
    port: Option<u16>,
    #[serde(default)]
    from: Option<String>,
    #[serde(default)]
    to: Option<Vec<String>>,
    #[serde(default)]
    helo: Option<String>,
    #[serde(default)]
    tls: Option<String>,
    #[serde(default)]
    username: Option<String>,
    #[serde(default)]
    password_env: Option<String>,
    #[serde(default)]
    password_file: Option<PathBuf>,
    #[serde(default)]
    ca_file: Option<PathBuf>,
    #[serde(default)]
    page_id: Option<String>,
    #[serde(default)]
    api_key_env: Option<String>,
    #[serde(default)]
    api_key_file: Option<PathBuf>,
    #[serde(default)]
    base_url: Option<String>,
    #[serde(default)]
    components: Option<BTreeMap<String, String>>,
    #[serde(default)]
    path: Option<PathBuf>,
}

impl RawChannel {
    /// The kind-specific keys that are set, by name.
    fn present(&self) -> Vec<&'static str> {
        [
            ("url", self.url.is_some()),
            ("url_env", self.url_env.is_some()),
            ("url_file", self.url_file.is_some()),
            ("format", self.format.is_some()),
            ("host", self.host.is_some()),
            ("port", self.port.is_some()),
            ("from", self.from.is_some()),
            ("to", self.to.is_some()),
            ("helo", self.helo.is_some()),
            ("tls", self.tls.is_some()),
            ("username", self.username.is_some()),
            ("password_env", self.password_env.is_some()),
            ("password_file", self.password_file.is_some()),
            ("ca_file", self.ca_file.is_some()),
            ("page_id", self.page_id.is_some()),
            ("api_key_env", self.api_key_env.is_some()),
            ("api_key_file", self.api_key_file.is_some()),
            ("base_url", self.base_url.is_some()),
            ("components", self.components.is_some()),
            ("path", self.path.is_some()),
        ]
        .into_iter()
        .filter(|(_, set)| *set)
        .map(|(k, _)| k)
        .collect()
    }
}

/// The kind-specific keys each kind takes.
fn keys_of(kind: &str) -> Option<&'static [&'static str]> {
    Some(match kind {
        "teams" => &["url", "url_env", "url_file", "format"],
        "slack" | "webhook" => &["url", "url_env", "url_file"],
        "smtp" => &[
            "host",
            "port",
            "from",
            "to",
            "helo",
            "tls",
            "username",
            "password_env",
            "password_file",
            "ca_file",
        ],
        "statuspage" => &[
            "page_id",
            "api_key_env",
            "api_key_file",
            "base_url",
            "components",
        ],
        "file" => &["path"],
        "clipboard" => &[],
        _ => return None,
    })
}

/// Whether an address is something we can put in `MAIL FROM:<…>` and a header unchanged.
fn plausible_address(a: &str) -> bool {
    let a = a.trim();
    !a.is_empty()
        && a.contains('@')
        && !a
            .chars()
            .any(|c| c.is_whitespace() || c.is_control() || matches!(c, '<' | '>' | ',' | '"'))
}

/// Whether `s` can go into a URL path unescaped (Statuspage ids are short alphanumerics): a
/// configured page or component id, and an incident id the API hands back.
pub fn plain_id(s: &str) -> bool {
    !s.is_empty()
        && s.len() <= 64
        && s.chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_')
}

/// One of `env` / `file` (exactly one), for a secret named `what` (`password`, `api_key`).
fn secret_ref(
    n: &str,
    what: &str,
    env: &Option<String>,
    file: &Option<PathBuf>,
) -> Result<Option<SecretRef>, String> {
    match (env, file) {
        (Some(_), Some(_)) => Err(format!(
            "update channel `{n}`: give only one of {what}_env and {what}_file"
        )),
        (Some(v), None) if v.trim().is_empty() => Err(format!(
            "update channel `{n}`: {what}_env must name an environment variable"
        )),
        (Some(v), None) => Ok(Some(SecretRef::Env(v.trim().to_string()))),
        (None, Some(p)) if p.as_os_str().is_empty() => Err(format!(
            "update channel `{n}`: {what}_file must name a file"
        )),
        (None, Some(p)) => Ok(Some(SecretRef::File(p.clone()))),
        (None, None) => Ok(None),
    }
}

fn url_ref(n: &str, kind: &str, r: &RawChannel) -> Result<UrlRef, String> {
    let given = [r.url.is_some(), r.url_env.is_some(), r.url_file.is_some()];
    match given.iter().filter(|x| **x).count() {
        0 => Err(format!(
            "update channel `{n}` (kind = \"{kind}\") needs its URL: url_env = \"VAR\" (preferred), url_file = \"/path\" or url = \"https://…\""
        )),
        1 => Ok(if let Some(v) = &r.url_env {
            UrlRef::Env(v.clone())
        } else if let Some(p) = &r.url_file {
            UrlRef::File(p.clone())
        } else {
            UrlRef::Literal(r.url.clone().unwrap_or_default())
        }),
        _ => Err(format!(
            "update channel `{n}`: give only one of url, url_env and url_file"
        )),
    }
}

fn smtp(n: &str, r: &RawChannel) -> Result<SmtpChannel, String> {
    let host = r.host.clone().unwrap_or_default().trim().to_string();
    if host.is_empty() {
        return Err(format!(
            "update channel `{n}` (kind = \"smtp\") needs host = \"relay.example.net\""
        ));
    }
    let from = r.from.clone().unwrap_or_default().trim().to_string();
    if !plausible_address(&from) {
        return Err(format!(
            "update channel `{n}`: from = \"{}\" is not a mail address like warroom@example.com",
            from.escape_debug()
        ));
    }
    let to: Vec<String> =
        r.to.clone()
            .unwrap_or_default()
            .iter()
            .map(|a| a.trim().to_string())
            .collect();
    if to.is_empty() {
        return Err(format!(
            "update channel `{n}` (kind = \"smtp\") needs to = [\"list@example.com\", …]"
        ));
    }
    if let Some(bad) = to.iter().find(|a| !plausible_address(a)) {
        return Err(format!(
            "update channel `{n}`: \"{}\" in `to` is not a mail address",
            bad.escape_debug()
        ));
    }
    let tls = match r.tls.as_deref().map(str::trim) {
        None | Some("starttls") => SmtpTls::StartTls,
        Some("implicit") => SmtpTls::Implicit,
        Some("none") => SmtpTls::None,
        Some(other) => {
            return Err(format!(
                "update channel `{n}`: tls = \"{}\" is not one of \"starttls\" (default), \"implicit\" (port 465) or \"none\"",
                other.escape_debug()
            ));
        }
    };
    let username = r
        .username
        .as_deref()
        .map(str::trim)
        .filter(|u| !u.is_empty())
        .map(str::to_string);
    if username
        .as_deref()
        .is_some_and(|u| u.chars().any(|c| c.is_control()))
    {
        return Err(format!(
            "update channel `{n}`: username must be one line of text"
        ));
    }
    let password = secret_ref(n, "password", &r.password_env, &r.password_file)?;
    match (&username, &password) {
        (Some(_), None) => {
            return Err(format!(
                "update channel `{n}`: username needs password_env = \"VAR\" or password_file = \"/path\" (the password never goes in the config)"
            ));
        }
        (None, Some(_)) => {
            return Err(format!(
                "update channel `{n}`: password_env/password_file needs username = \"…\" to log in with"
            ));
        }
        _ => {}
    }
    if tls == SmtpTls::None && username.is_some() {
        return Err(format!(
            "update channel `{n}`: with tls = \"none\" the password would cross the network unencrypted; use tls = \"starttls\" or \"implicit\", or drop username"
        ));
    }
    if tls == SmtpTls::None && r.ca_file.is_some() {
        return Err(format!(
            "update channel `{n}`: ca_file does not apply with tls = \"none\""
        ));
    }
    Ok(SmtpChannel {
        host,
        port: r.port.unwrap_or(tls.default_port()),
        from,
        to,
        helo: r.helo.clone().unwrap_or_else(|| "warroom.invalid".into()),
        tls,
        username,
        password,
        ca_file: r.ca_file.clone(),
    })
}

fn statuspage(n: &str, r: &RawChannel) -> Result<StatuspageChannel, String> {
    let page_id = r.page_id.clone().unwrap_or_default().trim().to_string();
    if !plain_id(&page_id) {
        return Err(format!(
            "update channel `{n}` (kind = \"statuspage\") needs page_id = \"…\" (letters and digits, from the page's API settings)"
        ));
    }
    let api_key = secret_ref(n, "api_key", &r.api_key_env, &r.api_key_file)?.ok_or_else(|| {
        format!(
            "update channel `{n}` (kind = \"statuspage\") needs api_key_env = \"VAR\" or api_key_file = \"/path\" (the key never goes in the config)"
        )
    })?;
    let base_url = r
        .base_url
        .clone()
        .unwrap_or_else(|| STATUSPAGE_API.to_string())
        .trim()
        .trim_end_matches('/')
        .to_string();
    if !(base_url.starts_with("https://") || base_url.starts_with("http://")) {
        return Err(format!(
            "update channel `{n}`: base_url = \"{}\" is not an http(s) URL (default {STATUSPAGE_API})",
            base_url.escape_debug()
        ));
    }
    let components = r.components.clone().unwrap_or_default();
    for (name, id) in &components {
        if name.trim().is_empty() || name.chars().any(|c| c.is_control()) || !plain_id(id) {
            return Err(format!(
                "update channel `{n}`: components entry \"{}\" = \"{}\" is not a component name and id (ids are letters and digits, from the page's components)",
                name.escape_debug(),
                id.escape_debug()
            ));
        }
    }
    Ok(StatuspageChannel {
        page_id,
        api_key,
        base_url,
        components,
    })
}

impl TryFrom<RawChannel> for ChannelConfig {
    type Error = String;
    fn try_from(r: RawChannel) -> Result<Self, String> {
        let name = r.name.trim().to_string();
        if name.is_empty() || name.chars().any(|c| c.is_whitespace() || c.is_control()) {
            return Err(format!(
                "update channel name `{}` must be one word (it is typed after --send)",
                r.name.escape_debug()
            ));
        }
        let n = &name;
        let kind_word = r.kind.trim();
        let Some(allowed) = keys_of(kind_word) else {
            return Err(format!(
                "update channel `{n}`: unknown kind \"{}\"; use teams, slack, webhook, smtp, statuspage, file or clipboard",
                kind_word.escape_debug()
            ));
        };
        if let Some(bad) = r.present().into_iter().find(|k| !allowed.contains(k)) {
            return Err(format!(
                "update channel `{n}`: `{bad}` does not apply to kind = \"{kind_word}\""
            ));
        }
        let timeout = match &r.timeout {
            None => std::time::Duration::from_secs(20),
            Some(t) => parse_duration(t)
                .and_then(|d| d.to_std().ok())
                .filter(|d| !d.is_zero() && d.as_secs() <= 600)
                .ok_or_else(|| {
                    format!("update channel `{n}`: timeout `{t}` is not a duration like \"20s\"")
                })?,
        };
        let audience = match r.audience.as_deref().map(str::trim) {
            None | Some("internal") => Audience::Internal,
            Some("external") => Audience::External,
            Some(other) => {
                return Err(format!(
                    "update channel `{n}`: audience = \"{}\" is not \"internal\" (default) or \"external\"",
                    other.escape_debug()
                ));
            }
        };
        let kind = match kind_word {
            "teams" => ChannelKind::Teams(TeamsChannel {
                url: url_ref(n, kind_word, &r)?,
                format: match r.format.as_deref().map(str::trim) {
                    None | Some("adaptivecard") => TeamsFormat::AdaptiveCard,
                    Some("messagecard") => TeamsFormat::MessageCard,
                    Some(other) => {
                        return Err(format!(
                            "update channel `{n}`: format = \"{}\" is not \"adaptivecard\" (default, for Workflows) or \"messagecard\" (legacy connectors)",
                            other.escape_debug()
                        ));
                    }
                },
            }),
            "slack" => ChannelKind::Slack(url_ref(n, kind_word, &r)?),
            "webhook" => ChannelKind::Webhook(url_ref(n, kind_word, &r)?),
            "smtp" => ChannelKind::Smtp(smtp(n, &r)?),
            "statuspage" => ChannelKind::Statuspage(statuspage(n, &r)?),
            "file" => match &r.path {
                Some(p) if !p.as_os_str().is_empty() => ChannelKind::File(p.clone()),
                _ => {
                    return Err(format!(
                        "update channel `{n}` (kind = \"file\") needs path = \"/path/to/updates.txt\""
                    ));
                }
            },
            _ => ChannelKind::Clipboard,
        };
        Ok(ChannelConfig {
            name,
            timeout,
            audience,
            kind,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(body: &str) -> Result<ChannelConfig, String> {
        #[derive(Deserialize)]
        struct One {
            #[allow(dead_code)]
            c: ChannelConfig,
        }
        toml::from_str::<One>(&format!("[c]\nname = \"x\"\n{body}"))
            .map(|o| o.c)
            .map_err(|e| e.to_string())
    }

    #[test]
    fn smtp_keys_defaults_and_refusals() {
        let c = parse("kind = \"smtp\"\nhost = \"relay\"\nfrom = \"w@x.org\"\nto = [\"a@x.org\"]\nusername = \"w@x.org\"\npassword_env = \"P\"").unwrap();
        let ChannelKind::Smtp(s) = c.kind else {
            panic!()
        };
        assert_eq!((s.tls, s.port), (SmtpTls::StartTls, 587));
        assert_eq!(s.password, Some(SecretRef::Env("P".into())));
        assert_eq!(c.audience, Audience::Internal);
        let c = parse("kind = \"smtp\"\nhost = \"relay\"\nfrom = \"w@x.org\"\nto = [\"a@x.org\"]\ntls = \"implicit\"\naudience = \"external\"").unwrap();
        assert_eq!(c.audience, Audience::External);
        let ChannelKind::Smtp(s) = c.kind else {
            panic!()
        };
        assert_eq!((s.tls, s.port), (SmtpTls::Implicit, 465));
        for (bad, want) in [
            ("tls = \"ssl\"", "not one of"),
            ("username = \"u\"", "needs password_env"),
            ("password_file = \"/p\"", "needs username"),
            (
                "username = \"u\"\npassword_env = \"P\"\npassword_file = \"/p\"",
                "only one",
            ),
            (
                "tls = \"none\"\nusername = \"u\"\npassword_env = \"P\"",
                "unencrypted",
            ),
            ("page_id = \"p\"", "`page_id` does not apply"),
            ("audience = \"public\"", "audience"),
        ] {
            let e = parse(&format!(
                "kind = \"smtp\"\nhost = \"relay\"\nfrom = \"w@x.org\"\nto = [\"a@x.org\"]\n{bad}"
            ))
            .unwrap_err();
            assert!(e.contains(want), "{bad}: {e}");
        }
    }

    #[test]
    fn statuspage_and_teams_keys() {
        let c = parse("kind = \"statuspage\"\npage_id = \"abc123\"\napi_key_file = \"/k\"\ncomponents = { \"Email\" = \"cmp1\", \"Web mail\" = \"cmp2\" }").unwrap();
        let ChannelKind::Statuspage(s) = c.kind else {
            panic!()
        };
        assert_eq!(s.base_url, STATUSPAGE_API);
        assert_eq!(s.components.len(), 2);
        for (bad, want) in [
            ("api_key_env = \"K\"", "needs page_id"),
            ("page_id = \"p/../x\"\napi_key_env = \"K\"", "needs page_id"),
            ("page_id = \"p\"", "needs api_key_env"),
            (
                "page_id = \"p\"\napi_key_env = \"K\"\ncomponents = { \"E\" = \"a b\" }",
                "components entry",
            ),
            (
                "page_id = \"p\"\napi_key_env = \"K\"\nbase_url = \"ftp://x\"",
                "not an http(s) URL",
            ),
            ("page_id = \"p\"\napi_key_env = \"K\"\nurl = \"x\"", "`url`"),
        ] {
            let e = parse(&format!("kind = \"statuspage\"\n{bad}")).unwrap_err();
            assert!(e.contains(want), "{bad}: {e}");
        }
        let c = parse("kind = \"teams\"\nurl_env = \"T\"\nformat = \"messagecard\"").unwrap();
        assert_eq!(
            c.kind,
            ChannelKind::Teams(TeamsChannel {
                url: UrlRef::Env("T".into()),
                format: TeamsFormat::MessageCard
            })
        );
        let e = parse("kind = \"teams\"\nurl_env = \"T\"\nformat = \"card\"").unwrap_err();
        assert!(e.contains("adaptivecard"), "{e}");
    }

    #[test]
    fn component_defaults_follow_severity_and_resolution() {
        use ComponentStatus::*;
        assert_eq!(
            ComponentStatus::default_for(Severity::Sev1, Status::Investigating),
            MajorOutage
        );
        assert_eq!(
            ComponentStatus::default_for(Severity::Sev2, Status::Monitoring),
            PartialOutage
        );
        assert_eq!(
            ComponentStatus::default_for(Severity::Sev1, Status::Resolved),
            Operational
        );
        assert_eq!(UnderMaintenance.next(), Operational);
        assert_eq!(statuspage_status(Status::Mitigated), "monitoring");
        assert_eq!(ComponentStatus::parse("major_outage"), Some(MajorOutage));
    }
}
