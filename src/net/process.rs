//! Running a local command the user configured (a queue listing, an evidence snapshot): an
//! argument list run without a shell, standard input closed, each output stream capped, and a
//! time limit after which the command and everything it started are killed.
//!
//! The command runs in a process group of its own, so a timeout also ends what it started (an
//! `ssh` and its helpers, a script's children): otherwise a grandchild holding the output pipe
//! open would keep the read waiting long after the time limit.
//!
//! Whatever the command prints is returned as bytes: it is hostile text like any other input,
//! and each caller cleans it for where it goes.

// One `kill(2)` of the process group on timeout; see `kill_group`.
#![allow(unsafe_code)]

use std::process::Stdio;
use std::time::{Duration, Instant};

use tokio::io::{AsyncRead, AsyncReadExt};

/// What to run.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CommandSpec {
    /// The program and its arguments; the program is looked up on `PATH` unless it has a `/`.
    pub argv: Vec<String>,
    /// After this long the command is killed and the run reports [`Exit::TimedOut`].
    pub timeout: Duration,
    /// The most bytes kept of standard output, and of standard error; the rest is read and
    /// dropped (so the command is never blocked on a full pipe), and the output marked cut.
    pub max_output: usize,
}

impl CommandSpec {
    pub fn new(argv: Vec<String>, timeout: Duration, max_output: usize) -> Self {
        CommandSpec {
            argv,
            timeout,
            max_output,
        }
    }

    /// The command as one line for people to read (confirmations, errors): arguments with
    /// spaces or quotes are quoted.
    pub fn display(&self) -> String {
        display_argv(&self.argv)
    }
}

/// `["ssh", "relay 1", "postqueue"]` → `ssh 'relay 1' postqueue`.
pub fn display_argv(argv: &[String]) -> String {
    argv.iter()
        .map(|a| {
            let plain = !a.is_empty()
                && a.chars()
                    .all(|c| c.is_ascii_alphanumeric() || "-_./=:@,+%".contains(c));
            if plain {
                a.clone()
            } else {
                format!("'{}'", a.replace('\'', r"'\''"))
            }
        })
        .collect::<Vec<_>>()
        .join(" ")
}

/// How the command ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Exit {
    /// It exited with this code.
    Code(i32),
    /// A signal ended it (not ours).
    Signal(i32),
    /// It ran past the time limit and was killed.
    TimedOut,
}

impl Exit {
    /// Exited with code 0.
    pub fn success(self) -> bool {
        self == Exit::Code(0)
    }
}

impl std::fmt::Display for Exit {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Exit::Code(c) => write!(f, "exit code {c}"),
            Exit::Signal(s) => write!(f, "killed by signal {s}"),
            Exit::TimedOut => f.write_str("timed out"),
        }
    }
}

/// One stream's output, capped.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Captured {
    pub bytes: Vec<u8>,
    /// How many bytes the command wrote in all (more than `bytes.len()` when cut).
    pub total: u64,
}

impl Captured {
    /// Whether more was written than kept.
    pub fn cut(&self) -> bool {
        self.total > self.bytes.len() as u64
    }
}

/// What a run gave.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CommandOutput {
    pub exit: Exit,
    pub stdout: Captured,
    pub stderr: Captured,
    pub duration: Duration,
}

/// Why a command could not be started.
#[derive(Debug, thiserror::Error)]
pub enum CommandError {
    #[error("no command given: the command is an empty list")]
    Empty,
    #[error("`{0}` was not found: install it, or give its full path")]
    NotFound(String),
    #[error("`{0}` cannot be run: permission denied (is it executable?)")]
    PermissionDenied(String),
    #[error("`{program}` could not be started: {source}")]
    Spawn {
        program: String,
        source: std::io::Error,
    },
}

/// Runs the command to its end or its time limit. Never waits longer than the time limit
/// (plus the moment a kill takes), whatever the command and its children do.
pub async fn run(spec: &CommandSpec) -> Result<CommandOutput, CommandError> {
    let (program, args) = spec.argv.split_first().ok_or(CommandError::Empty)?;
    if program.is_empty() {
        return Err(CommandError::Empty);
    }
    let started = Instant::now();
    let mut child = tokio::process::Command::new(program)
        .args(args)
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .process_group(0)
        .kill_on_drop(true)
        .spawn()
        .map_err(|e| match e.kind() {
            std::io::ErrorKind::NotFound => CommandError::NotFound(program.clone()),
            std::io::ErrorKind::PermissionDenied => CommandError::PermissionDenied(program.clone()),
            _ => CommandError::Spawn {
                program: program.clone(),
                source: e,
            },
        })?;
    let pid = child.id();
    let out = child.stdout.take();
    let err = child.stderr.take();
    let cap = spec.max_output;
    let work = async {
        let (stdout, stderr, status) =
            tokio::join!(read_capped(out, cap), read_capped(err, cap), child.wait());
        (stdout, stderr, status)
    };
    match tokio::time::timeout(spec.timeout, work).await {
        Ok((stdout, stderr, status)) => {
            let exit = match status {
                Ok(s) => exit_of(s),
                Err(_) => Exit::Signal(0),
            };
            Ok(CommandOutput {
                exit,
                stdout,
                stderr,
                duration: started.elapsed(),
            })
        }
        Err(_) => {
            if let Some(pid) = pid {
                kill_group(pid);
            }
            let _ = child.start_kill();
            let _ = tokio::time::timeout(Duration::from_secs(2), child.wait()).await;
            Ok(CommandOutput {
                exit: Exit::TimedOut,
                stdout: Captured::default(),
                stderr: Captured::default(),
                duration: started.elapsed(),
            })
        }
    }
}

fn exit_of(s: std::process::ExitStatus) -> Exit {
    use std::os::unix::process::ExitStatusExt;
    match (s.code(), s.signal()) {
        (Some(c), _) => Exit::Code(c),
        (None, Some(sig)) => Exit::Signal(sig),
        (None, None) => Exit::Signal(0),
    }
}

/// Kills the process group the command leads (it was started with `process_group(0)`, so its
/// group id is its pid), taking its children with it.
fn kill_group(pid: u32) {
    let Ok(pgid) = libc::pid_t::try_from(pid) else {
        return;
    };
    if pgid <= 1 {
        return;
    }
    // SAFETY: kill(2) takes plain integers and touches no memory of ours; a negative pid names
    // the process group, which is the command's own (never ours: it was made for the command).
    unsafe {
        libc::kill(-pgid, libc::SIGKILL);
    }
}

async fn read_capped<R: AsyncRead + Unpin>(stream: Option<R>, cap: usize) -> Captured {
    let mut got = Captured::default();
    let Some(mut stream) = stream else {
        return got;
    };
    let mut buf = vec![0u8; 16 * 1024];
    loop {
        match stream.read(&mut buf).await {
            Ok(0) | Err(_) => break,
            Ok(n) => {
                got.total += n as u64;
                let room = cap.saturating_sub(got.bytes.len());
                got.bytes.extend_from_slice(&buf[..n.min(room)]);
            }
        }
    }
    got
}

#[cfg(test)]
mod tests {
    use super::*;

    fn spec(argv: &[&str], timeout_ms: u64, cap: usize) -> CommandSpec {
        CommandSpec::new(
            argv.iter().map(|s| s.to_string()).collect(),
            Duration::from_millis(timeout_ms),
            cap,
        )
    }

    #[tokio::test]
    async fn output_and_exit_code_are_kept() {
        let out = run(&spec(
            &["sh", "-c", "echo out; echo err >&2; exit 3"],
            5000,
            1024,
        ))
        .await
        .unwrap();
        assert_eq!(out.stdout.bytes, b"out\n");
        assert_eq!(out.stderr.bytes, b"err\n");
        assert_eq!(out.exit, Exit::Code(3));
        assert!(!out.exit.success());
    }

    #[tokio::test]
    async fn huge_output_is_cut_but_read_to_the_end() {
        let out = run(&spec(
            &["sh", "-c", "head -c 1000000 /dev/zero"],
            10_000,
            1000,
        ))
        .await
        .unwrap();
        assert_eq!(out.stdout.bytes.len(), 1000);
        assert_eq!(out.stdout.total, 1_000_000);
        assert!(out.stdout.cut());
        assert!(out.exit.success());
    }

    #[tokio::test]
    async fn a_hang_is_killed_with_its_children() {
        // The child's own child keeps the pipe open: only killing the group ends the read.
        let started = Instant::now();
        let out = run(&spec(&["sh", "-c", "sleep 30 & sleep 30; wait"], 300, 1024))
            .await
            .unwrap();
        assert_eq!(out.exit, Exit::TimedOut);
        assert!(started.elapsed() < Duration::from_secs(10));
    }

    #[tokio::test]
    async fn a_missing_program_says_so() {
        let err = run(&spec(&["warroom-no-such-program"], 1000, 10))
            .await
            .unwrap_err();
        assert!(matches!(err, CommandError::NotFound(_)), "{err}");
        assert!(matches!(
            run(&spec(&[], 1000, 10)).await,
            Err(CommandError::Empty)
        ));
    }

    #[test]
    fn display_quotes_what_needs_it() {
        let argv: Vec<String> = ["ssh", "relay 1", "it's", "-j"]
            .iter()
            .map(|s| s.to_string())
            .collect();
        assert_eq!(display_argv(&argv), r"ssh 'relay 1' 'it'\''s' -j");
    }
}
