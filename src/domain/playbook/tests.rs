use super::*;
use chrono::TimeZone;

fn t(h: u32, m: u32, s: u32) -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 3, 4, h, m, s).unwrap()
}

fn mins(m: i64) -> TimeDelta {
    TimeDelta::minutes(m)
}

#[test]
fn line_index_matches_counting() {
    let text = "a\nbb\n\nccc\né\n";
    let index = LineIndex::new(text);
    for offset in 0..=text.len() + 3 {
        let counted = text.as_bytes()[..offset.min(text.len())]
            .iter()
            .filter(|&&b| b == b'\n')
            .count()
            + 1;
        assert_eq!(index.line(offset), counted, "offset {offset}");
    }
}

#[test]
fn a_generated_playbook_parses_with_every_step_in_place() {
    let text = generated_playbook(250);
    let pb = parse_playbook("gen", "gen.toml", &text).unwrap();
    assert_eq!(pb.step_count(), 250);
    assert_eq!(pb.sections.len(), 3);
    // The step ids' lines are right, far into the file: a duplicate names both lines.
    let dup = text.replace("id = \"step-249\"", "id = \"step-7\"");
    let err = parse_playbook("gen", "gen.toml", &dup).unwrap_err();
    let line_of = |needle: &str| text[..text.find(needle).unwrap()].lines().count() + 1;
    assert_eq!(err.line, line_of("id = \"step-249\""));
    assert_eq!(
        err.kind,
        PlaybookErrorKind::DuplicateStepId {
            id: "step-7".into(),
            first_line: line_of("id = \"step-7\"\n")
        }
    );
}

#[test]
fn a_playbook_over_8_mib_is_refused_by_size() {
    let mut text = generated_playbook(10);
    text.push_str(&format!("# {}\n", "x".repeat(MAX_PLAYBOOK_BYTES)));
    let err = parse_playbook("big", "big.toml", &text).unwrap_err();
    assert!(
        matches!(err.kind, PlaybookErrorKind::TooLarge { .. }),
        "{err}"
    );
    assert!(
        err.to_string().starts_with("big.toml:1: the file is "),
        "{err}"
    );
    assert!(err.to_string().contains("8 MiB"), "{err}");
    // Just under the limit is fine.
    let mut text = generated_playbook(10);
    text.push_str(&format!(
        "# {}\n",
        "x".repeat(MAX_PLAYBOOK_BYTES - text.len() - 3)
    ));
    assert_eq!(text.len(), MAX_PLAYBOOK_BYTES);
    assert!(parse_playbook("big", "big.toml", &text).is_ok());
}

const SMALL: &str = r#"name = "Small"
description = """
First line.
Second line.
"""

[[sections]]
title = "Triage"

[[sections.steps]]
id = "confirm"
title = "Confirm"
owner = "commander"
due = "10m"
required = true
check_back = "5m"

[[sections.steps]]
id = "trace"
title = "Trace"
due = "1h30m"

[[sections]]
title = "Afterwards"

[[sections.steps]]
id = "review"
title = "Review"
detail = "Hold it."
required = true
"#;

fn small() -> Playbook {
    parse_playbook("small", "playbooks/small.toml", SMALL).unwrap()
}

/// Parses `text` expecting failure and returns the error.
fn bad(text: &str) -> PlaybookError {
    match parse_playbook("foo", "playbooks/foo.toml", text) {
        Ok(pb) => panic!("expected an error, parsed {pb:?}"),
        Err(err) => err,
    }
}

fn assert_error(err: &PlaybookError, line: usize, field: Option<&str>, message_part: &str) {
    let shown = err.to_string();
    assert_eq!(err.file, "playbooks/foo.toml", "{shown}");
    assert_eq!(err.line, line, "{shown}");
    assert_eq!(err.field.as_deref(), field, "{shown}");
    let prefix = match field {
        Some(field) => format!("playbooks/foo.toml:{line}: field `{field}`: "),
        None => format!("playbooks/foo.toml:{line}: "),
    };
    assert!(
        shown.starts_with(&prefix),
        "{shown:?} should start with {prefix:?}"
    );
    assert!(
        shown.contains(message_part),
        "{shown:?} should contain {message_part:?}"
    );
}

// --- parsing -------------------------------------------------------------------------

#[test]
fn parses_a_valid_file() {
    let pb = small();
    assert_eq!(pb.id, "small");
    assert_eq!(pb.name, "Small");
    assert_eq!(pb.description, "First line.\nSecond line.");
    assert_eq!(pb.sections.len(), 2);
    assert_eq!(pb.sections[0].title, "Triage");
    assert_eq!(pb.step_count(), 3);
    let confirm = pb.step("confirm").unwrap();
    assert_eq!(confirm.owner.as_deref(), Some("commander"));
    assert_eq!(confirm.due, Some(mins(10)));
    assert_eq!(confirm.check_back, Some(mins(5)));
    assert!(confirm.required);
    let trace = pb.step("trace").unwrap();
    assert_eq!(trace.due, Some(mins(90)));
    assert_eq!(trace.owner, None);
    assert!(!trace.required);
    assert_eq!(trace.check_back, None);
    assert_eq!(trace.detail, "");
    assert_eq!(pb.step("review").unwrap().detail, "Hold it.");
    assert!(pb.step("nope").is_none());
    let ids: Vec<_> = pb
        .steps()
        .map(|(s, st)| (s.title.as_str(), st.id.as_str()))
        .collect();
    assert_eq!(
        ids,
        [
            ("Triage", "confirm"),
            ("Triage", "trace"),
            ("Afterwards", "review")
        ]
    );
}

#[test]
fn text_fields_are_cleaned_of_escapes() {
    let text = "name = \"Evil\\u001b[31m name\"\n[[sections]]\ntitle = \"S\"\n[[sections.steps]]\nid = \"a\"\ntitle = \"  spaced\\n  out  \"\n";
    let pb = parse_playbook("evil", "evil.toml", text).unwrap();
    assert_eq!(pb.name, "Evil name");
    assert_eq!(pb.sections[0].steps[0].title, "spaced out");
}

#[test]
fn every_builtin_playbook_parses() {
    assert!(BUILTIN_PLAYBOOKS.len() >= 3);
    for (id, text) in BUILTIN_PLAYBOOKS {
        let pb = parse_playbook(id, &format!("builtin:{id}"), text)
            .unwrap_or_else(|err| panic!("built-in {id} does not parse: {err}"));
        assert!(pb.step_count() >= 5, "{id} is too thin");
        assert!(
            pb.steps().any(|(_, s)| s.required),
            "{id} has no required step"
        );
        for (_, step) in pb.steps() {
            assert!(!step.detail.is_empty(), "{id}/{} has no detail", step.id);
            assert!(step.owner.is_some(), "{id}/{} has no owner", step.id);
        }
    }
    let ids: Vec<_> = BUILTIN_PLAYBOOKS.iter().map(|(id, _)| *id).collect();
    assert!(ids.contains(&DEFAULT_PLAYBOOK));
    assert!(ids.contains(&"phishing-surge"));
    assert!(ids.contains(&"post-incident-review"));
}

#[test]
fn cloud_mail_outage_has_the_expected_shape() {
    let (_, text) = BUILTIN_PLAYBOOKS
        .iter()
        .find(|(id, _)| *id == DEFAULT_PLAYBOOK)
        .unwrap();
    let pb = parse_playbook(DEFAULT_PLAYBOOK, "builtin", text).unwrap();
    assert_eq!(pb.name, "Cloud mail outage (Exchange Online)");
    let titles: Vec<_> = pb.sections.iter().map(|s| s.title.as_str()).collect();
    assert_eq!(
        titles,
        ["Triage", "Communicate", "Contain", "Recover", "Afterwards"]
    );
    let first = &pb.sections[0].steps[0];
    assert!(first.required);
    assert!(first.due.is_some_and(|d| d >= mins(5) && d <= mins(15)));
    for id in [
        "confirm-provider-incident",
        "subscribe-provider-updates",
        "notify-stakeholders",
        "open-alternate-channels",
        "pause-mail-workflows",
        "trace-message-flow",
        "freeze-tenant-changes",
        "helpdesk-script",
        "keep-timeline",
        "collect-local-logs",
        "snapshot-mail-config",
        "open-vendor-ticket",
        "watch-outage-phishing",
        "request-provider-report",
        "schedule-review",
    ] {
        assert!(pb.step(id).is_some(), "missing step {id}");
    }
    assert_eq!(
        pb.step("subscribe-provider-updates").unwrap().check_back,
        Some(mins(15))
    );
}

#[test]
fn unknown_field_at_each_level_is_named_with_its_line() {
    let err = bad(
        "name = \"x\"\ncolour = \"red\"\n[[sections]]\ntitle = \"s\"\n[[sections.steps]]\nid = \"a\"\ntitle = \"b\"\n",
    );
    assert_error(
        &err,
        2,
        Some("colour"),
        "unknown field; expected one of name, description, sections",
    );

    let err = bad(
        "name = \"x\"\n[[sections]]\ntitle = \"s\"\nowner = \"me\"\n[[sections.steps]]\nid = \"a\"\ntitle = \"b\"\n",
    );
    assert_error(
        &err,
        4,
        Some("owner"),
        "unknown field; expected one of title, steps",
    );

    let err = bad(
        "name = \"x\"\n[[sections]]\ntitle = \"s\"\n[[sections.steps]]\nid = \"a\"\ntitle = \"b\"\ndeu = \"5m\"\n",
    );
    assert_error(
        &err,
        7,
        Some("deu"),
        "unknown field; expected one of id, title, detail",
    );
}

#[test]
fn first_unknown_field_in_file_order_is_reported() {
    // Keys are stored sorted; the report must follow the file instead.
    let err = bad(
        "name = \"x\"\nzzz = 1\naaa = 2\n[[sections]]\ntitle = \"s\"\n[[sections.steps]]\nid = \"a\"\ntitle = \"b\"\n",
    );
    assert_error(&err, 2, Some("zzz"), "unknown field");
}

#[test]
fn duplicate_step_id_across_sections_is_refused() {
    let text = "name = \"x\"\n[[sections]]\ntitle = \"s\"\n[[sections.steps]]\nid = \"a\"\ntitle = \"b\"\n\n[[sections]]\ntitle = \"t\"\n[[sections.steps]]\nid = \"a\"\ntitle = \"c\"\n";
    let err = bad(text);
    assert_error(
        &err,
        11,
        Some("id"),
        "step id \"a\" is already used on line 5",
    );
}

#[test]
fn bad_duration_matches_the_documented_message() {
    let text = "name = \"x\"\n[[sections]]\ntitle = \"s\"\n[[sections.steps]]\nid = \"a\"\ntitle = \"b\"\n\n\n\n\n\ndue = \"15x\"\n";
    let err = bad(text);
    assert_eq!(
        err.to_string(),
        "playbooks/foo.toml:12: field `due`: \"15x\" is not a duration (use 15m, 1h30m, 90s)"
    );
    let err = bad(
        "name = \"x\"\n[[sections]]\ntitle = \"s\"\n[[sections.steps]]\nid = \"a\"\ntitle = \"b\"\ncheck_back = \"soon\"\n",
    );
    assert_error(&err, 7, Some("check_back"), "\"soon\" is not a duration");
    let err = bad(
        "name = \"x\"\n[[sections]]\ntitle = \"s\"\n[[sections.steps]]\nid = \"a\"\ntitle = \"b\"\ncheck_back = \"0m\"\n",
    );
    assert_error(&err, 7, Some("check_back"), "longer than zero");
    let err = bad(
        "name = \"x\"\n[[sections]]\ntitle = \"s\"\n[[sections.steps]]\nid = \"a\"\ntitle = \"b\"\ndue = 15\n",
    );
    assert_error(
        &err,
        7,
        Some("due"),
        "expected a duration string such as \"15m\", found an integer",
    );
}

#[test]
fn missing_titles_are_reported_where_the_table_starts() {
    let err = bad(
        "description = \"d\"\n[[sections]]\ntitle = \"s\"\n[[sections.steps]]\nid = \"a\"\ntitle = \"b\"\n",
    );
    assert_error(&err, 1, Some("name"), "missing; give the playbook a name");

    let err = bad("name = \"x\"\n\n[[sections]]\n[[sections.steps]]\nid = \"a\"\ntitle = \"b\"\n");
    assert_error(
        &err,
        3,
        Some("title"),
        "missing; every section needs a title",
    );

    let err = bad("name = \"x\"\n[[sections]]\ntitle = \"s\"\n\n[[sections.steps]]\nid = \"a\"\n");
    assert_error(&err, 5, Some("title"), "missing; every step needs a title");

    let err = bad(
        "name = \"x\"\n[[sections]]\ntitle = \"s\"\n[[sections.steps]]\nid = \"a\"\ntitle = \"  \"\n",
    );
    assert_error(&err, 6, Some("title"), "is empty; every step needs a title");
}

#[test]
fn empty_missing_or_unusable_ids_are_refused() {
    let err = bad(
        "name = \"x\"\n[[sections]]\ntitle = \"s\"\n[[sections.steps]]\nid = \"\"\ntitle = \"b\"\n",
    );
    assert_error(&err, 5, Some("id"), "is empty");

    let err = bad("name = \"x\"\n[[sections]]\ntitle = \"s\"\n[[sections.steps]]\ntitle = \"b\"\n");
    assert_error(&err, 4, Some("id"), "missing; every step needs a short id");

    let err = bad(
        "name = \"x\"\n[[sections]]\ntitle = \"s\"\n[[sections.steps]]\nid = \"two words\"\ntitle = \"b\"\n",
    );
    assert_error(&err, 5, Some("id"), "\"two words\" is not a usable id");

    let err = parse_playbook("bad name", "playbooks/bad name.toml", SMALL).unwrap_err();
    assert_eq!(err.line, 1);
    assert!(
        err.to_string()
            .contains("does not make a usable playbook id"),
        "{err}"
    );
}

#[test]
fn wrong_types_and_empty_lists_are_refused() {
    let err = bad(
        "name = 3\n[[sections]]\ntitle = \"s\"\n[[sections.steps]]\nid = \"a\"\ntitle = \"b\"\n",
    );
    assert_error(&err, 1, Some("name"), "expected a string, found an integer");

    let err = bad(
        "name = \"x\"\n[[sections]]\ntitle = \"s\"\n[[sections.steps]]\nid = \"a\"\ntitle = \"b\"\nrequired = \"yes\"\n",
    );
    assert_error(
        &err,
        7,
        Some("required"),
        "expected a boolean (true or false), found a string",
    );

    let err = bad("name = \"x\"\nsections = \"none\"\n");
    assert_error(&err, 2, Some("sections"), "expected an array of tables");

    let err = bad("name = \"x\"\n");
    assert_error(&err, 1, Some("sections"), "missing");

    let err = bad("name = \"x\"\nsections = []\n");
    assert_error(&err, 2, Some("sections"), "needs at least one entry");

    let err = bad("name = \"x\"\n[[sections]]\ntitle = \"s\"\nsteps = []\n");
    assert_error(&err, 4, Some("steps"), "needs at least one entry");
}

#[test]
fn toml_syntax_errors_carry_the_line() {
    let err = bad("name = \"x\"\n\ntitle = \n");
    assert_error(&err, 3, None, "not valid TOML");
}

#[test]
fn durations_parse_and_format() {
    let parse_duration = parse_due;
    for (text, secs) in [
        ("15m", 900),
        ("1h30m", 5400),
        ("90s", 90),
        ("1h", 3600),
        ("2d", 172_800),
        ("1d2h3m4s", 93_784),
        ("0m", 0),
        (" 5M ", 300),
    ] {
        assert_eq!(
            parse_duration(text),
            Some(TimeDelta::seconds(secs)),
            "{text}"
        );
    }
    for text in [
        "",
        "15",
        "m",
        "15x",
        "30m1h",
        "1h1h",
        "1h 30m",
        "-5m",
        "1.5h",
        "31d",
        "9999999999s",
    ] {
        assert_eq!(parse_duration(text), None, "{text:?} should not parse");
    }
    for text in ["15m", "1h30m", "45s", "1d2h3m4s", "0m"] {
        assert_eq!(format_duration(parse_duration(text).unwrap()), text);
    }
    assert_eq!(format_duration(-mins(5)), "-5m");
    assert_eq!(format_duration(TimeDelta::seconds(90)), "1m30s");
}

// --- loading -------------------------------------------------------------------------

fn user(id: &str, text: &str) -> (String, String, String) {
    (
        id.to_string(),
        format!("playbooks/{id}.toml"),
        text.to_string(),
    )
}

#[test]
fn user_files_override_builtins_and_bad_files_do_not_stop_the_rest() {
    let builtins: &[(&str, &str)] = &[("small", SMALL), ("zeta", SMALL), ("alpha", SMALL)];
    let override_text = SMALL.replace("name = \"Small\"", "name = \"Mine\"");
    let users = vec![
        user("small", &override_text),
        user("broken", "name = \"x\"\nbogus = 1\n"),
        user("extra", SMALL),
    ];
    let (loaded, errors) = load_playbooks(builtins, &users);
    let ids: Vec<_> = loaded.iter().map(|p| p.id.as_str()).collect();
    assert_eq!(ids, ["alpha", "extra", "small", "zeta"]);
    assert_eq!(loaded[2].name, "Mine");
    assert_eq!(errors.len(), 1);
    assert_eq!(errors[0].file, "playbooks/broken.toml");
    assert_eq!(errors[0].line, 2);
    assert_eq!(errors[0].field.as_deref(), Some("bogus"));
}

#[test]
fn a_broken_override_keeps_the_builtin_and_is_reported() {
    let builtins: &[(&str, &str)] = &[("small", SMALL)];
    let (loaded, errors) = load_playbooks(builtins, &[user("small", "name = ")]);
    assert_eq!(loaded.len(), 1);
    assert_eq!(loaded[0].name, "Small");
    assert_eq!(errors.len(), 1);
    assert_eq!(errors[0].file, "playbooks/small.toml");
}

#[test]
fn two_user_files_with_one_id_keep_the_first() {
    let second = SMALL.replace("name = \"Small\"", "name = \"Second\"");
    let users = vec![
        user("small", SMALL),
        ("small".to_string(), "other/small.toml".to_string(), second),
    ];
    let (loaded, errors) = load_playbooks(&[], &users);
    assert_eq!(loaded.len(), 1);
    assert_eq!(loaded[0].name, "Small");
    assert_eq!(errors.len(), 1);
    assert_eq!(errors[0].file, "other/small.toml");
    assert!(
        errors[0]
            .to_string()
            .contains("also defined by playbooks/small.toml")
    );
}

#[test]
fn the_real_builtins_load_without_errors() {
    let (loaded, errors) = load_playbooks(BUILTIN_PLAYBOOKS, &[]);
    assert!(errors.is_empty(), "{errors:?}");
    assert_eq!(loaded.len(), BUILTIN_PLAYBOOKS.len());
    assert!(loaded.windows(2).all(|w| w[0].id < w[1].id));
}

// --- state machine -------------------------------------------------------------------

const ALL: [StepStatus; 4] = [
    StepStatus::Todo,
    StepStatus::Doing,
    StepStatus::Done,
    StepStatus::Skipped,
];

fn state_in(status: StepStatus) -> StepState {
    let mut state = StepState::default();
    let path: &[StepChange] = match status {
        StepStatus::Todo => &[],
        StepStatus::Doing => &[StepChange::start("small", "confirm", t(10, 0, 0), "ann")],
        StepStatus::Done => &[StepChange::done("small", "confirm", t(10, 0, 0), "ann")],
        StepStatus::Skipped => &[StepChange::skip(
            "small",
            "confirm",
            "n/a",
            t(10, 0, 0),
            "ann",
        )],
    };
    for change in path {
        state = state.after(change).unwrap();
    }
    assert_eq!(state.status, status);
    state
}

fn to(status: StepStatus) -> StepChange {
    match status {
        StepStatus::Skipped => {
            StepChange::skip("small", "confirm", "not needed", t(11, 0, 0), "bob")
        }
        _ => StepChange::status("small", "confirm", status, t(11, 0, 0), "bob"),
    }
}

#[test]
fn transition_table_is_exactly_the_documented_one() {
    use StepStatus::*;
    let allowed = [
        (Todo, Doing),
        (Todo, Done),
        (Todo, Skipped),
        (Doing, Todo),
        (Doing, Done),
        (Doing, Skipped),
        (Done, Todo),
        (Skipped, Todo),
    ];
    for from in ALL {
        for target in ALL {
            let result = state_in(from).after(&to(target));
            if allowed.contains(&(from, target)) {
                let next = result.unwrap_or_else(|e| panic!("{from} -> {target}: {e}"));
                assert_eq!(next.status, target);
                assert_eq!(next.changed_at, Some(t(11, 0, 0)));
                assert_eq!(next.changed_by.as_deref(), Some("bob"));
            } else if from == target {
                assert_eq!(result, Err(TransitionError::Unchanged(target)));
            } else {
                assert_eq!(
                    result,
                    Err(TransitionError::NotAllowed { from, to: target })
                );
            }
        }
    }
}

#[test]
fn doing_sets_started_at_and_done_sets_done_at() {
    let doing = state_in(StepStatus::Todo)
        .after(&to(StepStatus::Doing))
        .unwrap();
    assert_eq!(doing.started_at, Some(t(11, 0, 0)));
    assert_eq!(doing.done_at, None);
    let done = doing
        .after(&StepChange::done("small", "confirm", t(11, 20, 0), "bob"))
        .unwrap();
    assert_eq!(done.started_at, Some(t(11, 0, 0)));
    assert_eq!(done.done_at, Some(t(11, 20, 0)));
}

#[test]
fn reopening_clears_completion_but_keeps_owner() {
    let mut state = state_in(StepStatus::Done);
    state.owner = Some("alice".into());
    let reopened = state.after(&to(StepStatus::Todo)).unwrap();
    assert_eq!(reopened.status, StepStatus::Todo);
    assert_eq!(reopened.done_at, None);
    assert_eq!(reopened.started_at, None);
    assert_eq!(reopened.owner.as_deref(), Some("alice"));

    let reopened = state_in(StepStatus::Skipped)
        .after(&to(StepStatus::Todo))
        .unwrap();
    assert_eq!(reopened.reason, None);
}

#[test]
fn skipping_needs_a_reason_and_only_skipping_takes_one() {
    let todo = StepState::default();
    for reason in [None, Some(""), Some("   "), Some("\u{1b}[0m")] {
        let change = StepChange::new(
            "small",
            "confirm",
            StepAction::SetStatus {
                status: StepStatus::Skipped,
                reason: reason.map(str::to_string),
            },
            t(11, 0, 0),
            "bob",
        );
        assert_eq!(
            todo.after(&change),
            Err(TransitionError::ReasonRequired),
            "{reason:?}"
        );
    }
    let skipped = todo.after(&to(StepStatus::Skipped)).unwrap();
    assert_eq!(skipped.reason.as_deref(), Some("not needed"));
    assert_eq!(skipped.done_at, None);

    let with_reason = StepChange::new(
        "small",
        "confirm",
        StepAction::SetStatus {
            status: StepStatus::Done,
            reason: Some("because".into()),
        },
        t(11, 0, 0),
        "bob",
    );
    assert_eq!(
        todo.after(&with_reason),
        Err(TransitionError::ReasonNotAllowed)
    );
}

#[test]
fn assigning_owners() {
    let todo = StepState::default();
    let at = t(11, 0, 0);
    let assigned = todo
        .after(&StepChange::assign(
            "small",
            "confirm",
            Some(" alice "),
            at,
            "bob",
        ))
        .unwrap();
    assert_eq!(assigned.owner.as_deref(), Some("alice"));
    assert_eq!(assigned.status, StepStatus::Todo);
    assert_eq!(
        assigned.after(&StepChange::assign(
            "small",
            "confirm",
            Some("alice"),
            at,
            "bob"
        )),
        Err(TransitionError::OwnerUnchanged)
    );
    assert_eq!(
        todo.after(&StepChange::assign(
            "small",
            "confirm",
            Some("  "),
            at,
            "bob"
        )),
        Err(TransitionError::EmptyOwner)
    );
    assert_eq!(
        todo.after(&StepChange::assign("small", "confirm", None, at, "bob")),
        Err(TransitionError::OwnerUnchanged)
    );
    let cleared = assigned
        .after(&StepChange::assign("small", "confirm", None, at, "bob"))
        .unwrap();
    assert_eq!(cleared.owner, None);
    // Owners can change on completed steps too.
    assert!(
        state_in(StepStatus::Done)
            .after(&StepChange::assign(
                "small",
                "confirm",
                Some("carol"),
                at,
                "bob"
            ))
            .is_ok()
    );
    let pb = small();
    let step = pb.step("confirm").unwrap();
    assert_eq!(todo.effective_owner(step), Some("commander"));
    assert_eq!(assigned.effective_owner(step), Some("alice"));
}

#[test]
fn ack_only_on_a_step_in_progress() {
    let ack = StepChange::ack_check_back("small", "confirm", t(11, 0, 0), "bob");
    for status in [StepStatus::Todo, StepStatus::Done, StepStatus::Skipped] {
        assert_eq!(
            state_in(status).after(&ack),
            Err(TransitionError::NotInProgress)
        );
    }
    let acked = state_in(StepStatus::Doing).after(&ack).unwrap();
    assert_eq!(acked.check_back_acked_at, Some(t(11, 0, 0)));
    assert_eq!(acked.status, StepStatus::Doing);
}

#[test]
fn toggle_done_ticks_and_unticks() {
    let at = t(11, 0, 0);
    for (status, expected) in [
        (StepStatus::Todo, StepStatus::Done),
        (StepStatus::Doing, StepStatus::Done),
        (StepStatus::Done, StepStatus::Todo),
        (StepStatus::Skipped, StepStatus::Todo),
    ] {
        let state = state_in(status);
        let change = StepChange::toggle_done("small", "confirm", &state, at, "bob");
        assert_eq!(
            change.action,
            StepAction::SetStatus {
                status: expected,
                reason: None
            }
        );
        assert_eq!(state.after(&change).unwrap().status, expected);
    }
}

#[test]
fn apply_records_per_playbook_and_refusals_change_nothing() {
    let mut progress = PlaybookProgress::default();
    apply(
        &mut progress,
        &StepChange::start("small", "confirm", t(10, 0, 0), "ann"),
    )
    .unwrap();
    apply(
        &mut progress,
        &StepChange::done("other", "confirm", t(10, 1, 0), "ann"),
    )
    .unwrap();
    assert_eq!(progress.state("small", "confirm").status, StepStatus::Doing);
    assert_eq!(progress.state("other", "confirm").status, StepStatus::Done);
    assert_eq!(progress.state("small", "trace"), &StepState::default());

    let before = progress.clone();
    let err = apply(
        &mut progress,
        &StepChange::start("small", "confirm", t(10, 2, 0), "ann"),
    );
    assert_eq!(err, Err(TransitionError::Unchanged(StepStatus::Doing)));
    assert_eq!(progress, before);
}

#[test]
fn apply_checked_knows_the_playbook() {
    let pb = small();
    let mut progress = PlaybookProgress::default();
    let at = t(10, 0, 0);
    assert_eq!(
        progress.apply_checked(&pb, &StepChange::done("small", "ghost", at, "ann")),
        Err(TransitionError::UnknownStep {
            playbook: "small".into(),
            step: "ghost".into()
        })
    );
    assert!(matches!(
        progress.apply_checked(&pb, &StepChange::done("other", "confirm", at, "ann")),
        Err(TransitionError::UnknownStep { .. })
    ));
    progress
        .apply_checked(&pb, &StepChange::start("small", "trace", at, "ann"))
        .unwrap();
    assert_eq!(
        progress.apply_checked(
            &pb,
            &StepChange::ack_check_back("small", "trace", at, "ann")
        ),
        Err(TransitionError::NoCheckBack("trace".into()))
    );
    progress
        .apply_checked(&pb, &StepChange::start("small", "confirm", at, "ann"))
        .unwrap();
    progress
        .apply_checked(
            &pb,
            &StepChange::ack_check_back("small", "confirm", at, "ann"),
        )
        .unwrap();
    assert_eq!(
        progress.state("small", "confirm").check_back_acked_at,
        Some(at)
    );
}

#[test]
fn step_change_serialises_flat_and_round_trips() {
    let change = StepChange::skip(
        "cloud-mail-outage",
        "notify",
        "done by phone",
        t(10, 0, 0),
        "ann",
    );
    let json = serde_json::to_value(&change).unwrap();
    assert_eq!(
        json,
        serde_json::json!({
            "playbook": "cloud-mail-outage",
            "step": "notify",
            "op": "set_status",
            "status": "skipped",
            "reason": "done by phone",
            "at": "2026-03-04T10:00:00Z",
            "by": "ann",
        })
    );
    let back: StepChange = serde_json::from_value(json).unwrap();
    assert_eq!(back, change);
    for change in [
        StepChange::assign("p", "s", Some("alice"), t(10, 0, 0), "ann"),
        StepChange::assign("p", "s", None, t(10, 0, 0), "ann"),
        StepChange::ack_check_back("p", "s", t(10, 0, 0), "ann"),
        StepChange::done("p", "s", t(10, 0, 0), "ann"),
    ] {
        let text = serde_json::to_string(&change).unwrap();
        assert_eq!(
            serde_json::from_str::<StepChange>(&text).unwrap(),
            change,
            "{text}"
        );
    }
}

// --- timing --------------------------------------------------------------------------

#[test]
fn due_countdown_and_overdue_with_a_fixed_clock() {
    let pb = small();
    let start = t(10, 0, 0);
    let mut progress = PlaybookProgress::default();
    let timing = progress.timing(&pb, "confirm", start).unwrap();
    assert_eq!(timing.due_at(), Some(t(10, 10, 0)));
    assert_eq!(timing.countdown(t(10, 3, 0)), Some(mins(7)));
    assert_eq!(timing.countdown(t(10, 12, 0)), Some(mins(-2)));
    assert!(!timing.is_overdue(t(10, 9, 59)));
    assert!(
        !timing.is_overdue(t(10, 10, 0)),
        "due at exactly now is not late yet"
    );
    assert!(timing.is_overdue(t(10, 10, 1)));

    let review = progress.timing(&pb, "review", start).unwrap();
    assert_eq!(review.due_at(), None);
    assert_eq!(review.countdown(t(23, 0, 0)), None);
    assert!(!review.is_overdue(t(23, 0, 0)));
    assert!(progress.timing(&pb, "ghost", start).is_none());

    assert_eq!(
        progress
            .overdue(&pb, start, t(10, 30, 0))
            .iter()
            .map(|s| s.id.as_str())
            .collect::<Vec<_>>(),
        ["confirm"]
    );
    assert_eq!(progress.overdue(&pb, start, t(12, 0, 0)).len(), 2);

    // Doing is still overdue; done and skipped are not.
    apply(
        &mut progress,
        &StepChange::start("small", "confirm", t(10, 5, 0), "ann"),
    )
    .unwrap();
    assert!(
        progress
            .timing(&pb, "confirm", start)
            .unwrap()
            .is_overdue(t(10, 30, 0))
    );
    apply(
        &mut progress,
        &StepChange::done("small", "confirm", t(10, 20, 0), "ann"),
    )
    .unwrap();
    assert!(
        !progress
            .timing(&pb, "confirm", start)
            .unwrap()
            .is_overdue(t(10, 30, 0))
    );
    apply(
        &mut progress,
        &StepChange::skip("small", "trace", "no access", t(10, 20, 0), "ann"),
    )
    .unwrap();
    assert!(progress.overdue(&pb, start, t(12, 0, 0)).is_empty());
}

#[test]
fn check_back_counts_from_start_then_from_the_last_ack() {
    let pb = small();
    let start = t(10, 0, 0);
    let mut progress = PlaybookProgress::default();
    let idle = progress.timing(&pb, "confirm", start).unwrap();
    assert_eq!(
        idle.check_back_remaining(t(10, 0, 0)),
        None,
        "todo has no timer"
    );
    assert!(!idle.check_back_expired(t(11, 0, 0)));

    apply(
        &mut progress,
        &StepChange::start("small", "confirm", t(10, 2, 0), "ann"),
    )
    .unwrap();
    let timing = progress.timing(&pb, "confirm", start).unwrap();
    assert_eq!(timing.check_back_at(), Some(t(10, 7, 0)));
    assert_eq!(timing.check_back_remaining(t(10, 4, 0)), Some(mins(3)));
    assert!(!timing.check_back_expired(t(10, 6, 59)));
    assert!(timing.check_back_expired(t(10, 7, 0)));
    assert_eq!(timing.check_back_remaining(t(10, 9, 0)), Some(mins(-2)));
    assert_eq!(
        progress
            .check_backs_expired(&pb, start, t(10, 8, 0))
            .iter()
            .map(|s| s.id.as_str())
            .collect::<Vec<_>>(),
        ["confirm"]
    );

    apply(
        &mut progress,
        &StepChange::ack_check_back("small", "confirm", t(10, 8, 0), "ann"),
    )
    .unwrap();
    let timing = progress.timing(&pb, "confirm", start).unwrap();
    assert_eq!(timing.check_back_at(), Some(t(10, 13, 0)));
    assert!(!timing.check_back_expired(t(10, 9, 0)));
    assert!(
        progress
            .check_backs_expired(&pb, start, t(10, 9, 0))
            .is_empty()
    );

    // A step without a check-back never has a timer, even in progress.
    apply(
        &mut progress,
        &StepChange::start("small", "trace", t(10, 2, 0), "ann"),
    )
    .unwrap();
    let trace = progress.timing(&pb, "trace", start).unwrap();
    assert_eq!(trace.check_back_remaining(t(10, 30, 0)), None);

    // Done stops the timer; starting again restarts it from the new start, not the old ack.
    apply(
        &mut progress,
        &StepChange::done("small", "confirm", t(10, 10, 0), "ann"),
    )
    .unwrap();
    assert_eq!(
        progress
            .timing(&pb, "confirm", start)
            .unwrap()
            .check_back_at(),
        None
    );
    apply(
        &mut progress,
        &StepChange::reopen("small", "confirm", t(10, 11, 0), "ann"),
    )
    .unwrap();
    apply(
        &mut progress,
        &StepChange::start("small", "confirm", t(10, 20, 0), "ann"),
    )
    .unwrap();
    let timing = progress.timing(&pb, "confirm", start).unwrap();
    assert_eq!(timing.check_back_at(), Some(t(10, 25, 0)));
}

// --- progress ------------------------------------------------------------------------

#[test]
fn progress_counts_per_section_and_overall() {
    let pb = small();
    let mut progress = PlaybookProgress::default();
    let summary = progress.summary(&pb);
    assert_eq!(summary.sections.len(), 2);
    assert_eq!(summary.sections[0].title, "Triage");
    assert_eq!(
        summary.overall,
        Progress {
            total: 3,
            todo: 3,
            doing: 0,
            done: 0,
            skipped: 0,
            required_open: 2
        }
    );
    assert_eq!(summary.overall.percent(), 0);
    assert!(!summary.overall.is_finished());

    let at = t(10, 0, 0);
    apply(
        &mut progress,
        &StepChange::start("small", "confirm", at, "ann"),
    )
    .unwrap();
    apply(
        &mut progress,
        &StepChange::skip("small", "trace", "no access", at, "ann"),
    )
    .unwrap();
    apply(
        &mut progress,
        &StepChange::done("small", "review", at, "ann"),
    )
    .unwrap();
    // Progress of a different playbook must not leak in.
    apply(
        &mut progress,
        &StepChange::done("other", "confirm", at, "ann"),
    )
    .unwrap();
    let summary = progress.summary(&pb);
    assert_eq!(
        summary.sections[0].progress,
        Progress {
            total: 2,
            todo: 0,
            doing: 1,
            done: 0,
            skipped: 1,
            required_open: 1
        }
    );
    assert_eq!(summary.sections[0].progress.percent(), 50);
    assert_eq!(summary.sections[1].progress.complete(), 1);
    assert!(summary.sections[1].progress.is_finished());
    assert_eq!(summary.overall.complete(), 2);
    assert_eq!(summary.overall.required_open, 1);
    assert_eq!(summary.overall.percent(), 66);

    apply(
        &mut progress,
        &StepChange::done("small", "confirm", at, "ann"),
    )
    .unwrap();
    let summary = progress.summary(&pb);
    assert_eq!(summary.overall.required_open, 0);
    assert_eq!(summary.overall.percent(), 100);
    assert!(summary.overall.is_finished());
    assert_eq!(Progress::default().percent(), 100);
}

// --- timeline ------------------------------------------------------------------------

#[test]
fn timeline_text_for_each_change() {
    let pb = small();
    let step = pb.step("confirm").unwrap();
    let trace = pb.step("trace").unwrap();
    let at = t(10, 0, 0);
    let todo = StepState::default();
    let text = |step: &Step, before: StepStatus, change: StepChange| {
        timeline_text(step, &state_in(before), &change)
    };
    assert_eq!(
        text(
            step,
            StepStatus::Todo,
            StepChange::done("small", "confirm", at, "a")
        ),
        "done: Confirm"
    );
    assert_eq!(
        text(
            step,
            StepStatus::Todo,
            StepChange::start("small", "confirm", at, "a")
        ),
        "doing: Confirm"
    );
    assert_eq!(
        text(
            step,
            StepStatus::Todo,
            StepChange::skip("small", "confirm", "done by phone", at, "a")
        ),
        "skipped: Confirm (reason: done by phone)"
    );
    assert_eq!(
        text(
            step,
            StepStatus::Done,
            StepChange::reopen("small", "confirm", at, "a")
        ),
        "reopened: Confirm"
    );
    assert_eq!(
        text(
            step,
            StepStatus::Skipped,
            StepChange::reopen("small", "confirm", at, "a")
        ),
        "reopened: Confirm"
    );
    assert_eq!(
        text(
            step,
            StepStatus::Doing,
            StepChange::reopen("small", "confirm", at, "a")
        ),
        "back to todo: Confirm"
    );
    assert_eq!(
        timeline_text(
            step,
            &todo,
            &StepChange::assign("small", "confirm", Some("alice"), at, "a")
        ),
        "owner: Confirm → alice"
    );
    assert_eq!(
        timeline_text(
            step,
            &todo,
            &StepChange::assign("small", "confirm", None, at, "a")
        ),
        "owner: Confirm → commander (default)"
    );
    assert_eq!(
        timeline_text(
            trace,
            &todo,
            &StepChange::assign("small", "trace", None, at, "a")
        ),
        "owner: Trace → unassigned"
    );
    assert_eq!(
        text(
            step,
            StepStatus::Doing,
            StepChange::ack_check_back("small", "confirm", at, "a")
        ),
        "checked back: Confirm"
    );
}
