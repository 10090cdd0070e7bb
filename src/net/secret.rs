//! The one type every credential is held in: client secrets, access tokens, API keys, relay
//! passwords. A leaf of `net`: the HTTP client, OAuth, the SMTP wire code and the update
//! channels all use it.

use std::fmt;
use std::io::Read;
use std::path::Path;

/// A credential (client secret or access token). `Debug` and `Display` print `***`; the value is
/// only reachable through [`Secret::expose`]. Not serialisable on purpose.
#[derive(Clone, PartialEq, Eq)]
pub struct Secret(String);

impl Secret {
    /// Wraps a credential.
    pub fn new(value: impl Into<String>) -> Self {
        Self(value.into())
    }

    /// The credential itself. Call only where it goes on the wire.
    pub fn expose(&self) -> &str {
        &self.0
    }

    /// Replaces every occurrence of the credential in `text` with `***`.
    pub fn scrub(&self, text: &str) -> String {
        if self.0.len() < 4 {
            // Too short to search for without mangling ordinary text; such a secret is rejected
            // when loaded anyway.
            return text.to_string();
        }
        text.replace(&self.0, "***")
    }
}

impl fmt::Debug for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("***")
    }
}

impl fmt::Display for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("***")
    }
}

/// The most a credential file may hold: a secret, a key or a password is far smaller, and a
/// file this large was named by mistake.
pub const SECRET_FILE_LIMIT: u64 = 64 * 1024;

/// Why a credential could not be read from where the config says it is. Never carries it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SecretReadError {
    /// The environment variable is not set.
    EnvMissing,
    /// The variable or the file is not UTF-8 text.
    NotUtf8,
    /// The file could not be read (the I/O error kind, or `not a regular file`, or too large).
    File(String),
}

/// Reads a credential as it is now, from the named environment variable (`env`) or the file
/// (`file`): the whole text, untrimmed (each use trims as its kind needs). A file must be a
/// regular file of at most [`SECRET_FILE_LIMIT`] bytes, so a FIFO or a device named by mistake
/// can neither block a sending task nor fill memory.
pub fn read_secret(env: Option<&str>, file: Option<&Path>) -> Result<String, SecretReadError> {
    if let Some(var) = env {
        return match std::env::var(var) {
            Ok(v) => Ok(v),
            Err(std::env::VarError::NotPresent) => Err(SecretReadError::EnvMissing),
            Err(std::env::VarError::NotUnicode(_)) => Err(SecretReadError::NotUtf8),
        };
    }
    let Some(path) = file else {
        return Err(SecretReadError::EnvMissing);
    };
    let io = |e: std::io::Error| SecretReadError::File(e.kind().to_string());
    let meta = std::fs::metadata(path).map_err(io)?;
    if !meta.is_file() {
        return Err(SecretReadError::File("not a regular file".into()));
    }
    let mut bytes = Vec::new();
    std::fs::File::open(path)
        .map_err(io)?
        .take(SECRET_FILE_LIMIT + 1)
        .read_to_end(&mut bytes)
        .map_err(io)?;
    if bytes.len() as u64 > SECRET_FILE_LIMIT {
        return Err(SecretReadError::File(format!(
            "larger than {} KiB, so not a credential file",
            SECRET_FILE_LIMIT / 1024
        )));
    }
    String::from_utf8(bytes).map_err(|_| SecretReadError::NotUtf8)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_credential_file_is_read_whole_and_only_a_small_regular_file_is() {
        let dir = tempfile::tempdir().unwrap();
        let ok = dir.path().join("secret");
        std::fs::write(&ok, "s3cret value\n").unwrap();
        assert_eq!(read_secret(None, Some(&ok)).unwrap(), "s3cret value\n");

        let big = dir.path().join("big");
        std::fs::write(&big, vec![b'x'; SECRET_FILE_LIMIT as usize + 1]).unwrap();
        let Err(SecretReadError::File(why)) = read_secret(None, Some(&big)) else {
            panic!("a large file is refused")
        };
        assert!(why.contains("larger than 64 KiB"), "{why}");

        // A FIFO (or a folder) is refused before it is opened, so nothing waits for a writer.
        let fifo = dir.path().join("fifo");
        let made = std::process::Command::new("mkfifo").arg(&fifo).status();
        if made.is_ok_and(|s| s.success()) {
            assert_eq!(
                read_secret(None, Some(&fifo)),
                Err(SecretReadError::File("not a regular file".into()))
            );
        }
        assert_eq!(
            read_secret(None, Some(dir.path())),
            Err(SecretReadError::File("not a regular file".into()))
        );

        let Err(SecretReadError::File(why)) = read_secret(None, Some(&dir.path().join("none")))
        else {
            panic!("a missing file is an error")
        };
        assert!(why.contains("not found"), "{why}");
        std::fs::write(&ok, [0xff, 0xfe]).unwrap();
        assert_eq!(read_secret(None, Some(&ok)), Err(SecretReadError::NotUtf8));
        assert_eq!(
            read_secret(Some("WARROOM_TEST_SURELY_UNSET_VAR_17"), None),
            Err(SecretReadError::EnvMissing)
        );
    }
}
