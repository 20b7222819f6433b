//! Wrappers seen through: programs that run another command given in their arguments (`sudo`,
//! `env`, `timeout`, `xargs`, `find -exec`…). Each knows its options; an option it does not
//! know makes the command opaque rather than guessed at.

use super::kind::{Exec, Kind, Source};
use super::optscan::{self, OptSpec, Scan, is_fixed, literal_prefix};
use super::types::{Piece, Word};

/// Sees through `words` when its program (base name `name`) is a wrapper; `None` otherwise.
pub(crate) fn classify(name: &str, words: &[Word]) -> Option<Kind> {
    let kind = match name {
        "sudo" => sudo(words),
        "doas" => doas(words),
        "env" => env(words),
        "xargs" => xargs(words),
        "find" => find(words),
        "watch" => watch(words),
        "flock" => flock(words),
        "su" => su(words, false),
        "runuser" => su(words, true),
        "command" => command(words),
        "busybox" => busybox(words),
        _ => simple(name, words)?,
    };
    Some(kind)
}

/// What a wrapper does when no command follows its options.
#[derive(Clone, Copy)]
enum Alone {
    /// Nothing runs but the program itself (`nohup` alone fails; `env` prints).
    Plain,
    /// It starts an interactive shell, reading commands gate cannot see.
    Shell,
}

struct Simple {
    names: &'static [&'static str],
    spec: OptSpec,
    /// Operands before the command (`timeout DURATION`, `chroot DIR`, `taskset MASK`).
    operands: usize,
    /// Options after which no command is run (`ionice -p PID`, `chrt -p`).
    no_command: &'static [&'static str],
    alone: Alone,
}

const fn spec(flags: &'static str, valued: &'static str) -> OptSpec {
    OptSpec {
        flags,
        valued,
        optional: "",
        long_flags: &[],
        long_valued: &[],
        long_optional: &[],
        numbers: false,
    }
}

const SIMPLE: &[Simple] = &[
    Simple {
        names: &["nohup", "builtin"],
        spec: spec("", ""),
        operands: 0,
        no_command: &[],
        alone: Alone::Plain,
    },
    Simple {
        names: &["nice"],
        spec: OptSpec { long_valued: &["adjustment"], numbers: true, ..spec("", "n") },
        operands: 0,
        no_command: &[],
        alone: Alone::Plain,
    },
    Simple {
        names: &["timeout"],
        spec: OptSpec {
            long_flags: &["preserve-status", "foreground", "verbose"],
            long_valued: &["signal", "kill-after"],
            ..spec("v", "sk")
        },
        operands: 1,
        no_command: &[],
        alone: Alone::Plain,
    },
    Simple {
        names: &["time"],
        spec: OptSpec {
            long_flags: &["portability", "verbose", "append", "quiet"],
            long_valued: &["format", "output"],
            ..spec("pvaq", "fo")
        },
        operands: 0,
        no_command: &[],
        alone: Alone::Plain,
    },
    Simple { names: &["exec"], spec: spec("cl", "a"), operands: 0, no_command: &[], alone: Alone::Plain },
    Simple {
        names: &["stdbuf"],
        spec: OptSpec { long_valued: &["input", "output", "error"], ..spec("", "ioe") },
        operands: 0,
        no_command: &[],
        alone: Alone::Plain,
    },
    Simple {
        names: &["ionice"],
        spec: OptSpec {
            long_flags: &["ignore"],
            long_valued: &["class", "classdata", "pid", "pgid", "uid"],
            ..spec("t", "cnpPu")
        },
        operands: 0,
        no_command: &["p", "P", "u", "pid", "pgid", "uid"],
        alone: Alone::Plain,
    },
    Simple {
        names: &["setsid"],
        spec: OptSpec { long_flags: &["ctty", "fork", "wait"], ..spec("cfw", "") },
        operands: 0,
        no_command: &[],
        alone: Alone::Plain,
    },
    Simple {
        names: &["chrt"],
        spec: OptSpec {
            long_flags: &[
                "all-tasks",
                "batch",
                "deadline",
                "fifo",
                "idle",
                "other",
                "rr",
                "ext",
                "reset-on-fork",
                "max",
                "pid",
                "verbose",
            ],
            long_valued: &["sched-runtime", "sched-period", "sched-deadline"],
            ..spec("abdefimoprRv", "TPD")
        },
        operands: 1,
        no_command: &["p", "m", "pid", "max"],
        alone: Alone::Plain,
    },
    Simple {
        names: &["taskset"],
        spec: OptSpec { long_flags: &["all-tasks", "pid", "cpu-list"], ..spec("apc", "") },
        operands: 1,
        no_command: &["p", "pid"],
        alone: Alone::Plain,
    },
    Simple { names: &["unbuffer"], spec: spec("p", ""), operands: 0, no_command: &[], alone: Alone::Plain },
    Simple {
        names: &["chroot"],
        spec: OptSpec { long_flags: &["skip-chdir"], long_valued: &["userspec", "groups"], ..spec("", "") },
        operands: 1,
        no_command: &[],
        alone: Alone::Shell,
    },
    Simple {
        names: &["nsenter"],
        spec: OptSpec {
            long_flags: &["all", "preserve-credentials", "no-fork", "follow-context"],
            long_valued: &["target", "setuid", "setgid", "env"],
            long_optional: &["mount", "uts", "ipc", "net", "pid", "cgroup", "user", "time", "root", "wd"],
            ..spec("amuinpUCTFZre", "tSGw")
        },
        operands: 0,
        no_command: &[],
        alone: Alone::Shell,
    },
    Simple {
        names: &["unshare"],
        spec: OptSpec {
            long_flags: &["fork", "map-root-user", "map-current-user", "keep-caps", "map-auto", "kill-child"],
            long_valued: &[
                "propagation",
                "setgroups",
                "map-user",
                "map-group",
                "map-users",
                "map-groups",
                "root",
                "wd",
                "setuid",
                "setgid",
                "monotonic",
                "boottime",
            ],
            long_optional: &["mount", "uts", "ipc", "net", "pid", "user", "cgroup", "time", "mount-proc"],
            ..spec("muinpUCTfrc", "RwSG")
        },
        operands: 0,
        no_command: &[],
        alone: Alone::Shell,
    },
    Simple {
        names: &["fakeroot"],
        spec: OptSpec {
            long_flags: &["unknown-is-real"],
            long_valued: &["lib", "faked"],
            ..spec("u", "lsib")
        },
        operands: 0,
        no_command: &[],
        alone: Alone::Shell,
    },
    Simple {
        names: &["strace", "ltrace"],
        spec: spec("fFcCdhiqrtTvVwxyzkn", "abeEoOpPsSuXIU"),
        operands: 0,
        no_command: &["p"],
        alone: Alone::Plain,
    },
];

fn simple(name: &str, words: &[Word]) -> Option<Kind> {
    let simple = SIMPLE.iter().find(|s| s.names.contains(&name))?;
    Some(finish(
        words,
        optscan::scan(words, 1, &simple.spec),
        simple.operands,
        simple.no_command,
        simple.alone,
        name,
    ))
}

/// The common ending: skip `operands`, then the command is the rest.
fn finish(
    words: &[Word],
    scan: Result<Scan, String>,
    operands: usize,
    no_command: &[&str],
    alone: Alone,
    label: &str,
) -> Kind {
    let scan = match scan {
        Ok(scan) => scan,
        Err(why) => return Kind::Opaque(why),
    };
    if scan.has(no_command) {
        return Kind::Plain;
    }
    let split = scan.next + operands;
    if let Some(bad) =
        words.get(scan.next..split.min(words.len())).and_then(|w| w.iter().find(|w| !is_fixed(w)))
    {
        return Kind::opaque(format!("argument {} is only known at run time", bad.text));
    }
    if split >= words.len() {
        return match alone {
            Alone::Plain => Kind::Plain,
            Alone::Shell => Kind::opaque(format!("{label} starts an interactive shell")),
        };
    }
    Kind::wrap(words, split, label)
}

const SUDO: OptSpec = OptSpec {
    flags: "AbBEeHiKklNnPSsVv",
    valued: "aCcDghpRrTtUu",
    optional: "",
    long_flags: &[
        "askpass",
        "background",
        "bell",
        "edit",
        "set-home",
        "help",
        "login",
        "remove-timestamp",
        "reset-timestamp",
        "list",
        "non-interactive",
        "preserve-groups",
        "stdin",
        "shell",
        "version",
        "validate",
    ],
    long_valued: &[
        "auth-type",
        "close-from",
        "login-class",
        "chdir",
        "group",
        "host",
        "prompt",
        "chroot",
        "role",
        "type",
        "command-timeout",
        "other-user",
        "user",
    ],
    long_optional: &["preserve-env"],
    numbers: false,
};

fn sudo(words: &[Word]) -> Kind {
    let scan = match optscan::scan(words, 1, &SUDO) {
        Ok(scan) => scan,
        Err(why) => return Kind::Opaque(why),
    };
    // Editing files, listing or checking rights runs no command.
    if scan.has(&["e", "edit", "l", "list", "V", "version", "h", "help", "K", "k", "v"])
        && scan.next >= words.len()
    {
        return Kind::Plain;
    }
    if scan.has(&["e", "edit", "l", "list"]) {
        return Kind::Plain;
    }
    let shell = scan.has(&["s", "shell", "i", "login"]);
    with_assignments(words, scan.next, "sudo", if shell { Alone::Shell } else { Alone::Plain })
}

fn doas(words: &[Word]) -> Kind {
    let spec = spec("Lns", "aCu");
    let scan = match optscan::scan(words, 1, &spec) {
        Ok(scan) => scan,
        Err(why) => return Kind::Opaque(why),
    };
    let alone = if scan.has(&["s"]) { Alone::Shell } else { Alone::Plain };
    with_assignments(words, scan.next, "doas", alone)
}

/// `NAME=value` words before the command become the inner command's assignments.
fn with_assignments(words: &[Word], start: usize, label: &str, alone: Alone) -> Kind {
    let mut assignments = Vec::new();
    let mut i = start;
    while let Some(word) = words.get(i) {
        match split_assignment(word) {
            Some(pair) => {
                if !is_fixed(word) {
                    return Kind::opaque(format!("argument {} is only known at run time", word.text));
                }
                assignments.push(pair);
                i += 1;
            }
            None => break,
        }
    }
    if i >= words.len() {
        return match alone {
            Alone::Plain => Kind::Plain,
            Alone::Shell => Kind::opaque(format!("{label} starts an interactive shell")),
        };
    }
    Kind::Wrap {
        split: i,
        label: label.to_owned(),
        inner: words[i..].to_vec(),
        assignments,
        more_args: false,
    }
}

/// `NAME=value` as an argument: the name must be known text.
pub(crate) fn split_assignment(word: &Word) -> Option<(String, Word)> {
    let (prefix, _) = literal_prefix(word);
    let (name, _) = prefix.split_once('=')?;
    let valid = !name.is_empty()
        && !name.starts_with(|c: char| c.is_ascii_digit())
        && name.chars().all(|c| c.is_ascii_alphanumeric() || c == '_');
    if !valid {
        return None;
    }
    let mut pieces = word.pieces.clone();
    if let Some(Piece::Text(text)) = pieces.first_mut() {
        text.drain(..=name.len());
        if text.is_empty() {
            pieces.remove(0);
        }
    }
    if pieces.is_empty() {
        pieces.push(Piece::Text(String::new()));
    }
    let text = word.text.split_once('=').map_or_else(String::new, |(_, v)| v.to_owned());
    Some((name.to_owned(), Word { pieces, text }))
}

const ENV: OptSpec = OptSpec {
    flags: "0iv",
    valued: "uCSP",
    optional: "",
    long_flags: &["ignore-environment", "null", "debug", "list-signal-handling"],
    long_valued: &["unset", "chdir", "split-string"],
    long_optional: &["default-signal", "ignore-signal", "block-signal"],
    numbers: false,
};

fn env(words: &[Word]) -> Kind {
    // `env -` is `env -i`.
    let mut start = 1;
    while words.get(start).and_then(Word::as_literal).as_deref() == Some("-") {
        start += 1;
    }
    let scan = match optscan::scan(words, start, &ENV) {
        Ok(scan) => scan,
        Err(why) => return Kind::Opaque(why),
    };
    let mut i = scan.next;
    while words.get(i).and_then(Word::as_literal).as_deref() == Some("-") {
        i += 1;
    }
    let Some(split) = scan.value(&["S", "split-string"]) else {
        return with_assignments(words, i, "env", Alone::Plain);
    };
    let Some(text) = split.as_literal() else {
        return Kind::opaque("env -S string is only known at run time");
    };
    let Some(mut inner) = split_string(&text) else {
        return Kind::opaque("env -S string uses syntax gate does not follow");
    };
    inner.extend_from_slice(&words[i..]);
    let mut assignments = Vec::new();
    while let Some(pair) = inner.first().and_then(split_assignment) {
        assignments.push(pair);
        inner.remove(0);
    }
    if inner.is_empty() {
        return Kind::Plain;
    }
    Kind::Wrap { split: i, label: "env".into(), inner, assignments, more_args: false }
}

/// Splits an `env -S` string as env does: blanks separate, quotes group, `${NAME}` expands.
fn split_string(text: &str) -> Option<Vec<Word>> {
    let mut out = Vec::new();
    let mut pieces: Vec<Piece> = Vec::new();
    let mut raw = String::new();
    let mut started = false;
    let mut chars = text.chars().peekable();
    let push_char = |pieces: &mut Vec<Piece>, c: char| match pieces.last_mut() {
        Some(Piece::Text(t)) => t.push(c),
        _ => pieces.push(Piece::Text(c.to_string())),
    };
    let mut quote: Option<char> = None;
    while let Some(c) = chars.next() {
        if quote.is_none() && (c == ' ' || c == '\t' || c == '\n') {
            if started {
                out.push(Word { pieces: std::mem::take(&mut pieces), text: std::mem::take(&mut raw) });
                started = false;
            }
            continue;
        }
        if quote.is_none() && c == '#' && !started {
            break;
        }
        started = true;
        raw.push(c);
        match (quote, c) {
            (None, '\'' | '"') => quote = Some(c),
            (Some(q), _) if c == q => quote = None,
            (Some('\''), _) => push_char(&mut pieces, c),
            (_, '$') => {
                if chars.next() != Some('{') {
                    return None;
                }
                for c in chars.by_ref() {
                    if c == '}' {
                        break;
                    }
                }
                pieces.push(Piece::Any);
            }
            (_, '\\') => {
                let e = chars.next()?;
                raw.push(e);
                match e {
                    'c' if quote.is_none() => break,
                    '_' => push_char(&mut pieces, ' '),
                    'n' => push_char(&mut pieces, '\n'),
                    't' => push_char(&mut pieces, '\t'),
                    'r' => push_char(&mut pieces, '\r'),
                    'f' => push_char(&mut pieces, '\u{c}'),
                    'v' => push_char(&mut pieces, '\u{b}'),
                    '\\' | '"' | '\'' | '$' | '#' => push_char(&mut pieces, e),
                    _ => return None,
                }
            }
            _ => push_char(&mut pieces, c),
        }
    }
    if quote.is_some() {
        return None;
    }
    if started {
        if pieces.is_empty() {
            pieces.push(Piece::Text(String::new()));
        }
        out.push(Word { pieces, text: raw });
    }
    Some(out)
}

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

fn xargs(words: &[Word]) -> Kind {
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

fn find(words: &[Word]) -> Kind {
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

fn watch(words: &[Word]) -> Kind {
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
    Kind::Script { label: "watch".into(), source: Source::Joined(words[scan.next..].to_vec()) }
}

fn flock(words: &[Word]) -> Kind {
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
            Some(script) => Kind::Script { label: "flock -c".into(), source: Source::Word(script.clone()) },
            None => Kind::Plain,
        },
        _ => Kind::wrap(words, split, "flock"),
    }
}

/// `su` and `runuser`: options may follow the user; `-c` gives a script, else a shell starts
/// (`runuser -u USER CMD` runs a command directly).
fn su(words: &[Word], runuser: bool) -> Kind {
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
        Some(script) => Kind::Script { label: format!("{name} -c"), source: Source::Word(script) },
        None => Kind::opaque(format!("{name} starts an interactive shell")),
    }
}

fn command(words: &[Word]) -> Kind {
    let scan = match optscan::scan(words, 1, &spec("pvV", "")) {
        Ok(scan) => scan,
        Err(why) => return Kind::Opaque(why),
    };
    // `command -v NAME` only looks the name up.
    if scan.has(&["v", "V"]) || scan.next >= words.len() {
        return Kind::Plain;
    }
    Kind::wrap(words, scan.next, "command")
}

fn busybox(words: &[Word]) -> Kind {
    match words.get(1).and_then(Word::as_literal) {
        Some(applet) if !applet.starts_with('-') => Kind::wrap(words, 1, "busybox"),
        Some(_) => Kind::Plain,
        None if words.len() > 1 => Kind::opaque("busybox applet is only known at run time"),
        None => Kind::Plain,
    }
}
