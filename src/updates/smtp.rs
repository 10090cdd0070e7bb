//! A small SMTP client for sending an update through a relay: EHLO (HELO if refused), MAIL
//! FROM, RCPT TO for each address, DATA, QUIT. Plain SMTP only: no STARTTLS, no AUTH. The relay
//! must accept mail from this host without them (an internal relay, or a smarthost on
//! localhost).

use tokio::io::{AsyncWriteExt, BufReader};
use tokio::net::TcpStream;
use tokio::net::tcp::OwnedWriteHalf;

use base64::Engine as _;

use super::send::{ChannelError, Outgoing};
use crate::domain::updates::SmtpChannel;
use crate::health::smtp::{Reply, read_reply};

/// Longest body line sent; longer ones are broken (SMTP allows 998 octets).
const MAX_BODY_LINE: usize = 990;

/// `=?UTF-8?B?…?=` words for a header value that is not plain ASCII.
fn encode_header(value: &str) -> String {
    if value.is_ascii() {
        return value.to_string();
    }
    let mut words = Vec::new();
    let mut chunk = String::new();
    for c in value.chars() {
        if chunk.len() + c.len_utf8() > 45 {
            words.push(std::mem::take(&mut chunk));
        }
        chunk.push(c);
    }
    if !chunk.is_empty() {
        words.push(chunk);
    }
    words
        .iter()
        .map(|w| {
            format!(
                "=?UTF-8?B?{}?=",
                base64::engine::general_purpose::STANDARD.encode(w.as_bytes())
            )
        })
        .collect::<Vec<_>>()
        .join("\r\n ")
}

/// Breaks a line into pieces of at most [`MAX_BODY_LINE`] bytes on character boundaries.
fn split_long(line: &str) -> Vec<&str> {
    let mut out = Vec::new();
    let mut rest = line;
    while rest.len() > MAX_BODY_LINE {
        let mut cut = MAX_BODY_LINE;
        while !rest.is_char_boundary(cut) {
            cut -= 1;
        }
        out.push(&rest[..cut]);
        rest = &rest[cut..];
    }
    out.push(rest);
    out
}

/// The whole message as sent after DATA: headers, a blank line, the dot-stuffed body with CRLF
/// line ends, and the terminating `.` line.
pub fn format_message(ch: &SmtpChannel, m: &Outgoing, message_id: &str) -> String {
    let mut out = String::new();
    let mut header = |name: &str, value: &str| {
        out.push_str(name);
        out.push_str(": ");
        out.push_str(value);
        out.push_str("\r\n");
    };
    header("Date", &m.sent_at.to_rfc2822());
    header("From", &ch.from);
    header("To", &ch.to.join(", "));
    header("Subject", &encode_header(&m.subject()));
    header("Message-ID", message_id);
    header("MIME-Version", "1.0");
    header("Content-Type", "text/plain; charset=utf-8");
    header("Content-Transfer-Encoding", "8bit");
    header("X-Warroom-Incident", &m.incident);
    out.push_str("\r\n");
    for line in m.text.lines() {
        for piece in split_long(line) {
            if piece.starts_with('.') {
                out.push('.');
            }
            out.push_str(piece);
            out.push_str("\r\n");
        }
    }
    out.push_str(".\r\n");
    out
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

struct Conversation {
    reader: BufReader<tokio::net::tcp::OwnedReadHalf>,
    writer: OwnedWriteHalf,
}

impl Conversation {
    async fn command(&mut self, line: &str, stage: &str) -> Result<Reply, ChannelError> {
        self.writer
            .write_all(format!("{line}\r\n").as_bytes())
            .await
            .map_err(|e| ChannelError::Smtp(format!("{stage}: write failed ({})", e.kind())))?;
        self.reply(stage).await
    }

    async fn reply(&mut self, stage: &str) -> Result<Reply, ChannelError> {
        read_reply(&mut self.reader)
            .await
            .map_err(|e| ChannelError::Smtp(format!("{stage}: {e}")))
    }
}

fn refused(stage: &str, r: &Reply, hint: &str) -> ChannelError {
    ChannelError::Smtp(format!(
        "the relay refused {stage}: {} {}; {hint}",
        r.code,
        r.text()
    ))
}

async fn converse(ch: &SmtpChannel, m: &Outgoing) -> Result<(), ChannelError> {
    let host = ch
        .host
        .strip_prefix('[')
        .and_then(|h| h.strip_suffix(']'))
        .unwrap_or(&ch.host);
    let stream = TcpStream::connect((host, ch.port)).await.map_err(|e| {
        ChannelError::Smtp(format!(
            "cannot connect to the relay {}:{} ({}); check host and port, and that it is up",
            ch.host,
            ch.port,
            e.kind()
        ))
    })?;
    let (read, writer) = stream.into_split();
    let mut c = Conversation {
        reader: BufReader::new(read),
        writer,
    };
    let banner = c.reply("banner").await?;
    if banner.code != 220 {
        return Err(refused("the connection", &banner, "try another relay"));
    }
    let mut ehlo = c.command(&format!("EHLO {}", ch.helo), "EHLO").await?;
    let mut eight_bit = false;
    if ehlo.code == 250 {
        eight_bit = ehlo.lines.iter().skip(1).any(|l| {
            l.split_whitespace()
                .next()
                .is_some_and(|w| w.eq_ignore_ascii_case("8BITMIME"))
        });
    } else {
        ehlo = c.command(&format!("HELO {}", ch.helo), "HELO").await?;
        if ehlo.code != 250 {
            return Err(refused("HELO", &ehlo, "check `helo` in the channel"));
        }
    }
    let body_param = if eight_bit && !m.text.is_ascii() {
        " BODY=8BITMIME"
    } else {
        ""
    };
    let r = c
        .command(&format!("MAIL FROM:<{}>{body_param}", ch.from), "MAIL FROM")
        .await?;
    if r.code != 250 {
        return Err(refused(
            "the sender",
            &r,
            "check `from` and that the relay accepts mail from this host without TLS or AUTH",
        ));
    }
    for to in &ch.to {
        let r = c.command(&format!("RCPT TO:<{to}>"), "RCPT TO").await?;
        if r.code != 250 && r.code != 251 {
            let _ = c.command("RSET", "RSET").await;
            let _ = c.command("QUIT", "QUIT").await;
            return Err(refused(
                &format!("the recipient {to}"),
                &r,
                "check `to` and that the relay may relay to it",
            ));
        }
    }
    let r = c.command("DATA", "DATA").await?;
    if r.code != 354 {
        return Err(refused("DATA", &r, "retry later"));
    }
    let msg = format_message(ch, m, &message_id(&ch.from));
    c.writer
        .write_all(msg.as_bytes())
        .await
        .map_err(|e| ChannelError::Smtp(format!("DATA: write failed ({})", e.kind())))?;
    let r = c.reply("end of DATA").await?;
    if r.code != 250 {
        return Err(refused(
            "the message",
            &r,
            "retry later or use another channel",
        ));
    }
    // The mail is accepted; a failed QUIT changes nothing.
    let _ = c.command("QUIT", "QUIT").await;
    Ok(())
}

/// Sends `m` through the relay, the whole conversation bounded by `timeout`.
pub async fn send_mail(
    ch: &SmtpChannel,
    m: &Outgoing,
    timeout: std::time::Duration,
) -> Result<(), ChannelError> {
    match tokio::time::timeout(timeout, converse(ch, m)).await {
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
        }
    }

    fn msg(text: &str, title: &str) -> Outgoing {
        Outgoing {
            incident: "inc-1".into(),
            severity: Severity::Sev1,
            status: Status::Investigating,
            title: title.into(),
            template: "internal".into(),
            text: text.into(),
            sent_at: chrono::Utc
                .with_ymd_and_hms(2026, 11, 30, 14, 3, 0)
                .unwrap(),
        }
    }

    #[test]
    fn message_has_headers_crlf_and_dot_stuffing() {
        let m = format_message(
            &channel(),
            &msg("hello\n.hidden\n..two", "Mail down"),
            "<x@y>",
        );
        let (head, body) = m.split_once("\r\n\r\n").unwrap();
        assert!(head.contains("Date: Mon, 30 Nov 2026 14:03:00 +0000"));
        assert!(head.contains("To: a@example.com, b@example.com"));
        assert!(head.contains("Subject: [SEV1] Investigating: Mail down"));
        assert!(head.contains("Content-Type: text/plain; charset=utf-8"));
        assert_eq!(body, "hello\r\n..hidden\r\n...two\r\n.\r\n");
        assert!(!m.replace("\r\n", "").contains('\n'));
    }

    #[test]
    fn non_ascii_subjects_are_encoded_and_long_lines_broken() {
        let m = format_message(&channel(), &msg(&"é".repeat(600), "Mail — down"), "<x@y>");
        let subject = m.lines().find(|l| l.starts_with("Subject:")).unwrap();
        assert!(subject.contains("=?UTF-8?B?"), "{subject}");
        assert!(m.lines().all(|l| l.len() <= 998));
        let body = m.split_once("\r\n\r\n").unwrap().1;
        assert_eq!(
            body.replace("\r\n", "").trim_end_matches('.'),
            "é".repeat(600)
        );
    }
}
