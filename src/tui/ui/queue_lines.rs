//! A queue source's lines under its row in the health pane:
//!
//! ```text
//! relay-q  ● degraded        4s ago
//!          ▁▁▂▃▅▆██ 1204 queued (deferred 1180, active 24) · oldest 2h10m
//!          top: 4.7.500 Server busy… ×1100 · to contoso.com ×900, fabrikam.com ×80
//! ```
//!
//! The sparkline is the source's depth over the whole session, squeezed into the cells left
//! beside the counts (each cell the deepest of its polls) and scaled to the highest point shown;
//! a failed listing is a gap.

use ratatui::style::{Color, Style};
use ratatui::text::{Line, Span};

use super::theme;
use crate::domain::health::SourceSnapshot;
use crate::domain::queue::{Counted, DepthHistory};

/// Widest sparkline drawn.
pub const SPARK_MAX: usize = 32;

const BLOCKS: [char; 8] = ['▁', '▂', '▃', '▄', '▅', '▆', '▇', '█'];

/// Points as block characters: zero is the lowest block, the highest point the full one, a gap
/// a space.
pub fn sparkline(points: &[Option<u64>]) -> String {
    let max = points.iter().flatten().copied().max().unwrap_or(0);
    points
        .iter()
        .map(|p| match *p {
            None => ' ',
            Some(0) => BLOCKS[0],
            Some(_) if max == 0 => BLOCKS[0],
            Some(v) => {
                // 1..=max onto blocks 1..=7, so any message at all shows above the floor.
                let step = ((v as u128 * 7).div_ceil(max as u128)) as usize;
                BLOCKS[step.clamp(1, 7)]
            }
        })
        .collect()
}

fn counted(list: &[Counted], n: usize, max_chars: usize) -> String {
    list.iter()
        .take(n)
        .map(|c| {
            let key: String = c.key.chars().take(max_chars).collect();
            let more = if c.key.chars().count() > max_chars {
                "…"
            } else {
                ""
            };
            format!("{key}{more} ×{}", c.count)
        })
        .collect::<Vec<_>>()
        .join(", ")
}

/// The lines drawn under a queue source's row, indented by `indent` cells, for a pane `width`
/// cells wide.
pub fn lines(
    snap: &SourceSnapshot,
    history: Option<&DepthHistory>,
    indent: usize,
    width: usize,
) -> Vec<Line<'static>> {
    let pad = " ".repeat(indent);
    let room = width.saturating_sub(indent);
    // The counts first, then as wide a sparkline as is left (between 6 and SPARK_MAX cells); a
    // narrow pane gets the short form of the counts.
    let text = match &snap.queue {
        Some(q) if q.headline().chars().count() + 7 <= room => q.headline(),
        Some(q) => q.short_headline(),
        None => "no listing".to_string(),
    };
    let spark_w = room
        .saturating_sub(text.chars().count() + 1)
        .clamp(6, SPARK_MAX);
    let points: Vec<Option<u64>> = history.map(|h| h.shape(spark_w)).unwrap_or_default();
    let mut first = vec![Span::raw(pad.clone())];
    if points.iter().any(Option::is_some) {
        first.push(Span::styled(
            sparkline(&points),
            Style::new().fg(Color::Cyan),
        ));
        first.push(Span::raw(" "));
    }
    if snap.queue.is_some() {
        first.push(Span::raw(text));
    } else {
        first.push(Span::styled(text, theme::dim()));
    }
    let mut out = vec![Line::from(first)];
    if let Some(q) = &snap.queue
        && (!q.top_reasons.is_empty() || !q.top_domains.is_empty())
    {
        let mut text = String::new();
        if !q.top_reasons.is_empty() {
            text.push_str(&format!("top: {}", counted(&q.top_reasons, 1, 60)));
        }
        if !q.top_domains.is_empty() {
            if !text.is_empty() {
                text.push_str(" · ");
            }
            text.push_str(&format!("to {}", counted(&q.top_domains, 3, 30)));
        }
        out.push(Line::from(vec![
            Span::raw(pad),
            Span::styled(text, theme::dim()),
        ]));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sparkline_scales_to_the_highest_point_and_shows_gaps() {
        assert_eq!(sparkline(&[]), "");
        assert_eq!(sparkline(&[Some(0), Some(0)]), "▁▁");
        assert_eq!(
            sparkline(&[Some(0), Some(1), Some(50), None, Some(100)]),
            "▁▂▅ █"
        );
    }
}
