//! Every key binding lives here; the help screen is generated from this table and the config's
//! `[keys]` table can replace the keys of any command.

use std::collections::BTreeMap;
use std::fmt;

use crossterm::event::{KeyCode, KeyEvent, KeyModifiers};

/// Where a binding applies: the normal contexts (a pane, any list, everywhere) and the modal
/// ones (whatever has the keyboard: a text input, the entry editor, the close form, a
/// confirmation, a popup, a picker, the update composer).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
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
    /// A detail popup (help, entry, step, health item, message chain).
    Popup,
    /// A one-line text input (add, filter, `:`, query, step inputs).
    Input,
    /// The multi-line entry editor.
    Editor,
    /// The `:close` form.
    Form,
    /// A question that needs a yes.
    Confirm,
    /// Choosing from a short list (a playbook to attach, a snooze).
    Picker,
    /// The update composer, whichever part has the focus.
    Composer,
    /// The composer's channel list.
    Channels,
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
            Context::Popup => "Popups",
            Context::Input => "Text input",
            Context::Editor => "Entry editor",
            Context::Form => "Close form",
            Context::Confirm => "Confirmations",
            Context::Picker => "Pickers",
            Context::Composer => "Update composer",
            Context::Channels => "Composer channels",
        }
    }

    /// The sets of contexts looked up together, most specific first: within one, a key may
    /// mean only one command.
    pub const STACKS: &'static [&'static [Context]] = &[
        &[Context::Timeline, Context::List, Context::Global],
        &[Context::Playbook, Context::List, Context::Global],
        &[Context::Health, Context::List, Context::Global],
        &[Context::Trace, Context::List, Context::Global],
        // The entry popup takes the timeline's edit and pin; the step popup the step keys.
        &[Context::Popup, Context::Timeline],
        &[Context::Popup, Context::Playbook],
        &[Context::Input],
        &[Context::Editor],
        &[Context::Form],
        // The send confirmation scrolls.
        &[Context::Confirm, Context::Popup],
        &[Context::Picker],
        &[Context::Channels, Context::Composer],
    ];
}

macro_rules! commands {
    ($($var:ident => ($name:literal, $ctx:ident, [$($key:literal),*], $changes:literal, $help:literal)),+ $(,)?) => {
        /// A bindable command.
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
        pub enum Command { $($var),+ }

        impl Command {
            pub const ALL: &'static [Command] = &[$(Command::$var),+];
            /// The name used in the config's `[keys]` table.
            pub fn name(self) -> &'static str { match self { $(Command::$var => $name),+ } }
            pub fn context(self) -> Context { match self { $(Command::$var => Context::$ctx),+ } }
            pub fn help(self) -> &'static str { match self { $(Command::$var => $help),+ } }
            /// Whether the command changes the incident: refused while it is closed.
            pub fn changes(self) -> bool { match self { $(Command::$var => $changes),+ } }
            fn default_keys(self) -> &'static [&'static str] {
                match self { $(Command::$var => &[$($key),*]),+ }
            }
        }
    };
}

commands! {
    Quit => ("quit", Global, ["q"], false, "quit (asks first if a change is unsaved)"),
    FocusNext => ("focus_next", Global, ["tab"], false, "next pane"),
    FocusPrev => ("focus_prev", Global, ["shift-tab"], false, "previous pane"),
    FocusHealth => ("focus_health", Global, ["1"], false, "health pane"),
    FocusPlaybook => ("focus_playbook", Global, ["2"], false, "playbook pane"),
    FocusTrace => ("focus_trace", Global, ["3"], false, "trace pane"),
    FocusTimeline => ("focus_timeline", Global, ["4"], false, "timeline pane"),
    Zoom => ("zoom", Global, ["z"], false, "zoom the focused pane in and out"),
    Help => ("help", Global, ["?", "f1"], false, "this help"),
    CommandLine => ("command", Global, [":"], false, "command line: the : commands are listed at the end"),
    Up => ("up", List, ["k", "up"], false, "move up"),
    Down => ("down", List, ["j", "down"], false, "move down"),
    PageUp => ("page_up", List, ["pgup", "ctrl-b"], false, "page up"),
    PageDown => ("page_down", List, ["pgdn", "ctrl-f"], false, "page down"),
    Top => ("top", List, ["g", "home"], false, "first row"),
    Bottom => ("bottom", List, ["G", "end"], false, "last row"),
    Open => ("open", List, ["enter"], false, "open the selected row"),
    AddEntry => ("add_entry", Timeline, ["a"], true, "add an entry: [-4m|14:32] [action:|decision:|comms:] text"),
    EditEntry => ("edit_entry", Timeline, ["e"], true, "edit the entry's text, time and kind"),
    DeleteEntry => ("delete_entry", Timeline, ["d"], true, "delete the entry (u undoes)"),
    Undo => ("undo", Timeline, ["u"], true, "undo your last timeline change"),
    TogglePin => ("pin", Timeline, ["p"], true, "pin or unpin the entry"),
    CycleMarker => ("mark", Timeline, ["m"], true, "cycle the entry's marker: detection, diagnosis, repair, key moment, none"),
    Filter => ("filter", Timeline, ["/"], false, "filter entries by text"),
    CycleKind => ("kind_filter", Timeline, ["f"], false, "cycle the filter: each kind, then marked entries, then all"),
    Export => ("export", Timeline, ["x"], false, "write every report format into the incident's exports/ folder"),
    ToggleDone => ("step_done", Playbook, ["space", "x"], true, "tick the step done, or untick it"),
    StartStep => ("step_doing", Playbook, ["w"], true, "mark the step in progress (starts its check-back timer)"),
    SkipStep => ("step_skip", Playbook, ["s"], true, "skip the step, saying why"),
    OwnerStep => ("step_owner", Playbook, ["o"], true, "assign the step (empty: back to its default owner)"),
    NoteStep => ("step_note", Playbook, ["n"], true, "add a timeline note about the step"),
    AckCheckBack => ("step_checked", Playbook, ["c"], true, "acknowledge the step's check-back timer"),
    AttachPlaybook => ("attach_playbook", Playbook, ["A"], true, "attach another playbook"),
    // Not a change in the guard's sense: evidence is allowed on a closed incident.
    RunStep => ("step_run", Playbook, ["r"], false, "run the step's command after a confirmation; its output is kept as evidence"),
    PollNow => ("poll_now", Health, ["r"], false, "poll every health source now"),
    TraceQuery => ("trace_query", Trace, ["/"], false, "new query: from: to: id: subject: status: since: until:"),
    TraceCancel => ("trace_cancel", Trace, ["esc"], false, "stop the running query"),
    TraceRerun => ("trace_rerun", Trace, ["r"], false, "run the query again (logs keep growing)"),
    TraceKeep => ("trace_keep", Trace, ["t"], true, "keep the result: rows to evidence/, counts to the timeline"),
    TraceBreakdown => ("trace_breakdown", Trace, ["b"], false, "rows or a breakdown of the same result (by domain, reason, sender, status, hour)"),
    TraceGroupBy => ("trace_group_by", Trace, ["B"], false, "group the breakdown by the next field: domain, reason, sender, status, hour"),
    ComposeUpdate => ("compose_update", Global, ["U"], true, "write a stakeholder update from a template, then send it"),
    SnoozeUpdate => ("snooze_update", Global, ["S"], true, "snooze the next stakeholder update by 5, 10 or 15 minutes"),
    ScrollDown => ("scroll_down", Popup, ["j", "down"], false, "scroll down"),
    ScrollUp => ("scroll_up", Popup, ["k", "up"], false, "scroll up"),
    ScrollPageDown => ("scroll_page_down", Popup, ["pgdn"], false, "scroll a page down"),
    ScrollPageUp => ("scroll_page_up", Popup, ["pgup"], false, "scroll a page up"),
    ClosePopup => ("close_popup", Popup, ["esc"], false, "close (so does any key not listed here)"),
    InputSubmit => ("input_submit", Input, ["enter"], false, "save, keep or run what was typed"),
    InputCancel => ("input_cancel", Input, ["esc"], false, "cancel (asks before dropping a typed entry; clears a filter)"),
    InputKind => ("input_kind", Input, ["tab"], false, "adding an entry: cycle its kind"),
    EditorSave => ("editor_save", Editor, ["enter", "ctrl-s"], false, "save the entry"),
    EditorNewline => ("editor_newline", Editor, ["alt-enter"], false, "a new line in the text (saves from the other fields)"),
    EditorNext => ("editor_next", Editor, ["tab"], false, "next field: time, kind, text"),
    EditorPrev => ("editor_prev", Editor, ["shift-tab"], false, "previous field"),
    EditorKindNext => ("editor_kind_next", Editor, ["right", "space"], false, "on the kind: the next kind"),
    EditorKindPrev => ("editor_kind_prev", Editor, ["left"], false, "on the kind: the previous kind"),
    EditorCancel => ("editor_cancel", Editor, ["esc"], false, "cancel (asks before dropping the changes)"),
    FormSubmit => ("form_submit", Form, ["ctrl-s"], false, "close the incident with what the form says"),
    FormEnter => ("form_enter", Form, ["enter"], false, "next field; on the last one, close the incident"),
    FormNewline => ("form_newline", Form, ["alt-enter"], false, "a new line in the field"),
    FormNext => ("form_next", Form, ["tab"], false, "next field"),
    FormPrev => ("form_prev", Form, ["shift-tab"], false, "previous field"),
    FormCancel => ("form_cancel", Form, ["esc"], false, "cancel (asks before dropping the text)"),
    FormStatus => ("form_status", Form, ["alt-s"], false, "the status closing leaves: resolved, or another (the current one keeps it)"),
    ConfirmYes => ("confirm_yes", Confirm, ["y", "Y"], false, "yes (any other key is no)"),
    PickerDown => ("picker_down", Picker, ["j", "down"], false, "next choice"),
    PickerUp => ("picker_up", Picker, ["k", "up"], false, "previous choice"),
    PickerChoose => ("picker_choose", Picker, ["enter"], false, "take the choice (in the snooze picker 1, 2, 3 take one at once)"),
    PickerCancel => ("picker_cancel", Picker, ["esc"], false, "cancel (so does any key not listed here)"),
    ComposerCancel => ("composer_cancel", Composer, ["esc"], false, "cancel (asks before dropping an edited draft)"),
    ComposerSwitch => ("composer_switch", Composer, ["tab", "shift-tab"], false, "between the text and the channels"),
    ComposerTemplate => ("composer_template", Composer, ["ctrl-t"], false, "the next template (redraws an unedited draft)"),
    ChannelDown => ("channel_down", Channels, ["j", "down"], false, "next channel or component"),
    ChannelUp => ("channel_up", Channels, ["k", "up"], false, "previous channel or component"),
    ChannelToggle => ("channel_toggle", Channels, ["space", "x"], false, "tick the channel, or cycle the component's status"),
    ComponentCycle => ("component_cycle", Channels, ["c", "right"], false, "cycle the component's status"),
    ChannelAll => ("channel_all", Channels, ["a"], false, "tick every channel, or none"),
    ChannelSend => ("channel_send", Channels, ["enter"], false, "send to the ticked channels (external ones ask first)"),
}

impl Command {
    /// Up, down, a page up or down, the top or the bottom: the moves every list shares.
    pub fn is_list_move(self) -> bool {
        matches!(
            self,
            Command::Up
                | Command::Down
                | Command::PageUp
                | Command::PageDown
                | Command::Top
                | Command::Bottom
        )
    }
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
            // Ctrl-S, as terminals and manuals write it (the key is the same as ctrl-s).
            KeyCode::Char(c) if self.mods.contains(KeyModifiers::CONTROL) => {
                write!(f, "{}", c.to_ascii_uppercase())
            }
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
        map.check_shadowing()?;
        Ok(map)
    }

    /// Refuses two commands on one key where they are looked up together (one of
    /// [`Context::STACKS`]): the one found first would hide the other. The error names both.
    fn check_shadowing(&self) -> Result<(), String> {
        for stack in Context::STACKS {
            let mut seen: Vec<(KeyCombo, Command)> = Vec::new();
            for ctx in *stack {
                for (cmd, keys) in self.bindings.iter().filter(|(c, _)| c.context() == *ctx) {
                    for k in keys {
                        match seen.iter().find(|(s, c)| s == k && c != cmd) {
                            Some((_, other)) => {
                                return Err(format!(
                                    "[keys] {} and {} are both bound to {k} ({} and {}): give one of them another key",
                                    other.name(),
                                    cmd.name(),
                                    other.context().title(),
                                    cmd.context().title(),
                                ));
                            }
                            None => seen.push((*k, *cmd)),
                        }
                    }
                }
            }
        }
        Ok(())
    }

    /// What `warroom keys` prints: every command by context, its name for `[keys]`, its keys
    /// and what it does.
    pub fn listing(&self) -> String {
        let mut out = String::new();
        let mut last = None;
        for (cmd, keys) in self.sorted() {
            if last != Some(cmd.context()) {
                if last.is_some() {
                    out.push('\n');
                }
                out.push_str(cmd.context().title());
                out.push('\n');
                last = Some(cmd.context());
            }
            let keys = if keys.is_empty() {
                "(unbound)".to_string()
            } else {
                keys.iter()
                    .map(|k| k.to_string())
                    .collect::<Vec<_>>()
                    .join(" ")
            };
            out.push_str(&format!("  {:<20}{:<20}{}\n", cmd.name(), keys, cmd.help()));
        }
        out
    }

    /// The `[keys]` section of `assets/config.toml`: every command with its default keys,
    /// commented out, by context. A test keeps the file in step with this.
    pub fn config_section() -> String {
        let mut out = String::from("[keys]\n");
        let mut last = None;
        let mut cmds = Command::ALL.to_vec();
        cmds.sort_by_key(|c| c.context());
        for cmd in cmds {
            if last != Some(cmd.context()) {
                out.push_str(&format!("# {}:\n", cmd.context().title()));
                last = Some(cmd.context());
            }
            let keys = cmd
                .default_keys()
                .iter()
                .map(|k| format!("{k:?}"))
                .collect::<Vec<_>>()
                .join(", ");
            out.push_str(&format!(
                "# {:<44} # {}\n",
                format!("{} = [{keys}]", cmd.name()),
                cmd.help()
            ));
        }
        out
    }

    /// The bindings by context (stable: table order within a context).
    fn sorted(&self) -> Vec<&(Command, Vec<KeyCombo>)> {
        let mut rows: Vec<_> = self.bindings.iter().collect();
        rows.sort_by_key(|(c, _)| c.context());
        rows
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

    /// The first key of a command, for short hints (`Space`, `w`); `(unbound)` if none.
    pub fn first_key(&self, cmd: Command) -> String {
        self.bindings
            .iter()
            .find(|(c, _)| *c == cmd)
            .and_then(|(_, keys)| keys.first())
            .map(|k| k.to_string())
            .unwrap_or_else(|| "(unbound)".into())
    }

    /// The first keys of two commands, for hints like `j/k scroll`.
    pub fn pair(&self, a: Command, b: Command) -> String {
        format!("{}/{}", self.first_key(a), self.first_key(b))
    }

    /// A hint line such as `Space done · w doing`, from the keys in force.
    pub fn hint(&self, items: &[(Command, &str)]) -> String {
        items
            .iter()
            .map(|(c, what)| format!("{} {what}", self.first_key(*c)))
            .collect::<Vec<_>>()
            .join(" · ")
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
    fn a_rebinding_that_shadows_another_key_names_both() {
        let mut o = BTreeMap::new();
        o.insert("step_skip".to_string(), vec!["S".to_string()]);
        let e = Keymap::with_overrides(&o).unwrap_err();
        assert!(
            e.contains("snooze_update") && e.contains("step_skip"),
            "{e}"
        );
        // In a modal context too.
        let mut o = BTreeMap::new();
        o.insert("input_kind".to_string(), vec!["esc".to_string()]);
        let e = Keymap::with_overrides(&o).unwrap_err();
        assert!(
            e.contains("input_cancel") && e.contains("input_kind"),
            "{e}"
        );
        // The same key in contexts never looked up together is fine.
        let mut o = BTreeMap::new();
        o.insert("poll_now".to_string(), vec!["t".to_string()]);
        assert!(Keymap::with_overrides(&o).is_ok());
        // And the defaults shadow nothing.
        assert!(Keymap::default().check_shadowing().is_ok());
    }

    #[test]
    fn config_toml_keys_section_is_generated_from_the_table() {
        let file = crate::config::DEFAULT_CONFIG;
        let start = file.find("\n[keys]\n").expect("a [keys] section") + 1;
        let len = file[start..].find("\n\n").expect("a blank line after it") + 1;
        assert_eq!(
            &file[start..start + len],
            Keymap::config_section(),
            "assets/config.toml's [keys] section is out of step with src/tui/keymap.rs"
        );
    }

    #[test]
    fn overrides_apply_in_modal_contexts() {
        let mut o = BTreeMap::new();
        o.insert("confirm_yes".to_string(), vec!["o".to_string()]);
        let map = Keymap::with_overrides(&o).unwrap();
        let ok = key(KeyCode::Char('o'), KeyModifiers::NONE);
        let y = key(KeyCode::Char('y'), KeyModifiers::NONE);
        assert_eq!(
            map.lookup(&ok, &[Context::Confirm]),
            Some(Command::ConfirmYes)
        );
        assert_eq!(map.lookup(&y, &[Context::Confirm]), None);
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
