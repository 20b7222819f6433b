//! Placeholder runner: spawn the command with inherited stdio. Replaced by the full runner with
//! signal forwarding.

use crate::exit_code;
use std::ffi::OsString;
use std::process::Command;
use std::time::{Duration, Instant};

/// What to run.
#[derive(Clone, Debug)]
pub enum Program {
    /// Execute this argument vector directly; the first element is looked up on PATH.
    Argv(Vec<OsString>),
    /// Run this line with `/bin/sh -c`.
    Line(String),
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

/// Runs the program with inherited stdio and environment, and waits for it.
pub fn run(program: &Program) -> Outcome {
    use std::os::unix::process::ExitStatusExt;
    let mut command = match program {
        Program::Argv(argv) => {
            let mut command = Command::new(&argv[0]);
            command.args(&argv[1..]);
            command
        }
        Program::Line(line) => {
            let mut command = Command::new("/bin/sh");
            command.arg("-c").arg(line);
            command
        }
    };
    let started = Instant::now();
    let ending = match command.status() {
        Ok(status) => match (status.code(), status.signal()) {
            (Some(code), _) => Ending::Exited(code),
            (None, Some(signal)) => Ending::Signaled(signal),
            (None, None) => Ending::Exited(exit_code::INTERNAL),
        },
        Err(error) => Ending::NotStarted { code: exit_code::NOT_FOUND, reason: error.to_string() },
    };
    Outcome { ending, duration: started.elapsed() }
}
