//! The health pane's part of `update`: recording what the pollers report, and moving among the
//! items. What a poll reveals about each item (and the source's overall level) becomes one
//! `health` timeline entry; the source's state is recorded with it, so a restart compares
//! against it and adds nothing twice.

use chrono::Duration;

use crate::domain::event::EventBody;
use crate::domain::health::{HealthItem, Level, SourceSnapshot, diff_seen, entries};
use crate::tui::action::Effect;
use crate::tui::cursor::LIST_PAGE;
use crate::tui::cursor::ListCursor;
use crate::tui::keymap::Command;
use crate::tui::state::{AppState, Mode};

/// The author of what the pollers record: the console saw it, nobody typed it.
pub const HEALTH_AUTHOR: &str = "health";

/// A poll came back.
pub fn polled(app: &mut AppState, snap: SourceSnapshot, fx: &mut Vec<Effect>) {
    if snap.last_error.is_none() && !app.incident.is_closed() {
        let mut changes = diff_seen(&app.health_seen, &snap);
        let first_time = !app.health_seen.sources.contains_key(&snap.name);
        // In team mode every console polls: a change another console recorded already has its
        // state folded into the incident, so only what is new to both is recorded (once).
        let new_to_incident: std::collections::HashSet<String> =
            diff_seen(&app.incident.health_seen, &snap)
                .into_iter()
                .map(|c| c.key)
                .collect();
        changes.retain(|c| {
            new_to_incident.contains(&c.key) && !app.incident.health_keys.contains(&c.key)
        });
        let any_change = !changes.is_empty();
        for entry in entries(changes, &snap) {
            let key = entry.key().to_string();
            let changes = if entry.changes.len() > 1 {
                entry.changes
            } else {
                Vec::new()
            };
            fx.push(app.append_as(
                HEALTH_AUTHOR,
                EventBody::HealthChanged {
                    source: entry.source,
                    item: entry.item_id,
                    key,
                    text: entry.text,
                    changes,
                },
            ));
        }
        app.health_seen.apply(&snap);
        if (any_change || first_time)
            && let Some(seen) = app.health_seen.sources.get(&snap.name)
        {
            fx.push(app.append_as(
                HEALTH_AUTHOR,
                EventBody::HealthSeen {
                    source: snap.name.clone(),
                    seen: seen.clone(),
                },
            ));
        }
    }
    if crate::domain::health::is_queue_kind(&snap.kind) {
        // A failed listing is a gap in the sparkline, not a zero.
        let depth = snap.queue.as_ref().map(|q| q.total);
        app.queue_history
            .entry(snap.name.clone())
            .or_default()
            .push(depth);
    }
    app.health.insert(snap.name.clone(), snap);
}

/// Every item worth a look (anything not plainly operational), newest first:
/// (source name, item).
pub fn items(app: &AppState) -> Vec<(&str, &HealthItem)> {
    let mut all: Vec<(&str, &HealthItem)> = app
        .health
        .values()
        .flat_map(|s| s.items.iter().map(move |i| (s.name.as_str(), i)))
        .filter(|(_, i)| i.level != Level::Operational || i.resolved.is_some())
        .collect();
    all.sort_by(|a, b| {
        let key = |i: &HealthItem| i.updated.or(i.started);
        key(b.1).cmp(&key(a.1)).then_with(|| a.1.id.cmp(&b.1.id))
    });
    all
}

/// Whether a source has missed three polls in a row.
pub fn is_stale(app: &AppState, snap: &SourceSnapshot) -> bool {
    let interval = app
        .health_sources
        .iter()
        .find(|s| s.name == snap.name)
        .map(|s| s.interval)
        .unwrap_or(std::time::Duration::from_secs(60));
    let limit = Duration::from_std(interval * 3).unwrap_or(Duration::minutes(3));
    match snap.last_success {
        Some(ok) => app.now - ok > limit,
        None => true,
    }
}

/// The worst level over all sources that answered (for the pane title).
pub fn overall(app: &AppState) -> Option<Level> {
    app.health.values().map(|s| s.level).max()
}

/// The health pane's commands.
pub fn command(app: &mut AppState, cmd: Command, fx: &mut Vec<Effect>) {
    match cmd {
        c if c.is_list_move() => navigate(app, cmd),
        Command::Open => open(app),
        Command::PollNow => fx.push(Effect::PollNow(None)),
        _ => {}
    }
}

pub fn navigate(app: &mut AppState, cmd: Command) {
    let n = items(app).len();
    if n > 0 {
        app.health_list.step(n, LIST_PAGE, cmd);
    }
}

pub fn open(app: &mut AppState) {
    let picked = items(app)
        .get(app.health_list.selected)
        .map(|(s, i)| (s.to_string(), i.id.clone()));
    if let Some((source, item)) = picked {
        app.mode = Mode::HealthItem {
            source,
            item,
            scroll: ListCursor::default(),
        };
    }
}
