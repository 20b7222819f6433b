//! The controlling terminal as a place to ask one question: open it, check that gate may read from
//! it, put it in line mode, read one answer line with a deadline, and put it back as it was.
//!
//! Guarantees: nothing typed before the question was shown can answer it (pending input is
//! discarded first), nothing half-typed when time runs out is left for the shell to read, and the
//! terminal modes are restored on every way out short of gate being killed.

use nix::errno::Errno;
use nix::poll::{PollFd, PollFlags, PollTimeout, poll};
use nix::sys::termios::{FlushArg, InputFlags, LocalFlags, SetArg, Termios, tcflush, tcgetattr, tcsetattr};
use nix::unistd::{User, getpgrp, tcgetpgrp};
use std::fs::{File, OpenOptions};
use std::io::{self, Write};
use std::os::fd::AsFd;
use std::path::Path;
use std::time::{Duration, Instant};

/// Longest answer kept; a canonical-mode line is at most 4095 bytes anyway.
const MAX_LINE: usize = 256;

/// How reading an answer ended.
#[derive(Debug, PartialEq, Eq)]
pub(super) enum Read {
    /// A line, without its newline.
    Line(String),
    /// End of input (Ctrl-D at the start of the line).
    Eof,
    /// The deadline passed first.
    TimedOut,
    /// A signal arrived first (Ctrl-C at the terminal, or a `kill`).
    Interrupted(i32),
    /// The answer came from elsewhere (the broker) first.
    Elsewhere,
}

/// Why to stop waiting for a line before it comes.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) enum Stop {
    Signal(i32),
    Elsewhere,
}

/// How often a wait looks whether to stop: an answer from elsewhere clears the prompt within
/// this long.
const LOOK_EVERY: Duration = Duration::from_millis(50);

/// An open terminal in line mode. Dropping it restores the modes it found.
pub(super) struct Tty {
    file: File,
    saved: Option<Termios>,
}

impl Tty {
    /// Opens the terminal for reading and writing. Fails with a reason fit for the user when there is
    /// none, or when gate runs in the background of it (reading would stop gate with SIGTTIN).
    pub(super) fn open(path: &Path) -> Result<Tty, String> {
        let file = OpenOptions::new()
            .read(true)
            .write(true)
            .open(path)
            .map_err(|error| format!("cannot open {}: {}", path.display(), lowercase(&error)))?;
        // Only a controlling terminal has a foreground group; any other terminal (a test's pty)
        // answers ENOTTY, and reading it cannot stop gate.
        if let Ok(foreground) = tcgetpgrp(&file)
            && foreground != getpgrp()
        {
            return Err(format!(
                "gate runs in the background of {}; run it in the foreground",
                path.display()
            ));
        }
        Ok(Tty { file, saved: None })
    }

    /// The login name of whoever owns the terminal device: login, sshd and terminal emulators give
    /// it to the user who sits at it, and neither the command nor its environment can change it.
    pub(super) fn owner(&self) -> String {
        match nix::sys::stat::fstat(&self.file) {
            Ok(stat) => {
                let uid = nix::unistd::Uid::from_raw(stat.st_uid);
                match User::from_uid(uid) {
                    Ok(Some(user)) => user.name,
                    _ => format!("uid {uid}"),
                }
            }
            Err(_) => "unknown".into(),
        }
    }

    /// Switches to line mode with echo and discards input typed ahead of the question. The modes
    /// are changed only if they differ, so an ordinary shell's terminal is never touched.
    pub(super) fn prepare(&mut self) {
        if let Ok(saved) = tcgetattr(&self.file) {
            let mut line_mode = saved.clone();
            line_mode.local_flags |= LocalFlags::ICANON
                | LocalFlags::ECHO
                | LocalFlags::ECHOE
                | LocalFlags::ECHOK
                | LocalFlags::ISIG;
            line_mode.input_flags |= InputFlags::ICRNL;
            if line_mode.local_flags != saved.local_flags || line_mode.input_flags != saved.input_flags {
                let _ = tcsetattr(&self.file, SetArg::TCSADRAIN, &line_mode);
                self.saved = Some(saved);
            }
        }
        let _ = tcflush(&self.file, FlushArg::TCIFLUSH);
    }

    pub(super) fn write_all(&mut self, text: &str) -> io::Result<()> {
        self.file.write_all(text.as_bytes())?;
        self.file.flush()
    }

    /// Reads one line, waiting at most `timeout`. On timeout, whatever was half typed is discarded.
    pub(super) fn read_line(
        &mut self,
        timeout: Duration,
        stop: &dyn Fn() -> Option<Stop>,
    ) -> io::Result<Read> {
        let deadline = Instant::now() + timeout;
        let mut line = Vec::new();
        loop {
            if let Some(why) = stop() {
                let _ = tcflush(&self.file, FlushArg::TCIFLUSH);
                return Ok(match why {
                    Stop::Signal(signal) => Read::Interrupted(signal),
                    Stop::Elsewhere => Read::Elsewhere,
                });
            }
            let remaining = deadline.saturating_duration_since(Instant::now());
            if remaining.is_zero() {
                let _ = tcflush(&self.file, FlushArg::TCIFLUSH);
                return Ok(Read::TimedOut);
            }
            let mut fds = [PollFd::new(self.file.as_fd(), PollFlags::POLLIN)];
            match poll(&mut fds, poll_timeout(remaining.min(LOOK_EVERY))) {
                Ok(0) | Err(Errno::EINTR) => continue,
                Ok(_) => {}
                Err(errno) => return Err(errno.into()),
            }
            let mut buf = [0u8; 64];
            let n = match nix::unistd::read(&self.file, &mut buf) {
                Ok(n) => n,
                Err(Errno::EINTR | Errno::EAGAIN) => continue,
                Err(errno) => return Err(errno.into()),
            };
            if n == 0 {
                return Ok(Read::Eof);
            }
            let chunk = &buf[..n];
            if let Some(end) = chunk.iter().position(|&b| b == b'\n') {
                line.extend_from_slice(&chunk[..end]);
                line.truncate(MAX_LINE);
                return Ok(Read::Line(String::from_utf8_lossy(&line).into_owned()));
            }
            if line.len() < MAX_LINE {
                line.extend_from_slice(chunk);
            }
        }
    }
}

impl Drop for Tty {
    fn drop(&mut self) {
        if let Some(saved) = self.saved.take() {
            let _ = tcsetattr(&self.file, SetArg::TCSADRAIN, &saved);
        }
    }
}

/// An OS error's text starting lowercase, like gate's own messages.
fn lowercase(error: &io::Error) -> String {
    let text = error.to_string();
    let mut chars = text.chars();
    match chars.next() {
        Some(first) => first.to_lowercase().chain(chars).collect(),
        None => text,
    }
}

/// Rounds up, so that poll does not wake a hair early and spin; capped at poll's range.
fn poll_timeout(remaining: Duration) -> PollTimeout {
    let millis = remaining.as_micros().div_ceil(1000);
    PollTimeout::try_from(millis.min(i32::MAX as u128)).unwrap_or(PollTimeout::MAX)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn poll_timeout_rounds_up() {
        let cases = [
            (Duration::from_micros(1), 1),
            (Duration::from_millis(5), 5),
            (Duration::from_micros(5_001), 6),
            (Duration::from_secs(10), 10_000),
        ];
        for (remaining, millis) in cases {
            assert_eq!(poll_timeout(remaining), PollTimeout::try_from(millis).unwrap());
        }
    }

    #[test]
    fn no_such_terminal_is_an_error_naming_it() {
        let error = Tty::open(Path::new("/nonexistent/tty")).err().unwrap();
        assert!(error.starts_with("cannot open /nonexistent/tty: "), "{error}");
    }
}
