//! The console's side of stakeholder updates: the clock in the status bar (snapshots in each
//! state, fixed clock), the composer, snoozes, sends and their results, `:resend`.

use crate::common;

use common::*;
use crossterm::event::{KeyCode, KeyModifiers};
use ratatui::Terminal;
use ratatui::backend::TestBackend;
use ratatui::style::Color;
use warroom::domain::event::{Event, EventBody};
use warroom::domain::incident::{EntryKind, Incident, Severity};
use warroom::domain::updates::ChannelFailure;
use warroom::tui::app::{Action, AppState, Effect, Mode, update};
use warroom::tui::views::ComposerFocus;
use warroom::updates::SendReport;

fn sent_at(min: i64) -> Event {
    ev(
        50,
        mins(min),
        "dana",
        EventBody::UpdateSent {
            template: "internal".into(),
            channels_ok: vec!["teams".into()],
            channels_failed: vec![],
            text: "earlier update".into(),
            retry_of: None,
            statuspage: vec![],
        },
    )
}

fn with_channels(inc: Incident) -> AppState {
    let mut a = app(inc);
    a.updates.config = updates_config(
        r#"
[[channels]]
name = "teams"
kind = "teams"
url = "http://127.0.0.1:9/never-contacted"

[[channels]]
name = "hook"
kind = "webhook"
url_env = "WARROOM_HOOK_URL"

[[channels]]
name = "clip"
kind = "clipboard"
"#,
    );
    a
}

/// The status bar alone, with its styles.
fn status_bar(a: &AppState) -> (String, ratatui::buffer::Buffer) {
    let mut term = Terminal::new(TestBackend::new(120, 1)).unwrap();
    term.draw(|f| warroom::tui::ui::statusbar::render(f, f.area(), a))
        .unwrap();
    let buf = term.backend().buffer().clone();
    (term.backend().to_string(), buf)
}

/// The background colour of the first cell of `needle` in the bar.
fn bg_of(text: &str, buf: &ratatui::buffer::Buffer, needle: &str) -> Color {
    let line = text.lines().next().unwrap().trim_matches('"');
    let byte = line
        .find(needle)
        .unwrap_or_else(|| panic!("{needle:?} in {line}"));
    let col = line[..byte].chars().count() as u16;
    buf[(col, 0)].bg
}

#[test]
fn status_bar_clock_plenty_of_time() {
    let inc = Incident::from_events(&[opening(mins(-33)), sent_at(-5)]).unwrap();
    let a = app(inc);
    let (text, buf) = status_bar(&a);
    assert!(text.contains("next update in 25:00"), "{text}");
    assert_eq!(bg_of(&text, &buf, "next update"), Color::Indexed(236));
    insta::assert_snapshot!(format!("{text}\n{buf:?}"));
}

#[test]
fn status_bar_clock_amber_in_the_last_five_minutes() {
    let inc = Incident::from_events(&[opening(mins(-33)), sent_at(-27)]).unwrap();
    let a = app(inc);
    let (text, buf) = status_bar(&a);
    assert!(text.contains("next update in 03:00"), "{text}");
    assert_eq!(bg_of(&text, &buf, "next update"), Color::Indexed(214));
    insta::assert_snapshot!(format!("{text}\n{buf:?}"));
}

#[test]
fn status_bar_clock_red_when_overdue() {
    let a = app(empty_incident());
    let (text, buf) = status_bar(&a);
    assert!(text.contains("update OVERDUE 03:00"), "{text}");
    assert_eq!(bg_of(&text, &buf, "update OVERDUE"), Color::Red);
    insta::assert_snapshot!(format!("{text}\n{buf:?}"));
}

#[test]
fn status_bar_without_a_cadence_and_the_clock_moving() {
    let mut a = app(empty_incident());
    let fx = update(
        &mut a,
        Action::Journal {
            events: vec![ev(
                60,
                now(),
                "alice",
                EventBody::SeveritySet {
                    severity: Severity::Sev4,
                },
            )],
            warnings: vec![],
        },
    );
    assert!(fx.is_empty());
    assert!(status_bar(&a).0.contains("no update cadence"));
    // Back to SEV1 (20 minutes from the opening 33 minutes ago): overdue, and the tick counts.
    update(
        &mut a,
        Action::Journal {
            events: vec![ev(
                61,
                now(),
                "alice",
                EventBody::SeveritySet {
                    severity: Severity::Sev1,
                },
            )],
            warnings: vec![],
        },
    );
    assert!(status_bar(&a).0.contains("update OVERDUE 13:00"));
    update(&mut a, Action::Tick(mins(1)));
    assert!(status_bar(&a).0.contains("update OVERDUE 14:00"));
}

#[test]
fn u_opens_a_draft_that_can_be_edited_and_sent() {
    let mut a = with_channels(empty_incident());
    key(&mut a, KeyCode::Char('U'));
    let Mode::Composer(c) = &a.mode else {
        panic!("{:?}", a.mode)
    };
    assert_eq!(c.template, "internal");
    let draft = c.draft();
    assert!(
        draft.starts_with("[SEV2] Exchange Online: inbound mail delayed · Investigating"),
        "{draft}"
    );
    assert!(draft.ends_with("Next update: 14:33 UTC"), "{draft}");
    assert!(!c.edited);
    // Typing goes into the draft (Enter is a new line there).
    key_mod(&mut a, KeyCode::Char('>'), KeyModifiers::ALT);
    key(&mut a, KeyCode::End);
    key(&mut a, KeyCode::Enter);
    typed(&mut a, "Bridge: ext 4242");
    // Tab to the channels, tick teams and the clipboard, Enter sends.
    key(&mut a, KeyCode::Tab);
    key(&mut a, KeyCode::Char(' '));
    key(&mut a, KeyCode::Char('j'));
    key(&mut a, KeyCode::Char('j'));
    key(&mut a, KeyCode::Char(' '));
    let Mode::Composer(c) = &a.mode else { panic!() };
    assert_eq!(c.focus, ComposerFocus::Channels);
    assert!(c.edited);
    insta::assert_snapshot!("composer", frame_of(&mut a));
    let fx = key(&mut a, KeyCode::Enter);
    assert!(matches!(a.mode, Mode::Normal));
    let [
        Effect::Clipboard(clip),
        Effect::SendUpdate {
            request,
            message,
            channels,
        },
    ] = fx.as_slice()
    else {
        panic!("{fx:?}")
    };
    assert!(
        clip.ends_with("Next update: 14:33 UTC\nBridge: ext 4242"),
        "{clip}"
    );
    assert_eq!(&message.text, clip);
    assert_eq!(message.sent_at, now());
    assert_eq!(message.incident, a.incident.id);
    let names: Vec<&str> = channels.iter().map(|c| c.name.as_str()).collect();
    assert_eq!(names, ["teams"]);
    // Nothing is recorded until the results are in.
    assert!(appends(&fx).is_empty());

    let fx = update(
        &mut a,
        Action::UpdateResults {
            request: *request,
            report: SendReport {
                ok: vec!["teams".into()],
                failed: vec![],
                published: vec![],
            },
        },
    );
    let evs = ack(&mut a, fx);
    let [ev] = evs.as_slice() else {
        panic!("{evs:?}")
    };
    let EventBody::UpdateSent {
        template,
        channels_ok,
        channels_failed,
        text,
        retry_of,
        ..
    } = &ev.body
    else {
        panic!("{ev:?}")
    };
    assert_eq!(template, "internal");
    assert_eq!(channels_ok, &["clip", "teams"]);
    assert!(channels_failed.is_empty() && retry_of.is_none());
    assert_eq!(text, clip);
    assert_eq!(a.flash.as_ref().unwrap().text, "update sent to clip, teams");
    // One comms entry, and the clock starts again from now.
    let last = a.incident.visible_entries().last().unwrap();
    assert_eq!(last.kind, EntryKind::Comms);
    assert!(
        last.text
            .starts_with("stakeholder update (internal) sent to clip, teams\n[SEV2]")
    );
    assert!(status_bar(&a).0.contains("next update in 30:00"));
    // A result for a request nobody is waiting for changes nothing.
    let fx = update(
        &mut a,
        Action::UpdateResults {
            request: 999,
            report: SendReport::default(),
        },
    );
    assert!(fx.is_empty());
}

#[test]
fn a_failed_channel_is_reported_and_resent_alone() {
    let mut a = with_channels(empty_incident());
    key(&mut a, KeyCode::Char('U'));
    key(&mut a, KeyCode::Tab);
    key(&mut a, KeyCode::Char('a')); // tick all
    let fx = key(&mut a, KeyCode::Enter);
    let Some(Effect::SendUpdate {
        request, channels, ..
    }) = fx.iter().find(|f| matches!(f, Effect::SendUpdate { .. }))
    else {
        panic!("{fx:?}")
    };
    assert_eq!(channels.len(), 2);
    let fx = update(
        &mut a,
        Action::UpdateResults {
            request: *request,
            report: SendReport {
                ok: vec!["teams".into()],
                failed: vec![ChannelFailure {
                    channel: "hook".into(),
                    error: "HTTP 500: the service refused the update".into(),
                }],
                published: vec![],
            },
        },
    );
    let first = ack(&mut a, fx).remove(0);
    let flash = a.flash.clone().unwrap();
    assert!(flash.error);
    assert!(
        flash.text.contains("FAILED: hook (HTTP 500") && flash.text.contains(":resend"),
        "{}",
        flash.text
    );
    let entry = a.incident.entry(first.id).unwrap();
    assert!(
        entry.text.starts_with(
            "stakeholder update (internal) sent to clip, teams; FAILED: hook (HTTP 500"
        ),
        "{}",
        entry.text
    );

    // :resend sends the same text to the failed channel only.
    key(&mut a, KeyCode::Char(':'));
    typed(&mut a, "resend");
    let fx = key(&mut a, KeyCode::Enter);
    let [
        Effect::SendUpdate {
            request,
            channels,
            message,
        },
    ] = fx.as_slice()
    else {
        panic!("{fx:?}")
    };
    assert_eq!(channels.len(), 1);
    assert_eq!(channels[0].name, "hook");
    let EventBody::UpdateSent { text, .. } = &first.body else {
        panic!()
    };
    assert_eq!(&message.text, text);
    let fx = update(
        &mut a,
        Action::UpdateResults {
            request: *request,
            report: SendReport {
                ok: vec!["hook".into()],
                failed: vec![],
                published: vec![],
            },
        },
    );
    let evs = ack(&mut a, fx);
    let EventBody::UpdateSent {
        retry_of,
        channels_ok,
        ..
    } = &evs[0].body
    else {
        panic!()
    };
    assert_eq!(*retry_of, Some(first.id));
    assert_eq!(channels_ok, &["hook"]);
    assert!(
        a.incident
            .visible_entries()
            .last()
            .unwrap()
            .text
            .starts_with("stakeholder update (internal) resent to hook")
    );
    // Nothing left to resend.
    key(&mut a, KeyCode::Char(':'));
    typed(&mut a, "resend");
    key(&mut a, KeyCode::Enter);
    let Mode::Input(i) = &a.mode else { panic!() };
    assert!(
        i.error
            .as_deref()
            .unwrap_or("")
            .contains("nothing to resend")
    );
}

#[test]
fn snoozes_are_journal_events_in_the_timeline() {
    let mut a = app(empty_incident());
    key(&mut a, KeyCode::Char('S'));
    assert!(matches!(a.mode, Mode::Snooze { cursor } if cursor.selected == 0));
    let fx = key(&mut a, KeyCode::Char('2'));
    assert!(matches!(a.mode, Mode::Normal));
    let evs = ack(&mut a, fx);
    assert_eq!(evs[0].body, EventBody::UpdateSnoozed { minutes: 10 });
    // Overdue by three minutes; snoozed ten from now.
    assert!(status_bar(&a).0.contains("next update in 10:00"));
    let last = a.incident.visible_entries().last().unwrap();
    assert_eq!(
        (last.kind, last.text.as_str()),
        (
            EntryKind::Comms,
            "next stakeholder update snoozed by 10 min"
        )
    );
    // j, Enter picks the second choice too; :snooze takes only 5, 10 or 15.
    key(&mut a, KeyCode::Char('S'));
    key(&mut a, KeyCode::Char('j'));
    key(&mut a, KeyCode::Char('j'));
    let fx = key(&mut a, KeyCode::Enter);
    assert_eq!(
        appends(&fx)[0].body,
        EventBody::UpdateSnoozed { minutes: 15 }
    );
    key(&mut a, KeyCode::Char(':'));
    typed(&mut a, "snooze 7");
    let fx = key(&mut a, KeyCode::Enter);
    assert!(fx.is_empty());
    let Mode::Input(i) = &a.mode else { panic!() };
    assert!(i.error.as_deref().unwrap_or("").contains("5, 10 or 15"));
}

#[test]
fn composer_cycles_templates_and_asks_before_dropping_an_edit() {
    let mut a = with_channels(empty_incident());
    key(&mut a, KeyCode::Char('U'));
    key_mod(&mut a, KeyCode::Char('t'), KeyModifiers::CONTROL);
    let Mode::Composer(c) = &a.mode else { panic!() };
    assert_eq!(c.template, "can");
    assert!(c.draft().starts_with("CAN · [SEV2]"));
    typed(&mut a, "x");
    key(&mut a, KeyCode::Esc);
    assert!(matches!(a.mode, Mode::Confirm { .. }));
    key(&mut a, KeyCode::Char('n'));
    assert!(matches!(a.mode, Mode::Composer(_)));
    key(&mut a, KeyCode::Esc);
    key(&mut a, KeyCode::Char('y'));
    assert!(matches!(a.mode, Mode::Normal));
    // With no channels configured, Enter on the list says what to do.
    let mut b = app(empty_incident());
    key(&mut b, KeyCode::Char('U'));
    key(&mut b, KeyCode::Tab);
    let fx = key(&mut b, KeyCode::Enter);
    assert!(fx.is_empty());
    let Mode::Composer(c) = &b.mode else { panic!() };
    assert!(
        c.error
            .as_deref()
            .unwrap_or("")
            .contains("[[updates.channels]]")
    );
    // SEV4 has no cadence: nothing to snooze.
    let mut d = app(empty_incident());
    update(
        &mut d,
        Action::Journal {
            events: vec![ev(
                70,
                now(),
                "a",
                EventBody::SeveritySet {
                    severity: Severity::Sev4,
                },
            )],
            warnings: vec![],
        },
    );
    key(&mut d, KeyCode::Char('S'));
    assert!(matches!(d.mode, Mode::Normal));
    assert!(d.flash.unwrap().text.contains("no update cadence"));
}

fn frame_of(a: &mut AppState) -> String {
    let mut term = Terminal::new(TestBackend::new(120, 40)).unwrap();
    term.draw(|f| warroom::tui::ui::render(f, a)).unwrap();
    term.backend().to_string()
}

/// Teams (internal) and a Statuspage page (external) with two components.
fn with_statuspage(inc: Incident) -> AppState {
    let mut a = app(inc);
    a.updates.config = updates_config(
        r#"
[[channels]]
name = "teams"
kind = "teams"
url = "http://127.0.0.1:9/never-contacted"

[[channels]]
name = "status"
kind = "statuspage"
audience = "external"
page_id = "pg1"
api_key_env = "WARROOM_TEST_NEVER_SET_KEY"
base_url = "http://127.0.0.1:9/v1"
components = { "Email" = "cmpemail", "Web mail" = "cmpweb" }
"#,
    );
    a
}

#[test]
fn external_channels_need_a_yes_on_the_exact_text_and_components_are_chosen() {
    use warroom::domain::updates::{Audience, ComponentStatus, StatuspagePublished};
    use warroom::tui::views::ChannelRow;
    let mut a = with_statuspage(empty_incident());
    key(&mut a, KeyCode::Char('U'));
    key(&mut a, KeyCode::Tab);
    // Rows: teams, status, its two components. Tick the Statuspage channel.
    key(&mut a, KeyCode::Char('j'));
    key(&mut a, KeyCode::Char(' '));
    let Mode::Composer(c) = &a.mode else { panic!() };
    assert_eq!(
        c.rows(),
        [
            ChannelRow::Channel(0),
            ChannelRow::Channel(1),
            ChannelRow::Component(1, 0),
            ChannelRow::Component(1, 1)
        ]
    );
    // Every ticked channel is external: the draft is rendered for that audience.
    assert_eq!(c.audience, Audience::External);
    assert_eq!(
        c.channels[1].components,
        [
            ("Email".to_string(), ComponentStatus::PartialOutage),
            ("Web mail".to_string(), ComponentStatus::PartialOutage)
        ]
    );
    // The built-in external template, and Email set to a major outage.
    for _ in 0..3 {
        key_mod(&mut a, KeyCode::Char('t'), KeyModifiers::CONTROL);
    }
    key(&mut a, KeyCode::Char('j'));
    key(&mut a, KeyCode::Char(' '));
    let Mode::Composer(c) = &a.mode else { panic!() };
    assert_eq!(c.template, "external");
    assert_eq!(c.channels[1].components[0].1, ComponentStatus::MajorOutage);
    // `c` cycles through all five statuses and back.
    for _ in 0..5 {
        key(&mut a, KeyCode::Char('c'));
    }
    let Mode::Composer(c) = &a.mode else { panic!() };
    assert_eq!(c.channels[1].components[0].1, ComponentStatus::MajorOutage);
    let draft = c.draft();
    assert!(draft.starts_with("Email service update ·"), "{draft}");
    assert!(!draft.contains("Exchange Online"), "{draft}");

    // Enter asks first, showing the exact text and the external channel; nothing is sent.
    let fx = key(&mut a, KeyCode::Enter);
    assert!(fx.is_empty(), "{fx:?}");
    let Mode::ConfirmSend(p) = &a.mode else {
        panic!("{:?}", a.mode)
    };
    assert_eq!(p.external, ["status"]);
    assert_eq!(p.text, draft);
    let frame = frame_of(&mut a);
    assert!(
        frame.contains("Send to EXTERNAL channel(s) status?"),
        "{frame}"
    );
    assert!(frame.contains("Email service update ·"), "{frame}");
    // Scrolling stops where the text ends, as in every popup.
    for _ in 0..50 {
        key(&mut a, KeyCode::Char('j'));
    }
    let Mode::ConfirmSend(p) = &a.mode else {
        panic!("{:?}", a.mode)
    };
    assert!(a.popup_scroll_max.get() < 50);
    assert_eq!(p.scroll.offset, a.popup_scroll_max.get());
    // Anything but y goes back to the composer, draft intact.
    key(&mut a, KeyCode::Char('n'));
    let Mode::Composer(c) = &a.mode else {
        panic!("{:?}", a.mode)
    };
    assert_eq!(c.draft(), draft);
    key(&mut a, KeyCode::Enter);
    let fx = key(&mut a, KeyCode::Char('y'));
    assert!(matches!(a.mode, Mode::Normal));
    let [
        Effect::SendUpdate {
            request,
            message,
            channels,
        },
    ] = fx.as_slice()
    else {
        panic!("{fx:?}")
    };
    assert_eq!(channels.len(), 1);
    assert_eq!(channels[0].name, "status");
    assert_eq!(
        message.components["status"],
        [
            ("Email".to_string(), ComponentStatus::MajorOutage),
            ("Web mail".to_string(), ComponentStatus::PartialOutage)
        ]
        .into()
    );
    assert!(message.statuspage.is_empty());
    // The incident id comes back and is journaled with the send.
    let fx = update(
        &mut a,
        Action::UpdateResults {
            request: *request,
            report: SendReport {
                ok: vec!["status".into()],
                failed: vec![],
                published: vec![StatuspagePublished {
                    channel: "status".into(),
                    page_id: "pg1".into(),
                    incident_id: "sp42".into(),
                    status: "investigating".into(),
                }],
            },
        },
    );
    let evs = ack(&mut a, fx);
    let EventBody::UpdateSent { statuspage, .. } = &evs[0].body else {
        panic!()
    };
    assert_eq!(statuspage[0].incident_id, "sp42");
    let last = a.incident.visible_entries().last().unwrap().text.clone();
    assert!(
        last.starts_with("stakeholder update (external) sent to status [status: Statuspage incident sp42 (investigating)]\nEmail service update"),
        "{last}"
    );
    // The next send from this console (or any other reading the journal) updates it.
    key(&mut a, KeyCode::Char('U'));
    key(&mut a, KeyCode::Tab);
    let fx = key(&mut a, KeyCode::Enter);
    let [Effect::SendUpdate { message, .. }] = fx.as_slice() else {
        panic!("{fx:?}")
    };
    assert_eq!(message.statuspage["pg1"], "sp42");
}

#[test]
fn closing_offers_to_resolve_the_open_statuspage_incident() {
    use warroom::domain::incident::Status;
    use warroom::domain::updates::StatuspagePublished;
    use warroom::tui::app::Confirm;
    let inc = Incident::from_events(&[
        opening(mins(-33)),
        ev(
            50,
            mins(-10),
            "dana",
            EventBody::UpdateSent {
                template: "external".into(),
                channels_ok: vec!["status".into()],
                channels_failed: vec![],
                text: "We are investigating.".into(),
                retry_of: None,
                statuspage: vec![StatuspagePublished {
                    channel: "status".into(),
                    page_id: "pg1".into(),
                    incident_id: "sp42".into(),
                    status: "investigating".into(),
                }],
            },
        ),
    ])
    .unwrap();
    let mut a = with_statuspage(inc);
    key(&mut a, KeyCode::Char(':'));
    typed(&mut a, "close");
    key(&mut a, KeyCode::Enter);
    typed(&mut a, "A bad transport rule was reverted.");
    let fx = key_mod(&mut a, KeyCode::Char('s'), KeyModifiers::CONTROL);
    ack(&mut a, fx);
    assert!(a.incident.is_closed());
    assert!(
        matches!(
            a.mode,
            Mode::Confirm {
                what: Confirm::ResolveStatuspage,
                ..
            }
        ),
        "{:?}",
        a.mode
    );
    let frame = frame_of(&mut a);
    assert!(
        frame.contains("Resolve the Statuspage incident on status (sp42) too? (y/n)"),
        "{frame}"
    );
    let fx = key(&mut a, KeyCode::Char('y'));
    let Some(Effect::SendUpdate {
        message, channels, ..
    }) = fx.iter().find(|f| matches!(f, Effect::SendUpdate { .. }))
    else {
        panic!("{fx:?}")
    };
    assert_eq!(channels[0].name, "status");
    assert_eq!(message.status, Status::Resolved);
    assert_eq!(message.text, "Resolved: A bad transport rule was reverted.");
    assert_eq!(message.statuspage["pg1"], "sp42");
    assert_eq!(message.template, "resolved");
}

#[test]
fn the_drafts_t_plus_is_the_status_bars_after_a_backdated_first_entry() {
    // Opened 33 minutes ago; the first symptom was logged later, backdated to 40 minutes ago.
    let inc = Incident::from_events(&[
        opening(mins(-33)),
        note(
            2,
            mins(-1),
            mins(-40),
            EntryKind::Note,
            "first bounce reported",
        ),
    ])
    .unwrap();
    let mut a = app(inc);
    let (bar, _) = status_bar(&a);
    assert!(bar.contains("T+00:40:00"), "{bar}");
    key(&mut a, KeyCode::Char('U'));
    let Mode::Composer(c) = &a.mode else { panic!() };
    let draft = c.draft();
    assert!(
        draft.contains("· T+00:40:00 since the first symptom"),
        "{draft}"
    );
}
