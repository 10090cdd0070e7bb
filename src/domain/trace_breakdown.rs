//! The breakdown of a trace result, like pflogsumm but live: the rows grouped by recipient
//! domain, reason, sender, status or hour, each group with its message count, counts per
//! status and delay percentiles.
//!
//! A `reason` key starts with the enhanced status code as the log gives it (`5.4.4`; else the
//! three-digit reply code) and goes on with the reply text, its addresses, queue ids and other
//! numbers normalised: a thousand `451 4.7.500 Server busy. Please try again later from
//! [198.51.100.7]. (AS761)` lines, each from another address and front end, are one group.

use std::collections::BTreeMap;
use std::fmt;
use std::str::FromStr;

use chrono::Timelike;

use super::time::Zone;
use super::trace::{TraceRow, TraceStatus};

/// What rows are grouped by.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub enum GroupBy {
    /// The recipient's domain.
    #[default]
    Domain,
    /// Enhanced status code and normalised reply text.
    Reason,
    Sender,
    Status,
    /// The hour the message was received, in the configured zone.
    Hour,
}

impl GroupBy {
    pub const ALL: [GroupBy; 5] = [
        GroupBy::Domain,
        GroupBy::Reason,
        GroupBy::Sender,
        GroupBy::Status,
        GroupBy::Hour,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            GroupBy::Domain => "domain",
            GroupBy::Reason => "reason",
            GroupBy::Sender => "sender",
            GroupBy::Status => "status",
            GroupBy::Hour => "hour",
        }
    }

    /// The next grouping, in [`GroupBy::ALL`] order (for a key that cycles through them).
    pub fn next(self) -> GroupBy {
        let i = GroupBy::ALL.iter().position(|g| *g == self).unwrap_or(0);
        GroupBy::ALL[(i + 1) % GroupBy::ALL.len()]
    }
}

impl fmt::Display for GroupBy {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for GroupBy {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let t = s.trim().to_ascii_lowercase();
        GroupBy::ALL
            .into_iter()
            .find(|g| g.as_str() == t)
            .ok_or_else(|| {
                format!("cannot group by {s:?}: use one of domain, reason, sender, status, hour")
            })
    }
}

/// One group of rows.
#[derive(Debug, Clone, PartialEq)]
pub struct Group {
    pub key: String,
    /// Rows (messages × recipients) in the group.
    pub count: usize,
    pub by_status: BTreeMap<TraceStatus, usize>,
    /// Delay percentiles in seconds, over the rows whose logs carry a delay; `None` when none
    /// does.
    pub delay_p50_s: Option<f64>,
    pub delay_p95_s: Option<f64>,
    pub delay_max_s: Option<f64>,
}

/// Rows grouped; the largest group first (ties by key).
#[derive(Debug, Clone, PartialEq)]
pub struct Breakdown {
    pub by: GroupBy,
    pub groups: Vec<Group>,
}

/// A group being counted: rows, rows per status, delays (ms).
type Tally = (usize, BTreeMap<TraceStatus, usize>, Vec<u64>);

/// Groups `rows` by `by`; hours are read in `zone`.
pub fn breakdown(rows: &[TraceRow], by: GroupBy, zone: Zone) -> Breakdown {
    let mut groups: BTreeMap<String, Tally> = BTreeMap::new();
    for r in rows {
        let g = groups.entry(group_key(r, by, zone)).or_default();
        g.0 += 1;
        *g.1.entry(r.status).or_insert(0) += 1;
        if let Some(d) = r.delay_ms {
            g.2.push(d);
        }
    }
    let mut groups: Vec<Group> = groups
        .into_iter()
        .map(|(key, (count, by_status, mut delays))| {
            delays.sort_unstable();
            Group {
                key,
                count,
                by_status,
                delay_p50_s: percentile(&delays, 50),
                delay_p95_s: percentile(&delays, 95),
                delay_max_s: delays.last().map(|d| *d as f64 / 1000.0),
            }
        })
        .collect();
    groups.sort_by(|a, b| b.count.cmp(&a.count).then_with(|| a.key.cmp(&b.key)));
    Breakdown { by, groups }
}

/// Nearest-rank percentile of sorted milliseconds, in seconds.
fn percentile(sorted: &[u64], p: usize) -> Option<f64> {
    if sorted.is_empty() {
        return None;
    }
    let rank = (p * sorted.len()).div_ceil(100).max(1);
    Some(sorted[rank - 1] as f64 / 1000.0)
}

/// The group a row falls in.
pub fn group_key(row: &TraceRow, by: GroupBy, zone: Zone) -> String {
    match by {
        GroupBy::Domain => domain_of(&row.recipient),
        GroupBy::Sender => {
            let s = row.sender.trim();
            if s.is_empty() {
                "(unknown)".to_string()
            } else {
                s.to_lowercase()
            }
        }
        GroupBy::Status => row.status.as_str().to_string(),
        GroupBy::Reason => reason_key(&row.reply, &row.dsn),
        GroupBy::Hour => {
            let t = zone.to_wall(row.received);
            t.with_minute(0)
                .and_then(|t| t.with_second(0))
                .and_then(|t| t.with_nanosecond(0))
                .map(|t| t.format("%Y-%m-%dT%H:00%:z").to_string())
                .unwrap_or_default()
        }
    }
}

/// The domain of an address, lower case; `(none)` without one.
pub fn domain_of(addr: &str) -> String {
    let a = addr.trim().trim_start_matches('<').trim_end_matches('>');
    match a.rsplit_once('@') {
        Some((_, d)) if !d.is_empty() => d.to_lowercase(),
        _ => "(none)".to_string(),
    }
}

/// An enhanced status code (`4.7.500`): class 2, 4 or 5, then 1–3 and 1–3 digits.
fn is_enhanced(tok: &str) -> bool {
    let mut parts = tok.split('.');
    let (Some(a), Some(b), Some(c), None) =
        (parts.next(), parts.next(), parts.next(), parts.next())
    else {
        return false;
    };
    matches!(a, "2" | "4" | "5")
        && (1..=3).contains(&b.len())
        && (1..=3).contains(&c.len())
        && b.bytes().chain(c.bytes()).all(|x| x.is_ascii_digit())
}

fn is_basic(tok: &str) -> bool {
    let t = tok.trim_end_matches('-');
    t.len() == 3
        && matches!(t.as_bytes()[0], b'2' | b'4' | b'5')
        && t.bytes().all(|b| b.is_ascii_digit())
}

/// The key a reply is grouped under: `<code> <normalised text>`, where `<code>` is `dsn`
/// when given (Postfix's `dsn=`), else the first enhanced code of the reply, else its
/// three-digit code. See the module docs.
pub fn reason_key(reply: &str, dsn: &str) -> String {
    let text = reply.trim();
    if text.is_empty() && dsn.trim().is_empty() {
        return "(no reply logged)".to_string();
    }
    // The reply's own leading codes (`451 4.7.500`, `4.7.1`, `421-4.7.0`).
    let first_token = |t: &'_ str| -> (String, usize) {
        let end = t.find(char::is_whitespace).unwrap_or(t.len());
        (t[..end].to_string(), end)
    };
    let mut rest = text;
    let mut basic: Option<String> = None;
    let mut enhanced: Option<String> = None;
    let (t1, e1) = first_token(rest);
    if is_basic(&t1) {
        basic = Some(t1.trim_end_matches('-').to_string());
        rest = rest[e1..].trim_start();
        let (t2, e2) = first_token(rest);
        if is_enhanced(&t2) {
            enhanced = Some(t2);
            rest = rest[e2..].trim_start();
        }
    } else if let Some((b, e)) = t1.split_once('-')
        && is_basic(b)
        && is_enhanced(e)
    {
        basic = Some(b.to_string());
        enhanced = Some(e.to_string());
        rest = rest[e1..].trim_start();
    } else if is_enhanced(&t1) {
        enhanced = Some(t1);
        rest = rest[e1..].trim_start();
    }
    let code = if !dsn.trim().is_empty() {
        dsn.trim().to_string()
    } else if let Some(e) = &enhanced {
        e.clone()
    } else if let Some(e) = text
        .split(|c: char| c.is_whitespace() || matches!(c, '(' | ')' | '[' | ']' | '"' | ';' | ','))
        .find(|t| is_enhanced(t))
    {
        e.to_string()
    } else if let Some(b) = &basic {
        b.clone()
    } else {
        String::new()
    };
    let normal = normalise(if enhanced.is_some() || basic.is_some() {
        rest
    } else {
        text
    });
    match (code.is_empty(), normal.is_empty()) {
        (true, true) => "(no reply logged)".to_string(),
        (true, false) => normal,
        (false, true) => code,
        (false, false) => format!("{code} {normal}"),
    }
}

/// Addresses become `<addr>`, the id after `queued as` and every run of letters, digits, dots,
/// dashes and underscores that holds a digit (numbers, IP addresses, host names of front ends,
/// session ids) become `#`; white space collapses.
fn normalise(text: &str) -> String {
    let is_word =
        |c: char| c.is_alphanumeric() || matches!(c, '.' | '-' | '_' | '+' | '=' | '%' | '@');
    let mut out = String::with_capacity(text.len());
    let mut chars = text.char_indices().peekable();
    let (mut prev_queued, mut queued_as) = (false, false);
    while let Some(&(start, c)) = chars.peek() {
        if c.is_whitespace() {
            if !out.is_empty() && !out.ends_with(' ') {
                out.push(' ');
            }
            chars.next();
            continue;
        }
        if !is_word(c) {
            out.push(c);
            chars.next();
            continue;
        }
        let mut end = start;
        while let Some(&(j, d)) = chars.peek() {
            if !is_word(d) {
                break;
            }
            end = j + d.len_utf8();
            chars.next();
        }
        let word = &text[start..end];
        if word.contains('@') {
            // The brackets around it stay as they were.
            out.push_str("addr");
        } else if queued_as || word.bytes().any(|b| b.is_ascii_digit()) {
            // Keep a word's trailing full stop: it ends a sentence more often than a number.
            let trailing = word.len() - word.trim_end_matches('.').len();
            out.push('#');
            out.push_str(&".".repeat(trailing));
        } else {
            out.push_str(word);
        }
        queued_as = prev_queued && word.eq_ignore_ascii_case("as");
        prev_queued = word.eq_ignore_ascii_case("queued");
    }
    out.trim().to_string()
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::{TimeZone, Utc};

    fn row(rcpt: &str, status: TraceStatus, reply: &str, delay_ms: Option<u64>) -> TraceRow {
        TraceRow {
            received: Utc.with_ymd_and_hms(2026, 3, 2, 13, 5, 0).unwrap(),
            sender: "Alerts@Fabrikam.com".into(),
            recipient: rcpt.into(),
            subject: String::new(),
            status,
            reply: reply.into(),
            message_id: String::new(),
            source: "mx".into(),
            key: rcpt.into(),
            deferrals: vec![],
            last_event: None,
            delay_ms,
            dsn: String::new(),
        }
    }

    #[test]
    fn reason_keys_keep_the_code_and_fold_the_variable_parts() {
        let a = reason_key(
            "451 4.7.500 Server busy. Please try again later from [198.51.100.7]. (AS761) [BN8NAM11FT012.eop-nam11.prod.protection.outlook.com]",
            "",
        );
        let b = reason_key(
            "451 4.7.500 Server busy. Please try again later from [203.0.113.9]. (AS762) [CO1NAM04FT045.eop-nam04.prod.protection.outlook.com]",
            "",
        );
        assert_eq!(a, b);
        assert_eq!(
            a,
            "4.7.500 Server busy. Please try again later from [#]. (#) [#]"
        );
        assert_eq!(
            reason_key(
                "550 5.1.1 <nobody@tailspintoys.com>: Recipient address rejected: User unknown in virtual mailbox table",
                "5.1.1"
            ),
            "5.1.1 <addr>: Recipient address rejected: User unknown in virtual mailbox table"
        );
        // Postfix: the code is dsn=, the text a local reason.
        assert_eq!(
            reason_key(
                "connect to contoso-com.mail.protection.outlook.com[192.0.2.55]:25: Connection timed out",
                "4.4.1"
            ),
            "4.4.1 connect to contoso-com.mail.protection.outlook.com[#]:#: Connection timed out"
        );
        // The code as logged: 5.4.4 stays 5.4.4.
        assert!(reason_key("550 5.4.4 Unable to route", "").starts_with("5.4.4 "));
        assert_eq!(
            reason_key("250 2.0.0 Ok: queued as 4Wq2XzTzZsWH", "2.0.0"),
            "2.0.0 Ok: queued as #"
        );
        assert_eq!(
            reason_key("550 4.4.7 QUEUE.Expired; message expired", ""),
            "4.4.7 QUEUE.Expired; message expired"
        );
        assert_eq!(reason_key("", ""), "(no reply logged)");
        assert_eq!(
            reason_key("421-4.7.0 [216.194.173.80 15] Our system has detected", ""),
            "4.7.0 [# #] Our system has detected"
        );
    }

    #[test]
    fn groups_sorted_by_count_with_delays() {
        let rows = vec![
            row(
                "a@contoso.com",
                TraceStatus::Delivered,
                "250 2.0.0 Ok",
                Some(1_000),
            ),
            row(
                "b@contoso.com",
                TraceStatus::Delivered,
                "250 2.0.0 Ok",
                Some(3_000),
            ),
            row(
                "c@Contoso.com",
                TraceStatus::Pending,
                "451 4.7.500 busy",
                Some(2_000),
            ),
            row(
                "d@fabrikam.com",
                TraceStatus::Failed,
                "550 5.1.1 unknown",
                None,
            ),
        ];
        let b = breakdown(&rows, GroupBy::Domain, Zone::UTC);
        assert_eq!(b.groups.len(), 2);
        let g = &b.groups[0];
        assert_eq!((g.key.as_str(), g.count), ("contoso.com", 3));
        assert_eq!(g.by_status[&TraceStatus::Delivered], 2);
        assert_eq!(g.by_status[&TraceStatus::Pending], 1);
        assert_eq!(g.delay_p50_s, Some(2.0));
        assert_eq!(g.delay_p95_s, Some(3.0));
        assert_eq!(g.delay_max_s, Some(3.0));
        assert_eq!(b.groups[1].delay_p50_s, None);
        let s = breakdown(&rows, GroupBy::Sender, Zone::UTC);
        assert_eq!(s.groups[0].key, "alerts@fabrikam.com");
        let h = breakdown(&rows, GroupBy::Hour, Zone::UTC);
        assert_eq!(h.groups[0].key, "2026-03-02T13:00+00:00");
        assert_eq!("REASON".parse::<GroupBy>(), Ok(GroupBy::Reason));
        assert!("size".parse::<GroupBy>().unwrap_err().contains("domain"));
        assert_eq!(GroupBy::Hour.next(), GroupBy::Domain);
    }
}
