//! What a query asks of Graph: the clamped window and the `$filter`.

use super::*;

/// What a query asks of Graph: the window and the `$filter`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ExoPlan {
    pub since: DateTime<Utc>,
    pub until: DateTime<Utc>,
    /// The `$filter` value, not yet URL-encoded.
    pub filter: String,
    /// One sentence per clamp applied to the window.
    pub clamps: Vec<String>,
}

/// The Graph spelling of a status, for the ones Graph spells one way only.
pub fn graph_status(s: TraceStatus) -> Option<&'static str> {
    match s {
        TraceStatus::Delivered => Some("delivered"),
        TraceStatus::Failed => Some("failed"),
        TraceStatus::Quarantined => Some("quarantined"),
        TraceStatus::FilteredAsSpam => Some("filteredAsSpam"),
        TraceStatus::Expanded => Some("expanded"),
        // `pending` and `gettingStatus` both mean pending here; `unknown` has no Graph value.
        TraceStatus::Pending | TraceStatus::Unknown => None,
    }
}

/// An OData string literal: single quotes doubled.
pub fn odata_string(s: &str) -> String {
    format!("'{}'", s.replace('\'', "''"))
}

/// The address when `term` is a full one (`a@b.com`, brackets allowed), lower-cased.
pub(super) fn full_address(term: &str) -> Option<String> {
    let t = normalize_term(term)?;
    let (local, domain) = t.rsplit_once('@')?;
    if local.is_empty() || domain.is_empty() || t.chars().any(char::is_whitespace) {
        return None;
    }
    Some(t)
}

pub(super) fn graph_time(t: DateTime<Utc>) -> String {
    t.to_rfc3339_opts(SecondsFormat::Secs, true)
}

/// Works out the window and the `$filter` for `q` at `now`.
pub fn plan(q: &TraceQuery, now: DateTime<Utc>) -> Result<ExoPlan, ExoError> {
    let now = now.trunc_subsecs(0);
    let oldest = now - TimeDelta::days(MAX_AGE_DAYS) + TimeDelta::minutes(AGE_MARGIN_MINUTES);
    let max_span = TimeDelta::days(MAX_SPAN_DAYS);
    let mut clamps = Vec::new();
    let mut until = q.until.map_or(now, |u| u.trunc_subsecs(0)).min(now);
    let mut since = match q.since {
        Some(s) => s.trunc_subsecs(0),
        None => until - TimeDelta::hours(DEFAULT_WINDOW_HOURS),
    };
    if since > until {
        return Err(ExoError::Window(format!(
            "the window starts ({}) after it ends ({}); put `since` before `until` (and not in the future)",
            graph_time(since),
            graph_time(until)
        )));
    }
    if until < oldest {
        return Err(ExoError::Window(format!(
            "the window ends {}, more than {MAX_AGE_DAYS} days ago; Exchange Online keeps message trace for {MAX_AGE_DAYS} days, so pick a later window",
            graph_time(until)
        )));
    }
    if since < oldest {
        clamps.push(format!(
            "Exchange Online keeps {MAX_AGE_DAYS} days of message trace: the window now starts at {} instead of {}",
            graph_time(oldest),
            graph_time(since)
        ));
        since = oldest;
    }
    if until - since > max_span {
        // Keep the end the query set; with both or neither set, keep the recent end.
        if q.since.is_some() && q.until.is_none() && since + max_span <= until {
            let end = since + max_span;
            clamps.push(format!(
                "Graph traces at most {MAX_SPAN_DAYS} days at a time: the window now ends at {} instead of {}; run another query for the rest",
                graph_time(end),
                graph_time(until)
            ));
            until = end;
        } else {
            let start = until - max_span;
            clamps.push(format!(
                "Graph traces at most {MAX_SPAN_DAYS} days at a time: the window now starts at {} instead of {}; run another query for the rest",
                graph_time(start),
                graph_time(since)
            ));
            since = start;
        }
    }
    let mut terms = vec![
        format!("receivedDateTime ge {}", graph_time(since)),
        format!("receivedDateTime le {}", graph_time(until)),
    ];
    if let Some(a) = q.sender.as_deref().and_then(full_address) {
        terms.push(format!("senderAddress eq {}", odata_string(&a)));
    }
    if let Some(a) = q.recipient.as_deref().and_then(full_address) {
        terms.push(format!("recipientAddress eq {}", odata_string(&a)));
    }
    if let Some(m) = q.message_id.as_deref() {
        let inner = m
            .trim()
            .trim_start_matches('<')
            .trim_end_matches('>')
            .trim();
        if !inner.is_empty() {
            terms.push(format!(
                "messageId eq {}",
                odata_string(&format!("<{inner}>"))
            ));
        }
    }
    if let Some(s) = q.subject_contains.as_deref().map(str::trim)
        && !s.is_empty()
    {
        terms.push(format!("contains(subject,{})", odata_string(s)));
    }
    if let Some(s) = q.status.and_then(graph_status) {
        terms.push(format!("status eq {}", odata_string(s)));
    }
    Ok(ExoPlan {
        since,
        until,
        filter: terms.join(" and "),
        clamps,
    })
}

/// Percent-encodes everything but the unreserved characters and `keep`.
pub(super) fn pct(s: &str, keep: &[u8]) -> String {
    let mut out = String::with_capacity(s.len() * 3);
    for b in s.bytes() {
        if b.is_ascii_alphanumeric() || b"-._~".contains(&b) || keep.contains(&b) {
            out.push(b as char);
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}
