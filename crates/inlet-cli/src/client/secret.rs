//! Secrets typed at the terminal: read without echo, where Ctrl-C (or
//! Ctrl-D on an empty line) cancels the command and leaves the terminal
//! exactly as it was.
//!
//! Why not dialoguer's `Password`: console, under it, turns only `ECHO`
//! off and reads a line, so Ctrl-C is the kernel's SIGINT, whose default
//! action ends the process inside that read, before console can turn echo
//! back on; the shell is then left without echo. Here, for the length of
//! the read, the terminal's signal keys are off too (`ISIG`) and Ctrl-C
//! ends the line (`VEOL`), so the read returns with it; the settings saved
//! before are put back however the read ends (a guard's drop, a panic
//! included), and the caller returns [`Failure::Interrupted`]: exit 130
//! before anything is saved. Line editing (erase, kill, word erase) stays
//! the terminal's own, as for any line; Ctrl-Z and Ctrl-\ do nothing while
//! the secret is asked for.

use super::remote::Failure;

/// Asks for a secret on the terminal (standard input, the prompt on
/// standard error as `prompt: `) without echo. An empty answer asks again
/// unless `allow_empty`. Ctrl-C, or Ctrl-D on an empty line, is
/// [`Failure::Interrupted`]; `what` names the secret in other errors.
#[cfg(unix)]
pub fn ask(prompt: &str, allow_empty: bool, what: &str) -> Result<String, Failure> {
    use std::os::fd::AsFd;

    let failed = |e: &dyn std::fmt::Display| Failure::Usage(format!("reading {what}: {e}"));
    let stdin = std::io::stdin();
    loop {
        let line = {
            // Quiet before the prompt shows: a Ctrl-C once it is visible
            // is always read as one.
            let _quiet = unix::Quiet::on(stdin.as_fd()).map_err(|e| failed(&e))?;
            crate::output::stderr(&format!("{prompt}: "));
            unix::read_line(&mut stdin.lock())
        };
        // Neither the Enter nor the Ctrl-C was echoed.
        crate::output::stderr("\n");
        match line.map_err(|e| failed(&e))? {
            unix::Line::Cancelled => return Err(Failure::Interrupted("cancelled".into())),
            unix::Line::Text(text) if text.is_empty() && !allow_empty => {}
            unix::Line::Text(text) => return Ok(text),
        }
    }
}

/// Asks for a secret on the terminal without echo (dialoguer's prompt,
/// where there is no termios).
#[cfg(not(unix))]
pub fn ask(prompt: &str, allow_empty: bool, what: &str) -> Result<String, Failure> {
    dialoguer::Password::new()
        .with_prompt(prompt)
        .allow_empty_password(allow_empty)
        .interact()
        .map_err(|e| Failure::Usage(format!("reading {what}: {e}")))
}

#[cfg(unix)]
mod unix {
    use std::io::{self, ErrorKind, Read};
    use std::os::fd::BorrowedFd;

    use nix::sys::termios::{self, LocalFlags, SetArg, SpecialCharacterIndices, Termios};

    /// Ctrl-C as the terminal sends it.
    const CTRL_C: u8 = 0x03;

    /// The terminal without echo or signal keys, Ctrl-C ending a line;
    /// its settings from before are put back when dropped.
    pub(super) struct Quiet<'a> {
        fd: BorrowedFd<'a>,
        saved: Termios,
    }

    impl<'a> Quiet<'a> {
        pub(super) fn on(fd: BorrowedFd<'a>) -> nix::Result<Self> {
            let saved = termios::tcgetattr(fd)?;
            let mut quiet = saved.clone();
            // ECHONL off too: the line break is ours to print, so a
            // terminal left with it on cannot print two.
            quiet
                .local_flags
                .remove(LocalFlags::ECHO | LocalFlags::ECHONL | LocalFlags::ISIG);
            quiet.local_flags.insert(LocalFlags::ICANON);
            quiet.control_chars[SpecialCharacterIndices::VEOL as usize] = CTRL_C;
            // TCSAFLUSH: nothing typed before the prompt is part of the secret.
            termios::tcsetattr(fd, SetArg::TCSAFLUSH, &quiet)?;
            Ok(Self { fd, saved })
        }
    }

    impl Drop for Quiet<'_> {
        fn drop(&mut self) {
            // If the terminal is gone there is nothing left to restore.
            let _ = termios::tcsetattr(self.fd, SetArg::TCSANOW, &self.saved);
        }
    }

    /// What was typed.
    #[derive(Debug, PartialEq)]
    pub(super) enum Line {
        /// A line, without its line break.
        Text(String),
        /// Ctrl-C, or the end of input with nothing typed (Ctrl-D).
        Cancelled,
    }

    /// One line from a terminal in canonical mode, where each read
    /// returns at most one line: ended by Enter, by Ctrl-C (its last
    /// byte), or by the end of input.
    pub(super) fn read_line(input: &mut impl Read) -> io::Result<Line> {
        let mut line = Vec::new();
        let mut chunk = [0u8; 1024];
        loop {
            let n = match input.read(&mut chunk) {
                Ok(n) => n,
                Err(e) if e.kind() == ErrorKind::Interrupted => continue,
                Err(e) => return Err(e),
            };
            let read = &chunk[..n];
            match read.split_last() {
                None if line.is_empty() => return Ok(Line::Cancelled),
                // Ctrl-D after some text hands the text over; a second
                // one ends it.
                None => break,
                Some((&CTRL_C, _)) => return Ok(Line::Cancelled),
                Some((b'\n', rest)) => {
                    line.extend_from_slice(rest);
                    break;
                }
                Some(_) => line.extend_from_slice(read),
            }
        }
        if line.last() == Some(&b'\r') {
            line.pop();
        }
        String::from_utf8(line)
            .map(Line::Text)
            .map_err(|_| io::Error::new(ErrorKind::InvalidData, "the text is not UTF-8"))
    }

    #[cfg(test)]
    mod tests {
        use super::*;

        fn line(reads: &[&[u8]]) -> Line {
            /// Hands out one read at a time, as a terminal does lines.
            struct Reads<'a>(std::slice::Iter<'a, &'a [u8]>);
            impl Read for Reads<'_> {
                fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
                    let next = self.0.next().copied().unwrap_or_default();
                    buf[..next.len()].copy_from_slice(next);
                    Ok(next.len())
                }
            }
            read_line(&mut Reads(reads.iter())).unwrap()
        }

        #[test]
        fn a_line_ends_at_enter_ctrl_c_or_the_end_of_input() {
            assert_eq!(line(&[b"s3cret\n"]), Line::Text("s3cret".into()));
            assert_eq!(line(&[b"s3cret\r\n"]), Line::Text("s3cret".into()));
            assert_eq!(line(&[b"\n"]), Line::Text(String::new()));
            assert_eq!(line(&[b"half\x03"]), Line::Cancelled);
            assert_eq!(line(&[b"\x03"]), Line::Cancelled);
            assert_eq!(line(&[b""]), Line::Cancelled);
            // Ctrl-D after text, then the rest, or a second Ctrl-D.
            assert_eq!(line(&[b"ab", b"cd\n"]), Line::Text("abcd".into()));
            assert_eq!(line(&[b"ab", b""]), Line::Text("ab".into()));
            assert_eq!(
                line(&["mot de passé\n".as_bytes()]),
                Line::Text("mot de passé".into())
            );
        }

        #[test]
        fn a_line_that_is_not_utf8_is_an_error() {
            struct Once(bool);
            impl Read for Once {
                fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
                    if std::mem::replace(&mut self.0, true) {
                        return Ok(0);
                    }
                    buf[..2].copy_from_slice(b"\xff\n");
                    Ok(2)
                }
            }
            let e = read_line(&mut Once(false)).unwrap_err();
            assert_eq!(e.kind(), ErrorKind::InvalidData);
        }
    }
}
