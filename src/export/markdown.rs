//! The report as Markdown (CommonMark with pipe tables).
//!
//! Text from outside is escaped so it can neither start Markdown structure nor carry HTML:
//! `\` `` ` `` `*` `_` `[` `]` `|` `~` `#` are backslash-escaped, `<` `>` `&` become entities,
//! and a newline inside a table cell becomes `<br>`.

use std::fmt::Write as _;

use super::{
    ExportOptions, Stamp, health_seen, playbook_outcome, state_line, timeline, traces, when,
};
use crate::domain::closing::{durations, key_times};
use crate::domain::incident::{Incident, Role};
use crate::domain::time::format_duration;

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

fn or_none(s: &str, none: &str) -> String {
    if s.trim().is_empty() {
        format!("_{none}_")
    } else {
        block(s)
    }
}

/// The whole report.
pub fn render(inc: &Incident, opts: &ExportOptions) -> String {
    let z = opts.zone;
    let mut o = String::new();
    let _ = writeln!(o, "# Incident report: {}\n", inline(&inc.title));
    if inc.drill {
        let _ = writeln!(o, "> **DRILL**: this incident was an exercise.\n");
    }
    let _ = writeln!(o, "| | |\n|---|---|");
    let _ = writeln!(o, "| Incident | {} |", inline(&inc.id));
    let _ = writeln!(o, "| Severity | {} |", inc.severity.label());
    let _ = writeln!(o, "| Status | {} |", inline(&state_line(inc, z)));
    let _ = writeln!(
        o,
        "| Opened | {} by {} |",
        when(inc.opened_at, z),
        inline(&inc.opened_by)
    );
    for role in Role::ALL {
        if let Some(p) = inc.roles.get(role) {
            let mut label = role.label().to_string();
            label[..1].make_ascii_uppercase();
            let _ = writeln!(o, "| {label} | {} |", inline(p));
        }
    }
    let _ = writeln!(o, "| Times in | {} |", z.name());
    let _ = writeln!(o, "| Report made | {} |", when(opts.generated_at, z));

    let _ = writeln!(
        o,
        "\n## Key times\n\n| Key time | When | Source |\n|---|---|---|"
    );
    for k in key_times(inc) {
        let at = k.at.map(|a| when(a, z)).unwrap_or_else(|| "not yet".into());
        let src = match (k.at, k.set) {
            (None, _) => "",
            (Some(_), true) => "set by hand",
            (Some(_), false) => "proposed from the timeline",
        };
        let _ = writeln!(o, "| {} | {at} | {src} |", k.which);
    }
    let _ = writeln!(o, "\n| Duration | |\n|---|---|");
    for (m, d) in durations(inc) {
        let d = d.map(format_duration).unwrap_or_else(|| "not yet".into());
        let _ = writeln!(o, "| {} | {d} |", m.label());
    }

    let closing = inc.closing.as_ref();
    let not_closed = "Not written yet: the incident has not been closed.";
    let _ = writeln!(
        o,
        "\n## Summary\n\n{}",
        closing.map_or(format!("_{not_closed}_"), |c| or_none(
            &c.summary,
            "None given."
        ))
    );
    if let Some(c) = closing
        && inc.closed_at.is_none()
    {
        let _ = writeln!(
            o,
            "\n_Written at the close of {}; the incident was reopened since._",
            when(c.at, z)
        );
    }
    let _ = writeln!(
        o,
        "\n## Impact\n\n{}",
        closing.map_or(format!("_{not_closed}_"), |c| or_none(
            &c.impact,
            "None given."
        ))
    );
    let _ = writeln!(
        o,
        "\n## Root cause\n\n{}",
        closing.map_or(format!("_{not_closed}_"), |c| or_none(
            &c.root_cause,
            "Not known yet."
        ))
    );
    if let Some(r) = closing.and_then(|c| c.override_reason.as_deref()) {
        let _ = writeln!(
            o,
            "\n**Closed with required playbook steps open.** Reason: {}",
            inline(r)
        );
    }

    let rows: Vec<_> = timeline(inc, opts).collect();
    let _ = writeln!(
        o,
        "\n## Timeline\n\n{} entries{}; times in {}; ★ marks a pinned entry.\n",
        rows.len(),
        if opts.pinned_only {
            " (pinned only)"
        } else {
            ""
        },
        z.name()
    );
    if rows.is_empty() {
        let _ = writeln!(o, "_No entries._");
    } else {
        let _ = writeln!(
            o,
            "| Date | Time | Kind | Author | Entry |\n|---|---|---|---|---|"
        );
        for e in rows {
            let s = Stamp::of(e.occurred_at, z);
            let _ = writeln!(
                o,
                "| {} | {} {} | {} | {} | {}{} |",
                s.date,
                s.time,
                s.offset,
                e.kind,
                inline(&e.author),
                if e.pinned { "★ " } else { "" },
                inline(&e.text)
            );
        }
    }

    let _ = writeln!(o, "\n## Playbook outcome\n");
    let outcome = playbook_outcome(inc);
    if outcome.is_empty() {
        let _ = writeln!(o, "_No playbook was attached._");
    }
    for (name, steps) in outcome {
        let _ = writeln!(
            o,
            "### {}\n\n| Step | State | Owner | Last change | Reason for skip |\n|---|---|---|---|---|",
            inline(&name)
        );
        for s in steps {
            let change = match (&s.changed_by, s.changed_at) {
                (Some(by), Some(at)) => format!("{} at {}", inline(by), when(at, z)),
                _ => String::new(),
            };
            let _ = writeln!(
                o,
                "| {}: {}{} | {} | {} | {change} | {} |",
                inline(&s.section),
                inline(&s.title),
                if s.required { " (required)" } else { "" },
                s.status,
                inline(s.owner.as_deref().unwrap_or("")),
                inline(s.reason.as_deref().unwrap_or(""))
            );
        }
        let _ = writeln!(o);
    }

    let _ = writeln!(o, "## Health items seen\n");
    let health = health_seen(inc);
    if health.is_empty() {
        let _ = writeln!(o, "_None recorded._");
    }
    for h in health {
        let level = h.level.map(|l| l.as_str()).unwrap_or("unknown");
        let _ = writeln!(
            o,
            "- **{}** {}: last level {level}",
            inline(&h.source),
            inline(h.item.as_deref().unwrap_or("(whole source)"))
        );
        for (at, text) in &h.changes {
            let _ = writeln!(o, "  - {}: {}", when(*at, z), inline(text));
        }
    }

    let _ = writeln!(o, "\n## Trace snapshots\n");
    let tr = traces(inc);
    if tr.is_empty() {
        let _ = writeln!(o, "_None recorded._");
    }
    for e in tr {
        let _ = writeln!(
            o,
            "- {} ({}): {}",
            when(e.occurred_at, z),
            inline(&e.author),
            inline(&e.text)
        );
    }

    let _ = writeln!(o, "\n## Follow-ups\n");
    match closing.map(|c| &c.follow_ups) {
        Some(f) if !f.is_empty() => {
            let _ = writeln!(o, "| Action | Owner | Due |\n|---|---|---|");
            for f in f {
                let _ = writeln!(
                    o,
                    "| {} | {} | {} |",
                    inline(&f.action),
                    inline(&f.owner),
                    inline(f.due.as_deref().unwrap_or(""))
                );
            }
        }
        _ => {
            let _ = writeln!(o, "_None recorded._");
        }
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
