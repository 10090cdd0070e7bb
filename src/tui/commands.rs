//! The `:` commands as data: name, other names, arguments, help, whether the command changes the
//! incident (which decides the closed-incident guard, in one place) and its handler. The command
//! line's hint, the help screen and the "unknown command" message are generated from [`COMMANDS`].

use super::action::Effect;
use super::cursor::ListCursor;
use super::state::{AppState, Mode};
use crate::domain::event::EventBody;
use crate::domain::incident::{Role, Severity, Status};
use crate::domain::text::sanitize;

/// A `:` command's handler: the state, the argument (trimmed, not yet cleaned), the effects.
pub type Handler = fn(&mut AppState, &str, &mut Vec<Effect>) -> Result<(), String>;

/// One `:` command.
pub struct LineCommand {
    /// What is typed after `:`.
    pub name: &'static str,
    /// Other names that run it (`:q`, `:severity`).
    pub aliases: &'static [&'static str],
    /// The arguments, as the hint shows them (`TEXT`, `1-4`); empty for none.
    pub args: &'static str,
    /// One line for the help screen.
    pub help: &'static str,
    /// Whether it changes the incident: refused while the incident is closed.
    pub changes: bool,
    pub run: Handler,
}

impl LineCommand {
    /// `:name ARGS`, as the hint and the help show it.
    pub fn usage(&self) -> String {
        if self.args.is_empty() {
            format!(":{}", self.name)
        } else {
            format!(":{} {}", self.name, self.args)
        }
    }

    fn is(&self, word: &str) -> bool {
        self.name == word || self.aliases.contains(&word)
    }
}

/// Every `:` command, in the order the hint and the help list them.
pub const COMMANDS: &[LineCommand] = &[
    LineCommand {
        name: "title",
        aliases: &[],
        args: "TEXT",
        help: "rename the incident",
        changes: true,
        run: title,
    },
    LineCommand {
        name: "sev",
        aliases: &["severity"],
        args: "1-4",
        help: "set the severity",
        changes: true,
        run: severity,
    },
    LineCommand {
        name: "status",
        aliases: &[],
        args: "investigating|identified|mitigated|monitoring|resolved",
        help: "set the status",
        changes: true,
        run: status,
    },
    LineCommand {
        name: "role",
        aliases: &[],
        args: "commander|deputy|scribe|comms NAME",
        help: "give a role to someone (no name clears it)",
        changes: true,
        run: role,
    },
    LineCommand {
        name: "handoff",
        aliases: &[],
        args: "NAME",
        help: "pass the commander role to NAME with a brief (status, open required steps, next update, last decisions)",
        changes: true,
        run: handoff,
    },
    LineCommand {
        name: "ack",
        aliases: &[],
        args: "",
        help: "acknowledge every ringing check-back timer",
        changes: true,
        run: ack,
    },
    LineCommand {
        name: "snooze",
        aliases: &[],
        args: "5|10|15",
        help: "snooze the next stakeholder update by that many minutes",
        changes: true,
        run: snooze,
    },
    LineCommand {
        name: "resend",
        aliases: &[],
        args: "",
        help: "send the last update again to the channels it did not reach",
        changes: true,
        run: resend,
    },
    LineCommand {
        name: "retry",
        aliases: &[],
        args: "",
        help: "save again the changes that could not be saved",
        changes: false,
        run: retry,
    },
    LineCommand {
        name: "nofilter",
        aliases: &[],
        args: "",
        help: "show every timeline entry again",
        changes: false,
        run: nofilter,
    },
    LineCommand {
        name: "close",
        aliases: &[],
        args: "",
        help: "close the incident: summary, impact, root cause, follow-ups",
        changes: true,
        run: close,
    },
    LineCommand {
        name: "reopen",
        aliases: &[],
        args: "REASON",
        help: "reopen a closed incident",
        changes: false,
        run: reopen,
    },
    LineCommand {
        name: "keytime",
        aliases: &[],
        args: "[WHICH WHEN]",
        help: "list the key times, or set one (e.g. :keytime mitigated 14:32)",
        changes: true,
        run: keytime,
    },
    LineCommand {
        name: "export",
        aliases: &[],
        args: "",
        help: "write every report format into the incident's exports/ folder",
        changes: false,
        run: export,
    },
    LineCommand {
        name: "ticket",
        aliases: &[],
        args: "REF [PROVIDER]",
        help: "record a support case opened with the provider (its case number)",
        // Allowed on a closed incident (see ALLOWED_WHEN_CLOSED).
        changes: true,
        run: ticket,
    },
    LineCommand {
        name: "review",
        aliases: &[],
        args: "[TEMPLATE]",
        help: "write the post-incident review in $EDITOR (the console waits; also when closed)",
        changes: true,
        run: review,
    },
    LineCommand {
        name: "who",
        aliases: &[],
        args: "",
        help: "who has the incident open, with their role (team mode)",
        changes: false,
        run: who,
    },
    LineCommand {
        name: "help",
        aliases: &["h"],
        args: "",
        help: "the help screen",
        changes: false,
        run: help,
    },
    LineCommand {
        name: "q",
        aliases: &["quit"],
        args: "",
        help: "quit (asks first if a change is unsaved)",
        changes: false,
        run: quit,
    },
    LineCommand {
        name: "q!",
        aliases: &["quit!"],
        args: "",
        help: "quit at once, even with unsaved changes",
        changes: false,
        run: force_quit,
    },
];

/// The command a word names.
pub fn find(word: &str) -> Option<&'static LineCommand> {
    COMMANDS.iter().find(|c| c.is(word))
}

/// The command line's hint: every command with its arguments.
pub fn hint() -> String {
    COMMANDS
        .iter()
        .map(LineCommand::usage)
        .collect::<Vec<_>>()
        .join(" · ")
}

/// What is said for a word that names no command.
pub fn unknown(word: &str) -> String {
    let names: Vec<String> = COMMANDS.iter().map(|c| format!(":{}", c.name)).collect();
    format!("unknown command :{word}: try {}", names.join(", "))
}

/// The commands that change the incident and are allowed while it is closed: the review is
/// written after the close, and a support case for a credit is often opened after it.
pub const ALLOWED_WHEN_CLOSED: &[&str] = &["review", "ticket"];

/// Runs a `:` line. Errors say how to write it; a change to a closed incident is refused here,
/// for every command the table marks as a change.
pub fn run_line(app: &mut AppState, line: &str, fx: &mut Vec<Effect>) -> Result<(), String> {
    let line = line.trim().trim_start_matches(':');
    let (word, arg) = line
        .split_once(char::is_whitespace)
        .map(|(c, a)| (c, a.trim()))
        .unwrap_or((line, ""));
    if word.is_empty() {
        return Ok(());
    }
    let cmd = find(word).ok_or_else(|| unknown(word))?;
    if cmd.changes && app.incident.is_closed() && !ALLOWED_WHEN_CLOSED.contains(&cmd.name) {
        return Err(super::state::CLOSED.into());
    }
    (cmd.run)(app, arg, fx)
}

fn title(app: &mut AppState, arg: &str, fx: &mut Vec<Effect>) -> Result<(), String> {
    let title = sanitize(arg, 512);
    if title.is_empty() {
        return Err(":title needs the new title, e.g. :title Exchange Online mail delayed".into());
    }
    if title != app.incident.title {
        fx.push(app.append(EventBody::TitleSet { title }));
    }
    Ok(())
}

fn severity(app: &mut AppState, arg: &str, fx: &mut Vec<Effect>) -> Result<(), String> {
    let severity = Severity::parse_loose(arg).map_err(|e| format!("{e} (e.g. :sev 1)"))?;
    if severity != app.incident.severity {
        fx.push(app.append(EventBody::SeveritySet { severity }));
    }
    Ok(())
}

fn status(app: &mut AppState, arg: &str, fx: &mut Vec<Effect>) -> Result<(), String> {
    let status: Status = arg
        .parse()
        .map_err(|e: String| format!("{e} (e.g. :status mitigated)"))?;
    if status != app.incident.status {
        fx.push(app.append(EventBody::StatusSet { status }));
    }
    Ok(())
}

fn role(app: &mut AppState, arg: &str, fx: &mut Vec<Effect>) -> Result<(), String> {
    let (role, person) = arg
        .split_once(char::is_whitespace)
        .map(|(r, p)| (r, p.trim()))
        .unwrap_or((arg, ""));
    let role: Role = role
        .parse()
        .map_err(|e: String| format!("{e} (e.g. :role scribe dana; an empty name clears it)"))?;
    fx.push(app.append(EventBody::RoleSet {
        role,
        person: sanitize(person, 128),
    }));
    Ok(())
}

fn handoff(app: &mut AppState, arg: &str, fx: &mut Vec<Effect>) -> Result<(), String> {
    if arg.trim().is_empty() {
        return Err(":handoff needs the new commander's name, e.g. :handoff bob".into());
    }
    let body =
        crate::domain::handoff::handoff(&app.incident, arg, &app.updates.config.cadence, app.now)?;
    fx.push(app.append(body));
    Ok(())
}

fn ack(app: &mut AppState, _: &str, fx: &mut Vec<Effect>) -> Result<(), String> {
    let n = super::panes::playbook::ack_all(app, fx);
    app.flash(format!("{n} check-back timer(s) acknowledged"), false);
    Ok(())
}

fn snooze(app: &mut AppState, arg: &str, fx: &mut Vec<Effect>) -> Result<(), String> {
    let minutes: u32 = arg
        .parse()
        .map_err(|_| ":snooze takes 5, 10 or 15 (minutes)".to_string())?;
    super::panes::updates::snooze(app, minutes, fx)
}

fn resend(app: &mut AppState, _: &str, fx: &mut Vec<Effect>) -> Result<(), String> {
    super::panes::updates::resend(app, fx)
}

fn retry(app: &mut AppState, _: &str, fx: &mut Vec<Effect>) -> Result<(), String> {
    if app.unsaved.is_empty() {
        app.flash("nothing is waiting to be saved", false);
    }
    // They stay unsaved until the journal gives them back (or fail again).
    for (ev, _) in &app.unsaved {
        if app.pending.insert(ev.id) {
            fx.push(Effect::Append(ev.clone()));
        }
    }
    Ok(())
}

fn nofilter(app: &mut AppState, _: &str, _: &mut Vec<Effect>) -> Result<(), String> {
    app.timeline.text_filter.clear();
    app.timeline.kind_filter = None;
    app.timeline.marked_only = false;
    app.rebuild_rows(true);
    Ok(())
}

fn close(app: &mut AppState, arg: &str, fx: &mut Vec<Effect>) -> Result<(), String> {
    super::panes::closing::command_line(app, "close", arg, fx)
}

fn reopen(app: &mut AppState, arg: &str, fx: &mut Vec<Effect>) -> Result<(), String> {
    super::panes::closing::command_line(app, "reopen", arg, fx)
}

fn keytime(app: &mut AppState, arg: &str, fx: &mut Vec<Effect>) -> Result<(), String> {
    super::panes::closing::command_line(app, "keytime", arg, fx)
}

fn export(app: &mut AppState, arg: &str, fx: &mut Vec<Effect>) -> Result<(), String> {
    super::panes::closing::command_line(app, "export", arg, fx)
}

fn ticket(app: &mut AppState, arg: &str, fx: &mut Vec<Effect>) -> Result<(), String> {
    super::panes::evidence::ticket(app, arg, fx)
}

fn review(app: &mut AppState, arg: &str, fx: &mut Vec<Effect>) -> Result<(), String> {
    super::panes::review::open(app, arg, fx)
}

fn who(app: &mut AppState, _: &str, _: &mut Vec<Effect>) -> Result<(), String> {
    if app.team.is_none() {
        return Err(
            "this incident is not shared with the team: quit and run `warroom share` to share it"
                .into(),
        );
    }
    app.mode = Mode::Who {
        scroll: ListCursor::default(),
    };
    Ok(())
}

fn help(app: &mut AppState, _: &str, _: &mut Vec<Effect>) -> Result<(), String> {
    app.mode = Mode::Help {
        scroll: ListCursor::default(),
    };
    Ok(())
}

fn quit(app: &mut AppState, _: &str, fx: &mut Vec<Effect>) -> Result<(), String> {
    app.ask_to_quit(fx);
    Ok(())
}

fn force_quit(app: &mut AppState, _: &str, fx: &mut Vec<Effect>) -> Result<(), String> {
    app.quit = true;
    fx.push(Effect::Quit);
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_are_unique_and_the_hint_lists_every_command() {
        let mut seen = std::collections::HashSet::new();
        for c in COMMANDS {
            for w in std::iter::once(&c.name).chain(c.aliases) {
                assert!(seen.insert(*w), "{w} twice");
            }
            assert!(hint().contains(&c.usage()));
        }
        assert!(hint().contains(":snooze 5|10|15"));
        assert!(hint().contains(":resend"));
        assert!(unknown("x").contains(":snooze"));
    }

    #[test]
    fn the_change_flags_cover_what_was_refused_before() {
        for w in [
            "title", "sev", "severity", "status", "role", "keytime", "close",
        ] {
            assert!(find(w).unwrap().changes, "{w}");
        }
        for w in ["reopen", "export", "retry", "nofilter", "q", "help"] {
            assert!(!find(w).unwrap().changes, "{w}");
        }
    }
}
