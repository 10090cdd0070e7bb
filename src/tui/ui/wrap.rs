//! Word wrapping of styled lines, so long text can be shown whole (zoomed timeline, popups)
//! and the number of rows it takes is known before drawing (to scroll and to say "more").

use ratatui::style::Style;
use ratatui::text::{Line, Span};

/// Display width of one character (0 for control characters).
fn char_width(c: char) -> usize {
    let mut buf = [0u8; 4];
    Span::raw(&*c.encode_utf8(&mut buf)).width()
}

/// Wraps `line` to `width` columns. Breaks at spaces where it can and inside a word only when
/// the word is longer than a row; `\n` starts a new row. Rows after the first start with
/// `indent` spaces (a hanging indent under a table's text column). Each span keeps its style;
/// the line's own style is kept on every row.
pub fn wrap_line(line: &Line<'_>, width: usize, indent: usize) -> Vec<Line<'static>> {
    let width = width.max(1);
    let indent = if indent >= width { 0 } else { indent };
    let mut rows: Vec<Vec<(char, Style)>> = Vec::new();
    let mut cur: Vec<(char, Style)> = Vec::new();
    let mut cur_w = 0usize;
    // Where the current row's own text starts (after the indent).
    let mut start = 0usize;
    let new_row = |rows: &mut Vec<Vec<(char, Style)>>, cur: &mut Vec<(char, Style)>| {
        rows.push(std::mem::take(cur));
        cur.extend(std::iter::repeat_n((' ', Style::new()), indent));
    };
    for span in &line.spans {
        for c in span.content.chars() {
            if c == '\n' {
                new_row(&mut rows, &mut cur);
                cur_w = indent;
                start = indent;
                continue;
            }
            let w = char_width(c);
            if cur_w + w > width {
                if c == ' ' {
                    new_row(&mut rows, &mut cur);
                    cur_w = indent;
                    start = indent;
                    continue;
                }
                let space = cur[start..]
                    .iter()
                    .rposition(|(ch, _)| *ch == ' ')
                    .map(|i| i + start);
                match space {
                    Some(i) => {
                        let tail = cur.split_off(i + 1);
                        cur.pop();
                        new_row(&mut rows, &mut cur);
                        cur.extend(tail);
                    }
                    None => new_row(&mut rows, &mut cur),
                }
                start = indent;
                cur_w = cur.iter().map(|(ch, _)| char_width(*ch)).sum();
                if cur_w + w > width {
                    // The word carried over fills the row by itself: cut it there.
                    new_row(&mut rows, &mut cur);
                    cur_w = indent;
                }
            }
            cur.push((c, span.style));
            cur_w += w;
        }
    }
    rows.push(cur);
    rows.into_iter()
        .map(|row| {
            let mut spans: Vec<Span<'static>> = Vec::new();
            let mut text = String::new();
            let mut style = None;
            for (c, st) in row {
                if style.is_some_and(|s| s != st) {
                    spans.push(Span::styled(std::mem::take(&mut text), style.unwrap()));
                }
                style = Some(st);
                text.push(c);
            }
            if let Some(s) = style {
                spans.push(Span::styled(text, s));
            }
            Line::from(spans).style(line.style)
        })
        .collect()
}

/// Wraps every line (no indent).
pub fn wrap_lines(lines: &[Line<'_>], width: usize) -> Vec<Line<'static>> {
    lines.iter().flat_map(|l| wrap_line(l, width, 0)).collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use ratatui::style::{Color, Style};

    fn texts(lines: &[Line]) -> Vec<String> {
        lines.iter().map(|l| l.to_string()).collect()
    }

    #[test]
    fn breaks_at_spaces_and_keeps_every_character() {
        let l = Line::from("the quick brown fox jumps over the lazy dog");
        let rows = wrap_line(&l, 12, 0);
        assert_eq!(
            texts(&rows),
            ["the quick", "brown fox", "jumps over", "the lazy dog"]
        );
        assert!(rows.iter().all(|r| r.width() <= 12));
    }

    #[test]
    fn long_words_are_cut_and_rows_after_the_first_are_indented() {
        let l = Line::from("id: 0123456789abcdef end");
        let rows = wrap_line(&l, 10, 4);
        assert_eq!(
            texts(&rows),
            ["id:", "    012345", "    6789ab", "    cdef", "    end"]
        );
        assert!(rows.iter().all(|r| r.width() <= 10));
    }

    #[test]
    fn newlines_start_rows_and_styles_survive() {
        let red = Style::new().fg(Color::Red);
        let l = Line::from(vec![Span::raw("ab "), Span::styled("cd\nef gh", red)]);
        let rows = wrap_line(&l, 5, 0);
        assert_eq!(texts(&rows), ["ab cd", "ef gh"]);
        assert_eq!(rows[0].spans[1].style, red);
        assert_eq!(rows[1].spans[0].style, red);
    }

    #[test]
    fn wide_characters_count_twice() {
        let rows = wrap_line(&Line::from("日本語のテキスト"), 6, 0);
        assert_eq!(texts(&rows), ["日本語", "のテキ", "スト"]);
    }
}
