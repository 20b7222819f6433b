//! The option parser: reads a simple command with the knowledge of its program and gives its
//! [`Form`]. Short clusters (`-nA`), attached values (`-k2`, `-oFILE`, `--output=FILE`), `--`,
//! numbers (`head -5`), optional arguments (`--color=`), subcommands with global options before
//! them (`git -C dir --no-pager log`), directory options that move later relative paths, and
//! wrappers (`operands = ["command"]`: only the wrapper's own words are judged here).

use super::form::{Effect, Finding, Form, Known};
use super::languages::{self, Judged};
use super::{Kind, Knowledge, Operands, Program, Value};
use crate::policy::effects::Access;
use crate::shell::{Cwd, Piece, SimpleCommand, Word};
use std::path::Path;

/// What the parser needs to know about where gate runs.
pub(crate) struct Env<'a> {
    pub home: &'a str,
    /// The directory gate runs in: `Cwd::Start`.
    pub start: &'a Path,
}

impl Knowledge {
    /// The known form of `command`, whose program has the base name `base`; `None` when gate
    /// has no knowledge of the program.
    pub(crate) fn known_form(&self, base: &str, command: &SimpleCommand, env: &Env) -> Option<Form> {
        let spec = self.get(base)?;
        let mut parser = Parser {
            knowledge: self,
            env,
            words: &command.words,
            spec,
            known: Known {
                name: vec![base.to_string()],
                cwds: vec![command.cwd.clone()],
                ..Known::default()
            },
            pending: Vec::new(),
            replaced: None,
        };
        Some(match parser.run() {
            Ok(()) => Form::Known(parser.known),
            Err(Miss { word, why }) => Form::Unknown { word, why },
        })
    }
}

struct Parser<'k, 'c> {
    knowledge: &'k Knowledge,
    env: &'c Env<'c>,
    words: &'c [Word],
    spec: &'k Program,
    known: Known,
    /// Operands of the current spec so far: (position, the cwd they resolve against).
    pending: Vec<(usize, usize)>,
    /// An operand list given by an option (`sed -e`).
    replaced: Option<Operands>,
}

/// A word the knowledge does not account for, and why.
struct Miss {
    word: String,
    why: String,
}

fn miss(word: &str, why: impl Into<String>) -> Miss {
    Miss { word: word.to_string(), why: why.into() }
}

type Step = Result<(), Miss>;

impl<'k, 'c> Parser<'k, 'c> {
    fn run(&mut self) -> Step {
        let mut at = 1;
        let mut ended = false;
        // Where the words of the current spec start (past the last subcommand word).
        let mut start = 1;
        while at < self.words.len() {
            let word = &self.words[at];
            let prefix = leading_text(word);
            // `-` alone is an operand (standard input); `-$X` could be any option.
            let option = !ended && prefix.starts_with('-') && (prefix.len() > 1 || word.pieces.len() > 1);
            if !ended && word.as_literal().as_deref() == Some("--") {
                ended = true;
                at += 1;
                continue;
            }
            // `cargo +nightly`: a `+` option takes the rest of its word.
            if !ended
                && prefix.starts_with('+')
                && let Some(value) = self.spec.options.get("+")
            {
                let attached = strip_prefix(word, 1);
                self.value(value, "+", attached, word)?;
                at += 1;
                continue;
            }
            if option && self.spec.numbers && is_number(word) {
                at += 1;
                continue;
            }
            if option {
                // Not an option of the program: where a find expression may start, it does.
                if let Some(next) = self.option(at)? {
                    at = next;
                    continue;
                }
            }
            let rest = self.rest_kind();
            if option && rest != Some(Kind::Language(languages::Language::Find)) {
                return Err(miss(
                    &word.text,
                    format!("is not an option gate knows for `{}`", self.spec.name),
                ));
            }
            match rest {
                Some(Kind::Subcommand) => {
                    let Some(sub) = word.as_literal() else {
                        return Err(miss(&word.text, "is a subcommand only known at run time"));
                    };
                    let name = format!("{} {sub}", self.spec.name);
                    let Some(spec) = self.knowledge.get(&name) else {
                        return Err(miss(
                            &word.text,
                            format!("is not a `{}` subcommand gate knows", self.spec.name),
                        ));
                    };
                    self.known.removed.extend(start..at);
                    self.known.name.push(sub);
                    self.spec = spec;
                    self.replaced = None;
                    self.pending.clear();
                    start = at + 1;
                    ended = false;
                    at += 1;
                    continue;
                }
                Some(Kind::Command) => break,
                Some(Kind::Language(languages::Language::Find)) => {
                    let cwd = self.known.cwds.len() - 1;
                    self.known.operands.extend(at..self.words.len());
                    let judged =
                        languages::find::judge(&self.words[at..]).map_err(|(word, why)| miss(&word, why))?;
                    self.take(judged, cwd);
                    break;
                }
                _ => {
                    self.pending.push((at, self.known.cwds.len() - 1));
                    at += 1;
                }
            }
        }
        self.finish_operands()?;
        if self.spec.network {
            self.known.findings.push(Finding::network(&self.known.name.join(" ")));
        }
        Ok(())
    }

    /// The rest kind the next operand would be, if the operands so far lead to one.
    fn rest_kind(&self) -> Option<Kind> {
        let operands = self.replaced.as_ref().unwrap_or(&self.spec.operands);
        if operands.repeat.is_some() {
            return None;
        }
        operands.list.get(self.pending.len()).copied().filter(|kind| kind.takes_rest())
    }

    /// Reads the option at `at`; returns where the next word is, or `None` when it is not one of
    /// the program's options.
    fn option(&mut self, at: usize) -> Result<Option<usize>, Miss> {
        let word = &self.words[at];
        let prefix = leading_text(word);
        let literal = word.as_literal();
        let spec = self.spec;
        if let Some(long) = prefix.strip_prefix("--") {
            if let Some((name, _)) = long.split_once('=') {
                let name = format!("--{name}");
                let value = spec.options.get(&name).or_else(|| spec.options.get(&format!("{name}=")));
                return match value {
                    Some(value) => {
                        let attached = strip_prefix(word, name.len() + 1);
                        self.value(value, &name, attached, word)?;
                        Ok(Some(at + 1))
                    }
                    None if spec.flags.contains(&name) => {
                        Err(miss(&word.text, format!("gives a value to {name}, which takes none")))
                    }
                    None => Ok(None),
                };
            }
            if literal.is_none() {
                return Err(miss(&word.text, "is an option only known at run time"));
            }
            return self.whole(at, prefix);
        }
        // A single dash: the whole word (`-Wall`, `-isystem`), `-name=value`, or a cluster.
        if literal.is_some()
            && let Some(next) = self.whole(at, prefix)?
        {
            return Ok(Some(next));
        }
        if let Some((name, _)) = prefix.split_once('=') {
            let value = spec.options.get(name).or_else(|| spec.options.get(&format!("{name}=")));
            if let Some(value) = value.filter(|_| name.len() > 2) {
                let attached = strip_prefix(word, name.len() + 1);
                self.value(value, name, attached, word)?;
                return Ok(Some(at + 1));
            }
        }
        self.cluster(at)
    }

    /// The word as one option name: a flag, an option taking the next word, or an optional one.
    fn whole(&mut self, at: usize, name: &str) -> Result<Option<usize>, Miss> {
        let spec = self.spec;
        if spec.flags.iter().any(|flag| flag == name) || spec.options.contains_key(&format!("{name}=")) {
            return Ok(Some(at + 1));
        }
        let Some(value) = spec.options.get(name) else {
            return Ok(None);
        };
        if value.kind == Kind::Flag {
            self.switch(value);
            return Ok(Some(at + 1));
        }
        let Some(next) = self.words.get(at + 1) else {
            return Err(miss(name, "needs a value, and none follows"));
        };
        let owner = &self.words[at];
        self.value(value, name, next.clone(), owner)?;
        Ok(Some(at + 2))
    }

    /// `-abc`: letters that are flags, until one that takes a value takes the rest of the word.
    fn cluster(&mut self, at: usize) -> Result<Option<usize>, Miss> {
        let word = &self.words[at];
        let prefix = leading_text(word);
        let spec = self.spec;
        let letters: Vec<(usize, char)> = prefix.char_indices().skip(1).collect();
        for (offset, letter) in letters {
            let key = format!("-{letter}");
            if spec.flags.contains(&key) {
                continue;
            }
            let rest = strip_prefix(word, offset + letter.len_utf8());
            let empty = rest.pieces.iter().all(|piece| matches!(piece, Piece::Text(text) if text.is_empty()));
            if let Some(value) = spec.options.get(&key) {
                if value.kind == Kind::Flag {
                    self.switch(value);
                    continue;
                }
                if empty {
                    let Some(next) = self.words.get(at + 1) else {
                        return Err(miss(&word.text, format!("needs a value for {key}, and none follows")));
                    };
                    self.value(value, &key, next.clone(), word)?;
                    return Ok(Some(at + 2));
                }
                self.value(value, &key, rest, word)?;
                return Ok(Some(at + 1));
            }
            if let Some(value) = spec.options.get(&format!("{key}=")) {
                if !empty {
                    self.value(value, &key, rest, word)?;
                }
                return Ok(Some(at + 1));
            }
            return Ok(None);
        }
        if word.as_literal().is_none() {
            return Err(miss(&word.text, "holds options only known at run time"));
        }
        Ok(Some(at + 1))
    }

    /// A `flag` kind option: the operand list it gives.
    fn switch(&mut self, value: &Value) {
        if let Some(operands) = &value.operands {
            self.replaced = Some(operands.clone());
        }
    }

    /// An option's value: its effect, and the operand list it gives.
    fn value(&mut self, value: &Value, option: &str, word: Word, owner: &Word) -> Step {
        if value.kind == Kind::Flag {
            return Err(miss(&owner.text, format!("gives a value to {option}, which takes none")));
        }
        if let Some(globs) = &value.values {
            let fits = word.as_literal().is_some_and(|text| globs.iter().any(|glob| glob.matches(&text)));
            if !fits {
                return Err(miss(
                    &owner.text,
                    format!("gives {option} a value gate does not know for `{}`", self.spec.name),
                ));
            }
        }
        if let Some(operands) = &value.operands {
            self.replaced = Some(operands.clone());
        }
        let via = format!("option {option}");
        let cwd = self.known.cwds.len() - 1;
        self.apply(value.kind, word, cwd, &via, &owner.text)
    }

    /// What a word of this kind does.
    fn apply(&mut self, kind: Kind, word: Word, cwd: usize, via: &str, shown: &str) -> Step {
        match kind {
            Kind::Text | Kind::Flag | Kind::Subcommand | Kind::Command => {}
            Kind::Read => self.effect(Access::Read, word, cwd, via),
            Kind::Write => self.effect(Access::Write, word, cwd, via),
            Kind::Delete => self.effect(Access::Delete, word, cwd, via),
            Kind::Dir => {
                let moved = join(&self.known.cwds[cwd], &word);
                self.effect(Access::Read, word, cwd, via);
                self.known.cwds.push(moved);
            }
            Kind::Script => {
                let text = word
                    .as_literal()
                    .ok_or_else(|| miss(shown, "names a file of code only known at run time"))?;
                if text == "-" || text.starts_with("/dev/") || text.starts_with("/proc/") {
                    return Err(miss(shown, "runs code read from standard input or a descriptor"));
                }
                self.effect(Access::Read, word, cwd, via);
            }
            Kind::Url => self.known.findings.push(Finding::network(shown)),
            Kind::Code => self.known.findings.push(Finding::code(shown)),
            Kind::Language(language) => {
                let cwd_now = &self.known.cwds[cwd];
                let judged =
                    languages::judge(language, &word, cwd_now, self.env).map_err(|why| miss(shown, why))?;
                self.take(judged, cwd);
            }
        }
        Ok(())
    }

    fn effect(&mut self, access: Access, path: Word, cwd: usize, via: &str) {
        self.known.effects.push(Effect { access, path, cwd, via: via.to_string() });
    }

    fn take(&mut self, judged: Judged, cwd: usize) {
        for (access, path) in judged.effects {
            self.effect(access, path, cwd, "argument");
        }
        self.known.findings.extend(judged.findings);
    }

    /// Gives each operand its kind, now that their number is known.
    fn finish_operands(&mut self) -> Step {
        let operands = self.replaced.take().unwrap_or_else(|| self.spec.operands.clone());
        let pending = std::mem::take(&mut self.pending);
        self.known.appended =
            Some(operands.assign(pending.len() + 1).and_then(|kinds| kinds.last().copied()));
        let Some(kinds) = operands.assign(pending.len()) else {
            let extra = &self.words[pending[operands.list.len()].0];
            let takes = match operands.list.len() {
                0 => "no operands".to_string(),
                1 => "one operand".to_string(),
                n => format!("{n} operands"),
            };
            return Err(miss(&extra.text, format!("is an operand, and `{}` takes {takes}", self.spec.name)));
        };
        for ((at, cwd), kind) in pending.into_iter().zip(kinds) {
            let word = &self.words[at];
            // A glob (no expansion) written or removed stays a known form, judged by path: the
            // files it names are what `rm -rf build/*` is about. It never passes an allow.
            let kind = match kind {
                // Sources named by a glob (`cc src/*.c`) are files on disk, never standard input.
                Kind::Script if is_glob_only(word) && !leading_text(word).starts_with(['/', '-']) => {
                    Kind::Read
                }
                kind => kind,
            };
            if matches!(kind, Kind::Write | Kind::Delete) && is_glob_only(word) {
                self.known.findings.push(Finding::glob_written(&word.text));
            } else if word.is_dynamic()
                && matches!(kind, Kind::Write | Kind::Delete | Kind::Code | Kind::Dir | Kind::Script)
            {
                return Err(miss(
                    &word.text,
                    format!("is only known at run time, and is a {} operand", kind.name()),
                ));
            }
            if !word.is_dynamic() || is_substitution(word) {
                self.known.operands.push(at);
            }
            self.apply(kind, word.clone(), cwd, "argument", &word.text)?;
        }
        Ok(())
    }
}

/// A word that is a command's output (`$(git rev-parse HEAD)`, `"$(…)"..HEAD`), which ask and
/// deny rules take as the operand it stands in for. A variable (`$ARGS`) may hold options, and
/// is not taken so.
fn is_substitution(word: &Word) -> bool {
    let text = word.text.trim_start_matches('"');
    text.starts_with("$(") && !text.starts_with("$((") || text.starts_with('`')
}

/// A word whose only unknown parts are file-name globs (`*`, `?`, `[…]`): no expansion.
fn is_glob_only(word: &Word) -> bool {
    word.is_dynamic() && !word.pieces.iter().any(|piece| matches!(piece, Piece::Any))
}

/// The known text a word starts with.
fn leading_text(word: &Word) -> &str {
    match word.pieces.first() {
        Some(Piece::Text(text)) => text,
        _ => "",
    }
}

fn is_number(word: &Word) -> bool {
    word.as_literal().is_some_and(|text| {
        let digits = text.strip_prefix('-').unwrap_or(&text);
        !digits.is_empty() && digits.chars().all(|c| c.is_ascii_digit())
    })
}

/// The word without its first `bytes` bytes of leading text (`--output=FILE` → `FILE`). A `~`
/// that starts what is left is taken as home: the program may not expand it, but `name=~/x`
/// words are expanded by bash, and counting it as home is the careful reading.
pub(crate) fn strip_prefix(word: &Word, bytes: usize) -> Word {
    let mut pieces = word.pieces.clone();
    let text = word.text.get(bytes.min(word.text.len())..).unwrap_or("").to_string();
    if let Some(Piece::Text(first)) = pieces.first_mut() {
        first.drain(..bytes.min(first.len()));
        if let Some(rest) = first.strip_prefix('~').map(str::to_string)
            && (rest.is_empty() || rest.starts_with('/'))
        {
            pieces[0] = Piece::Text(rest);
            pieces.insert(0, Piece::Home);
        }
    }
    pieces.retain(|piece| !matches!(piece, Piece::Text(t) if t.is_empty()));
    if pieces.is_empty() {
        pieces.push(Piece::Text(String::new()));
    }
    Word { pieces, text }
}

/// The directory `dir` names, seen from `base`.
pub(crate) fn join(base: &Cwd, dir: &Word) -> Cwd {
    match dir.pieces.first() {
        Some(Piece::Home) => return Cwd::Known(dir.clone()),
        Some(Piece::Text(text)) if text.starts_with('/') => return Cwd::Known(dir.clone()),
        Some(Piece::Any) | None => return Cwd::Unknown,
        _ => {}
    }
    match base {
        Cwd::Start => Cwd::Known(dir.clone()),
        Cwd::Unknown => Cwd::Unknown,
        Cwd::Known(parent) => {
            let mut pieces = parent.pieces.clone();
            match pieces.last_mut() {
                Some(Piece::Text(text)) => {
                    if !text.ends_with('/') {
                        text.push('/');
                    }
                }
                _ => pieces.push(Piece::Text("/".into())),
            }
            for piece in &dir.pieces {
                match (pieces.last_mut(), piece) {
                    (Some(Piece::Text(last)), Piece::Text(text)) => last.push_str(text),
                    _ => pieces.push(piece.clone()),
                }
            }
            Cwd::Known(Word { pieces, text: format!("{}/{}", parent.text.trim_end_matches('/'), dir.text) })
        }
    }
}
