//! What gate knows about programs: for each program (and subcommand), its options, which take a
//! value and what that value is, and what its operands are. An allow rule holds only for a
//! command whose every word this knowledge accounts for (see `parse`), and the paths the
//! command reads and writes come from it (see `form`).
//!
//! The knowledge is data: `policies/programs/*.toml` compiled into the binary, plus
//! `[[programs]]` tables in a policy layer (a later layer's entry for a name replaces the
//! earlier one; a project layer may not add any, since knowledge only ever loosens).

mod compiled;
mod embedded;
mod form;
pub(crate) mod languages;
mod lazy;
mod lint;
mod load;
mod parse;
mod schema;
mod show;
#[cfg(test)]
mod tests;

pub(crate) use form::Form;
pub(crate) use load::{compile_layer, embedded_knowledge};
pub(crate) use parse::Env;
pub(crate) use schema::RawProgram;

use std::collections::HashMap;
use std::sync::Arc;

/// What an option's value or an operand is.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize)]
pub(crate) enum Kind {
    /// Harmless text: a pattern, a count, a format. Never a path.
    Text,
    /// An option that takes no value but changes what the operands are (`gofmt -w`: the files
    /// are written): `"-w" = { kind = "flag", operands = ["write..."] }`.
    Flag,
    /// A path the program reads.
    Read,
    /// A path the program writes (creates, truncates, appends, moves, chmods).
    Write,
    /// A path the program removes.
    Delete,
    /// Changes the directory later relative paths resolve against.
    Dir,
    /// Reaches the network.
    Url,
    /// Runs code given as text or from a file.
    Code,
    /// A file of code the program runs (`make -f FILE`): as a file it is read like any other
    /// (the project's own Makefile runs anyway); from standard input or a descriptor it is code
    /// gate cannot see.
    Script,
    /// Names a `"<program> <sub>"` entry whose spec parses the rest.
    Subcommand,
    /// The rest is a command the shell walk judges as its own unit.
    Command,
    /// A language judged by code in `languages`.
    Language(languages::Language),
}

impl Kind {
    pub(crate) const NAMES: &'static [(&'static str, Kind)] = &[
        ("text", Kind::Text),
        ("flag", Kind::Flag),
        ("read", Kind::Read),
        ("write", Kind::Write),
        ("delete", Kind::Delete),
        ("dir", Kind::Dir),
        ("url", Kind::Url),
        ("code", Kind::Code),
        ("script", Kind::Script),
        ("subcommand", Kind::Subcommand),
        ("command", Kind::Command),
        ("sed-script", Kind::Language(languages::Language::Sed)),
        ("awk-program", Kind::Language(languages::Language::Awk)),
        ("find-expression", Kind::Language(languages::Language::Find)),
        ("jq-filter", Kind::Language(languages::Language::Jq)),
        ("make-target", Kind::Language(languages::Language::Make)),
        ("git-branch", Kind::Language(languages::Language::GitBranch)),
        ("dd-operand", Kind::Language(languages::Language::Dd)),
        ("npm-script", Kind::Language(languages::Language::NpmScript)),
    ];

    pub(crate) fn parse(name: &str) -> Option<Kind> {
        Kind::NAMES.iter().find(|(known, _)| *known == name).map(|(_, kind)| *kind)
    }

    pub(crate) fn name(self) -> &'static str {
        Kind::NAMES.iter().find(|(_, kind)| *kind == self).map_or("?", |(name, _)| name)
    }

    /// Kinds that take every remaining word.
    fn takes_rest(self) -> bool {
        matches!(self, Kind::Subcommand | Kind::Command | Kind::Language(languages::Language::Find))
    }
}

/// What the operands are: matched in order; the entry at `repeat` takes as many as there are.
#[derive(Clone, Debug, Default, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub(crate) struct Operands {
    pub list: Vec<Kind>,
    pub repeat: Option<usize>,
}

impl Operands {
    /// The kind of each of `count` operands, or `None` when there are more than the list takes.
    fn assign(&self, count: usize) -> Option<Vec<Kind>> {
        let Some(repeat) = self.repeat else {
            return (count <= self.list.len()).then(|| self.list[..count].to_vec());
        };
        let (before, after) = (&self.list[..repeat], &self.list[repeat + 1..]);
        let repeated = count.saturating_sub(before.len() + after.len());
        let all = before.iter().chain(std::iter::repeat_n(&self.list[repeat], repeated)).chain(after);
        Some(all.take(count).copied().collect())
    }

    pub(crate) fn describe(&self) -> String {
        let names: Vec<String> = self
            .list
            .iter()
            .enumerate()
            .map(|(at, kind)| {
                let dots = if self.repeat == Some(at) { "..." } else { "" };
                format!("{}{dots}", kind.name())
            })
            .collect();
        if names.is_empty() { "none".into() } else { names.join(", ") }
    }
}

/// What an option's value is.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub(crate) struct Value {
    pub kind: Kind,
    /// Given, the option replaces the operand list (`sed -e SCRIPT` makes every operand a file).
    pub operands: Option<Operands>,
    /// Given, the value must match one of these (`rustc -C opt-level=*`).
    pub values: Option<Vec<super::glob::Glob>>,
}

/// The knowledge of one program or subcommand.
#[derive(Clone, Debug, serde::Serialize, serde::Deserialize)]
pub(crate) struct Program {
    /// "git log": the program and its subcommand words.
    pub name: String,
    pub flags: Vec<String>,
    /// Keyed as written: `-o`, `--output`, `--color=` (a value only when attached with `=`).
    pub options: HashMap<String, Value>,
    pub operands: Operands,
    /// `-5` is a number, not an option.
    pub numbers: bool,
    /// The program or subcommand itself reaches the network.
    pub network: bool,
    /// Where this knowledge was written: a file and line.
    pub source: String,
}

/// Every program gate knows, by name ("git", "git log").
#[derive(Clone, Debug, Default, serde::Serialize, serde::Deserialize)]
pub(crate) struct Knowledge {
    /// Entries from policy layers, replacing the embedded ones of the same name.
    layered: HashMap<String, Arc<Program>>,
}

impl Knowledge {
    /// The entry for a program or `"program sub"`.
    pub(crate) fn get(&self, name: &str) -> Option<&Program> {
        self.layered.get(name).map(Arc::as_ref).or_else(|| lazy::get(name))
    }

    /// Adds a layer's entries on top; a later entry for the same name replaces the earlier one.
    pub(crate) fn add(&mut self, programs: impl IntoIterator<Item = Program>) {
        for program in programs {
            self.layered.insert(program.name.clone(), Arc::new(program));
        }
    }

    /// This knowledge with an upper layer's entries on top.
    pub(crate) fn stack(&mut self, upper: Knowledge) {
        self.layered.extend(upper.layered);
    }

    /// Every program name known, sorted.
    pub(crate) fn names(&self) -> Vec<String> {
        let mut names: Vec<String> =
            lazy::names().map(str::to_string).chain(self.layered.keys().cloned()).collect();
        names.sort();
        names.dedup();
        names
    }
}
