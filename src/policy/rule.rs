//! A compiled rule and how it matches one simple command.
//!
//! Allow narrowly, deny broadly: an `allow` rule matches only what is certain before the command
//! runs (exact words, the same program file); an `ask` or `deny` rule matches whatever the command
//! could turn out to be (base names, words computed at run time, options between the words).

use super::Decision;
use super::glob::Glob;
use super::paths::{path_forms, word_forms};
use super::resolve::Resolver;
use super::variables;
use crate::shell::{Piece, RedirectKind, SimpleCommand, Word};
use std::path::Path;

#[derive(Debug, serde::Serialize, serde::Deserialize)]
pub struct Rule {
    pub id: String,
    pub decision: Decision,
    pub reason: String,
    /// Alternatives from `match`; `None` applies to every program.
    pub patterns: Option<Vec<Pattern>>,
    pub flags: Option<Vec<String>>,
    pub args: Option<Vec<Glob>>,
    pub redirects: Option<Vec<Glob>>,
    pub env: Vec<(String, Glob)>,
    pub cwd: Option<Vec<Glob>>,
    /// `options = "any"`: for a program gate has no knowledge of, any later words are fine.
    pub options_any: bool,
}

/// One entry of `match`: a program and the words that must follow it.
#[derive(Debug, serde::Serialize, serde::Deserialize)]
pub struct Pattern {
    pub program: Glob,
    pub words: Vec<Glob>,
}

impl Pattern {
    /// The base name this pattern's program is indexed under, when it is not a glob.
    pub fn index_name(&self) -> Option<String> {
        self.program.literal().map(|name| base_name(name).to_string())
    }
}

/// What a rule is matched in: facts about the environment gate runs in.
pub struct Context<'a> {
    pub home: &'a str,
    pub cwd: &'a Path,
    pub env: &'a dyn Fn(&str) -> Option<String>,
    pub resolver: &'a Resolver,
    /// The git work tree around `cwd`, if any: with `cwd` itself, where writes are ordinary work.
    pub project: Option<&'a Path>,
    /// gate's own files, which no command may touch.
    pub own: &'a super::effects::OwnFiles,
}

impl Rule {
    /// Whether the rule holds for the command: every condition it has must hold.
    pub fn matches(&self, command: &SimpleCommand, context: &Context) -> bool {
        self.matches_with(command, context, Checks::ALL).is_some()
    }

    /// Like [`Rule::matches`], for an ask or deny rule, with the positions (in `words`) that the
    /// program's known form reads as operands: a word there known only at run time is taken as
    /// the operand it stands for, not as an option it could turn out to be.
    pub fn matches_form(&self, command: &SimpleCommand, context: &Context, operands: &[usize]) -> bool {
        self.matches_with(command, context, Checks { operands, ..Checks::ALL }).is_some()
    }

    /// Where an allow rule matches: the argument positions its `match` words used.
    pub fn matched_words(&self, command: &SimpleCommand, context: &Context) -> Option<Vec<usize>> {
        self.matches_with(command, context, Checks::ALL)
    }

    /// The variable given to the command that keeps this allow rule from matching, if only that
    /// does.
    pub fn matches_but_for_variable<'c>(
        &self,
        command: &'c SimpleCommand,
        context: &Context,
    ) -> Option<&'c str> {
        let unvouched = self.unvouched_variable(command, context)?;
        (self.decision == Decision::Allow
            && self.matches_with(command, context, Checks { variables: false, ..Checks::ALL }).is_some())
        .then_some(unvouched)
    }

    fn matches_with(&self, command: &SimpleCommand, context: &Context, checks: Checks) -> Option<Vec<usize>> {
        let certain = self.decision == Decision::Allow;
        if certain && checks.variables && self.unvouched_variable(command, context).is_some() {
            return None;
        }
        // Argument positions consumed by the `match` words; `args` looks at the others.
        let consumed = match &self.patterns {
            Some(patterns) => {
                // The program as written, worked out once for all the rule's patterns.
                let written = command.program().map(|program| literal_text(program, context.home));
                let written = written.as_ref().map(|text| text.as_deref());
                patterns.iter().find_map(|pattern| pattern.consume(command, written, certain, context))?
            }
            None => Vec::new(),
        };
        // Cheapest conditions first; each one that fails ends the match.
        let holds = self.env.iter().all(|(name, glob)| env_matches(command, name, glob, certain, context))
            && self.cwd.as_ref().is_none_or(|globs| {
                let cwd = context.cwd.to_string_lossy();
                globs.iter().any(|glob| glob.matches(&cwd))
            })
            && self.flags.as_ref().is_none_or(|flags| has_flag(command, flags, certain, checks.operands))
            && self.args.as_ref().is_none_or(|globs| args_hold(globs, command, &consumed, certain, context))
            && self.redirects.as_ref().is_none_or(|globs| {
                let mut targets = output_targets(command);
                if certain {
                    let mut targets = targets.peekable();
                    targets.peek().is_some()
                        && targets.all(|target| word_matches(target, globs, true, context))
                } else {
                    targets.any(|target| word_matches(target, globs, false, context))
                }
            });
        holds.then_some(consumed)
    }

    /// A variable given to the command that is neither harmless nor named by this rule's `env`:
    /// `GIT_PAGER=x git log` runs `x`, whatever `git log` does (see `variables`).
    fn unvouched_variable<'c>(&self, command: &'c SimpleCommand, context: &Context) -> Option<&'c str> {
        // A variable the shell set without exporting reaches the program only when gate's own
        // environment exports that name already (the assignment then changes its value).
        let shell_only = command.shell_only.min(command.assignments.len());
        let (unexported, given) = command.assignments.split_at(shell_only);
        let reaches = unexported.iter().filter(|(name, _)| (context.env)(name).is_some()).chain(given);
        reaches
            .map(|(name, _)| name.as_str())
            .find(|name| !variables::is_harmless(name) && !self.env.iter().any(|(named, _)| named == name))
    }
}

/// Which conditions `matches_with` checks beyond the rule's own.
#[derive(Clone, Copy)]
struct Checks<'a> {
    /// An allow rule must vouch for every variable given to the command.
    variables: bool,
    /// Positions in `words` known to be operands (see [`Rule::matches_form`]).
    operands: &'a [usize],
}

impl Checks<'_> {
    const ALL: Checks<'static> = Checks { variables: true, operands: &[] };
}

fn output_targets(command: &SimpleCommand) -> impl Iterator<Item = &Word> {
    redirect_targets(command, RedirectKind::Output)
}

fn redirect_targets(command: &SimpleCommand, kind: RedirectKind) -> impl Iterator<Item = &Word> {
    command.redirects.iter().filter(move |r| r.kind == kind).map(|r| &r.target)
}

/// `args`, over the arguments past the matched words and the files read through `<` (which
/// the program reads as surely as a file named as an argument). Ask and deny: any one matches,
/// and arguments appended at run time could. Allow: every one matches, options included, and
/// there is at least one, so that a rule for `cat src/**` passes neither `cat src/a
/// ~/.ssh/id_rsa` nor `cat < ~/.ssh/id_rsa`.
fn args_hold(
    globs: &[Glob],
    command: &SimpleCommand,
    consumed: &[usize],
    certain: bool,
    context: &Context,
) -> bool {
    let mut operands = command
        .args()
        .iter()
        .enumerate()
        .filter(|(at, _)| !consumed.contains(at))
        .map(|(_, word)| word)
        .chain(redirect_targets(command, RedirectKind::Input))
        .peekable();
    if !certain {
        return command.more_args || operands.any(|word| word_matches(word, globs, false, context));
    }
    !command.more_args
        && operands.peek().is_some()
        && operands.all(|word| word_matches(word, globs, true, context))
}

impl Pattern {
    /// Matches the program and the pattern's words; returns the argument positions they used.
    /// Certain: the words must be the arguments right after the program, exactly. Otherwise each
    /// word may be found later, past options (and one value after each option), as in
    /// `git -C repo push` for `git push`.
    /// `written` is the program's literal text: `None` with no program, `Some(None)` when it is
    /// known only at run time.
    fn consume(
        &self,
        command: &SimpleCommand,
        written: Option<Option<&str>>,
        certain: bool,
        context: &Context,
    ) -> Option<Vec<usize>> {
        if !self.program_matches(command, written?, certain, context) {
            return None;
        }
        let args = command.args();
        if certain {
            let exact =
                self.words.len() <= args.len()
                    && self.words.iter().zip(args).all(|(glob, word)| {
                        literal_text(word, context.home).is_some_and(|t| glob.matches(&t))
                    });
            return exact.then(|| (0..self.words.len()).collect());
        }
        let mut used = Vec::new();
        loose_words(&self.words, args, 0, command.more_args, context, &mut used).then_some(used)
    }

    fn program_matches(
        &self,
        command: &SimpleCommand,
        written: Option<&str>,
        certain: bool,
        context: &Context,
    ) -> bool {
        let Some(written) = written else {
            // A computed program name is opaque to the walk; still, it could be anything.
            return !certain;
        };
        if !certain {
            return self.program.matches(base_name(written)) || self.program.matches(written);
        }
        let rule_is_path = self.program.text.contains('/');
        let path_assigned = command.assignments.iter().any(|(name, _)| name == "PATH");
        if !written.contains('/') && !rule_is_path && !path_assigned {
            return self.program.matches(written);
        }
        // Compare files: the rule names the program its name resolves to on gate's PATH, and
        // `./ls` or `PATH=/tmp ls` run some other file.
        let expected = match self.program.literal() {
            Some(literal) => literal,
            None if self.program.matches(base_name(written)) => base_name(written),
            None => return false,
        };
        context.resolver.runs_as(written, command, expected, context.home, context.cwd)
    }
}

/// Finds `words` in order in `args[from..]`, skipping only options and the value after one.
fn loose_words(
    words: &[Glob],
    args: &[Word],
    from: usize,
    more_args: bool,
    context: &Context,
    used: &mut Vec<usize>,
) -> bool {
    let Some((glob, rest)) = words.split_first() else {
        return true;
    };
    let mut after_option = false;
    for at in from..args.len() {
        if glob.could_match(&args[at], context.home) {
            used.push(at);
            if loose_words(rest, args, at + 1, more_args, context, used) {
                return true;
            }
            used.pop();
        }
        let option = could_be_option(&args[at]);
        if !option && !after_option {
            return false;
        }
        after_option = option && !args[at].text.contains('=');
    }
    // Arguments supplied at run time could be the missing words.
    more_args
}

fn could_be_option(word: &Word) -> bool {
    match word.pieces.first() {
        Some(Piece::Text(text)) => text.starts_with('-') && text != "--",
        Some(Piece::Any | Piece::Star | Piece::AnyChar) => true,
        _ => false,
    }
}

/// Whether any listed flag is present. `-rf` holds `-r` and `-f`; `--force=x` holds `--force`;
/// nothing after `--` is a flag. A word computed at run time could be any flag. For ask and deny,
/// `--rec` and `--rec=x` also hold `--recursive`: getopt_long and git take any unambiguous
/// prefix of a long option, and which prefixes are unambiguous depends on options gate does not
/// know, so every prefix counts. Allow rules take a flag only as written.
fn has_flag(command: &SimpleCommand, flags: &[String], certain: bool, operands: &[usize]) -> bool {
    // Long option names without `--` or value; single-dash words whole; single-dash letters.
    let mut long = Vec::new();
    let mut dashed = Vec::new();
    let mut short = Vec::new();
    let mut unknown = !certain && command.more_args;
    for (at, word) in command.args().iter().enumerate() {
        let Some(text) = word.as_literal() else {
            unknown |= !certain && could_be_option(word) && !operands.contains(&(at + 1));
            continue;
        };
        if text == "--" {
            break;
        }
        if let Some(name) = text.strip_prefix("--") {
            long.push(name.split('=').next().unwrap_or(name).to_string());
        } else if let Some(letters) = text.strip_prefix('-') {
            short.extend(letters.chars());
            dashed.push(text);
        }
    }
    unknown
        || flags.iter().any(|flag| match flag.strip_prefix("--") {
            Some(name) => long.iter().any(|given| {
                given == name || (!certain && !given.is_empty() && name.starts_with(given.as_str()))
            }),
            None if dashed.contains(flag) => true,
            None => flag.chars().skip(1).all(|letter| short.contains(&letter)),
        })
}

/// Whether the word matches one of the globs: known text as written, normalised, and resolved
/// against the working directory; text known only at run time when it could match (not certain),
/// also once normalised (`//*`, `/tmp/../*` are `/*`).
fn word_matches(word: &Word, globs: &[Glob], certain: bool, context: &Context) -> bool {
    let found = match literal_text(word, context.home) {
        Some(text) => {
            path_forms(&text, context.cwd).iter().any(|form| globs.iter().any(|glob| glob.matches(form)))
        }
        None if certain => return false,
        None => word_forms(word, context.home, context.cwd)
            .iter()
            .any(|form| globs.iter().any(|glob| glob.could_match(form, context.home))),
    };
    // An option's value names a file as much as a word does: `--output=~/.bashrc`, `of=/dev/sda`.
    found || (!certain && option_value(word).is_some_and(|value| word_matches(&value, globs, false, context)))
}

/// The value of `--name=value`, `-n=value` or `name=value`, with a leading `~` taken as home
/// (bash expands it after `name=`; for an option, the program might).
pub(super) fn option_value(word: &Word) -> Option<Word> {
    let Some(Piece::Text(first)) = word.pieces.first() else {
        return None;
    };
    let (name, value) = first.split_once('=')?;
    let identifier = !name.is_empty()
        && !name.starts_with(|c: char| c.is_ascii_digit())
        && name.chars().all(|c| c.is_ascii_alphanumeric() || c == '_');
    let option = name.len() > 1 && name.starts_with('-');
    if !identifier && !option {
        return None;
    }
    let mut pieces = match value.strip_prefix('~') {
        Some(rest) if rest.is_empty() || rest.starts_with('/') => vec![Piece::Home, Piece::Text(rest.into())],
        _ => vec![Piece::Text(value.into())],
    };
    pieces.retain(|piece| *piece != Piece::Text(String::new()));
    pieces.extend(word.pieces[1..].iter().cloned());
    (!pieces.is_empty()).then(|| Word { pieces, text: word.text.clone() })
}

fn env_matches(command: &SimpleCommand, name: &str, glob: &Glob, certain: bool, context: &Context) -> bool {
    match command.assignments.iter().rev().find(|(assigned, _)| assigned == name) {
        Some((_, value)) => word_matches(value, std::slice::from_ref(glob), certain, context),
        None => (context.env)(name).is_some_and(|value| glob.matches(&value)),
    }
}

/// The text of a word known before it runs, with `~` resolved.
pub(super) fn literal_text<'a>(word: &'a Word, home: &str) -> Option<std::borrow::Cow<'a, str>> {
    if let [Piece::Text(text)] = word.pieces.as_slice() {
        return Some(std::borrow::Cow::Borrowed(text));
    }
    let mut out = String::new();
    for piece in &word.pieces {
        match piece {
            Piece::Text(text) => out.push_str(text),
            Piece::Home => out.push_str(home),
            Piece::Any | Piece::Star | Piece::AnyChar => return None,
        }
    }
    Some(std::borrow::Cow::Owned(out))
}

pub(super) fn base_name(path: &str) -> &str {
    path.trim_end_matches('/').rsplit('/').next().filter(|name| !name.is_empty()).unwrap_or(path)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn base_names() {
        for (input, expected) in [("rm", "rm"), ("/bin/rm", "rm"), ("./x/", "x"), ("/", "/")] {
            assert_eq!(base_name(input), expected);
        }
    }
}
