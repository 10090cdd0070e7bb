//! The timeline as CSV (RFC 4180: comma separated, CRLF line ends, fields with a comma, quote
//! or line break quoted, quotes doubled). A cell that starts with `=`, `+`, `-`, `@`, a tab or a
//! carriage return gets a leading `'` so a spreadsheet does not run it as a formula. Escape
//! sequences and control characters other than line breaks and tabs are dropped.

use super::{ExportOptions, Stamp, timeline};
use crate::domain::incident::Incident;

/// Columns, in order.
pub const HEADER: [&str; 10] = [
    "date",
    "time",
    "utc_offset",
    "kind",
    "author",
    "pinned",
    "text",
    "logged_at_utc",
    "entry_id",
    "marker",
];

/// One cell, neutralised and quoted as needed.
pub fn cell(s: &str) -> String {
    let mut v = String::with_capacity(s.len() + 2);
    let s = super::clean(s);
    if s.starts_with(['=', '+', '-', '@', '\t', '\r']) {
        v.push('\'');
    }
    // No escape sequences or control characters but the line break and the tab: nothing a
    // terminal would act on when the file is printed.
    v.push_str(&s);
    if v.contains([',', '"', '\n', '\r']) {
        format!("\"{}\"", v.replace('"', "\"\""))
    } else {
        v
    }
}

/// The timeline.
pub fn render(inc: &Incident, opts: &ExportOptions) -> String {
    let mut out = String::new();
    out.push_str(&HEADER.join(","));
    out.push_str("\r\n");
    for e in timeline(inc, opts) {
        let s = Stamp::of(e.occurred_at, opts.zone);
        let row = [
            s.date,
            s.time,
            format!("UTC{}", s.offset),
            e.kind.to_string(),
            e.author.clone(),
            if e.pinned { "yes" } else { "no" }.to_string(),
            e.text.clone(),
            e.logged_at.format("%Y-%m-%dT%H:%M:%SZ").to_string(),
            e.id.to_string(),
            inc.markers
                .get(&e.id)
                .map(|m| m.as_str().to_string())
                .unwrap_or_default(),
        ];
        let cells: Vec<String> = row.iter().map(|c| cell(c)).collect();
        out.push_str(&cells.join(","));
        out.push_str("\r\n");
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn quoting_and_formula_neutralising() {
        assert_eq!(cell("plain"), "plain");
        assert_eq!(cell("a,b"), "\"a,b\"");
        assert_eq!(cell("say \"hi\""), "\"say \"\"hi\"\"\"");
        assert_eq!(cell("two\nlines"), "\"two\nlines\"");
        assert_eq!(cell("=1+2"), "'=1+2");
        assert_eq!(cell("@SUM(A1)"), "'@SUM(A1)");
        assert_eq!(cell("-5"), "'-5");
        assert_eq!(cell("+x,y"), "\"'+x,y\"");
    }
}
