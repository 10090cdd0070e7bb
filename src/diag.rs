//! Messages for the person at the terminal, on standard error: warnings, questions, what a verb
//! did. Unlike `eprintln!`, a closed standard error (`warroom log … 2>&1 | head -1`) is not a
//! panic, and the text is cleaned of escapes and control characters on the way out, as
//! standard output is (it can quote a journal line or a log that something else wrote).

use std::io::Write;

use crate::domain::text::clean_for_terminal;

/// Writes `args` to standard error as it is (no newline added), ignoring a closed pipe.
pub fn write(args: std::fmt::Arguments<'_>) {
    let text = args.to_string();
    let mut err = std::io::stderr().lock();
    let _ = err.write_all(clean_for_terminal(&text).as_bytes());
    let _ = err.flush();
}

/// `eprint!` that never panics and never writes an escape sequence.
#[macro_export]
macro_rules! diag {
    ($($arg:tt)*) => { $crate::diag::write(format_args!($($arg)*)) };
}

/// `eprintln!` that never panics and never writes an escape sequence.
#[macro_export]
macro_rules! diagln {
    ($($arg:tt)*) => { $crate::diag::write(format_args!("{}\n", format_args!($($arg)*))) };
}
