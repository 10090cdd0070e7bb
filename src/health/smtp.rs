//! SMTP probe: connect, read the banner, `EHLO`, check that `STARTTLS` is offered, `QUIT`.
//!
//! Rules (one item, `smtp:<host>:<port>`):
//! - 220 banner + 250 EHLO (+ STARTTLS when required) → operational;
//! - STARTTLS required but not offered → degraded;
//! - a 4xx reply → degraded; a 5xx reply, a refused connection, a timeout or a peer that does
//!   not speak SMTP → major_outage;
//! - the status holds the reply codes, and for a failure the stage and the reply text
//!   (sanitised); the latency goes into the title so that it does not count as a status change.
//!
//! The whole conversation is bounded by the source's `timeout`, replies by [`MAX_REPLY_LINES`]
//! lines of at most [`MAX_LINE`] bytes, so a hostile or stuck server cannot hold the poller.

use std::time::{Duration, Instant};

use chrono::{DateTime, Utc};
use tokio::io::{AsyncBufReadExt, AsyncReadExt, AsyncWriteExt, BufReader};
use tokio::net::TcpStream;

use crate::domain::health::{HealthItem, Level, SmtpSource};

use super::{STATUS_CAP, SourceReport, clean_line};

/// Longest reply line read (RFC 5321 allows 512).
pub const MAX_LINE: u64 = 1024;
/// Most lines in one multi-line reply.
pub const MAX_REPLY_LINES: usize = 64;

/// One SMTP reply.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Reply {
    /// The three-digit code.
    pub code: u16,
    /// The text of each line, without code and separator.
    pub lines: Vec<String>,
}

impl Reply {
    /// The text of all lines on one line, sanitised.
    pub fn text(&self) -> String {
        clean_line(&self.lines.join(" "), STATUS_CAP)
    }
}

/// What the probe found.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ProbeOutcome {
    /// Banner and EHLO accepted.
    Ok {
        /// Banner code (220).
        banner: u16,
        /// EHLO code (250).
        ehlo: u16,
        /// Whether `STARTTLS` was in the EHLO reply.
        starttls: bool,
    },
    /// A reply other than the expected one.
    Rejected {
        /// `banner` or `EHLO`.
        stage: &'static str,
        /// The reply.
        reply: Reply,
    },
    /// No usable conversation (refused, reset, not SMTP, timeout).
    Failed {
        /// Where it failed.
        stage: &'static str,
        /// What happened.
        detail: String,
    },
}

/// Parses one reply line into (code, is_last, text).
pub fn parse_reply_line(line: &str) -> Option<(u16, bool, &str)> {
    let line = line.trim_end_matches(['\r', '\n']);
    let code = line.get(..3)?;
    if !code.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    let code: u16 = code.parse().ok()?;
    if !(200..600).contains(&code) {
        return None;
    }
    match line.as_bytes().get(3) {
        None => Some((code, true, "")),
        Some(b' ') => Some((code, true, line.get(4..).unwrap_or(""))),
        Some(b'-') => Some((code, false, line.get(4..).unwrap_or(""))),
        Some(_) => None,
    }
}

/// Reads one (possibly multi-line) reply, bounded in line length and count.
pub async fn read_reply<R: tokio::io::AsyncBufRead + Unpin>(
    reader: &mut R,
) -> Result<Reply, String> {
    let mut lines = Vec::new();
    let mut code = None;
    loop {
        let mut buf = Vec::new();
        let n = (&mut *reader)
            .take(MAX_LINE)
            .read_until(b'\n', &mut buf)
            .await
            .map_err(|e| format!("read failed: {}", e.kind()))?;
        if n == 0 {
            return Err("the server closed the connection".to_string());
        }
        let text = String::from_utf8_lossy(&buf);
        let Some((c, last, rest)) = parse_reply_line(&text) else {
            return Err(format!("not an SMTP reply: {}", clean_line(&text, 80)));
        };
        if *code.get_or_insert(c) != c {
            return Err("inconsistent codes in a multi-line reply".to_string());
        }
        lines.push(clean_line(rest, STATUS_CAP));
        if last {
            return Ok(Reply { code: c, lines });
        }
        if lines.len() >= MAX_REPLY_LINES {
            return Err(format!("reply longer than {MAX_REPLY_LINES} lines"));
        }
    }
}

fn connect_target(host: &str) -> &str {
    host.strip_prefix('[')
        .and_then(|h| h.strip_suffix(']'))
        .unwrap_or(host)
}

async fn converse(cfg: &SmtpSource, stage: &mut &'static str) -> ProbeOutcome {
    *stage = "connect";
    let stream = match TcpStream::connect((connect_target(&cfg.host), cfg.port)).await {
        Ok(s) => s,
        Err(e) => {
            return ProbeOutcome::Failed {
                stage: "connect",
                detail: clean_line(&e.to_string(), STATUS_CAP),
            };
        }
    };
    let (read, mut write) = stream.into_split();
    let mut reader = BufReader::new(read);
    *stage = "banner";
    let banner = match read_reply(&mut reader).await {
        Ok(r) => r,
        Err(detail) => {
            return ProbeOutcome::Failed {
                stage: "banner",
                detail,
            };
        }
    };
    if banner.code != 220 {
        return ProbeOutcome::Rejected {
            stage: "banner",
            reply: banner,
        };
    }
    *stage = "EHLO";
    if let Err(e) = write
        .write_all(format!("EHLO {}\r\n", cfg.helo).as_bytes())
        .await
    {
        return ProbeOutcome::Failed {
            stage: "EHLO",
            detail: format!("write failed: {}", e.kind()),
        };
    }
    let ehlo = match read_reply(&mut reader).await {
        Ok(r) => r,
        Err(detail) => {
            return ProbeOutcome::Failed {
                stage: "EHLO",
                detail,
            };
        }
    };
    if ehlo.code != 250 {
        return ProbeOutcome::Rejected {
            stage: "EHLO",
            reply: ehlo,
        };
    }
    let starttls = ehlo.lines.iter().skip(1).any(|l| {
        l.split_whitespace()
            .next()
            .is_some_and(|w| w.eq_ignore_ascii_case("STARTTLS"))
    });
    *stage = "QUIT";
    // Best effort: the verdict is already in.
    if write.write_all(b"QUIT\r\n").await.is_ok() {
        let _ = read_reply(&mut reader).await;
    }
    ProbeOutcome::Ok {
        banner: banner.code,
        ehlo: ehlo.code,
        starttls,
    }
}

/// Runs the conversation within `timeout`.
pub async fn run_probe(cfg: &SmtpSource, timeout: Duration) -> (ProbeOutcome, Duration) {
    let started = Instant::now();
    let mut stage: &'static str = "connect";
    let outcome = match tokio::time::timeout(timeout, converse(cfg, &mut stage)).await {
        Ok(o) => o,
        Err(_) => {
            // A timeout during QUIT means everything that matters had been answered.
            ProbeOutcome::Failed {
                stage,
                detail: format!(
                    "no answer within {}",
                    crate::net::http::fmt_duration(timeout)
                ),
            }
        }
    };
    (outcome, started.elapsed())
}

/// Maps an outcome to (level, status).
pub fn judge(outcome: &ProbeOutcome, starttls_required: bool) -> (Level, String) {
    match outcome {
        ProbeOutcome::Ok {
            banner,
            ehlo,
            starttls,
        } => {
            let tls = if *starttls {
                "STARTTLS offered"
            } else {
                "STARTTLS not offered"
            };
            let level = if !*starttls && starttls_required {
                Level::Degraded
            } else {
                Level::Operational
            };
            (level, format!("banner {banner}; EHLO {ehlo}; {tls}"))
        }
        ProbeOutcome::Rejected { stage, reply } => {
            let level = if (400..500).contains(&reply.code) {
                Level::Degraded
            } else {
                Level::MajorOutage
            };
            (
                level,
                clean_line(
                    &format!("{stage} {} {}", reply.code, reply.text()),
                    STATUS_CAP,
                ),
            )
        }
        ProbeOutcome::Failed { stage, detail } => (
            Level::MajorOutage,
            clean_line(&format!("{stage} failed: {detail}"), STATUS_CAP),
        ),
    }
}

/// Probes the server and reports one item.
pub async fn probe(cfg: &SmtpSource, timeout: Duration, now: DateTime<Utc>) -> SourceReport {
    let (outcome, latency) = run_probe(cfg, timeout).await;
    // A stuck QUIT after a good EHLO is not a failure of the mail service.
    let (level, status) = judge(&outcome, cfg.starttls_required);
    let host = clean_line(&cfg.host, 255);
    let item = HealthItem {
        id: format!("smtp:{host}:{}", cfg.port),
        title: format!("SMTP {host}:{} ({} ms)", cfg.port, latency.as_millis()),
        service: Some("SMTP".to_string()),
        level,
        status,
        started: None,
        updated: Some(now),
        resolved: None,
        updates: Vec::new(),
    };
    SourceReport {
        level,
        items: vec![item],
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reply_lines() {
        assert_eq!(
            parse_reply_line("220-mx ESMTP\r\n"),
            Some((220, false, "mx ESMTP"))
        );
        assert_eq!(
            parse_reply_line("250 STARTTLS\r\n"),
            Some((250, true, "STARTTLS"))
        );
        assert_eq!(parse_reply_line("250\r\n"), Some((250, true, "")));
        assert_eq!(parse_reply_line("HTTP/1.1 400 Bad"), None);
        assert_eq!(parse_reply_line("2500 x"), None);
        assert_eq!(parse_reply_line("999 x"), None);
    }

    #[tokio::test]
    async fn gmail_style_multiline_421() {
        let data = b"421-4.7.0 [216.194.173.80 15] Our system has detected\r\n421-4.7.0 unsolicited mail\r\n421 4.7.0 review our guidelines - gsmtp\r\n";
        let mut r = BufReader::new(&data[..]);
        let reply = read_reply(&mut r).await.unwrap();
        assert_eq!(reply.code, 421);
        assert_eq!(reply.lines.len(), 3);
        let (level, status) = judge(
            &ProbeOutcome::Rejected {
                stage: "banner",
                reply,
            },
            true,
        );
        assert_eq!(level, Level::Degraded);
        assert!(status.starts_with("banner 421 4.7.0"), "{status}");
    }

    #[tokio::test]
    async fn endless_line_is_cut() {
        let data = vec![b'2'; 100_000];
        let mut r = BufReader::new(&data[..]);
        assert!(read_reply(&mut r).await.is_err());
    }
}
