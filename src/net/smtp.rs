//! The SMTP client conversation with a relay, with `lettre`: connect, STARTTLS or implicit TLS,
//! AUTH PLAIN or LOGIN as the relay offers, the envelope and the message. It is driven step by
//! step so that an error names the step that failed (connect, TLS, AUTH, the sender, a
//! recipient, the message) and what to do; the password never appears in an error: every
//! message is scrubbed.

use std::time::Duration;

use lettre::Message;
use lettre::transport::smtp::authentication::{Credentials, Mechanism};
use lettre::transport::smtp::client::{AsyncSmtpConnection, Certificate, TlsParameters};
use lettre::transport::smtp::commands::{Data, Mail, Rcpt};
use lettre::transport::smtp::extension::{ClientId, Extension, MailBodyParameter, MailParameter};

use super::secret::Secret;
use crate::domain::text::sanitize_line;
use crate::domain::updates::{SmtpChannel, SmtpTls};

/// Why a mail did not get through: `STEP: what went wrong (the relay's words); what to do`.
/// Never holds the password.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SmtpError(pub String);

impl std::fmt::Display for SmtpError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for SmtpError {}

/// The TLS settings: the system's roots plus `ca_file`'s certificates.
fn tls_parameters(ch: &SmtpChannel, host: &str) -> Result<TlsParameters, SmtpError> {
    let mut b = TlsParameters::builder(host.to_string());
    if let Some(path) = &ch.ca_file {
        let pem = std::fs::read(path).map_err(|e| {
            SmtpError(format!(
                "TLS: cannot read ca_file {} ({}); check the path",
                path.display(),
                e.kind()
            ))
        })?;
        let cert = Certificate::from_pem(&pem).map_err(|_| {
            SmtpError(format!(
                "TLS: ca_file {} holds no PEM certificate; give the relay's CA certificate in PEM",
                path.display()
            ))
        })?;
        b = b.add_root_certificate(cert);
    }
    b.build_rustls().map_err(|e| {
        SmtpError(format!(
            "TLS: could not set up TLS for {host} ({}); check ca_file",
            sanitize_line(&e.to_string(), 160)
        ))
    })
}

/// The error's whole chain, display-safe, without the password.
fn detail(e: &dyn std::error::Error, password: Option<&Secret>) -> String {
    let mut text = e.to_string();
    let mut src = e.source();
    while let Some(s) = src {
        let more = s.to_string();
        if !text.contains(&more) {
            text.push_str(": ");
            text.push_str(&more);
        }
        src = s.source();
    }
    let text = match password {
        Some(p) => p.scrub(&text),
        None => text,
    };
    sanitize_line(&text, 200)
}

/// Whether a TLS failure (a rustls error) is somewhere in the chain.
fn is_tls_failure(e: &(dyn std::error::Error + 'static)) -> bool {
    let mut cur: Option<&(dyn std::error::Error + 'static)> = Some(e);
    while let Some(err) = cur {
        if err.downcast_ref::<rustls::Error>().is_some() {
            return true;
        }
        if let Some(io) = err.downcast_ref::<std::io::Error>()
            && io
                .get_ref()
                .is_some_and(|inner| inner.downcast_ref::<rustls::Error>().is_some())
        {
            return true;
        }
        cur = err.source();
    }
    false
}

struct Step<'a> {
    ch: &'a SmtpChannel,
    password: Option<&'a Secret>,
}

impl Step<'_> {
    fn relay(&self) -> String {
        format!("{}:{}", self.ch.host, self.ch.port)
    }

    /// An error at `step`: `what went wrong (the relay's words); what to do`.
    fn fail(&self, step: &str, e: &lettre::transport::smtp::Error, hint: &str) -> SmtpError {
        let said = detail(e, self.password);
        SmtpError(format!("{step}: {said}; {hint}"))
    }
}

/// Hands `msg` to the relay `ch` names: connect (implicit TLS when asked), STARTTLS (refused
/// when the relay does not offer it, unless `tls = "none"`), AUTH PLAIN or LOGIN when a
/// username and `password` are given, then MAIL FROM, RCPT TO each of `ch.to`, DATA. `timeout`
/// bounds the connect; the caller bounds the whole.
pub async fn deliver(
    ch: &SmtpChannel,
    msg: &Message,
    password: Option<&Secret>,
    timeout: Duration,
) -> Result<(), SmtpError> {
    let step = Step { ch, password };
    let host = ch
        .host
        .strip_prefix('[')
        .and_then(|h| h.strip_suffix(']'))
        .unwrap_or(&ch.host);
    let helo = ClientId::Domain(ch.helo.clone());
    let tls = match ch.tls {
        SmtpTls::None => None,
        _ => Some(tls_parameters(ch, host)?),
    };
    let implicit = if ch.tls == SmtpTls::Implicit {
        tls.clone()
    } else {
        None
    };
    let mut conn =
        AsyncSmtpConnection::connect_tokio1((host, ch.port), Some(timeout), &helo, implicit, None)
            .await
            .map_err(|e| {
                if ch.tls == SmtpTls::Implicit && is_tls_failure(&e) {
                    step.fail(
                        "TLS",
                        &e,
                        "the relay's certificate is not trusted or TLS failed: check host, port 465 and ca_file",
                    )
                } else if e.status().is_some() {
                    step.fail(
                        "connect",
                        &e,
                        &format!("the relay {} refused the session; try again later or use another relay", step.relay()),
                    )
                } else {
                    step.fail(
                        "connect",
                        &e,
                        &format!(
                            "cannot connect to the relay {}; check host and port, and that it is up",
                            step.relay()
                        ),
                    )
                }
            })?;
    if ch.tls == SmtpTls::StartTls {
        if !conn.can_starttls() {
            conn.abort().await;
            return Err(SmtpError(format!(
                "STARTTLS: the relay {} does not offer STARTTLS, so the mail (and password) would cross the network unencrypted: not sent; use a relay that offers it, tls = \"implicit\" for port 465, or tls = \"none\" only on a network you trust",
                step.relay()
            )));
        }
        if let Some(params) = tls.clone()
            && let Err(e) = conn.starttls(params, &helo).await
        {
            // The connection is unusable after a failed upgrade (not even QUIT): just drop it.
            return Err(step.fail(
                "TLS",
                &e,
                "the STARTTLS handshake failed: check that the relay's certificate names the host, and ca_file for a private CA",
            ));
        }
    }
    if let (Some(user), Some(pw)) = (&ch.username, password) {
        let offered = [Mechanism::Plain, Mechanism::Login]
            .into_iter()
            .any(|mech| conn.server_info().supports_auth_mechanism(mech));
        if !offered {
            conn.abort().await;
            return Err(SmtpError(format!(
                "AUTH: the relay {} offers neither AUTH PLAIN nor LOGIN{}; check the port (submission is usually 587) and the relay's settings",
                step.relay(),
                if conn.is_encrypted() {
                    ""
                } else {
                    " on this connection"
                }
            )));
        }
        let creds = Credentials::new(user.clone(), pw.expose().to_string());
        if let Err(e) = conn
            .auth(&[Mechanism::Plain, Mechanism::Login], &creds)
            .await
        {
            conn.abort().await;
            let from = ch
                .password
                .as_ref()
                .map(|p| p.describe())
                .unwrap_or_default();
            return Err(step.fail(
                "AUTH",
                &e,
                &format!("the relay refused the login as {user}: check username and the password in {from}"),
            ));
        }
    }
    let bytes = msg.formatted();
    let mut params = Vec::new();
    if !bytes.is_ascii() && conn.server_info().supports_feature(Extension::EightBitMime) {
        params.push(MailParameter::Body(MailBodyParameter::EightBitMime));
    }
    let from = msg.envelope().from().cloned();
    if let Err(e) = conn.command(Mail::new(from, params)).await {
        conn.abort().await;
        return Err(step.fail(
            "MAIL FROM",
            &e,
            &format!(
                "the relay refused the sender {}: check `from` and that this account may send as it",
                ch.from
            ),
        ));
    }
    for (addr, text) in msg.envelope().to().iter().zip(&ch.to) {
        if let Err(e) = conn.command(Rcpt::new(addr.clone(), Vec::new())).await {
            conn.abort().await;
            return Err(step.fail(
                "RCPT TO",
                &e,
                &format!("the relay refused the recipient {text}: check `to` and that the relay may deliver to it"),
            ));
        }
    }
    if let Err(e) = conn.command(Data).await {
        conn.abort().await;
        return Err(step.fail("DATA", &e, "the relay refused the message; retry later"));
    }
    // lettre ends the data with CRLF . CRLF itself; the message's own last CRLF would add an
    // empty line to the body.
    let data = bytes.strip_suffix(b"\r\n").unwrap_or(&bytes);
    if let Err(e) = conn.message(data).await {
        conn.abort().await;
        return Err(step.fail(
            "DATA",
            &e,
            "the relay refused the message; retry later or use another channel",
        ));
    }
    // The mail is accepted; a failed QUIT changes nothing.
    let _ = conn.quit().await;
    Ok(())
}
