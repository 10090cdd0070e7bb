//! The `[team]` table of the config: where the team's NATS server is and how to log in to it.
//! Only names of places (an environment variable, a file) are here, never a secret itself.

use std::path::PathBuf;

use serde::Deserialize;

/// One server address or several (a cluster): `url = "nats://h:4222"` or `url = ["…", "…"]`.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(untagged)]
pub enum Urls {
    One(String),
    Many(Vec<String>),
}

impl Urls {
    pub fn list(&self) -> Vec<String> {
        match self {
            Urls::One(u) => vec![u.clone()],
            Urls::Many(v) => v.clone(),
        }
    }
}

/// `[team]`: team mode through NATS JetStream. Without `url` team mode is off.
#[derive(Debug, Clone, Default, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct TeamConfig {
    /// `nats://host:4222` (`tls://` for TLS), or a list of a cluster's servers.
    pub url: Option<Urls>,
    /// A NATS credentials file (a user JWT and its NKey seed, as `nsc` writes it).
    pub creds_file: Option<PathBuf>,
    /// The environment variable that holds a token.
    pub token_env: Option<String>,
    /// A user name, with `password_env`.
    pub user: Option<String>,
    /// The environment variable that holds `user`'s password.
    pub password_env: Option<String>,
    /// A PEM file of the certificate authority that signed the server's certificate (TLS).
    pub ca_file: Option<PathBuf>,
    /// How many servers of a cluster keep each incident's stream (1 to 5; default 1). Use 3 on
    /// a three-node cluster so that an incident survives the loss of a server.
    pub replicas: Option<usize>,
    /// The JetStream domain of the hub, when `url` is a leaf node (e.g. a laptop's own
    /// `nats-server`) whose JetStream requests go on to the hub: the hub's `jetstream.domain`.
    pub domain: Option<String>,
}

impl TeamConfig {
    /// Whether team mode is set up.
    pub fn enabled(&self) -> bool {
        self.url.is_some()
    }

    /// The first mistake in the table, as (key path, what to do), if any.
    pub fn check(&self) -> Option<(&'static str, String)> {
        let blank = |s: &str| s.trim().is_empty();
        if let Some(urls) = &self.url {
            let list = urls.list();
            if list.is_empty() {
                return Some((
                    "team.url",
                    "is an empty list: give the server, e.g. \"nats://nats.example.org:4222\" (or remove the line to turn team mode off)".into(),
                ));
            }
            for u in &list {
                // `nats://user:secret@host`: a secret in the config. Not echoed back.
                let authority = u.split_once("://").map_or("", |(_, r)| r);
                let authority = authority.split('/').next().unwrap_or("");
                if authority.contains('@') {
                    return Some((
                        "team.url",
                        "holds a user or password (\"…@host\"): nothing secret goes in the config; write \"nats://host:4222\" and give user with password_env, token_env or creds_file".into(),
                    ));
                }
                let scheme_ok = ["nats://", "tls://", "ws://", "wss://"]
                    .iter()
                    .any(|s| u.starts_with(s));
                if blank(u) || !scheme_ok || u.contains(char::is_whitespace) {
                    return Some((
                        "team.url",
                        format!(
                            "{u:?} is not a NATS address: write \"nats://host:4222\" (or \"tls://host:4222\")"
                        ),
                    ));
                }
            }
        }
        if self.replicas.is_some_and(|r| !(1..=5).contains(&r)) {
            return Some((
                "team.replicas",
                "must be 1 to 5 (3 on a three-node cluster)".into(),
            ));
        }
        let ways = [
            self.creds_file.is_some(),
            self.token_env.is_some(),
            self.user.is_some() || self.password_env.is_some(),
        ];
        if ways.iter().filter(|w| **w).count() > 1 {
            return Some((
                "team.creds_file",
                "choose one way to log in: creds_file, token_env, or user with password_env".into(),
            ));
        }
        if self.user.is_some() != self.password_env.is_some() {
            let key = if self.user.is_some() {
                "team.password_env"
            } else {
                "team.user"
            };
            return Some((
                key,
                "user and password_env go together: give both (the password itself stays in that environment variable)".into(),
            ));
        }
        for (key, v) in [
            ("team.domain", self.domain.as_deref()),
            ("team.token_env", self.token_env.as_deref()),
            ("team.user", self.user.as_deref()),
            ("team.password_env", self.password_env.as_deref()),
        ] {
            if v.is_some_and(blank) {
                return Some((key, "is empty: give a name (or remove the line)".into()));
            }
        }
        for (key, v) in [
            ("team.creds_file", &self.creds_file),
            ("team.ca_file", &self.ca_file),
        ] {
            if v.as_ref().is_some_and(|p| p.as_os_str().is_empty()) {
                return Some((key, "is empty: give a file (or remove the line)".into()));
            }
        }
        None
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(t: &str) -> TeamConfig {
        toml::from_str(t).unwrap()
    }

    #[test]
    fn one_url_or_many() {
        let c = parse(r#"url = "nats://a:4222""#);
        assert_eq!(c.url.unwrap().list(), ["nats://a:4222"]);
        let c = parse(r#"url = ["nats://a:4222", "nats://b:4222"]"#);
        assert_eq!(c.url.unwrap().list().len(), 2);
        assert!(!TeamConfig::default().enabled());
    }

    #[test]
    fn mistakes_name_the_key() {
        let key = |t: &str| parse(t).check().map(|(k, _)| k);
        assert_eq!(key(r#"url = "http://a""#), Some("team.url"));
        assert_eq!(key(r#"url = []"#), Some("team.url"));
        assert_eq!(
            key(r#"url = "nats://a"
user = "x""#),
            Some("team.password_env")
        );
        assert_eq!(
            key(r#"url = "nats://a"
token_env = "T"
creds_file = "/c""#),
            Some("team.creds_file")
        );
        assert_eq!(
            key(r#"url = "nats://a"
token_env = " ""#),
            Some("team.token_env")
        );
        assert_eq!(
            key(r#"url = "tls://a:4222"
user = "u"
password_env = "P"
ca_file = "/ca.pem""#),
            None
        );
        // A secret in the url is refused, and not repeated in the message.
        let c = parse(r#"url = "nats://alice:hunter2@nats.example.org:4222""#);
        let (k, msg) = c.check().unwrap();
        assert_eq!(k, "team.url");
        assert!(!msg.contains("hunter2"), "{msg}");
        assert_eq!(key(r#"url = "nats://nats.example.org:4222/x@y""#), None);
    }
}
