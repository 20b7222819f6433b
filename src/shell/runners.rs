//! Programs that run a command given in their own syntax: `xargs`, `find -exec`, `watch`,
//! `flock`, `su`/`runuser`. Each returns the command it will run, or why that cannot be known.

use super::kind::{Exec, Kind, Shell, Source};
use super::optscan::{self, OptSpec, is_fixed, literal_prefix};
use super::types::{Piece, Word};
use super::wrappers::spec;

const XARGS: OptSpec = OptSpec {
    flags: "0rtpxo",
    valued: "ILnPsdEa",
    optional: "iel",
    long_flags: &[
        "null",
        "no-run-if-empty",
        "verbose",
        "interactive",
        "exit",
        "open-tty",
        "show-limits",
        "help",
        "version",
    ],
    long_valued: &["arg-file", "delimiter", "max-args", "max-procs", "max-chars", "process-slot-var"],
    long_optional: &["replace", "max-lines", "eof"],
    numbers: false,
};

pub(crate) fn xargs(words: &[Word]) -> Kind {
    let scan = match optscan::scan(words, 1, &XARGS) {
        Ok(scan) => scan,
        Err(why) => return Kind::Opaque(why),
    };
    let replace = match scan.seen.iter().rev().find(|s| matches!(s.name.as_str(), "I" | "i" | "replace")) {
        None => None,
        Some(seen) => match &seen.value {
            None => Some("{}".to_owned()),
            Some(value) => match value.as_literal() {
                Some(text) if text.is_empty() => Some("{}".to_owned()),
                Some(text) => Some(text),
                None => return Kind::opaque("xargs replacement string is only known at run time"),
            },
        },
    };
    let mut inner: Vec<Word> = words[scan.next..].to_vec();
    if inner.is_empty() {
        inner.push(Word::literal("echo"));
    }
    if let Some(replace) = replace {
        inner = inner.iter().map(|w| replace_text(w, &replace)).collect();
    }
    Kind::Wrap { split: scan.next, label: "xargs".into(), inner, assignments: Vec::new(), more_args: true }
}

/// Marks every occurrence of `needle` in the word's known text as a run-time part.
fn replace_text(word: &Word, needle: &str) -> Word {
    if needle.is_empty() || !word.text.contains(needle) && word.as_literal().is_some() {
        return word.clone();
    }
    let mut pieces = Vec::new();
    for piece in &word.pieces {
        match piece {
            Piece::Text(text) if text.contains(needle) => {
                let mut parts = text.split(needle).peekable();
                while let Some(part) = parts.next() {
                    if !part.is_empty() {
                        pieces.push(Piece::Text(part.to_owned()));
                    }
                    if parts.peek().is_some() && pieces.last() != Some(&Piece::Any) {
                        pieces.push(Piece::Any);
                    }
                }
            }
            other => pieces.push(other.clone()),
        }
    }
    Word { pieces, text: word.text.clone() }
}

/// `find` primaries that take one value (two for `-fprintf`).
const FIND_VALUED: &[&str] = &[
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
    "-newer",
    "-anewer",
    "-cnewer",
    "-maxdepth",
    "-mindepth",
    "-links",
    "-inum",
    "-samefile",
    "-fstype",
    "-lname",
    "-ilname",
    "-printf",
    "-fprint",
    "-fprint0",
    "-fls",
    "-used",
    "-context",
    "-files0-from",
    "-D",
    "-newerXY",
];

pub(crate) fn find(words: &[Word]) -> Kind {
    let mut own = vec![words[0].clone()];
    let mut execs = Vec::new();
    let mut deletes = false;
    let mut i = 1;
    while i < words.len() {
        let word = &words[i];
        let Some(text) = word.as_literal() else {
            let (prefix, _) = literal_prefix(word);
            // A run-time word could be `-exec` or split into an action; values are fine.
            let after_valued = own
                .last()
                .and_then(Word::as_literal)
                .is_some_and(|p| FIND_VALUED.contains(&p.as_str()) || p.starts_with("-newer"));
            if !is_fixed(word) || (!after_valued && (prefix.is_empty() || prefix.starts_with('-'))) {
                return Kind::opaque(format!("find argument {} is only known at run time", word.text));
            }
            own.push(word.clone());
            i += 1;
            continue;
        };
        match text.as_str() {
            "-exec" | "-execdir" | "-ok" | "-okdir" => {
                let start = i + 1;
                let mut end = start;
                let mut plus = false;
                while end < words.len() {
                    let t = words[end].as_literal();
                    if t.as_deref() == Some(";") {
                        break;
                    }
                    if t.as_deref() == Some("+")
                        && end > start
                        && words[end - 1].as_literal().as_deref() == Some("{}")
                    {
                        plus = true;
                        break;
                    }
                    end += 1;
                }
                let inner = words[start..end].iter().map(|w| replace_text(w, "{}")).collect();
                execs.push(Exec { label: format!("find {text}"), words: inner, more_args: plus });
                i = end + 1;
            }
            "-delete" => {
                deletes = true;
                own.push(word.clone());
                i += 1;
            }
            "-fprintf" => {
                own.extend(words[i..words.len().min(i + 3)].iter().cloned());
                i += 3;
            }
            t if FIND_VALUED.contains(&t) || t.starts_with("-newer") => {
                own.extend(words[i..words.len().min(i + 2)].iter().cloned());
                i += 2;
            }
            _ => {
                own.push(word.clone());
                i += 1;
            }
        }
    }
    if execs.is_empty() && !deletes {
        return Kind::Plain;
    }
    Kind::Find { own, execs, deletes }
}

pub(crate) fn watch(words: &[Word]) -> Kind {
    let spec = OptSpec {
        optional: "d",
        long_flags: &[
            "beep", "color", "no-color", "errexit", "chgexit", "no-title", "no-wrap", "exec", "precise",
            "no-rerun",
        ],
        long_valued: &["interval", "equexit"],
        long_optional: &["differences"],
        ..spec("bcCegtwxpr", "nq")
    };
    let scan = match optscan::scan(words, 1, &spec) {
        Ok(scan) => scan,
        Err(why) => return Kind::Opaque(why),
    };
    if scan.next >= words.len() {
        return Kind::Plain;
    }
    if scan.has(&["x", "exec"]) {
        return Kind::wrap(words, scan.next, "watch");
    }
    // Without -x, watch hands its arguments, joined by spaces, to `sh -c`.
    Kind::Script {
        label: "watch".into(),
        source: Source::Joined(words[scan.next..].to_vec()),
        shell: Shell::New,
    }
}

pub(crate) fn flock(words: &[Word]) -> Kind {
    let spec = OptSpec {
        long_flags: &["shared", "exclusive", "unlock", "nonblock", "nb", "close", "no-fork", "verbose"],
        long_valued: &["timeout", "wait", "conflict-exit-code"],
        ..spec("sexnuoF", "wE")
    };
    let scan = match optscan::scan(words, 1, &spec) {
        Ok(scan) => scan,
        Err(why) => return Kind::Opaque(why),
    };
    // The lock file (or descriptor), then a command or `-c SCRIPT`.
    let split = scan.next + 1;
    if split >= words.len() {
        return Kind::Plain;
    }
    if !is_fixed(&words[scan.next]) {
        return Kind::opaque(format!("argument {} is only known at run time", words[scan.next].text));
    }
    match words[split].as_literal().as_deref() {
        Some("-c" | "--command") => match words.get(split + 1) {
            Some(script) => Kind::Script {
                label: "flock -c".into(),
                source: Source::Word(script.clone()),
                shell: Shell::New,
            },
            None => Kind::Plain,
        },
        _ => Kind::wrap(words, split, "flock"),
    }
}

/// `su` and `runuser`: options may follow the user; `-c` gives a script, else a shell starts
/// (`runuser -u USER CMD` runs a command directly).
pub(crate) fn su(words: &[Word], runuser: bool) -> Kind {
    let spec = OptSpec {
        long_flags: &["login", "preserve-environment", "pty", "fast"],
        long_valued: &[
            "command",
            "session-command",
            "shell",
            "group",
            "supp-group",
            "whitelist-environment",
            "user",
        ],
        ..spec("lmpPf", "csgGwu")
    };
    let mut i = 1;
    let mut positionals = Vec::new();
    let mut script = None;
    while i < words.len() {
        let (prefix, _) = literal_prefix(&words[i]);
        if prefix == "-" && words[i].as_literal().is_some() {
            i += 1;
            continue;
        }
        if !prefix.starts_with('-') || prefix == "--" {
            if prefix == "--" {
                i += 1;
            }
            if runuser && script.is_none() && !positionals.is_empty() || prefix == "--" {
                break;
            }
            if !is_fixed(&words[i]) {
                return Kind::opaque(format!("argument {} is only known at run time", words[i].text));
            }
            positionals.push(i);
            i += 1;
            continue;
        }
        // One option (with its value) at a time, so options may follow the user.
        let scan = match optscan::scan(&words[..words.len().min(i + 2)], i, &spec) {
            Ok(scan) => scan,
            Err(why) => return Kind::Opaque(why),
        };
        if let Some(value) = scan.value(&["c", "command", "session-command"]) {
            script = Some(value.clone());
        }
        if let Some(user) = scan.value(&["u", "user"]).filter(|_| runuser) {
            let _ = user;
            // `runuser -u USER [--] CMD`: the command follows the options directly.
            let mut j = scan.next;
            let rest = optscan::scan(words, j, &spec);
            match rest {
                Ok(rest) => j = rest.next,
                Err(why) => return Kind::Opaque(why),
            }
            if script.is_none() {
                if j >= words.len() {
                    return Kind::opaque("runuser starts an interactive shell");
                }
                return Kind::wrap(words, j, "runuser");
            }
        }
        i = scan.next.max(i + 1);
    }
    let name = if runuser { "runuser" } else { "su" };
    match script {
        Some(script) => {
            Kind::Script { label: format!("{name} -c"), source: Source::Word(script), shell: Shell::New }
        }
        None => Kind::opaque(format!("{name} starts an interactive shell")),
    }
}
