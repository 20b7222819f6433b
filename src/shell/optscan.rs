//! Option scanning for wrappers (`sudo -u root -- rm`): finds where the wrapped command starts.
//! An option gate does not know, or a word that could change the split at run time, stops the
//! scan with a reason, so that a wrapper is never seen through in the wrong place.

use super::types::{Piece, Word};
use super::words;

/// The options one program takes, getopt style. Scanning stops at the first operand.
#[derive(Debug, Default)]
pub(crate) struct OptSpec {
    /// Short options without a value.
    pub(crate) flags: &'static str,
    /// Short options with a value, attached (`-uroot`) or in the next word.
    pub(crate) valued: &'static str,
    /// Short options whose value, if any, must be attached (`-i{}`).
    pub(crate) optional: &'static str,
    /// Long options without a value (no leading `--`).
    pub(crate) long_flags: &'static [&'static str],
    /// Long options with a value, `--user=root` or `--user root`.
    pub(crate) long_valued: &'static [&'static str],
    /// Long options whose value, if any, is attached with `=`.
    pub(crate) long_optional: &'static [&'static str],
    /// `-5` is an option (nice).
    pub(crate) numbers: bool,
}

/// One option seen: its name (`u` or `user`) and value when it has one.
#[derive(Debug)]
pub(crate) struct Seen {
    pub(crate) name: String,
    pub(crate) value: Option<Word>,
}

#[derive(Debug)]
pub(crate) struct Scan {
    pub(crate) seen: Vec<Seen>,
    /// Index of the first word after the options (the operand or command).
    pub(crate) next: usize,
}

impl Scan {
    pub(crate) fn has(&self, names: &[&str]) -> bool {
        self.seen.iter().any(|s| names.contains(&s.name.as_str()))
    }

    pub(crate) fn value(&self, names: &[&str]) -> Option<&Word> {
        self.seen.iter().rev().find(|s| names.contains(&s.name.as_str())).and_then(|s| s.value.as_ref())
    }
}

/// True when the word stays one word at run time (it may still be unknown).
pub(crate) fn is_fixed(word: &Word) -> bool {
    !word.is_dynamic() || !words::may_split(&word.text)
}

/// The known text at the start of a word, and whether that is the whole word.
pub(crate) fn literal_prefix(word: &Word) -> (&str, bool) {
    match word.pieces.first() {
        Some(Piece::Text(text)) => (text.as_str(), word.pieces.len() == 1),
        None => ("", true),
        _ => ("", false),
    }
}

/// The rest of a word after `skip` bytes of its leading text, as a value word.
fn rest_of(word: &Word, skip: usize) -> Word {
    let mut pieces = word.pieces.clone();
    if let Some(Piece::Text(text)) = pieces.first_mut() {
        text.drain(..skip.min(text.len()));
        if text.is_empty() {
            pieces.remove(0);
        }
    }
    let text = word.text.get(skip..).unwrap_or("").to_owned();
    if pieces.is_empty() {
        pieces.push(Piece::Text(String::new()));
    }
    Word { pieces, text }
}

/// Scans options from `start`; `Err` holds why the command cannot be placed.
pub(crate) fn scan(words: &[Word], start: usize, spec: &OptSpec) -> Result<Scan, String> {
    let mut seen = Vec::new();
    let mut i = start;
    while i < words.len() {
        let word = &words[i];
        let (prefix, whole) = literal_prefix(word);
        if !prefix.starts_with('-') {
            if !whole && prefix.is_empty() {
                // `$X` here could be an option or a command, or split into both.
                return Err(format!("argument {} is only known at run time", word.text));
            }
            break;
        }
        if prefix == "-" && whole {
            break;
        }
        if prefix == "--" && whole {
            i += 1;
            break;
        }
        if let Some(long) = prefix.strip_prefix("--") {
            let (name, attached) = match long.split_once('=') {
                Some((name, _)) => (name, true),
                None if whole => (long, false),
                None => return Err(format!("option {} is only known at run time", word.text)),
            };
            let value = attached.then(|| rest_of(word, name.len() + 3));
            if spec.long_flags.contains(&name) && !attached {
                seen.push(Seen { name: name.to_owned(), value: None });
            } else if spec.long_optional.contains(&name) {
                seen.push(Seen { name: name.to_owned(), value });
            } else if spec.long_valued.contains(&name) {
                let value = match value {
                    Some(value) => value,
                    None => {
                        i += 1;
                        take_value(words, i, word)?
                    }
                };
                seen.push(Seen { name: name.to_owned(), value: Some(value) });
            } else {
                return Err(format!("option --{name} is not known to gate"));
            }
            i += 1;
            continue;
        }
        let cluster = &prefix[1..];
        if spec.numbers && whole && cluster.chars().all(|c| c.is_ascii_digit()) {
            seen.push(Seen { name: cluster.to_owned(), value: None });
            i += 1;
            continue;
        }
        let mut consumed_next = false;
        for (pos, c) in cluster.char_indices() {
            let after = pos + c.len_utf8();
            if spec.flags.contains(c) {
                seen.push(Seen { name: c.to_string(), value: None });
            } else if spec.valued.contains(c) || spec.optional.contains(c) {
                let rest_empty = after == cluster.len() && whole;
                let value = if !rest_empty {
                    Some(rest_of(word, after + 1))
                } else if spec.valued.contains(c) {
                    consumed_next = true;
                    Some(take_value(words, i + 1, word)?)
                } else {
                    None
                };
                seen.push(Seen { name: c.to_string(), value });
                break;
            } else {
                return Err(format!("option -{c} is not known to gate"));
            }
        }
        if !whole && !cluster_ends_in_value(cluster, spec) {
            return Err(format!("option {} is only known at run time", word.text));
        }
        i += if consumed_next { 2 } else { 1 };
    }
    Ok(Scan { seen, next: i })
}

/// True when a cluster of short options ends in an option taking the rest of the word, so a
/// run-time part after it is just the value.
fn cluster_ends_in_value(cluster: &str, spec: &OptSpec) -> bool {
    cluster
        .chars()
        .find(|c| !spec.flags.contains(*c))
        .is_some_and(|c| spec.valued.contains(c) || spec.optional.contains(c))
}

fn take_value(words: &[Word], i: usize, option: &Word) -> Result<Word, String> {
    let value = words.get(i).ok_or_else(|| format!("option {} lacks its value", option.text))?;
    if !is_fixed(value) {
        return Err(format!("argument {} is only known at run time", value.text));
    }
    Ok(value.clone())
}

#[cfg(test)]
mod tests {
    use super::*;

    const SUDO: OptSpec = OptSpec {
        flags: "AbEHiKklnPSsVv",
        valued: "CDghprTtUu",
        optional: "",
        long_flags: &["login"],
        long_valued: &["user"],
        long_optional: &["preserve-env"],
        numbers: false,
    };

    fn words(line: &str) -> Vec<Word> {
        line.split(' ').map(Word::literal).collect()
    }

    #[test]
    fn finds_the_command() {
        let cases = [
            ("sudo rm", Ok(1)),
            ("sudo -E rm", Ok(2)),
            ("sudo -u root rm", Ok(3)),
            ("sudo -uroot rm", Ok(2)),
            ("sudo -Eu root rm", Ok(3)),
            ("sudo --user root rm", Ok(3)),
            ("sudo --user=root rm", Ok(2)),
            ("sudo --preserve-env rm", Ok(2)),
            ("sudo --preserve-env=A,B rm", Ok(2)),
            ("sudo -- rm", Ok(2)),
            ("sudo -E -- -rm", Ok(3)),
            ("sudo -Z rm", Err(())),
            ("sudo --bogus rm", Err(())),
            ("sudo -u", Err(())),
        ];
        for (line, want) in cases {
            let got = scan(&words(line), 1, &SUDO).map(|s| s.next).map_err(|_| ());
            assert_eq!(got, want, "{line}");
        }
    }

    #[test]
    fn dynamic_words() {
        let dynamic = Word { pieces: vec![Piece::Any], text: "$X".into() };
        let mut w = words("sudo -u");
        w.push(Word { pieces: vec![Piece::Any], text: "\"$U\"".into() });
        w.push(Word::literal("rm"));
        assert_eq!(scan(&w, 1, &SUDO).map(|s| s.next), Ok(3));
        let w = vec![Word::literal("sudo"), dynamic.clone()];
        assert!(scan(&w, 1, &SUDO).is_err());
        let w = vec![Word::literal("sudo"), Word::literal("-u"), dynamic];
        assert!(scan(&w, 1, &SUDO).is_err());
    }
}
