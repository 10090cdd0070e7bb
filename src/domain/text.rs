//! Hostile external text made safe for state: no terminal escapes, no control characters,
//! bounded length.

use std::borrow::Cow;

/// Default cap for a single field taken from outside (a title, a status text).
pub const FIELD_CAP: usize = 4 * 1024;
/// Default cap for a body taken from outside (a post, a long description).
pub const BODY_CAP: usize = 64 * 1024;

/// Removes ANSI/VT escape sequences (CSI, OSC, DCS, SOS/PM/APC and two-byte ESC forms) and every
/// control character except `\n` and `\t`, turns `\r\n` and lone `\r` into `\n`, and caps the
/// result at `max` bytes on a character boundary (adding `…` when cut).
pub fn sanitize(input: &str, max: usize) -> String {
    let mut out = strip(input, max, CarriageReturn::ToNewline);
    if out.len() > max {
        let mut cut = max.saturating_sub('…'.len_utf8());
        while cut > 0 && !out.is_char_boundary(cut) {
            cut -= 1;
        }
        out.truncate(cut);
        out.push('…');
    }
    out
}

/// Text on its way to a terminal or a pipe (what the command-line verbs print): the same
/// escapes, control characters (C0 but `\n` and `\t`, DEL, C1) and bidi overrides as
/// [`sanitize`] removes are removed, whatever wrote the text; a `\r` is kept only in `\r\n`
/// (a report in CRLF form stays byte for byte), a lone one is dropped. Nothing is cut. Text that
/// is clean already is handed back as it is, without a copy.
pub fn clean_for_terminal(input: &str) -> Cow<'_, str> {
    if !input.chars().any(needs_cleaning) {
        return Cow::Borrowed(input);
    }
    Cow::Owned(strip(input, usize::MAX, CarriageReturn::KeepInCrLf))
}

/// JSON text on its way out: serde_json escapes C0 controls inside strings but writes DEL and
/// the C1 controls (U+0080–U+009F) raw, and some terminals act on those. They (and bidi
/// overrides) are written as `\u007f`, `\u0080`… instead, which is the same JSON value. Only
/// valid on JSON text (such characters can only stand inside its strings).
pub fn escape_json_controls(json: &str) -> Cow<'_, str> {
    let raw = |c: char| ('\u{7f}'..='\u{9f}').contains(&c) || is_bidi_override(c);
    if !json.chars().any(raw) {
        return Cow::Borrowed(json);
    }
    let mut out = String::with_capacity(json.len() + 16);
    for c in json.chars() {
        if raw(c) {
            out.push_str(&format!("\\u{:04x}", c as u32));
        } else {
            out.push(c);
        }
    }
    Cow::Owned(out)
}

/// Whether a character is one [`sanitize`] and [`clean_for_terminal`] remove (or rewrite).
fn needs_cleaning(c: char) -> bool {
    (c.is_control() && c != '\n' && c != '\t') || is_bidi_override(c)
}

/// Bidi overrides and isolates can make text lie about its order on screen.
fn is_bidi_override(c: char) -> bool {
    matches!(c, '\u{202a}'..='\u{202e}' | '\u{2066}'..='\u{2069}')
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum CarriageReturn {
    /// `\r\n` and a lone `\r` both become `\n`.
    ToNewline,
    /// `\r\n` stays; a lone `\r` goes.
    KeepInCrLf,
}

/// The one filter behind [`sanitize`] and [`clean_for_terminal`]; stops once past `max` bytes.
fn strip(input: &str, max: usize, cr: CarriageReturn) -> String {
    let mut out = String::with_capacity(input.len().min(max));
    let mut chars = input.chars().peekable();
    while let Some(c) = chars.next() {
        match c {
            '\u{1b}' => skip_escape(&mut chars),
            // C1 introducers, the 8-bit forms of ESC [ / ESC ] / ESC P and friends.
            '\u{9b}' => skip_csi(&mut chars),
            '\u{9d}' | '\u{90}' | '\u{98}' | '\u{9e}' | '\u{9f}' => skip_string(&mut chars),
            '\r' => match (cr, chars.peek() == Some(&'\n')) {
                (CarriageReturn::ToNewline, false) => out.push('\n'),
                (CarriageReturn::KeepInCrLf, true) => out.push('\r'),
                _ => {}
            },
            '\n' | '\t' => out.push(c),
            c if c.is_control() || is_bidi_override(c) => {}
            c => out.push(c),
        }
        if out.len() > max {
            break;
        }
    }
    out
}

/// Like [`sanitize`] but for one-line fields: newlines and tabs become spaces and runs of
/// white space collapse, ends trimmed.
pub fn sanitize_line(input: &str, max: usize) -> String {
    let cleaned = sanitize(input, max);
    let mut out = String::with_capacity(cleaned.len());
    for word in cleaned.split_whitespace() {
        if !out.is_empty() {
            out.push(' ');
        }
        out.push_str(word);
    }
    out
}

fn skip_escape(chars: &mut std::iter::Peekable<std::str::Chars<'_>>) {
    match chars.next() {
        Some('[') => skip_csi(chars),
        Some(']') | Some('P') | Some('X') | Some('^') | Some('_') => skip_string(chars),
        // ESC followed by intermediates then a final byte (e.g. ESC ( B).
        Some(c) if ('\u{20}'..='\u{2f}').contains(&c) => {
            while let Some(&n) = chars.peek() {
                chars.next();
                if !('\u{20}'..='\u{2f}').contains(&n) {
                    break;
                }
            }
        }
        _ => {}
    }
}

fn skip_csi(chars: &mut std::iter::Peekable<std::str::Chars<'_>>) {
    // Parameters and intermediates, then one final byte in 0x40..=0x7e.
    for c in chars.by_ref() {
        if ('\u{40}'..='\u{7e}').contains(&c) {
            break;
        }
        if !('\u{20}'..='\u{3f}').contains(&c) {
            break;
        }
    }
}

fn skip_string(chars: &mut std::iter::Peekable<std::str::Chars<'_>>) {
    // Until BEL, ST (ESC \) or the 8-bit ST.
    while let Some(c) = chars.next() {
        match c {
            '\u{7}' | '\u{9c}' => break,
            '\u{1b}' => {
                if chars.peek() == Some(&'\\') {
                    chars.next();
                }
                break;
            }
            _ => {}
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn strips_csi_osc_and_controls() {
        let hostile = "ok\u{1b}[31mred\u{1b}[0m \u{1b}]0;pwned\u{7}title\u{1b}]52;c;Zm9v\u{1b}\\ \u{8}\u{0}end";
        assert_eq!(sanitize(hostile, 100), "okred title end");
    }

    #[test]
    fn strips_c1_and_bidi() {
        assert_eq!(sanitize("a\u{9b}2Jb\u{202e}c", 100), "abc");
    }

    #[test]
    fn keeps_newlines_and_normalises_cr() {
        assert_eq!(sanitize("a\r\nb\rc\nd\te", 100), "a\nb\nc\nd\te");
    }

    #[test]
    fn caps_on_char_boundary() {
        let s = "é".repeat(100);
        let out = sanitize(&s, 11);
        assert!(out.len() <= 11, "{}", out.len());
        assert!(out.ends_with('…'));
    }

    #[test]
    fn terminal_output_drops_escapes_c0_and_c1_but_keeps_crlf() {
        let hostile =
            "a\u{1b}[2Jb\u{1b}]0;t\u{7}c\u{7}\u{8}\u{7f}d\u{85}e\u{9b}31mf\u{202e}g\rh\r\n\ti";
        assert_eq!(clean_for_terminal(hostile), "abcdefgh\r\n\ti");
        assert!(matches!(
            clean_for_terminal("plain\ttext\n"),
            Cow::Borrowed(_)
        ));
        assert_eq!(clean_for_terminal("é ✓ 漢字"), "é ✓ 漢字");
    }

    #[test]
    fn json_controls_are_escaped_not_dropped() {
        let json = serde_json::to_string("a\u{85}b\u{7f}c\u{1b}d\u{9f}e\u{202e}").unwrap();
        let escaped = escape_json_controls(&json);
        assert_eq!(escaped, r#""a\u0085b\u007fc\u001bd\u009fe\u202e""#);
        assert!(!escaped.chars().any(|c| c.is_control()), "{escaped:?}");
        let back: String = serde_json::from_str(&escaped).unwrap();
        assert_eq!(back, "a\u{85}b\u{7f}c\u{1b}d\u{9f}e\u{202e}");
        assert!(matches!(
            escape_json_controls("{\"a\": \"é\"}"),
            Cow::Borrowed(_)
        ));
    }

    #[test]
    fn line_collapses_whitespace() {
        assert_eq!(sanitize_line("  a\n\n b\tc  ", 100), "a b c");
    }
}
