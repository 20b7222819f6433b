//! What the shell walk produces and the policy judges: words as far as they are known before the
//! command runs, simple commands, and opaque parts.

/// One shell word after quote removal. Parts whose value is only known at run time are kept as
/// wildcards, so a matcher can ask both "is this exactly X" (for allow) and "could this be X"
/// (for ask and deny).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Word {
    pub pieces: Vec<Piece>,
    /// The word as written in the source, for display.
    pub text: String,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Piece {
    /// Text known exactly, quotes and escapes removed.
    Text(String),
    /// A leading `~`: the user's home directory.
    Home,
    /// Any string, possibly several words: an expansion (`$X`, `$(..)`, `$((..))`), an unquoted
    /// `*`, a brace expansion, or an argument supplied at run time.
    Any,
    /// Any run of characters without `/`: an unquoted `*`, expanded against file names.
    Star,
    /// Any one character but `/`: an unquoted `?` or bracket expression.
    AnyChar,
}

impl Word {
    /// A word whose text is fully known.
    pub fn literal(text: impl Into<String>) -> Word {
        let text = text.into();
        Word { pieces: vec![Piece::Text(text.clone())], text }
    }

    /// A word about which nothing is known.
    pub fn unknown(text: impl Into<String>) -> Word {
        Word { pieces: vec![Piece::Any], text: text.into() }
    }

    /// The exact text, when every piece is known text.
    pub fn as_literal(&self) -> Option<String> {
        let mut out = String::new();
        for piece in &self.pieces {
            match piece {
                Piece::Text(text) => out.push_str(text),
                _ => return None,
            }
        }
        Some(out)
    }

    /// True when the word has a part that is only known at run time (`Home` counts as known).
    pub fn is_dynamic(&self) -> bool {
        self.pieces.iter().any(|p| matches!(p, Piece::Any | Piece::Star | Piece::AnyChar))
    }
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub enum RedirectKind {
    /// `<`, `<<`, `<<<`, `<&`: reads only.
    Input,
    /// `>`, `>>`, `>|`, `&>`, `&>>`, `<>`, `2>`…: writes to the target.
    Output,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Redirect {
    pub kind: RedirectKind,
    pub target: Word,
}

/// One command that will run: assignments, words (program first), redirections.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct SimpleCommand {
    /// `VAR=value` given to this command (before it, or through `env`).
    pub assignments: Vec<(String, Word)>,
    /// The program and its arguments. Empty for a line of assignments or redirections only.
    pub words: Vec<Word>,
    /// More arguments, unknown before run time, are appended (`xargs`, `find -exec … {}`).
    pub more_args: bool,
    pub redirects: Vec<Redirect>,
    /// The wrappers this command was reached through, outermost first (`sudo`, `bash -c`…).
    pub via: Vec<String>,
    /// How many of the first `assignments` are variables the shell set earlier without exporting
    /// them: they decide how the shell finds the program (PATH), but the program does not get
    /// them in its environment (unless gate's own environment exports that name already).
    pub shell_only: usize,
    /// The working directory the command runs in, as the line has changed it so far.
    pub cwd: Cwd,
}

/// Where a command runs, relative to the directory gate was started in. The walk (`cwd.rs`)
/// follows `cd`, `pushd`, `popd` in the shell walked, keeps subshells, substitutions, pipeline
/// parts and background jobs to themselves, and where the line can go two ways (branches, loops,
/// a `cd` that may fail before `;`) keeps a place only when both ways agree. Wrappers that move
/// their command (`env -C`, `sudo -D`) give it its own. A relative `cd` that bash may look up
/// in a `CDPATH` from gate's own environment (not one the line sets) is taken as relative: the
/// policy must treat a `Known` relative word as `Unknown` when its environment has `CDPATH`.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub enum Cwd {
    /// The directory gate runs in: the line has not moved.
    #[default]
    Start,
    /// A directory known before the command runs: absolute, under `~` (a leading [`Piece::Home`]),
    /// or relative to the start directory. It may still hold wildcards (`cd src/*`).
    Known(Word),
    /// Moved to a place known only at run time (`cd "$X"`, `popd` past what the line pushed).
    Unknown,
}

impl SimpleCommand {
    pub fn program(&self) -> Option<&Word> {
        self.words.first()
    }

    pub fn args(&self) -> &[Word] {
        self.words.get(1..).unwrap_or(&[])
    }
}

/// A part of a line, as judged by the policy.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Unit {
    /// A command that will run. Judged by the rules; when none matches, `settings.default`.
    Command(SimpleCommand),
    /// A wrapper (`sudo`, `env`, `timeout`, `sh -c`…) whose inner command is a separate unit.
    /// It counts only where a rule names it: no match is no objection.
    Wrapper(SimpleCommand),
    /// Code that cannot be seen before it runs. Judged `settings.opaque`. Also: a redirection
    /// bash may turn into a network connection (`/dev/tcp/HOST/PORT`, `/dev/udp/…`; its `why`
    /// is `network::WHY`), and run-time text that bash evaluates as code (arithmetic, array
    /// subscripts, `${!x}`): neither can be judged by what it reaches before it runs.
    Opaque { text: String, why: String },
}

/// Everything found in one line.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Analysis {
    pub units: Vec<Unit>,
    /// Set when the line (or a script inside it) does not parse; judged `settings.on_parse_error`.
    pub parse_error: Option<String>,
}
