//! What a command does to which path, and what that is worth: reading a secret asks, writing a
//! startup or persistence file is denied, writing inside the project or the temp directory is
//! fine, writing anywhere else asks, and touching gate's own files is denied before any rule.
//!
//! (Interface only: the path classes are filled in by the work on issue 10.)

use super::Decision;
use crate::shell::{Cwd, Word};
use std::path::PathBuf;

/// How a command uses a path.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Access {
    Read,
    /// Creates, overwrites, truncates, appends to, moves, deletes or changes the mode of.
    Write,
}

/// One path a command reads or writes, as far as it is known before the command runs.
#[derive(Clone, Debug)]
pub struct PathEffect<'c> {
    pub access: Access,
    pub path: &'c Word,
    /// The directory a relative `path` is resolved against.
    pub cwd: &'c Cwd,
    /// How the command names it, for messages: "argument", "option -o", "redirection".
    pub via: String,
}

/// The verdict on one path effect, and the words `gate check` shows for it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PathVerdict {
    pub decision: Decision,
    /// "secret", "persistence", "gate's own file", "outside the project".
    pub class: &'static str,
    /// The path as resolved, for display (`~/.bashrc`).
    pub path: String,
    /// "writes ~/.bashrc: persistence".
    pub reason: String,
}

/// gate's own files: what no command gate runs may write (or, for `private`, read).
#[derive(Clone, Debug, Default)]
pub struct OwnFiles {
    /// The audit log (with `-wal`, `-shm`), keys, checkpoints, every policy layer loaded,
    /// gate's configuration directories. A directory covers everything under it.
    pub protected: Vec<PathBuf>,
    /// Private keys: not even read.
    pub private: Vec<PathBuf>,
}

/// The path classes of a policy: the built-in floor plus every layer's `[paths]`.
#[derive(Debug, Default)]
pub struct PathClasses {}

impl PathClasses {
    /// The verdict on one effect; `None` is no objection (an ordinary read, a write inside the
    /// project or the temp directory).
    pub fn judge(&self, _effect: &PathEffect, _context: &super::Context) -> Option<PathVerdict> {
        None
    }
}
