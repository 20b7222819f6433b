//! `awk` programs: one that computes and prints to standard output is text. `system()`, pipes
//! (`print | "cmd"`, `"cmd" | getline`), output redirection (`print > FILE`), `getline`,
//! `ENVIRON`, `PROCINFO`, `close` and gawk's `@load`/`@include` make it unknown. A small
//! tokenizer skips strings, regular expressions and comments; anything unsure is unknown.

const FORBIDDEN: &[(&str, &str)] = &[
    ("system", "runs a command (awk's system)"),
    ("getline", "reads a file or a command's output (awk's getline)"),
    ("ENVIRON", "reads the environment (awk's ENVIRON)"),
    ("PROCINFO", "reads gawk's PROCINFO"),
    ("close", "closes a command or file (awk's close)"),
    ("fflush", "flushes a command or file (awk's fflush)"),
];

pub(crate) fn judge(program: &str) -> Result<(), String> {
    let chars: Vec<char> = program.chars().collect();
    let mut at = 0;
    // Whether the last token could end an operand: then `/` divides, else it starts a regex.
    let mut after_operand = false;
    let mut depth: i32 = 0;
    // The paren depth of the `print` statement being read, if any.
    let mut print_depth: Option<i32> = None;
    while at < chars.len() {
        let c = chars[at];
        match c {
            '#' => {
                while at < chars.len() && chars[at] != '\n' {
                    at += 1;
                }
                continue;
            }
            '"' => {
                at = skip_quoted(&chars, at + 1, '"').ok_or("ends inside a string")?;
                after_operand = true;
                continue;
            }
            '/' if !after_operand => {
                at = skip_quoted(&chars, at + 1, '/').ok_or("ends inside a regular expression")?;
                after_operand = true;
                continue;
            }
            '@' => return Err("uses gawk's @-directives or indirect calls".into()),
            '`' => return Err("holds a character gate does not read in awk".into()),
            '|' if chars.get(at + 1) == Some(&'|') => {
                at += 2;
                after_operand = false;
                continue;
            }
            '|' => return Err("pipes to or from a command (awk's |)".into()),
            '>' if print_depth == Some(depth) => {
                return Err("writes to a file (awk's print >)".into());
            }
            '(' | '[' => depth += 1,
            ')' | ']' => depth -= 1,
            ';' | '\n' | '{' | '}' => print_depth = None,
            _ => {}
        }
        if c.is_ascii_alphabetic() || c == '_' {
            let start = at;
            while at < chars.len() && (chars[at].is_ascii_alphanumeric() || chars[at] == '_') {
                at += 1;
            }
            let word: String = chars[start..at].iter().collect();
            if let Some((_, why)) = FORBIDDEN.iter().find(|(name, _)| *name == word) {
                return Err((*why).into());
            }
            if word == "print" || word == "printf" {
                print_depth = Some(depth);
                after_operand = false;
            } else {
                // Keywords before an expression do not end an operand (`return /x/`).
                after_operand = !matches!(word.as_str(), "return" | "in" | "case" | "do" | "else");
            }
            continue;
        }
        if c.is_ascii_digit() || c == '$' || c == ')' || c == ']' {
            after_operand = c != '$';
        } else if !c.is_whitespace() {
            after_operand = false;
        }
        at += 1;
    }
    Ok(())
}

/// Skips to just past the closing `quote`, minding backslashes.
fn skip_quoted(chars: &[char], mut at: usize, quote: char) -> Option<usize> {
    while at < chars.len() {
        match chars[at] {
            '\\' => at += 2,
            c if c == quote => return Some(at + 1),
            '\n' => return None,
            _ => at += 1,
        }
    }
    None
}

#[cfg(test)]
mod tests {
    #[test]
    fn print_only_programs_are_text() {
        let cases = [
            ("{print $1}", true),
            ("{ print $1, $3 }", true),
            ("NR==1", true),
            ("$3 > 100 { print $1 }", true),
            ("{ s += $2 } END { print s / NR }", true),
            ("/error/ { n++ } END { print n }", true),
            ("BEGIN { FS = \":\" } { print $1 }", true),
            ("{ printf \"%s\\n\", $2 }", true),
            ("length($0) > 72", true),
            ("{ print ($1 > 2) }", true),
            ("{ a[$1]++ } END { for (k in a) print k, a[k] }", true),
            ("$1 ~ /a|b/ { print }", true),
            ("{ print \"a|b > c\" }", true),
            ("NF || /x/", true),
            ("{ system(\"id\") }", false),
            ("{ print | \"sh\" }", false),
            ("BEGIN { \"id\" | getline x; print x }", false),
            ("{ print > \"/tmp/x\" }", false),
            ("{ print $1 >> \"out\" }", false),
            ("{ printf \"%s\", $1 > \"f\" }", false),
            ("BEGIN { print ENVIRON[\"HOME\"] }", false),
            ("BEGIN { while ((getline line < \"f\") > 0) print line }", false),
            ("@load \"x\"", false),
            ("{ print \"unterminated }", false),
        ];
        for (program, text) in cases {
            assert_eq!(super::judge(program).is_ok(), text, "{program:?}: {:?}", super::judge(program));
        }
    }
}
