//! Programs that run code given as text: shells (`bash -c SCRIPT`, whose script gate parses in
//! turn) and other interpreters (`python -c`, `node -e`, `awk '{system(..)}'`), whose code gate
//! cannot judge and so reports as opaque. Running a script file is an ordinary command.

use super::kind::{Kind, Shell, Source};
use super::types::Word;

/// Shells whose scripts are bash-compatible enough to be parsed.
const SHELLS: &[&str] = &["sh", "bash", "zsh", "dash", "ksh", "mksh", "ash", "yash", "lksh", "posh", "rbash"];

/// The shell that runs a new shell's script, from the script's label (`bash -c`, `dash`): a
/// shell's own name, else `sh` (what `watch`, `su -c` and the like hand scripts to).
pub(crate) fn shell_of(label: &str) -> &str {
    let name = label.split(' ').next().unwrap_or("");
    if SHELLS.contains(&name) { name } else { "sh" }
}

/// Shells with another language: their code is never seen.
const OTHER_SHELLS: &[&str] =
    &["fish", "csh", "tcsh", "pwsh", "powershell", "nu", "xonsh", "elvish", "rc", "es", "ion"];

/// Sees `words` as an interpreter run, when its program (base name `name`) is one.
pub(crate) fn classify(name: &str, words: &[Word]) -> Option<Kind> {
    if SHELLS.contains(&name) {
        return Some(shell(name, words));
    }
    if OTHER_SHELLS.contains(&name) {
        return Some(Kind::opaque(format!("{name} runs code in a language gate does not parse")));
    }
    let kind = match family(name)? {
        Family::Python => python(name, words),
        Family::Node => node(name, words),
        Family::Perl => letters(name, words, "eE", "IMmxdDCil0"),
        Family::Ruby => letters(name, words, "e", "rIECFWTx"),
        Family::Php => php(name, words),
        Family::Lua => letters(name, words, "e", "l"),
        Family::OsaScript => letters(name, words, "e", "ls"),
        Family::Rscript => letters(name, words, "e", ""),
        Family::Awk => awk(name, words),
        Family::Deno => match words.get(1).and_then(Word::as_literal).as_deref() {
            Some("eval" | "repl") | None => Kind::opaque(format!("{name} runs code given inline")),
            _ => Kind::Plain,
        },
    };
    Some(kind)
}

enum Family {
    Python,
    Node,
    Perl,
    Ruby,
    Php,
    Lua,
    OsaScript,
    Rscript,
    Awk,
    Deno,
}

/// `python3.11` is `python`: a known stem followed by a version.
fn family(name: &str) -> Option<Family> {
    let versioned = |stem: &str| {
        name.strip_prefix(stem).is_some_and(|v| v.chars().all(|c| c.is_ascii_digit() || c == '.'))
    };
    let family = if versioned("python") || versioned("pypy") {
        Family::Python
    } else if matches!(name, "node" | "nodejs" | "bun") {
        Family::Node
    } else if versioned("perl") {
        Family::Perl
    } else if versioned("ruby") {
        Family::Ruby
    } else if versioned("php") {
        Family::Php
    } else if versioned("lua") || versioned("luajit") {
        Family::Lua
    } else if name == "osascript" {
        Family::OsaScript
    } else if matches!(name, "Rscript" | "R" | "julia") {
        Family::Rscript
    } else if matches!(name, "awk" | "gawk" | "mawk" | "nawk" | "busybox-awk") {
        Family::Awk
    } else if name == "deno" {
        Family::Deno
    } else {
        return None;
    };
    Some(family)
}

/// Options that only print information, so no code is read from standard input.
/// The argument at `i` of an interpreter, as far as every interpreter reads it alike.
enum Leading {
    /// The kind is known: a run-time word, `--version`, or `--` followed by a script or not.
    Decided(Kind),
    /// `-`: the code comes from standard input.
    Stdin,
    /// Something the interpreter's own option scan must look at.
    Option(String),
}

fn leading(name: &str, words: &[Word], i: usize, word: &Word) -> Leading {
    let Some(text) = word.as_literal() else {
        return Leading::Decided(Kind::opaque(format!(
            "{name} argument {} is only known at run time",
            word.text
        )));
    };
    if informational(&text) {
        return Leading::Decided(Kind::Plain);
    }
    match text.as_str() {
        "-" => Leading::Stdin,
        "--" => Leading::Decided(if words.len() > i + 1 { Kind::Plain } else { stdin(name) }),
        _ => Leading::Option(text),
    }
}

fn informational(word: &str) -> bool {
    matches!(word, "-V" | "-v" | "--version" | "-h" | "--help" | "-version")
}

fn shell(name: &str, words: &[Word]) -> Kind {
    let mut has_c = false;
    let mut reads_stdin = false;
    let mut info = false;
    let mut interactive = false;
    let mut i = 1;
    while i < words.len() {
        let word = &words[i];
        // A run-time word here is the script or a script file, either way unseen.
        let Some(text) = word.as_literal() else {
            break;
        };
        if text == "--" || text == "-" {
            i += 1;
            break;
        }
        if let Some(long) = text.strip_prefix("--") {
            match long {
                "rcfile" | "init-file" => {
                    return Kind::opaque(format!("{name} --{long} runs a startup file first"));
                }
                "version" | "help" => info = true,
                _ => {}
            }
            i += 1;
            continue;
        }
        let Some(cluster) = text.strip_prefix(['-', '+']) else {
            break;
        };
        // An interactive shell first runs startup files (~/.bashrc, $ENV) gate cannot see.
        interactive |= text.starts_with('-') && cluster.contains('i');
        for c in cluster.chars() {
            match c {
                'c' => has_c = true,
                's' => reads_stdin = true,
                // `-o OPTION`, `-O SHOPT` take the next word.
                'o' | 'O' => i += 1,
                _ => {}
            }
        }
        i += 1;
    }
    if interactive && !info {
        return Kind::opaque(format!("{name} -i runs startup files first"));
    }
    if has_c {
        return match words.get(i) {
            Some(script) => Kind::Script {
                label: format!("{name} -c"),
                source: Source::Word(script.clone()),
                shell: Shell::New,
            },
            None => Kind::opaque(format!("{name} -c without a script")),
        };
    }
    if i < words.len() && !reads_stdin {
        return Kind::opaque(format!("{name} runs the script file {}", words[i].text));
    }
    if info {
        return Kind::Plain;
    }
    Kind::Script { label: name.to_owned(), source: Source::Stdin, shell: Shell::New }
}

fn python(name: &str, words: &[Word]) -> Kind {
    let mut i = 1;
    while let Some(word) = words.get(i) {
        let Some(text) = word.as_literal() else {
            return Kind::opaque(format!("{name} argument {} is only known at run time", word.text));
        };
        if text == "-" {
            break;
        }
        if text == "--" {
            return if words.len() > i + 1 { Kind::Plain } else { stdin(name) };
        }
        if informational(&text) {
            return Kind::Plain;
        }
        if let Some(long) = text.strip_prefix("--") {
            if long == "check-hash-based-pycs" {
                i += 1;
            }
            i += 1;
            continue;
        }
        let Some(cluster) = text.strip_prefix('-') else {
            return Kind::Plain; // a script file
        };
        for (pos, c) in cluster.char_indices() {
            match c {
                'c' => return Kind::opaque(format!("{name} -c runs code given inline")),
                'm' => return Kind::Plain, // a module, like a script file
                'W' | 'X' => {
                    if pos + 1 == cluster.len() {
                        i += 1;
                    }
                    break;
                }
                _ => {}
            }
        }
        i += 1;
    }
    stdin(name)
}

fn stdin(name: &str) -> Kind {
    Kind::opaque(format!("{name} reads code from standard input"))
}

fn node(name: &str, words: &[Word]) -> Kind {
    let mut i = 1;
    while let Some(word) = words.get(i) {
        let text = match leading(name, words, i, word) {
            Leading::Decided(kind) => return kind,
            Leading::Stdin => break,
            Leading::Option(text) => text,
        };
        if let Some(long) = text.strip_prefix("--") {
            let long = long.split('=').next().unwrap_or(long);
            match long {
                "eval" | "print" => {
                    return Kind::opaque(format!("{name} --{long} runs code given inline"));
                }
                "interactive" => return stdin(name),
                "require" | "import" | "loader" | "experimental-loader" | "input-type"
                    if !text.contains('=') =>
                {
                    i += 1;
                }
                _ => {}
            }
            i += 1;
            continue;
        }
        let Some(cluster) = text.strip_prefix('-') else {
            return Kind::Plain; // a script file, or a bun subcommand
        };
        if cluster.contains(['e', 'p']) {
            return Kind::opaque(format!("{name} -{cluster} runs code given inline"));
        }
        if cluster.contains('i') {
            return stdin(name);
        }
        if cluster.ends_with('r') {
            i += 1;
        }
        i += 1;
    }
    stdin(name)
}

/// Interpreters where code comes with short options `code` (`perl -e`, `ruby -ne`), which may
/// sit in clusters; `attached` options take the rest of their cluster.
fn letters(name: &str, words: &[Word], code: &str, attached: &str) -> Kind {
    let mut i = 1;
    while let Some(word) = words.get(i) {
        let text = match leading(name, words, i, word) {
            Leading::Decided(kind) => return kind,
            Leading::Stdin => break,
            Leading::Option(text) => text,
        };
        if text.starts_with("--") {
            i += 1;
            continue;
        }
        let Some(cluster) = text.strip_prefix('-') else {
            return Kind::Plain; // a script file
        };
        // Over-approximate: any code letter in the cluster is taken as code.
        if cluster.contains(|c| code.contains(c)) {
            return Kind::opaque(format!("{name} -{cluster} runs code given inline"));
        }
        // An option that takes a value, alone in its word, takes the next word.
        if cluster.len() == 1
            && attached.contains(cluster)
            && !matches!(cluster, "i" | "l" | "0" | "d" | "D" | "x" | "C")
        {
            i += 1;
        }
        i += 1;
    }
    stdin(name)
}

fn php(name: &str, words: &[Word]) -> Kind {
    let mut i = 1;
    while let Some(word) = words.get(i) {
        let Some(text) = word.as_literal() else {
            return Kind::opaque(format!("{name} argument {} is only known at run time", word.text));
        };
        match text.as_str() {
            "-r" | "-R" | "-B" | "-E" | "--run" | "--process-code" | "--process-begin" | "--process-end" => {
                return Kind::opaque(format!("{name} {text} runs code given inline"));
            }
            "-a" | "--interactive" | "-" => return stdin(name),
            "-v" | "--version" | "-h" | "--help" | "-m" | "--modules" | "-i" | "--info" => {
                return Kind::Plain;
            }
            "-f" | "--file" => return Kind::Plain,
            "-c" | "-d" | "-z" | "-t" | "-S" | "-F" | "--php-ini" | "--define" | "--zend-extension" => i += 2,
            t if t.starts_with('-') => i += 1,
            _ => return Kind::Plain,
        }
    }
    stdin(name)
}

/// awk: a plain program is an ordinary command; one that can start commands (`system(..)`,
/// pipes to or from commands) is opaque. Any argument with those is taken as program text.
fn awk(name: &str, words: &[Word]) -> Kind {
    let mut program_file = false;
    let mut i = 1;
    let mut program_seen = false;
    while let Some(word) = words.get(i) {
        let Some(text) = word.as_literal() else {
            if !program_seen && !program_file {
                return Kind::opaque(format!("{name} program is only known at run time"));
            }
            i += 1;
            continue;
        };
        let separator = text.starts_with("-F") || text.starts_with("--field-separator=");
        if !separator && (text.contains("system") || text.contains('|')) {
            return Kind::opaque(format!("{name} program can run commands"));
        }
        if !program_seen && !program_file {
            match text.as_str() {
                "-f" | "--file" | "-E" | "--exec" => {
                    program_file = true;
                    i += 1;
                }
                "-F" | "-v" | "--assign" | "--field-separator" | "-W" | "-i" | "--include" | "-l"
                | "--load" => i += 1,
                "--" => {}
                t if t.starts_with("-f") && t.len() > 2 => program_file = true,
                t if t.starts_with('-') && t.len() > 1 => {}
                _ => program_seen = true,
            }
        }
        i += 1;
    }
    Kind::Plain
}
