//! The CLI's own output to the terminal (the server logs through tracing).

use std::io::Write;

/// Writes `text` to standard output.
pub fn stdout(text: &str) {
    let mut out = std::io::stdout().lock();
    // A closed pipe is not worth a panic.
    let _ = out.write_all(text.as_bytes());
    let _ = out.flush();
}

/// Writes `text` to standard error.
pub fn stderr(text: &str) {
    let mut out = std::io::stderr().lock();
    let _ = out.write_all(text.as_bytes());
    let _ = out.flush();
}
