//! Evidence with a chain of custody: files copied into an incident's `evidence/` folder (never
//! over another file), command outputs kept the same way, and the check that every file is
//! still what its event says it was.
//!
//! This module puts the files in place and hashes them; the `evidence_added` event that
//! records each one is the caller's to append (see `domain::evidence`).

pub mod hash;
pub mod run;

use std::io;
use std::path::{Path, PathBuf};

use crate::domain::evidence::{EvidenceAdded, EvidenceFile, EvidenceKind, HashedFile};
use crate::store::fsutil;

/// The folder, inside the incident's, that holds the evidence.
pub const FOLDER: &str = "evidence";

/// Why a file could not be kept.
#[derive(Debug, thiserror::Error)]
pub enum EvidenceError {
    #[error("cannot read {path}: {reason}. Check the path and that you may read it")]
    Read { path: String, reason: String },
    #[error(
        "{path} is not a regular file: name the files themselves (a folder, device or pipe cannot be kept)"
    )]
    NotAFile { path: String },
    #[error(
        "cannot write into {path}: {reason}. Check that the folder is writable and the disk not full; nothing was recorded"
    )]
    Write { path: String, reason: String },
    #[error("{0}")]
    Command(#[from] crate::net::process::CommandError),
}

/// `evidence/<name>` relative to the incident folder.
fn relative(name: &str) -> String {
    format!("{FOLDER}/{name}")
}

/// A file name that is safe in the evidence folder, from any name: letters, digits, `.`, `-`
/// and `_` kept, anything else `_`, no leading dot, at most 100 characters.
pub fn safe_name(name: &str) -> String {
    let mut s: String = name
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || matches!(c, '.' | '-' | '_') {
                c
            } else {
                '_'
            }
        })
        .collect();
    while s.starts_with('.') {
        s.remove(0);
    }
    if s.len() > 100 {
        let cut = s.len() - 100;
        s = s[cut..].to_string();
    }
    if s.is_empty() { "file".into() } else { s }
}

/// `name`, then `stem-2.ext`, `stem-3.ext`, …: the names tried for a new file.
pub fn candidates(name: &str) -> impl Iterator<Item = String> + '_ {
    let (stem, ext) = match name.rfind('.') {
        Some(i) if i > 0 => (&name[..i], &name[i..]),
        _ => (name, ""),
    };
    std::iter::once(name.to_string()).chain((2..10_000).map(move |n| format!("{stem}-{n}{ext}")))
}

fn evidence_dir(incident_dir: &Path) -> Result<PathBuf, EvidenceError> {
    let dir = incident_dir.join(FOLDER);
    fsutil::create_dir_all_synced(&dir).map_err(|e| EvidenceError::Write {
        path: dir.display().to_string(),
        reason: fsutil::short_reason(&e),
    })?;
    Ok(dir)
}

/// Copies `source` into the evidence folder (hashing it on the way) and returns what the
/// `evidence_added` event records. The name is the source's, with a suffix if it is taken.
pub fn add_file(
    incident_dir: &Path,
    source: &Path,
    note: &str,
) -> Result<EvidenceAdded, EvidenceError> {
    let shown = source.display().to_string();
    let read_err = |e: io::Error| EvidenceError::Read {
        path: shown.clone(),
        reason: fsutil::short_reason(&e),
    };
    let meta = std::fs::metadata(source).map_err(read_err)?;
    if !meta.is_file() {
        return Err(EvidenceError::NotAFile { path: shown });
    }
    let mut input = std::fs::File::open(source).map_err(read_err)?;
    let dir = evidence_dir(incident_dir)?;
    let name = safe_name(
        &source
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_default(),
    );
    let mut digest = None;
    let mut read_failed = None;
    let placed = fsutil::put_new(&dir, candidates(&name), |f| {
        let mut w = hash::HashingWriter::new(f);
        if let Err(e) = io::copy(&mut input, &mut w) {
            read_failed = Some(fsutil::short_reason(&e));
            return Err(e);
        }
        digest = Some(w.finish());
        Ok(())
    });
    let placed = match (placed, read_failed) {
        (Ok(n), _) => n,
        (Err(_), Some(reason)) => {
            return Err(EvidenceError::Read {
                path: shown,
                reason,
            });
        }
        (Err(e), None) => {
            return Err(EvidenceError::Write {
                path: dir.display().to_string(),
                reason: fsutil::short_reason(&e),
            });
        }
    };
    let (size, sha256) = digest.unwrap_or_default();
    let original = std::path::absolute(source).unwrap_or_else(|_| source.to_path_buf());
    Ok(EvidenceAdded {
        file: relative(&placed),
        original: crate::domain::text::sanitize_line(&original.display().to_string(), 1024),
        size,
        sha256,
        note: note.to_string(),
        kind: EvidenceKind::File,
        command: None,
        step: None,
        host: Some(crate::net::host_name()),
    })
}

/// Writes bytes as a new evidence file named `name` (or the next free name) and hashes them.
pub fn keep_bytes(
    incident_dir: &Path,
    name: &str,
    bytes: &[u8],
) -> Result<HashedFile, EvidenceError> {
    use std::io::Write;
    let dir = evidence_dir(incident_dir)?;
    let placed = fsutil::put_new(&dir, candidates(&safe_name(name)), |f| f.write_all(bytes))
        .map_err(|e| EvidenceError::Write {
            path: dir.display().to_string(),
            reason: fsutil::short_reason(&e),
        })?;
    Ok(HashedFile {
        file: relative(&placed),
        size: bytes.len() as u64,
        sha256: hash::sha256_hex(bytes),
    })
}

/// What a re-hash found for one file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Check {
    /// The same size and hash as recorded.
    Same,
    /// Other content: the size and hash it has now.
    Changed {
        size: u64,
        sha256: String,
    },
    Missing,
    /// It could not be read (why).
    Unreadable(String),
    /// Kept on another machine (a teammate's, in team mode): the record is shared, the file
    /// is not; it is checked there.
    Elsewhere(String),
    /// No hash was recorded (a trace kept by an older version): its hash now.
    NoHash {
        size: u64,
        sha256: String,
    },
}

impl Check {
    /// Whether the file is not what was recorded.
    pub fn is_problem(&self) -> bool {
        matches!(
            self,
            Check::Changed { .. } | Check::Missing | Check::Unreadable(_)
        )
    }

    pub fn word(&self) -> &'static str {
        match self {
            Check::Elsewhere(_) => "elsewhere",
            Check::Same => "ok",
            Check::Changed { .. } => "CHANGED",
            Check::Missing => "MISSING",
            Check::Unreadable(_) => "UNREADABLE",
            Check::NoHash { .. } => "no hash recorded",
        }
    }
}

/// Re-hashes one evidence file. Paths that would leave the incident folder are not read.
pub fn check(incident_dir: &Path, f: &EvidenceFile) -> Check {
    let rel = Path::new(&f.file);
    if rel.is_absolute()
        || rel
            .components()
            .any(|c| !matches!(c, std::path::Component::Normal(_)))
    {
        return Check::Unreadable("the path recorded leaves the incident folder".into());
    }
    let path = incident_dir.join(rel);
    match hash::sha256_file(&path) {
        Err(e) if e.kind() == io::ErrorKind::NotFound => Check::Missing,
        Err(e) => Check::Unreadable(fsutil::short_reason(&e)),
        Ok((size, sha256)) => match &f.sha256 {
            None => Check::NoHash { size, sha256 },
            Some(h) if *h == sha256 && f.size.is_none_or(|s| s == size) => Check::Same,
            Some(_) => Check::Changed { size, sha256 },
        },
    }
}

/// Re-hashes every evidence file kept on this machine (`host`); one another machine kept is
/// [`Check::Elsewhere`] unless a copy with the recorded hash is here.
pub fn verify(
    incident_dir: &Path,
    files: &[EvidenceFile],
    host: &str,
) -> Vec<(EvidenceFile, Check)> {
    files
        .iter()
        .map(|f| {
            let c = check(incident_dir, f);
            let theirs = f.host.as_deref().filter(|h| *h != host);
            let c = match (theirs, c) {
                (Some(h), Check::Missing | Check::Changed { .. }) => {
                    Check::Elsewhere(h.to_string())
                }
                (_, c) => c,
            };
            (f.clone(), c)
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_are_made_safe() {
        assert_eq!(safe_name("relay log (1).txt"), "relay_log__1_.txt");
        assert_eq!(safe_name("..secret"), "secret");
        assert_eq!(safe_name(""), "file");
        assert_eq!(safe_name(&"a".repeat(300)).len(), 100);
    }

    #[test]
    fn candidates_put_the_suffix_before_the_extension() {
        let c: Vec<String> = candidates("relay.log").take(3).collect();
        assert_eq!(c, ["relay.log", "relay-2.log", "relay-3.log"]);
        let c: Vec<String> = candidates("notes").take(2).collect();
        assert_eq!(c, ["notes", "notes-2"]);
    }

    #[test]
    fn a_copy_keeps_the_content_and_hash_and_never_overwrites() {
        let inc = tempfile::tempdir().unwrap();
        let src = tempfile::tempdir().unwrap();
        let a = src.path().join("smtp.log");
        std::fs::write(&a, "450 4.7.0 deferred\n").unwrap();
        let first = add_file(inc.path(), &a, "first").unwrap();
        std::fs::write(&a, "other\n").unwrap();
        let second = add_file(inc.path(), &a, "").unwrap();
        assert_eq!(first.file, "evidence/smtp.log");
        assert_eq!(second.file, "evidence/smtp-2.log");
        assert_eq!(first.sha256, hash::sha256_hex(b"450 4.7.0 deferred\n"));
        assert_eq!(first.size, 19);
        assert_eq!(
            std::fs::read_to_string(inc.path().join("evidence/smtp.log")).unwrap(),
            "450 4.7.0 deferred\n"
        );
        assert!(first.original.ends_with("smtp.log"));
    }

    #[test]
    fn verify_reads_nothing_outside_the_incident_folder() {
        let inc = tempfile::tempdir().unwrap();
        let f = |file: &str| EvidenceFile {
            at: chrono::DateTime::UNIX_EPOCH,
            by: "x".into(),
            kind: EvidenceKind::File,
            file: file.into(),
            what: String::new(),
            note: String::new(),
            size: Some(1),
            sha256: Some("00".into()),
            step: None,
            host: None,
        };
        for bad in ["../../etc/passwd", "/etc/passwd", "evidence/../../x"] {
            let c = check(inc.path(), &f(bad));
            assert!(
                matches!(c, Check::Unreadable(_)) && c.is_problem(),
                "{bad}: {c:?}"
            );
        }
        assert_eq!(check(inc.path(), &f("evidence/none")), Check::Missing);
        // Kept by a teammate's console: not a problem here; kept here and gone: missing.
        let theirs = EvidenceFile {
            host: Some("bob-laptop".into()),
            ..f("evidence/relay.log")
        };
        let ours = EvidenceFile {
            host: Some("here".into()),
            ..f("evidence/relay.log")
        };
        let checked = verify(inc.path(), &[theirs, ours], "here");
        assert_eq!(checked[0].1, Check::Elsewhere("bob-laptop".into()));
        assert!(!checked[0].1.is_problem());
        assert_eq!(checked[1].1, Check::Missing);
    }

    #[test]
    fn a_folder_is_refused_with_what_to_do() {
        let inc = tempfile::tempdir().unwrap();
        let e = add_file(inc.path(), inc.path(), "")
            .unwrap_err()
            .to_string();
        assert!(e.contains("not a regular file"), "{e}");
        let e = add_file(inc.path(), Path::new("/nonexistent/x.log"), "")
            .unwrap_err()
            .to_string();
        assert!(e.contains("cannot read /nonexistent/x.log"), "{e}");
    }
}
