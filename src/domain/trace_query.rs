//! The one-line trace query typed in the console (`/` in the trace pane) and shown in timeline
//! entries: `from:alerts@fabrikam.com to:@contoso.com status:failed since:2h subject:"batch report"`.

use chrono::{DateTime, Utc};

use super::text::sanitize_line;
use super::time::{Zone, parse_duration, parse_when};
use super::trace::{TraceQuery, TraceStatus};

/// How to write a query, for hints and errors.
pub const QUERY_HINT: &str = "from:ADDR to:ADDR id:MSGID subject:\"TEXT\" status:failed|pending|delivered|… since:2h|14:00 until:WHEN";

/// A time bound: `2h` (ago), `-2h`, `14:00`, `2026-11-30 14:00`, RFC 3339.
pub fn parse_bound(value: &str, now: DateTime<Utc>, zone: Zone) -> Result<DateTime<Utc>, String> {
    if let Some(d) = parse_duration(value) {
        return Ok(now - d);
    }
    parse_when(value, now, zone).map_err(|e| e.to_string())
}

/// Splits on white space, keeping `"quoted words"` together (quotes removed).
fn tokens(input: &str) -> Result<Vec<String>, String> {
    let mut out = Vec::new();
    let mut cur = String::new();
    let mut quoted = false;
    let mut any = false;
    for c in input.chars() {
        match c {
            '"' => {
                quoted = !quoted;
                any = true;
            }
            c if c.is_whitespace() && !quoted => {
                if any {
                    out.push(std::mem::take(&mut cur));
                    any = false;
                }
            }
            c => {
                cur.push(c);
                any = true;
            }
        }
    }
    if quoted {
        return Err("a quote is not closed: write subject:\"two words\"".into());
    }
    if any {
        out.push(cur);
    }
    Ok(out)
}

/// Parses a query line. Words without a field go into the subject.
pub fn parse_query_line(input: &str, now: DateTime<Utc>, zone: Zone) -> Result<TraceQuery, String> {
    let mut q = TraceQuery::default();
    let mut subject_words: Vec<String> = Vec::new();
    // A `since:` written as two tokens (`since:2026-11-30 14:00`) is joined back.
    let toks = tokens(&sanitize_line(input, 4096))?;
    let mut i = 0;
    while i < toks.len() {
        let tok = &toks[i];
        i += 1;
        let Some((field, value)) = tok.split_once(':').filter(|(f, _)| {
            matches!(
                f.to_ascii_lowercase().as_str(),
                "from"
                    | "sender"
                    | "to"
                    | "rcpt"
                    | "recipient"
                    | "id"
                    | "msgid"
                    | "subject"
                    | "status"
                    | "since"
                    | "until"
            )
        }) else {
            subject_words.push(tok.clone());
            continue;
        };
        let mut value = value.to_string();
        let field = field.to_ascii_lowercase();
        if (field == "since" || field == "until")
            && value.len() == 10
            && value.matches('-').count() == 2
            && let Some(next) = toks.get(i)
            && next.contains(':')
            && next.chars().all(|c| c.is_ascii_digit() || c == ':')
        {
            value = format!("{value} {next}");
            i += 1;
        }
        if value.is_empty() {
            return Err(format!("`{field}:` needs a value ({QUERY_HINT})"));
        }
        match field.as_str() {
            "from" | "sender" => q.sender = Some(value),
            "to" | "rcpt" | "recipient" => q.recipient = Some(value),
            "id" | "msgid" => q.message_id = Some(value),
            "subject" => subject_words.push(value),
            "status" => {
                q.status = Some(value.parse::<TraceStatus>().map_err(|_| {
                    let all: Vec<&str> = TraceStatus::ALL.iter().map(|s| s.as_str()).collect();
                    format!("unknown status {value:?}: use one of {}", all.join(", "))
                })?)
            }
            "since" => q.since = Some(parse_bound(&value, now, zone)?),
            _ => q.until = Some(parse_bound(&value, now, zone)?),
        }
    }
    if !subject_words.is_empty() {
        q.subject_contains = Some(subject_words.join(" "));
    }
    if let (Some(s), Some(u)) = (q.since, q.until)
        && s > u
    {
        return Err("`since` is after `until`".into());
    }
    Ok(q)
}

/// The query written back as a line (times in UTC, RFC 3339), for entries and reports.
pub fn describe(q: &TraceQuery) -> String {
    let mut parts = Vec::new();
    let quote = |v: &str| {
        if v.contains(char::is_whitespace) {
            format!("\"{v}\"")
        } else {
            v.to_string()
        }
    };
    if let Some(v) = &q.sender {
        parts.push(format!("from:{}", quote(v)));
    }
    if let Some(v) = &q.recipient {
        parts.push(format!("to:{}", quote(v)));
    }
    if let Some(v) = &q.message_id {
        parts.push(format!("id:{}", quote(v)));
    }
    if let Some(v) = &q.subject_contains {
        parts.push(format!("subject:{}", quote(v)));
    }
    if let Some(v) = q.status {
        parts.push(format!("status:{v}"));
    }
    if let Some(v) = q.since {
        parts.push(format!("since:{}", v.format("%Y-%m-%dT%H:%M:%SZ")));
    }
    if let Some(v) = q.until {
        parts.push(format!("until:{}", v.format("%Y-%m-%dT%H:%M:%SZ")));
    }
    if parts.is_empty() {
        "(everything)".into()
    } else {
        parts.join(" ")
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::{Duration, TimeZone};

    fn now() -> DateTime<Utc> {
        Utc.with_ymd_and_hms(2026, 11, 30, 14, 0, 0).unwrap()
    }

    #[test]
    fn fields_and_bounds() {
        let q = parse_query_line(
            "from:alerts@fabrikam.com to:@contoso.com status:Failed since:2h until:13:30 subject:\"batch report\"",
            now(),
            Zone::UTC,
        )
        .unwrap();
        assert_eq!(q.sender.as_deref(), Some("alerts@fabrikam.com"));
        assert_eq!(q.recipient.as_deref(), Some("@contoso.com"));
        assert_eq!(q.status, Some(TraceStatus::Failed));
        assert_eq!(q.since, Some(now() - Duration::hours(2)));
        assert_eq!(q.until, Some(now() - Duration::minutes(30)));
        assert_eq!(q.subject_contains.as_deref(), Some("batch report"));
        let back = parse_query_line(&describe(&q), now(), Zone::UTC).unwrap();
        assert_eq!(back, q);
    }

    #[test]
    fn bare_words_are_the_subject_and_dates_may_have_a_space() {
        let q = parse_query_line("payroll run since:2026-11-30 08:00", now(), Zone::UTC).unwrap();
        assert_eq!(q.subject_contains.as_deref(), Some("payroll run"));
        assert_eq!(
            q.since,
            Some(Utc.with_ymd_and_hms(2026, 11, 30, 8, 0, 0).unwrap())
        );
        assert_eq!(describe(&TraceQuery::default()), "(everything)");
    }

    #[test]
    fn errors_say_how() {
        assert!(
            parse_query_line("status:lost", now(), Zone::UTC)
                .unwrap_err()
                .contains("delivered")
        );
        assert!(
            parse_query_line("since:yesterday", now(), Zone::UTC)
                .unwrap_err()
                .contains("-5m")
        );
        assert!(
            parse_query_line("subject:\"open", now(), Zone::UTC)
                .unwrap_err()
                .contains("quote")
        );
        assert!(
            parse_query_line("from:", now(), Zone::UTC)
                .unwrap_err()
                .contains("from")
        );
        assert!(
            parse_query_line("since:1h until:2h", now(), Zone::UTC)
                .unwrap_err()
                .contains("after")
        );
    }
}
