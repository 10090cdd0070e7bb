//! The report as one self-contained, printable HTML page: inline CSS, no script, nothing
//! fetched from elsewhere (a Content-Security-Policy says so to the browser too), every
//! external string escaped.

use std::fmt::Write as _;

use super::{
    ExportOptions, Stamp, health_seen, playbook_outcome, state_line, timeline, traces, when,
};
use crate::domain::closing::{durations, key_times};
use crate::domain::incident::{Incident, Role};
use crate::domain::time::format_duration;

/// Escapes text for HTML element content and attribute values.
pub fn escape(s: &str) -> String {
    let mut out = String::with_capacity(s.len() + 8);
    for c in super::clean(s).chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            '\r' => {}
            c if c.is_control() && c != '\n' && c != '\t' => {}
            c => out.push(c),
        }
    }
    out
}

/// Escaped, with line breaks kept.
fn lines(s: &str) -> String {
    escape(s).replace('\n', "<br>")
}

fn para(s: &str, none: &str) -> String {
    if s.trim().is_empty() {
        format!("<p class=\"none\">{}</p>", escape(none))
    } else {
        format!("<p>{}</p>", lines(s.trim()))
    }
}

const STYLE: &str = "\
body{font-family:system-ui,-apple-system,'Segoe UI',sans-serif;margin:2em auto;max-width:60em;color:#111;line-height:1.4}
h1{font-size:1.6em;margin-bottom:.2em}h2{border-bottom:1px solid #999;margin-top:1.6em}
table{border-collapse:collapse;width:100%;margin:.5em 0}
th,td{border:1px solid #bbb;padding:.25em .5em;text-align:left;vertical-align:top}
th{background:#eee}td.t{white-space:nowrap;font-variant-numeric:tabular-nums}
.none{color:#666;font-style:italic}.drill{background:#ffd54f;padding:.5em;font-weight:bold}
.override{background:#fde0dc;padding:.5em}.pin{color:#b8860b}
tr{page-break-inside:avoid}@media print{body{margin:0;max-width:none}}
";

/// The whole page.
pub fn render(inc: &Incident, opts: &ExportOptions) -> String {
    let z = opts.zone;
    let mut o = String::new();
    let _ = writeln!(
        o,
        "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n\
<meta http-equiv=\"Content-Security-Policy\" content=\"default-src 'none'; style-src 'unsafe-inline'\">\n\
<title>Incident report: {}</title>\n<style>\n{STYLE}</style>\n</head>\n<body>",
        escape(&inc.title)
    );
    let _ = writeln!(o, "<h1>Incident report: {}</h1>", escape(&inc.title));
    if inc.drill {
        let _ = writeln!(
            o,
            "<p class=\"drill\">DRILL: this incident was an exercise.</p>"
        );
    }
    let _ = writeln!(o, "<table class=\"facts\">");
    let mut fact = |k: &str, v: String| {
        let _ = writeln!(o, "<tr><th>{}</th><td>{v}</td></tr>", escape(k));
    };
    fact("Incident", escape(&inc.id));
    fact("Severity", inc.severity.label().to_string());
    fact("Status", escape(&state_line(inc, z)));
    fact(
        "Opened",
        format!(
            "{} by {}",
            escape(&when(inc.opened_at, z)),
            escape(&inc.opened_by)
        ),
    );
    for role in Role::ALL {
        if let Some(p) = inc.roles.get(role) {
            let mut label = role.label().to_string();
            label[..1].make_ascii_uppercase();
            fact(&label, escape(p));
        }
    }
    fact("Times in", escape(&z.name()));
    fact("Report made", escape(&when(opts.generated_at, z)));
    let _ = writeln!(o, "</table>");

    let _ = writeln!(
        o,
        "<h2>Key times</h2>\n<table>\n<tr><th>Key time</th><th>When</th><th>Source</th></tr>"
    );
    for k in key_times(inc) {
        let at = k.at.map(|a| when(a, z)).unwrap_or_else(|| "not yet".into());
        let src = match (k.at, k.set) {
            (None, _) => "",
            (Some(_), true) => "set by hand",
            (Some(_), false) => "proposed from the timeline",
        };
        let _ = writeln!(
            o,
            "<tr><td>{}</td><td class=\"t\">{}</td><td>{src}</td></tr>",
            k.which,
            escape(&at)
        );
    }
    let _ = writeln!(o, "</table>\n<table>\n<tr><th>Duration</th><th></th></tr>");
    for (m, d) in durations(inc) {
        let d = d.map(format_duration).unwrap_or_else(|| "not yet".into());
        let _ = writeln!(o, "<tr><td>{}</td><td>{}</td></tr>", m.label(), escape(&d));
    }
    let _ = writeln!(o, "</table>");

    let closing = inc.closing.as_ref();
    let not_closed = "Not written yet: the incident has not been closed.";
    let section = |o: &mut String, title: &str, text: Option<&str>, none: &str| {
        let body = match text {
            Some(t) => para(t, none),
            None => para("", not_closed),
        };
        let _ = writeln!(o, "<h2>{title}</h2>\n{body}");
    };
    section(
        &mut o,
        "Summary",
        closing.map(|c| c.summary.as_str()),
        "None given.",
    );
    if let Some(c) = closing
        && inc.closed_at.is_none()
    {
        let _ = writeln!(
            o,
            "<p class=\"none\">Written at the close of {}; the incident was reopened since.</p>",
            escape(&when(c.at, z))
        );
    }
    section(
        &mut o,
        "Impact",
        closing.map(|c| c.impact.as_str()),
        "None given.",
    );
    section(
        &mut o,
        "Root cause",
        closing.map(|c| c.root_cause.as_str()),
        "Not known yet.",
    );
    if let Some(r) = closing.and_then(|c| c.override_reason.as_deref()) {
        let _ = writeln!(
            o,
            "<p class=\"override\"><strong>Closed with required playbook steps open.</strong> Reason: {}</p>",
            lines(r)
        );
    }

    let rows: Vec<_> = timeline(inc, opts).collect();
    let _ = writeln!(
        o,
        "<h2>Timeline</h2>\n<p>{} entries{}; times in {}; <span class=\"pin\">★</span> marks a pinned entry.</p>",
        rows.len(),
        if opts.pinned_only {
            " (pinned only)"
        } else {
            ""
        },
        escape(&z.name())
    );
    if rows.is_empty() {
        let _ = writeln!(o, "<p class=\"none\">No entries.</p>");
    } else {
        let _ = writeln!(
            o,
            "<table>\n<tr><th>Date</th><th>Time</th><th>Kind</th><th>Author</th><th>Entry</th></tr>"
        );
        for e in rows {
            let s = Stamp::of(e.occurred_at, z);
            let _ = writeln!(
                o,
                "<tr><td class=\"t\">{}</td><td class=\"t\">{} {}</td><td>{}</td><td>{}</td><td>{}{}</td></tr>",
                s.date,
                s.time,
                s.offset,
                e.kind,
                escape(&e.author),
                if e.pinned {
                    "<span class=\"pin\">★</span> "
                } else {
                    ""
                },
                lines(&e.text)
            );
        }
        let _ = writeln!(o, "</table>");
    }

    let _ = writeln!(o, "<h2>Playbook outcome</h2>");
    let outcome = playbook_outcome(inc);
    if outcome.is_empty() {
        let _ = writeln!(o, "<p class=\"none\">No playbook was attached.</p>");
    }
    for (name, steps) in outcome {
        let _ = writeln!(
            o,
            "<h3>{}</h3>\n<table>\n<tr><th>Step</th><th>State</th><th>Owner</th><th>Last change</th><th>Reason for skip</th></tr>",
            escape(&name)
        );
        for s in steps {
            let change = match (&s.changed_by, s.changed_at) {
                (Some(by), Some(at)) => format!("{} at {}", escape(by), escape(&when(at, z))),
                _ => String::new(),
            };
            let _ = writeln!(
                o,
                "<tr><td>{}: {}{}</td><td>{}</td><td>{}</td><td>{change}</td><td>{}</td></tr>",
                escape(&s.section),
                escape(&s.title),
                if s.required { " (required)" } else { "" },
                s.status,
                escape(s.owner.as_deref().unwrap_or("")),
                lines(s.reason.as_deref().unwrap_or(""))
            );
        }
        let _ = writeln!(o, "</table>");
    }

    let _ = writeln!(o, "<h2>Health items seen</h2>");
    let health = health_seen(inc);
    if health.is_empty() {
        let _ = writeln!(o, "<p class=\"none\">None recorded.</p>");
    } else {
        let _ = writeln!(o, "<ul>");
        for h in health {
            let level = h.level.map(|l| l.as_str()).unwrap_or("unknown");
            let _ = write!(
                o,
                "<li><strong>{}</strong> {}: last level {level}",
                escape(&h.source),
                escape(h.item.as_deref().unwrap_or("(whole source)"))
            );
            if !h.changes.is_empty() {
                let _ = write!(o, "<ul>");
                for (at, text) in &h.changes {
                    let _ = write!(o, "<li>{}: {}</li>", escape(&when(*at, z)), lines(text));
                }
                let _ = write!(o, "</ul>");
            }
            let _ = writeln!(o, "</li>");
        }
        let _ = writeln!(o, "</ul>");
    }

    let _ = writeln!(o, "<h2>Trace snapshots</h2>");
    let tr = traces(inc);
    if tr.is_empty() {
        let _ = writeln!(o, "<p class=\"none\">None recorded.</p>");
    } else {
        let _ = writeln!(o, "<ul>");
        for e in tr {
            let _ = writeln!(
                o,
                "<li>{} ({}): {}</li>",
                escape(&when(e.occurred_at, z)),
                escape(&e.author),
                lines(&e.text)
            );
        }
        let _ = writeln!(o, "</ul>");
    }

    let _ = writeln!(o, "<h2>Follow-ups</h2>");
    match closing.map(|c| &c.follow_ups) {
        Some(f) if !f.is_empty() => {
            let _ = writeln!(
                o,
                "<table>\n<tr><th>Action</th><th>Owner</th><th>Due</th></tr>"
            );
            for f in f {
                let _ = writeln!(
                    o,
                    "<tr><td>{}</td><td>{}</td><td>{}</td></tr>",
                    escape(&f.action),
                    escape(&f.owner),
                    escape(f.due.as_deref().unwrap_or(""))
                );
            }
            let _ = writeln!(o, "</table>");
        }
        _ => {
            let _ = writeln!(o, "<p class=\"none\">None recorded.</p>");
        }
    }
    let _ = writeln!(o, "</body>\n</html>");
    o
}
