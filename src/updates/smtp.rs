//! Sending an update by mail through a relay, with `lettre`: STARTTLS (the default; refused
//! when the relay does not offer it), implicit TLS (port 465) or none, AUTH PLAIN or LOGIN as
//! the relay offers, and a MIME message built by lettre (UTF-8, encoded headers, `Date`,
//! `Message-ID`).
//!
//! The conversation is driven step by step so that an error names the step that failed
//! (connect, TLS, AUTH, the sender, a recipient, the message). The password is read from the
//! environment or a file at each send and never appears in an error: every message is scrubbed.

use std::time::{Duration, SystemTime};

use lettre::Message;
use lettre::message::header::{Header, HeaderName, HeaderValue};
use lettre::message::{Mailbox, SinglePart};
use lettre::transport::smtp::authentication::{Credentials, Mechanism};
use lettre::transport::smtp::client::{AsyncSmtpConnection, Certificate, TlsParameters};
use lettre::transport::smtp::commands::{Data, Mail, Rcpt};
use lettre::transport::smtp::extension::{ClientId, Extension, MailBodyParameter, MailParameter};

use super::outgoing::{ChannelError, Outgoing, load_secret};
use crate::domain::text::sanitize_line;
use crate::domain::updates::{SmtpChannel, SmtpTls};
use crate::net::Secret;

/// `X-Warroom-Incident: <id>` on every mail, so that replies and filters can find the incident.
#[derive(Debug, Clone, PartialEq, Eq)]
struct IncidentHeader(String);

impl Header for IncidentHeader {
    fn name() -> HeaderName {
        HeaderName::new_from_ascii_str("X-Warroom-Incident")
    }

    fn parse(s: &str) -> Result<Self, Box<dyn std::error::Error + Send + Sync>> {
        Ok(IncidentHeader(s.to_string()))
    }

    fn display(&self) -> HeaderValue {
        HeaderValue::new(Self::name(), self.0.clone())
    }
}

/// `<uuid@domain-of-from>`.
pub fn message_id(from: &str) -> String {
    let domain = from
        .rsplit_once('@')
        .map(|(_, d)| d)
        .filter(|d| !d.is_empty())
        .unwrap_or("warroom.invalid");
    format!("<{}@{domain}>", uuid::Uuid::new_v4())
}

fn mailbox(addr: &str, what: &str) -> Result<Mailbox, ChannelError> {
    addr.parse::<Mailbox>().map_err(|e| {
        ChannelError::Smtp(format!(
            "{what} \"{}\" is not a mail address the SMTP library accepts ({e}); fix it in the channel",
            addr.escape_debug()
        ))
    })
}

/// The mail: From, To, Subject (`[SEV2] Investigating: <title>`), Date (the send time),
/// Message-ID, X-Warroom-Incident, and the text as UTF-8 `text/plain` (lettre picks 7bit,
/// quoted-printable or base64 so that any relay takes it).
pub fn build_message(ch: &SmtpChannel, m: &Outgoing) -> Result<Message, ChannelError> {
    let mut b = Message::builder()
        .from(mailbox(&ch.from, "from")?)
        .subject(m.subject())
        .date(SystemTime::from(m.sent_at))
        .message_id(Some(message_id(&ch.from)))
        .header(IncidentHeader(m.incident.clone()));
    for to in &ch.to {
        b = b.to(mailbox(to, "to")?);
    }
    b.singlepart(SinglePart::plain(m.text.clone()))
        .map_err(|e| {
            ChannelError::Smtp(format!(
                "the mail could not be built ({e}); check from and to"
            ))
        })
}

/// What `--dry-run` shows: where it goes, how it logs in (password masked), the envelope and
/// the message exactly as it would be sent (a real send gets its own Message-ID).
pub fn preview(ch: &SmtpChannel, m: &Outgoing) -> Result<String, ChannelError> {
    let msg = build_message(ch, m)?;
    let login = match (&ch.username, &ch.password) {
        (Some(u), Some(p)) => {
            let state = match load_secret(p, "password") {
                Ok(_) => "***".to_string(),
                Err(e) => format!("*** NOT READABLE: {e}"),
            };
            format!(
                ", AUTH PLAIN/LOGIN as {u} with the password from {} ({state})",
                p.describe()
            )
        }
        _ => ", no AUTH".to_string(),
    };
    let ca = ch
        .ca_file
        .as_ref()
        .map(|p| format!(", trusting the CA in {}", p.display()))
        .unwrap_or_default();
    let to: Vec<String> = ch.to.iter().map(|t| format!("<{t}>")).collect();
    Ok(format!(
        "SMTP {}:{} (tls = \"{}\"{ca}){login}\nMAIL FROM:<{}> RCPT TO:{}\n{}",
        ch.host,
        ch.port,
        ch.tls.as_str(),
        ch.from,
        to.join(","),
        String::from_utf8_lossy(&msg.formatted()).replace("\r\n", "\n")
    ))
}

/// The TLS settings: the system's roots plus `ca_file`'s certificates.
fn tls_parameters(ch: &SmtpChannel, host: &str) -> Result<TlsParameters, ChannelError> {
    let mut b = TlsParameters::builder(host.to_string());
    if let Some(path) = &ch.ca_file {
        let pem = std::fs::read(path).map_err(|e| {
            ChannelError::Smtp(format!(
                "TLS: cannot read ca_file {} ({}); check the path",
                path.display(),
                e.kind()
            ))
        })?;
        let cert = Certificate::from_pem(&pem).map_err(|_| {
            ChannelError::Smtp(format!(
                "TLS: ca_file {} holds no PEM certificate; give the relay's CA certificate in PEM",
                path.display()
            ))
        })?;
        b = b.add_root_certificate(cert);
    }
    b.build_rustls().map_err(|e| {
        ChannelError::Smtp(format!(
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
    fn fail(&self, step: &str, e: &lettre::transport::smtp::Error, hint: &str) -> ChannelError {
        let said = detail(e, self.password);
        ChannelError::Smtp(format!("{step}: {said}; {hint}"))
    }
}

async fn converse(
    ch: &SmtpChannel,
    m: &Outgoing,
    password: Option<&Secret>,
    timeout: Duration,
) -> Result<(), ChannelError> {
    let step = Step { ch, password };
    let host = ch
        .host
        .strip_prefix('[')
        .and_then(|h| h.strip_suffix(']'))
        .unwrap_or(&ch.host);
    let helo = ClientId::Domain(ch.helo.clone());
    let msg = build_message(ch, m)?;
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
            return Err(ChannelError::Smtp(format!(
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
            return Err(ChannelError::Smtp(format!(
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

/// Sends `m` through the relay, the whole conversation bounded by `timeout`.
pub async fn send_mail(
    ch: &SmtpChannel,
    m: &Outgoing,
    timeout: Duration,
) -> Result<(), ChannelError> {
    let password = match &ch.password {
        Some(p) => Some(load_secret(p, "password")?),
        None => None,
    };
    match tokio::time::timeout(timeout, converse(ch, m, password.as_ref(), timeout)).await {
        Ok(r) => r,
        Err(_) => Err(ChannelError::Timeout(crate::net::http::fmt_duration(
            timeout,
        ))),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::incident::{Severity, Status};
    use chrono::TimeZone;

    fn channel() -> SmtpChannel {
        SmtpChannel {
            host: "127.0.0.1".into(),
            port: 25,
            from: "warroom@example.com".into(),
            to: vec!["a@example.com".into(), "b@example.com".into()],
            helo: "warroom.invalid".into(),
            tls: SmtpTls::StartTls,
            username: None,
            password: None,
            ca_file: None,
        }
    }

    fn msg(text: &str, title: &str) -> Outgoing {
        let mut m = Outgoing::example();
        m.severity = Severity::Sev1;
        m.status = Status::Investigating;
        m.title = title.into();
        m.text = text.into();
        m.sent_at = chrono::Utc
            .with_ymd_and_hms(2026, 11, 30, 14, 3, 0)
            .unwrap();
        m
    }

    #[test]
    fn message_has_the_headers_and_crlf_line_ends() {
        let m = build_message(&channel(), &msg("hello\n.hidden", "Mail down")).unwrap();
        let text = String::from_utf8(m.formatted()).unwrap();
        let (head, body) = text.split_once("\r\n\r\n").unwrap();
        assert!(
            head.contains("Date: Mon, 30 Nov 2026 14:03:00 +0000"),
            "{head}"
        );
        assert!(head.contains("To: a@example.com, b@example.com"), "{head}");
        assert!(
            head.contains("Subject: [SEV1] Investigating: Mail down"),
            "{head}"
        );
        assert!(head.contains("Message-ID: <"), "{head}");
        assert!(head.contains("X-Warroom-Incident: inc-1"), "{head}");
        assert!(
            head.contains("Content-Type: text/plain; charset=utf-8"),
            "{head}"
        );
        assert_eq!(body, "hello\r\n.hidden\r\n");
    }

    #[test]
    fn non_ascii_subjects_are_encoded_and_the_preview_masks_the_password() {
        let m = build_message(&channel(), &msg(&"é".repeat(600), "Mail — down")).unwrap();
        let text = String::from_utf8(m.formatted()).unwrap();
        let subject = text.lines().find(|l| l.starts_with("Subject:")).unwrap();
        assert!(subject.contains("=?utf-8?"), "{subject}");
        assert!(text.lines().all(|l| l.len() <= 998));
        let mut ch = channel();
        ch.username = Some("bot@example.com".into());
        ch.password = Some(crate::domain::updates::SecretRef::Env(
            "WARROOM_TEST_SURELY_UNSET_PW".into(),
        ));
        let p = preview(&ch, &msg("hi", "t")).unwrap();
        assert!(p.starts_with("SMTP 127.0.0.1:25 (tls = \"starttls\"), AUTH PLAIN/LOGIN as bot@example.com with the password from $WARROOM_TEST_SURELY_UNSET_PW (*** NOT READABLE"), "{p}");
        assert!(
            p.contains("MAIL FROM:<warroom@example.com> RCPT TO:<a@example.com>,<b@example.com>"),
            "{p}"
        );
    }
}
