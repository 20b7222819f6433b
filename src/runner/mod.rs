//! Runs an approved command transparently and reports how it ended.
//!
//! Guarantees: the command gets gate's stdin, stdout, stderr and environment unchanged; gate's exit
//! code is the command's own, 128+N when a signal N killed it, and 127 (not found) or 126 (found but
//! not executable) when it could not start, as a shell reports them. While the command runs, gate
//! cannot be killed by SIGINT, SIGTERM, SIGHUP or SIGQUIT: it forwards them instead (see
//! [`forward`]), so the command is never orphaned and its ending is always recorded.
//!
//! No thread is started: one loop waits on signal-hook's self-pipe for both the forwarded signals
//! and SIGCHLD, and the same loop reaps the child, so a signal is never forwarded to a reused pid.

mod forward;
mod spawn;

/// The signals gate passes on to a running command (and that end a question to a human).
pub(crate) use forward::forwarded as forwarded_signals;
pub use forward::quit_on_broken_pipe;

use crate::exit_code;
use std::ffi::OsString;
use std::time::{Duration, Instant};

/// What to run.
#[derive(Clone, Debug)]
pub enum Program {
    /// Execute this argument vector directly; the first element is looked up on PATH.
    Argv(Vec<OsString>),
    /// Run this line with `bash -c` (see `spawn::SHELLS`).
    Line(OsString),
    /// Run this line with `bash OPTIONS -c` (`-e`, `-o pipefail`…: options that change how the
    /// line runs, never what it is), as `gate shell` is asked to.
    Shell { line: OsString, options: Vec<String> },
}

/// How a command ended.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Ending {
    Exited(i32),
    Signaled(i32),
    /// It could not be started: 127 not found, 126 not executable, with the reason.
    NotStarted {
        code: i32,
        reason: String,
    },
}

#[derive(Clone, Debug)]
pub struct Outcome {
    pub ending: Ending,
    pub duration: Duration,
}

impl Outcome {
    /// The exit code gate passes on: the command's own, 128+N for signal N, 126/127 as a shell.
    pub fn exit_code(&self) -> i32 {
        match &self.ending {
            Ending::Exited(code) => *code,
            Ending::Signaled(signal) => exit_code::SIGNAL_BASE + signal,
            Ending::NotStarted { code, .. } => *code,
        }
    }
}

/// Runs the program with inherited stdio and environment, forwards signals to it, and waits for it.
/// The duration runs from just before the spawn to the reaping of the child.
pub fn run(program: &Program) -> Outcome {
    let started = Instant::now();
    let ending = run_to_end(program);
    Outcome { ending, duration: started.elapsed() }
}

/// Runs the program with stdin empty and stdout and stderr captured, each up to `limit` bytes
/// (the rest is read and dropped, so the command never blocks on a full pipe); signals are
/// forwarded as in [`run`].
pub fn run_captured(program: &Program, limit: usize) -> (Outcome, Captured) {
    let started = Instant::now();
    let mut captured = Captured::default();
    let ending = run_to_end_captured(program, limit, &mut captured);
    (Outcome { ending, duration: started.elapsed() }, captured)
}

/// What a command printed, each stream cut at the limit.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Captured {
    pub stdout: Vec<u8>,
    pub stderr: Vec<u8>,
    /// How many bytes of each stream were dropped past the limit.
    pub stdout_dropped: u64,
    pub stderr_dropped: u64,
}

/// A stream being read on a thread of its own: what it has read so far, and whether it ended.
type Reader = std::sync::Arc<std::sync::Mutex<(Vec<u8>, u64, bool)>>;

/// How long the output is still read after the command exited: a background process that
/// keeps the pipe open must not hold the answer back.
const DRAIN: Duration = Duration::from_secs(2);

fn read_bounded(mut stream: impl std::io::Read + Send + 'static, limit: usize) -> Reader {
    let shared: Reader = Default::default();
    let state = std::sync::Arc::clone(&shared);
    std::thread::spawn(move || {
        let mut buffer = [0u8; 8192];
        loop {
            let read = stream.read(&mut buffer);
            let Ok(mut state) = state.lock() else { return };
            match read {
                Ok(0) => break,
                Ok(n) => {
                    let room = limit.saturating_sub(state.0.len()).min(n);
                    state.0.extend_from_slice(&buffer[..room]);
                    state.1 += (n - room) as u64;
                }
                Err(error) if error.kind() == std::io::ErrorKind::Interrupted => continue,
                Err(_) => break,
            }
        }
        if let Ok(mut state) = state.lock() {
            state.2 = true;
        }
    });
    shared
}

/// What a reader has, once it ended or the drain time after the command's exit is over.
fn collect(reader: Reader, until: Instant) -> (Vec<u8>, u64) {
    loop {
        if let Ok(mut state) = reader.lock()
            && (state.2 || Instant::now() >= until)
        {
            return (std::mem::take(&mut state.0), state.1);
        }
        std::thread::sleep(Duration::from_millis(5));
    }
}

fn run_to_end(program: &Program) -> Ending {
    let mut forwarder = match listen() {
        Ok(forwarder) => forwarder,
        Err(ending) => return ending,
    };
    match spawn::spawn(program) {
        Ok(mut child) => ending(forwarder.wait(&mut child)),
        Err(ending) => ending,
    }
}

fn run_to_end_captured(program: &Program, limit: usize, captured: &mut Captured) -> Ending {
    let mut forwarder = match listen() {
        Ok(forwarder) => forwarder,
        Err(ending) => return ending,
    };
    let (mut child, out, err) = match spawn::spawn_captured(program) {
        Ok(spawned) => spawned,
        Err(ending) => return ending,
    };
    let (out, err) = (read_bounded(out, limit), read_bounded(err, limit));
    let waited = forwarder.wait(&mut child);
    let until = Instant::now() + DRAIN;
    (captured.stdout, captured.stdout_dropped) = collect(out, until);
    (captured.stderr, captured.stderr_dropped) = collect(err, until);
    ending(waited)
}

/// Handlers go in before the spawn: a signal arriving in between is queued and forwarded once
/// the child exists, instead of killing gate and leaving the child unwatched.
fn listen() -> Result<forward::Forwarder, Ending> {
    forward::Forwarder::register().map_err(|error| Ending::NotStarted {
        code: exit_code::NOT_EXECUTABLE,
        reason: format!("cannot set up signal forwarding: {error}"),
    })
}

fn ending(waited: std::io::Result<std::process::ExitStatus>) -> Ending {
    use std::os::unix::process::ExitStatusExt;
    match waited {
        Ok(status) => match (status.code(), status.signal()) {
            (Some(code), _) => Ending::Exited(code),
            (None, Some(signal)) => Ending::Signaled(signal),
            // Neither an exit nor a signal cannot come out of a blocking wait; say so honestly.
            (None, None) => Ending::Exited(exit_code::INTERNAL),
        },
        // Waiting failed (ECHILD: someone else reaped it). The child ran, its ending is unknown.
        Err(_) => Ending::Exited(exit_code::INTERNAL),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn exit_code_follows_the_ending() {
        let cases = [
            (Ending::Exited(0), 0),
            (Ending::Exited(7), 7),
            (Ending::Exited(255), 255),
            (Ending::Signaled(2), 130),
            (Ending::Signaled(9), 137),
            (Ending::Signaled(15), 143),
            (Ending::NotStarted { code: 127, reason: "x: command not found".into() }, 127),
            (Ending::NotStarted { code: 126, reason: "x: permission denied".into() }, 126),
        ];
        for (ending, expected) in cases {
            let outcome = Outcome { ending: ending.clone(), duration: Duration::ZERO };
            assert_eq!(outcome.exit_code(), expected, "{ending:?}");
        }
    }

    fn argv(words: &[&str]) -> Program {
        Program::Argv(words.iter().map(OsString::from).collect())
    }

    #[test]
    fn endings_of_real_commands() {
        let cases = [
            (argv(&["true"]), Ending::Exited(0)),
            (argv(&["sh", "-c", "exit 7"]), Ending::Exited(7)),
            (Program::Line("exit 3".into()), Ending::Exited(3)),
            (Program::Line("kill -TERM $$".into()), Ending::Signaled(15)),
            (argv(&["sh", "-c", "kill -KILL $$"]), Ending::Signaled(9)),
        ];
        for (program, expected) in cases {
            assert_eq!(run(&program).ending, expected, "{program:?}");
        }
    }

    #[test]
    fn captured_output_is_bounded_and_stdin_is_empty() {
        let line = "cat; printf 'out-%s' 12345; echo err >&2; exit 4";
        let (outcome, captured) = run_captured(&Program::Line(line.into()), 6);
        assert_eq!(outcome.ending, Ending::Exited(4));
        assert_eq!((captured.stdout.as_slice(), captured.stdout_dropped), (&b"out-12"[..], 3));
        assert_eq!((captured.stderr.as_slice(), captured.stderr_dropped), (&b"err\n"[..], 0));
        let (outcome, _) = run_captured(&argv(&["gate-test-no-such-command"]), 6);
        assert!(matches!(outcome.ending, Ending::NotStarted { code: 127, .. }), "{outcome:?}");
    }

    #[test]
    fn measures_the_duration() {
        let outcome = run(&argv(&["sleep", "0.2"]));
        assert_eq!(outcome.ending, Ending::Exited(0));
        assert!(outcome.duration >= Duration::from_millis(200), "{outcome:?}");
        assert!(outcome.duration < Duration::from_secs(5), "{outcome:?}");
    }
}
