//! Which file a program name runs: PATH lookup and canonical paths, cached for one classification.

use super::rule::literal_text;
use crate::shell::SimpleCommand;
use std::cell::RefCell;
use std::collections::HashMap;
use std::ffi::OsString;
use std::path::{Path, PathBuf};

/// Resolves names on gate's own PATH (captured once) and remembers the answers.
pub struct Resolver {
    path: Option<OsString>,
    cache: RefCell<HashMap<String, Option<PathBuf>>>,
}

impl Resolver {
    pub fn new(path: Option<OsString>) -> Resolver {
        Resolver { path, cache: RefCell::default() }
    }

    /// The canonical file `name` runs: looked up on gate's PATH when bare, else taken relative to
    /// `cwd`.
    pub fn resolve(&self, name: &str, cwd: &Path) -> Option<PathBuf> {
        if let Some(found) = self.cache.borrow().get(name) {
            return found.clone();
        }
        let found = lookup(name, self.path.as_ref(), cwd);
        self.cache.borrow_mut().insert(name.to_string(), found.clone());
        found
    }

    /// The canonical file a command runs, honouring a `PATH=` given to it. A PATH known only at
    /// run time resolves to nothing.
    pub fn resolve_command(
        &self,
        name: &str,
        command: &SimpleCommand,
        home: &str,
        cwd: &Path,
    ) -> Option<PathBuf> {
        let assigned = command.assignments.iter().rev().find(|(var, _)| var == "PATH");
        match assigned {
            Some((_, value)) if !name.contains('/') => {
                let path = literal_text(value, home)?;
                lookup(name, Some(&OsString::from(path.as_ref())), cwd)
            }
            _ => self.resolve(name, cwd),
        }
    }

    /// Whether a command's program, as written (`./ls`, or `ls` under its own `PATH=`), runs the
    /// file that the bare `name` runs on gate's PATH. Nothing that does not resolve is.
    pub fn runs_as(
        &self,
        written: &str,
        command: &SimpleCommand,
        name: &str,
        home: &str,
        cwd: &Path,
    ) -> bool {
        let actual = self.resolve_command(written, command, home, cwd);
        actual.is_some() && actual == self.resolve(name, cwd)
    }
}

fn lookup(name: &str, path: Option<&OsString>, cwd: &Path) -> Option<PathBuf> {
    let found = if name.contains('/') { cwd.join(name) } else { which::which_in(name, path, cwd).ok()? };
    std::fs::canonicalize(found).ok()
}
