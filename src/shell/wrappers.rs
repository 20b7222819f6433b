//! Wrappers seen through: programs that run the command given by their remaining arguments
//! (`sudo`, `env`, `timeout`, `nice`…; those with their own syntax are in `runners`). Each knows
//! its options; an option it does not know makes the command opaque rather than guessed at.

use super::kind::Kind;
use super::optscan::{self, OptSpec, Scan, is_fixed, literal_prefix};
use super::runners;
use super::types::{Piece, Word};

/// Sees through `words` when its program (base name `name`) is a wrapper; `None` otherwise.
pub(crate) fn classify(name: &str, words: &[Word]) -> Option<Kind> {
    let kind = match name {
        "sudo" => sudo(words),
        "doas" => doas(words),
        "env" => env(words),
        "xargs" => runners::xargs(words),
        "find" => runners::find(words),
        "watch" => runners::watch(words),
        "flock" => runners::flock(words),
        "su" => runners::su(words, false),
        "runuser" => runners::su(words, true),
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

pub(crate) const fn spec(flags: &'static str, valued: &'static str) -> OptSpec {
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
        match split_env_assignment(word) {
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
    split_named(word, |name| {
        !name.starts_with(|c: char| c.is_ascii_digit())
            && name.chars().all(|c| c.is_ascii_alphanumeric() || c == '_')
    })
}

/// `NAME=value` as env and sudo take it: any name, as the environment may hold any
/// (`BASH_FUNC_f%%=() {..}` defines a function in a bash started there).
fn split_env_assignment(word: &Word) -> Option<(String, Word)> {
    split_named(word, |_| true)
}

fn split_named(word: &Word, valid: impl Fn(&str) -> bool) -> Option<(String, Word)> {
    let (prefix, _) = literal_prefix(word);
    let (name, _) = prefix.split_once('=')?;
    if name.is_empty() || !valid(name) {
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

/// Where a wrapper (`words`, its own words only) runs its command, when not where it is:
/// `Some(Some(dir))` for a directory as given (`env -C DIR`, `sudo -D DIR`), `Some(None)` for one
/// gate cannot know (a login shell's home, a new root, `nsenter --wd`).
pub(crate) fn chdir(label: &str, words: &[Word]) -> Option<Option<Word>> {
    match label {
        "env" => {
            let start =
                words.iter().skip(1).take_while(|w| w.as_literal().as_deref() == Some("-")).count() + 1;
            let scan = optscan::scan(words, start, &ENV).ok()?;
            scan.value(&["C", "chdir"]).map(|dir| Some(dir.clone()))
        }
        "sudo" => {
            let scan = optscan::scan(words, 1, &SUDO).ok()?;
            if scan.has(&["i", "login", "R", "chroot"]) {
                return Some(None);
            }
            scan.value(&["D", "chdir"]).map(|dir| Some(dir.clone()))
        }
        "chroot" => Some(None),
        "nsenter" => {
            let moves = words.iter().any(|w| {
                w.as_literal().is_none_or(|t| {
                    t.starts_with("--wd")
                        || t.starts_with("--root")
                        || (t.starts_with('-') && !t.starts_with("--") && t.contains(['w', 'r']))
                })
            });
            moves.then_some(None)
        }
        _ => None,
    }
}

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
    while let Some(pair) = inner.first().and_then(split_env_assignment) {
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
