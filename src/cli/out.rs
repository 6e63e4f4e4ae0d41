//! Writing for people without panicking. `println!` and `eprintln!` panic when their stream
//! cannot be written (`>/dev/full`, a full disk, a pipe whose reader has gone), so the crate
//! denies them (`clippy::print_stdout`, `clippy::print_stderr`) and every command prints
//! through two macros:
//!
//! - `say!` writes a line to stdout; a failed write becomes an [`OutputError`] returned with
//!   `?`, which ends the command: quietly with status 0 when the reader closed the pipe
//!   (`participa validate x.xlsx | head`: the reader's choice, not a failure), with a message
//!   on stderr and status 2 otherwise (the output is incomplete);
//! - `note!` writes a line to stderr and drops it when stderr cannot be written: there is
//!   nowhere left to say so. The logs (`init_logging`) do the same.

use std::fmt;
use std::io::{self, Write};

/// Standard output could not be written.
#[derive(Debug, thiserror::Error)]
#[error("no se pudo escribir la salida: {0}")]
pub struct OutputError(pub io::Error);

impl From<io::Error> for OutputError {
    fn from(e: io::Error) -> Self {
        OutputError(e)
    }
}

impl OutputError {
    /// The reader closed the pipe: its choice, not a failure.
    pub fn reader_left(&self) -> bool {
        self.0.kind() == io::ErrorKind::BrokenPipe
    }
}

/// Writes `args` and a newline to stdout, flushed.
pub fn line(args: fmt::Arguments<'_>) -> Result<(), OutputError> {
    let mut out = io::stdout().lock();
    out.write_fmt(args)?;
    out.write_all(b"\n")?;
    out.flush()?;
    Ok(())
}

/// Writes `args` and a newline to stderr; a failed write is dropped.
pub fn note_line(args: fmt::Arguments<'_>) {
    let mut err = io::stderr().lock();
    let _ = err
        .write_fmt(args)
        .and_then(|()| err.write_all(b"\n"))
        .and_then(|()| err.flush());
}

/// `println!` that returns an [`OutputError`] with `?` instead of panicking.
macro_rules! say {
    ($($arg:tt)*) => {
        $crate::cli::out::line(format_args!($($arg)*))?
    };
}

/// `eprintln!` that never panics: a line stderr cannot take is dropped.
macro_rules! note {
    ($($arg:tt)*) => {
        $crate::cli::out::note_line(format_args!($($arg)*))
    };
}
