//! The status bar and the hint line above it.

use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::style::{Color, Modifier, Style};
use ratatui::text::{Line, Span};
use ratatui::widgets::Paragraph;

use super::theme;
use crate::domain::time::{Zone, format_elapsed};
use crate::tui::keymap::Command;
use crate::tui::pane::Pane;
use crate::tui::state::{AppState, Mode};

/// A part of the status bar and what gives way when the bar is too narrow.
struct Part {
    /// The separator goes before this part (not before the severity badge or its space).
    sep: bool,
    /// When the part takes its next shorter form: lower gives way first.
    shorten: u8,
    /// When the part, in its last form, goes: lower goes first; [`KEEP`] never does.
    give: u8,
    /// The spans, longest form first.
    forms: Vec<Vec<Span<'static>>>,
}

/// Parts that are never dropped: severity, status, `T+`, the update clock and every alarm
/// (NOT SAVED, a check-back ringing, an overdue update). They may still take a shorter form,
/// which they do once the help, the clocks, the durations and the title are gone.
const KEEP: u8 = u8::MAX;
const SHORTEN_KEPT: u8 = 6;

impl Part {
    fn new(sep: bool, give: u8, forms: Vec<Vec<Span<'static>>>) -> Part {
        let shorten = if give == KEEP { SHORTEN_KEPT } else { give };
        Part {
            sep,
            shorten,
            give,
            forms,
        }
    }

    /// What gives way next in this part, and when.
    fn next_give(&self) -> u8 {
        if self.forms.len() > 1 {
            self.shorten
        } else {
            self.give
        }
    }

    fn width(&self) -> usize {
        self.forms
            .first()
            .map_or(0, |f| f.iter().map(|s| s.width()).sum())
    }
}

/// `SEV2 · Investigating · title · T+00:42:10 · 14:03:05 UTC · 15:03 local · ?=help`, with
/// the parts that matter least giving way first when the terminal is narrow (help hint, zone
/// clocks, title, durations), so the severity, status, `T+`, the update clock and any alarm
/// are always shown.
pub fn render(frame: &mut Frame, rect: Rect, app: &AppState) {
    frame.render_widget(Paragraph::new(bar_line(app, rect.width as usize)), rect);
}

/// Team mode: `team: online · 3 here` or `team: offline · 3 to share` (shorter when room is
/// short). Online gives way after the title; offline is kept, as an alarm is: changes are not
/// reaching the others.
fn team_part(team: &crate::team::live::LiveStatus, bar: Style) -> Part {
    let (long, short, style) = if team.online {
        let mut long = format!("team: online · {} here", team.here.len());
        if team.to_share > 0 {
            long.push_str(&format!(" · {} to share", team.to_share));
        }
        (
            long,
            format!("team: {} here", team.here.len()),
            bar.fg(Color::Green),
        )
    } else {
        (
            format!("team: offline · {} to share", team.to_share),
            format!("offline · {}", team.to_share),
            bar.fg(Color::Yellow).add_modifier(Modifier::BOLD),
        )
    };
    Part::new(
        true,
        if team.online { 5 } else { KEEP },
        vec![
            vec![Span::styled(long, style)],
            vec![Span::styled(short, style)],
        ],
    )
}

/// The status bar as it is drawn `width` columns wide.
pub fn bar_line(app: &AppState, width: usize) -> Line<'static> {
    let bar = theme::status_bar();
    let parts = parts(app, bar);
    fit(parts, width, bar)
}

fn parts(app: &AppState, bar: Style) -> Vec<Part> {
    let inc = &app.incident;
    let elapsed = app.now - app.started;
    let mut parts = vec![Part::new(
        false,
        KEEP,
        vec![vec![
            Span::styled(
                format!(" {} ", inc.severity.label()),
                theme::severity(inc.severity),
            ),
            Span::styled(" ", bar),
        ]],
    )];
    let mut status = vec![Span::styled(
        inc.status.label(),
        bar.add_modifier(Modifier::BOLD),
    )];
    if inc.is_closed() {
        status.push(Span::styled(
            " CLOSED",
            bar.fg(Color::LightRed).add_modifier(Modifier::BOLD),
        ));
    }
    parts.push(Part::new(false, KEEP, vec![status]));
    if inc.drill {
        parts.push(Part::new(
            true,
            6,
            vec![vec![Span::styled(
                "DRILL",
                bar.fg(Color::Yellow).add_modifier(Modifier::BOLD),
            )]],
        ));
    }
    let ringing = crate::tui::panes::playbook::expired_check_backs(app);
    if let Some((_, step)) = ringing.first() {
        let more = if ringing.len() > 1 {
            format!(" +{}", ringing.len() - 1)
        } else {
            String::new()
        };
        let style = if app.now.timestamp() % 2 == 0 {
            bar.fg(Color::Black)
                .bg(Color::Yellow)
                .add_modifier(Modifier::BOLD)
        } else {
            bar.fg(Color::Yellow).add_modifier(Modifier::BOLD)
        };
        let mut title: String = step.title.chars().take(32).collect();
        if title.len() < step.title.len() {
            title.push('…');
        }
        let ack = app.keymap.first_key(Command::AckCheckBack);
        parts.push(Part::new(
            true,
            KEEP,
            vec![
                vec![Span::styled(
                    format!("⏰ check back: {title}{more} ({ack} / :ack)"),
                    style,
                )],
                vec![Span::styled(format!("⏰ check back{more} ({ack})"), style)],
                vec![Span::styled(format!("⏰ check back{more}"), style)],
            ],
        ));
    }
    // The title shortens before it goes.
    let title = inc.title.clone();
    let mut title_forms = vec![vec![Span::styled(title.clone(), bar)]];
    for keep in [32usize, 16] {
        if title.chars().count() > keep + 1 {
            let short: String = title.chars().take(keep).collect();
            title_forms.push(vec![Span::styled(format!("{short}…"), bar)]);
        }
    }
    // Shortened, then gone before an alarm loses any of its words.
    parts.push(Part::new(true, 4, title_forms));
    parts.push(Part::new(
        true,
        KEEP,
        vec![vec![Span::styled(
            format!("T+{}", format_elapsed(elapsed)),
            bar.add_modifier(Modifier::BOLD),
        )]],
    ));
    if let Some(d) = &app.durations {
        parts.push(Part::new(
            false,
            3,
            vec![vec![Span::styled(format!(" ({d})"), bar.fg(Color::Gray))]],
        ));
    }
    if let Some(clock) = super::composer::clock_span(app, bar) {
        // `next in 03:00`, `OVERDUE 03:10` when room is short.
        let short = clock
            .content
            .replace("next update in", "next in")
            .replace("update OVERDUE", "OVERDUE");
        let mut forms = vec![vec![clock.clone()]];
        if short != clock.content {
            forms.push(vec![Span::styled(short, clock.style)]);
        }
        parts.push(Part::new(true, KEEP, forms));
    }
    if let Some(team) = &app.team {
        parts.push(team_part(team, bar));
    }
    parts.push(Part::new(
        true,
        2,
        vec![vec![Span::styled(
            format!("{} UTC", app.now.format("%H:%M:%S")),
            bar,
        )]],
    ));
    let local = match app.zone {
        Zone::Named(tz) if tz == chrono_tz::UTC => None,
        z => Some((z.to_wall(app.now).format("%H:%M").to_string(), z)),
    };
    if let Some((t, z)) = local {
        let name = match z {
            Zone::Local => "local".to_string(),
            Zone::Named(tz) => tz.name().to_string(),
        };
        parts.push(Part::new(
            true,
            1,
            vec![vec![Span::styled(format!("{t} {name}"), bar)]],
        ));
    }
    if !app.pending.is_empty() {
        parts.push(Part::new(
            true,
            5,
            vec![vec![Span::styled("saving…", bar.fg(Color::Yellow))]],
        ));
    }
    if !app.unsaved.is_empty() {
        let alarm = bar
            .fg(Color::White)
            .bg(Color::Red)
            .add_modifier(Modifier::BOLD);
        let n = app.unsaved.len();
        parts.push(Part::new(
            true,
            KEEP,
            vec![
                vec![Span::styled(format!("{n} NOT SAVED (:retry)"), alarm)],
                vec![Span::styled(format!("{n} NOT SAVED"), alarm)],
            ],
        ));
    }
    parts.push(Part::new(
        true,
        0,
        vec![vec![Span::styled(
            format!(
                "{}=help",
                app.keymap
                    .keys_of(Command::Help)
                    .split('/')
                    .next()
                    .unwrap_or("?")
            ),
            bar,
        )]],
    ));
    parts
}

/// Lays the parts out in `width` columns: while they do not fit, the part that gives way first
/// takes its next shorter form or goes; kept parts only shorten. The separators tighten last.
fn fit(parts: Vec<Part>, width: usize, bar: Style) -> Line<'static> {
    let total = |parts: &[Part], sep_w: usize| -> usize {
        parts
            .iter()
            .map(|p| p.width() + if p.sep { sep_w } else { 0 })
            .sum()
    };
    let mut parts: Vec<(usize, Part)> = parts.into_iter().enumerate().collect();
    let mut dropped = Vec::new();
    let fits = |parts: &[(usize, Part)]| -> bool {
        let sum: usize = parts
            .iter()
            .map(|(_, p)| p.width() + if p.sep { 3 } else { 0 })
            .sum();
        sum <= width
    };
    while !fits(&parts) {
        let pick = parts
            .iter()
            .enumerate()
            .filter(|(_, (_, p))| p.next_give() != KEEP)
            .min_by_key(|(i, (_, p))| (p.next_give(), *i))
            .map(|(i, _)| i);
        let Some(i) = pick else { break };
        if parts[i].1.forms.len() > 1 {
            parts[i].1.forms.remove(0);
        } else {
            dropped.push(parts.remove(i));
        }
    }
    // A part dropped before a later one shortened may fit again: put back what fits, the most
    // important (dropped last) first, stopping at the first that does not (so a less important
    // part never shows where a more important one could not).
    while let Some((order, part)) = dropped.pop() {
        let at = parts.partition_point(|(o, _)| *o < order);
        parts.insert(at, (order, part));
        if !fits(&parts) {
            parts.remove(at);
            break;
        }
    }
    let parts: Vec<Part> = parts.into_iter().map(|(_, p)| p).collect();
    let sep_text = if total(&parts, 3) > width {
        "·"
    } else {
        " · "
    };
    let sep = Span::styled(sep_text, bar.fg(Color::Gray));
    let mut spans: Vec<Span<'static>> = Vec::new();
    for p in parts {
        if p.sep {
            spans.push(sep.clone());
        }
        spans.extend(p.forms.into_iter().next().unwrap_or_default());
    }
    let used: usize = spans.iter().map(|s| s.width()).sum();
    if used < width {
        spans.push(Span::styled(" ".repeat(width - used), bar));
    }
    Line::from(spans)
}

/// The hint's `key what` pairs that fit in `width` columns: the first ones (they matter most),
/// then `last` (the way to the help), which is never left out.
fn fit_hint(
    pairs: Vec<(String, &'static str)>,
    last: Option<(String, &'static str)>,
    width: usize,
) -> Vec<(String, &'static str)> {
    let cols = |(keys, what): &(String, &str)| keys.chars().count() + what.chars().count() + 3;
    let mut room = width.saturating_sub(1 + last.as_ref().map_or(0, cols));
    let mut out: Vec<(String, &'static str)> = pairs
        .into_iter()
        .take_while(|p| {
            let c = cols(p);
            let fits = c <= room;
            room = room.saturating_sub(c);
            fits
        })
        .collect();
    out.extend(last);
    out
}

/// The line above the status bar: the last message, or the keys that matter now.
pub fn render_hint(frame: &mut Frame, rect: Rect, app: &AppState) {
    if let Some(f) = &app.flash {
        let style = if f.error {
            theme::error()
        } else {
            Style::new().fg(Color::Green)
        };
        frame.render_widget(
            Paragraph::new(Span::styled(format!(" {}", f.text), style)),
            rect,
        );
        return;
    }
    let k = |c: Command| app.keymap.keys_of(c);
    let pairs: Vec<(String, &'static str)> = match (&app.mode, app.focus) {
        (Mode::Normal, Pane::Timeline) => vec![
            (k(Command::AddEntry), "add"),
            (k(Command::EditEntry), "edit"),
            (k(Command::DeleteEntry), "delete"),
            (k(Command::Undo), "undo"),
            (k(Command::TogglePin), "pin"),
            (k(Command::CycleMarker), "mark"),
            (k(Command::Filter), "filter"),
            (k(Command::CycleKind), "kind"),
            (k(Command::Open), "open"),
            (k(Command::CommandLine), "command"),
            (k(Command::Zoom), "zoom"),
            (k(Command::Quit), "quit"),
        ],
        (Mode::Normal, Pane::Playbook) => vec![
            (k(Command::ToggleDone), "done"),
            (k(Command::StartStep), "doing"),
            (k(Command::SkipStep), "skip"),
            (k(Command::OwnerStep), "owner"),
            (k(Command::NoteStep), "note"),
            (k(Command::AckCheckBack), "checked"),
            (k(Command::Open), "detail"),
            (k(Command::AttachPlaybook), "attach"),
            (k(Command::Zoom), "zoom"),
            (k(Command::Quit), "quit"),
        ],
        (Mode::Normal, Pane::Trace) => vec![
            (k(Command::TraceQuery), "query"),
            (k(Command::TraceRerun), "again"),
            (k(Command::Open), "chain"),
            (k(Command::TraceCancel), "stop"),
            (k(Command::TraceKeep), "keep as evidence"),
            (k(Command::TraceBreakdown), "breakdown"),
            (k(Command::Zoom), "zoom"),
            (k(Command::Quit), "quit"),
        ],
        (Mode::Normal, Pane::Health) => vec![
            (k(Command::PollNow), "poll now"),
            (k(Command::Open), "item"),
            (k(Command::Zoom), "zoom"),
            (k(Command::Quit), "quit"),
        ],
        (mode, _) => vec![
            (
                mode.cancel_command()
                    .map(|c| app.keymap.first_key(c))
                    .unwrap_or_else(|| "Esc".into()),
                "back",
            ),
            ("Ctrl-C".to_string(), "quit"),
        ],
    };
    let mut pairs = pairs;
    if matches!(app.mode, Mode::Normal)
        && app.focus == Pane::Playbook
        && crate::tui::panes::playbook::selected(app).is_some_and(|(_, s, _)| !s.run.is_empty())
    {
        // The selected step has a command: its key comes right after "done".
        pairs.insert(1.min(pairs.len()), (k(Command::RunStep), "run"));
    }
    // In the panes, the way to the help is always shown, whatever else the width leaves out.
    let help = matches!(app.mode, Mode::Normal).then(|| (k(Command::Help), "help"));
    let mut spans = vec![Span::raw(" ")];
    for (keys, what) in fit_hint(pairs, help, rect.width as usize) {
        spans.push(Span::styled(keys, theme::key()));
        spans.push(Span::styled(format!(" {what}  "), theme::dim()));
    }
    frame.render_widget(Paragraph::new(Line::from(spans)), rect);
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_hint_keeps_its_first_pairs_and_the_way_to_the_help() {
        let pairs = || {
            vec![
                ("a".to_string(), "add"),
                ("e".to_string(), "edit"),
                ("d".to_string(), "delete"),
            ]
        };
        let help = || Some(("?/F1".to_string(), "help"));
        let names =
            |v: Vec<(String, &'static str)>| v.into_iter().map(|(_, w)| w).collect::<Vec<_>>();
        assert_eq!(
            names(fit_hint(pairs(), help(), 80)),
            ["add", "edit", "delete", "help"]
        );
        // " a add  e edit  ?/F1 help  " is 27 columns: delete gives way, help stays.
        assert_eq!(
            names(fit_hint(pairs(), help(), 28)),
            ["add", "edit", "help"]
        );
        assert_eq!(names(fit_hint(pairs(), help(), 5)), ["help"]);
        assert_eq!(names(fit_hint(pairs(), None, 8)), ["add"]);
    }

    fn part(sep: bool, give: u8, forms: &[&str]) -> Part {
        Part::new(
            sep,
            give,
            forms
                .iter()
                .map(|f| vec![Span::raw(f.to_string())])
                .collect(),
        )
    }

    fn bar(width: usize) -> String {
        let parts = vec![
            part(false, KEEP, &["SEV1 "]),
            part(false, KEEP, &["Investigating"]),
            part(true, 4, &["a long incident title", "a long…"]),
            part(true, KEEP, &["T+01:00:00"]),
            part(true, KEEP, &["update OVERDUE 05:00", "OVERDUE 05:00"]),
            part(true, 2, &["14:03:00 UTC"]),
            part(true, KEEP, &["2 NOT SAVED (:retry)", "2 NOT SAVED"]),
            part(true, 0, &["?=help"]),
        ];
        fit(parts, width, Style::new()).to_string()
    }

    #[test]
    fn kept_parts_stay_at_every_width_and_the_rest_goes_in_order() {
        assert_eq!(
            bar(200).trim_end(),
            "SEV1 Investigating · a long incident title · T+01:00:00 · update OVERDUE 05:00 · 14:03:00 UTC · 2 NOT SAVED (:retry) · ?=help"
        );
        for width in (40..200).rev() {
            let b = bar(width);
            assert!(b.chars().count() <= width.max(55), "{width}: {b}");
            for kept in [
                "SEV1",
                "Investigating",
                "T+01:00:00",
                "OVERDUE 05:00",
                "2 NOT SAVED",
            ] {
                assert!(b.contains(kept), "{width}: {kept} in {b}");
            }
        }
        // The help goes first, then the clock, then the title shortens and goes; the alarms
        // shorten last.
        assert!(!bar(120).contains("?=help") && bar(120).contains("UTC"));
        assert!(!bar(110).contains("UTC") && bar(110).contains("a long incident title"));
        assert!(bar(100).contains("a long…"));
        assert!(bar(90).contains("a long…"));
        assert!(!bar(80).contains("a long") && bar(80).contains("(:retry)"));
        assert_eq!(
            bar(70).trim_end(),
            "SEV1 Investigating · T+01:00:00 · OVERDUE 05:00 · 2 NOT SAVED (:retry)"
        );
        // Tighter separators before anything kept is cut.
        assert_eq!(
            bar(60),
            "SEV1 Investigating·T+01:00:00·OVERDUE 05:00·2 NOT SAVED     "
        );
    }
}
