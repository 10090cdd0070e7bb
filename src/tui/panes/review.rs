//! `:review [TEMPLATE]` in the console: the review is rendered here (from the templates loaded
//! at start), the loop suspends the console and runs the editor ([`Effect::EditReview`]), and
//! what comes back ([`Action::ReviewEdited`]) is saved as a `review_saved` event, or said to be
//! unchanged. Allowed on a closed incident (see the guard in `commands::run_line`).
//!
//! [`Action::ReviewEdited`]: crate::tui::action::Action::ReviewEdited

use crate::domain::event::EventBody;
use crate::domain::review;
use crate::export::review::template::DEFAULT;
use crate::tui::action::Effect;
use crate::tui::state::AppState;

/// `:review [TEMPLATE]`: asks the loop to open the review in the editor.
pub fn open(app: &mut AppState, arg: &str, fx: &mut Vec<Effect>) -> Result<(), String> {
    let name = match arg.trim() {
        "" => DEFAULT,
        n => n,
    };
    let template = app.review_templates.get(name).map_err(|e| e.to_string())?;
    let text = crate::export::review::render(&app.incident, app.zone, template)
        .map_err(|e| e.to_string())?;
    fx.push(Effect::EditReview {
        incident: app.incident.id.clone(),
        template: template.name.clone(),
        text,
    });
    Ok(())
}

/// The editor gave the review back (or failed): save it when it changed.
pub fn edited(
    app: &mut AppState,
    template: String,
    before: &str,
    result: Result<String, String>,
    fx: &mut Vec<Effect>,
) {
    let after = match result {
        Ok(t) => t,
        Err(e) => {
            app.flash(format!("review NOT saved: {e}"), true);
            return;
        }
    };
    let Some(sections) = review::changes(before, &after) else {
        app.flash("review unchanged: nothing was written", false);
        return;
    };
    if sections.is_empty() {
        app.flash(
            "review NOT saved: no `## ` section heading was left (keep one a section)",
            true,
        );
        return;
    }
    let (n, total) = (review::written(&sections), sections.len());
    fx.push(app.append(EventBody::ReviewSaved { template, sections }));
    app.flash(
        format!("review saved ({n} of {total} sections written); it is in the reports"),
        false,
    );
}
