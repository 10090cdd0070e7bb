//! Every key binding lives here; the help screen is generated from this table and the config's
//! `[keys]` table can replace the keys of any command.

use std::collections::BTreeMap;
use std::fmt;

use crossterm::event::{KeyCode, KeyEvent, KeyModifiers};

/// Where a binding applies.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Context {
    /// Anywhere outside a text field.
    Global,
    /// In any list pane.
    List,
    /// In the timeline pane.
    Timeline,
    /// In the playbook pane.
    Playbook,
    /// In the health pane.
    Health,
    /// In the trace pane.
    Trace,
}

impl Context {
    pub fn title(self) -> &'static str {
        match self {
            Context::Global => "Everywhere",
            Context::List => "Lists",
            Context::Timeline => "Timeline",
            Context::Playbook => "Playbook",
            Context::Health => "Health",
            Context::Trace => "Trace",
        }
    }
}

macro_rules! commands {
    ($($var:ident => ($name:literal, $ctx:ident, [$($key:literal),*], $help:literal)),+ $(,)?) => {
        /// A bindable command.
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
        pub enum Command { $($var),+ }

        impl Command {
            pub const ALL: &'static [Command] = &[$(Command::$var),+];
            /// The name used in the config's `[keys]` table.
            pub fn name(self) -> &'static str { match self { $(Command::$var => $name),+ } }
            pub fn context(self) -> Context { match self { $(Command::$var => Context::$ctx),+ } }
            pub fn help(self) -> &'static str { match self { $(Command::$var => $help),+ } }
            fn default_keys(self) -> &'static [&'static str] {
                match self { $(Command::$var => &[$($key),*]),+ }
            }
        }
    };
}

commands! {
    Quit => ("quit", Global, ["q"], "quit (asks first if a change is unsaved)"),
    FocusNext => ("focus_next", Global, ["tab"], "next pane"),
    FocusPrev => ("focus_prev", Global, ["shift-tab"], "previous pane"),
    FocusHealth => ("focus_health", Global, ["1"], "health pane"),
    FocusPlaybook => ("focus_playbook", Global, ["2"], "playbook pane"),
    FocusTrace => ("focus_trace", Global, ["3"], "trace pane"),
    FocusTimeline => ("focus_timeline", Global, ["4"], "timeline pane"),
    Zoom => ("zoom", Global, ["z"], "zoom the focused pane in and out"),
    Help => ("help", Global, ["?", "f1"], "this help"),
    CommandLine => ("command", Global, [":"], "command line (:title, :sev, :status, :role, :retry)"),
    Up => ("up", List, ["k", "up"], "move up"),
    Down => ("down", List, ["j", "down"], "move down"),
    PageUp => ("page_up", List, ["pgup", "ctrl-b"], "page up"),
    PageDown => ("page_down", List, ["pgdn", "ctrl-f"], "page down"),
    Top => ("top", List, ["g", "home"], "first row"),
    Bottom => ("bottom", List, ["G", "end"], "last row"),
    Open => ("open", List, ["enter"], "open the selected row"),
    AddEntry => ("add_entry", Timeline, ["a"], "add an entry: [-4m|14:32] [action:|decision:|comms:] text"),
    EditEntry => ("edit_entry", Timeline, ["e"], "edit the entry's text, time and kind"),
    DeleteEntry => ("delete_entry", Timeline, ["d"], "delete the entry (u undoes)"),
    Undo => ("undo", Timeline, ["u"], "undo your last timeline change"),
    TogglePin => ("pin", Timeline, ["p"], "pin or unpin the entry"),
    Filter => ("filter", Timeline, ["/"], "filter entries by text"),
    CycleKind => ("kind_filter", Timeline, ["f"], "cycle the kind filter"),
    Export => ("export", Timeline, ["x"], "write every report format into the incident's exports/ folder"),
    ToggleDone => ("step_done", Playbook, ["space", "x"], "tick the step done, or untick it"),
    StartStep => ("step_doing", Playbook, ["w"], "mark the step in progress (starts its check-back timer)"),
    SkipStep => ("step_skip", Playbook, ["s"], "skip the step, saying why"),
    OwnerStep => ("step_owner", Playbook, ["o"], "assign the step (empty: back to its default owner)"),
    NoteStep => ("step_note", Playbook, ["n"], "add a timeline note about the step"),
    AckCheckBack => ("step_checked", Playbook, ["c"], "acknowledge the step's check-back timer"),
    AttachPlaybook => ("attach_playbook", Playbook, ["A"], "attach another playbook"),
    PollNow => ("poll_now", Health, ["r"], "poll every health source now"),
    TraceQuery => ("trace_query", Trace, ["/"], "new query: from: to: id: subject: status: since: until:"),
    TraceCancel => ("trace_cancel", Trace, ["esc"], "stop the running query"),
    TraceRerun => ("trace_rerun", Trace, ["r"], "run the query again (logs keep growing)"),
    TraceKeep => ("trace_keep", Trace, ["t"], "keep the result: rows to evidence/, counts to the timeline"),
    TraceBreakdown => ("trace_breakdown", Trace, ["b"], "rows or a breakdown of the same result (by domain, reason, sender, status, hour)"),
    TraceGroupBy => ("trace_group_by", Trace, ["B"], "group the breakdown by the next field: domain, reason, sender, status, hour"),
    ComposeUpdate => ("compose_update", Global, ["U"], "write a stakeholder update from a template, then send it"),
    SnoozeUpdate => ("snooze_update", Global, ["S"], "snooze the next stakeholder update by 5, 10 or 15 minutes"),
}

/// A key and its modifiers, as written in the config (`ctrl-c`, `shift-tab`, `G`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct KeyCombo {
    pub code: KeyCode,
    pub mods: KeyModifiers,
}

impl KeyCombo {
    /// Parses `ctrl-c`, `alt-x`, `shift-tab`, `enter`, `space`, `f5`, `?`, `G`.
    pub fn parse(s: &str) -> Result<Self, String> {
        let bad = || {
            format!(
                "cannot read the key {s:?}: write keys like \"q\", \"ctrl-c\", \"shift-tab\", \"enter\", \"f1\""
            )
        };
        let mut mods = KeyModifiers::NONE;
        let mut rest = s;
        loop {
            let lower = rest.to_ascii_lowercase();
            if rest.len() > 1 && lower.starts_with("ctrl-") {
                mods |= KeyModifiers::CONTROL;
                rest = &rest[5..];
            } else if rest.len() > 1 && lower.starts_with("alt-") {
                mods |= KeyModifiers::ALT;
                rest = &rest[4..];
            } else if rest.len() > 1 && lower.starts_with("shift-") {
                mods |= KeyModifiers::SHIFT;
                rest = &rest[6..];
            } else {
                break;
            }
        }
        let code = match rest.to_ascii_lowercase().as_str() {
            "enter" | "return" => KeyCode::Enter,
            "esc" | "escape" => KeyCode::Esc,
            "tab" if mods.contains(KeyModifiers::SHIFT) => {
                mods.remove(KeyModifiers::SHIFT);
                KeyCode::BackTab
            }
            "tab" => KeyCode::Tab,
            "backtab" => KeyCode::BackTab,
            "space" => KeyCode::Char(' '),
            "up" => KeyCode::Up,
            "down" => KeyCode::Down,
            "left" => KeyCode::Left,
            "right" => KeyCode::Right,
            "pgup" | "pageup" => KeyCode::PageUp,
            "pgdn" | "pagedown" => KeyCode::PageDown,
            "home" => KeyCode::Home,
            "end" => KeyCode::End,
            "insert" | "ins" => KeyCode::Insert,
            "delete" | "del" => KeyCode::Delete,
            "backspace" => KeyCode::Backspace,
            f if f.len() >= 2 && f.starts_with('f') && f[1..].parse::<u8>().is_ok() => {
                KeyCode::F(f[1..].parse().map_err(|_| bad())?)
            }
            _ => {
                let mut chars = rest.chars();
                match (chars.next(), chars.next()) {
                    (Some(c), None) => {
                        let c = if mods.contains(KeyModifiers::SHIFT) {
                            mods.remove(KeyModifiers::SHIFT);
                            c.to_ascii_uppercase()
                        } else if mods.contains(KeyModifiers::CONTROL) {
                            c.to_ascii_lowercase()
                        } else {
                            c
                        };
                        KeyCode::Char(c)
                    }
                    _ => return Err(bad()),
                }
            }
        };
        Ok(KeyCombo { code, mods })
    }

    /// Whether a key event is this combo. Shift is implied by the character for `Char` keys.
    pub fn matches(&self, key: &KeyEvent) -> bool {
        let mut mods = key.modifiers;
        let code = match key.code {
            KeyCode::Char(c) => {
                mods.remove(KeyModifiers::SHIFT);
                if mods.contains(KeyModifiers::CONTROL) {
                    KeyCode::Char(c.to_ascii_lowercase())
                } else {
                    KeyCode::Char(c)
                }
            }
            KeyCode::BackTab => {
                mods.remove(KeyModifiers::SHIFT);
                KeyCode::BackTab
            }
            c => c,
        };
        code == self.code && mods == self.mods
    }
}

impl fmt::Display for KeyCombo {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.mods.contains(KeyModifiers::CONTROL) {
            f.write_str("Ctrl-")?;
        }
        if self.mods.contains(KeyModifiers::ALT) {
            f.write_str("Alt-")?;
        }
        if self.mods.contains(KeyModifiers::SHIFT) {
            f.write_str("Shift-")?;
        }
        match self.code {
            KeyCode::Char(' ') => f.write_str("Space"),
            KeyCode::Char(c) => write!(f, "{c}"),
            KeyCode::Enter => f.write_str("Enter"),
            KeyCode::Esc => f.write_str("Esc"),
            KeyCode::Tab => f.write_str("Tab"),
            KeyCode::BackTab => f.write_str("Shift-Tab"),
            KeyCode::Up => f.write_str("↑"),
            KeyCode::Down => f.write_str("↓"),
            KeyCode::Left => f.write_str("←"),
            KeyCode::Right => f.write_str("→"),
            KeyCode::PageUp => f.write_str("PgUp"),
            KeyCode::PageDown => f.write_str("PgDn"),
            KeyCode::Home => f.write_str("Home"),
            KeyCode::End => f.write_str("End"),
            KeyCode::Insert => f.write_str("Ins"),
            KeyCode::Delete => f.write_str("Del"),
            KeyCode::Backspace => f.write_str("Backspace"),
            KeyCode::F(n) => write!(f, "F{n}"),
            other => write!(f, "{other:?}"),
        }
    }
}

/// The bindings in force.
#[derive(Debug, Clone)]
pub struct Keymap {
    bindings: Vec<(Command, Vec<KeyCombo>)>,
}

impl Default for Keymap {
    fn default() -> Self {
        let bindings = Command::ALL
            .iter()
            .map(|&c| {
                let keys = c
                    .default_keys()
                    .iter()
                    .filter_map(|k| KeyCombo::parse(k).ok())
                    .collect();
                (c, keys)
            })
            .collect();
        Keymap { bindings }
    }
}

impl Keymap {
    /// The defaults with the config's overrides applied. Unknown command names and unreadable
    /// keys are errors that name them.
    pub fn with_overrides(overrides: &BTreeMap<String, Vec<String>>) -> Result<Self, String> {
        let mut map = Keymap::default();
        for (name, keys) in overrides {
            let cmd = Command::ALL
                .iter()
                .copied()
                .find(|c| c.name() == name)
                .ok_or_else(|| {
                    format!("[keys] {name}: no such action; `warroom keys` lists them")
                })?;
            let combos = keys
                .iter()
                .map(|k| KeyCombo::parse(k).map_err(|e| format!("[keys] {name}: {e}")))
                .collect::<Result<Vec<_>, _>>()?;
            if let Some(slot) = map.bindings.iter_mut().find(|(c, _)| *c == cmd) {
                slot.1 = combos;
            }
        }
        Ok(map)
    }

    /// The command a key triggers in the given contexts, most specific first.
    pub fn lookup(&self, key: &KeyEvent, contexts: &[Context]) -> Option<Command> {
        contexts.iter().find_map(|ctx| {
            self.bindings
                .iter()
                .find(|(c, keys)| c.context() == *ctx && keys.iter().any(|k| k.matches(key)))
                .map(|(c, _)| *c)
        })
    }

    /// The keys of a command, for hints (`a`, `?/F1`).
    pub fn keys_of(&self, cmd: Command) -> String {
        self.bindings
            .iter()
            .find(|(c, _)| *c == cmd)
            .map(|(_, keys)| {
                keys.iter()
                    .map(|k| k.to_string())
                    .collect::<Vec<_>>()
                    .join("/")
            })
            .unwrap_or_default()
    }

    /// Rows for the help screen: context, keys, description.
    pub fn help_rows(&self) -> Vec<(Context, String, &'static str)> {
        let mut rows: Vec<_> = self
            .bindings
            .iter()
            .map(|(c, keys)| {
                let k = keys
                    .iter()
                    .map(|k| k.to_string())
                    .collect::<Vec<_>>()
                    .join(" ");
                (
                    c.context(),
                    if k.is_empty() { "(unbound)".into() } else { k },
                    c.help(),
                )
            })
            .collect();
        rows.sort_by_key(|r| r.0);
        rows
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn key(code: KeyCode, mods: KeyModifiers) -> KeyEvent {
        KeyEvent::new(code, mods)
    }

    #[test]
    fn parses_and_matches() {
        let c = KeyCombo::parse("ctrl-c").unwrap();
        assert!(c.matches(&key(KeyCode::Char('c'), KeyModifiers::CONTROL)));
        assert!(!c.matches(&key(KeyCode::Char('c'), KeyModifiers::NONE)));
        let g = KeyCombo::parse("G").unwrap();
        assert!(g.matches(&key(KeyCode::Char('G'), KeyModifiers::SHIFT)));
        assert!(!g.matches(&key(KeyCode::Char('g'), KeyModifiers::NONE)));
        let bt = KeyCombo::parse("shift-tab").unwrap();
        assert!(bt.matches(&key(KeyCode::BackTab, KeyModifiers::SHIFT)));
        assert!(KeyCombo::parse("ctrl-").is_err());
        assert!(KeyCombo::parse("hyper-x").is_err());
        assert_eq!(KeyCombo::parse("f5").unwrap().code, KeyCode::F(5));
    }

    #[test]
    fn overrides_replace_defaults() {
        let mut o = BTreeMap::new();
        o.insert("quit".to_string(), vec!["Q".to_string()]);
        let map = Keymap::with_overrides(&o).unwrap();
        let q = key(KeyCode::Char('q'), KeyModifiers::NONE);
        let big_q = key(KeyCode::Char('Q'), KeyModifiers::SHIFT);
        assert_eq!(map.lookup(&q, &[Context::Global]), None);
        assert_eq!(map.lookup(&big_q, &[Context::Global]), Some(Command::Quit));
        o.insert("nonsense".into(), vec![]);
        assert!(Keymap::with_overrides(&o).unwrap_err().contains("nonsense"));
    }

    #[test]
    fn context_order_decides() {
        let map = Keymap::default();
        let a = key(KeyCode::Char('a'), KeyModifiers::NONE);
        assert_eq!(map.lookup(&a, &[Context::Global]), None);
        assert_eq!(
            map.lookup(&a, &[Context::Timeline, Context::List, Context::Global]),
            Some(Command::AddEntry)
        );
    }

    #[test]
    fn every_command_has_a_default_key_and_unique_name() {
        let map = Keymap::default();
        let mut names = std::collections::HashSet::new();
        for c in Command::ALL {
            assert!(!map.keys_of(*c).is_empty(), "{c:?}");
            assert!(names.insert(c.name()));
        }
    }
}
