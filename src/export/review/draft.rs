//! The review's round trip through the editor: the text written to a file of its own, the
//! editor run on it, the file read back. The file is removed once read; when the editor fails
//! it is kept, and the error says where, so nothing typed is lost.

use std::io::Write as _;
use std::path::PathBuf;

/// The most the edited file may hold when read back (4 MiB).
const DRAFT_MAX: u64 = 4 * 1024 * 1024;

/// Writes `text` to a new file in the temporary folder, runs the editor on it, and returns what
/// the file holds afterwards. `incident` names the file.
pub fn edit_text(incident: &str, text: &str) -> Result<String, String> {
    let path = draft_path(incident);
    let mut f = std::fs::OpenOptions::new()
        .write(true)
        .create_new(true)
        .open(&path)
        .map_err(|e| format!("cannot write the review to {}: {e}", path.display()))?;
    f.write_all(text.as_bytes())
        .and_then(|_| f.sync_data())
        .map_err(|e| format!("cannot write the review to {}: {e}", path.display()))?;
    drop(f);
    if let Err(e) = crate::net::editor::edit(&path) {
        return Err(match e {
            crate::net::editor::EditorError::NotSet => {
                let _ = std::fs::remove_file(&path);
                e.to_string()
            }
            e => format!(
                "{e}: nothing was saved; the text is kept in {}",
                path.display()
            ),
        });
    }
    let read = std::fs::metadata(&path)
        .map_err(|e| e.to_string())
        .and_then(|m| {
            if m.len() > DRAFT_MAX {
                Err(format!("it is over {} MiB", DRAFT_MAX / 1024 / 1024))
            } else {
                std::fs::read(&path).map_err(|e| e.to_string())
            }
        })
        .map_err(|e| {
            format!(
                "cannot read the review back from {}: {e}; nothing was saved",
                path.display()
            )
        })?;
    let text = String::from_utf8_lossy(&read).into_owned();
    // Too long to save: refused, and the file kept so nothing typed is lost.
    crate::domain::review::check_size(&crate::domain::review::parse(&text).sections).map_err(
        |e| {
            format!(
                "{e}; nothing was saved; the text is kept in {}",
                path.display()
            )
        },
    )?;
    let _ = std::fs::remove_file(&path);
    Ok(text)
}

/// `<tmp>/warroom-review-<incident>-<unique>.md`.
fn draft_path(incident: &str) -> PathBuf {
    let safe: String = incident
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || c == '-' {
                c
            } else {
                '_'
            }
        })
        .take(80)
        .collect();
    std::env::temp_dir().join(format!(
        "warroom-review-{safe}-{}.md",
        uuid::Uuid::now_v7().simple()
    ))
}
