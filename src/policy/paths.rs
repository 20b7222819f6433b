//! The forms of a path-like word that rules are matched against: as written, lexically
//! normalised, and joined to the working directory when relative.
//!
//! Normalising is what stops `rm -rf //*`, `/tmp/../*` or `../../../*` from slipping past a rule
//! written for `/*`. It is lexical: `..` after a symbolic link climbs elsewhere on disk, which is
//! why the form as written is always kept beside the normalised ones.

use crate::shell::{Piece, Word};
use std::path::Path;

/// A known path as written, lexically normalised, and (when relative) joined to the working
/// directory.
pub(super) fn path_forms(text: &str, cwd: &Path) -> Vec<String> {
    let mut forms = vec![text.to_string()];
    let mut add = |form: String| {
        if !forms.contains(&form) {
            forms.push(form);
        }
    };
    add(normalize(text));
    if !text.starts_with('/') && !text.starts_with('-') {
        add(normalize(&format!("{}/{text}", cwd.to_string_lossy())));
    }
    forms
}

/// Removes `//`, `/.`, a trailing `/` and resolves `..` lexically: `/tmp/../` is `/`.
pub(super) fn normalize(path: &str) -> String {
    let absolute = path.starts_with('/');
    let mut parts: Vec<&str> = Vec::new();
    for part in path.split('/') {
        match part {
            "" | "." => {}
            ".." if parts.last().is_some_and(|last| *last != "..") => {
                parts.pop();
            }
            ".." if absolute => {}
            part => parts.push(part),
        }
    }
    match (absolute, parts.is_empty()) {
        (true, _) => format!("/{}", parts.join("/")),
        (false, true) => ".".into(),
        (false, false) => parts.join("/"),
    }
}

/// The forms of a word only partly known before it runs (`/./*`, `$D/../x`): as written, and
/// normalised like a known path, also joined to the working directory when relative. A glob
/// component that could expand to `..` (`.*`, `.?`) gives one more form where it does.
pub(super) fn word_forms(word: &Word, home: &str, cwd: &Path) -> Vec<Word> {
    let pieces = flatten(&word.pieces, home);
    let mut bases = vec![pieces.clone()];
    if is_relative(&pieces) {
        let mut joined = vec![Piece::Text(format!("{}/", cwd.to_string_lossy().trim_end_matches('/')))];
        joined.extend(pieces.iter().cloned());
        bases.push(flatten(&joined, home));
    }
    let mut forms = vec![word.clone()];
    for base in &bases {
        for dot_dot in [false, true] {
            let form = Word { pieces: normalize_pieces(base, dot_dot), text: word.text.clone() };
            if !forms.contains(&form) {
                forms.push(form);
            }
        }
    }
    forms
}

/// A relative word names something under the working directory; one starting with an
/// expansion could be either, and is left as it is.
fn is_relative(pieces: &[Piece]) -> bool {
    match pieces.first() {
        Some(Piece::Text(text)) => !text.starts_with('/'),
        Some(Piece::Home | Piece::Any) | None => false,
        Some(Piece::Star | Piece::AnyChar) => true,
    }
}

/// Replaces `~` by the home directory and joins neighbouring texts.
pub(super) fn flatten(pieces: &[Piece], home: &str) -> Vec<Piece> {
    let mut out: Vec<Piece> = Vec::with_capacity(pieces.len());
    for piece in pieces {
        let piece = match piece {
            Piece::Home => Piece::Text(home.to_string()),
            other => other.clone(),
        };
        match (out.last_mut(), &piece) {
            (Some(Piece::Text(before)), Piece::Text(text)) => before.push_str(text),
            _ => out.push(piece),
        }
    }
    out
}

/// `normalize` for a word with unknown parts. `..` after a component holding an expansion could
/// land anywhere (`$D` may itself be `a/b`), so everything before it becomes unknown. With
/// `dot_dot`, a glob component that could expand to `..` is taken as `..`.
fn normalize_pieces(pieces: &[Piece], dot_dot: bool) -> Vec<Piece> {
    let mut absolute = matches!(pieces.first(), Some(Piece::Text(text)) if text.starts_with('/'));
    let mut parts: Vec<Vec<Piece>> = Vec::new();
    for part in components(pieces) {
        let up = match literal(&part) {
            Some("" | ".") => continue,
            Some("..") => true,
            Some(_) => false,
            None => dot_dot && could_be_dot_dot(&part),
        };
        if !up {
            parts.push(part);
            continue;
        }
        match parts.last() {
            Some(last) if literal(last) == Some("..") => parts.push(vec![Piece::Text("..".into())]),
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
    }
    let mut out = Vec::new();
    for (at, part) in parts.into_iter().enumerate() {
        if absolute || at > 0 {
            push_text(&mut out, "/");
        }
        for piece in part {
            match piece {
                Piece::Text(text) => push_text(&mut out, &text),
                other => out.push(other),
            }
        }
    }
    if out.is_empty() {
        push_text(&mut out, if absolute { "/" } else { "." });
    }
    out
}

/// Splits pieces into path components at each `/` of their known text.
pub(super) fn components(pieces: &[Piece]) -> Vec<Vec<Piece>> {
    let mut parts = vec![Vec::new()];
    for piece in pieces {
        let Piece::Text(text) = piece else {
            parts.last_mut().expect("never empty").push(piece.clone());
            continue;
        };
        for (at, chunk) in text.split('/').enumerate() {
            if at > 0 {
                parts.push(Vec::new());
            }
            if !chunk.is_empty() {
                push_text(parts.last_mut().expect("never empty"), chunk);
            }
        }
    }
    parts
}

fn literal(part: &[Piece]) -> Option<&str> {
    match part {
        [] => Some(""),
        [Piece::Text(text)] => Some(text),
        _ => None,
    }
}

/// Whether a file-name glob component could expand to `..`: bash before 5.2 lets `.*` match it.
pub(super) fn could_be_dot_dot(part: &[Piece]) -> bool {
    let mut steps = 0;
    for piece in part {
        match piece {
            Piece::Text(text) if text.chars().all(|c| c == '.') => steps += text.len(),
            Piece::AnyChar => steps += 1,
            Piece::Star => {}
            _ => return false,
        }
    }
    matches!(part.first(), Some(Piece::Text(_))) && steps <= 2
}

pub(super) fn push_text(out: &mut Vec<Piece>, text: &str) {
    match out.last_mut() {
        Some(Piece::Text(before)) => before.push_str(text),
        _ => out.push(Piece::Text(text.to_string())),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn normalizes_paths() {
        let cases = [
            ("/", "/"),
            ("//", "/"),
            ("/.", "/"),
            ("/./", "/"),
            ("/tmp/..", "/"),
            ("/../..", "/"),
            ("/etc//passwd/", "/etc/passwd"),
            ("a/./b/../c", "a/c"),
            ("../x", "../x"),
            (".", "."),
        ];
        for (input, expected) in cases {
            assert_eq!(normalize(input), expected, "{input}");
        }
    }

    /// Pieces written compactly: `*` a file-name glob, `?` one character, `$` an expansion.
    fn pieces(spec: &str) -> Vec<Piece> {
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

    #[test]
    fn normalizes_words_with_unknown_parts() {
        let cases = [
            ("//*", "/*"),
            ("/./*", "/*"),
            ("///*", "/*"),
            ("/tmp/../*", "/*"),
            ("/home/*/", "/home/*"),
            ("/*/../x", "/x"),
            ("/tmp/$/../*", "$/*"),
            ("a/../*", "*"),
            ("../../*", "../../*"),
            ("/$/x/", "/$/x"),
        ];
        for (input, expected) in cases {
            assert_eq!(normalize_pieces(&pieces(input), false), pieces(expected), "{input}");
        }
        assert_eq!(normalize_pieces(&pieces("/tmp/.*/*"), true), pieces("/*"));
        assert_eq!(normalize_pieces(&pieces("/tmp/.x*/*"), true), pieces("/tmp/.x*/*"));
    }

    #[test]
    fn relative_words_are_joined_to_the_cwd() {
        let word = Word { pieces: pieces("../../../../*"), text: String::new() };
        let forms = word_forms(&word, "/home/u", Path::new("/home/u/project"));
        assert!(forms.iter().any(|form| form.pieces == pieces("/*")), "{forms:?}");
        let word = Word { pieces: pieces("~/*/"), text: String::new() };
        let forms = word_forms(&word, "/home/u", Path::new("/"));
        assert!(forms.iter().any(|form| form.pieces == pieces("/home/u/*")), "{forms:?}");
    }
}
