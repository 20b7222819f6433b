//! What one statement leaves behind for the statements after it in the same shell: the variables
//! it sets (PATH decides which file a program name runs; others may be exported) and whether it
//! moved the working directory. Every command that follows carries these variables as
//! assignments, so the policy judges it under the values it will really see.

use super::types::{Piece, Word};

/// Variables set so far in the shell being walked, in the order set.
#[derive(Clone, Debug, Default)]
pub(crate) struct Vars {
    set: Vec<Var>,
    /// A `cd`, `pushd` or `popd` ran: relative PATH entries no longer mean what they say.
    cwd_moved: bool,
    /// `set -a`: every variable set from now on is exported.
    all_export: bool,
}

#[derive(Clone, Debug)]
struct Var {
    name: String,
    value: Word,
    /// The walker's change count when it was set; see `Walker::changes`.
    at: usize,
    /// Exported (`export`, `declare -x`, `set -a`), so commands get it in their environment.
    exported: bool,
}

impl Vars {
    /// A shell whose variables are exactly these, in the working directory of `parent`.
    pub(crate) fn from_assignments(assignments: &[(String, Word)], parent: &Vars, at: usize) -> Vars {
        let mut vars = Vars { set: Vec::new(), cwd_moved: parent.cwd_moved, all_export: false };
        for (name, value) in assignments {
            vars.set(name, value.clone(), at);
        }
        // A new shell's variables are its environment.
        vars.set.iter_mut().for_each(|var| var.exported = true);
        vars
    }

    /// How many variables are set.
    pub(crate) fn len(&self) -> usize {
        self.set.len()
    }

    pub(crate) fn is_empty(&self) -> bool {
        self.set.is_empty() && !self.cwd_moved
    }

    /// Records `name=value`; false when the variable already had that value. An array element
    /// (`PATH[0]=x`) changes the variable in a way gate does not follow: it becomes unknown.
    pub(crate) fn set(&mut self, name: &str, value: Word, at: usize) -> bool {
        let (name, value) = match name.split_once('[') {
            Some((base, _)) => (base, Word::unknown(value.text)),
            None => (name, value),
        };
        if self.set.iter().any(|var| var.name == name && var.value.pieces == value.pieces) {
            return false;
        }
        // Assigning to an exported variable changes what commands get.
        let exported = self.all_export || self.set.iter().any(|var| var.name == name && var.exported);
        self.set.retain(|var| var.name != name);
        self.set.push(Var { name: name.to_owned(), value, at, exported });
        true
    }

    /// `export NAME`: commands get the variable from now on. A name the shell has not set is
    /// one gate's own environment already exports, with the value the policy sees there.
    pub(crate) fn export(&mut self, name: &str) {
        self.set.iter_mut().filter(|var| var.name == name).for_each(|var| var.exported = true);
    }

    /// The value the shell set `name` to, if it did.
    pub(crate) fn get(&self, name: &str) -> Option<&Word> {
        self.set.iter().find(|var| var.name == name).map(|var| &var.value)
    }

    /// `set -a`.
    pub(crate) fn export_all(&mut self) {
        self.all_export = true;
    }

    pub(crate) fn move_cwd(&mut self) {
        self.cwd_moved = true;
    }

    /// The assignments a command carries: the shell's variables that are not exported, then the
    /// exported ones, then its own (which win, as the policy takes the last of a name); and how
    /// many are the first kind (see `SimpleCommand::shell_only`).
    pub(crate) fn carried(&self, own: Vec<(String, Word)>) -> (Vec<(String, Word)>, usize) {
        if self.is_empty() {
            return (own, 0);
        }
        let mut all = Vec::with_capacity(self.set.len() + own.len());
        let pair = |var: &Var| (var.name.clone(), var.value.clone());
        all.extend(self.set.iter().filter(|var| !var.exported).map(pair));
        let shell_only = all.len();
        all.extend(self.set.iter().filter(|var| var.exported).map(pair));
        all.extend(own);
        if self.cwd_moved {
            for (name, value) in &mut all {
                if name == "PATH" && has_relative_entry(value) {
                    *value = Word::unknown(value.text.clone());
                }
            }
        }
        (all, shell_only)
    }

    /// A copy in which every variable set after change `since` is unknown: the state in which
    /// code set aside then (a trap) may later run.
    pub(crate) fn unsettled_since(&self, since: usize) -> Vars {
        let mut vars = self.clone();
        for var in vars.set.iter_mut().filter(|var| var.at > since) {
            var.value = Word::unknown(var.value.text.clone());
        }
        vars
    }
}

/// True when a PATH value has an entry resolved against the working directory (`.`, `bin`, or
/// an empty entry).
fn has_relative_entry(value: &Word) -> bool {
    let mut at_entry_start = true;
    for piece in &value.pieces {
        match piece {
            Piece::Text(text) => {
                for c in text.chars() {
                    if at_entry_start && c != '/' {
                        return true;
                    }
                    at_entry_start = c == ':';
                }
            }
            _ => at_entry_start = false,
        }
    }
    at_entry_start
}

/// True when text that bash keeps as a value holds code it would run if the value is later
/// evaluated: a command substitution (`$(..)`, backticks, `${ ..; }`) inside quoted text. Such
/// text reaches the shell through arithmetic (`$((x))` evaluates `a[$(..)]`), prompt expansion,
/// `PS4` and name references.
pub(crate) fn holds_code(word: &Word) -> bool {
    word.pieces.iter().any(|piece| match piece {
        Piece::Text(text) => {
            text.contains('`')
                || text.match_indices('$').any(|(i, _)| {
                    let rest = &text.as_bytes()[i + 1..];
                    rest.starts_with(b"(")
                        || rest.starts_with(b"{ ")
                        || rest.starts_with(b"{|")
                        || rest.starts_with(b"{\t")
                        || rest.starts_with(b"{\n")
                })
        }
        _ => false,
    })
}

/// The names an arithmetic expression assigns to: before `=`, `+=`, `<<=`… (a subscript may
/// come between), or beside `++` and `--`. Names inside `$(..)` are not looked at separately;
/// that code is walked on its own.
pub(crate) fn arithmetic_assigns(expr: &str) -> impl Iterator<Item = &str> {
    let bytes = expr.as_bytes();
    let is_name = |b: u8| b.is_ascii_alphanumeric() || b == b'_';
    let mut i = 0;
    std::iter::from_fn(move || {
        while i < bytes.len() {
            if !is_name(bytes[i]) || bytes[i].is_ascii_digit() {
                i += 1;
                continue;
            }
            let start = i;
            while i < bytes.len() && is_name(bytes[i]) {
                i += 1;
            }
            let expanded = start > 0 && bytes[start - 1] == b'$';
            let before = expr[..start].trim_end();
            let stepped = before.ends_with("++") || before.ends_with("--");
            if !expanded && (stepped || assigned_after(&expr[i..])) {
                return Some(&expr[start..i]);
            }
        }
        None
    })
}

/// True when the text after a name assigns to it.
fn assigned_after(rest: &str) -> bool {
    let mut rest = rest.trim_start();
    if rest.starts_with('[') {
        let Some(end) = rest.find(']') else { return true };
        rest = rest[end + 1..].trim_start();
    }
    if rest.starts_with("++") || rest.starts_with("--") {
        return true;
    }
    let op_len = ["<<", ">>", "+", "-", "*", "/", "%", "&", "|", "^", ""]
        .iter()
        .find(|op| rest.starts_with(**op) && rest[op.len()..].starts_with('='))
        .map_or(usize::MAX, |op| op.len());
    op_len != usize::MAX && !rest[op_len + 1..].starts_with('=')
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn relative_path_entries() {
        let cases = [
            ("/usr/bin:/bin", false),
            (".:/usr/bin", true),
            ("/usr/bin:", true),
            ("/usr/bin::/bin", true),
            ("bin:/usr/bin", true),
            ("", true),
        ];
        for (path, want) in cases {
            assert_eq!(has_relative_entry(&Word::literal(path)), want, "{path:?}");
        }
    }

    #[test]
    fn code_in_values() {
        let cases = [
            ("a[$(id)]", true),
            ("a[`id`]", true),
            ("${ id; }", true),
            ("${x}", false),
            ("$x", false),
            ("1+2", false),
            ("cost: $5", false),
        ];
        for (text, want) in cases {
            assert_eq!(holds_code(&Word::literal(text)), want, "{text:?}");
        }
    }

    #[test]
    fn arithmetic_names() {
        let cases: &[(&str, &[&str])] = &[
            ("PATH = 5 + x1", &["PATH"]),
            ("i + 1", &[]),
            ("i++", &["i"]),
            ("--j", &["j"]),
            ("a[$(id)] <<= 2", &["a"]),
            ("x == 1 && y != 2 && z <= 3", &[]),
            ("x = $(rm -rf /)", &["x"]),
            ("$x = 1", &[]),
            ("i=0, k+=1", &["i", "k"]),
        ];
        for (expr, want) in cases {
            assert_eq!(arithmetic_assigns(expr).collect::<Vec<_>>(), *want, "{expr}");
        }
    }
}
