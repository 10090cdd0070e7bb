//! Connecting to the team's NATS server from the `[team]` config. Credentials are read through
//! `net::secret` at connect time and go nowhere but the connection.

use std::time::Duration;

use async_nats::{Client, ConnectOptions};

use super::TeamError;
use crate::domain::team_config::TeamConfig;
use crate::net::secret::{Secret, SecretReadError, read_secret};

/// How a connection behaves when the server is away.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Patience {
    /// A command-line verb: give up after a short wait, leaving the work queued.
    Once,
    /// The console: wait for the server as long as it takes, reconnecting on its own.
    Live,
}

/// How long a verb waits for the server before it leaves its events queued.
pub const CONNECT_TIMEOUT: Duration = Duration::from_secs(2);

fn secret_error(key: &str, e: SecretReadError) -> TeamError {
    let why = match e {
        SecretReadError::EnvMissing => "the environment variable is not set".to_string(),
        SecretReadError::NotUtf8 => "it is not UTF-8 text".to_string(),
        SecretReadError::File(w) => w,
    };
    TeamError::Config(format!(
        "team.{key}: cannot read the credential ({why}): set it, or fix the config"
    ))
}

/// The connect options for `cfg` (credentials read now), and the secret to scrub from errors.
fn options(
    cfg: &TeamConfig,
    client_name: &str,
) -> Result<(ConnectOptions, Option<Secret>), TeamError> {
    let mut secret = None;
    let mut opts = if let Some(path) = &cfg.creds_file {
        let text = read_secret(None, Some(path)).map_err(|e| secret_error("creds_file", e))?;
        ConnectOptions::with_credentials(&text).map_err(|_| {
            TeamError::Config(format!(
                "team.creds_file: {} is not a NATS credentials file (a user JWT and an NKey seed, as `nsc generate creds` writes it)",
                path.display()
            ))
        })?
    } else if let Some(var) = &cfg.token_env {
        let t = read_secret(Some(var), None).map_err(|e| secret_error("token_env", e))?;
        let t = t.trim().to_string();
        secret = Some(Secret::new(t.clone()));
        ConnectOptions::with_token(t)
    } else if let (Some(user), Some(var)) = (&cfg.user, &cfg.password_env) {
        let p = read_secret(Some(var), None).map_err(|e| secret_error("password_env", e))?;
        let p = p.trim_end_matches(['\r', '\n']).to_string();
        secret = Some(Secret::new(p.clone()));
        ConnectOptions::with_user_and_password(user.clone(), p)
    } else {
        ConnectOptions::new()
    };
    if let Some(ca) = &cfg.ca_file {
        if !ca.is_file() {
            return Err(TeamError::Config(format!(
                "team.ca_file: {} is not a file: give the PEM file of the CA that signed the server's certificate",
                ca.display()
            )));
        }
        opts = opts.add_root_certificates(ca.clone()).require_tls(true);
    }
    let opts = opts
        .name(client_name)
        .connection_timeout(CONNECT_TIMEOUT)
        .request_timeout(Some(Duration::from_secs(5)))
        .reconnect_delay_callback(|attempts| {
            Duration::from_millis((250 * attempts as u64).clamp(100, 2000))
        });
    Ok((opts, secret))
}

/// Connects to the team's server. `Once` fails within [`CONNECT_TIMEOUT`] when the server
/// cannot be reached; `Live` returns at once and connects whenever the server is there.
pub async fn connect(cfg: &TeamConfig, patience: Patience) -> Result<Client, TeamError> {
    let Some(urls) = &cfg.url else {
        return Err(TeamError::NotSetUp);
    };
    let (opts, secret) = options(cfg, "warroom")?;
    let opts = match patience {
        Patience::Once => opts.max_reconnects(Some(0)),
        Patience::Live => opts.retry_on_initial_connect().max_reconnects(None),
    };
    let addrs: Vec<async_nats::ServerAddr> = urls
        .list()
        .iter()
        .map(|u| u.parse())
        .collect::<Result<_, _>>()
        .map_err(|e| TeamError::Config(format!("team.url: {e}")))?;
    let connecting = opts.connect(addrs);
    let result = match patience {
        Patience::Once => {
            tokio::time::timeout(CONNECT_TIMEOUT + Duration::from_millis(500), connecting)
                .await
                .map_err(|_| TeamError::Unreachable("no answer".into()))?
        }
        Patience::Live => connecting.await,
    };
    result.map_err(|e| {
        let text = e.to_string();
        let text = secret.as_ref().map(|s| s.scrub(&text)).unwrap_or(text);
        TeamError::Unreachable(crate::domain::text::sanitize(&text, 300))
    })
}
