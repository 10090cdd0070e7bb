//! The console's state, actions and `update`, re-exported from where they live (`state.rs`,
//! `action.rs`, `update.rs`, `panes/`) for the tests and the drawing code.

pub use super::action::{Action, Effect};
pub use super::pane::Pane;
pub use super::panes::timeline::{QuickEntry, parse_quick_entry};
pub use super::state::{
    AppState, Confirm, EditState, Flash, InputPurpose, InputState, Mode, NOT_SAVED, StepRef,
    entry_time, line_field,
};
pub use super::update::{contexts, key_to_action, update};
pub use super::views::TimelineView;
