//! A command as gate's knowledge reads it: either a known form (the program and subcommand it
//! runs, which of its words are operands, the paths it reads and writes, and anything that reaches
//! the network or runs code) or the word that knowledge does not account for, and why.

use crate::policy::effects::Access;
use crate::shell::{Cwd, Word};

#[derive(Clone, Debug)]
pub(crate) enum Form {
    Known(Known),
    /// A word the knowledge does not account for: the allow rule does not hold.
    Unknown {
        /// The word as written.
        word: String,
        /// "is not an option gate knows for javac".
        why: String,
    },
}

#[derive(Clone, Debug, Default)]
pub(crate) struct Known {
    /// `["git", "log"]`: the program's base name and its subcommand words.
    pub name: Vec<String>,
    /// Positions in `words` of global options and their values (`git -C web`, `cargo +nightly`):
    /// the form an allow rule is matched against leaves them out.
    pub removed: Vec<usize>,
    /// Positions in `words` of the operands: words that are not options, whatever they hold.
    pub operands: Vec<usize>,
    pub effects: Vec<Effect>,
    /// The directories effects resolve against: `cwds[0]` is the command's own; `git -C web`
    /// adds one.
    pub cwds: Vec<Cwd>,
    pub findings: Vec<Finding>,
    /// The kind an argument appended at run time (`xargs`, `find -exec … {} +`) would have:
    /// `Some(None)` when the program takes no more operands, `None` when not worked out.
    pub appended: Option<Option<super::Kind>>,
}

/// A path the command reads or writes.
#[derive(Clone, Debug)]
pub(crate) struct Effect {
    pub access: Access,
    pub path: Word,
    /// Index into [`Known::cwds`].
    pub cwd: usize,
    /// "argument", "option -o".
    pub via: String,
}

/// A word that reaches the network or runs code: the allow rule does not hold.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct Finding {
    pub word: String,
    /// "reaches the network", "runs code".
    pub what: &'static str,
}

impl Finding {
    pub(crate) fn network(word: &str) -> Finding {
        Finding { word: word.to_string(), what: "reaches the network" }
    }

    pub(crate) fn code(word: &str) -> Finding {
        Finding { word: word.to_string(), what: "runs code" }
    }

    /// A file-name glob where the program writes or removes: the files it names are judged by
    /// path, but a name could also start with `-` and be taken as an option.
    pub(crate) fn glob_written(word: &str) -> Finding {
        Finding { word: word.to_string(), what: "is a glob whose file names the program writes or removes" }
    }
}
