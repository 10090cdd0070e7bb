use super::*;

mod parse;
mod progress;
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
