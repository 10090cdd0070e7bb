//! Property tests of the parsers that read what people write: playbook TOML, drill scenarios,
//! the `WHEN` time grammar and the config file. Each never panics on arbitrary input (random
//! text, and random arrangements of the format's own pieces, which reach deeper than noise),
//! keeps its promises about what it returns, and takes linear time in the size of its input.
//!
//! A few cases each by default; `PROPTEST_CASES=100000 cargo test --release prop_` for a long
//! session (see tests/common/prop.rs).

use crate::common;

use std::path::Path;
use std::time::Duration as StdDuration;

use chrono::{DateTime, Duration, TimeZone, Utc};
use proptest::prelude::*;
use proptest::test_runner::Config as ProptestConfig;

use common::prop::{assert_linear, cases, timed_cases};
use warroom::config::Config;
use warroom::domain::playbook::{PlaybookErrorKind, parse_playbook};
use warroom::domain::time::{Zone, parse_when};
use warroom::drill::Scenario;

/// Text made of the format's own pieces (weighted), raw noise of any Unicode (controls, escapes,
/// NULs included) and line breaks.
fn pieces_of(vocabulary: &'static [&'static str]) -> impl Strategy<Value = String> {
    prop::collection::vec(
        prop_oneof![
            6 => prop::sample::select(vocabulary).prop_map(str::to_string),
            1 => any::<String>(),
            1 => "[ -~]{0,16}",
            2 => Just("\n".to_string()),
        ],
        0..80,
    )
    .prop_map(|parts| parts.concat())
}

/// Hostile bits every format meets sooner or later.
const NOISE: &[&str] = &[
    "\u{1b}[2J",
    "\u{1b}]0;x\u{7}",
    "\u{85}",
    "\u{9b}31m",
    "\r\n",
    "\r",
    "\0",
    "\u{feff}",
    "\"",
    "'",
    "\"\"\"",
    "'''",
    "=",
    " = ",
    "[",
    "]",
    "[[",
    "]]",
    "{",
    "}",
    ",",
    "#",
    "\\",
    "\\u",
    "é",
    "漢",
    "\u{202e}",
    "\t",
];

fn with_noise(own: &'static [&'static str]) -> &'static [&'static str] {
    let mut all: Vec<&'static str> = own.to_vec();
    all.extend_from_slice(NOISE);
    Box::leak(all.into_boxed_slice())
}

// ---------------------------------------------------------------------------------------------
// Playbook TOML
// ---------------------------------------------------------------------------------------------

const PLAYBOOK: &[&str] = &[
    "name = \"Mail outage\"\n",
    "name = \"\"\n",
    "description = \"\"\"\nWhat to do.\n\"\"\"\n",
    "[[sections]]\n",
    "[sections]\n",
    "title = \"Triage\"\n",
    "title = \"\"\n",
    "[[sections.steps]]\n",
    "[[sections.steps.x]]\n",
    "id = \"confirm\"\n",
    "id = \"notify\"\n",
    "id = \"bad id!\"\n",
    "id = 7\n",
    "title = \"Confirm the provider incident\"\n",
    "detail = \"\"\"\nLook it up.\n\"\"\"\n",
    "owner = \"deputy\"\n",
    "due = \"15m\"\n",
    "due = \"1h30m\"\n",
    "due = \"15x\"\n",
    "due = 15\n",
    "check_back = \"0m\"\n",
    "check_back = \"10m\"\n",
    "required = true\n",
    "required = \"yes\"\n",
    "bogus = 1\n",
    "sections = []\n",
    "steps = [1, 2]\n",
];

proptest! {
    #![proptest_config(ProptestConfig::with_cases(cases(64)))]

    #[test]
    fn prop_playbook_toml_never_panics(text in pieces_of(with_noise(PLAYBOOK))) {
        match parse_playbook("pb", "pb.toml", &text) {
            Ok(pb) => {
                prop_assert!(!pb.name.is_empty());
                prop_assert!(!pb.sections.is_empty());
                let mut ids = std::collections::HashSet::new();
                for section in &pb.sections {
                    prop_assert!(!section.steps.is_empty());
                    for step in &section.steps {
                        prop_assert!(ids.insert(step.id.clone()), "duplicate id {}", step.id);
                        let clean = |s: &str| !s.chars().any(|c| c.is_control() && c != '\n' && c != '\t');
                        prop_assert!(clean(&step.title) && clean(&step.detail), "{step:?}");
                    }
                }
            }
            Err(e) => {
                // The line it names is in the file.
                prop_assert!(e.line >= 1 && e.line <= text.split('\n').count(), "{e}");
                if let PlaybookErrorKind::DuplicateStepId { first_line, .. } = e.kind {
                    prop_assert!(first_line <= e.line);
                }
            }
        }
    }
}

/// A valid step with random (printable, any-script) title and detail. The title is never blank:
/// the parser rightly refuses a blank title, and this test is about valid playbooks.
fn step_text() -> impl Strategy<Value = (String, String)> {
    (
        "[a-zA-Z0-9é漢][a-zA-Z0-9 é漢]{0,39}",
        "[a-zA-Z0-9 .,\n漢]{0,200}",
    )
}

fn playbook_of(n: usize, title: &str, detail: &str) -> String {
    let mut text = String::from("name = \"Big\"\n");
    for i in 0..n {
        if i % 50 == 0 {
            text.push_str(&format!("\n[[sections]]\ntitle = \"S{i}\"\n"));
        }
        text.push_str(&format!(
            "\n[[sections.steps]]\nid = \"s{i}\"\ntitle = {title:?}\ndetail = \"\"\"\n{detail}\n\"\"\"\ndue = \"{}m\"\nrequired = {}\n",
            i % 90 + 1,
            i % 2 == 0
        ));
    }
    text
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(timed_cases(3)))]

    #[test]
    fn prop_playbook_parse_is_linear((title, detail) in step_text()) {
        assert_linear(
            "playbook",
            300,
            |n| playbook_of(n, &title, &detail),
            |text| {
                let pb = parse_playbook("big", "big.toml", text).unwrap();
                assert!(pb.step_count() >= 300);
            },
        );
    }
}

// ---------------------------------------------------------------------------------------------
// Drill scenarios
// ---------------------------------------------------------------------------------------------

const SCENARIO: &[&str] = &[
    "name = \"drill\"\n",
    "description = \"d\"\n",
    "duration = \"10m\"\n",
    "duration = \"0s\"\n",
    "duration = 600\n",
    "duration = {a = 1}\n",
    "[[steps]]\n",
    "at = \"1m\"\n",
    "at = \"99m\"\n",
    "at = [1]\n",
    "action = \"smtp\"\n",
    "action = \"graph_issue_opened\"\n",
    "action = \"graph_status\"\n",
    "action = \"statuspage_incident\"\n",
    "action = \"mail_flow\"\n",
    "action = \"restored\"\n",
    "action = \"fly\"\n",
    "action = 3\n",
    "mode = \"451\"\n",
    "mode = \"421\"\n",
    "mode = 451\n",
    "rate = 0.5\n",
    "rate = 2\n",
    "deferral = 0.3\n",
    "per_minute = 40\n",
    "per_minute = -1\n",
    "id = \"EX1\"\n",
    "title = \"Mail delayed\"\n",
    "status = \"investigating\"\n",
    "status = \"serviceDegradation\"\n",
    "text = \"<b>posted</b>\"\n",
    "indicator = \"major\"\n",
    "name = \"Incident\"\n",
];

proptest! {
    #![proptest_config(ProptestConfig::with_cases(cases(64)))]

    #[test]
    fn prop_scenario_never_panics(
        text in pieces_of(with_noise(SCENARIO)),
        probes in prop::collection::vec(0u64..100_000, 0..8),
    ) {
        match Scenario::parse(&text, "s.toml") {
            Ok(s) => {
                prop_assert!(s.steps.iter().all(|st| st.at <= s.duration));
                prop_assert!(s.steps.windows(2).all(|w| w[0].at <= w[1].at));
                for ms in probes {
                    let _ = s.state_at(StdDuration::from_millis(ms));
                }
                let _ = s.state_at(s.duration);
            }
            Err(e) => {
                let msg = e.to_string();
                prop_assert!(e.line >= 1 && e.line <= text.split('\n').count(), "{msg}");
                prop_assert!(!msg.contains("$__") && !msg.contains("serde_spanned"), "{msg}");
                prop_assert!(!msg.contains('\n'), "{msg}");
            }
        }
    }
}

fn scenario_of(n: usize, text: &str) -> String {
    let mut out = String::from("name = \"big\"\nduration = \"1000h\"\n");
    let actions = [
        "action = \"smtp\"\nmode = \"451\"\nrate = 0.5\n".to_string(),
        "action = \"mail_flow\"\ndeferral = 0.25\nper_minute = 30\n".to_string(),
        format!("action = \"rss_item\"\ntitle = \"t\"\ntext = {text:?}\n"),
        format!("action = \"graph_status\"\nstatus = \"serviceDegradation\"\ntext = {text:?}\n"),
    ];
    for i in 0..n {
        out.push_str(&format!("\n[[steps]]\nat = \"{i}s\"\n{}", actions[i % 4]));
    }
    out
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(timed_cases(3)))]

    #[test]
    fn prop_scenario_parse_is_linear(text in "[a-zA-Z0-9 <>/é]{0,120}") {
        assert_linear(
            "scenario",
            300,
            |n| scenario_of(n, &text),
            |t| {
                let s = Scenario::parse(t, "big.toml").unwrap();
                assert!(s.steps.len() >= 300);
            },
        );
    }
}

// ---------------------------------------------------------------------------------------------
// The WHEN grammar
// ---------------------------------------------------------------------------------------------

const WHEN: &[&str] = &[
    "-",
    "5",
    "15",
    "90",
    "999999999",
    "m",
    "h",
    "s",
    "d",
    "1h30m",
    ":",
    "14:32",
    "23:59:59",
    "24:00",
    "2026-11-30",
    " ",
    "T",
    "2026-02-29",
    "2026-11-30T14:32:00",
    "+01:00",
    "Z",
    "now",
    "NOW",
    ".",
    "00",
    "-00:30",
];

fn zone() -> impl Strategy<Value = Zone> {
    prop::sample::select(vec![
        Zone::UTC,
        Zone::Local,
        Zone::Named(chrono_tz::America::New_York),
        Zone::Named(chrono_tz::Asia::Kathmandu),
        Zone::Named(chrono_tz::Australia::Lord_Howe),
        Zone::Named(chrono_tz::Pacific::Apia),
    ])
}

fn instant() -> impl Strategy<Value = DateTime<Utc>> {
    // 2000-01-01 to 2100-01-01.
    (946_684_800i64..4_102_444_800).prop_map(|s| Utc.timestamp_opt(s, 0).unwrap())
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(cases(256)))]

    #[test]
    fn prop_when_never_panics(
        input in prop_oneof![any::<String>(), pieces_of(with_noise(WHEN))],
        now in instant(),
        zone in zone(),
    ) {
        if let Ok(at) = parse_when(&input, now, zone) {
            let s = input.trim();
            // "ago" forms and bare clock times never land in the future.
            if s.starts_with('-') || (s.len() <= 8 && s.contains(':') && !s.contains('-')) {
                prop_assert!(at <= now, "{input:?} at {now} gave {at}");
            }
        }
    }

    #[test]
    fn prop_when_ago_is_exact(h in 0i64..1000, m in 0i64..60, s in 0i64..60, now in instant(), zone in zone()) {
        let at = parse_when(&format!("-{h}h{m}m{s}s"), now, zone).unwrap();
        prop_assert_eq!(at, now - Duration::seconds(h * 3600 + m * 60 + s));
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(timed_cases(3)))]

    #[test]
    fn prop_when_parse_is_linear(unit in prop::sample::select(WHEN), now in instant()) {
        assert_linear(
            "WHEN",
            2_000,
            |n| format!("-{}", unit.repeat(n)),
            |text| {
                let _ = parse_when(text, now, Zone::UTC);
            },
        );
    }
}

// ---------------------------------------------------------------------------------------------
// The config file
// ---------------------------------------------------------------------------------------------

const CONFIG: &[&str] = &[
    "timezone = \"UTC\"\n",
    "timezone = \"\"\n",
    "timezone = \"Mars/Base\"\n",
    "author = \"alice\"\n",
    "author = \"\"\n",
    "data_dir = \"/tmp/x\"\n",
    "[keys]\n",
    "quit = [\"q\"]\n",
    "quit = [\"\"]\n",
    "[[health.sources]]\n",
    "[health]\n",
    "name = \"src\"\n",
    "name = \"\"\n",
    "kind = \"statuspage\"\n",
    "kind = \"graph\"\n",
    "kind = \"smtp\"\n",
    "kind = \"postfix\"\n",
    "url = \"http://127.0.0.1:1\"\n",
    "url = \"file:///etc/passwd\"\n",
    "interval = \"0s\"\n",
    "interval = \"5m\"\n",
    "timeout = \"soon\"\n",
    "max_body = \"8MiB\"\n",
    "max_body = 0\n",
    "tenant = \"contoso.onmicrosoft.com\"\n",
    "client_id = \"c\"\n",
    "client_secret_env = \"GRAPH_SECRET\"\n",
    "client_secret = \"s3cret-value-do-not-show\"\n",
    "host = \"mx.example.test\"\n",
    "port = 70000\n",
    "[[trace.sources]]\n",
    "[trace]\n",
    "path = \"/var/log/mail.log\"\n",
    "path = 5\n",
    "query = \"since:1h\"\n",
    "refresh = \"30s\"\n",
    "refresh = \"often\"\n",
    "[updates]\n",
    "[[updates.channels]]\n",
    "kind = \"webhook\"\n",
    "url_env = \"HOOK\"\n",
    "cadence = { sev1 = \"20m\" }\n",
];

proptest! {
    #![proptest_config(ProptestConfig::with_cases(cases(64)))]

    #[test]
    fn prop_config_never_panics(text in pieces_of(with_noise(CONFIG))) {
        if let Err(e) = Config::parse(&text, Path::new("c.toml")) {
            let msg = e.to_string();
            prop_assert!(msg.starts_with("c.toml:"), "{msg}");
            prop_assert!(!msg.contains('\n'), "{msg:?}");
            prop_assert!(!msg.contains("s3cret-value"), "{msg}");
            prop_assert!(!msg.contains("$__"), "{msg}");
        }
    }
}

fn config_of(n: usize, kind: usize, interval: u32) -> String {
    let mut text = String::from("timezone = \"UTC\"\n");
    for i in 0..n {
        let own = match (i + kind) % 3 {
            0 => "kind = \"statuspage\"\nurl = \"http://127.0.0.1:9/status\"\n".to_string(),
            1 => "kind = \"smtp\"\nhost = \"mx.example.test\"\n".to_string(),
            _ => "kind = \"feed\"\nurl = \"http://127.0.0.1:9/rss\"\n".to_string(),
        };
        text.push_str(&format!(
            "\n[[health.sources]]\nname = \"source-{i}\"\n{own}interval = \"{interval}s\"\n"
        ));
    }
    text
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(timed_cases(3)))]

    #[test]
    fn prop_config_parse_is_linear(kind in 0usize..3, interval in 1u32..3600) {
        assert_linear(
            "config",
            200,
            |n| config_of(n, kind, interval),
            |text| {
                let cfg = Config::parse(text, Path::new("big.toml")).unwrap();
                assert!(cfg.health.sources.len() >= 200);
            },
        );
    }
}
