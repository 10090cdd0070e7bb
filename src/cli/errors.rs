//! How an error reaches the person: one line, the outermost context first, and each cause
//! only once (an error that already quotes its OS error is not followed by it again).

/// The one line `main` prints after `warroom: `.
pub fn error_line(e: &anyhow::Error) -> String {
    let mut line = String::new();
    for cause in e.chain() {
        let text = cause.to_string();
        if text.is_empty() || line.contains(&text) {
            continue;
        }
        if !line.is_empty() {
            line.push_str(": ");
        }
        line.push_str(&text);
    }
    line
}

#[cfg(test)]
mod tests {
    use super::*;
    use anyhow::Context as _;

    #[derive(Debug, thiserror::Error)]
    #[error("cannot read {path}: {source}")]
    struct ReadError {
        path: String,
        source: std::io::Error,
    }

    #[test]
    fn the_os_error_is_said_once() {
        let io = std::io::Error::from_raw_os_error(libc::EACCES);
        let e = anyhow::Error::new(ReadError {
            path: "/d/journal.jsonl".into(),
            source: io,
        });
        assert_eq!(
            error_line(&e),
            "cannot read /d/journal.jsonl: Permission denied (os error 13)"
        );
        // Context that adds something is kept, outermost first.
        let e = e.context("--at");
        assert_eq!(
            error_line(&e),
            "--at: cannot read /d/journal.jsonl: Permission denied (os error 13)"
        );
        let e: anyhow::Result<()> =
            Err(std::io::Error::from_raw_os_error(libc::ENOSPC)).context("writing the report");
        assert_eq!(
            error_line(&e.unwrap_err()),
            "writing the report: No space left on device (os error 28)"
        );
    }
}
