//! Sending an update by mail through a relay, with `lettre`: STARTTLS (the default; refused
//! when the relay does not offer it), implicit TLS (port 465) or none, AUTH PLAIN or LOGIN as
//! the relay offers, and a MIME message built by lettre (UTF-8, encoded headers, `Date`,
//! `Message-ID`).
//!
//! The conversation itself (each step named in its errors, the password scrubbed from them) is
//! `net::smtp`; this module builds the message and reads the password at each send.

use std::time::{Duration, SystemTime};

use lettre::Message;
use lettre::message::header::{Header, HeaderName, HeaderValue};
use lettre::message::{Mailbox, SinglePart};

use super::outgoing::{ChannelError, Outgoing, load_secret};
use crate::domain::updates::SmtpChannel;
use crate::net::smtp::deliver;

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
    let msg = build_message(ch, m)?;
    match tokio::time::timeout(timeout, deliver(ch, &msg, password.as_ref(), timeout)).await {
        Ok(r) => r.map_err(|e| ChannelError::Smtp(e.0)),
        Err(_) => Err(ChannelError::Timeout(crate::net::http::fmt_duration(
            timeout,
        ))),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::incident::{Severity, Status};
    use crate::domain::updates::SmtpTls;
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
