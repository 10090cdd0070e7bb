//! Stakeholder updates in the console: the composer (`U`), snoozing the clock (`S`), sending in
//! the background and recording what went out, resending to the channels that failed
//! (`:resend`), the confirmation before anything goes to an external channel, and resolving the
//! Statuspage incident when the incident is closed.
//!
//! Sending is an [`Effect`]: the event loop runs it as a task and the results come back as
//! [`Action::UpdateResults`](crate::tui::state::Action::UpdateResults). Clipboard channels are an effect
//! of their own, written to the console's terminal.

use crossterm::event::{KeyCode, KeyEvent};
use ratatui_textarea::TextArea;
use uuid::Uuid;

use crate::domain::event::EventBody;
use crate::domain::incident::Status;
use crate::domain::text::{BODY_CAP, sanitize};
use crate::domain::updates::{
    Audience, ChannelConfig, ChannelKind, ComponentStatus, SNOOZE_CHOICES, UpdateClock, clock,
};
use crate::tui::action::Effect;
use crate::tui::cursor::{LIST_PAGE, ListCursor};
use crate::tui::keymap::{Command, Context};
use crate::tui::state::{AppState, Confirm, Mode};
use crate::tui::views::{
    ChannelRow, ComposerChannel, ComposerFocus, ComposerState, InFlight, PendingSend, Retry,
};
use crate::updates::{Outgoing, SendReport, UpdateContext};

pub use crate::tui::views::ComponentChoices;

/// The clock at the console's `now`.
pub fn current_clock(app: &AppState) -> Option<UpdateClock> {
    clock(&app.incident, &app.updates.config.cadence, app.now)
}

/// The context templates see right now.
pub fn context(app: &AppState) -> UpdateContext {
    UpdateContext::build(
        &app.incident,
        Some(&app.health),
        &app.updates.config.cadence,
        app.now,
        app.zone,
    )
}

fn render(app: &AppState, template: &str, audience: Audience) -> Result<String, String> {
    app.updates
        .templates
        .render(template, &context(app).for_audience(audience))
        .map_err(|e| e.to_string())
}

/// Renders the composer's template again for its audience (the draft was not edited by hand).
fn rerender(app: &AppState, c: &mut ComposerState) {
    match render(app, &c.template, c.audience) {
        Ok(text) => {
            c.text = text_area(&text);
            c.error = None;
        }
        Err(e) => {
            c.text = text_area("");
            c.error = Some(e);
        }
    }
    c.edited = false;
}

fn text_area(text: &str) -> TextArea<'static> {
    let lines: Vec<String> = if text.is_empty() {
        vec![String::new()]
    } else {
        text.lines().map(str::to_string).collect()
    };
    TextArea::new(lines)
}

/// `U`: a draft from the default template.
/// (Refused while the incident is closed, by the command table's guard.)
pub fn open_composer(app: &mut AppState) {
    let wanted = app.updates.config.default_template.clone();
    let template = if app.updates.templates.get(&wanted).is_some() {
        wanted
    } else {
        app.updates
            .templates
            .names()
            .first()
            .map(|s| s.to_string())
            .unwrap_or(wanted)
    };
    let (text, error) = match render(app, &template, Audience::Internal) {
        Ok(t) => (t, None),
        Err(e) => (String::new(), Some(e)),
    };
    let default = ComponentStatus::default_for(app.incident.severity, app.incident.status);
    let channels = app
        .updates
        .config
        .channels
        .iter()
        .map(|c| ComposerChannel {
            name: c.name.clone(),
            kind: c.kind.word(),
            audience: c.audience,
            checked: false,
            components: match &c.kind {
                ChannelKind::Statuspage(s) => {
                    s.components.keys().map(|k| (k.clone(), default)).collect()
                }
                _ => Vec::new(),
            },
        })
        .collect();
    app.mode = Mode::Composer(Box::new(ComposerState {
        template,
        text: text_area(&text),
        focus: ComposerFocus::Text,
        channels,
        cursor: ListCursor::default(),
        error,
        edited: false,
        audience: Audience::Internal,
    }));
}

/// Keys in the composer.
pub fn composer_key(
    app: &mut AppState,
    mut c: Box<ComposerState>,
    key: KeyEvent,
    fx: &mut Vec<Effect>,
) -> Mode {
    let contexts: &[Context] = if c.focus == ComposerFocus::Channels {
        &[Context::Channels, Context::Composer]
    } else {
        &[Context::Composer]
    };
    match app.keymap.lookup(&key, contexts) {
        Some(Command::ComposerCancel) => {
            if c.edited {
                Mode::Confirm {
                    what: Confirm::Discard,
                    back: Box::new(Mode::Composer(c)),
                }
            } else {
                Mode::Normal
            }
        }
        Some(Command::ComposerSwitch) => {
            c.focus = match c.focus {
                ComposerFocus::Text => ComposerFocus::Channels,
                ComposerFocus::Channels => ComposerFocus::Text,
            };
            Mode::Composer(c)
        }
        Some(Command::ComposerTemplate) => {
            let next = app
                .updates
                .templates
                .next_name(&c.template)
                .map(str::to_string);
            if let Some(next) = next {
                c.template = next;
                rerender(app, &mut c);
            }
            Mode::Composer(c)
        }
        cmd if c.focus == ComposerFocus::Channels => channel_key(app, c, cmd, fx),
        _ => {
            if c.text.input(key) {
                c.edited = true;
            }
            c.error = None;
            Mode::Composer(c)
        }
    }
}

fn channel_key(
    app: &mut AppState,
    mut c: Box<ComposerState>,
    cmd: Option<Command>,
    fx: &mut Vec<Effect>,
) -> Mode {
    let rows = c.rows();
    let n = rows.len();
    let row = rows.get(c.cursor.selected).copied();
    let Some(cmd) = cmd else {
        return Mode::Composer(c);
    };
    match cmd {
        Command::ChannelDown | Command::ChannelUp => c.cursor.step(n, LIST_PAGE, cmd),
        // On a Statuspage component: cycle its status.
        Command::ChannelToggle | Command::ComponentCycle
            if matches!(row, Some(ChannelRow::Component(..))) =>
        {
            if let Some(ChannelRow::Component(i, j)) = row
                && let Some(comp) = c
                    .channels
                    .get_mut(i)
                    .and_then(|ch| ch.components.get_mut(j))
            {
                comp.1 = comp.1.next();
            }
        }
        Command::ChannelToggle => {
            if let Some(ChannelRow::Channel(i)) = row
                && let Some(ch) = c.channels.get_mut(i)
            {
                ch.checked = !ch.checked;
            }
            audience_changed(app, &mut c);
        }
        Command::ChannelAll => {
            let all = c.channels.iter().all(|ch| ch.checked);
            for ch in &mut c.channels {
                ch.checked = !all;
            }
            audience_changed(app, &mut c);
        }
        Command::ChannelSend => {
            if c.channels.is_empty() {
                c.error = Some(
                    "no channels are configured: add [[updates.channels]] to the config (see assets/config.toml)"
                        .into(),
                );
                return Mode::Composer(c);
            }
            let text = sanitize(c.draft().trim(), BODY_CAP);
            if text.is_empty() {
                c.error = Some(format!(
                    "the update is empty: write it first ({} goes back to the text)",
                    app.keymap.first_key(Command::ComposerSwitch)
                ));
                return Mode::Composer(c);
            }
            let mut names: Vec<String> = c
                .channels
                .iter()
                .filter(|ch| ch.checked)
                .map(|ch| ch.name.clone())
                .collect();
            if names.is_empty() {
                let under = match row {
                    Some(ChannelRow::Channel(i)) | Some(ChannelRow::Component(i, _)) => {
                        c.channels.get(i)
                    }
                    None => None,
                };
                if let Some(ch) = under {
                    names.push(ch.name.clone());
                }
            }
            let external: Vec<String> = c
                .channels
                .iter()
                .filter(|ch| ch.audience == Audience::External && names.contains(&ch.name))
                .map(|ch| ch.name.clone())
                .collect();
            if !external.is_empty() {
                return Mode::ConfirmSend(Box::new(PendingSend {
                    composer: c,
                    text,
                    names,
                    external,
                    scroll: ListCursor::default(),
                }));
            }
            let components = c.component_choices();
            send(app, &c.template, &text, &names, &components, None, fx);
            return Mode::Normal;
        }
        _ => {}
    }
    Mode::Composer(c)
}

/// The ticked channels changed: a draft not edited by hand is rendered again when its audience
/// changes (so the `external` wording follows an all-external choice).
fn audience_changed(app: &AppState, c: &mut ComposerState) {
    let now = c.ticked_audience();
    if now != c.audience {
        c.audience = now;
        if !c.edited {
            rerender(app, c);
        }
    }
}

/// Keys of the confirmation before sending to external channels: `y` sends, `j`/`k` scroll,
/// anything else goes back to the composer.
pub fn confirm_send_key(
    app: &mut AppState,
    mut p: Box<PendingSend>,
    key: KeyEvent,
    fx: &mut Vec<Effect>,
) -> Mode {
    match app.keymap.lookup(&key, &[Context::Confirm, Context::Popup]) {
        Some(Command::ConfirmYes) => {
            let components = p.composer.component_choices();
            send(
                app,
                &p.composer.template,
                &p.text,
                &p.names,
                &components,
                None,
                fx,
            );
            Mode::Normal
        }
        Some(Command::ScrollDown) => {
            p.scroll.scroll_by(1, app.popup_scroll_max.get());
            Mode::ConfirmSend(p)
        }
        Some(Command::ScrollUp) => {
            p.scroll.scroll_by(-1, app.popup_scroll_max.get());
            Mode::ConfirmSend(p)
        }
        _ => Mode::Composer(p.composer),
    }
}

/// Starts sending `text` on the named channels.
pub fn send(
    app: &mut AppState,
    template: &str,
    text: &str,
    names: &[String],
    components: &ComponentChoices,
    retry_of: Option<Uuid>,
    fx: &mut Vec<Effect>,
) {
    send_as(app, template, text, names, components, retry_of, None, fx);
}

/// [`send`], optionally with another status than the incident's (resolving a Statuspage
/// incident at the close).
#[allow(clippy::too_many_arguments)]
fn send_as(
    app: &mut AppState,
    template: &str,
    text: &str,
    names: &[String],
    components: &ComponentChoices,
    retry_of: Option<Uuid>,
    status: Option<Status>,
    fx: &mut Vec<Effect>,
) {
    let mut done = SendReport::default();
    let mut remote: Vec<ChannelConfig> = Vec::new();
    for name in names {
        match app.updates.config.channel(name) {
            Some(ch) if ch.kind == ChannelKind::Clipboard => {
                fx.push(Effect::Clipboard(text.to_string()));
                done.ok.push(ch.name.clone());
            }
            Some(ch) => remote.push(ch.clone()),
            None => done.failed.push(crate::domain::updates::ChannelFailure {
                channel: name.clone(),
                error: "no such channel in the config any more".into(),
            }),
        }
    }
    let request = app.updates.next_request;
    app.updates.next_request += 1;
    app.updates.in_flight.insert(
        request,
        InFlight {
            template: template.to_string(),
            text: text.to_string(),
            components: components.clone(),
            retry_of,
            done,
        },
    );
    if remote.is_empty() {
        results(app, request, SendReport::default(), fx);
        return;
    }
    let list: Vec<&str> = remote.iter().map(|c| c.name.as_str()).collect();
    app.flash(format!("sending the update to {}…", list.join(", ")), false);
    let ctx = context(app);
    let mut message = Outgoing::new(&app.incident, &ctx, template, text, app.now);
    message.components = components.clone();
    if let Some(st) = status {
        message.status = st;
    }
    fx.push(Effect::SendUpdate {
        request,
        message: Box::new(message),
        channels: remote,
    });
}

/// A send came back: record it (one `comms` entry) and say how it went.
pub fn results(app: &mut AppState, request: u64, report: SendReport, fx: &mut Vec<Effect>) {
    let Some(sent) = app.updates.in_flight.remove(&request) else {
        return;
    };
    let report = sent.done.clone().merge(report);
    let ev = app.event(EventBody::UpdateSent {
        template: sent.template.clone(),
        channels_ok: report.ok.clone(),
        channels_failed: report.failed.clone(),
        text: sent.text.clone(),
        retry_of: sent.retry_of,
        statuspage: report.published.clone(),
    });
    let pages: Vec<String> = report
        .published
        .iter()
        .map(|p| format!(" (Statuspage incident {}, {})", p.incident_id, p.status))
        .collect();
    if report.failed.is_empty() {
        app.updates.retry = None;
        app.flash(
            format!("update sent to {}{}", report.ok.join(", "), pages.concat()),
            false,
        );
    } else {
        let failed: Vec<String> = report
            .failed
            .iter()
            .map(|f| format!("{} ({})", f.channel, f.error))
            .collect();
        let reached = if report.ok.is_empty() {
            "update NOT sent".to_string()
        } else {
            format!("update sent to {}", report.ok.join(", "))
        };
        app.flash(
            format!(
                "{reached}; FAILED: {}. :resend tries those again",
                failed.join("; ")
            ),
            true,
        );
        app.updates.retry = Some(Retry {
            template: sent.template,
            text: sent.text,
            components: sent.components,
            channels: report.failed.iter().map(|f| f.channel.clone()).collect(),
            first: sent.retry_of.unwrap_or(ev.id),
        });
    }
    app.pending.insert(ev.id);
    fx.push(Effect::Append(ev));
}

/// `:resend`: the last update again, to the channels it did not reach.
pub fn resend(app: &mut AppState, fx: &mut Vec<Effect>) -> Result<(), String> {
    let Some(r) = app.updates.retry.take() else {
        return Err("nothing to resend: the last update reached every channel".into());
    };
    send(
        app,
        &r.template,
        &r.text,
        &r.channels,
        &r.components,
        Some(r.first),
        fx,
    );
    Ok(())
}

/// The Statuspage channels whose page has an incident still open: (channel, incident id).
pub fn open_statuspage(app: &AppState) -> Vec<(String, String)> {
    crate::updates::send::open_statuspage(&app.updates.config.channels, &app.incident)
        .into_iter()
        .map(|(c, id)| (c.name.clone(), id))
        .collect()
}

/// After the close: resolve the open Statuspage incidents, with the closing summary as the last
/// update and every listed component back to operational.
pub fn resolve_statuspage(app: &mut AppState, fx: &mut Vec<Effect>) {
    let names: Vec<String> = open_statuspage(app).into_iter().map(|o| o.0).collect();
    if names.is_empty() {
        return;
    }
    let text = crate::updates::send::resolution_text(&app.incident);
    send_as(
        app,
        RESOLVED_TEMPLATE,
        &text,
        &names,
        &ComponentChoices::new(),
        None,
        Some(Status::Resolved),
        fx,
    );
}

/// The template name recorded for the update that resolves a Statuspage incident at the close.
pub const RESOLVED_TEMPLATE: &str = "resolved";

/// `S`: choose how long to snooze.
pub fn open_snooze(app: &mut AppState) {
    if current_clock(app).is_none() {
        app.flash(
            format!(
                "no update is due: {} has no update cadence ([updates] cadence in the config)",
                app.incident.severity.label()
            ),
            false,
        );
        return;
    }
    app.mode = Mode::Snooze {
        cursor: ListCursor::default(),
    };
}

/// Snoozes the clock by `minutes` (5, 10 or 15).
pub fn snooze(app: &mut AppState, minutes: u32, fx: &mut Vec<Effect>) -> Result<(), String> {
    if !SNOOZE_CHOICES.contains(&minutes) {
        return Err(format!(
            "snooze by 5, 10 or 15 minutes (e.g. :snooze 10), not {minutes}"
        ));
    }
    if current_clock(app).is_none() {
        return Err("no update is due, so there is nothing to snooze".into());
    }
    fx.push(app.append(EventBody::UpdateSnoozed { minutes }));
    app.flash(format!("next update snoozed by {minutes} min"), false);
    Ok(())
}

/// Keys in the snooze chooser: j/k and Enter, or 1/2/3.
pub fn snooze_key(
    app: &mut AppState,
    mut cursor: ListCursor,
    key: KeyEvent,
    fx: &mut Vec<Effect>,
) -> Mode {
    let pick = |app: &mut AppState, i: usize, fx: &mut Vec<Effect>| {
        if let Some(&m) = SNOOZE_CHOICES.get(i)
            && let Err(e) = snooze(app, m, fx)
        {
            app.flash(e, true);
        }
        Mode::Normal
    };
    match (app.keymap.lookup(&key, &[Context::Picker]), key.code) {
        (Some(cmd @ (Command::PickerDown | Command::PickerUp)), _) => {
            cursor.step(SNOOZE_CHOICES.len(), LIST_PAGE, cmd);
            Mode::Snooze { cursor }
        }
        (Some(Command::PickerChoose), _) => pick(app, cursor.selected, fx),
        // The choices' own numbers take them at once.
        (None, KeyCode::Char(c @ '1'..='3')) => pick(app, c as usize - '1' as usize, fx),
        _ => Mode::Normal,
    }
}
