//! Run-time text where bash evaluates it. bash's arithmetic (`$((..))`, `((..))`, `let`, the
//! operands of `[[ A -eq B ]]`, array subscripts, `${s:OFF:LEN}`, values of `declare -i`
//! variables) evaluates a variable's *value* as an expression in turn, and expands the array
//! subscripts in it, command substitutions included: after `x=$(cat f)`, `echo $((x))` runs
//! whatever `a[$(…)]` the file holds. `${!x}` does the same with the name `x` holds. So text not
//! known before the line runs must not reach these places; a value the line set to known text is
//! followed (it is evaluated in turn), one that is a number by construction (`$((..))`, `${#x}`,
//! `i++`, a `for` over numbers) is fine, and one from gate's own environment is as known as the
//! environment gate judges in.

use super::types::Word;
use super::words;
use brush_parser::word::{self, WordPiece};

/// How far known values that name other variables are followed, and how many are followed in
/// all for one text (values can name each other many times over: `a2=a1+a1+…`).
const MAX_FOLLOW: usize = 8;
const MAX_STEPS: usize = 4_096;

/// What gate knows of a variable's value before the line runs.
pub(crate) enum Value {
    /// Text the line set it to.
    Known(String),
    /// A number, whatever it is.
    Number,
    /// Only known at run time.
    RunTime,
    /// Not set by the line: from gate's environment, or unset.
    Outside,
}

/// Variables bash sets to text the line does not control before it runs (the directory moved
/// to, the last argument, what `read` and `=~` found).
const RUN_TIME_NAMES: &[&str] = &[
    "_",
    "PWD",
    "OLDPWD",
    "DIRSTACK",
    "REPLY",
    "MAPFILE",
    "BASH_REMATCH",
    "BASH_COMMAND",
    "BASH_ARGV",
    "BASH_ARGV0",
    "BASH_SOURCE",
    "FUNCNAME",
    "COMP_WORDS",
    "READLINE_LINE",
];

/// The value `numeric` marks: a variable set by arithmetic, so only ever a number.
pub(crate) fn number(name: &str) -> Word {
    Word::unknown(format!("$(({name}))"))
}

/// True when a value, as written, can only be a number: arithmetic expansions, `${#x}`, digits.
pub(crate) fn is_number(value: &Word) -> bool {
    if value.as_literal().is_some_and(|t| !t.is_empty() && t.bytes().all(|b| b.is_ascii_digit() || b == b'-'))
    {
        return true;
    }
    let Ok(pieces) = word::parse(&value.text, words::options()) else { return false };
    let numeric = |p: &word::WordPieceWithSource| match &p.piece {
        WordPiece::ArithmeticExpression(_) => true,
        WordPiece::CommandSubstitution(script) => prints_a_number(script),
        WordPiece::Text(t) => t.bytes().all(|b| b.is_ascii_digit() || b == b'-'),
        WordPiece::ParameterExpansion(_) => {
            let source = value.text.get(p.start_index..p.end_index).unwrap_or("");
            source.starts_with("${#") || matches!(source, "$#" | "$?" | "$$" | "$!" | "$RANDOM" | "$SECONDS")
        }
        _ => false,
    };
    !pieces.is_empty()
        && pieces.iter().all(|p| match &p.piece {
            WordPiece::DoubleQuotedSequence(inner) => inner.iter().all(numeric),
            _ => numeric(p),
        })
}

/// The value of a variable as `lookup` sees it, seen through bash's own run-time names.
/// `positional` is whether `$1`…, `$@`, `$0` are only known at run time here (inside a function
/// or a script with arguments); at the top of a line they are empty.
pub(crate) struct Scope<'s> {
    pub(crate) lookup: &'s dyn Fn(&str) -> Value,
    pub(crate) positional: bool,
    /// Values followed so far.
    pub(crate) steps: std::cell::Cell<usize>,
}

impl Scope<'_> {
    fn value(&self, name: &str) -> Value {
        if name.bytes().all(|b| b.is_ascii_digit()) || matches!(name, "@" | "*") {
            return if self.positional { Value::RunTime } else { Value::Outside };
        }
        if matches!(name, "#" | "?" | "$" | "!" | "-" | "RANDOM" | "SECONDS" | "LINENO" | "BASHPID") {
            return Value::Number;
        }
        match (self.lookup)(name) {
            Value::Outside if RUN_TIME_NAMES.contains(&name) => Value::RunTime,
            value => value,
        }
    }

    /// What in `text`, evaluated as arithmetic, is only known at run time; `None` when nothing.
    pub(crate) fn run_time_in(&self, text: &str) -> Option<String> {
        self.scan(text, 0)
    }

    /// Whether the name `name`'s value is only known at run time, where it will be used as a
    /// variable name (`${!name}`): its subscript would be evaluated.
    pub(crate) fn indirect(&self, name: &str) -> Option<String> {
        self.follow(name, 0)
    }

    fn follow(&self, name: &str, depth: usize) -> Option<String> {
        self.steps.set(self.steps.get() + 1);
        if self.steps.get() > MAX_STEPS {
            return Some(format!("${name}, one of values that name too many others to follow,"));
        }
        match self.value(name) {
            Value::Number | Value::Outside => None,
            Value::RunTime => Some(format!("${name}")),
            Value::Known(_) if depth >= MAX_FOLLOW => {
                Some(format!("${name}, at the end of values that name others too deeply to follow,"))
            }
            Value::Known(text) => self.scan(&text, depth + 1),
        }
    }

    fn scan(&self, text: &str, depth: usize) -> Option<String> {
        let bytes = text.as_bytes();
        let is_name = |b: u8| b.is_ascii_alphanumeric() || b == b'_';
        let mut i = 0;
        while i < bytes.len() {
            let b = bytes[i];
            match b {
                b'`' => return Some("the output of a command".into()),
                b'$' => match bytes.get(i + 1) {
                    Some(b'(') if bytes.get(i + 2) == Some(&b'(') => i += 1,
                    Some(b'(') => match closing(bytes, i + 1, b'(', b')') {
                        Some(end) if prints_a_number(&text[i + 2..end]) => i = end + 1,
                        _ => return Some("the output of a command".into()),
                    },
                    Some(b'[') => i += 1,
                    Some(b'{') => {
                        let Some(end) = closing_brace(bytes, i + 1) else {
                            return Some(format!("`{text}`, which gate cannot take apart"));
                        };
                        let inner = &text[i + 2..end];
                        if let Some(found) = self.braced(inner, depth) {
                            return Some(found);
                        }
                        i = end + 1;
                    }
                    Some(&c) if is_name(c) && !c.is_ascii_digit() => {
                        let start = i + 1;
                        let mut j = start;
                        while j < bytes.len() && is_name(bytes[j]) {
                            j += 1;
                        }
                        if let Some(found) = self.follow(&text[start..j], depth) {
                            return Some(found);
                        }
                        i = j;
                    }
                    Some(&c) => {
                        if let Some(found) = self.follow(&(c as char).to_string(), depth) {
                            return Some(found);
                        }
                        i += 2;
                    }
                    None => i += 1,
                },
                // A number, in any base (`0x1f`, `2#101`, `64#_a`): not a name.
                b'0'..=b'9' => {
                    while i < bytes.len() && (is_name(bytes[i]) || matches!(bytes[i], b'#' | b'@')) {
                        i += 1;
                    }
                }
                c if is_name(c) => {
                    let start = i;
                    while i < bytes.len() && is_name(bytes[i]) {
                        i += 1;
                    }
                    if let Some(found) = self.follow(&text[start..i], depth) {
                        return Some(found);
                    }
                }
                _ => i += 1,
            }
        }
        None
    }

    /// The inside of a `${..}` met in arithmetic text.
    fn braced(&self, inner: &str, depth: usize) -> Option<String> {
        let parts = Braced::split(inner);
        if parts.length {
            return parts.subscript.and_then(|s| self.scan(s, depth));
        }
        if parts.indirect {
            return Some(format!("${{{inner}}}"));
        }
        self.follow(parts.name, depth)
            .or_else(|| parts.subscript.and_then(|s| self.scan(s, depth)))
            .or_else(|| self.scan(parts.rest, depth))
    }
}

/// A `${..}` taken apart (given without `${` and `}`).
#[derive(Debug, PartialEq, Eq)]
pub(crate) struct Braced<'t> {
    /// `${!x}`: the value of `x` is used as a name.
    pub(crate) indirect: bool,
    /// `${#x}`: the length.
    pub(crate) length: bool,
    pub(crate) name: &'t str,
    /// The text between `[` and `]` after the name.
    pub(crate) subscript: Option<&'t str>,
    /// The operator and its words (`:-x`, `:2:3`, `/a/b`).
    pub(crate) rest: &'t str,
}

impl<'t> Braced<'t> {
    pub(crate) fn split(inner: &'t str) -> Braced<'t> {
        let mut text = inner;
        let mut indirect = false;
        let mut length = false;
        if text.len() > 1 && text.starts_with('!') {
            indirect = true;
            text = &text[1..];
        } else if text.len() > 1 && text.starts_with('#') {
            length = true;
            text = &text[1..];
        }
        let end = match text.as_bytes().first() {
            Some(b) if b.is_ascii_digit() => text.bytes().take_while(u8::is_ascii_digit).count(),
            Some(b'@' | b'*' | b'#' | b'?' | b'-' | b'$' | b'!') => 1,
            _ => text.bytes().take_while(|b| b.is_ascii_alphanumeric() || *b == b'_').count(),
        };
        let name = &text[..end];
        let mut rest = &text[end..];
        let mut subscript = None;
        if rest.starts_with('[')
            && let Some(close) = closing(rest.as_bytes(), 0, b'[', b']')
        {
            subscript = Some(&rest[1..close]);
            rest = &rest[close + 1..];
        }
        Braced { indirect, length, name, subscript, rest }
    }

    /// The text bash evaluates as arithmetic in this expansion: a subscript (not `@` or `*`),
    /// and the offset and length of `${x:OFF:LEN}`.
    pub(crate) fn arithmetic(&self) -> Vec<&'t str> {
        let mut out = Vec::new();
        if let Some(sub) = self.subscript.filter(|s| !matches!(*s, "@" | "*")) {
            out.push(sub);
        }
        if let Some(offsets) = self.rest.strip_prefix(':')
            && !offsets.starts_with(['-', '=', '?', '+'])
        {
            out.push(offsets);
        }
        out
    }

    /// Whether the expansion reads the variable whose name is the value of `name` (`${!x}`,
    /// `${!x[0]}`), rather than listing names or keys (`${!pre*}`, `${!a[@]}`).
    pub(crate) fn is_indirection(&self) -> bool {
        self.indirect
            && !matches!(self.rest, "*" | "@")
            && !matches!(self.subscript, Some("@" | "*"))
            && !self.name.is_empty()
    }
}

/// The subscripts (`[..]`) in a word like `a[$i]=1`, `a[i]`, `a=([k]=v)`: where an argument
/// of `declare`, `unset` or `test -v` names an array element.
pub(crate) fn subscripts(text: &str) -> Vec<&str> {
    let bytes = text.as_bytes();
    let mut out = Vec::new();
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'['
            && let Some(close) = closing(bytes, i, b'[', b']')
        {
            out.push(&text[i + 1..close]);
            i = close + 1;
        } else {
            i += 1;
        }
    }
    out
}

fn closing_brace(bytes: &[u8], open: usize) -> Option<usize> {
    closing(bytes, open, b'{', b'}')
}

/// The index of the `close` that matches the `open` at `start`.
fn closing(bytes: &[u8], start: usize, open: u8, close: u8) -> Option<usize> {
    let mut depth = 0usize;
    for (j, &b) in bytes.iter().enumerate().skip(start) {
        if b == open {
            depth += 1;
        } else if b == close {
            depth = depth.saturating_sub(1);
            if depth == 0 {
                return Some(j);
            }
        }
    }
    None
}

/// True when a command substitution's script can only print a number: a count read from
/// standard input (`wc -l < f`, `… | wc -l`, `grep -c PATTERN`), `date +%s`, `nproc`, `id -u`.
/// (With file operands, `wc` and `grep -c` print the file names too, which could be anything.)
pub(crate) fn prints_a_number(script: &str) -> bool {
    // One pipeline: what it prints is what its last command prints (the rest is walked as code
    // of its own). A `>` could send an error message that names a file to the output.
    if script.contains([';', '&', '\n', '(', ')', '`', '>']) || script.contains("||") {
        return false;
    }
    let last = script.rsplit('|').next().unwrap_or(script);
    // Standard input from a file, whatever its name: only the count is printed.
    let command = last.split('<').next().unwrap_or(last);
    if command.contains(['$', '\'', '"', '\\']) {
        return false;
    }
    let words: Vec<&str> = command.split_whitespace().collect();
    let counts = |options: &[&str]| words[1..].iter().all(|w| w.starts_with('-') && options.contains(w));
    match words.as_slice() {
        ["wc", ..] => words.len() > 1 && counts(&["-l", "-c", "-w", "-m", "-L"]),
        ["grep" | "egrep" | "fgrep", .., pattern] => {
            !pattern.starts_with('-')
                && words[1..words.len() - 1]
                    .iter()
                    .all(|w| matches!(*w, "-c" | "-i" | "-v" | "-E" | "-F" | "-w" | "-x"))
                && words.contains(&"-c")
        }
        ["date", "+%s"] | ["nproc"] | ["id", "-u" | "-g"] => true,
        _ => false,
    }
}

/// True when a `for` loop's values are all integers (`1 2 3`, `{1..10}`) or the keys of an
/// indexed array (`"${!a[@]}"`); `associative` tells the arrays the line declared with `-A`,
/// whose keys are any text.
pub(crate) fn numbers_only(values: &[Word], associative: &dyn Fn(&str) -> bool) -> bool {
    !values.is_empty()
        && values.iter().all(|value| {
            let text = value.text.as_str();
            let integer = |t: &str| {
                let t = t.strip_prefix('-').unwrap_or(t);
                !t.is_empty() && t.bytes().all(|b| b.is_ascii_digit())
            };
            let range = text.strip_prefix('{').and_then(|t| t.strip_suffix('}')).is_some_and(|t| {
                let parts: Vec<&str> = t.split("..").collect();
                (2..=3).contains(&parts.len()) && parts.iter().all(|p| integer(p))
            });
            let unquoted = text.strip_prefix('"').and_then(|t| t.strip_suffix('"')).unwrap_or(text);
            let keys = unquoted
                .strip_prefix("${!")
                .and_then(|t| t.strip_suffix("[@]}").or_else(|| t.strip_suffix("[*]}")))
                .is_some_and(|name| {
                    !name.is_empty()
                        && name.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'_')
                        && !associative(name)
                });
            integer(text) || range || keys
        })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn scope_run(text: &str) -> Option<String> {
        let lookup = |name: &str| match name {
            "known" => Value::Known("3".into()),
            "chain" => Value::Known("known + 1".into()),
            "bad" => Value::Known("a[late]".into()),
            "late" | "read" => Value::RunTime,
            "n" => Value::Number,
            "loop" => Value::Known("loop".into()),
            _ => Value::Outside,
        };
        Scope { lookup: &lookup, positional: true, steps: Default::default() }.run_time_in(text)
    }

    #[test]
    fn run_time_text_in_arithmetic() {
        let cases: &[(&str, bool)] = &[
            ("1 + 2", false),
            ("known + 1", false),
            ("$known * 2", false),
            ("chain", false),
            ("n++", false),
            ("HOME", false),
            ("0x1f + 2#101 + 64#zz", false),
            ("late", true),
            ("$late", true),
            ("${late}", true),
            ("${#late}", false),
            ("${late:-1}", true),
            ("bad", true),
            ("a[late]", true),
            ("a[read] + 1", true),
            ("$(cat f)", true),
            ("`cat f`", true),
            ("$((known + 1))", false),
            ("$((late))", true),
            ("$1 + 1", true),
            ("$# + $?", false),
            ("PWD", true),
            ("_", true),
            ("10#$late", true),
            ("${!known}", true),
            ("loop", true),
            ("\"$known\" + 1", false),
        ];
        for (text, want) in cases {
            assert_eq!(scope_run(text).is_some(), *want, "{text}");
        }
    }

    #[test]
    fn braced_parts() {
        let b = Braced::split("a[$i]:1:2");
        assert_eq!((b.name, b.subscript, b.rest), ("a", Some("$i"), ":1:2"));
        assert_eq!(b.arithmetic(), vec!["$i", "1:2"]);
        assert!(Braced::split("!x").is_indirection());
        assert!(Braced::split("!x[0]").is_indirection());
        assert!(!Braced::split("!a[@]").is_indirection());
        assert!(!Braced::split("!pre*").is_indirection());
        assert!(!Braced::split("x").is_indirection());
        assert!(Braced::split("x:-1").arithmetic().is_empty());
        assert!(Braced::split("a[@]").arithmetic().is_empty());
        assert_eq!(Braced::split("@:x").arithmetic(), vec!["x"]);
        assert_eq!(Braced::split("#a[k]").subscript, Some("k"));
    }

    fn numbers_only_(values: &[Word]) -> bool {
        numbers_only(values, &|name| name == "assoc")
    }

    #[test]
    fn numbers() {
        let yes = ["$((i+1))", "${#x}", "42", "\"$((n*2))\"", "$#", "-3"];
        let no = ["$x", "$(wc -l f)", "$(cat f)", "abc", "${x:-1}", ""];
        for text in yes {
            assert!(is_number(&Word::unknown(text)), "{text}");
        }
        for text in no {
            assert!(!is_number(&Word::unknown(text)), "{text}");
        }
        let words = |t: &str| t.split(' ').map(Word::literal).collect::<Vec<_>>();
        assert!(numbers_only_(&words("1 2 3")));
        assert!(numbers_only_(&words("{1..10}")));
        assert!(!numbers_only_(&words("a b")));
        assert!(!numbers_only_(&words("$(seq 3)")));
        assert!(numbers_only_(&[Word::unknown("\"${!arr[@]}\"")]));
        assert!(!numbers_only_(&[Word::unknown("\"${arr[@]}\"")]));
        assert!(!numbers_only_(&[Word::unknown("\"${!assoc[@]}\"")]));
        let printing = [
            "wc -l",
            "cat f | wc -l",
            "wc -l < f",
            "grep -c x",
            "git ls-files | grep -c -i x",
            "date +%s",
            "nproc",
            "wc -l < \"$f\"",
            "git ls-files \"$d\" | wc -l",
        ];
        for script in printing {
            assert!(prints_a_number(script), "{script}");
        }
        let other = [
            "wc -l f",
            "cat f",
            "grep -c x f",
            "wc -l $f",
            "date",
            "echo 1; cat f",
            "wc -l >(cat)",
            "grep -c",
            "wc -l 2>&1 < \"$f\"",
            "wc -l || cat f",
            "wc -l\ncat f",
        ];
        for script in other {
            assert!(!prints_a_number(script), "{script}");
        }
        assert_eq!(subscripts("a[$i]=([k]=v)"), vec!["$i", "k"]);
    }
}
