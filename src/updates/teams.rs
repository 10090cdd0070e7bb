//! Microsoft Teams bodies. A Workflows webhook ("Post to a channel when a webhook request is
//! received") takes a message whose one attachment is an Adaptive Card; the legacy Office 365
//! connectors took a MessageCard, kept as `format = "messagecard"` for tenants that still run
//! them.
//!
//! The card, top to bottom:
//!
//! ```text
//! ┌ Container, style by severity (attention / warning / accent / emphasis) ┐
//! │ [SEV2] Investigating: <title>            (bolder, large, same colour)  │
//! └────────────────────────────────────────────────────────────────────────┘
//!   one wrapped TextBlock per paragraph of the update
//!   FactSet: Severity, Status, T+, Next update
//! ```
//!
//! TextBlocks and facts are rendered as a Markdown subset, so the text is escaped wherever a
//! character would otherwise change what the reader sees.

use serde_json::{Value, json};

use super::outgoing::Outgoing;
use crate::domain::incident::Severity;

/// The Adaptive Card schema version posted (Workflows render up to 1.4 in every Teams client).
pub const CARD_VERSION: &str = "1.4";

/// Escapes the Adaptive Card Markdown subset (CommonMark: emphasis, links, lists, entities) in
/// one piece of plain text, so it shows as written. Line breaks are kept.
pub fn escape_card_text(text: &str) -> String {
    let mut out = String::with_capacity(text.len() + 8);
    for (i, line) in text.split('\n').enumerate() {
        if i > 0 {
            out.push('\n');
        }
        escape_line(line, &mut out);
    }
    out
}

fn escape_line(line: &str, out: &mut String) {
    let body_start = line.len() - line.trim_start_matches([' ', '\t']).len();
    let (indent, rest) = line.split_at(body_start);
    out.push_str(indent);
    // A list marker at the start of a line: `- `, `* `, `+ `, `12. `, `3) `; a heading `#`, a
    // quote `>`.
    let digits = rest.bytes().take_while(u8::is_ascii_digit).count();
    let after_digits = rest.as_bytes().get(digits).copied();
    let mut skip = 0;
    if (1..=9).contains(&digits)
        && matches!(after_digits, Some(b'.') | Some(b')'))
        && rest[digits + 1..].chars().next().is_none_or(|c| c == ' ')
    {
        out.push_str(&rest[..digits]);
        out.push('\\');
        out.push(after_digits.map_or('.', char::from));
        skip = digits + 1;
    } else if let Some(first) = rest.chars().next()
        && matches!(first, '-' | '+' | '#' | '>')
    {
        out.push('\\');
        out.push(first);
        skip = 1;
    }
    let rest = &rest[skip..];
    let mut chars = rest.char_indices().peekable();
    while let Some((at, c)) = chars.next() {
        match c {
            '\\' | '*' | '_' | '[' | ']' | '`' | '~' => {
                out.push('\\');
                out.push(c);
            }
            // An entity (`&amp;`, `&#35;`) would be decoded: escape the ampersand.
            '&' if looks_like_entity(&rest[at + 1..]) => out.push_str("\\&"),
            // `{{DATE(…)}}` and `{{TIME(…)}}` are card functions: break the braces apart.
            '{' if chars.peek().is_some_and(|(_, n)| *n == '{') => out.push_str("{\u{200B}"),
            _ => out.push(c),
        }
    }
}

fn looks_like_entity(after_amp: &str) -> bool {
    let name_len = after_amp
        .bytes()
        .take_while(|b| b.is_ascii_alphanumeric() || *b == b'#')
        .count();
    name_len > 0 && after_amp.as_bytes().get(name_len) == Some(&b';')
}

/// The update's paragraphs (separated by blank lines), each with its lines joined by a blank
/// line so that every line shows on its own (a lone newline is a space in Markdown).
fn paragraphs(text: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut current: Vec<String> = Vec::new();
    for line in text.lines() {
        if line.trim().is_empty() {
            if !current.is_empty() {
                out.push(current.join("\n\n"));
                current.clear();
            }
        } else {
            current.push(escape_card_text(line.trim_end()));
        }
    }
    if !current.is_empty() {
        out.push(current.join("\n\n"));
    }
    out
}

/// Container style and text colour of the title for a severity.
fn styles(severity: Severity) -> (&'static str, &'static str) {
    match severity {
        Severity::Sev1 => ("attention", "attention"),
        Severity::Sev2 => ("warning", "warning"),
        Severity::Sev3 => ("accent", "accent"),
        Severity::Sev4 => ("emphasis", "default"),
    }
}

/// The Workflows webhook body: a message carrying one Adaptive Card.
pub fn adaptive_card_payload(m: &Outgoing) -> Value {
    let (style, color) = styles(m.severity);
    let mut body = vec![json!({
        "type": "Container",
        "style": style,
        "bleed": true,
        "items": [{
            "type": "TextBlock",
            "text": escape_card_text(&m.subject()),
            "weight": "bolder",
            "size": "large",
            "color": color,
            "wrap": true,
        }],
    })];
    for p in paragraphs(&m.text) {
        body.push(json!({ "type": "TextBlock", "text": p, "wrap": true }));
    }
    let fact =
        |title: &str, value: &str| json!({ "title": title, "value": escape_card_text(value) });
    let next = if m.next_update.is_empty() {
        "none scheduled"
    } else {
        m.next_update.as_str()
    };
    body.push(json!({
        "type": "FactSet",
        "facts": [
            fact("Severity", m.severity.label()),
            fact("Status", m.status.label()),
            fact("T+", &m.t_plus),
            fact("Next update", next),
        ],
    }));
    json!({
        "type": "message",
        "attachments": [{
            "contentType": "application/vnd.microsoft.card.adaptive",
            "contentUrl": null,
            "content": {
                "$schema": "http://adaptivecards.io/schemas/adaptive-card.json",
                "type": "AdaptiveCard",
                "version": CARD_VERSION,
                "body": body,
            },
        }],
    })
}

/// The legacy connector body: a MessageCard. Teams shows a lone newline as a space, so each line
/// of the text becomes its own paragraph.
pub fn message_card_payload(m: &Outgoing) -> Value {
    let color = match m.severity {
        Severity::Sev1 => "C50F1F",
        Severity::Sev2 => "E8590C",
        Severity::Sev3 => "F2C200",
        Severity::Sev4 => "8A8886",
    };
    json!({
        "@type": "MessageCard",
        "@context": "https://schema.org/extensions",
        "summary": m.subject(),
        "themeColor": color,
        "title": m.subject(),
        "text": m.text.lines().collect::<Vec<_>>().join("\n\n"),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn markdown_is_escaped_only_where_it_would_change_the_text() {
        assert_eq!(
            escape_card_text("plain text, 30 min."),
            "plain text, 30 min."
        );
        assert_eq!(
            escape_card_text("**not bold** _nor_ [a](link)"),
            "\\*\\*not bold\\*\\* \\_nor\\_ \\[a\\](link)"
        );
        assert_eq!(
            escape_card_text("- item\n  12. step"),
            "\\- item\n  12\\. step"
        );
        assert_eq!(escape_card_text("2026. was long"), "2026\\. was long");
        assert_eq!(escape_card_text("R&D &amp; more"), "R&D \\&amp; more");
        assert_eq!(escape_card_text("a - b 3. c"), "a - b 3. c");
        assert_eq!(
            escape_card_text("{{DATE(2026-01-01T00:00:00Z)}}"),
            "{\u{200B}{DATE(2026-01-01T00:00:00Z)}}"
        );
        assert_eq!(escape_card_text("C:\\path"), "C:\\\\path");
    }

    #[test]
    fn paragraphs_split_on_blank_lines() {
        assert_eq!(
            paragraphs("Impact:\n- a\n\n\nNext update: 14:33"),
            ["Impact:\n\n\\- a", "Next update: 14:33"]
        );
    }
}
