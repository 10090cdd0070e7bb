//! Sending updates: Teams, Slack and webhook payloads to a loopback HTTP server, a mail to a
//! loopback SMTP server, a failing webhook that does not stop the others, a file, and the
//! `warroom update` verb. Nothing here talks to anything but 127.0.0.1.

use crate::common;

use chrono::{TimeZone, Utc};
use common::{hook_server, smtp_server, updates_config};
use warroom::domain::incident::{Severity, Status};
use warroom::net::{HttpClient, HttpOptions};
use warroom::updates::{Outgoing, send_all};

fn message() -> Outgoing {
    Outgoing {
        incident: "20261130-1330-exo-mail-delayed".into(),
        severity: Severity::Sev1,
        status: Status::Identified,
        title: "Exchange Online: inbound mail délayed".into(),
        template: "internal".into(),
        text: "Impact: inbound mail delayed <30 min> for R&D\n.leading dot line\nNext update: 14:33 UTC"
            .into(),
        sent_at: Utc.with_ymd_and_hms(2026, 11, 30, 14, 3, 0).unwrap(),
        t_plus: "T+00:33:00".into(),
        next_update: "14:33 UTC".into(),
        statuspage: Default::default(),
        components: Default::default(),
    }
}

fn http() -> HttpClient {
    HttpClient::new(HttpOptions {
        max_retries: 0,
        ..HttpOptions::default()
    })
    .unwrap()
}

#[tokio::test]
async fn teams_slack_and_webhook_payloads_field_by_field() {
    let (server, posts) = hook_server().await;
    let b = &server.base;
    let cfg = updates_config(&format!(
        r#"
[[channels]]
name = "teams"
kind = "teams"
url = "{b}/ok/teams"

[[channels]]
name = "legacy"
kind = "teams"
format = "messagecard"
url = "{b}/ok/legacy"

[[channels]]
name = "slack"
kind = "slack"
url = "{b}/ok/slack"

[[channels]]
name = "hook"
kind = "webhook"
url = "{b}/ok/hook"
"#
    ));
    let mut msg = message();
    msg.text = format!("{}\n\n**Workaround**: use _OWA_ [web]\n- 2. step", msg.text);
    let report = send_all(&http(), &cfg.channels, &msg).await;
    assert_eq!(report.ok, ["teams", "legacy", "slack", "hook"]);
    assert!(report.failed.is_empty(), "{:?}", report.failed);
    let posts = posts.lock().unwrap().clone();
    assert_eq!(posts.len(), 4);
    let find = |p: &str| posts.iter().find(|x| x.path == p).unwrap().clone();

    // Workflows: a message with one Adaptive Card attachment, exactly as documented.
    let teams = find("/ok/teams");
    assert!(teams.content_type.starts_with("application/json"));
    let card = serde_json::json!({
        "type": "message",
        "attachments": [{
            "contentType": "application/vnd.microsoft.card.adaptive",
            "contentUrl": null,
            "content": {
                "$schema": "http://adaptivecards.io/schemas/adaptive-card.json",
                "type": "AdaptiveCard",
                "version": "1.4",
                "body": [
                    {
                        "type": "Container",
                        "style": "attention",
                        "bleed": true,
                        "items": [{
                            "type": "TextBlock",
                            "text": "\\[SEV1\\] Identified: Exchange Online: inbound mail délayed",
                            "weight": "bolder",
                            "size": "large",
                            "color": "attention",
                            "wrap": true
                        }]
                    },
                    {
                        "type": "TextBlock",
                        "text": "Impact: inbound mail delayed <30 min> for R&D\n\n.leading dot line\n\nNext update: 14:33 UTC",
                        "wrap": true
                    },
                    {
                        "type": "TextBlock",
                        "text": "\\*\\*Workaround\\*\\*: use \\_OWA\\_ \\[web\\]\n\n\\- 2. step",
                        "wrap": true
                    },
                    {
                        "type": "FactSet",
                        "facts": [
                            {"title": "Severity", "value": "SEV1"},
                            {"title": "Status", "value": "Identified"},
                            {"title": "T+", "value": "T+00:33:00"},
                            {"title": "Next update", "value": "14:33 UTC"}
                        ]
                    }
                ]
            }
        }]
    });
    assert_eq!(teams.body, card);

    // The legacy connector body, kept as format = "messagecard".
    let legacy = find("/ok/legacy");
    let t = legacy.body.as_object().unwrap();
    assert_eq!(t["@type"], "MessageCard");
    assert_eq!(t["@context"], "https://schema.org/extensions");
    assert_eq!(
        t["title"],
        "[SEV1] Identified: Exchange Online: inbound mail délayed"
    );
    assert_eq!(t["summary"], t["title"]);
    assert_eq!(t["themeColor"], "C50F1F");
    assert!(
        t["text"]
            .as_str()
            .unwrap()
            .starts_with("Impact: inbound mail delayed <30 min> for R&D\n\n.leading dot line\n\nNext update: 14:33 UTC"),
        "{t:?}"
    );
    assert_eq!(t.len(), 6, "{t:?}");

    let msg = message();
    let slack = find("/ok/slack");
    let s = slack.body.as_object().unwrap();
    assert_eq!(s.len(), 1, "{s:?}");
    assert!(
        s["text"]
            .as_str()
            .unwrap()
            .starts_with("Impact: inbound mail delayed &lt;30 min&gt; for R&amp;D\n.leading dot line\nNext update: 14:33 UTC"),
        "{s:?}"
    );

    let hook = find("/ok/hook");
    let h = hook.body.as_object().unwrap();
    let mut keys: Vec<&str> = h.keys().map(String::as_str).collect();
    keys.sort();
    assert_eq!(
        keys,
        ["incident", "sent_at", "severity", "status", "text", "title"]
    );
    assert_eq!(h["incident"], "20261130-1330-exo-mail-delayed");
    assert_eq!(h["severity"], "sev1");
    assert_eq!(h["status"], "identified");
    assert_eq!(h["title"], "Exchange Online: inbound mail délayed");
    assert!(
        h["text"].as_str().unwrap().starts_with(msg.text.as_str()),
        "{h:?}"
    );
    assert_eq!(h["sent_at"], "2026-11-30T14:03:00Z");
}

#[tokio::test]
async fn a_plain_relay_gets_the_mail_with_tls_none() {
    let (port, mails, task) = smtp_server().await;
    let cfg = updates_config(&format!(
        r#"
[[channels]]
name = "mail"
kind = "smtp"
tls = "none"
host = "127.0.0.1"
port = {port}
from = "warroom@example.com"
to = ["majors@example.com", "helpdesk@example.com"]
helo = "console.example.com"
"#
    ));
    let mut msg = message();
    msg.text.push_str("\nÉquipe messagerie");
    let report = send_all(&http(), &cfg.channels, &msg).await;
    assert_eq!(report.ok, ["mail"], "{:?}", report.failed);
    let mails = mails.lock().unwrap().clone();
    task.abort();
    assert_eq!(mails.len(), 1);
    let m = &mails[0];
    assert_eq!(m.commands[0], "EHLO console.example.com");
    assert!(
        !m.commands.iter().any(|c| c.starts_with("AUTH")),
        "{:?}",
        m.commands
    );
    assert!(
        m.mail_from.starts_with("<warroom@example.com>"),
        "{}",
        m.mail_from
    );
    assert_eq!(
        m.rcpt_to,
        ["<majors@example.com>", "<helpdesk@example.com>"]
    );
    let (head, _body) = m
        .data
        .split_once("\r\n\r\n")
        .expect("headers, blank line, body");
    let header = |name: &str| -> String {
        head.split("\r\n")
            .find_map(|l| l.strip_prefix(&format!("{name}: ")))
            .unwrap_or_else(|| panic!("no {name} header in {head}"))
            .to_string()
    };
    assert_eq!(header("Date"), "Mon, 30 Nov 2026 14:03:00 +0000");
    assert_eq!(header("From"), "warroom@example.com");
    assert_eq!(header("To"), "majors@example.com, helpdesk@example.com");
    assert!(
        header("Subject")
            .starts_with("[SEV1] Identified: Exchange Online: inbound mail =?utf-8?b?"),
        "{head}"
    );
    let mid = header("Message-ID");
    assert!(
        mid.starts_with('<') && mid.ends_with("@example.com>"),
        "{mid}"
    );
    assert_eq!(header("MIME-Version"), "1.0");
    assert_eq!(header("Content-Type"), "text/plain; charset=utf-8");
    assert_eq!(
        header("X-Warroom-Incident"),
        "20261130-1330-exo-mail-delayed"
    );
    assert_eq!(m.commands.last().map(String::as_str), Some("QUIT"));
}

#[tokio::test]
async fn the_default_starttls_refuses_a_relay_that_does_not_offer_it() {
    let (port, mails, task) = smtp_server().await;
    let cfg = updates_config(&format!(
        r#"
[[channels]]
name = "mail"
kind = "smtp"
host = "127.0.0.1"
port = {port}
from = "warroom@example.com"
to = ["majors@example.com"]
"#
    ));
    let report = send_all(&http(), &cfg.channels, &message()).await;
    task.abort();
    assert!(report.ok.is_empty());
    let e = &report.failed[0].error;
    assert!(
        e.starts_with("STARTTLS: the relay 127.0.0.1:") && e.contains("does not offer STARTTLS"),
        "{e}"
    );
    assert!(mails.lock().unwrap().is_empty());
}

#[tokio::test]
async fn a_failing_webhook_does_not_stop_the_others_and_is_reported() {
    let (server, posts) = hook_server().await;
    let (port, mails, task) = smtp_server().await;
    let dir = tempfile::tempdir().unwrap();
    let log = dir.path().join("updates.txt");
    // The failing hook's URL comes from a file; its secret part must not leak into the error.
    let url_file = dir.path().join("hook-url");
    std::fs::write(&url_file, format!("{}/fail/s3cr3t-token\n", server.base)).unwrap();
    let cfg = updates_config(&format!(
        r#"
[[channels]]
name = "broken-hook"
kind = "webhook"
url_file = "{}"

[[channels]]
name = "slack"
kind = "slack"
url = "{}/ok/slack"

[[channels]]
name = "mail"
kind = "smtp"
tls = "none"
host = "127.0.0.1"
port = {port}
from = "warroom@example.com"
to = ["majors@example.com"]

[[channels]]
name = "log"
kind = "file"
path = "{}"
"#,
        url_file.display(),
        server.base,
        log.display()
    ));
    let report = send_all(&http(), &cfg.channels, &message()).await;
    task.abort();
    assert_eq!(report.ok, ["slack", "mail", "log"]);
    assert_eq!(report.failed.len(), 1);
    let f = &report.failed[0];
    assert_eq!(f.channel, "broken-hook");
    assert!(f.error.contains("HTTP 500"), "{}", f.error);
    assert!(!f.error.contains("s3cr3t"), "{}", f.error);
    assert!(!f.error.contains("127.0.0.1"), "{}", f.error);
    assert_eq!(posts.lock().unwrap().len(), 2);
    assert_eq!(mails.lock().unwrap().len(), 1);
    let written = std::fs::read_to_string(&log).unwrap();
    assert!(
        written.starts_with(
            "=== 2026-11-30T14:03:00Z · 20261130-1330-exo-mail-delayed · SEV1 · Identified · internal\n"
        ),
        "{written}"
    );
    assert!(written.ends_with("Next update: 14:33 UTC\n\n"), "{written}");
}

#[tokio::test]
async fn a_dead_relay_and_a_missing_env_var_are_reported_with_what_to_do() {
    let dead = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let port = dead.local_addr().unwrap().port();
    drop(dead);
    let cfg = updates_config(&format!(
        r#"
[[channels]]
name = "mail"
kind = "smtp"
tls = "none"
host = "127.0.0.1"
port = {port}
from = "w@example.com"
to = ["a@example.com"]
timeout = "5s"

[[channels]]
name = "teams"
kind = "teams"
url_env = "WARROOM_TEST_UNSET_TEAMS_URL"
"#
    ));
    let report = send_all(&http(), &cfg.channels, &message()).await;
    assert!(report.ok.is_empty());
    let errs: Vec<&str> = report.failed.iter().map(|f| f.error.as_str()).collect();
    assert!(
        errs[0].starts_with("connect: ") && errs[0].contains("cannot connect to the relay"),
        "{}",
        errs[0]
    );
    assert!(
        errs[1].contains("WARROOM_TEST_UNSET_TEAMS_URL") && errs[1].contains("export"),
        "{}",
        errs[1]
    );
}

fn cli(dir: &std::path::Path, env: &[(&str, String)], args: &[&str]) -> (bool, String, String) {
    let mut cmd = std::process::Command::new(env!("CARGO_BIN_EXE_warroom"));
    cmd.args([
        "--config",
        dir.join("config.toml").to_str().unwrap(),
        "--data-dir",
        dir.to_str().unwrap(),
    ])
    .args(args)
    .env_remove("WARROOM_CONFIG")
    .env_remove("WARROOM_DATA_DIR");
    for (k, v) in env {
        cmd.env(k, v);
    }
    let out = cmd.output().unwrap();
    (
        out.status.success(),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn warroom_update_renders_prints_sends_and_records() {
    let (server, posts) = hook_server().await;
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path().to_path_buf();
    std::fs::write(
        d.join("config.toml"),
        "[[updates.channels]]\nname = \"teams\"\nkind = \"teams\"\nurl_env = \"WARROOM_TEAMS_URL\"\n\n[[updates.channels]]\nname = \"bad\"\nkind = \"webhook\"\nurl_env = \"WARROOM_BAD_URL\"\n",
    )
    .unwrap();
    let env = vec![
        (
            "WARROOM_TEAMS_URL",
            format!("{}/ok/teams-secret", server.base),
        ),
        (
            "WARROOM_BAD_URL",
            format!("{}/fail/bad-secret", server.base),
        ),
    ];
    let run = move |args: Vec<&'static str>| {
        let d = d.clone();
        let env = env.clone();
        tokio::task::spawn_blocking(move || cli(&d, &env, &args))
    };
    let (ok, out, err) = run(vec![
        "new",
        "--title",
        "EXO mail delayed",
        "--severity",
        "1",
    ])
    .await
    .unwrap();
    assert!(ok, "{err}");
    let id = out.trim().to_string();

    // A dry run prints and sends nothing.
    let (ok, out, err) = run(vec![
        "update",
        "--template",
        "can",
        "--send",
        "teams",
        "--dry-run",
    ])
    .await
    .unwrap();
    assert!(ok, "{err}");
    assert!(out.starts_with("CAN · [SEV1] EXO mail delayed"), "{out}");
    assert!(err.contains("dry run"), "{err}");
    assert!(posts.lock().unwrap().is_empty());

    // An unknown channel is refused before anything happens.
    let (ok, _, err) = run(vec!["update", "--send", "nope"]).await.unwrap();
    assert!(!ok);
    assert!(
        err.contains("no update channel \"nope\"") && err.contains("teams, bad"),
        "{err}"
    );

    // One good and one failing channel: sent on the good one, exit non-zero naming the bad one.
    let (ok, out, err) = run(vec!["update", "--send", "teams", "--send", "bad"])
        .await
        .unwrap();
    assert!(!ok);
    assert!(
        out.starts_with("[SEV1] EXO mail delayed · Investigating"),
        "{out}"
    );
    assert!(err.contains("1 channel(s) failed: bad (HTTP 500"), "{err}");
    assert!(!err.contains("secret"), "{err}");
    assert_eq!(posts.lock().unwrap().len(), 2);
    // The channels are sent to at once, so the posts arrive in any order.
    let teams = posts
        .lock()
        .unwrap()
        .iter()
        .find(|p| p.path == "/ok/teams-secret")
        .cloned()
        .expect("the Teams post");
    // The card has the update's first paragraph as its first text block.
    let first_para = out.split("\n\n").next().unwrap().replace('\n', "\n\n");
    assert_eq!(
        teams.body["attachments"][0]["content"]["body"][1]["text"],
        first_para.replace('[', "\\[").replace(']', "\\]")
    );

    // The timeline has one comms entry with the text and where it went.
    let (ok, out, err) = run(vec!["timeline", "--json"]).await.unwrap();
    assert!(ok, "{err}");
    let v: serde_json::Value = serde_json::from_str(&out).unwrap();
    let comms: Vec<&serde_json::Value> = v["entries"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|e| e["kind"] == "comms")
        .collect();
    assert_eq!(comms.len(), 1, "{out}");
    let text = comms[0]["text"].as_str().unwrap();
    assert!(
        text.starts_with("stakeholder update (internal) sent to teams; FAILED: bad (HTTP 500"),
        "{text}"
    );
    assert!(text.contains("\n[SEV1] EXO mail delayed"), "{text}");
    let journal =
        std::fs::read_to_string(dir.path().join("incidents").join(&id).join("journal.jsonl"))
            .unwrap();
    assert!(journal.contains("\"type\":\"update_sent\""));
    assert!(
        !journal.contains("secret"),
        "the URL leaked into the journal"
    );
}

#[test]
fn the_documented_channels_parse() {
    let doc = warroom::config::DEFAULT_CONFIG;
    let updates = &doc[doc.find("\n[updates]").expect("an [updates] section")..];
    let toml_text: String = updates
        .lines()
        .map(|l| match l.strip_prefix("# ") {
            Some(rest)
                if rest.starts_with("[[updates.channels]]")
                    || rest.split_once(" = ").is_some_and(|(k, _)| {
                        k.chars().all(|c| c.is_ascii_lowercase() || c == '_')
                    }) =>
            {
                rest
            }
            _ => l,
        })
        .collect::<Vec<_>>()
        .join("\n");
    let cfg = warroom::config::Config::parse(&toml_text, std::path::Path::new("doc.toml"))
        .unwrap_or_else(|e| panic!("{e}\n{toml_text}"));
    let kinds: Vec<&str> = cfg.updates.channels.iter().map(|c| c.kind.word()).collect();
    assert_eq!(
        kinds,
        [
            "teams",
            "slack",
            "webhook",
            "smtp",
            "statuspage",
            "file",
            "clipboard"
        ]
    );
    // Every documented key is set in the examples (each kind's keys parse together).
    let smtp = cfg.updates.channel("ops-mail").unwrap();
    let warroom::domain::updates::ChannelKind::Smtp(s) = &smtp.kind else {
        panic!()
    };
    assert!(s.username.is_some() && s.password.is_some() && s.ca_file.is_some());
    assert_eq!(
        cfg.updates.channel("status").unwrap().audience,
        warroom::domain::updates::Audience::External
    );
    assert_eq!(
        cfg.updates.cadence,
        warroom::domain::updates::Cadence::default()
    );
    assert_eq!(cfg.updates.default_template, "internal");
}

#[test]
fn a_dry_run_prints_what_every_kind_would_get_with_credentials_masked() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let secret = |name: &str, value: &str| {
        let p = d.join(name);
        std::fs::write(&p, value).unwrap();
        p.display().to_string()
    };
    let teams_url = secret(
        "teams-url",
        "https://example.invalid/workflows/SECRET-SIG-1",
    );
    let slack_url = secret("slack-url", "https://hooks.example.invalid/SECRET-SLACK-2");
    let hook_url = secret("hook-url", "https://hooks.example.invalid/SECRET-HOOK-3");
    let password = secret("smtp-password", "SECRET-PASSWORD-4");
    let key = secret("statuspage-key", "SECRET-KEY-5");
    let log = d.join("updates.txt").display().to_string();
    std::fs::write(
        d.join("config.toml"),
        format!(
            r#"
[[updates.channels]]
name = "teams"
kind = "teams"
url_file = "{teams_url}"

[[updates.channels]]
name = "legacy"
kind = "teams"
format = "messagecard"
url_file = "{teams_url}"

[[updates.channels]]
name = "slack"
kind = "slack"
url_file = "{slack_url}"

[[updates.channels]]
name = "hook"
kind = "webhook"
url_file = "{hook_url}"

[[updates.channels]]
name = "mail"
kind = "smtp"
host = "smtp.example.invalid"
username = "bot@example.com"
password_file = "{password}"
from = "bot@example.com"
to = ["majors@example.com"]

[[updates.channels]]
name = "status"
kind = "statuspage"
audience = "external"
page_id = "pg1"
api_key_file = "{key}"
components = {{ "Email" = "cmp1" }}

[[updates.channels]]
name = "log"
kind = "file"
path = "{log}"

[[updates.channels]]
name = "clip"
kind = "clipboard"
"#
        ),
    )
    .unwrap();
    let (ok, _, err) = cli(d, &[], &["new", "--title", "Mail delayed"]);
    assert!(ok, "{err}");
    let mut args = vec!["update", "--dry-run"];
    for ch in [
        "teams", "legacy", "slack", "hook", "mail", "status", "log", "clip",
    ] {
        args.extend(["--send", ch]);
    }
    let (ok, out2, err) = cli(d, &[], &args);
    assert!(ok, "{err}");
    for header in [
        "--- teams (teams, internal) ---\nPOST to the URL in ",
        "--- legacy (teams, internal) ---\nPOST to the URL in ",
        "--- slack (slack, internal) ---\nPOST to the URL in ",
        "--- hook (webhook, internal) ---\nPOST to the URL in ",
        "--- mail (smtp, internal) ---\nSMTP smtp.example.invalid:587 (tls = \"starttls\"), AUTH PLAIN/LOGIN as bot@example.com with the password from ",
        "--- status (statuspage, external) ---\nPOST https://api.statuspage.io/v1/pages/pg1/incidents\nAuthorization: OAuth *** (from ",
        "--- log (file, internal) ---\nappend to ",
        "--- clip (clipboard, internal) ---\nOSC 52 to the terminal",
    ] {
        assert!(out2.contains(header), "{header}\n{out2}");
    }
    assert!(out2.contains("\"contentType\": \"application/vnd.microsoft.card.adaptive\""));
    assert!(out2.contains("\"@type\": \"MessageCard\""));
    assert!(out2.contains("Subject: [SEV2] Investigating: Mail delayed"));
    assert!(out2.contains("MAIL FROM:<bot@example.com> RCPT TO:<majors@example.com>"));
    assert!(out2.contains("\"cmp1\": \"partial_outage\""));
    assert!(!out2.contains("SECRET"), "{out2}");
    assert!(err.contains("dry run: nothing was sent"), "{err}");
    // Nothing was sent or recorded, not even to the file.
    assert!(!d.join("updates.txt").exists());
}
