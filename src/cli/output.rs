//! Standard output of every verb, through one writer: text is cleaned of terminal escapes and
//! control characters on the way out (whatever wrote the journal or the log it came from), JSON
//! gets its DEL and C1 characters escaped, and a reader that went away (`warroom timeline | head`)
//! ends the output quietly instead of failing the command.

use std::io::{self, Write};
use std::sync::atomic::{AtomicBool, Ordering};

use crate::domain::text::{clean_for_terminal, escape_json_controls};

/// Set once a write to standard output found the reading end of the pipe closed.
static READER_GONE: AtomicBool = AtomicBool::new(false);

/// Whether standard output's reader has gone away (the binary then exits 0 quietly, like
/// `git log | head`).
pub fn reader_gone() -> bool {
    READER_GONE.load(Ordering::SeqCst)
}

/// What the verb prints.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Mode {
    /// Lines of text for a person: escapes, control characters (but newline and tab) and bidi
    /// overrides are dropped.
    Text,
    /// JSON: DEL and C1 characters are written as `\u007f`… escapes.
    Json,
}

/// A line-buffered writer that cleans each line (see [`Mode`]) before handing it on. Once the
/// reader is gone, writes are accepted and dropped, so a verb finishes what it was doing
/// (`warroom close | true` still writes its reports); long-running verbs stop on
/// [`reader_gone`].
pub struct Output<W: Write> {
    inner: W,
    mode: Mode,
    pending: Vec<u8>,
    gone: bool,
}

impl<W: Write> Output<W> {
    /// Wraps `inner` (standard output, or a buffer in tests).
    pub fn new(inner: W, mode: Mode) -> Self {
        Output {
            inner,
            mode,
            pending: Vec::new(),
            gone: false,
        }
    }

    fn emit(&mut self, bytes: &[u8]) -> io::Result<()> {
        if self.gone || bytes.is_empty() {
            return Ok(());
        }
        let text = String::from_utf8_lossy(bytes);
        let result = match self.mode {
            Mode::Text => self.inner.write_all(clean_for_terminal(&text).as_bytes()),
            Mode::Json => self.inner.write_all(escape_json_controls(&text).as_bytes()),
        };
        self.absorb(result)
    }

    /// A closed pipe is not an error for us: remember it and drop the rest of the output.
    fn absorb(&mut self, result: io::Result<()>) -> io::Result<()> {
        match result {
            Err(e) if e.kind() == io::ErrorKind::BrokenPipe => {
                self.gone = true;
                self.pending.clear();
                READER_GONE.store(true, Ordering::SeqCst);
                Ok(())
            }
            other => other,
        }
    }
}

impl<W: Write> Write for Output<W> {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        if self.gone {
            return Ok(buf.len());
        }
        self.pending.extend_from_slice(buf);
        if let Some(last) = self.pending.iter().rposition(|&b| b == b'\n') {
            let rest = self.pending.split_off(last + 1);
            let lines = std::mem::replace(&mut self.pending, rest);
            // Line by line, so that an escape sequence never swallows a line break.
            for line in lines.split_inclusive(|&b| b == b'\n') {
                let end: &[u8] = if line.ends_with(b"\r\n") {
                    b"\r\n"
                } else {
                    b"\n"
                };
                self.emit(&line[..line.len() - end.len()])?;
                self.end_line(end)?;
            }
        }
        Ok(buf.len())
    }

    fn flush(&mut self) -> io::Result<()> {
        let partial = std::mem::take(&mut self.pending);
        self.emit(&partial)?;
        if self.gone {
            return Ok(());
        }
        let result = self.inner.flush();
        self.absorb(result)
    }
}

impl<W: Write> Output<W> {
    fn end_line(&mut self, end: &[u8]) -> io::Result<()> {
        if self.gone {
            return Ok(());
        }
        let result = self.inner.write_all(end);
        self.absorb(result)
    }
}

impl<W: Write> Drop for Output<W> {
    fn drop(&mut self) {
        let _ = self.flush();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn through(mode: Mode, writes: &[&str]) -> String {
        let mut buf = Vec::new();
        {
            let mut out = Output::new(&mut buf, mode);
            for w in writes {
                out.write_all(w.as_bytes()).unwrap();
            }
        }
        String::from_utf8(buf).unwrap()
    }

    #[test]
    fn text_is_cleaned_line_by_line_whatever_the_write_boundaries() {
        assert_eq!(
            through(
                Mode::Text,
                &[
                    "a\u{1b}[3",
                    "1mb\n",
                    "c\u{1b}]0;t",
                    "itle\u{7}d\r\n",
                    "e\u{85}"
                ]
            ),
            "ab\ncd\r\ne"
        );
        // An unterminated OSC cannot swallow the next line.
        assert_eq!(
            through(Mode::Text, &["x\u{1b}]0;title\nnext\n"]),
            "x\nnext\n"
        );
    }

    #[test]
    fn json_keeps_structure_and_escapes_c1() {
        assert_eq!(
            through(Mode::Json, &["{\"a\": \"x\u{85}\u{7f}\"", "}\n"]),
            "{\"a\": \"x\\u0085\\u007f\"}\n"
        );
    }

    struct ClosedPipe(usize);

    impl Write for ClosedPipe {
        fn write(&mut self, _: &[u8]) -> io::Result<usize> {
            self.0 += 1;
            Err(io::Error::from(io::ErrorKind::BrokenPipe))
        }
        fn flush(&mut self) -> io::Result<()> {
            Err(io::Error::from(io::ErrorKind::BrokenPipe))
        }
    }

    #[test]
    fn a_closed_pipe_is_remembered_and_the_rest_dropped() {
        let mut pipe = ClosedPipe(0);
        {
            let mut out = Output::new(&mut pipe, Mode::Text);
            for _ in 0..100 {
                writeln!(out, "line").unwrap();
            }
            out.flush().unwrap();
        }
        assert_eq!(pipe.0, 1, "kept writing after the reader left");
        assert!(reader_gone());
    }
}
