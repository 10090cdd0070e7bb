//! The post-incident review as text: Markdown with one `## ` heading a section, read back
//! into sections after the editor, and the versions saved (`review_saved` events, every one
//! kept). What goes into a section before the team writes it (the prefill) and the templates
//! live in `export::review`; this is the pure part.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

/// What a section the team has not filled in says.
pub const NOT_WRITTEN: &str = "Not written yet.";

/// The sections of the built-in template: (key the template uses, heading).
pub const SECTIONS: [(&str, &str); 9] = [
    ("summary", "Summary"),
    ("impact", "Impact"),
    ("timeline", "Timeline"),
    ("response", "Detection, diagnosis and repair"),
    ("contributing_factors", "Contributing factors"),
    ("went_well", "What went well"),
    ("was_hard", "What was hard"),
    ("lucky", "Where we got lucky"),
    ("action_items", "Action items"),
];

/// The most text a saved review holds, all sections together (256 KiB); a longer one is
/// refused, never cut.
pub const REVIEW_MAX: usize = 262_144;

/// The most sections a saved review keeps.
pub const SECTIONS_MAX: usize = 64;

/// One section of a saved review: its heading and its text (Markdown, without the heading).
/// Empty text: not written.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SectionText {
    pub title: String,
    #[serde(default)]
    pub text: String,
}

/// One saved version of the review.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ReviewVersion {
    /// The id of the `review_saved` event.
    pub id: uuid::Uuid,
    pub at: DateTime<Utc>,
    pub by: String,
    /// The template it was written from.
    pub template: String,
    pub sections: Vec<SectionText>,
}

impl ReviewVersion {
    /// The text of the section with this heading (compared without case), if written.
    pub fn section(&self, title: &str) -> Option<&str> {
        self.sections
            .iter()
            .find(|s| same_title(&s.title, title))
            .map(|s| s.text.as_str())
            .filter(|t| !t.trim().is_empty())
    }
}

/// Whether two headings name the same section.
pub fn same_title(a: &str, b: &str) -> bool {
    a.trim().eq_ignore_ascii_case(b.trim())
}

/// A review read from Markdown: what came before the first `## ` heading, and the sections.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct ReviewText {
    pub preamble: String,
    pub sections: Vec<SectionText>,
}

/// Reads the review from Markdown: every line starting `## ` opens a section (inside a ``` or
/// ~~~ fence it does not). Text is cleaned of escapes and control characters, each section's
/// ends trimmed; a section that says only [`NOT_WRITTEN`] is empty. Headings are cleaned to
/// one line; a heading repeated adds its text to the first one's.
pub fn parse(markdown: &str) -> ReviewText {
    let clean = super::text::sanitize(markdown, usize::MAX);
    let mut out = ReviewText::default();
    let mut current: Option<(String, Vec<&str>)> = None;
    let mut preamble: Vec<&str> = Vec::new();
    let mut fence: Option<&str> = None;
    let finish = |cur: Option<(String, Vec<&str>)>, out: &mut ReviewText| {
        let Some((title, lines)) = cur else { return };
        let text = body(&lines);
        let n = out.sections.len();
        match out
            .sections
            .iter_mut()
            .find(|s| same_title(&s.title, &title))
        {
            Some(s) if !text.is_empty() => {
                if !s.text.is_empty() {
                    s.text.push_str("\n\n");
                }
                s.text.push_str(&text);
            }
            Some(_) => {}
            None if n < SECTIONS_MAX => out.sections.push(SectionText { title, text }),
            None => {}
        }
    };
    for line in clean.lines() {
        let t = line.trim_start();
        if let Some(f) = fence {
            if t.starts_with(f) {
                fence = None;
            }
        } else if t.starts_with("```") || t.starts_with("~~~") {
            fence = Some(&t[..3]);
        } else if let Some(h) = line.strip_prefix("## ") {
            let title = super::text::sanitize_line(h.trim().trim_end_matches('#').trim(), 200);
            if !title.is_empty() {
                finish(current.take(), &mut out);
                current = Some((title, Vec::new()));
                continue;
            }
        }
        match &mut current {
            Some((_, lines)) => lines.push(line),
            None => preamble.push(line),
        }
    }
    finish(current, &mut out);
    out.preamble = preamble.join("\n").trim().to_string();
    out
}

/// A section's lines as its text: ends trimmed, empty when it says only [`NOT_WRITTEN`].
fn body(lines: &[&str]) -> String {
    let text = lines.join("\n").trim().to_string();
    if text == NOT_WRITTEN {
        return String::new();
    }
    text
}

/// Why these sections cannot be saved: over [`REVIEW_MAX`] bytes together.
pub fn check_size(sections: &[SectionText]) -> Result<(), String> {
    let n: usize = sections.iter().map(|s| s.title.len() + s.text.len()).sum();
    if n > REVIEW_MAX {
        return Err(format!(
            "the review is {} KiB long; the limit is {} KiB: shorten it, or keep the long text in a file and say where it is",
            n.div_ceil(1024),
            REVIEW_MAX / 1024
        ));
    }
    Ok(())
}

/// Writes sections back as Markdown: `## Title`, a blank line, the text (or [`NOT_WRITTEN`]).
pub fn to_markdown(preamble: &str, sections: &[SectionText]) -> String {
    let mut out = String::new();
    if !preamble.trim().is_empty() {
        out.push_str(preamble.trim());
        out.push_str("\n\n");
    }
    for s in sections {
        out.push_str("## ");
        out.push_str(&s.title);
        out.push_str("\n\n");
        out.push_str(if s.text.trim().is_empty() {
            NOT_WRITTEN
        } else {
            s.text.trim()
        });
        out.push_str("\n\n");
    }
    let trimmed = out.trim_end().len();
    out.truncate(trimmed);
    out.push('\n');
    out
}

/// What saving an edited review means: `None` when nothing changed (nothing is written),
/// else the sections to store.
pub fn changes(before: &str, after: &str) -> Option<Vec<SectionText>> {
    let (b, a) = (parse(before), parse(after));
    (b.sections != a.sections).then_some(a.sections)
}

/// How many of these sections are written.
pub fn written(sections: &[SectionText]) -> usize {
    sections
        .iter()
        .filter(|s| !s.text.trim().is_empty())
        .count()
}

#[cfg(test)]
mod tests {
    use super::*;

    const DOC: &str = "# Review: MX\n\nintro\n\n## Summary\n\nMX record rolled back.\n\n## What went well\n\nNot written yet.\n\n## Action items\n\n- second MX\n```\n## not a heading\n```\n";

    #[test]
    fn sections_round_trip() {
        let r = parse(DOC);
        assert_eq!(r.preamble, "# Review: MX\n\nintro");
        let titles: Vec<&str> = r.sections.iter().map(|s| s.title.as_str()).collect();
        assert_eq!(titles, ["Summary", "What went well", "Action items"]);
        assert_eq!(r.sections[0].text, "MX record rolled back.");
        assert_eq!(r.sections[1].text, "", "the placeholder is not text");
        assert!(r.sections[2].text.contains("## not a heading"));
        let again = parse(&to_markdown(&r.preamble, &r.sections));
        assert_eq!(again, r);
        assert_eq!(written(&r.sections), 2);
    }

    #[test]
    fn an_unchanged_file_changes_nothing() {
        assert_eq!(changes(DOC, DOC), None);
        // Whitespace at the ends of a section is not a change.
        assert_eq!(
            changes(DOC, &DOC.replace("back.\n", "back.   \n\n\n")),
            None
        );
        let edited = DOC.replace("Not written yet.", "The runbook was right.");
        let s = changes(DOC, &edited).unwrap();
        assert_eq!(s[1].text, "The runbook was right.");
    }

    #[test]
    fn a_review_over_the_limit_is_refused_not_cut() {
        let big = format!("## A\n\n{}\n", "x".repeat(REVIEW_MAX + 1));
        let r = parse(&big);
        assert_eq!(r.sections[0].text.len(), REVIEW_MAX + 1);
        assert!(
            check_size(&r.sections)
                .unwrap_err()
                .contains("limit is 256 KiB")
        );
        assert!(check_size(&parse(DOC).sections).is_ok());
    }

    #[test]
    fn hostile_text_is_cleaned() {
        let r = parse("## Sum\u{1b}[31mmary\n\nred\u{1b}]0;title\u{7} text\n");
        assert_eq!(r.sections[0].title, "Summary");
        assert!(!r.sections[0].text.contains('\u{1b}'));
    }
}
