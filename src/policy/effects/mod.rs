//! What a command does to which path, and what that is worth: reading a secret asks, writing a
//! startup or persistence file is denied, writing inside the project or the temp directory is
//! fine, writing anywhere else asks, and touching gate's own files is denied before any rule.
//!
//! `resolve` turns the word a command names a path with into absolute forms, `classes` holds
//! the patterns of each class (built-in floor plus every layer), `judge` weighs one effect,
//! `own` and `project` find gate's own files and the project, `self_invocation` judges a line
//! that runs gate itself.

mod classes;
mod judge;
mod own;
mod project;
#[cfg(test)]
mod property_tests;
mod resolve;
mod self_invocation;
#[cfg(test)]
mod tests;

pub(in crate::policy) use classes::compile;
pub use classes::{BUILTIN_PATHS, PathClasses};
pub use project::discover as discover_project;
pub use self_invocation::judge as judge_self_invocation;

use super::Decision;
use crate::shell::{Cwd, Word};
use std::path::PathBuf;

/// How a command uses a path.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Access {
    Read,
    /// Creates, overwrites, truncates, appends to, moves or changes the mode of.
    Write,
    /// Removes (`rm`, `rmdir`, `unlink`, `shred`): destroys what is there but plants nothing, so
    /// removing a startup file is not persistence (it asks outside the project), while removing
    /// gate's own files is denied like writing them.
    Delete,
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
    /// The variables the line has set by then, with their values (the command's
    /// `assignments`): a `$NAME` in `path` with a value known here is that value.
    pub vars: &'c [(String, Word)],
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

/// gate's own files: what no command gate runs may write (or, for `private`, read). Found the
/// first time a command's paths are judged (a few dozen system calls): a command that names no
/// path never needs them.
#[derive(Clone, Debug, Default)]
pub struct OwnFiles {
    /// The log given (`--db`) and the policy layers loaded, to find the files from; `None` when
    /// there are none to find.
    sources: Option<(Option<PathBuf>, Vec<PathBuf>)>,
    found: std::sync::OnceLock<OwnPaths>,
}

#[derive(Clone, Debug, Default)]
struct OwnPaths {
    /// The audit log (with `-wal`, `-shm`), keys, checkpoints, every policy layer loaded,
    /// gate's configuration directories. A directory covers everything under it.
    protected: Vec<PathBuf>,
    /// Private keys: not even read.
    private: Vec<PathBuf>,
}

/// The class of a write outside the project and the temp directories.
pub const OUTSIDE: &str = "outside the project";

/// The class of every path when the cached path classes do not decode.
const UNDECODABLE: &str = "gate's cache";

impl PathVerdict {
    /// What every path is worth when the compiled policy's path classes cannot be read: a deny
    /// that says so (the cache file is checked whole first, so only a bug gets here).
    pub fn undecodable() -> PathVerdict {
        PathVerdict {
            decision: Decision::Deny,
            class: UNDECODABLE,
            path: String::new(),
            reason: "the path classes of the compiled policy in gate's cache do not decode: remove the cache folder (gate/ under $XDG_CACHE_HOME or ~/.cache) and retry".into(),
        }
    }

    /// The rule id `gate check` shows for it.
    pub fn rule(&self) -> &'static str {
        match self.class {
            "secret" => "path:secret",
            "persistence" => "path:persistence",
            "gate's own file" => "gate:own",
            "gate itself" => "gate:self",
            UNDECODABLE => "gate:cache",
            _ => "path:elsewhere",
        }
    }
}

/// A path for messages: the home directory as `~`.
pub(crate) fn tilde(path: &str, home: &str) -> String {
    match path.strip_prefix(home) {
        Some(rest) if !home.is_empty() && home != "/" && (rest.is_empty() || rest.starts_with('/')) => {
            format!("~{rest}")
        }
        _ => path.to_string(),
    }
}
