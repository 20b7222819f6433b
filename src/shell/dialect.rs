//! Scripts for shells other than bash. gate parses every shell script with bash's grammar; a
//! POSIX sh (dash, ash, busybox, or bash itself as `sh`) or zsh reads some text otherwise, and
//! a script could then mean one thing to the judge and another to the shell that runs it:
//! `echo $'\' ; rm -rf / ; echo $'\'` is one `echo` to bash and a `rm` to dash. Scripts for those
//! shells that use such text are not parsed but reported as opaque.

/// Why `script`, run by the shell named `shell`, may not mean what bash's grammar says; `None`
/// when bash's reading holds.
pub(crate) fn misread(shell: &str, script: &str) -> Option<String> {
    if matches!(shell, "bash" | "rbash") {
        return None;
    }
    let found = BASH_ONLY.iter().find(|(text, _)| script.contains(text)).map(|(_, what)| *what);
    let found = found.or_else(|| quote_in_braces(script).then_some("a quote inside ${...}"));
    let found = found.or_else(|| {
        (shell == "zsh" && script.contains('('))
            .then_some("parentheses, which zsh may read as glob qualifiers that run code")
    });
    found.map(|what| format!("{shell} reads {what} differently from bash, whose grammar gate judges in"))
}

/// Text bash gives a meaning that a POSIX sh does not (or gives another).
const BASH_ONLY: &[(&str, &str)] = &[
    ("$'", "$'...' quoting"),
    ("$\"", "$\"...\" quoting"),
    ("&>", "`&>`"),
    ("((", "`((`"),
    ("[[", "`[[`"),
    ("$[", "`$[`"),
    ("<<<", "a here-string"),
    ("<(", "process substitution"),
    (">(", "process substitution"),
    ("|&", "`|&`"),
    (";&", "`;&`"),
];

/// Whether a single quote appears after a `${`: bash treats it as a quote inside `"${x:-'..'}"`,
/// a POSIX sh as a plain character.
fn quote_in_braces(script: &str) -> bool {
    script.find("${").is_some_and(|at| script[at..].contains('\''))
}

#[cfg(test)]
mod tests {
    use super::misread;

    #[test]
    fn bash_scripts_are_read_as_bash() {
        assert_eq!(misread("bash", "echo $'\\' ; rm -rf / ; echo $'\\'"), None);
    }

    #[test]
    fn text_a_posix_sh_reads_otherwise_is_named() {
        let cases = [
            "echo $'\\' ; rm -rf / ; echo $'\\'",
            "ls &>/dev/null rm -rf /",
            "ls; ((rm -rf /))",
            "ls; [[ x > ~/.bashrc ]]",
            "ls $[ ; rm -rf / ; ]",
            "echo \"${x:-'}\"; rm -rf /; echo \"'}\"",
            "sh <<< 'rm -rf /'",
            "cat <(rm -rf /)",
            "ls |& cat",
        ];
        for script in cases {
            for shell in ["sh", "dash", "ash", "ksh", "zsh"] {
                assert!(misread(shell, script).is_some(), "{shell}: {script}");
            }
        }
    }

    #[test]
    fn plain_posix_scripts_are_parsed() {
        let cases = [
            "ls -l | wc -l",
            "git status && git diff",
            "echo \"$HOME\"; cd /tmp || exit 1",
            "x=$(date); echo $x",
        ];
        for script in cases {
            assert_eq!(misread("sh", script), None, "{script}");
        }
        assert!(misread("zsh", "ls *(e:'rm -rf /':)").is_some());
        assert!(misread("zsh", "x=$(date)").is_some(), "zsh: any parenthesis");
    }
}
