//! `m` on a timeline entry: cycles its marker (detection → diagnosis → repair → key moment →
//! none), one `entry_marked` event a press, undone with `u` like a pin.

use crate::domain::closing::KeyTime;
use crate::domain::event::EventBody;
use crate::domain::marker::Marker;
use crate::tui::action::Effect;
use crate::tui::state::AppState;

/// Moves the selected entry's marker one step on. A detection marker on an entry earlier than
/// the detected key time offers that entry's time as the detected time (it becomes the
/// proposal; a time set by hand still wins), and says so.
pub fn cycle(app: &mut AppState, fx: &mut Vec<Effect>) {
    let Some(e) = app.selected_entry() else {
        app.flash("nothing to mark: the timeline is empty", false);
        return;
    };
    let (id, at) = (e.id, e.occurred_at);
    let before = app.incident.markers.get(&id).copied();
    let next = Marker::cycle(before);
    fx.push(app.append(EventBody::EntryMarked {
        entry: id,
        marker: next,
    }));
    app.undo.push(EventBody::EntryMarked {
        entry: id,
        marker: before,
    });
    let detected = app
        .incident
        .key_times_set
        .get(&KeyTime::Detected)
        .copied()
        .unwrap_or(app.incident.opened_at);
    let msg = match next {
        Some(Marker::Detection) if at < detected => {
            let set = app.incident.key_times_set.contains_key(&KeyTime::Detected);
            format!(
                "marked detection: {} offered as the detected time{}",
                app.zone.to_wall(at).format("%H:%M:%S"),
                if set {
                    " (the one set by hand wins: :keytime detected to change it)"
                } else {
                    " (proposed in the report; :keytime detected sets another)"
                }
            )
        }
        Some(m) => format!("marked {m}"),
        None => "marker cleared".to_string(),
    };
    app.flash(msg, false);
}
