//! The `[followups]` table of the config: the trackers follow-ups are pushed to.
//!
//! ```toml
//! [[followups.trackers]]
//! name = "gh"                      # one word, given to --tracker
//! kind = "github"
//! repo = "acme/mail-infra"
//! token_env = "WARROOM_GITHUB_TOKEN"
//! # base_url = "https://github.example.com/api/v3"   # GitHub Enterprise; default api.github.com
//! labels = ["incident-follow-up"]
//!
//! [[followups.trackers]]
//! name = "jira"
//! kind = "jira"
//! base_url = "https://acme.atlassian.net"
//! project = "OPS"
//! issue_type = "Task"
//! email = "warroom-bot@acme.example"
//! token_env = "WARROOM_JIRA_TOKEN"
//! ```
//!
//! A leaf: serde only (and the shared [`SecretRef`]).

use serde::Deserialize;
use std::collections::BTreeSet;
use std::path::PathBuf;

pub use super::health::SecretRef;

/// GitHub's API root when `base_url` is left out.
pub const GITHUB_API: &str = "https://api.github.com";

/// Where the issues go.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum TrackerKind {
    /// GitHub issues (`POST {base_url}/repos/{repo}/issues`).
    Github { repo: String },
    /// Jira Cloud (`POST {base_url}/rest/api/3/issue`, basic auth email:token).
    Jira {
        project: String,
        issue_type: String,
        email: String,
    },
}

/// One configured tracker.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(try_from = "RawTracker")]
pub struct TrackerConfig {
    pub name: String,
    pub kind: TrackerKind,
    /// API root (GitHub) or site (Jira), without a trailing slash.
    pub base_url: String,
    pub token: SecretRef,
    /// Labels put on every issue created.
    pub labels: Vec<String>,
}

impl TrackerConfig {
    /// `github` or `jira`.
    pub fn kind_word(&self) -> &'static str {
        match self.kind {
            TrackerKind::Github { .. } => "github",
            TrackerKind::Jira { .. } => "jira",
        }
    }
}

/// The `[followups]` table.
#[derive(Debug, Clone, Default, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields, try_from = "RawFollowups")]
pub struct FollowupsConfig {
    pub trackers: Vec<TrackerConfig>,
}

impl FollowupsConfig {
    /// A tracker by name.
    pub fn tracker(&self, name: &str) -> Option<&TrackerConfig> {
        self.trackers.iter().find(|t| t.name == name)
    }

    /// `gh, jira` for messages.
    pub fn names(&self) -> String {
        if self.trackers.is_empty() {
            return "none configured".into();
        }
        self.trackers
            .iter()
            .map(|t| t.name.as_str())
            .collect::<Vec<_>>()
            .join(", ")
    }
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawFollowups {
    #[serde(default)]
    trackers: Vec<TrackerConfig>,
}

impl TryFrom<RawFollowups> for FollowupsConfig {
    type Error = String;
    fn try_from(raw: RawFollowups) -> Result<Self, String> {
        let mut names = BTreeSet::new();
        for t in &raw.trackers {
            if !names.insert(t.name.as_str()) {
                return Err(format!(
                    "two trackers are named `{}`; give each tracker a unique name",
                    t.name
                ));
            }
        }
        Ok(FollowupsConfig {
            trackers: raw.trackers,
        })
    }
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawTracker {
    name: String,
    kind: String,
    #[serde(default)]
    repo: Option<String>,
    #[serde(default)]
    base_url: Option<String>,
    #[serde(default)]
    project: Option<String>,
    #[serde(default)]
    issue_type: Option<String>,
    #[serde(default)]
    email: Option<String>,
    #[serde(default)]
    token_env: Option<String>,
    #[serde(default)]
    token_file: Option<PathBuf>,
    #[serde(default)]
    labels: Vec<String>,
}

fn is_word(s: &str) -> bool {
    !s.is_empty()
        && s.chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_')
}

/// A URL with a scheme and host, without the trailing slash.
fn url(n: &str, key: &str, v: &str) -> Result<String, String> {
    let v = v.trim().trim_end_matches('/');
    let rest = v
        .strip_prefix("https://")
        .or_else(|| v.strip_prefix("http://"));
    match rest {
        Some(r) if !r.is_empty() && !r.contains(char::is_whitespace) => Ok(v.to_string()),
        _ => Err(format!(
            "tracker `{n}`: {key} {v:?} is not an http(s) URL, e.g. \"https://acme.atlassian.net\""
        )),
    }
}

impl TryFrom<RawTracker> for TrackerConfig {
    type Error = String;
    fn try_from(r: RawTracker) -> Result<Self, String> {
        let n = r.name.trim().to_string();
        if !is_word(&n) {
            return Err(format!(
                "tracker name {:?} must be one word (letters, digits, - and _), e.g. \"gh\": it is given to --tracker",
                r.name
            ));
        }
        let token = match (&r.token_env, &r.token_file) {
            (Some(v), None) if !v.trim().is_empty() => SecretRef::Env(v.trim().to_string()),
            (None, Some(p)) if !p.as_os_str().is_empty() => SecretRef::File(p.clone()),
            (Some(_), Some(_)) => {
                return Err(format!(
                    "tracker `{n}`: give only one of token_env and token_file"
                ));
            }
            _ => {
                return Err(format!(
                    "tracker `{n}` needs token_env = \"VAR\" (or token_file = \"/path\"): the token never goes in the config"
                ));
            }
        };
        let need = |key: &str, v: &Option<String>, eg: &str| -> Result<String, String> {
            v.as_deref()
                .map(str::trim)
                .filter(|s| !s.is_empty())
                .map(str::to_string)
                .ok_or_else(|| format!("tracker `{n}` (kind = \"{}\") needs {key} = {eg}", r.kind))
        };
        let refuse = |keys: &[(&str, bool)]| -> Result<(), String> {
            match keys.iter().find(|(_, given)| *given) {
                Some((k, _)) => Err(format!(
                    "tracker `{n}`: {k} is not a key of kind = \"{}\"",
                    r.kind
                )),
                None => Ok(()),
            }
        };
        let labels: Vec<String> = r
            .labels
            .iter()
            .map(|l| l.trim().to_string())
            .filter(|l| !l.is_empty())
            .collect();
        let (kind, base_url) = match r.kind.as_str() {
            "github" => {
                refuse(&[
                    ("project", r.project.is_some()),
                    ("issue_type", r.issue_type.is_some()),
                    ("email", r.email.is_some()),
                ])?;
                let repo = need("repo", &r.repo, "\"owner/name\"")?;
                let ok = repo.split('/').count() == 2 && repo.split('/').all(is_word_or_dot);
                if !ok {
                    return Err(format!(
                        "tracker `{n}`: repo {repo:?} is not \"owner/name\", e.g. \"acme/mail-infra\""
                    ));
                }
                let base = match &r.base_url {
                    Some(b) => url(&n, "base_url", b)?,
                    None => GITHUB_API.to_string(),
                };
                (TrackerKind::Github { repo }, base)
            }
            "jira" => {
                refuse(&[("repo", r.repo.is_some())])?;
                let base = need("base_url", &r.base_url, "\"https://SITE.atlassian.net\"")?;
                let project = need("project", &r.project, "\"OPS\" (the project key)")?;
                let issue_type = need("issue_type", &r.issue_type, "\"Task\"")?;
                let email = need("email", &r.email, "\"the API token's account e-mail\"")?;
                if labels.iter().any(|l| l.contains(' ')) {
                    return Err(format!(
                        "tracker `{n}`: Jira labels cannot contain spaces (write \"incident-follow-up\")"
                    ));
                }
                (
                    TrackerKind::Jira {
                        project,
                        issue_type,
                        email,
                    },
                    url(&n, "base_url", &base)?,
                )
            }
            other => {
                return Err(format!(
                    "tracker `{n}`: kind {other:?} is not known: use \"github\" or \"jira\""
                ));
            }
        };
        Ok(TrackerConfig {
            name: n,
            kind,
            base_url,
            token,
            labels,
        })
    }
}

fn is_word_or_dot(s: &str) -> bool {
    !s.is_empty()
        && s.chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.'))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(text: &str) -> Result<FollowupsConfig, String> {
        crate::domain::toml_errors::from_toml::<FollowupsConfig>(text).map_err(|p| p.message)
    }

    #[test]
    fn both_kinds_read() {
        let c = parse(
            "[[trackers]]\nname = \"gh\"\nkind = \"github\"\nrepo = \"acme/mail\"\ntoken_env = \"T\"\nlabels = [\"follow-up\"]\n\
             [[trackers]]\nname = \"jira\"\nkind = \"jira\"\nbase_url = \"https://acme.atlassian.net/\"\nproject = \"OPS\"\nissue_type = \"Task\"\nemail = \"b@acme.org\"\ntoken_env = \"J\"\n",
        )
        .unwrap();
        let gh = c.tracker("gh").unwrap();
        assert_eq!(gh.base_url, GITHUB_API);
        assert_eq!(
            gh.kind,
            TrackerKind::Github {
                repo: "acme/mail".into()
            }
        );
        assert_eq!(gh.labels, ["follow-up"]);
        let j = c.tracker("jira").unwrap();
        assert_eq!(j.base_url, "https://acme.atlassian.net");
        assert_eq!(j.token, SecretRef::Env("J".into()));
        assert_eq!(c.names(), "gh, jira");
    }

    #[test]
    fn mistakes_say_what_to_write() {
        let gh = |extra: &str| {
            parse(&format!(
                "[[trackers]]\nname = \"gh\"\nkind = \"github\"\n{extra}"
            ))
            .unwrap_err()
        };
        assert!(gh("token_env = \"T\"").contains("needs repo"));
        assert!(gh("repo = \"acme\"\ntoken_env = \"T\"").contains("owner/name"));
        assert!(gh("repo = \"a/b\"").contains("token_env"));
        assert!(gh("repo = \"a/b\"\ntoken_env = \"T\"\nproject = \"X\"").contains("project"));
        assert!(
            gh("repo = \"a/b\"\ntoken_env = \"T\"\nbase_url = \"ftp://x\"").contains("http(s)")
        );
        assert!(
            parse("[[trackers]]\nname = \"my gh\"\nkind = \"github\"\nrepo = \"a/b\"\ntoken_env = \"T\"")
                .unwrap_err()
                .contains("one word")
        );
        assert!(
            parse("[[trackers]]\nname = \"x\"\nkind = \"gitlab\"\ntoken_env = \"T\"")
                .unwrap_err()
                .contains("\"github\" or \"jira\"")
        );
        assert!(
            parse("[[trackers]]\nname = \"j\"\nkind = \"jira\"\nbase_url = \"https://a\"\nproject = \"O\"\nissue_type = \"Task\"\ntoken_env = \"T\"")
                .unwrap_err()
                .contains("email")
        );
        let two =
            "[[trackers]]\nname = \"gh\"\nkind = \"github\"\nrepo = \"a/b\"\ntoken_env = \"T\"\n";
        assert!(
            parse(&format!("{two}{two}"))
                .unwrap_err()
                .contains("unique")
        );
    }
}
