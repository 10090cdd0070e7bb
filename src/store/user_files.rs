//! A folder of the user's own files that override built-ins by name (the review templates, the
//! update templates): each file with the extension asked for, named by its stem, in name order,
//! read only when it is a regular file within the size limit, so that a FIFO or a huge file
//! named by mistake can neither block nor fill memory. A missing folder holds no files.

use std::path::Path;

/// One of the user's files.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UserFile {
    /// The file's stem: the name it is asked for by (`default` for `default.md`).
    pub name: String,
    /// Its path, for messages.
    pub file: String,
    /// Its text, or why it could not be read.
    pub text: Result<String, String>,
}

/// The files `*.EXT` in `dir`, sorted by path.
pub fn read_user_files(dir: &Path, ext: &str, max_bytes: u64) -> Vec<UserFile> {
    let Ok(rd) = std::fs::read_dir(dir) else {
        return Vec::new();
    };
    let mut paths: Vec<_> = rd
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.extension().is_some_and(|x| x == ext))
        .collect();
    paths.sort();
    paths
        .into_iter()
        .filter_map(|path| {
            let name = path.file_stem()?.to_string_lossy().into_owned();
            let text = std::fs::metadata(&path)
                .map_err(|e| e.to_string())
                .and_then(|m| {
                    if !m.is_file() || m.len() > max_bytes {
                        Err(format!(
                            "not a regular file of at most {} KiB",
                            max_bytes / 1024
                        ))
                    } else {
                        std::fs::read_to_string(&path).map_err(|e| e.to_string())
                    }
                });
            Some(UserFile {
                name,
                file: path.display().to_string(),
                text,
            })
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn files_by_stem_in_order_with_what_could_not_be_read() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(dir.path().join("b.md"), "bee").unwrap();
        std::fs::write(dir.path().join("a.md"), "ay").unwrap();
        std::fs::write(dir.path().join("c.txt"), "other kind").unwrap();
        std::fs::write(dir.path().join("big.md"), "x".repeat(2048)).unwrap();
        std::fs::create_dir(dir.path().join("folder.md")).unwrap();
        let got = read_user_files(dir.path(), "md", 1024);
        let names: Vec<&str> = got.iter().map(|f| f.name.as_str()).collect();
        assert_eq!(names, ["a", "b", "big", "folder"]);
        assert_eq!(got[0].text.as_deref(), Ok("ay"));
        assert!(got[2].text.as_ref().unwrap_err().contains("at most 1 KiB"));
        assert!(got[3].text.is_err());
        assert!(read_user_files(&dir.path().join("none"), "md", 1024).is_empty());
    }
}
