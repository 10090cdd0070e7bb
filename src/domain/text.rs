//! Hostile external text made safe for state: no terminal escapes, no control characters,
//! bounded length.

/// Default cap for a single field taken from outside (a title, a status text).
pub const FIELD_CAP: usize = 4 * 1024;
/// Default cap for a body taken from outside (a post, a long description).
pub const BODY_CAP: usize = 64 * 1024;

/// Removes ANSI/VT escape sequences (CSI, OSC, DCS, SOS/PM/APC and two-byte ESC forms) and every
/// control character except `\n` and `\t`, turns `\r\n` and lone `\r` into `\n`, and caps the
/// result at `max` bytes on a character boundary (adding `…` when cut).
pub fn sanitize(input: &str, max: usize) -> String {
    let mut out = String::with_capacity(input.len().min(max));
    let mut chars = input.chars().peekable();
    while let Some(c) = chars.next() {
        match c {
            '\u{1b}' => skip_escape(&mut chars),
            // C1 introducers, the 8-bit forms of ESC [ / ESC ] / ESC P and friends.
            '\u{9b}' => skip_csi(&mut chars),
            '\u{9d}' | '\u{90}' | '\u{98}' | '\u{9e}' | '\u{9f}' => skip_string(&mut chars),
            '\r' => {
                if chars.peek() != Some(&'\n') {
                    out.push('\n');
                }
            }
            '\n' | '\t' => out.push(c),
            c if c.is_control() => {}
            // Bidi overrides can make text lie about its order on screen.
            '\u{202a}'..='\u{202e}' | '\u{2066}'..='\u{2069}' => {}
            c => out.push(c),
        }
        if out.len() > max {
            break;
        }
    }
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
    fn line_collapses_whitespace() {
        assert_eq!(sanitize_line("  a\n\n b\tc  ", 100), "a b c");
    }
}
