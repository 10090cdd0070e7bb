//! `warroom followups push` against loopback GitHub and Jira servers that follow their
//! documented APIs: paths, headers and bodies asserted; a second push sends nothing; error
//! answers are quoted without the token; a failure in the middle loses nothing.

use std::path::{Path, PathBuf};

use base64::Engine as _;
use serde_json::{Value, json};

use crate::common::{
    self, GITHUB_TOKEN, JIRA_EMAIL, JIRA_TOKEN, TrackerShared, github_server, jira_server,
};
use warroom::store::DataDir;

struct Setup {
    _dir: tempfile::TempDir,
    data: PathBuf,
    config: PathBuf,
    id: String,
}

impl Setup {
    /// A closed SEV2 incident with three follow-ups, and a config with `trackers`.
    fn new(trackers: &str) -> Setup {
        let dir = tempfile::tempdir().unwrap();
        let data = dir.path().join("data");
        let config = dir.path().join("config.toml");
        std::fs::write(&config, trackers).unwrap();
        let s = Setup {
            data,
            config,
            id: String::new(),
            _dir: dir,
        };
        let (ok, id, err) = s.run(
            &[
                "new",
                "--title",
                "Inbound mail delayed",
                "--severity",
                "2",
                "--playbook",
                "none",
            ],
            &[],
        );
        assert!(ok, "{err}");
        let (ok, _, err) = s.run(
            &[
                "close",
                "--summary",
                "The MX record pointed at the old gateway; see https://wiki.internal/mx for the fix.",
                "--root-cause",
                "a stale DNS change",
                "--follow-up",
                "Add a second MX | @carol | 2026-12-15",
                "--follow-up",
                "Alert on queue growth | bob",
                "--follow-up",
                "Write the DNS runbook | dave | next sprint",
            ],
            &[],
        );
        assert!(ok, "{err}");
        Setup {
            id: id.trim().to_string(),
            ..s
        }
    }

    fn run(&self, args: &[&str], env: &[(&str, &str)]) -> (bool, String, String) {
        common::run_warroom(&self.data, &self.config, args, env)
    }

    /// Runs on a blocking thread (the loopback server needs the runtime's threads).
    async fn run_async(&self, args: &[&str], env: &[(&str, &str)]) -> (bool, String, String) {
        let (data, config) = (self.data.clone(), self.config.clone());
        let args: Vec<String> = args.iter().map(|s| s.to_string()).collect();
        let env: Vec<(String, String)> = env
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect();
        tokio::task::spawn_blocking(move || {
            let args: Vec<&str> = args.iter().map(String::as_str).collect();
            let env: Vec<(&str, &str)> =
                env.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect();
            common::run_warroom(&data, &config, &args, &env)
        })
        .await
        .unwrap()
    }

    fn list(&self) -> Vec<Value> {
        let (ok, out, err) = self.run(&["followups", "--json"], &[]);
        assert!(ok, "{err}");
        serde_json::from_str(&out).unwrap()
    }

    fn journal(&self) -> String {
        std::fs::read_to_string(DataDir::new(&self.data).journal_path(&self.id)).unwrap()
    }
}

fn github_toml(base: &str) -> String {
    format!(
        "[[followups.trackers]]\nname = \"gh\"\nkind = \"github\"\nrepo = \"acme/mail-infra\"\ntoken_env = \"T_GH\"\nbase_url = \"{base}\"\nlabels = [\"incident-follow-up\"]\n"
    )
}

fn jira_toml(base: &str, issue_type: &str) -> String {
    format!(
        "[[followups.trackers]]\nname = \"jira\"\nkind = \"jira\"\nbase_url = \"{base}\"\nproject = \"OPS\"\nissue_type = \"{issue_type}\"\nemail = \"{JIRA_EMAIL}\"\ntoken_env = \"T_JIRA\"\nlabels = [\"incident-follow-up\"]\n"
    )
}

fn requests(s: &TrackerShared) -> Vec<common::TrackerRequest> {
    s.lock().unwrap().requests.clone()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn github_issues_are_created_once_each() {
    let (server, gh) = github_server().await;
    let s = Setup::new(&github_toml(&server.base));
    let env = [("T_GH", GITHUB_TOKEN)];
    let (ok, out, err) = s.run_async(&["followups", "push"], &env).await;
    assert!(ok, "{err}");
    let reqs = requests(&gh);
    assert_eq!(reqs.len(), 3);
    for r in &reqs {
        assert_eq!(r.method, "POST");
        assert_eq!(r.path, "/repos/acme/mail-infra/issues");
        assert_eq!(r.header("authorization"), format!("Bearer {GITHUB_TOKEN}"));
        assert_eq!(r.header("accept"), "application/vnd.github+json");
        assert_eq!(r.header("x-github-api-version"), "2022-11-28");
        assert!(
            r.header("user-agent").starts_with("warroom/"),
            "{:?}",
            r.headers
        );
        assert_eq!(r.body["labels"], json!(["incident-follow-up"]));
    }
    let first = &reqs[0].body;
    assert_eq!(first["title"], "Add a second MX");
    assert_eq!(
        first["assignees"],
        json!(["carol"]),
        "an @owner is assigned"
    );
    assert!(
        reqs[1].body.get("assignees").is_none(),
        "a plain name is not"
    );
    let body = first["body"].as_str().unwrap();
    assert!(body.contains("Inbound mail delayed"), "{body}");
    assert!(body.contains("Severity: SEV2 · opened "), "{body}");
    assert!(body.contains("closed "), "{body}");
    assert!(
        body.contains("Owner: @carol") && body.contains("Due: 2026-12-15"),
        "{body}"
    );
    assert!(body.contains("Root cause: a stale DNS change"), "{body}");
    assert!(
        body.contains("see (link removed) for the fix") && !body.contains("wiki.internal"),
        "the summary goes without its links: {body}"
    );
    assert!(
        out.contains("→ acme/mail-infra#1 https://github.example/acme/mail-infra/issues/1"),
        "{out}"
    );

    // Recorded: the list shows each issue, and the journal has one event each.
    let rows = s.list();
    assert_eq!(rows[2]["pushed"][0]["key"], "acme/mail-infra#3");
    assert_eq!(rows[0]["pushed"][0]["tracker"], "gh");
    assert_eq!(
        s.journal().matches("\"type\":\"followup_pushed\"").count(),
        3
    );
    assert!(!s.journal().contains(GITHUB_TOKEN));

    // The report's follow-ups carry the issues.
    let (ok, md, err) = s.run(&["export", "--format", "md"], &[]);
    assert!(ok, "{err}");
    assert!(
        md.contains("| Add a second MX | @carol | 2026-12-15 | open | acme/mail-infra\\#1 https://github.example/acme/mail-infra/issues/1 |"),
        "{md}"
    );

    // A second push sends nothing; a follow-up done since is never pushed.
    let (ok, out, err) = s
        .run_async(&["followups", "push", "--tracker", "gh"], &env)
        .await;
    assert!(ok, "{err}");
    assert!(out.contains("nothing to push"), "{out}");
    assert_eq!(requests(&gh).len(), 3);
    drop(server);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_failure_in_the_middle_loses_nothing_and_a_retry_pushes_only_the_rest() {
    let (server, gh) = github_server().await;
    let s = Setup::new(&github_toml(&server.base));
    let env = [("T_GH", GITHUB_TOKEN)];
    gh.lock().unwrap().script.extend([
        None,
        Some((
            422,
            json!({"message": "Validation Failed", "errors": [{"resource": "Issue", "code": "invalid", "field": "assignees"}]})
                .to_string(),
        )),
        None,
    ]);
    let (ok, out, err) = s.run_async(&["followups", "push"], &env).await;
    assert!(!ok);
    let short = |i: usize| s.list()[i]["short_id"].as_str().unwrap().to_string();
    assert!(
        err.contains(&format!("follow-up {} \"Alert on queue growth\"", short(1))),
        "the error names the follow-up: {err}"
    );
    assert!(
        err.contains("gh answered HTTP 422: Validation Failed (assignees invalid)"),
        "and the tracker's answer: {err}"
    );
    assert!(err.contains("1 of 3 follow-ups were not pushed"), "{err}");
    assert!(
        out.contains("acme/mail-infra#1") && out.contains("acme/mail-infra#2"),
        "{out}"
    );
    let rows = s.list();
    assert_eq!(rows[0]["pushed"][0]["key"], "acme/mail-infra#1");
    assert_eq!(rows[1]["pushed"], json!([]));
    assert_eq!(rows[2]["pushed"][0]["key"], "acme/mail-infra#2");

    let (ok, out, err) = s.run_async(&["followups", "push"], &env).await;
    assert!(ok, "{err}");
    let reqs = requests(&gh);
    assert_eq!(reqs.len(), 4, "only the one that failed is sent again");
    assert_eq!(reqs[3].body["title"], "Alert on queue growth");
    assert!(out.contains("acme/mail-infra#3"), "{out}");
    drop(server);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_pushes_at_once_create_each_issue_once() {
    let (server, gh) = github_server().await;
    let s = Setup::new(&github_toml(&server.base));
    gh.lock().unwrap().delay = std::time::Duration::from_millis(150);
    let env = [("T_GH", GITHUB_TOKEN)];
    let (one, two) = tokio::join!(
        s.run_async(&["followups", "push"], &env),
        s.run_async(&["followups", "push"], &env)
    );
    assert!(one.0 && two.0, "{one:?} {two:?}");
    assert_eq!(requests(&gh).len(), 3, "{one:?} {two:?}");
    assert_eq!(
        s.journal().matches("\"type\":\"followup_pushed\"").count(),
        3
    );
    drop(server);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_refused_token_is_reported_without_the_token() {
    let (server, gh) = github_server().await;
    let s = Setup::new(&github_toml(&server.base));
    let wrong = "ghp_wrong0123456789abcdefWRONG";
    let (ok, _, err) = s
        .run_async(&["followups", "push"], &[("T_GH", wrong)])
        .await;
    assert!(!ok);
    assert!(
        err.contains("gh answered HTTP 401: Bad credentials"),
        "{err}"
    );
    assert!(err.contains("the token was refused"), "{err}");
    assert!(!err.contains(wrong) && !err.contains(GITHUB_TOKEN), "{err}");
    assert!(!s.journal().contains("followup_pushed"));
    assert_eq!(
        requests(&gh).len(),
        3,
        "each follow-up is tried and reported"
    );

    // No token at all: nothing is sent, the variable is named.
    let (ok, _, err) = s.run_async(&["followups", "push"], &[]).await;
    assert!(!ok);
    assert!(err.contains("$T_GH is not set"), "{err}");
    assert_eq!(requests(&gh).len(), 3);
    // A tracker that is not configured.
    let (ok, _, err) = s
        .run_async(&["followups", "push", "--tracker", "jira"], &[])
        .await;
    assert!(
        !ok && err.contains("no tracker named \"jira\"") && err.contains("gh"),
        "{err}"
    );
    drop(server);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn jira_issues_are_created_once_each_with_an_adf_description() {
    let (server, jira) = jira_server().await;
    let s = Setup::new(&jira_toml(&server.base, "Task"));
    let short = s.list()[2]["short_id"].as_str().unwrap().to_string();
    let (ok, _, err) = s.run(&["followups", "done", &short], &[]);
    assert!(ok, "{err}");
    let env = [("T_JIRA", JIRA_TOKEN)];
    let (ok, out, err) = s
        .run_async(&["followups", "push", "--incident", &s.id], &env)
        .await;
    assert!(ok, "{err}");
    let reqs = requests(&jira);
    assert_eq!(reqs.len(), 2, "the done follow-up is not pushed");
    let basic =
        base64::engine::general_purpose::STANDARD.encode(format!("{JIRA_EMAIL}:{JIRA_TOKEN}"));
    for r in &reqs {
        assert_eq!(r.path, "/rest/api/3/issue");
        assert_eq!(r.header("authorization"), format!("Basic {basic}"));
        assert_eq!(r.header("content-type"), "application/json");
        let f = &r.body["fields"];
        assert_eq!(f["project"]["key"], "OPS");
        assert_eq!(f["issuetype"]["name"], "Task");
        assert_eq!(f["labels"], json!(["incident-follow-up"]));
        assert_eq!(f["description"]["type"], "doc");
        assert!(f.get("assignee").is_none());
    }
    let f = &reqs[1].body["fields"];
    assert_eq!(f["summary"], "Alert on queue growth");
    let paras: Vec<&str> = f["description"]["content"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| {
            assert_eq!(p["type"], "paragraph");
            p["content"][0]["text"].as_str().unwrap()
        })
        .collect();
    assert!(paras[0].contains("Inbound mail delayed"), "{paras:?}");
    assert!(
        paras.iter().any(|p| p.starts_with("Severity: SEV2")),
        "{paras:?}"
    );
    assert!(paras.contains(&"Owner: bob"), "{paras:?}");
    assert!(
        out.contains(&format!("→ OPS-1 {}/browse/OPS-1", server.base)) && out.contains("OPS-2"),
        "{out}"
    );
    let rows = s.list();
    assert_eq!(
        rows[0]["pushed"][0]["url"],
        format!("{}/browse/OPS-1", server.base)
    );

    let (ok, out, err) = s.run_async(&["followups", "push"], &env).await;
    assert!(ok, "{err}");
    assert!(out.contains("nothing to push"), "{out}");
    assert_eq!(requests(&jira).len(), 2);
    drop(server);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn jira_errors_quote_its_messages() {
    let (server, jira) = jira_server().await;
    let s = Setup::new(&jira_toml(&server.base, "Bug"));
    let (ok, _, err) = s
        .run_async(&["followups", "push"], &[("T_JIRA", JIRA_TOKEN)])
        .await;
    assert!(!ok);
    assert!(
        err.contains("jira answered HTTP 400: issuetype: Specify a valid issue type"),
        "{err}"
    );
    assert!(err.contains("3 of 3 follow-ups were not pushed"), "{err}");
    assert!(!err.contains(JIRA_TOKEN), "{err}");
    // A wrong token: Jira's plain-text answer is quoted.
    let (ok, _, err) = s
        .run_async(
            &["followups", "push"],
            &[("T_JIRA", "not-the-token-at-all")],
        )
        .await;
    assert!(!ok);
    assert!(
        err.contains("HTTP 401: Client must be authenticated") && !err.contains("not-the-token"),
        "{err}"
    );
    assert_eq!(requests(&jira).len(), 6);
    assert!(!s.journal().contains("followup_pushed"));
    drop(server);
}

/// Both trackers documented in assets/config.toml parse as written there.
#[test]
fn the_documented_trackers_parse() {
    let doc = warroom::config::DEFAULT_CONFIG;
    let start = doc.find("\n# [followups]").expect("a [followups] section");
    let end = start + doc[start..].find("\n[updates]").unwrap();
    let text: String = doc[start..end]
        .lines()
        .map(|l| {
            l.strip_prefix("# ")
                .filter(|r| r.starts_with('[') || r.contains(" = "))
                .unwrap_or(l)
        })
        .collect::<Vec<_>>()
        .join("\n");
    let cfg = warroom::config::Config::parse(&text, Path::new("doc.toml"))
        .unwrap_or_else(|e| panic!("{e}\n{text}"));
    let kinds: Vec<&str> = cfg
        .followups
        .trackers
        .iter()
        .map(|t| t.kind_word())
        .collect();
    assert_eq!(kinds, ["github", "jira"]);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_503_is_not_sent_again_as_the_issue_may_have_been_created() {
    let (server, gh) = github_server().await;
    let s = Setup::new(&github_toml(&server.base));
    let env = [("T_GH", GITHUB_TOKEN)];
    // The first follow-up's request gets a 503 (which may come after the issue was made).
    gh.lock().unwrap().script.extend([
        Some((503, json!({"message": "Service Unavailable"}).to_string())),
        None,
        None,
    ]);
    let (ok, _, err) = s.run_async(&["followups", "push"], &env).await;
    assert!(!ok, "{err}");
    let reqs = requests(&gh);
    assert_eq!(
        reqs.len(),
        3,
        "one request a follow-up, none repeated: {err}"
    );
    assert_eq!(reqs[0].body["title"], "Add a second MX");
    assert_eq!(reqs[1].body["title"], "Alert on queue growth");
    assert!(err.contains("Add a second MX"), "{err}");
    let rows = s.list();
    assert_eq!(rows[0]["pushed"], json!([]));
    drop(server);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_push_on_another_machine_pulls_first_and_creates_nothing_twice() {
    use crate::team_server::{Desk, Nats};
    let (server, gh) = github_server().await;
    let nats = Nats::start();
    let (a, b) = (
        Desk::new("alice", &nats.url()),
        Desk::new("bob", &nats.url()),
    );
    for d in [&a, &b] {
        let mut cfg = std::fs::read_to_string(d.config()).unwrap();
        cfg.push_str(&github_toml(&server.base));
        std::fs::write(d.config(), cfg).unwrap();
    }
    let id = a.ok(&[
        "new",
        "--share",
        "--title",
        "Mail delayed",
        "--playbook",
        "none",
    ]);
    b.ok(&["join", &id]);
    a.ok(&[
        "close",
        "--summary",
        "fixed",
        "--follow-up",
        "Add a second MX | bob",
    ]);
    // Bob has the close (and so the follow-up) ...
    b.ok(&["sync"]);
    let push = |d: &Desk| {
        let mut c = d.command();
        c.env("T_GH", GITHUB_TOKEN).args(["followups", "push"]);
        c
    };
    let (mut pa, mut pb) = (push(&a), push(&b));
    let out = tokio::task::spawn_blocking(move || pa.output().unwrap())
        .await
        .unwrap();
    assert!(out.status.success(), "{out:?}");
    assert_eq!(requests(&gh).len(), 1);
    // ... but not alice's issue: his push pulls it first, and sends nothing.
    let out = tokio::task::spawn_blocking(move || pb.output().unwrap())
        .await
        .unwrap();
    assert!(out.status.success(), "{out:?}");
    assert_eq!(requests(&gh).len(), 1, "{out:?}");
    drop(server);
}
