//! Putting files in place so that they survive a crash and a power cut: written whole under a
//! unique temporary name in the same folder, synced, renamed over the final name, and the
//! folder synced too (a rename or a new name lives in the folder, which the file's own sync
//! does not write). A failure at any step removes the temporary file.
//!
//! Every file warroom puts in place by a rename goes through [`write_atomic`] (or
//! [`copy_atomic`]); every folder it creates goes through [`create_dir_all_synced`].

use std::fs::{File, OpenOptions};
use std::io::{self, Write};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};

/// Syncs a folder, so that names created, renamed or removed in it are on disk.
pub fn sync_dir(dir: &Path) -> io::Result<()> {
    let dir = if dir.as_os_str().is_empty() {
        Path::new(".")
    } else {
        dir
    };
    File::open(dir)?.sync_all()
}

/// Syncs the folder that holds `path`.
pub fn sync_parent(path: &Path) -> io::Result<()> {
    sync_dir(path.parent().unwrap_or(Path::new(".")))
}

/// A name for a temporary file or folder beside `path`, unique across processes and threads:
/// `.<name>.tmp-<pid>-<n>-<random>`. Names starting with `.` are ignored by the listings.
pub fn temp_name(path: &Path) -> PathBuf {
    static COUNTER: AtomicU64 = AtomicU64::new(0);
    let n = COUNTER.fetch_add(1, Ordering::Relaxed);
    let name = path
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    let random: u32 = rand::random();
    path.with_file_name(format!(
        ".{name}.tmp-{}-{n}-{random:08x}",
        std::process::id()
    ))
}

/// Removes a temporary file when dropped, unless it was kept.
struct TempGuard {
    path: Option<PathBuf>,
}

impl Drop for TempGuard {
    fn drop(&mut self) {
        if let Some(p) = self.path.take() {
            let _ = std::fs::remove_file(p);
        }
    }
}

/// Writes `bytes` to `path` all or nothing: a unique temporary file in the same folder is
/// written, synced and renamed over `path`, and the folder is synced. On any failure (a full
/// disk, a read-only folder, a rename refused) the temporary file is removed and `path` is as
/// it was.
pub fn write_atomic(path: &Path, bytes: &[u8]) -> io::Result<()> {
    put_in_place(path, |f| f.write_all(bytes))
}

/// Copies `from` to `to` all or nothing, like [`write_atomic`].
pub fn copy_atomic(from: &Path, to: &Path) -> io::Result<()> {
    let mut src = File::open(from)?;
    put_in_place(to, |f| io::copy(&mut src, f).map(|_| ()))
}

fn put_in_place(path: &Path, fill: impl FnOnce(&mut File) -> io::Result<()>) -> io::Result<()> {
    let tmp = temp_name(path);
    let mut file = OpenOptions::new().write(true).create_new(true).open(&tmp)?;
    let mut guard = TempGuard {
        path: Some(tmp.clone()),
    };
    fill(&mut file)?;
    file.sync_all()?;
    drop(file);
    std::fs::rename(&tmp, path)?;
    guard.path = None;
    sync_parent(path)
}

/// Puts a new file in `dir` under the first of `names` that is free, never replacing a file:
/// `fill` writes a temporary file (once), which is synced and then linked under each name in
/// turn until one is not taken; the folder is synced. Returns the name used. On any failure
/// nothing is left behind; when every name is taken the error is `AlreadyExists`.
pub fn put_new(
    dir: &Path,
    names: impl IntoIterator<Item = String>,
    fill: impl FnOnce(&mut File) -> io::Result<()>,
) -> io::Result<String> {
    let tmp = temp_name(&dir.join("new"));
    let mut file = OpenOptions::new().write(true).create_new(true).open(&tmp)?;
    let _guard = TempGuard {
        path: Some(tmp.clone()),
    };
    fill(&mut file)?;
    file.sync_all()?;
    drop(file);
    for name in names {
        let path = dir.join(&name);
        match std::fs::hard_link(&tmp, &path) {
            Ok(()) => {
                sync_dir(dir)?;
                return Ok(name);
            }
            Err(e) if e.kind() == io::ErrorKind::AlreadyExists || path.exists() => continue,
            // A file system without hard links: a rename, the name having been seen free
            // (another writer could take it in between; nothing of ours does).
            Err(_) => {
                std::fs::rename(&tmp, &path)?;
                sync_dir(dir)?;
                return Ok(name);
            }
        }
    }
    Err(io::Error::new(
        io::ErrorKind::AlreadyExists,
        "every name tried is taken",
    ))
}

/// Writes a new file that nobody else can see yet (inside a folder being built) and syncs it.
pub fn write_new_synced(path: &Path, bytes: &[u8]) -> io::Result<()> {
    let mut f = OpenOptions::new().write(true).create_new(true).open(path)?;
    f.write_all(bytes)?;
    f.sync_all()
}

/// Creates a folder and any missing parents, syncing the folder that holds each one created,
/// so that the new names survive a power cut. An existing folder is fine.
pub fn create_dir_all_synced(dir: &Path) -> io::Result<()> {
    if dir.is_dir() {
        return Ok(());
    }
    if let Some(parent) = dir.parent()
        && !parent.as_os_str().is_empty()
    {
        create_dir_all_synced(parent)?;
    }
    match std::fs::create_dir(dir) {
        Ok(()) => sync_parent(dir),
        Err(e) if e.kind() == io::ErrorKind::AlreadyExists && dir.is_dir() => Ok(()),
        Err(e) if e.kind() == io::ErrorKind::AlreadyExists => Err(io::Error::new(
            io::ErrorKind::NotADirectory,
            format!("{} is a file, not a folder", dir.display()),
        )),
        Err(e) => Err(e),
    }
}

/// An I/O error's reason without the `(os error N)` tail and with a small first letter:
/// `permission denied`, `no space left on device`.
pub fn short_reason(e: &io::Error) -> String {
    let text = e.to_string();
    let text = match text.rfind(" (os error ") {
        Some(i) if text.ends_with(')') => text[..i].to_string(),
        _ => text,
    };
    let mut chars = text.chars();
    match chars.next() {
        Some(c) => c.to_lowercase().chain(chars).collect(),
        None => text,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn names(dir: &Path) -> Vec<String> {
        let mut v: Vec<String> = std::fs::read_dir(dir)
            .unwrap()
            .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
            .collect();
        v.sort();
        v
    }

    #[test]
    fn writes_whole_files_and_replaces_old_ones() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("report.md");
        write_atomic(&p, b"one").unwrap();
        write_atomic(&p, b"two").unwrap();
        assert_eq!(std::fs::read(&p).unwrap(), b"two");
        assert_eq!(names(dir.path()), ["report.md"]);
    }

    #[test]
    fn a_failed_rename_leaves_no_temporary_file() {
        let dir = tempfile::tempdir().unwrap();
        // A non-empty folder where the file should go: the rename is refused.
        let p = dir.path().join("taken");
        std::fs::create_dir(&p).unwrap();
        std::fs::write(p.join("x"), "").unwrap();
        assert!(write_atomic(&p, b"data").is_err());
        assert_eq!(names(dir.path()), ["taken"]);
    }

    #[test]
    fn a_failed_copy_leaves_no_temporary_file() {
        let dir = tempfile::tempdir().unwrap();
        // Reading a folder fails after the temporary file was created.
        let from = dir.path().join("a-folder");
        std::fs::create_dir(&from).unwrap();
        let to = dir.path().join("copy");
        assert!(copy_atomic(&from, &to).is_err());
        assert_eq!(names(dir.path()), ["a-folder"]);
    }

    #[test]
    fn temp_names_are_unique_and_hidden() {
        let p = Path::new("/d/current");
        let a = temp_name(p);
        let b = temp_name(p);
        assert_ne!(a, b);
        assert!(
            a.file_name()
                .unwrap()
                .to_string_lossy()
                .starts_with(".current.tmp-")
        );
        assert_eq!(a.parent(), p.parent());
    }

    #[test]
    fn put_new_never_replaces_and_takes_the_next_free_name() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(dir.path().join("a.log"), "old").unwrap();
        let tried = || ["a.log".to_string(), "a-2.log".to_string()];
        let name = put_new(dir.path(), tried(), |f| f.write_all(b"new")).unwrap();
        assert_eq!(name, "a-2.log");
        assert_eq!(std::fs::read(dir.path().join("a.log")).unwrap(), b"old");
        assert_eq!(std::fs::read(dir.path().join("a-2.log")).unwrap(), b"new");
        let e = put_new(dir.path(), tried(), |f| f.write_all(b"x")).unwrap_err();
        assert_eq!(e.kind(), io::ErrorKind::AlreadyExists);
        assert_eq!(names(dir.path()), ["a-2.log", "a.log"]);
    }

    #[test]
    fn creates_missing_parents() {
        let dir = tempfile::tempdir().unwrap();
        let deep = dir.path().join("a/b/c");
        create_dir_all_synced(&deep).unwrap();
        assert!(deep.is_dir());
        create_dir_all_synced(&deep).unwrap();
    }

    #[test]
    fn short_reasons() {
        let e = io::Error::from_raw_os_error(libc::EACCES);
        assert_eq!(short_reason(&e), "permission denied");
        let e = io::Error::from_raw_os_error(libc::ENOSPC);
        assert_eq!(short_reason(&e), "no space left on device");
        assert_eq!(short_reason(&io::Error::other("Odd")), "odd");
    }
}
