use super::*;
use chrono::TimeZone;
use std::time::Duration;

fn t(h: u32, m: u32) -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 3, 2, h, m, 0).unwrap()
}

fn item(id: &str, level: Level, status: &str, updates: &[(u32, u32)]) -> HealthItem {
    HealthItem {
        id: id.into(),
        title: format!("title of {id}"),
        service: Some("Exchange Online".into()),
        level,
        status: status.into(),
        started: Some(t(13, 0)),
        updated: Some(t(13, 30)),
        resolved: None,
        updates: updates
            .iter()
            .map(|&(h, m)| ItemUpdate {
                at: t(h, m),
                text: format!("post at {h}:{m}"),
            })
            .collect(),
    }
}

fn snap(level: Level, items: Vec<HealthItem>) -> SourceSnapshot {
    SourceSnapshot {
        name: "m365".into(),
        kind: "graph".into(),
        level,
        items,
        last_success: Some(t(14, 0)),
        last_error: None,
        polled_at: t(14, 0),
        queue: None,
    }
}

#[test]
fn level_order_is_by_severity() {
    assert!(Level::Operational < Level::Maintenance);
    assert!(Level::Maintenance < Level::Unknown);
    assert!(Level::Unknown < Level::Degraded);
    assert!(Level::Degraded < Level::PartialOutage);
    assert!(Level::PartialOutage < Level::MajorOutage);
    assert_eq!(
        serde_json::to_string(&Level::PartialOutage).unwrap(),
        "\"partial_outage\""
    );
}

#[test]
fn first_poll_reports_problems_not_green_rows() {
    let next = snap(
        Level::Degraded,
        vec![
            item(
                "EX1234567",
                Level::Degraded,
                "serviceDegradation",
                &[(13, 21)],
            ),
            item(
                "svc:Exchange",
                Level::Operational,
                "serviceOperational",
                &[],
            ),
        ],
    );
    let changes = diff(None, &next);
    let keys: Vec<_> = changes.iter().map(|c| c.key.as_str()).collect();
    assert_eq!(
        keys,
        vec![
            "m365/level/degraded@2026-03-02T14:00:00Z",
            "m365/EX1234567/new"
        ]
    );
    assert!(
        changes[1]
            .text
            .starts_with("m365 EX1234567: new (degraded, serviceDegradation)")
    );
}

#[test]
fn status_level_update_and_resolution() {
    let prev = snap(
        Level::Degraded,
        vec![item(
            "EX1234567",
            Level::Degraded,
            "investigating",
            &[(13, 21)],
        )],
    );
    let mut it = item(
        "EX1234567",
        Level::MajorOutage,
        "serviceInterruption",
        &[(13, 21), (15, 41)],
    );
    it.updated = Some(t(15, 41));
    let next = snap(Level::MajorOutage, vec![it.clone()]);
    let changes = diff(Some(&prev), &next);
    let texts: Vec<_> = changes.iter().map(|c| c.text.as_str()).collect();
    assert_eq!(
        texts,
        vec![
            "m365: overall degraded → major_outage",
            "m365 EX1234567: level degraded → major_outage",
            "m365 EX1234567: status investigating → serviceInterruption",
            "m365 EX1234567: update 15:41 UTC: post at 15:41",
        ]
    );
    assert_eq!(
        changes[2].key,
        "m365/EX1234567/status/serviceInterruption@2026-03-02T15:41:00Z"
    );
    assert_eq!(changes[3].key, "m365/EX1234567/update/2026-03-02T15:41:00Z");

    // Same snapshot again: nothing.
    assert!(diff(Some(&next), &next).is_empty());

    // Resolved.
    let mut done = it;
    done.level = Level::Operational;
    done.status = "serviceRestored".into();
    done.resolved = Some(t(16, 0));
    let last = snap(Level::Operational, vec![done]);
    let kinds: Vec<_> = diff(Some(&next), &last)
        .into_iter()
        .map(|c| c.kind)
        .collect();
    assert!(kinds.contains(&ChangeKind::Resolved), "{kinds:?}");
}

#[test]
fn status_compare_ignores_case() {
    let prev = snap(
        Level::Degraded,
        vec![item("EX1", Level::Degraded, "serviceDegradation", &[])],
    );
    let next = snap(
        Level::Degraded,
        vec![item("EX1", Level::Degraded, "ServiceDegradation", &[])],
    );
    assert!(diff(Some(&prev), &next).is_empty());
}

#[test]
fn vanished_open_item_is_gone() {
    let prev = snap(
        Level::Degraded,
        vec![item("cp306tmzcl0y", Level::Degraded, "monitoring", &[])],
    );
    let next = snap(Level::Operational, vec![]);
    let changes = diff(Some(&prev), &next);
    assert_eq!(changes.len(), 2);
    assert_eq!(changes[1].kind, ChangeKind::Gone);
}

#[test]
fn error_snapshots_report_nothing_and_are_not_applied() {
    let good = snap(
        Level::Degraded,
        vec![item("EX1", Level::Degraded, "investigating", &[])],
    );
    let mut seen = SeenState::default();
    seen.apply(&good);
    let bad = SourceSnapshot::failed("m365", "graph", Some(&good), "boom".into(), t(15, 0));
    assert_eq!(bad.items, good.items);
    assert!(diff_seen(&seen, &bad).is_empty());
    let before = seen.clone();
    seen.apply(&bad);
    assert_eq!(seen, before);
    let never = SourceSnapshot::failed("x", "feed", None, "boom".into(), t(15, 0));
    assert_eq!(never.level, Level::Unknown);
}

#[test]
fn seen_state_survives_a_restart_without_duplicates() {
    let first = snap(
        Level::Degraded,
        vec![item("EX1", Level::Degraded, "investigating", &[(13, 21)])],
    );
    let mut seen = SeenState::default();
    assert_eq!(diff_seen(&seen, &first).len(), 2);
    seen.apply(&first);
    // Persist and reload as the journal would.
    let json = serde_json::to_string(&seen).unwrap();
    let reloaded: SeenState = serde_json::from_str(&json).unwrap();
    assert_eq!(reloaded, seen);
    assert!(diff_seen(&reloaded, &first).is_empty());
    let second = snap(
        Level::Degraded,
        vec![item(
            "EX1",
            Level::Degraded,
            "investigating",
            &[(13, 21), (14, 5)],
        )],
    );
    let changes = diff_seen(&reloaded, &second);
    assert_eq!(changes.len(), 1);
    assert_eq!(changes[0].kind, ChangeKind::NewUpdate { at: t(14, 5) });
}

#[test]
fn byte_sizes() {
    assert_eq!(parse_byte_size("8MiB"), Ok(8 * 1024 * 1024));
    assert_eq!(parse_byte_size("512 KiB"), Ok(512 * 1024));
    assert_eq!(parse_byte_size("1000"), Ok(1000));
    assert!(parse_byte_size("lots").is_err());
}

#[test]
fn config_defaults_and_validation() {
    let cfg: HealthConfig = toml::from_str(
        r#"
        [[sources]]
        name = "m365"
        kind = "graph"
        tenant = "contoso.onmicrosoft.com"
        client_id = "535fb089-9ff3-47b6-9bfb-4f1264799865"
        client_secret_env = "WARROOM_GRAPH_SECRET"

        [[sources]]
        name = "provider"
        kind = "statuspage"
        url = "https://status.example-mail.test/"
        interval = "5m"
        timeout = "250ms"
        max_body = "1MiB"

        [[sources]]
        name = "workspace"
        kind = "google"

        [[sources]]
        name = "aws"
        kind = "feed"
        url = "https://status.aws.amazon.com/rss/all.rss"

        [[sources]]
        name = "mx"
        kind = "smtp"
        host = "mx.contoso.com"
        "#,
    )
    .unwrap();
    assert_eq!(cfg.sources.len(), 5);
    let g = &cfg.sources[0];
    assert_eq!(g.interval, DEFAULT_INTERVAL);
    assert_eq!(g.timeout, DEFAULT_TIMEOUT);
    assert_eq!(g.max_body, DEFAULT_MAX_BODY);
    let SourceKind::Graph(graph) = &g.kind else {
        panic!("not graph")
    };
    assert_eq!(graph.services, vec!["Exchange Online".to_string()]);
    assert_eq!(graph.base_url, DEFAULT_GRAPH_BASE);
    assert_eq!(graph.token_url, DEFAULT_TOKEN_URL);
    assert_eq!(
        graph.secret_ref(),
        SecretRef::Env("WARROOM_GRAPH_SECRET".into())
    );
    let p = &cfg.sources[1];
    assert_eq!(p.interval, Duration::from_secs(300));
    assert_eq!(p.timeout, Duration::from_millis(250));
    assert_eq!(p.max_body, 1024 * 1024);
    assert_eq!(
        p.kind,
        SourceKind::Statuspage(UrlSource {
            url: "https://status.example-mail.test".into()
        })
    );
    assert_eq!(
        cfg.sources[2].kind,
        SourceKind::Google(UrlSource {
            url: DEFAULT_GOOGLE_URL.into()
        })
    );
    assert_eq!(
        cfg.sources[4].kind,
        SourceKind::Smtp(SmtpSource {
            host: "mx.contoso.com".into(),
            port: 25,
            helo: "warroom.invalid".into(),
            starttls_required: true
        })
    );
    assert_eq!(HealthConfig::default().sources.len(), 0);
}

/// The message, as the config loader shows it (toml's own rendering would quote the line).
fn config_err(toml_text: &str) -> String {
    toml::from_str::<HealthConfig>(toml_text)
        .unwrap_err()
        .message()
        .to_string()
}

#[test]
fn config_errors_say_what_to_do() {
    let e = config_err("[[sources]]\nname='x'\nkind='statuspage'\nurl='https://a.test'\nbogus=1\n");
    assert!(e.contains("bogus"), "{e}");
    let e = config_err(
        "[[sources]]\nname='m'\nkind='graph'\ntenant='t'\nclient_id='c'\nclient_secret='hunter2-pass'\n",
    );
    assert!(e.contains("client_secret_env"), "{e}");
    assert!(!e.contains("hunter2-pass"), "{e}");
    let e = config_err("[[sources]]\nname='m'\nkind='graph'\ntenant='t'\nclient_id='c'\n");
    assert!(e.contains("exactly one"), "{e}");
    let e = config_err("[[sources]]\nname='x'\nkind='feed'\nurl='file:///etc/passwd'\n");
    assert!(e.contains("http(s) URL"), "{e}");
    let e =
        config_err("[[sources]]\nname='x'\nkind='feed'\nurl='https://a.test'\ninterval='soon'\n");
    assert!(e.contains("not a duration"), "{e}");
    let e = config_err(
        "[[sources]]\nname='x'\nkind='feed'\nurl='https://a.test'\n[[sources]]\nname='x'\nkind='feed'\nurl='https://b.test'\n",
    );
    assert!(e.contains("unique"), "{e}");
    let e = config_err("[[sources]]\nname='x'\nkind='carrier_pigeon'\n");
    assert!(e.contains("carrier_pigeon"), "{e}");
}

#[test]
fn config_serialises_back() {
    let cfg: HealthConfig = toml::from_str(
        "[[sources]]\nname='x'\nkind='smtp'\nhost='127.0.0.1'\nport=2525\ninterval='250ms'\n",
    )
    .unwrap();
    let text = toml::to_string(&cfg).unwrap();
    let again: HealthConfig = toml::from_str(&text).unwrap();
    assert_eq!(again, cfg);
}

#[test]
fn a_new_item_is_one_entry_and_the_overall_level_another() {
    let next = snap(
        Level::Degraded,
        vec![item(
            "EX1094411",
            Level::Degraded,
            "investigating",
            &[(13, 21)],
        )],
    );
    let all = entries(diff(None, &next), &next);
    let texts: Vec<&str> = all.iter().map(|e| e.text.as_str()).collect();
    assert_eq!(
        texts,
        vec![
            "m365: overall degraded",
            "m365 EX1094411 new: degraded, investigating: title of EX1094411\n13:21 UTC: post at 13:21",
        ]
    );
    assert_eq!(all[1].key(), "m365/EX1094411/new");
    assert_eq!(all[0].item_id, None);
    assert_eq!(all[1].item_id.as_deref(), Some("EX1094411"));
}

#[test]
fn an_items_changes_in_one_poll_are_one_entry_that_keeps_each_change() {
    let prev = snap(
        Level::Degraded,
        vec![
            item("EX1", Level::Degraded, "investigating", &[(13, 21)]),
            item("EX2", Level::Degraded, "investigating", &[]),
        ],
    );
    let next = snap(
        Level::MajorOutage,
        vec![
            item(
                "EX1",
                Level::MajorOutage,
                "serviceInterruption",
                &[(13, 21), (15, 41)],
            ),
            item("EX2", Level::Degraded, "falsePositive", &[]),
        ],
    );
    let changes = diff(Some(&prev), &next);
    assert_eq!(changes.len(), 5, "{changes:#?}");
    let all = entries(changes.clone(), &next);
    let texts: Vec<&str> = all.iter().map(|e| e.text.as_str()).collect();
    assert_eq!(
        texts,
        vec![
            "m365: overall degraded → major_outage",
            "m365 EX1: level degraded → major_outage; status investigating → serviceInterruption; \
             update 15:41 UTC: post at 15:41",
            "m365 EX2: status investigating → falsePositive",
        ]
    );
    // Every change is still there, in order, with its own key.
    let kept: Vec<HealthChange> = all.iter().flat_map(|e| e.changes.clone()).collect();
    assert_eq!(kept, changes);
    assert_eq!(all[1].key(), changes[1].key);
}
