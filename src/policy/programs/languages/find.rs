//! `find` start points and expressions: start points are read; tests and `-print`, `-print0`,
//! `-printf`, `-ls`, `-prune`, `-quit` only look and print. `-fprint FILE`, `-fprint0`, `-fls`,
//! `-fprintf` write FILE; `-delete` writes (deletes) under the start points; `-newer FILE` and
//! friends read FILE. `-exec`, `-execdir`, `-ok`, `-okdir` are taken out by the shell walk, which
//! judges the commands they run; met here they are unknown, as is anything else not listed.

use super::Judged;
use crate::policy::effects::Access;
use crate::shell::{Piece, Word};

/// Primaries that take no value.
const ALONE: &[&str] = &[
    "-print",
    "-print0",
    "-ls",
    "-prune",
    "-quit",
    "-true",
    "-false",
    "-empty",
    "-executable",
    "-readable",
    "-writable",
    "-nouser",
    "-nogroup",
    "-depth",
    "-d",
    "-mount",
    "-xdev",
    "-noleaf",
    "-follow",
    "-ignore_readdir_race",
    "-noignore_readdir_race",
    "-daystart",
    "-warn",
    "-nowarn",
    "-not",
    "-a",
    "-and",
    "-o",
    "-or",
    "!",
    "(",
    ")",
    ",",
    "-help",
    "--help",
    "-version",
    "--version",
    "-H",
    "-L",
    "-P",
];

/// Primaries that take one value of plain text.
const TEXT: &[&str] = &[
    "-name",
    "-iname",
    "-path",
    "-ipath",
    "-wholename",
    "-iwholename",
    "-regex",
    "-iregex",
    "-regextype",
    "-type",
    "-xtype",
    "-user",
    "-group",
    "-uid",
    "-gid",
    "-size",
    "-perm",
    "-mtime",
    "-atime",
    "-ctime",
    "-mmin",
    "-amin",
    "-cmin",
    "-maxdepth",
    "-mindepth",
    "-links",
    "-inum",
    "-fstype",
    "-lname",
    "-ilname",
    "-printf",
    "-used",
    "-context",
    "-D",
    "-O",
];

/// Primaries whose value is a file read (its times or identity).
const READ: &[&str] = &["-newer", "-anewer", "-cnewer", "-samefile"];

/// Primaries whose value is a file written.
const WRITE: &[&str] = &["-fprint", "-fprint0", "-fls"];

/// Judges `find`'s words from the first start point or expression word on. Errors name the
/// word and why.
pub(crate) fn judge(words: &[Word]) -> Result<Judged, (String, String)> {
    let mut judged = Judged::default();
    let mut at = 0;
    let mut starts: Vec<Word> = Vec::new();
    let mut expression = false;
    let mut deletes = false;
    while at < words.len() {
        let word = &words[at];
        let Some(text) = word.as_literal() else {
            let starts_dash = matches!(word.pieces.first(), Some(Piece::Text(t)) if t.starts_with('-'));
            if expression || starts_dash || !matches!(word.pieces.first(), Some(Piece::Text(_) | Piece::Home))
            {
                return Err((word.text.clone(), "is a find argument only known at run time".into()));
            }
            starts.push(word.clone());
            at += 1;
            continue;
        };
        let primary = text.starts_with('-') || matches!(text.as_str(), "!" | "(" | ")" | ",");
        if !primary && !expression {
            starts.push(word.clone());
            at += 1;
            continue;
        }
        if !primary {
            return Err((word.text.clone(), "is not part of a find expression gate knows".into()));
        }
        expression = true;
        let value = |n: usize| {
            words
                .get(at + n)
                .ok_or_else(|| (word.text.clone(), "needs a value, and none follows".to_string()))
        };
        match text.as_str() {
            t if ALONE.contains(&t) => at += 1,
            "-delete" => {
                deletes = true;
                at += 1;
            }
            t if TEXT.contains(&t) || t.starts_with("-newer") && t.len() == 8 && t.ends_with('t') => {
                value(1)?;
                at += 2;
            }
            t if READ.contains(&t) || t.starts_with("-newer") && t.len() == 8 => {
                judged.effects.push((Access::Read, value(1)?.clone()));
                at += 2;
            }
            t if WRITE.contains(&t) => {
                judged.effects.push((Access::Write, value(1)?.clone()));
                at += 2;
            }
            "-fprintf" => {
                judged.effects.push((Access::Write, value(1)?.clone()));
                value(2)?;
                at += 3;
            }
            "-exec" | "-execdir" | "-ok" | "-okdir" => {
                return Err((word.text.clone(), "runs a command gate does not see here".into()));
            }
            _ => return Err((word.text.clone(), "is not a find primary gate knows".into())),
        }
    }
    if starts.is_empty() {
        starts.push(Word::literal("."));
    }
    for start in starts {
        judged.effects.push((Access::Read, start.clone()));
        if deletes {
            judged.effects.push((Access::Write, start));
        }
    }
    Ok(judged)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn words(line: &str) -> Vec<Word> {
        line.split_whitespace().map(Word::literal).collect()
    }

    #[test]
    fn expressions() {
        type Effects = &'static [(Access, &'static str)];
        let cases: &[(&str, Option<Effects>)] = &[
            (". -name *.rs", Some(&[(Access::Read, ".")])),
            ("src tests -type f -print0", Some(&[(Access::Read, "src"), (Access::Read, "tests")])),
            ("-name x", Some(&[(Access::Read, ".")])),
            (". ( -name a -o -name b ) -prune", Some(&[(Access::Read, ".")])),
            (". -newer Cargo.toml", Some(&[(Access::Read, "Cargo.toml"), (Access::Read, ".")])),
            (". -fprint out.txt", Some(&[(Access::Write, "out.txt"), (Access::Read, ".")])),
            (". -fprintf f %p", Some(&[(Access::Write, "f"), (Access::Read, ".")])),
            ("build -delete", Some(&[(Access::Read, "build"), (Access::Write, "build")])),
            (". -printf %p\\n -quit", Some(&[(Access::Read, ".")])),
            (". -newermt 2024-01-01", Some(&[(Access::Read, ".")])),
            (". -exec rm {} ;", None),
            (". -files0-from f", None),
            (". -name", None),
            (". -name x y", None),
        ];
        for (line, expected) in cases {
            let got = judge(&words(line));
            match (expected, got) {
                (None, got) => assert!(got.is_err(), "{line}"),
                (Some(expected), Ok(judged)) => {
                    let got: Vec<(Access, String)> =
                        judged.effects.iter().map(|(a, w)| (*a, w.as_literal().unwrap())).collect();
                    let expected: Vec<(Access, String)> =
                        expected.iter().map(|(a, p)| (*a, p.to_string())).collect();
                    assert_eq!(got, expected, "{line}");
                }
                (Some(_), Err(why)) => panic!("{line}: {why:?}"),
            }
        }
    }
}
