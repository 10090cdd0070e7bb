//! The post-incident review: rendered from a template ([`template`]) with each section
//! prefilled from the incident ([`prefill`]), the latest saved version's text winning per
//! section; and the same review as the reports' section after the timeline.

pub mod draft;
pub mod prefill;
pub mod template;

use serde::Serialize;

use crate::domain::incident::Incident;
use crate::domain::review::{self, NOT_WRITTEN, SECTIONS, SectionText};
use crate::domain::time::Zone;
pub use template::{ReviewTemplate, ReviewTemplateError, ReviewTemplates};

/// What a review template sees.
#[derive(Debug, Clone, Serialize)]
pub struct ReviewContext {
    pub incident: IncidentFacts,
    /// The prefill of each built-in section, by key.
    pub sections: std::collections::BTreeMap<String, String>,
    pub marked: Vec<MarkedEntry>,
    pub action_items: Vec<String>,
}

/// The incident's facts, as text.
#[derive(Debug, Clone, Serialize)]
pub struct IncidentFacts {
    pub id: String,
    pub title: String,
    pub severity: String,
    pub status: String,
    /// `resolved · closed`.
    pub state: String,
    pub drill: bool,
    pub opened_at: String,
    pub opened_by: String,
    pub closed_at: Option<String>,
}

/// A marked entry.
#[derive(Debug, Clone, Serialize)]
pub struct MarkedEntry {
    pub at: String,
    pub marker: String,
    pub text: String,
    pub author: String,
    pub pinned: bool,
}

/// The context of `inc`'s review, times in `zone`.
pub fn context(inc: &Incident, zone: Zone) -> ReviewContext {
    let when = |t| zone.to_wall(t).format("%Y-%m-%d %H:%M %:z").to_string();
    ReviewContext {
        incident: IncidentFacts {
            id: inc.id.clone(),
            title: inc.title.clone(),
            severity: inc.severity.label().to_string(),
            status: inc.status.to_string(),
            state: format!(
                "{} · {}",
                inc.status,
                if inc.is_closed() { "closed" } else { "open" }
            ),
            drill: inc.drill,
            opened_at: when(inc.opened_at),
            opened_by: inc.opened_by.clone(),
            closed_at: inc.closed_at.map(when),
        },
        sections: SECTIONS
            .iter()
            .map(|(k, _)| (k.to_string(), prefill::section(inc, k, zone)))
            .collect(),
        marked: inc
            .visible_entries()
            .filter_map(|e| {
                inc.markers.get(&e.id).map(|m| MarkedEntry {
                    at: when(e.occurred_at),
                    marker: m.label().to_string(),
                    text: e.text.clone(),
                    author: e.author.clone(),
                    pinned: e.pinned,
                })
            })
            .collect(),
        action_items: prefill::action_items(inc),
    }
}

/// The review of `inc` as Markdown, from template `t`: one `## ` heading a section, the latest
/// saved text of a section in place of its prefill.
pub fn render(
    inc: &Incident,
    zone: Zone,
    t: &ReviewTemplate,
) -> Result<String, ReviewTemplateError> {
    let text = template::render(t, &context(inc, zone))?;
    let mut doc = review::parse(&text);
    if let Some(latest) = inc.reviews.last() {
        for s in &mut doc.sections {
            if let Some(saved) = latest.section(&s.title) {
                s.text = saved.to_string();
            }
        }
    }
    Ok(review::to_markdown(&doc.preamble, &doc.sections))
}

/// The review's sections as the reports show them: the built-in sections (the latest saved
/// text, else the prefill), then any other section the latest saved version has. Empty text:
/// not written.
pub fn report_sections(inc: &Incident, zone: Zone) -> Vec<SectionText> {
    let latest = inc.reviews.last();
    let mut out: Vec<SectionText> = SECTIONS
        .iter()
        .map(|(key, title)| {
            let text = match latest.and_then(|r| r.section(title)) {
                Some(t) => t.to_string(),
                None => prefill::section(inc, key, zone),
            };
            SectionText {
                title: title.to_string(),
                text: if text.trim() == NOT_WRITTEN {
                    String::new()
                } else {
                    text
                },
            }
        })
        .collect();
    if let Some(r) = latest {
        for s in &r.sections {
            if !out.iter().any(|o| review::same_title(&o.title, &s.title)) {
                out.push(s.clone());
            }
        }
    }
    out
}

/// The review alone, as Markdown (`warroom export --format md --review-only`).
pub fn markdown(inc: &Incident, zone: Zone) -> String {
    let mut head = format!("# Post-incident review: {}\n\n", one_line(&inc.title));
    match inc.reviews.last() {
        Some(r) => head.push_str(&format!(
            "Saved {} by {} ({} version(s)).",
            zone.to_wall(r.at).format("%Y-%m-%d %H:%M %:z"),
            one_line(&r.by),
            inc.reviews.len()
        )),
        None => head
            .push_str("Not saved yet: prefilled from the incident (`warroom review` to write it)."),
    }
    review::to_markdown(&head, &report_sections(inc, zone))
}

fn one_line(s: &str) -> String {
    crate::domain::text::sanitize_line(s, 512)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::event::{Event, EventBody};
    use crate::domain::incident::{Severity, Status};
    use chrono::TimeZone;

    fn incident(extra: Vec<EventBody>) -> Incident {
        let t = chrono::Utc
            .with_ymd_and_hms(2026, 11, 30, 14, 0, 0)
            .unwrap();
        let mut evs = vec![Event::new(
            t,
            "alice",
            EventBody::IncidentOpened {
                incident: "i".into(),
                title: "MX".into(),
                severity: Severity::Sev2,
                status: Status::Investigating,
                started_at: None,
                drill: false,
            },
        )];
        evs.extend(extra.into_iter().map(|b| Event::new(t, "bob", b)));
        Incident::from_events(&evs).unwrap()
    }

    fn saved(sections: &[(&str, &str)]) -> EventBody {
        EventBody::ReviewSaved {
            template: "mine".into(),
            sections: sections
                .iter()
                .map(|(t, x)| SectionText {
                    title: t.to_string(),
                    text: x.to_string(),
                })
                .collect(),
        }
    }

    #[test]
    fn the_latest_saved_text_wins_and_other_sections_follow_the_built_in_ones() {
        let inc = incident(vec![
            saved(&[("Summary", "first"), ("Lessons", "old")]),
            saved(&[("summary", "second"), ("Lessons", "keep two MX")]),
        ]);
        assert_eq!(inc.reviews.len(), 2);
        let s = report_sections(&inc, Zone::UTC);
        assert_eq!(s.len(), SECTIONS.len() + 1);
        assert_eq!(s[0].text, "second");
        assert_eq!(s.last().unwrap().title, "Lessons");
        assert_eq!(s.last().unwrap().text, "keep two MX");
        assert_eq!(s[5].title, "What went well");
        assert_eq!(s[5].text, "", "not written");
        let md = render(
            &inc,
            Zone::UTC,
            ReviewTemplates::default().get("default").unwrap(),
        )
        .unwrap();
        assert!(md.contains("## Summary\n\nsecond\n"), "{md}");
        assert!(
            md.contains("## What went well\n\nNot written yet.\n"),
            "{md}"
        );
        let only = markdown(&inc, Zone::UTC);
        assert!(only.contains("(2 version(s))"), "{only}");
        assert!(only.contains("## Lessons\n\nkeep two MX"), "{only}");
    }

    #[test]
    fn a_review_saved_line_without_its_fields_still_loads() {
        let ev: Event = serde_json::from_str(
            r#"{"v":1,"id":"0190a0b0-0000-7000-8000-000000000001","at":"2026-11-30T14:00:00Z","by":"x","type":"review_saved"}"#,
        )
        .unwrap();
        assert_eq!(
            ev.body,
            EventBody::ReviewSaved {
                template: String::new(),
                sections: vec![]
            }
        );
    }
}
