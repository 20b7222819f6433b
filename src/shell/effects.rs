//! Builtins that change the shell for the commands after them: they set variables (`export`,
//! `declare`, `read`, `printf -v`, `unset`…), move the working directory, or change what later
//! words mean (aliases). A variable named only at run time, a name reference, or a value that
//! holds code bash may later run makes the command opaque.

use super::arith;
use super::optscan::{self, OptSpec};
use super::state::{arithmetic_assigns, holds_code};
use super::types::Word;
use super::wrappers::{spec, split_assignment};

/// What a command run in the current shell leaves behind.
#[derive(Debug, Default)]
pub(crate) struct Effect {
    /// Variables set, with their value (unknown when not known before run time).
    pub(crate) set: Vec<(String, Word)>,
    pub(crate) moves_cwd: bool,
    /// Variables exported: commands get them in their environment from now on.
    pub(crate) exports: Vec<String>,
    /// `set -a`: every variable set from now on is exported.
    pub(crate) exports_all: bool,
    /// Why the later lines cannot be taken as written.
    pub(crate) opaque: Option<String>,
}

const STORES_CODE: &str = "stores shell code in a variable; bash may run it later";

impl Effect {
    fn opaque(why: impl Into<String>) -> Effect {
        Effect { opaque: Some(why.into()), ..Effect::default() }
    }

    fn unknown(&mut self, name: &str) {
        self.set.push((name.to_owned(), Word::unknown(format!("${name}"))));
    }

    /// Sets each name in `words`: a run-time name could be any variable (`read "$n"`).
    fn names(mut self, words: &[Word]) -> Effect {
        for word in words {
            match word.as_literal() {
                Some(name) => self.unknown(&name),
                None => return Effect::opaque(format!("sets a variable named {} at run time", word.text)),
            }
        }
        self
    }
}

/// The effect of `words` (program `name`, a base name) on the shell; `None` for the commands that
/// have none, which are nearly all. `stdin` is the here-document or here-string it reads, if any.
pub(crate) fn effect(name: &str, words: &[Word], stdin: Option<&Word>) -> Option<Effect> {
    let args = words.get(1..).unwrap_or(&[]);
    let effect = match name {
        "export" | "declare" | "typeset" | "local" | "readonly" => declare(args, name == "export"),
        "printf" => printf(args)?,
        "read" => with_stdin(stdin, read(words)),
        "mapfile" | "readarray" => with_stdin(stdin, mapfile(words)),
        "getopts" => Effect::default().names(&args[1.min(args.len())..2.min(args.len())]),
        "unset" => unset(args),
        "let" => {
            let mut effect = Effect::default();
            for text in args.iter().map(|arg| &arg.text) {
                arithmetic_assigns(text)
                    .for_each(|name| effect.set.push((name.to_owned(), arith::number(name))));
            }
            effect
        }
        "cd" | "pushd" | "popd" => Effect { moves_cwd: true, ..Effect::default() },
        "set" if exports_all(args) => Effect { exports_all: true, ..Effect::default() },
        "test" | "[" => test(args)?,
        "alias" if args.iter().any(|w| w.text.contains('=') || w.is_dynamic()) => {
            Effect::opaque("defines an alias: later words may not mean what they say")
        }
        "shopt" if shopt_sets(args, "expand_aliases") => {
            Effect::opaque("turns on alias expansion: later words may not mean what they say")
        }
        // gate judges an unquoted `*` as bash matches it by default: never a name that starts
        // with a dot. These options change that (and nocaseglob which names a glob matches).
        "shopt" if ["dotglob", "nocaseglob", "globasciiranges"].iter().any(|name| shopt_sets(args, name)) => {
            Effect::opaque("changes which file names a glob matches: later globs may reach hidden files")
        }
        _ => return None,
    };
    Some(effect)
}

/// `set -a` (alone or in a cluster, before any operand) or `set -o allexport`; a run-time word
/// might be either.
fn exports_all(args: &[Word]) -> bool {
    let mut words = args.iter();
    while let Some(word) = words.next() {
        let Some(text) = word.as_literal() else { return true };
        match text.as_str() {
            "-o" => match words.next().map(Word::as_literal) {
                Some(Some(option)) if option != "allexport" => {}
                _ => return true,
            },
            "--" => return false,
            flags if flags.starts_with('-') && flags.contains('a') => return true,
            flags if flags.starts_with(['-', '+']) => {}
            _ => return false,
        }
    }
    false
}

/// A value read from a here-document or here-string is stored like any other.
fn with_stdin(stdin: Option<&Word>, effect: Effect) -> Effect {
    match stdin {
        Some(doc) if holds_code(doc) => Effect::opaque(STORES_CODE),
        _ => effect,
    }
}

/// `declare [-options] NAME[=VALUE]..` and its relatives.
fn declare(args: &[Word], mut exporting: bool) -> Effect {
    let mut effect = Effect::default();
    // Case, integer and array attributes change every later value; gate does not follow them.
    let mut transforms = false;
    let mut functions = false;
    // An integer variable only ever holds a number (its values are checked where they are set).
    let mut integer = false;
    for word in args {
        if holds_code(word) {
            return Effect::opaque(STORES_CODE);
        }
        let literal = word.as_literal();
        if let Some(flags) = literal.as_deref().filter(|t| t.starts_with(['-', '+']) && !t.contains('=')) {
            if flags.starts_with('-') && flags.contains('n') {
                return Effect::opaque("a name reference makes assignments to one name set another");
            }
            transforms |= flags.contains(['l', 'u', 'c', 'a', 'A']);
            integer |= flags.starts_with('-') && flags.contains('i');
            functions |= flags.contains(['f', 'F']);
            exporting |= flags.starts_with('-') && flags.contains('x');
            continue;
        }
        if functions {
            continue;
        }
        let name = split_assignment(word).map(|(name, _)| name).or_else(|| literal.clone());
        if let Some(name) = name.filter(|_| exporting) {
            effect.exports.push(name);
        }
        match split_assignment(word) {
            Some((name, _)) if transforms => effect.unknown(&name),
            Some((name, _)) if integer => effect.set.push((name.clone(), arith::number(&name))),
            Some(pair) => effect.set.push(pair),
            None => match literal {
                Some(name) if transforms => effect.unknown(&name),
                Some(name) if integer => effect.set.push((name.clone(), arith::number(&name))),
                Some(_) => {}
                None => return Effect::opaque(format!("sets a variable named {} at run time", word.text)),
            },
        }
    }
    effect
}

/// `printf -v NAME FORMAT ARGS..` stores its output in NAME.
fn printf(args: &[Word]) -> Option<Effect> {
    let mut name = None;
    let mut i = 0;
    while let Some(text) = args.get(i).and_then(Word::as_literal) {
        match text.as_str() {
            "--" => break,
            "-v" => {
                name = args.get(i + 1).cloned();
                i += 2;
            }
            t if t.starts_with("-v") => {
                name = Some(Word::literal(&t[2..]));
                i += 1;
            }
            t if t.starts_with('-') => i += 1,
            _ => break,
        }
    }
    let name = name?;
    if args.iter().any(holds_code) {
        return Some(Effect::opaque(STORES_CODE));
    }
    Some(Effect::default().names(std::slice::from_ref(&name)))
}

const READ: OptSpec = spec("ers", "adinNptu");

/// `read [-a ARRAY] NAME..`: REPLY when no name is given.
fn read(words: &[Word]) -> Effect {
    let scan = match storing_scan(words, &READ) {
        Ok(scan) => scan,
        Err(effect) => return effect,
    };
    let mut names: Vec<Word> = scan.value(&["a"]).cloned().into_iter().collect();
    names.extend_from_slice(&words[scan.next..]);
    if names.is_empty() {
        names.push(Word::literal("REPLY"));
    }
    Effect::default().names(&names)
}

const MAPFILE: OptSpec = spec("t", "dnOsuCc");

/// `mapfile [options] [ARRAY]`: MAPFILE when no name is given.
fn mapfile(words: &[Word]) -> Effect {
    let scan = match storing_scan(words, &MAPFILE) {
        Ok(scan) => scan,
        Err(effect) => return effect,
    };
    match words.get(scan.next) {
        Some(name) => Effect::default().names(std::slice::from_ref(name)),
        None => Effect::default().names(&[Word::literal("MAPFILE")]),
    }
}

/// The options of a builtin that stores what it reads (`words[0]` is the builtin), or the
/// opaque effect when its words hold code or its options cannot be read.
fn storing_scan(words: &[Word], spec: &OptSpec) -> Result<optscan::Scan, Effect> {
    if words.iter().skip(1).any(holds_code) {
        return Err(Effect::opaque(STORES_CODE));
    }
    optscan::scan(words, 1, spec).map_err(Effect::opaque)
}

/// `unset [-v|-n] NAME..` (functions, `-f`, are not variables).
fn unset(args: &[Word]) -> Effect {
    if args.iter().any(holds_code) {
        return Effect::opaque("an array subscript that holds code runs it");
    }
    let options = args.iter().take_while(|w| w.as_literal().is_some_and(|t| t.starts_with('-')));
    if options.clone().any(|w| w.text.contains('f')) {
        return Effect::default();
    }
    let count = options.count();
    Effect::default().names(&args[count..])
}

/// `test -v NAME`, `[ -R NAME ]`: bash evaluates the subscript of NAME, running what it holds.
fn test(args: &[Word]) -> Option<Effect> {
    let names_code = args
        .windows(2)
        .any(|pair| matches!(pair[0].as_literal().as_deref(), Some("-v" | "-R")) && holds_code(&pair[1]));
    names_code.then(|| Effect::opaque("an array subscript that holds code runs it"))
}

/// `shopt -s .. NAME ..`, or an option only known at run time.
fn shopt_sets(args: &[Word], name: &str) -> bool {
    let sets = args.iter().any(|w| w.as_literal().is_none_or(|t| t.starts_with('-') && t.contains('s')));
    sets && args.iter().any(|w| w.as_literal().is_none_or(|t| t == name))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn words(line: &str) -> Vec<Word> {
        line.split(' ').map(Word::literal).collect()
    }

    fn names(line: &str) -> Option<Vec<String>> {
        let words = words(line);
        let name = words[0].as_literal().unwrap();
        let effect = effect(&name, &words, None)?;
        Some(match effect.opaque {
            Some(_) => vec!["OPAQUE".to_owned()],
            None => effect.set.into_iter().map(|(n, v)| format!("{n}={}", v.text)).collect(),
        })
    }

    #[test]
    fn what_builtins_set() {
        let cases: &[(&str, Option<&[&str]>)] = &[
            ("ls -l", None),
            ("export PATH=/x", Some(&["PATH=/x"])),
            ("export PATH", Some(&[])),
            ("declare -l PATH", Some(&["PATH=$PATH"])),
            ("declare -n r=PATH", Some(&["OPAQUE"])),
            ("export -f f", Some(&[])),
            ("printf -v PATH %s /x", Some(&["PATH=$PATH"])),
            ("printf -vPATH /x", Some(&["PATH=$PATH"])),
            ("printf %s x", None),
            ("read -r -p prompt A B", Some(&["A=$A", "B=$B"])),
            ("read -a ARR", Some(&["ARR=$ARR"])),
            ("read", Some(&["REPLY=$REPLY"])),
            ("mapfile -t L", Some(&["L=$L"])),
            ("getopts ab OPT", Some(&["OPT=$OPT"])),
            ("unset PATH", Some(&["PATH=$PATH"])),
            ("unset -f ls", Some(&[])),
            ("let PATH=5", Some(&["PATH=$((PATH))"])),
            ("alias ls=find", Some(&["OPAQUE"])),
            ("alias ls", None),
            ("shopt -s expand_aliases", Some(&["OPAQUE"])),
            ("shopt -s nullglob", None),
            ("shopt -s dotglob", Some(&["OPAQUE"])),
            ("shopt -s extglob dotglob", Some(&["OPAQUE"])),
            ("shopt -u dotglob", None),
            ("shopt -u expand_aliases", None),
            ("test -v a[$(id)]", Some(&["OPAQUE"])),
            ("test -f a[$(id)]", None),
        ];
        for (line, want) in cases {
            let want = want.map(|w| w.iter().map(|s| s.to_string()).collect::<Vec<_>>());
            assert_eq!(names(line), want, "{line}");
        }
    }
}
