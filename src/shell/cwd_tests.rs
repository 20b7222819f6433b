//! Where each command of a line runs: `SimpleCommand::cwd` as the walk tracks it.

use super::{Cwd, Piece, Unit, analyze_line};

/// `program@dir` for every command and wrapper of the line: `.` the start directory, `?`
/// unknown, `~` home, `*` a wildcard.
fn places(line: &str) -> Vec<String> {
    let analysis = analyze_line(line);
    assert!(analysis.parse_error.is_none(), "{line}: {:?}", analysis.parse_error);
    analysis
        .units
        .iter()
        .filter_map(|unit| match unit {
            Unit::Command(cmd) | Unit::Wrapper(cmd) => {
                let name = cmd.words.first().map_or(String::from("<>"), |w| w.text.clone());
                let dir = match &cmd.cwd {
                    Cwd::Start => ".".to_owned(),
                    Cwd::Unknown => "?".to_owned(),
                    Cwd::Known(word) => word
                        .pieces
                        .iter()
                        .map(|p| match p {
                            Piece::Text(t) => t.clone(),
                            Piece::Home => "~".into(),
                            _ => "*".into(),
                        })
                        .collect(),
                };
                Some(format!("{name}@{dir}"))
            }
            Unit::Opaque { .. } => None,
        })
        .collect()
}

#[test]
fn the_directory_each_command_runs_in() {
    let cases: &[(&str, &[&str])] = &[
        ("ls", &["ls@."]),
        ("cd src && ls", &["cd@.", "ls@src"]),
        ("cd src && cd ../lib && ls", &["cd@.", "cd@src", "ls@src/../lib"]),
        ("cd ~/.ssh && cat id_rsa", &["cd@.", "cat@~/.ssh"]),
        ("cd && cat .bashrc", &["cd@.", "cat@~"]),
        ("cd /tmp && cd - && ls", &["cd@.", "cd@/tmp", "ls@."]),
        ("cd - && ls", &["cd@.", "ls@?"]),
        ("cd /a && cd /b && cd - && ls", &["cd@.", "cd@/a", "cd@/b", "ls@/a"]),
        ("cd \"$X\" && ls", &["cd@.", "ls@?"]),
        ("D=/srv; cd $D && ls", &["<>@.", "cd@.", "ls@/srv"]),
        ("cd -P /a && ls", &["cd@.", "ls@/a"]),
        ("cd src/* && ls", &["cd@.", "ls@src/*"]),
        ("CDPATH=/x; cd src && ls", &["<>@.", "cd@.", "ls@?"]),
        ("CDPATH=/x; cd ./src && ls", &["<>@.", "cd@.", "ls@./src"]),
        ("HOME=/srv; cd && ls", &["<>@.", "cd@.", "ls@/srv"]),
        // A `cd` that fails leaves the shell where it was, and `;` goes on.
        ("cd /a; ls", &["cd@.", "ls@?"]),
        ("cd /a || exit 1; ls", &["cd@.", "exit@.", "ls@/a"]),
        ("cd /a || exit; cd b || exit; ls", &["cd@.", "exit@.", "cd@/a", "exit@/a", "ls@/a/b"]),
        ("cd /a || return; ls", &["cd@.", "return@.", "ls@?"]),
        ("cd /a && ls || pwd", &["cd@.", "ls@/a", "pwd@?"]),
        ("cd /a || pwd", &["cd@.", "pwd@."]),
        ("! cd /a || ls", &["cd@.", "ls@/a"]),
        // Subshells keep their moves.
        ("(cd /a && ls); ls", &["cd@.", "ls@/a", "ls@."]),
        ("echo $(cd /a && pwd); ls", &["echo@.", "cd@.", "pwd@/a", "ls@."]),
        ("cd /a | cat; ls", &["cd@.", "cat@.", "ls@."]),
        ("cd /a & ls", &["cd@.", "ls@."]),
        ("cat <(cd /a && ls) && ls", &["cat@.", "cd@.", "ls@/a", "ls@."]),
        ("bash -c 'cd /a && ls'; ls", &["bash@.", "cd@.", "ls@/a", "ls@."]),
        ("sh -c 'cd /a'; ls", &["sh@.", "cd@.", "ls@."]),
        ("eval 'cd /a'; ls", &["eval@.", "cd@.", "ls@?"]),
        ("eval 'cd /a' && ls", &["eval@.", "cd@.", "ls@?"]),
        ("{ cd /a && ls; }; ls", &["cd@.", "ls@/a", "ls@?"]),
        ("{ cd /a || exit; }; ls", &["cd@.", "exit@.", "ls@/a"]),
        // Branches agree or the place is lost.
        ("if true; then cd /a; fi; ls", &["true@.", "cd@.", "ls@?"]),
        (
            "if x; then cd /a || exit; else cd /a || exit; fi; ls",
            &["x@.", "cd@.", "exit@.", "cd@.", "exit@.", "ls@/a"],
        ),
        ("if cd /a; then ls; else pwd; fi", &["cd@.", "ls@/a", "pwd@."]),
        ("if x; then cd /a; elif y; then cd /b; fi; ls", &["x@.", "cd@.", "y@.", "cd@.", "ls@?"]),
        ("case $x in a) cd /a;; esac; ls", &["cd@.", "ls@?"]),
        ("for d in a b; do cd $d; done; ls", &["cd@.", "cd@?", "ls@?"]),
        (
            "while x; do cd /a || exit; done; ls",
            &["x@.", "cd@.", "exit@.", "x@/a", "cd@/a", "exit@/a", "ls@?"],
        ),
        // Functions move the shell when they run.
        ("f() { cd /a || exit; }; f; ls", &["cd@.", "exit@.", "cd@.", "exit@.", "f@.", "ls@/a"]),
        ("f() { cd /a; }; ls; f; ls", &["cd@.", "ls@.", "cd@.", "f@.", "ls@?"]),
        ("f() { cd /a; }; f && ls", &["cd@.", "cd@.", "f@.", "ls@/a"]),
        ("f() { cat id_rsa; }; cd ~/.ssh || exit; f", &["cat@.", "cd@.", "exit@.", "cat@~/.ssh", "f@~/.ssh"]),
        // The directory stack.
        ("pushd /a && pushd /b && popd && ls", &["pushd@.", "pushd@/a", "popd@/b", "ls@/a"]),
        ("popd && ls", &["popd@.", "ls@."]),
        // Wrappers that move their command.
        ("env -C ~/.ssh cat id_rsa", &["env@.", "cat@~/.ssh"]),
        ("env --chdir=/a ls", &["env@.", "ls@/a"]),
        ("cd /a && env -C b ls", &["cd@.", "env@/a", "ls@/a/b"]),
        ("sudo -D /a ls", &["sudo@.", "ls@/a"]),
        ("sudo -i ls", &["sudo@.", "ls@?"]),
        ("command cd /a && ls", &["command@.", "cd@.", "ls@/a"]),
        ("env cd /a && ls", &["env@.", "cd@.", "ls@."]),
        ("find . -execdir cat {} +", &["find@.", "cat@?"]),
        ("cd /a && find . -exec cat {} +", &["cd@.", "find@/a", "cat@/a"]),
        ("cd /a && ls > out", &["cd@.", "ls@/a"]),
        ("cd /a && { ls; } > out", &["cd@.", "ls@/a", "<>@/a"]),
        ("cd /a && time ls", &["cd@.", "time@/a", "ls@/a"]),
    ];
    let mut failures = Vec::new();
    for (line, want) in cases {
        let got = places(line);
        if got != *want {
            failures.push(format!("{line:?}\n   want {want:?}\n   got  {got:?}"));
        }
    }
    assert!(failures.is_empty(), "\n{}", failures.join("\n"));
}
