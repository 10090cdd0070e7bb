//! The drill receives what the update channels send: its configured Teams, SMTP (STARTTLS +
//! AUTH, in-process) and Statuspage channels all get an update, and what each received lands in
//! the drill folder. Everything is on 127.0.0.1.

use std::path::Path;
use std::time::Duration;

use warroom::config::Config;
use warroom::domain::incident::Status;
use warroom::domain::updates::{Audience, ChannelKind, SmtpTls};
use warroom::drill::{self, Scenario};
use warroom::net::{HttpClient, HttpOptions};
use warroom::updates::{Outgoing, send_all};

#[test]
fn a_drill_update_reaches_teams_the_relay_and_the_status_page() {
    let dir = tempfile::tempdir().unwrap();
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap();
    let scenario = Scenario::load(drill::DEFAULT_SCENARIO).unwrap();
    assert_eq!(scenario.update_every, Some(Duration::from_secs(360)));
    let d = rt
        .block_on(drill::start(scenario, 1.0, dir.path()))
        .unwrap();
    let cfg = Config::parse(&d.config_toml(Duration::from_secs(2)), Path::new("drill")).unwrap();
    let channels = &cfg.updates.channels;
    let kinds: Vec<(&str, &str, Audience)> = channels
        .iter()
        .map(|c| (c.name.as_str(), c.kind.word(), c.audience))
        .collect();
    assert_eq!(
        kinds,
        [
            ("drill-teams", "teams", Audience::Internal),
            ("drill-mail", "smtp", Audience::Internal),
            ("drill-status", "statuspage", Audience::External)
        ]
    );
    let ChannelKind::Smtp(smtp) = &channels[1].kind else {
        panic!()
    };
    assert_eq!(smtp.tls, SmtpTls::StartTls);
    assert!(smtp.username.is_some() && smtp.ca_file.is_some());
    // The credential files are private.
    #[cfg(unix)]
    for f in [
        "graph-secret",
        "teams-workflow-url",
        "relay-password",
        "statuspage-key",
    ] {
        use std::os::unix::fs::PermissionsExt;
        let mode = std::fs::metadata(dir.path().join(f))
            .unwrap()
            .permissions()
            .mode();
        assert_eq!(mode & 0o777, 0o600, "{f}");
    }

    let http = HttpClient::new(HttpOptions::default()).unwrap();
    let mut m = Outgoing::example();
    m.title = "Drill: exo-mailflow".into();
    m.text = "Mail to external recipients is delayed.\nNext update: 14:33 UTC".into();
    let report = rt.block_on(send_all(&http, channels, &m));
    assert_eq!(
        report.ok,
        ["drill-teams", "drill-mail", "drill-status"],
        "{:?}",
        report.failed
    );
    let page = &report.published[0];
    assert_eq!(page.incident_id, "drillinc1");

    // Teams: the card, as the Workflows receiver accepted it.
    let card: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(dir.path().join("teams/001.json")).unwrap())
            .unwrap();
    assert_eq!(card["type"], "message");
    assert_eq!(
        card["attachments"][0]["contentType"],
        "application/vnd.microsoft.card.adaptive"
    );
    // The mail, through STARTTLS and AUTH.
    let eml = std::fs::read_to_string(dir.path().join("mail/001.eml")).unwrap();
    assert!(
        eml.contains("X-Drill-Envelope-From: warroom-drill@drill.invalid\r\nX-Drill-Envelope-To: it-major-incidents@drill.invalid, helpdesk-leads@drill.invalid"),
        "{eml}"
    );
    assert!(
        eml.contains("Subject: [SEV2] Identified: Drill: exo-mailflow"),
        "{eml}"
    );
    assert!(
        eml.contains("Mail to external recipients is delayed."),
        "{eml}"
    );

    // A second send updates the same Statuspage incident.
    m.status = Status::Resolved;
    m.text = "Mail flow is restored.".into();
    m.statuspage
        .insert(page.page_id.clone(), page.incident_id.clone());
    let report = rt.block_on(send_all(&http, &channels[2..], &m));
    assert_eq!(report.ok, ["drill-status"], "{:?}", report.failed);
    let incidents: serde_json::Value = serde_json::from_str(
        &std::fs::read_to_string(dir.path().join("statuspage/incidents.json")).unwrap(),
    )
    .unwrap();
    let incidents = incidents.as_array().unwrap();
    assert_eq!(incidents.len(), 1);
    let inc = &incidents[0];
    assert_eq!(inc["name"], "Drill: exo-mailflow");
    assert_eq!(inc["status"], "resolved");
    assert_eq!(inc["components"]["drillemail"], "operational");
    let updates: Vec<&str> = inc["incident_updates"]
        .as_array()
        .unwrap()
        .iter()
        .map(|u| u["body"].as_str().unwrap())
        .collect();
    assert_eq!(
        updates,
        [
            "Mail flow is restored.",
            "Mail to external recipients is delayed.\nNext update: 14:33 UTC"
        ]
    );

    // A wrong password is refused by the relay, and says so without the password.
    let password = std::fs::read_to_string(dir.path().join("relay-password")).unwrap();
    std::fs::write(dir.path().join("relay-password"), "wrong-password").unwrap();
    let report = rt.block_on(send_all(&http, &channels[1..2], &m));
    let e = &report.failed[0].error;
    assert!(e.starts_with("AUTH: ") && e.contains("535"), "{e}");
    assert!(
        !e.contains("wrong-password") && !e.contains(&password),
        "{e}"
    );
    rt.shutdown_background();
}
