//! `jq` filters: a filter reads its input and prints. `env` and `$ENV` print the environment
//! (tokens live there), `import`/`include` load modules from files, `input_filename` is only a
//! name (fine). Strings are skipped, but not the code in their `\(…)` interpolations.

const FORBIDDEN: &[(&str, &str)] = &[
    ("env", "prints the environment (jq's env)"),
    ("$ENV", "prints the environment (jq's $ENV)"),
    ("import", "loads a jq module from a file"),
    ("include", "loads a jq module from a file"),
    ("$__prog_args", "reads jq's own arguments"),
];

pub(crate) fn judge(filter: &str) -> Result<(), String> {
    let chars: Vec<char> = filter.chars().collect();
    let mut at = 0;
    // Each open string interpolation: the paren depth at which it closes.
    let mut interpolations: Vec<i32> = Vec::new();
    let mut depth = 0;
    let mut in_string = false;
    while at < chars.len() {
        let c = chars[at];
        if in_string {
            match c {
                '\\' if chars.get(at + 1) == Some(&'(') => {
                    interpolations.push(depth);
                    depth += 1;
                    in_string = false;
                    at += 2;
                }
                '\\' => at += 2,
                '"' => {
                    in_string = false;
                    at += 1;
                }
                _ => at += 1,
            }
            continue;
        }
        match c {
            '"' => in_string = true,
            '#' => {
                while at < chars.len() && chars[at] != '\n' {
                    at += 1;
                }
                continue;
            }
            '(' => depth += 1,
            ')' => {
                depth -= 1;
                if interpolations.last() == Some(&depth) {
                    interpolations.pop();
                    in_string = true;
                }
            }
            _ => {}
        }
        if c.is_ascii_alphabetic() || c == '_' || c == '$' {
            let start = at;
            at += 1;
            while at < chars.len() && (chars[at].is_ascii_alphanumeric() || chars[at] == '_') {
                at += 1;
            }
            let word: String = chars[start..at].iter().collect();
            // `.env` and `{env: 1}` are a field name, not the builtin.
            let field = start > 0 && chars[start - 1] == '.'
                || chars[at..].iter().find(|c| !c.is_whitespace()) == Some(&':');
            if !field && let Some((_, why)) = FORBIDDEN.iter().find(|(name, _)| *name == word) {
                return Err((*why).into());
            }
            continue;
        }
        at += 1;
    }
    if in_string {
        return Err("ends inside a string".into());
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    #[test]
    fn filters() {
        let cases = [
            (".", true),
            (".items[] | .name", true),
            ("map(select(.age > 3))", true),
            (".env", true),
            ("{env: 1}", true),
            ("\"env is \\(.x)\"", true),
            ("\"$ENV\"", true),
            ("input_filename", true),
            ("env", false),
            ("env.HOME", false),
            ("$ENV.TOKEN", false),
            ("\"\\(env.HOME)\"", false),
            ("import \"m\" as m; .", false),
            ("include \"m\"; .", false),
            ("\"open", false),
        ];
        for (filter, fine) in cases {
            assert_eq!(super::judge(filter).is_ok(), fine, "{filter:?}");
        }
    }
}
