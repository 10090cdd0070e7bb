//! Generic RSS 2.0 / Atom status feeds (AWS Health Dashboard `all.rss`, Statuspage
//! `history.atom`, Azure status, …) through `feed-rs`.
//!
//! Feeds do not say how bad anything is, so the level is inferred conservatively:
//! - entries are grouped into events: an AWS guid `…#<service>-<region>_<epoch>` groups by
//!   `<service>-<region>` (AWS posts one entry per update), anything else is its own event;
//! - an event's time is its newest entry's `updated`, else `published`; events older than
//!   [`RECENT_HOURS`] (or without any date) are left out entirely;
//! - an event is **resolved** when its newest entry's title says so (the word `resolved`,
//!   `operating normally`, `completed`) or its text starts with `Resolved` / `Completed` /
//!   `Postmortem` (Statuspage history puts the newest update first);
//! - a recent, unresolved event is **degraded** (never worse: a feed cannot tell an outage from an
//!   advisory), a resolved one operational; the source level is the worst event.
//!
//! Item status is `open` or `resolved`; each entry of the event is a post.

use std::collections::BTreeMap;

use chrono::{DateTime, Duration as ChronoDuration, Utc};

use crate::domain::health::{HealthItem, ItemUpdate, Level};

use super::{ParseError, SourceReport, TITLE_CAP, clean_line, html_to_text};

/// Events older than this are not listed.
pub const RECENT_HOURS: i64 = 24;

struct Entry {
    id: String,
    title: String,
    text: String,
    at: DateTime<Utc>,
}

/// The event an entry belongs to (see the module rules).
fn group_key(id: &str) -> String {
    if let Some((_, frag)) = id.rsplit_once('#')
        && let Some((key, epoch)) = frag.rsplit_once('_')
        && !key.is_empty()
        && !epoch.is_empty()
        && epoch.bytes().all(|b| b.is_ascii_digit())
    {
        return key.to_string();
    }
    id.to_string()
}

fn contains_word(haystack: &str, word: &str) -> bool {
    haystack.match_indices(word).any(|(i, _)| {
        let before = haystack[..i].chars().next_back();
        let after = haystack[i + word.len()..].chars().next();
        !before.is_some_and(char::is_alphanumeric) && !after.is_some_and(char::is_alphanumeric)
    })
}

fn says_resolved(title: &str, text: &str) -> bool {
    let t = title.to_lowercase();
    if contains_word(&t, "resolved")
        || t.contains("operating normally")
        || contains_word(&t, "completed")
    {
        return true;
    }
    let first = text.trim_start().to_lowercase();
    ["resolved", "completed", "postmortem"]
        .iter()
        .any(|w| first.starts_with(w))
        || first.lines().take(2).any(|l| {
            ["resolved -", "completed -", "postmortem -"]
                .iter()
                .any(|w| l.trim_start().starts_with(w))
        })
}

/// Parses an RSS or Atom document.
pub fn parse(body: &[u8], now: DateTime<Utc>) -> Result<SourceReport, ParseError> {
    let feed = feed_rs::parser::parse(body).map_err(|e| ParseError::new("RSS/Atom feed", e))?;
    let window = ChronoDuration::hours(RECENT_HOURS);
    let mut groups: BTreeMap<String, Vec<Entry>> = BTreeMap::new();
    let mut order: Vec<String> = Vec::new();
    for e in feed.entries {
        let Some(at) = e.updated.or(e.published) else {
            continue;
        };
        if now - at > window {
            continue;
        }
        let id = clean_line(&e.id, TITLE_CAP);
        let title = e
            .title
            .as_ref()
            .map(|t| clean_line(&html_to_text(&t.content), TITLE_CAP))
            .unwrap_or_default();
        let raw_text = e
            .content
            .as_ref()
            .and_then(|c| c.body.clone())
            .or_else(|| e.summary.as_ref().map(|s| s.content.clone()))
            .unwrap_or_default();
        let text = html_to_text(&raw_text);
        let key = clean_line(&group_key(&e.id), TITLE_CAP);
        if !groups.contains_key(&key) {
            order.push(key.clone());
        }
        groups.entry(key).or_default().push(Entry {
            id,
            title,
            text,
            at,
        });
    }
    let mut items = Vec::new();
    for key in order {
        let Some(mut entries) = groups.remove(&key) else {
            continue;
        };
        entries.sort_by_key(|e| e.at);
        let Some(latest) = entries.last() else {
            continue;
        };
        let resolved = says_resolved(&latest.title, &latest.text);
        let first_at = entries.first().map(|e| e.at);
        let item = HealthItem {
            id: if entries.len() == 1 {
                latest.id.clone()
            } else {
                key.clone()
            },
            title: latest.title.clone(),
            service: None,
            level: if resolved {
                Level::Operational
            } else {
                Level::Degraded
            },
            status: if resolved { "resolved" } else { "open" }.to_string(),
            started: first_at,
            updated: Some(latest.at),
            resolved: resolved.then_some(latest.at),
            updates: entries
                .iter()
                .map(|e| ItemUpdate {
                    at: e.at,
                    text: if e.text.is_empty() {
                        e.title.clone()
                    } else if entries.len() > 1 {
                        format!("{}: {}", e.title, e.text)
                    } else {
                        e.text.clone()
                    },
                })
                .collect(),
        };
        items.push(item);
    }
    let level = items
        .iter()
        .map(|i| i.level)
        .max()
        .unwrap_or(Level::Operational);
    Ok(SourceReport { level, items })
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    #[test]
    fn aws_guids_group_by_service_region() {
        assert_eq!(
            group_key("http://status.aws.amazon.com/#ses-us-east-1_1772458800"),
            "ses-us-east-1"
        );
        assert_eq!(
            group_key("tag:x,2005:Incident/21148992"),
            "tag:x,2005:Incident/21148992"
        );
    }

    #[test]
    fn resolution_words() {
        assert!(says_resolved(
            "Service is operating normally: [RESOLVED] x",
            ""
        ));
        assert!(says_resolved("Delayed mail", "Resolved - all good"));
        assert!(says_resolved(
            "Delayed mail",
            "Mar 2, 15:05 UTC\nResolved - all good"
        ));
        assert!(!says_resolved(
            "Unresolved delays",
            "Investigating - looking"
        ));
        assert!(!says_resolved(
            "Delayed mail",
            "Monitoring - fix applied; earlier: Resolved"
        ));
    }

    #[test]
    fn open_recent_entry_is_degraded_and_old_is_dropped() {
        let rss = br#"<?xml version="1.0"?><rss version="2.0"><channel><title>t</title>
<item><title>Performance issues: SES latency</title><pubDate>Mon, 02 Mar 2026 05:40:00 PST</pubDate>
<guid isPermaLink="false">http://status.aws.amazon.com/#ses-us-east-1_1772458800</guid>
<description>Investigating.</description></item>
<item><title>Service disruption: old</title><pubDate>Mon, 02 Feb 2026 05:40:00 PST</pubDate>
<guid isPermaLink="false">http://status.aws.amazon.com/#ec2-us-east-1_1770000000</guid></item>
</channel></rss>"#;
        let now = Utc.with_ymd_and_hms(2026, 3, 2, 14, 0, 0).unwrap();
        let r = parse(rss, now).unwrap();
        assert_eq!(r.items.len(), 1);
        assert_eq!(r.items[0].level, Level::Degraded);
        assert_eq!(r.items[0].status, "open");
        assert_eq!(r.level, Level::Degraded);
        assert_eq!(
            r.items[0].started,
            Some(Utc.with_ymd_and_hms(2026, 3, 2, 13, 40, 0).unwrap())
        );
    }
}
