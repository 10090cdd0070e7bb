//! The report as one self-contained, printable HTML page: inline CSS, no script, nothing
//! fetched from elsewhere (a Content-Security-Policy says so to the browser too), every
//! external string escaped.

use std::fmt::Write as _;

use super::ExportOptions;
use super::model::{self, Block, ParaKind, Span};
use crate::domain::incident::Incident;

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

fn spans(spans: &[Span]) -> String {
    let mut out = String::new();
    for s in spans {
        match s {
            Span::Word(t) | Span::Line(t) => out.push_str(&escape(t)),
            Span::Lines(t) => out.push_str(&lines(t)),
            Span::Strong(t) => {
                let _ = write!(out, "<strong>{}</strong>", escape(t));
            }
            Span::Pin => out.push_str("<span class=\"pin\">★</span>"),
        }
    }
    out
}

fn block_html(o: &mut String, b: &Block) {
    match b {
        Block::Heading(level, s) => {
            let _ = writeln!(o, "<h{level}>{}</h{level}>", spans(s));
        }
        Block::Facts(facts) => {
            let _ = writeln!(o, "<table class=\"facts\">");
            for (k, v) in facts {
                let _ = writeln!(o, "<tr><th>{}</th><td>{}</td></tr>", escape(k), spans(v));
            }
            let _ = writeln!(o, "</table>");
        }
        Block::Table { columns, rows } => {
            let _ = write!(o, "<table>\n<tr>");
            for c in columns {
                let _ = write!(o, "<th>{}</th>", escape(c.title));
            }
            let _ = writeln!(o, "</tr>");
            for r in rows {
                o.push_str("<tr>");
                for (c, cell) in columns.iter().zip(r) {
                    let class = if c.time { " class=\"t\"" } else { "" };
                    let _ = write!(o, "<td{class}>{}</td>", spans(cell));
                }
                let _ = writeln!(o, "</tr>");
            }
            let _ = writeln!(o, "</table>");
        }
        Block::Para(kind, s) => {
            let class = match kind {
                ParaKind::Plain => "",
                ParaKind::Quiet => " class=\"none\"",
                ParaKind::Warning => " class=\"override\"",
            };
            let _ = writeln!(o, "<p{class}>{}</p>", spans(s));
        }
        Block::Text(t) => {
            let _ = writeln!(o, "<p>{}</p>", lines(t.trim()));
        }
        Block::List(items) => {
            let _ = writeln!(o, "<ul>");
            for i in items {
                let _ = write!(o, "<li>{}", spans(&i.spans));
                if !i.sub.is_empty() {
                    o.push_str("<ul>");
                    for sub in &i.sub {
                        let _ = write!(o, "<li>{}</li>", spans(sub));
                    }
                    o.push_str("</ul>");
                }
                let _ = writeln!(o, "</li>");
            }
            let _ = writeln!(o, "</ul>");
        }
    }
}

/// The whole page: the head, the title, then every block of the [`Report`].
pub fn render(inc: &Incident, opts: &ExportOptions) -> String {
    let report = model::build(inc, opts);
    let mut o = String::new();
    let _ = writeln!(
        o,
        "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n\
<meta http-equiv=\"Content-Security-Policy\" content=\"default-src 'none'; style-src 'unsafe-inline'\">\n\
<title>Incident report: {}</title>\n<style>\n{STYLE}</style>\n</head>\n<body>",
        escape(&report.title)
    );
    let _ = writeln!(o, "<h1>Incident report: {}</h1>", escape(&report.title));
    if report.drill {
        let _ = writeln!(
            o,
            "<p class=\"drill\">DRILL: this incident was an exercise.</p>"
        );
    }
    for b in &report.blocks {
        block_html(&mut o, b);
    }
    let _ = writeln!(o, "</body>\n</html>");
    o
}
