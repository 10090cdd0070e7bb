//! Reading playbook files: parsing, errors, loading.

use super::*;

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

#[test]
fn a_step_may_carry_a_command_and_mark_the_support_case() {
    let text = |run: &str| {
        format!(
            "name = \"R\"\n[[sections]]\ntitle = \"T\"\n[[sections.steps]]\nid = \"snap\"\ntitle = \"Snapshot\"\n{run}\n"
        )
    };
    let pb = parse_playbook(
        "r",
        "r.toml",
        &text(
            "run = [\"pwsh\", \"-Command\", \"Get-TransportRule | ConvertTo-Json\"]\nticket = true",
        ),
    )
    .unwrap();
    let step = pb.step("snap").unwrap();
    assert_eq!(
        step.run,
        ["pwsh", "-Command", "Get-TransportRule | ConvertTo-Json"]
    );
    assert!(step.ticket);
    let plain = parse_playbook("r", "r.toml", &text("")).unwrap();
    assert!(plain.step("snap").unwrap().run.is_empty());
    assert!(!plain.step("snap").unwrap().ticket);

    for (bad, says) in [
        ("run = \"pwsh -Command x\"", "expected a list of strings"),
        ("run = []", "is empty"),
        ("run = [\"pwsh\", 3]", "expected a list of strings"),
        ("run = [\"\"]", "each argument needs text"),
        ("ticket = \"yes\"", "expected a boolean"),
    ] {
        let e = parse_playbook("r", "r.toml", &text(bad))
            .unwrap_err()
            .to_string();
        assert!(e.contains(says) && e.starts_with("r.toml:7:"), "{bad}: {e}");
    }
}

#[test]
fn the_default_playbook_offers_the_transport_rules_snapshot_and_the_ticket() {
    let (_, text) = BUILTIN_PLAYBOOKS[0];
    let pb = parse_playbook(DEFAULT_PLAYBOOK, "builtin", text).unwrap();
    assert_eq!(pb.step("snapshot-mail-config").unwrap().run[0], "pwsh");
    assert!(pb.step("open-vendor-ticket").unwrap().ticket);
    assert_eq!(pb.steps().filter(|(_, s)| s.ticket).count(), 1);
}
