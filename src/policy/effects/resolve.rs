//! Resolution: the word a command names a path with becomes the absolute forms it is judged by.
//!
//! `~` is the home directory; a relative word is joined to the directory the command runs in;
//! `.`, `..` and `//` are taken lexically; `/proc/*/root/X` is `/X`, `/proc/self/cwd/X` is under
//! the command's directory; `/dev/fd/N`, `/proc/self/fd/N` and `/dev/stdin|stdout|stderr` are the
//! command's own descriptors, not files. A path known before the command runs is also seen
//! through the symbolic links that exist on disk now. A word with parts known only at run time
//! keeps them as wildcards, and one more form says where it could go if such a part held `..`.

use super::PathEffect;
use crate::policy::Context;
use crate::policy::paths::{components, could_be_dot_dot, flatten, push_text};
use crate::shell::{Cwd, Piece, Word};
use std::path::{Path, PathBuf};
use std::sync::OnceLock;

/// How a form was reached from the word: judged alike, told apart in messages.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Seen {
    /// The word as written, resolved lexically.
    Written,
    /// Through the symbolic links on disk.
    Real,
    /// Only if a part known at run time held `..`: it could climb out of where it seems to be.
    Escaped,
}

/// One absolute form of a path: it starts with `/`, or with an unknown part (it could be
/// anywhere). Home is spelled out; no `.`, `..` or `//` is left.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct Form {
    pub pieces: Vec<Piece>,
    pub seen: Seen,
}

impl Form {
    /// The text, when every part is known.
    pub fn literal(&self) -> Option<&str> {
        match self.pieces.as_slice() {
            [Piece::Text(text)] => Some(text),
            _ => None,
        }
    }

    /// Whether some part is known only at run time and could hold `/` (not a file-name glob).
    pub fn has_unknown(&self) -> bool {
        self.pieces.contains(&Piece::Any)
    }
}

/// Every form of the effect's path; empty when it names no file (a descriptor of the command's
/// own). The first form is the written one.
pub(crate) fn resolve(effect: &PathEffect, context: &Context) -> Vec<Form> {
    let cwd = command_cwd(effect.cwd, context);
    // A variable the line itself set to a value known before it runs is that value, for sure.
    let set_by_line = line_values(&effect.path.text, &effect.path.pieces, effect.vars);
    let pieces = set_by_line.as_deref().unwrap_or(&effect.path.pieces);
    let mut forms = forms_of(pieces, &cwd, context);
    if forms.is_empty() {
        return forms;
    }
    // `"$HOME/.bashrc"`, `/proc/self/root$HOME/x`, `"$GATE_DB"-wal`: the value a variable has
    // now is the one it most likely has then (the line could change it: the forms with the
    // unknown part stay).
    if let Some(pieces) = substitute(&effect.path.text, &effect.path.pieces, context) {
        for form in forms_of(&pieces, &cwd, context) {
            if !forms.iter().any(|known| known.pieces == form.pieces) {
                forms.push(form);
            }
        }
    }
    forms
}

/// The pieces with every unknown part replaced by the value the line gave that variable, when
/// each is a plain `$NAME` with a value known before the command runs, holding no blank (so that
/// word splitting cannot make it several words). `None` otherwise.
fn line_values(text: &str, pieces: &[Piece], vars: &[(String, Word)]) -> Option<Vec<Piece>> {
    let unknown = pieces.iter().filter(|piece| **piece == Piece::Any).count();
    if unknown == 0 || vars.is_empty() {
        return None;
    }
    let names = expansions(text)?;
    if names.len() != unknown {
        return None;
    }
    let mut names = names.into_iter();
    let mut out = Vec::with_capacity(pieces.len());
    for piece in pieces {
        if *piece != Piece::Any {
            out.push(piece.clone());
            continue;
        }
        let name = names.next().expect("counted")?;
        // The last assignment of a name is the one in force.
        let (_, value) = vars.iter().rev().find(|(set, _)| *set == name)?;
        let blank = |text: &str| text.contains([' ', '\t', '\n']);
        let usable = value.pieces.iter().all(|piece| match piece {
            Piece::Text(text) => !blank(text.as_str()),
            Piece::Any => false,
            Piece::Home | Piece::Star | Piece::AnyChar => true,
        });
        if !usable {
            return None;
        }
        for piece in &value.pieces {
            match piece {
                Piece::Text(text) => push_text(&mut out, text.as_str()),
                other => out.push(other.clone()),
            }
        }
    }
    Some(out)
}

/// The pieces with each unknown part that is a plain variable (`$NAME`, `${NAME}`) replaced by
/// its value in gate's own environment (`HOME`: the home directory gate uses). `None` when no
/// variable has a value, or when the expansions of the text cannot be paired with the unknown
/// parts one to one.
fn substitute(text: &str, pieces: &[Piece], context: &Context) -> Option<Vec<Piece>> {
    let unknown = pieces.iter().filter(|piece| **piece == Piece::Any).count();
    if unknown == 0 {
        return None;
    }
    let names = expansions(text)?;
    if names.len() != unknown {
        return None;
    }
    let mut names = names.into_iter();
    let mut any = false;
    let mut out = Vec::with_capacity(pieces.len());
    for piece in pieces {
        if *piece != Piece::Any {
            out.push(piece.clone());
            continue;
        }
        let name = names.next().expect("counted");
        let value = match name.as_deref() {
            Some("HOME") => Some(context.home.to_string()),
            Some(name) => (context.env)(name),
            None => None,
        };
        match value {
            Some(value) => {
                any = true;
                push_text(&mut out, &value);
            }
            None => out.push(Piece::Any),
        }
    }
    any.then_some(out)
}

/// The expansions of a word's source text, in order: `Some(NAME)` for a plain variable, `None`
/// for any other (`$1`, `$@`). `None` overall for text this reading cannot follow (`$(…)`,
/// `${X:-y}`, backquotes).
fn expansions(text: &str) -> Option<Vec<Option<String>>> {
    let mut found = Vec::new();
    let mut chars = text.chars().peekable();
    let (mut single, mut double) = (false, false);
    while let Some(c) = chars.next() {
        match c {
            '\\' if !single => {
                chars.next();
            }
            '\'' if !double => single = !single,
            '"' if !single => double = !double,
            '`' if !single => return None,
            '$' if !single => {
                let braced = chars.peek() == Some(&'{');
                if braced {
                    chars.next();
                }
                let mut name = String::new();
                while let Some(&next) = chars.peek() {
                    let fits = next.is_ascii_alphanumeric() || next == '_';
                    if !fits || (name.is_empty() && next.is_ascii_digit()) {
                        break;
                    }
                    name.push(next);
                    chars.next();
                }
                if !name.is_empty() && (!braced || chars.peek() == Some(&'}')) {
                    if braced {
                        chars.next();
                    }
                    found.push(Some(name));
                } else if braced || !name.is_empty() || chars.peek().is_some_and(|c| "([".contains(*c)) {
                    return None;
                } else if chars.peek().is_some_and(|c| "@*#?$!-0123456789".contains(*c)) {
                    chars.next();
                    found.push(None);
                }
            }
            _ => {}
        }
    }
    Some(found)
}

/// The forms of a word's pieces: written (and with a glob taken as `..` where one could be),
/// escaped, and real.
fn forms_of(pieces: &[Piece], cwd: &[Piece], context: &Context) -> Vec<Form> {
    let mut word = flatten(pieces, context.home);
    if is_relative(&word) {
        let mut joined = cwd.to_vec();
        push_text(&mut joined, "/");
        joined.extend(word);
        word = flatten(&joined, context.home);
    }
    let cwd_parts = match walk(cwd, false, None) {
        Walked::Path { parts, absolute } => Some((parts, absolute)),
        Walked::NotAFile => None,
    };
    let mut forms: Vec<Form> = Vec::new();
    let add = |pieces: Vec<Piece>, seen: Seen, forms: &mut Vec<Form>| {
        if !forms.iter().any(|form| form.pieces == pieces) {
            forms.push(Form { pieces, seen });
        }
    };
    let dot_dot = components(&word).iter().any(|part| part_text(part).is_none() && could_be_dot_dot(part));
    for climb in [false, true].into_iter().take(if dot_dot { 2 } else { 1 }) {
        match walk(&word, climb, cwd_parts.as_ref()) {
            Walked::NotAFile if !climb => return Vec::new(),
            Walked::NotAFile => {}
            Walked::Path { parts, absolute } => add(join(&parts, absolute), Seen::Written, &mut forms),
        }
    }
    let written = forms[0].clone();
    if let Some(last) = written.pieces.iter().rposition(|piece| *piece == Piece::Any)
        && last > 0
    {
        let mut escaped = vec![Piece::Any];
        escaped.extend(written.pieces[last + 1..].iter().cloned());
        add(escaped, Seen::Escaped, &mut forms);
    }
    if let Some(text) = written.literal() {
        // The word before lexical resolution too: `link/..` climbs from where the link points.
        let raw = match word.as_slice() {
            [Piece::Text(raw)] if raw.split('/').any(|part| part == "..") => Some(raw.clone()),
            _ => None,
        };
        for path in std::iter::once(text.to_string()).chain(raw) {
            if let Some(real) = real_path(Path::new(&path)) {
                let real = real.to_string_lossy().into_owned();
                if let Some(at_home) = under_real_home(&real, context.home) {
                    add(vec![Piece::Text(at_home)], Seen::Real, &mut forms);
                }
                add(vec![Piece::Text(real)], Seen::Real, &mut forms);
            }
        }
        // The home directory may itself be a link (`/home` → `/data/home`): the patterns
        // name it as `~` says.
        if let Some(at_home) = under_real_home(text, context.home) {
            add(vec![Piece::Text(at_home)], Seen::Real, &mut forms);
        }
    }
    forms
}

/// The directory the command runs in, as pieces: absolute, or starting with an unknown part.
fn command_cwd(cwd: &Cwd, context: &Context) -> Vec<Piece> {
    let start = vec![Piece::Text(context.cwd.to_string_lossy().into_owned())];
    match cwd {
        Cwd::Start => start,
        Cwd::Unknown => vec![Piece::Any],
        Cwd::Known(word) => {
            let pieces = flatten(&word.pieces, context.home);
            if is_relative(&pieces) {
                let mut joined = start;
                push_text(&mut joined, "/");
                joined.extend(pieces);
                flatten(&joined, context.home)
            } else {
                pieces
            }
        }
    }
}

/// A word names something under the working directory unless it starts with `/` (or `~`,
/// already spelled out); one starting with an expansion could be either, and is left as it is.
fn is_relative(pieces: &[Piece]) -> bool {
    match pieces.first() {
        Some(Piece::Text(text)) => !text.starts_with('/'),
        Some(Piece::Home | Piece::Any) => false,
        Some(Piece::Star | Piece::AnyChar) | None => true,
    }
}

enum Walked {
    NotAFile,
    Path { parts: Vec<Vec<Piece>>, absolute: bool },
}

/// Resolves `.`, `..` and the links of `/proc` component by component. `climb`: a glob
/// component that could be `..` (`.*` before bash 5.2) is taken as `..`. `cwd`: the command's
/// directory, for `/proc/self/cwd`.
fn walk(pieces: &[Piece], climb: bool, cwd: Option<&(Vec<Vec<Piece>>, bool)>) -> Walked {
    let mut absolute = matches!(pieces.first(), Some(Piece::Text(text)) if text.starts_with('/'));
    let mut parts: Vec<Vec<Piece>> = Vec::new();
    for part in components(pieces) {
        let up = match part_text(&part) {
            Some("" | ".") => continue,
            Some("..") => true,
            Some(_) => false,
            None => climb && could_be_dot_dot(&part),
        };
        if up {
            match parts.last() {
                Some(last) if part_text(last) == Some("..") => parts.push(vec![Piece::Text("..".into())]),
                // `$D/..` could be anywhere: `$D` may itself be `a/b`.
                Some(last) if last.contains(&Piece::Any) => {
                    parts = vec![vec![Piece::Any]];
                    absolute = false;
                }
                Some(_) => {
                    parts.pop();
                }
                None if absolute => {}
                None => parts.push(vec![Piece::Text("..".into())]),
            }
            continue;
        }
        // A descriptor that is a directory: what is under it could be anywhere.
        if absolute && own_descriptor(&parts) {
            parts = vec![vec![Piece::Any]];
            absolute = false;
        }
        parts.push(part);
        if absolute {
            proc_link(&mut parts, &mut absolute, cwd);
        }
    }
    if absolute && (own_descriptor(&parts) || standard_stream(&parts)) {
        return Walked::NotAFile;
    }
    Walked::Path { parts, absolute }
}

/// `/proc/P/root` (and `/proc/P/task/T/root`) is that process's root: `/`. `/proc/self/cwd` is
/// the command's directory; another process's is anywhere.
fn proc_link(parts: &mut Vec<Vec<Piece>>, absolute: &mut bool, cwd: Option<&(Vec<Vec<Piece>>, bool)>) {
    let names: Vec<Option<&str>> = parts.iter().map(|part| part_text(part)).collect();
    let (pid, link) = match names.as_slice() {
        [Some("proc"), pid, Some(link)] | [Some("proc"), pid, Some("task"), _, Some(link)] => (*pid, *link),
        _ => return,
    };
    match (link, pid, cwd) {
        ("root", _, _) => parts.clear(),
        ("cwd", Some("self" | "thread-self"), Some((cwd, cwd_absolute))) => {
            *parts = cwd.clone();
            *absolute = *cwd_absolute;
        }
        ("cwd", _, _) => {
            *parts = vec![vec![Piece::Any]];
            *absolute = false;
        }
        _ => {}
    }
}

/// `/dev/fd/N`, `/proc/self/fd/N`, `/proc/thread-self/fd/N`, `/proc/self/task/T/fd/N`: one of
/// the command's own descriptors.
fn own_descriptor(parts: &[Vec<Piece>]) -> bool {
    let names: Vec<Option<&str>> = parts.iter().map(|part| part_text(part)).collect();
    matches!(
        names.as_slice(),
        [Some("dev"), Some("fd"), _]
            | [Some("proc"), Some("self" | "thread-self"), Some("fd"), _]
            | [Some("proc"), Some("self"), Some("task"), _, Some("fd"), _]
    )
}

fn standard_stream(parts: &[Vec<Piece>]) -> bool {
    let names: Vec<Option<&str>> = parts.iter().map(|part| part_text(part)).collect();
    matches!(names.as_slice(), [Some("dev"), Some("stdin" | "stdout" | "stderr")])
}

fn part_text(part: &[Piece]) -> Option<&str> {
    match part {
        [] => Some(""),
        [Piece::Text(text)] => Some(text),
        _ => None,
    }
}

fn join(parts: &[Vec<Piece>], absolute: bool) -> Vec<Piece> {
    let mut out = Vec::new();
    for (at, part) in parts.iter().enumerate() {
        if absolute || at > 0 {
            push_text(&mut out, "/");
        }
        for piece in part {
            match piece {
                Piece::Text(text) => push_text(&mut out, text.as_str()),
                other => out.push(other.clone()),
            }
        }
    }
    if out.is_empty() {
        push_text(&mut out, if absolute { "/" } else { "." });
    }
    out
}

/// A real path under the home directory's real path, spelled under the home directory.
fn under_real_home(real: &str, home: &str) -> Option<String> {
    static REAL_HOME: OnceLock<(String, Option<String>)> = OnceLock::new();
    let resolve = || std::fs::canonicalize(home).ok().map(|real| real.to_string_lossy().into_owned());
    let (cached, real_home) = REAL_HOME.get_or_init(|| (home.to_string(), resolve()));
    let real_home = if cached == home { real_home.clone() } else { resolve() };
    let real_home = real_home.filter(|real_home| real_home != home && !home.is_empty())?;
    let rest = real.strip_prefix(real_home.as_str())?;
    (rest.is_empty() || rest.starts_with('/')).then(|| format!("{home}{rest}"))
}

/// The path with the symbolic links of the path or its directory resolved, when that differs
/// from the path: one `canonicalize` for a path that exists, one more for a file not made yet
/// (a command creates a file in a directory, rarely a tree).
fn real_path(path: &Path) -> Option<PathBuf> {
    // /proc/self/… names gate's own process, not the command's: those are resolved lexically.
    if path.starts_with("/proc") {
        return None;
    }
    let real = match std::fs::canonicalize(path) {
        Ok(real) => real,
        Err(_) => std::fs::canonicalize(path.parent()?).ok()?.join(path.file_name()?),
    };
    (real != path).then_some(real)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::policy::Resolver;
    use crate::policy::effects::{Access, OwnFiles};
    use crate::shell::Word;

    /// Pieces written compactly: `*` a file-name glob, `?` one character, `$` an expansion,
    /// `~` home.
    pub(crate) fn pieces(spec: &str) -> Vec<Piece> {
        let mut out = Vec::new();
        for c in spec.chars() {
            match c {
                '*' => out.push(Piece::Star),
                '?' => out.push(Piece::AnyChar),
                '$' => out.push(Piece::Any),
                '~' => out.push(Piece::Home),
                c => push_text(&mut out, &c.to_string()),
            }
        }
        out
    }

    fn forms(path: &str, cwd: &Cwd) -> Vec<(Vec<Piece>, Seen)> {
        let resolver = Resolver::new(None);
        let own = OwnFiles::default();
        let context = Context {
            home: "/home/u",
            cwd: Path::new("/work/p"),
            env: &|_| None,
            resolver: &resolver,
            project: None,
            own: &own,
        };
        let word = Word { pieces: pieces(path), text: path.into() };
        let effect =
            PathEffect { access: Access::Write, path: &word, cwd, via: "redirection".into(), vars: &[] };
        resolve(&effect, &context).into_iter().map(|form| (form.pieces, form.seen)).collect()
    }

    #[test]
    fn resolves_every_form() {
        use Seen::*;
        let start = Cwd::Start;
        let known = Cwd::Known(Word { pieces: pieces("~/.ssh"), text: "~/.ssh".into() });
        let relative = Cwd::Known(Word::literal("sub/dir"));
        let globbed = Cwd::Known(Word { pieces: pieces("src/*"), text: "src/*".into() });
        type Case<'a> = (&'a str, &'a Cwd, &'a [(&'a str, Seen)]);
        let cases: &[Case] = &[
            ("~/.bashrc", &start, &[("/home/u/.bashrc", Written)]),
            ("out.txt", &start, &[("/work/p/out.txt", Written)]),
            ("./a//b/../c", &start, &[("/work/p/a/c", Written)]),
            ("../../../../etc/passwd", &start, &[("/etc/passwd", Written)]),
            ("id_rsa", &known, &[("/home/u/.ssh/id_rsa", Written)]),
            ("../.bashrc", &known, &[("/home/u/.bashrc", Written)]),
            ("x", &relative, &[("/work/p/sub/dir/x", Written)]),
            ("x", &globbed, &[("/work/p/src/*/x", Written)]),
            ("x", &Cwd::Unknown, &[("$/x", Written)]),
            ("/x", &Cwd::Unknown, &[("/x", Written)]),
            ("/proc/self/root/home/u/.bashrc", &start, &[("/home/u/.bashrc", Written)]),
            ("/proc/1234/root/etc/shadow", &start, &[("/etc/shadow", Written)]),
            ("/proc/thread-self/root/etc/x", &start, &[("/etc/x", Written)]),
            ("/proc/self/task/7/root/etc/x", &start, &[("/etc/x", Written)]),
            ("/proc/self/root/../../etc/x", &start, &[("/etc/x", Written)]),
            ("/proc/*/root/etc/x", &start, &[("/etc/x", Written)]),
            ("/proc/self/cwd/x", &start, &[("/work/p/x", Written)]),
            ("/proc/self/cwd/x", &known, &[("/home/u/.ssh/x", Written)]),
            ("/proc/self/cwd/../x", &start, &[("/work/x", Written)]),
            ("/proc/3999999/cwd/.bashrc", &start, &[("$/.bashrc", Written)]),
            ("/proc/3999999/fd/3", &start, &[("/proc/3999999/fd/3", Written)]),
            ("/proc/3999999/environ", &start, &[("/proc/3999999/environ", Written)]),
            ("/dev/fd/3/x", &start, &[("$/x", Written)]),
            ("/dev/null", &start, &[("/dev/null", Written)]),
            ("$/x", &start, &[("$/x", Written)]),
            ("/tmp/$.log", &start, &[("/tmp/$.log", Written), ("$.log", Escaped)]),
            ("/tmp/$/../x", &start, &[("$/x", Written)]),
            ("/tmp/.*/x", &start, &[("/tmp/.*/x", Written), ("/x", Written)]),
        ];
        for (path, cwd, expected) in cases {
            let expected: Vec<(Vec<Piece>, Seen)> =
                expected.iter().map(|(text, seen)| (pieces(text), *seen)).collect();
            assert_eq!(forms(path, cwd), expected, "{path} in {cwd:?}");
        }
    }

    #[test]
    fn finds_the_variables_of_a_word() {
        let cases: &[(&str, Option<&[Option<&str>]>)] = &[
            ("$HOME/x", Some(&[Some("HOME")])),
            ("\"${HOME}\"/x", Some(&[Some("HOME")])),
            ("/proc/self/root$HOME/.bashrc", Some(&[Some("HOME")])),
            ("'$HOME'/x", Some(&[])),
            ("\\$HOME", Some(&[])),
            ("$1/$@", Some(&[None, None])),
            ("$(pwd)/x", None),
            ("${X:-y}", None),
            ("`pwd`", None),
        ];
        for (text, expected) in cases {
            let expected =
                expected.map(|names| names.iter().map(|name| name.map(str::to_string)).collect::<Vec<_>>());
            assert_eq!(expansions(text), expected, "{text}");
        }
    }

    #[test]
    fn a_home_behind_a_link_is_still_home() {
        let dir = tempfile::tempdir().unwrap();
        let root = dir.path().canonicalize().unwrap();
        std::fs::create_dir_all(root.join("data/u")).unwrap();
        std::os::unix::fs::symlink(root.join("data/u"), root.join("home")).unwrap();
        let home = root.join("home").to_string_lossy().into_owned();
        let resolver = Resolver::new(None);
        let own = OwnFiles::default();
        let context = Context {
            home: &home,
            cwd: &root,
            env: &|_| None,
            resolver: &resolver,
            project: None,
            own: &own,
        };
        let word = Word::literal(root.join("data/u/.bashrc").to_string_lossy());
        let effect = PathEffect {
            access: Access::Write,
            path: &word,
            cwd: &Cwd::Start,
            via: String::new(),
            vars: &[],
        };
        let found: Vec<Vec<Piece>> = resolve(&effect, &context).into_iter().map(|form| form.pieces).collect();
        assert!(found.contains(&vec![Piece::Text(format!("{home}/.bashrc"))]), "{found:?}");
    }

    #[test]
    fn descriptors_are_not_files() {
        for path in [
            "/dev/fd/1",
            "/dev/fd/$",
            "/dev/stdout",
            "/dev/stderr",
            "/dev/stdin",
            "/proc/self/fd/2",
            "/proc/thread-self/fd/1",
            "/proc/self/task/9/fd/1",
            "/dev/./fd/1",
        ] {
            assert_eq!(forms(path, &Cwd::Start), Vec::new(), "{path}");
        }
    }

    #[test]
    fn sees_through_symbolic_links() {
        let dir = tempfile::tempdir().unwrap();
        let home = dir.path().canonicalize().unwrap().join("home");
        std::fs::create_dir_all(home.join("sub")).unwrap();
        std::fs::write(home.join(".bashrc"), "").unwrap();
        let link = dir.path().canonicalize().unwrap().join("link");
        std::os::unix::fs::symlink(home.join(".bashrc"), &link).unwrap();
        let dir_link = dir.path().canonicalize().unwrap().join("dir-link");
        std::os::unix::fs::symlink(home.join("sub"), &dir_link).unwrap();
        let cases = [
            (link.clone(), home.join(".bashrc")),
            (dir_link.join("file"), home.join("sub/file")),
            (dir_link.join("../.bashrc"), home.join(".bashrc")),
        ];
        for (path, real) in cases {
            let path = path.to_string_lossy().into_owned();
            let found = forms(&path, &Cwd::Start);
            let real = Piece::Text(real.to_string_lossy().into_owned());
            assert!(found.contains(&(vec![real], Seen::Real)), "{path}: {found:?}");
        }
    }
}
