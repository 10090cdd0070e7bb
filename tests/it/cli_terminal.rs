//! The console verbs (`warroom`, `warroom open`, `warroom demo`) without a terminal: one line
//! on standard error, a non-zero exit, and nothing created (no incident, no drill folder, no
//! secret file). The cases with a terminal on one side only are in e2e_tmux.rs.

use std::process::{Command, Stdio};

fn run(data: &std::path::Path, args: &[&str]) -> (bool, String, String) {
    let out = Command::new(env!("CARGO_BIN_EXE_warroom"))
        .args(["--config", "/dev/null", "--data-dir"])
        .arg(data)
        .args(args)
        .env_remove("WARROOM_CONFIG")
        .env_remove("WARROOM_DATA_DIR")
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .output()
        .unwrap();
    (
        out.status.success(),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

/// Every file and folder under `dir`.
fn everything_under(dir: &std::path::Path) -> Vec<std::path::PathBuf> {
    let mut found = Vec::new();
    let mut todo = vec![dir.to_path_buf()];
    while let Some(d) = todo.pop() {
        for e in std::fs::read_dir(&d).into_iter().flatten().flatten() {
            let p = e.path();
            if p.is_dir() {
                todo.push(p.clone());
            }
            found.push(p);
        }
    }
    found
}

#[test]
fn demo_without_a_terminal_fails_at_once_and_creates_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    let started = std::time::Instant::now();
    let (ok, out, err) = run(&data, &["demo", "--speed", "10"]);
    assert!(!ok);
    assert!(out.is_empty(), "{out}");
    assert_eq!(err.lines().count(), 1, "{err}");
    assert!(
        err.starts_with(
            "warroom: warroom demo needs a terminal, but standard input and standard output are not terminals"
        ),
        "{err}"
    );
    assert!(started.elapsed() < std::time::Duration::from_secs(5));
    assert_eq!(everything_under(&data), Vec::<std::path::PathBuf>::new());
}

#[test]
fn the_console_without_a_terminal_says_so_before_creating_anything() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    for args in [&[][..], &["open"]] {
        let (ok, _, err) = run(&data, args);
        assert!(!ok, "{args:?}");
        assert_eq!(err.lines().count(), 1, "{err}");
        assert!(err.contains("the console needs a terminal"), "{err}");
    }
    assert_eq!(everything_under(&data), Vec::<std::path::PathBuf>::new());
}
