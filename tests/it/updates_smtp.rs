//! The SMTP channel against a real SMTP server: aiosmtpd (PyPI; `.ci/run` installs it), started
//! on 127.0.0.1 by each test through `tests/smtp_relay.py`, with a throwaway CA and certificate
//! made at test time. The server parses every mail it accepts with Python's e-mail package, so
//! these tests see what a real recipient would.

use std::io::BufRead;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};

use chrono::{TimeZone, Utc};
use serde_json::Value;
use warroom::domain::incident::{Severity, Status};
use warroom::domain::updates::{ChannelConfig, UpdatesConfig};
use warroom::net::{HttpClient, HttpOptions};
use warroom::updates::{Outgoing, send_all};

const USER: &str = "warroom-bot@example.com";
const PASSWORD: &str = "s3cret-relay-pass";

/// aiosmtpd in a child process; killed when dropped.
struct Relay {
    child: Child,
    port: u16,
    out: PathBuf,
    dir: tempfile::TempDir,
}

impl Relay {
    fn start(mode: &str, reject: &[&str]) -> Relay {
        let dir = tempfile::tempdir().unwrap();
        let certs = warroom::drill::relay::throwaway_certs().unwrap();
        let d = dir.path();
        std::fs::write(d.join("ca.pem"), &certs.ca_pem).unwrap();
        std::fs::write(d.join("cert.pem"), &certs.cert_pem).unwrap();
        std::fs::write(d.join("key.pem"), &certs.key_pem).unwrap();
        std::fs::write(d.join("password"), format!("{PASSWORD}\n")).unwrap();
        std::fs::write(d.join("wrong-password"), "not-the-password-XYZ\n").unwrap();
        let out = d.join("received.jsonl");
        let script = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/smtp_relay.py");
        let mut cmd = Command::new("python3");
        cmd.arg(&script)
            .args(["--mode", mode, "--user", USER, "--password", PASSWORD])
            .arg("--cert")
            .arg(d.join("cert.pem"))
            .arg("--key")
            .arg(d.join("key.pem"))
            .arg("--out")
            .arg(&out);
        for r in reject {
            cmd.args(["--reject", r]);
        }
        let mut child = cmd
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .expect("python3 is needed for the SMTP tests (with `pip install aiosmtpd`)");
        let mut first = String::new();
        std::io::BufReader::new(child.stdout.take().unwrap())
            .read_line(&mut first)
            .unwrap();
        let Some(port) = first
            .strip_prefix("READY ")
            .and_then(|p| p.trim().parse().ok())
        else {
            let _ = child.kill();
            let out = child.wait_with_output().unwrap();
            panic!(
                "the test SMTP server did not start ({first:?}): {}\n(it needs `pip install aiosmtpd`, which .ci/run does)",
                String::from_utf8_lossy(&out.stderr)
            );
        };
        Relay {
            child,
            port,
            out,
            dir,
        }
    }

    fn path(&self, name: &str) -> String {
        self.dir.path().join(name).display().to_string()
    }

    /// The mails the server accepted.
    fn received(&self) -> Vec<Value> {
        std::fs::read_to_string(&self.out)
            .unwrap_or_default()
            .lines()
            .map(|l| serde_json::from_str(l).unwrap())
            .collect()
    }

    /// One channel named `mail` on this server, with `extra` keys.
    fn channel(&self, extra: &str) -> Vec<ChannelConfig> {
        let cfg: UpdatesConfig = toml::from_str(&format!(
            "[[channels]]\nname = \"mail\"\nkind = \"smtp\"\nhost = \"127.0.0.1\"\nport = {}\nfrom = \"{USER}\"\nto = [\"majors@example.com\", \"helpdesk@example.com\"]\ntimeout = \"10s\"\n{extra}\n",
            self.port
        ))
        .unwrap();
        cfg.channels
    }

    fn login(&self, password_file: &str) -> String {
        format!(
            "username = \"{USER}\"\npassword_file = \"{}\"\nca_file = \"{}\"",
            self.path(password_file),
            self.path("ca.pem")
        )
    }
}

impl Drop for Relay {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn message() -> Outgoing {
    let mut m = Outgoing::example();
    m.incident = "20261130-1330-exo-mail-delayed".into();
    m.severity = Severity::Sev1;
    m.status = Status::Identified;
    m.title = "Exchange Online: courrier entrant retardé".into();
    m.text = format!(
        "Impact: inbound mail delayed <30 min> for R&D\n.leading dot line\nÉquipe messagerie — 日本語\n{}\nNext update: 14:33 UTC",
        "long line ".repeat(150)
    );
    m.sent_at = Utc.with_ymd_and_hms(2026, 11, 30, 14, 3, 0).unwrap();
    m
}

async fn send(channels: &[ChannelConfig]) -> warroom::updates::SendReport {
    let http = HttpClient::new(HttpOptions::default()).unwrap();
    send_all(&http, channels, &message()).await
}

#[tokio::test]
async fn a_message_arrives_intact_through_starttls_and_auth() {
    let relay = Relay::start("starttls", &[]);
    let report = send(&relay.channel(&relay.login("password"))).await;
    assert_eq!(report.ok, ["mail"], "{:?}", report.failed);
    let got = relay.received();
    assert_eq!(got.len(), 1, "{got:?}");
    let r = &got[0];
    assert_eq!(r["tls"], true, "{r}");
    assert_eq!(r["authenticated"], true, "{r}");
    assert_eq!(r["login"], USER);
    assert_eq!(r["mail_from"], USER);
    assert_eq!(
        r["rcpt_tos"],
        serde_json::json!(["majors@example.com", "helpdesk@example.com"])
    );
    let h = &r["headers"];
    let m = message();
    assert_eq!(h["Subject"], m.subject());
    assert_eq!(h["From"], USER);
    assert_eq!(h["To"], "majors@example.com, helpdesk@example.com");
    assert_eq!(h["Date"], "Mon, 30 Nov 2026 14:03:00 +0000");
    assert_eq!(h["MIME-Version"], "1.0");
    assert_eq!(h["X-Warroom-Incident"], "20261130-1330-exo-mail-delayed");
    let mid = h["Message-ID"].as_str().unwrap();
    assert!(
        mid.starts_with('<') && mid.ends_with("@example.com>"),
        "{mid}"
    );
    assert_eq!(r["content_type"], "text/plain");
    assert_eq!(r["charset"], "utf-8");
    // Text travels in canonical form (CRLF line ends); the recipient gets the lines as written.
    assert_eq!(
        r["body"].as_str().unwrap().replace("\r\n", "\n"),
        format!("{}\n", m.text)
    );
    assert_eq!(r["defects"], serde_json::json!([]));
    assert!(r["max_line"].as_u64().unwrap() <= 998, "{r}");
}

#[tokio::test]
async fn a_wrong_password_is_a_clear_error_that_never_shows_it() {
    let relay = Relay::start("starttls", &[]);
    let report = send(&relay.channel(&relay.login("wrong-password"))).await;
    assert!(report.ok.is_empty());
    let e = &report.failed[0].error;
    assert!(e.starts_with("AUTH: "), "{e}");
    assert!(e.contains("535"), "{e}");
    assert!(
        e.contains(&format!(
            "the relay refused the login as {USER}: check username and the password in {}",
            relay.path("wrong-password")
        )),
        "{e}"
    );
    assert!(!e.contains("not-the-password"), "{e}");
    assert!(!e.contains(PASSWORD), "{e}");
    assert!(relay.received().is_empty());
    // A password file that is not there says where it looked.
    let report = send(&relay.channel(&relay.login("no-such-file"))).await;
    let e = &report.failed[0].error;
    assert!(
        e.starts_with("cannot read the password from ") && e.contains("no-such-file"),
        "{e}"
    );
}

#[tokio::test]
async fn a_relay_without_starttls_is_refused_unless_tls_is_none() {
    let relay = Relay::start("plain", &[]);
    // The default, tls = "starttls": not offered, so nothing is sent.
    let report = send(&relay.channel("")).await;
    assert!(report.ok.is_empty());
    let e = &report.failed[0].error;
    assert!(
        e.starts_with("STARTTLS: ")
            && e.contains("does not offer STARTTLS")
            && e.contains("not sent"),
        "{e}"
    );
    assert!(relay.received().is_empty());
    // With a login it is refused the same way: the password never crosses in clear.
    let report = send(&relay.channel(&relay.login("password"))).await;
    assert!(report.failed[0].error.starts_with("STARTTLS: "));
    // The explicit opt-out sends in clear.
    let report = send(&relay.channel("tls = \"none\"")).await;
    assert_eq!(report.ok, ["mail"], "{:?}", report.failed);
    let got = relay.received();
    assert_eq!(got.len(), 1);
    assert_eq!(got[0]["tls"], false);
    assert_eq!(
        got[0]["body"].as_str().unwrap().replace("\r\n", "\n"),
        format!("{}\n", message().text)
    );
}

#[tokio::test]
async fn implicit_tls_an_untrusted_certificate_and_a_refused_recipient() {
    let relay = Relay::start("implicit", &["helpdesk@example.com"]);
    // Without ca_file the throwaway CA is not trusted: the TLS step fails.
    let untrusted = format!(
        "tls = \"implicit\"\nusername = \"{USER}\"\npassword_file = \"{}\"",
        relay.path("password")
    );
    let report = send(&relay.channel(&untrusted)).await;
    let e = &report.failed[0].error;
    assert!(e.starts_with("TLS: "), "{e}");
    assert!(e.contains("ca_file"), "{e}");
    // Trusted, logged in, but one recipient is refused: the error names it.
    let report =
        send(&relay.channel(&format!("tls = \"implicit\"\n{}", relay.login("password")))).await;
    let e = &report.failed[0].error;
    assert!(e.starts_with("RCPT TO: "), "{e}");
    assert!(
        e.contains("550") && e.contains("the relay refused the recipient helpdesk@example.com"),
        "{e}"
    );
    assert!(relay.received().is_empty());
}

#[tokio::test]
async fn starttls_with_an_untrusted_certificate_fails_at_tls() {
    let relay = Relay::start("starttls", &[]);
    let report = send(&relay.channel(&format!(
        "username = \"{USER}\"\npassword_file = \"{}\"",
        relay.path("password")
    )))
    .await;
    let e = &report.failed[0].error;
    assert!(e.starts_with("TLS: "), "{e}");
    assert!(e.contains("ca_file for a private CA"), "{e}");
    assert!(relay.received().is_empty());
}
