//! What a simple command does with the words after its program: runs them as a command, runs
//! them as a script, hides code, or nothing special. The walk acts on this; the deciding is done
//! in `wrappers` and `interpreters`.

use super::types::{Piece, Word};
use super::{builtins, interpreters, wrappers};

#[derive(Debug)]
pub(crate) enum Kind {
    /// An ordinary command.
    Plain,
    /// Runs code that cannot be seen.
    Opaque(String),
    /// `words[..split]` is the wrapper; `inner` is the command it runs.
    Wrap { split: usize, label: String, inner: Vec<Word>, assignments: Vec<(String, Word)>, more_args: bool },
    /// The whole command is a wrapper that runs a shell script.
    Script { label: String, source: Source, shell: Shell },
    /// `find` with `-exec`-like actions (and maybe `-delete`).
    Find { own: Vec<Word>, execs: Vec<Exec>, deletes: bool },
}

/// Where a script comes from.
#[derive(Debug)]
pub(crate) enum Source {
    /// One word (`sh -c WORD`).
    Word(Word),
    /// Words joined by spaces (`eval a b`, `watch a b`).
    Joined(Vec<Word>),
    /// Standard input: a here-document or here-string when the command has one.
    Stdin,
}

/// Which shell runs a script, which decides what it inherits and what it leaves behind.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Shell {
    /// The shell walked, now (`eval`, an alias value, a `mapfile -C` callback).
    Current,
    /// The shell walked, at some later time (a `trap` action).
    Later,
    /// A new shell process (`sh -c`, `su -c`, `watch`): it sees only exported variables and
    /// may run startup code its environment names.
    New,
}

/// One `-exec CMD ;` (or `+`) of a `find`.
#[derive(Debug)]
pub(crate) struct Exec {
    pub(crate) label: String,
    pub(crate) words: Vec<Word>,
    pub(crate) more_args: bool,
}

impl Kind {
    pub(crate) fn opaque(why: impl Into<String>) -> Kind {
        Kind::Opaque(why.into())
    }

    /// A wrapper whose command is simply the words from `split` on.
    pub(crate) fn wrap(words: &[Word], split: usize, label: &str) -> Kind {
        Kind::Wrap {
            split,
            label: label.to_owned(),
            inner: words[split..].to_vec(),
            assignments: Vec::new(),
            more_args: false,
        }
    }
}

/// Decides what a command with a known program does. `name` is the program's base name.
pub(crate) fn classify(name: &str, words: &[Word]) -> Kind {
    builtins::classify(name, words)
        .or_else(|| wrappers::classify(name, words))
        .or_else(|| interpreters::classify(name, words))
        .unwrap_or(Kind::Plain)
}

/// The program's name without its directory (`/usr/bin/sudo` is `sudo`).
pub(crate) fn base_name(program: &Word) -> &str {
    match program.pieces.last() {
        Some(Piece::Text(text)) => text.rsplit('/').next().unwrap_or(text),
        _ => "",
    }
}
