//! OAuth2 client-credentials tokens for the Microsoft identity platform, cached until shortly
//! before they expire.
//!
//! The client secret is read from an environment variable or a file each time a token is
//! requested (so a rotated secret is picked up without a restart), is held only in a [`Secret`]
//! (whose `Debug` and `Display` print `***`), and is scrubbed from anything the identity platform
//! sends back before that text reaches an error message.

use std::fmt;
use std::path::PathBuf;
use std::time::Duration;

use tokio::sync::Mutex;
use tokio::time::Instant;

use crate::domain::text::sanitize_line;

use super::http::{HttpClient, NetError, RequestOptions};
pub use super::secret::Secret;

/// The scope that asks for every application permission granted on Microsoft Graph.
pub const GRAPH_SCOPE: &str = "https://graph.microsoft.com/.default";
/// The public-cloud login authority.
pub const DEFAULT_AUTHORITY: &str = "https://login.microsoftonline.com";
/// How long before its stated expiry a token is considered stale.
pub const DEFAULT_SKEW: Duration = Duration::from_secs(60);
/// Tokens are never cached longer than this, whatever `expires_in` says.
const MAX_TOKEN_LIFETIME: Duration = Duration::from_secs(24 * 60 * 60);

/// Where the client secret lives. Never the configuration text itself.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SecretSource {
    /// The named environment variable.
    Env(String),
    /// The file at this path (surrounding white space is trimmed).
    File(PathBuf),
}

impl From<crate::domain::health::SecretRef> for SecretSource {
    fn from(r: crate::domain::health::SecretRef) -> Self {
        use crate::domain::health::SecretRef;
        match r {
            SecretRef::Env(var) => SecretSource::Env(var),
            SecretRef::File(path) => SecretSource::File(path),
        }
    }
}

use super::secret::SecretReadError;

impl SecretSource {
    /// Reads the secret now.
    pub fn load(&self) -> Result<Secret, AuthError> {
        let (env, file) = match self {
            SecretSource::Env(var) => (Some(var.as_str()), None),
            SecretSource::File(path) => (None, Some(path.as_path())),
        };
        let raw = super::secret::read_secret(env, file).map_err(|e| match (e, self) {
            (SecretReadError::EnvMissing, SecretSource::Env(var)) => {
                AuthError::SecretEnvMissing { var: var.clone() }
            }
            (SecretReadError::File(reason), SecretSource::File(path)) => AuthError::SecretFile {
                path: path.clone(),
                reason,
            },
            _ => AuthError::SecretUnusable {
                from: self.describe(),
                reason: "it is not valid UTF-8",
            },
        })?;
        let trimmed = raw.trim();
        if trimmed.len() < 4 {
            return Err(AuthError::SecretUnusable {
                from: self.describe(),
                reason: "it is empty or too short to be a client secret",
            });
        }
        Ok(Secret::new(trimmed))
    }

    fn describe(&self) -> String {
        match self {
            SecretSource::Env(var) => format!("environment variable `{var}`"),
            SecretSource::File(path) => format!("file {}", path.display()),
        }
    }
}

/// Why no token could be had. No variant ever carries the secret.
#[derive(Debug, thiserror::Error)]
pub enum AuthError {
    /// The environment variable named by `client_secret_env` is not set.
    #[error(
        "the client secret environment variable `{var}` is not set; export it before starting warroom, or use `client_secret_file`"
    )]
    SecretEnvMissing {
        /// The variable name.
        var: String,
    },
    /// The file named by `client_secret_file` could not be read.
    #[error(
        "could not read the client secret file {} ({reason}); check the path and that it is readable by this user",
        path.display()
    )]
    SecretFile {
        /// The path from the config.
        path: PathBuf,
        /// The I/O error kind.
        reason: String,
    },
    /// The secret was found but cannot be a secret.
    #[error("the client secret in {from} is unusable: {reason}; put the secret value there")]
    SecretUnusable {
        /// Where it was read from.
        from: String,
        /// Why it is unusable.
        reason: &'static str,
    },
    /// The tenant is not a GUID or a domain name.
    #[error(
        "the tenant `{tenant}` is not a tenant id or domain; use the directory (tenant) id GUID or a verified domain such as contoso.onmicrosoft.com"
    )]
    BadTenant {
        /// The tenant as configured (display-safe).
        tenant: String,
    },
    /// The identity platform refused to issue a token.
    #[error(
        "the identity platform refused the token request (HTTP {status}{}); check the tenant, client id and secret, and that the app has the ServiceHealth.Read.All application permission with admin consent",
        describe_refusal(code, description)
    )]
    Rejected {
        /// HTTP status of the answer.
        status: u16,
        /// The OAuth `error` code, e.g. `invalid_client`.
        code: String,
        /// The `error_description`, display-safe and scrubbed of the secret.
        description: String,
    },
    /// A 200 answer that is not a usable token response.
    #[error(
        "the token endpoint answered with something that is not a token ({detail}); check `token_url`"
    )]
    BadResponse {
        /// What was wrong.
        detail: String,
    },
    /// The request did not get through.
    #[error("could not get a token: {0}")]
    Net(#[from] NetError),
}

impl AuthError {
    /// The delay a throttling token endpoint asked for, if any.
    pub fn retry_after(&self) -> Option<Duration> {
        match self {
            AuthError::Net(e) => e.retry_after(),
            _ => None,
        }
    }
}

fn describe_refusal(code: &str, description: &str) -> String {
    match (code.is_empty(), description.is_empty()) {
        (true, true) => String::new(),
        (false, true) => format!(" {code}"),
        (true, false) => format!(": {description}"),
        (false, false) => format!(" {code}: {description}"),
    }
}

/// What the token request needs.
#[derive(Debug, Clone)]
pub struct ClientCredentials {
    /// Login authority, e.g. `https://login.microsoftonline.com` (no trailing path).
    pub authority: String,
    /// Directory (tenant) id or verified domain.
    pub tenant: String,
    /// Application (client) id.
    pub client_id: String,
    /// Where the client secret lives.
    pub secret: SecretSource,
    /// The scope, normally [`GRAPH_SCOPE`].
    pub scope: String,
}

impl ClientCredentials {
    /// `{authority}/{tenant}/oauth2/v2.0/token`, after checking the tenant.
    pub fn token_url(&self) -> Result<String, AuthError> {
        let ok = !self.tenant.is_empty()
            && self.tenant.len() <= 256
            && self
                .tenant
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '.' || c == '_');
        if !ok {
            return Err(AuthError::BadTenant {
                tenant: sanitize_line(&self.tenant, 80),
            });
        }
        Ok(format!(
            "{}/{}/oauth2/v2.0/token",
            self.authority.trim_end_matches('/'),
            self.tenant
        ))
    }
}

struct Cached {
    token: Secret,
    stale_at: Instant,
}

/// A cached client-credentials token. Share it behind an `Arc`; concurrent callers wait for one
/// token request instead of each making their own.
pub struct TokenCache {
    http: HttpClient,
    creds: ClientCredentials,
    options: RequestOptions,
    skew: Duration,
    state: Mutex<Option<Cached>>,
}

impl fmt::Debug for TokenCache {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("TokenCache")
            .field("creds", &self.creds)
            .field("skew", &self.skew)
            .finish_non_exhaustive()
    }
}

#[derive(serde::Deserialize)]
struct TokenResponse {
    access_token: Option<String>,
    token_type: Option<String>,
    expires_in: Option<NumberOrString>,
}

#[derive(serde::Deserialize)]
#[serde(untagged)]
enum NumberOrString {
    Number(f64),
    String(String),
}

impl NumberOrString {
    fn seconds(&self) -> Option<f64> {
        match self {
            NumberOrString::Number(n) => Some(*n),
            NumberOrString::String(s) => s.trim().parse().ok(),
        }
    }
}

#[derive(serde::Deserialize)]
struct TokenErrorResponse {
    error: Option<String>,
    error_description: Option<String>,
}

impl TokenCache {
    /// A cache that asks for tokens with `options` (timeout, body cap) and treats a token as stale
    /// [`DEFAULT_SKEW`] before its expiry.
    pub fn new(http: HttpClient, creds: ClientCredentials, options: RequestOptions) -> Self {
        Self {
            http,
            creds,
            options,
            skew: DEFAULT_SKEW,
            state: Mutex::new(None),
        }
    }

    /// Changes the expiry skew.
    pub fn with_skew(mut self, skew: Duration) -> Self {
        self.skew = skew;
        self
    }

    /// A valid access token, from the cache or freshly requested.
    pub async fn token(&self) -> Result<Secret, AuthError> {
        let mut state = self.state.lock().await;
        if let Some(c) = state.as_ref()
            && Instant::now() < c.stale_at
        {
            return Ok(c.token.clone());
        }
        *state = None;
        let (token, lifetime) = self.request_token().await?;
        let stale_in = if lifetime > self.skew * 2 {
            lifetime - self.skew
        } else {
            lifetime / 2
        };
        *state = Some(Cached {
            token: token.clone(),
            stale_at: Instant::now() + stale_in,
        });
        Ok(token)
    }

    /// Drops the cached token (call this after a 401 so the next [`TokenCache::token`] asks anew).
    pub async fn invalidate(&self) {
        *self.state.lock().await = None;
    }

    async fn request_token(&self) -> Result<(Secret, Duration), AuthError> {
        let url = self.creds.token_url()?;
        let secret = self.creds.secret.load()?;
        tracing::debug!(
            tenant = %self.creds.tenant,
            client_id = %self.creds.client_id,
            "requesting an access token"
        );
        let form = [
            ("client_id", self.creds.client_id.as_str()),
            ("scope", self.creds.scope.as_str()),
            ("client_secret", secret.expose()),
            ("grant_type", "client_credentials"),
        ];
        let req = self.http.request(reqwest::Method::POST, &url).form(&form);
        let resp = self
            .http
            .send_any_status(req, &url, &self.options)
            .await
            .map_err(|e| scrub_net_error(e, &secret))?;
        if !resp.is_success() {
            // Scrub before anything is cut, so no fragment of the secret can survive a cap.
            let body = secret.scrub(&String::from_utf8_lossy(&resp.body));
            let parsed: Option<TokenErrorResponse> = serde_json::from_str(&body).ok();
            let (code, description) = match parsed {
                Some(p) => (
                    p.error.unwrap_or_default(),
                    p.error_description.unwrap_or_default(),
                ),
                None => (String::new(), body.chars().take(1000).collect()),
            };
            // The first line of an AADSTS description is the useful part; the rest is ids.
            let description = description.lines().next().unwrap_or_default().to_string();
            let err = AuthError::Rejected {
                status: resp.status,
                code: sanitize_line(&secret.scrub(&code), 80),
                description: sanitize_line(&secret.scrub(&description), 300),
            };
            tracing::warn!(error = %err, "token request refused");
            return Err(err);
        }
        let parsed: TokenResponse =
            serde_json::from_slice(&resp.body).map_err(|e| AuthError::BadResponse {
                detail: secret.scrub(&sanitize_line(&e.to_string(), 200)),
            })?;
        let Some(access_token) = parsed.access_token.filter(|t| !t.is_empty()) else {
            return Err(AuthError::BadResponse {
                detail: "no access_token in the answer".to_string(),
            });
        };
        if let Some(tt) = &parsed.token_type
            && !tt.eq_ignore_ascii_case("bearer")
        {
            return Err(AuthError::BadResponse {
                detail: format!("token_type is `{}`, not Bearer", sanitize_line(tt, 40)),
            });
        }
        let secs = parsed
            .expires_in
            .as_ref()
            .and_then(NumberOrString::seconds)
            .filter(|s| s.is_finite() && *s > 0.0)
            .unwrap_or(300.0)
            .min(MAX_TOKEN_LIFETIME.as_secs_f64());
        Ok((Secret::new(access_token), Duration::from_secs_f64(secs)))
    }
}

/// Makes sure a network error cannot carry the secret (it could only come back in a server's
/// echoed body excerpt, but checking is cheap).
fn scrub_net_error(e: NetError, secret: &Secret) -> AuthError {
    match e {
        NetError::Status {
            url,
            status,
            excerpt,
        } => AuthError::Net(NetError::Status {
            url,
            status,
            excerpt: secret.scrub(&excerpt),
        }),
        NetError::Decode { url, what, detail } => AuthError::Net(NetError::Decode {
            url,
            what,
            detail: secret.scrub(&detail),
        }),
        NetError::Connect { url, detail } => AuthError::Net(NetError::Connect {
            url,
            detail: secret.scrub(&detail),
        }),
        NetError::Transfer { url, detail } => AuthError::Net(NetError::Transfer {
            url,
            detail: secret.scrub(&detail),
        }),
        other => AuthError::Net(other),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn secret_never_prints() {
        let s = Secret::new("hunter2-very-secret");
        assert_eq!(format!("{s}"), "***");
        assert_eq!(format!("{s:?}"), "***");
        assert_eq!(
            s.scrub("echo hunter2-very-secret back"),
            "echo *** back".to_string()
        );
    }

    #[test]
    fn tenant_is_checked() {
        let mut c = ClientCredentials {
            authority: "https://login.microsoftonline.com/".into(),
            tenant: "contoso.onmicrosoft.com".into(),
            client_id: "id".into(),
            secret: SecretSource::Env("X".into()),
            scope: GRAPH_SCOPE.into(),
        };
        assert_eq!(
            c.token_url().unwrap(),
            "https://login.microsoftonline.com/contoso.onmicrosoft.com/oauth2/v2.0/token"
        );
        c.tenant = "../evil?x=".into();
        assert!(matches!(c.token_url(), Err(AuthError::BadTenant { .. })));
    }

    #[test]
    fn missing_env_names_the_variable_only() {
        let src = SecretSource::Env("WARROOM_TEST_SURELY_UNSET_VAR_93".into());
        let err = src.load().unwrap_err().to_string();
        assert!(err.contains("WARROOM_TEST_SURELY_UNSET_VAR_93"), "{err}");
        assert!(err.contains("client_secret_file"), "{err}");
    }

    #[test]
    fn secret_file_is_trimmed_and_missing_file_explained() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("secret");
        std::fs::write(&path, "  s3cr3t-value\n").unwrap();
        let s = SecretSource::File(path.clone()).load().unwrap();
        assert_eq!(s.expose(), "s3cr3t-value");
        let err = SecretSource::File(dir.path().join("nope"))
            .load()
            .unwrap_err()
            .to_string();
        assert!(err.contains("could not read"), "{err}");
    }
}
