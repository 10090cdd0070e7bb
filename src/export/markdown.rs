//! The report as Markdown (CommonMark with pipe tables).
//!
//! Text from outside is escaped so it can neither start Markdown structure nor carry HTML:
//! `\` `` ` `` `*` `_` `[` `]` `|` `~` `#` are backslash-escaped, `<` `>` `&` become entities,
//! and a newline inside a table cell becomes `<br>`.

use std::fmt::Write as _;

use super::ExportOptions;
use super::model::{self, Block, ParaKind, Span};
use crate::domain::incident::Incident;

/// Escapes text for one line of Markdown (a table cell, a heading, a list item).
pub fn inline(s: &str) -> String {
    let mut out = String::with_capacity(s.len() + 8);
    for c in super::clean(s).chars() {
        match c {
            '\\' | '`' | '*' | '_' | '[' | ']' | '|' | '~' | '#' => {
                out.push('\\');
                out.push(c);
            }
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '&' => out.push_str("&amp;"),
            '\n' => out.push_str("<br>"),
            '\r' => {}
            '\t' => out.push(' '),
            c if c.is_control() => {}
            c => out.push(c),
        }
    }
    out
}

/// Escapes free text (a summary) as paragraphs: lines kept, nothing at a line start can begin a
/// list, a heading, a quote or a code block.
pub fn block(s: &str) -> String {
    let mut lines = Vec::new();
    for line in s.lines() {
        let t = line.trim();
        if t.is_empty() {
            lines.push(String::new());
            continue;
        }
        let mut esc = inline(t);
        if esc.starts_with(['-', '+', '=']) {
            esc.insert(0, '\\');
        }
        let digits = esc.chars().take_while(|c| c.is_ascii_digit()).count();
        if digits > 0 && esc[digits..].starts_with(['.', ')']) {
            esc.insert(digits, '\\');
        }
        lines.push(esc);
    }
    // Hard line breaks inside a paragraph, blank lines between paragraphs.
    let mut out = String::new();
    for (i, l) in lines.iter().enumerate() {
        out.push_str(l);
        let next_blank = lines.get(i + 1).is_none_or(|n| n.is_empty());
        if i + 1 < lines.len() {
            out.push_str(if l.is_empty() || next_blank {
                "\n"
            } else {
                "  \n"
            });
        }
    }
    out
}

fn spans(spans: &[Span]) -> String {
    let mut out = String::new();
    for s in spans {
        match s {
            Span::Word(w) => out.push_str(w),
            Span::Line(t) | Span::Lines(t) => out.push_str(&inline(t)),
            Span::Strong(t) => {
                let _ = write!(out, "**{}**", inline(t));
            }
            Span::Pin => out.push('★'),
        }
    }
    out
}

pub(crate) fn block_text(o: &mut String, b: &Block) {
    match b {
        Block::Heading(level, s) => {
            let _ = writeln!(o, "{} {}", "#".repeat(usize::from(*level)), spans(s));
        }
        Block::Facts(facts) => {
            let _ = writeln!(o, "| | |\n|---|---|");
            for (k, v) in facts {
                let _ = writeln!(o, "| {k} | {} |", spans(v));
            }
        }
        Block::Table { columns, rows } => {
            o.push('|');
            for c in columns {
                o.push_str(&if c.title.is_empty() {
                    " |".to_string()
                } else {
                    format!(" {} |", c.title)
                });
            }
            let _ = writeln!(o, "\n|{}", "---|".repeat(columns.len()));
            for r in rows {
                let cells: Vec<String> = r.iter().map(|c| spans(c)).collect();
                let _ = writeln!(o, "| {} |", cells.join(" | "));
            }
        }
        Block::Para(ParaKind::Quiet, s) => {
            let _ = writeln!(o, "_{}_", spans(s));
        }
        Block::Para(_, s) => {
            let _ = writeln!(o, "{}", spans(s));
        }
        Block::Text(t) => {
            let _ = writeln!(o, "{}", block(t));
        }
        Block::List(items) => {
            for i in items {
                let _ = writeln!(o, "- {}", spans(&i.spans));
                for sub in &i.sub {
                    let _ = writeln!(o, "  - {}", spans(sub));
                }
            }
        }
    }
}

/// The whole report: the title, then every block of the [`Report`] with a blank line between.
pub fn render(inc: &Incident, opts: &ExportOptions) -> String {
    let report = model::build(inc, opts);
    let mut o = String::new();
    let _ = writeln!(o, "# Incident report: {}\n", inline(&report.title));
    if report.drill {
        let _ = writeln!(o, "> **DRILL**: this incident was an exercise.\n");
    }
    for (i, b) in report.blocks.iter().enumerate() {
        if i > 0 {
            o.push('\n');
        }
        block_text(&mut o, b);
    }
    o
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn inline_escapes_structure_and_html() {
        assert_eq!(
            inline("a|b `x` <script>&*_[l](u)\nz"),
            "a\\|b \\`x\\` &lt;script&gt;&amp;\\*\\_\\[l\\](u)<br>z"
        );
    }

    #[test]
    fn block_stops_lists_and_headings() {
        assert_eq!(
            block("- a\n# b\n1. c\n\nd"),
            "\\- a  \n\\# b  \n1\\. c\n\nd"
        );
    }
}
