//! Table tests for the whole analysis: each line and the units it must give, in a compact form.

use super::{Analysis, Piece, RedirectKind, Unit, Word, analyze_argv, analyze_line};

/// `C`ommand, `W`rapper or `O`paque, then assignments, words, `+more`, redirections and `@via`.
/// Wildcards print as `⟨*⟩` (any), `⟨f*⟩` (a file-name star) and `⟨?⟩` (any one character);
/// home as `~`.
fn summary(unit: &Unit) -> String {
    let (letter, cmd) = match unit {
        Unit::Command(cmd) => ("C", cmd),
        Unit::Wrapper(cmd) => ("W", cmd),
        Unit::Opaque { .. } => return "O".into(),
    };
    let mut parts = vec![letter.to_owned()];
    for (name, value) in &cmd.assignments {
        parts.push(format!("{name}={}", render(value)));
    }
    parts.extend(cmd.words.iter().map(render));
    if cmd.more_args {
        parts.push("+more".into());
    }
    for r in &cmd.redirects {
        let arrow = match r.kind {
            RedirectKind::Input => "<",
            RedirectKind::Output => ">",
        };
        parts.push(format!("{arrow}{}", render(&r.target)));
    }
    if !cmd.via.is_empty() {
        parts.push(format!("@{}", cmd.via.join("/")));
    }
    parts.join(" ")
}

fn render(word: &Word) -> String {
    word.pieces
        .iter()
        .map(|p| match p {
            Piece::Text(t) => t.clone(),
            Piece::Home => "~".into(),
            Piece::Any => "⟨*⟩".into(),
            Piece::Star => "⟨f*⟩".into(),
            Piece::AnyChar => "⟨?⟩".into(),
        })
        .collect()
}

fn summaries(analysis: &Analysis) -> Vec<String> {
    analysis.units.iter().map(summary).collect()
}

fn check(cases: &[(&str, &[&str])]) {
    let mut failures = Vec::new();
    for (line, want) in cases {
        let analysis = analyze_line(line);
        let got = summaries(&analysis);
        if analysis.parse_error.is_some() || got != *want {
            failures.push(format!("{line:?}\n   want {want:?}\n   got  {got:?} {:?}", analysis.parse_error));
        }
    }
    assert!(failures.is_empty(), "\n{}", failures.join("\n"));
}

#[test]
fn lists_and_pipelines() {
    check(&[
        ("ls -l | grep rs | wc -l", &["C ls -l", "C grep rs", "C wc -l"]),
        ("git status && git diff", &["C git status", "C git diff"]),
        ("a || b; c & d\ne", &["C a", "C b", "C c", "C d", "C e"]),
        ("a |& b", &["C a", "C b"]),
        ("! a", &["C a"]),
        ("git status && ./deploy.sh", &["C git status", "C ./deploy.sh"]),
        ("nohup git push &", &["W nohup", "C git push @nohup"]),
        ("", &[]),
        ("# only a comment", &[]),
        ("time ls | wc", &["W time", "C ls @time", "C wc @time"]),
        ("time -p ls", &["W time -p", "C ls @time"]),
    ]);
}

#[test]
fn compound_commands() {
    check(&[
        ("(git push)", &["C git push"]),
        ("{ git push; }", &["C git push"]),
        ("if true; then rm -rf /; fi", &["C true", "C rm -rf /"]),
        ("if a; then b; elif c; then d; else e; fi", &["C a", "C b", "C c", "C d", "C e"]),
        ("for f in *; do rm -rf \"$f\"; done", &["C f=⟨f*⟩ rm -rf ⟨*⟩"]),
        ("for f in $(ls); do :; done", &["C ls", "C f=⟨*⟩ :"]),
        ("while a; do b; done", &["C a", "C b"]),
        ("until a; do b; done", &["C a", "C b"]),
        ("case $x in a) b;; *) c;; esac", &["C b", "C c"]),
        ("case $(a) in $(b)) c;; esac", &["C a", "C b", "C c"]),
        ("for ((i=0; i<3; i++)); do x; done", &["C i=⟨*⟩ x"]),
        ("for ((i=$(a); i<3; i++)); do x; done", &["C a", "O", "C i=⟨*⟩ x"]),
        ("((x = $(rm -rf /)))", &["C rm -rf /", "O"]),
        ("f() { rm -rf /; }; f", &["C rm -rf /", "C f"]),
        ("function f { rm -rf /; }", &["C rm -rf /"]),
        ("coproc git push", &["C git push"]),
        ("coproc n { git push; }", &["C git push"]),
        ("[[ -f $(rm -rf /) ]]", &["C rm -rf /"]),
        ("[[ $x =~ `rm` ]] && ls", &["C rm", "C ls"]),
        ("{ ls; } > /dev/sda", &["C ls", "C >/dev/sda"]),
        ("(ls) 2> $(rm)", &["C ls", "C >⟨*⟩", "C rm"]),
    ]);
}

#[test]
fn quoting() {
    check(&[
        ("r''m -rf /", &["C rm -rf /"]),
        ("\"rm\" -rf /", &["C rm -rf /"]),
        ("'rm' -rf /", &["C rm -rf /"]),
        ("\\rm -rf /", &["C rm -rf /"]),
        ("r\"m\" -rf /", &["C rm -rf /"]),
        ("$'\\x72\\x6d' -rf /", &["C rm -rf /"]),
        ("$'\\162\\155' -rf /", &["C rm -rf /"]),
        ("$\"rm\" -rf /", &["C rm -rf /"]),
        ("r\\\nm -rf /", &["C rm -rf /"]),
        ("\"r\\\nm\" -rf /", &["C rm -rf /"]),
        ("echo '$(rm)' \"\\$(rm)\"", &["C echo $(rm) $(rm)"]),
        ("ls > ~/.bashrc", &["C ls >~/.bashrc"]),
        ("ls ~root", &["C ls ⟨*⟩"]),
        ("rm -rf *.tmp a?b [ab]", &["C rm -rf ⟨f*⟩.tmp a⟨?⟩b ⟨?⟩"]),
        ("cp f{,.bak}", &["C cp f⟨*⟩"]),
    ]);
}

#[test]
fn computed_programs() {
    check(&[
        ("$X -rf /", &["O"]),
        ("${X} -rf /", &["O"]),
        ("$(echo rm) -rf /", &["O", "C echo rm"]),
        ("`echo rm` -rf /", &["O", "C echo rm"]),
        ("{rm,-rf,/}", &["O"]),
        ("r*m -rf /", &["O"]),
        ("r?m -rf /", &["O"]),
        ("${IFS}rm -rf /", &["O"]),
        ("~/bin/tool x", &["C ~/bin/tool x"]),
    ]);
}

#[test]
fn substitutions() {
    check(&[
        ("echo \"$(git push)\"", &["C echo ⟨*⟩", "C git push"]),
        ("echo `git push`", &["C echo ⟨*⟩", "C git push"]),
        ("x=$(rm -rf /)", &["C x=⟨*⟩", "C rm -rf /"]),
        ("echo > \"$(rm -rf /)\"", &["C echo >⟨*⟩", "C rm -rf /"]),
        ("cat <(git push)", &["C cat ⟨*⟩", "C git push"]),
        ("tee >(git push) < /dev/null", &["C tee ⟨*⟩ </dev/null", "C git push"]),
        ("ls > >(git push)", &["C ls", "C git push"]),
        ("echo ${X:-$(rm -rf /)}", &["C echo ⟨*⟩", "C rm -rf /"]),
        ("echo $((1 + $(rm)))", &["C echo ⟨*⟩", "O", "C rm"]),
        ("echo $(a $(b))", &["C echo ⟨*⟩", "C a ⟨*⟩", "C b"]),
        ("echo `echo \\`rm\\``", &["C echo ⟨*⟩", "C echo ⟨*⟩", "C rm"]),
        ("echo `echo \\$(rm)`", &["C echo ⟨*⟩", "C echo ⟨*⟩", "C rm"]),
        ("a[$(rm)]=1", &["C a[$(rm)]=1", "C rm", "O"]),
        ("arr=(1 $(rm) 3)", &["C arr=⟨*⟩", "C rm"]),
        ("export A=$(rm)", &["C export A=⟨*⟩", "C rm"]),
        ("cat <<EOF\n$(rm -rf /)\nEOF", &["C cat <⟨*⟩\n", "C rm -rf /"]),
        ("cat <<'EOF'\n$(rm -rf /)\nEOF", &["C cat <$(rm -rf /)\n"]),
    ]);
}

#[test]
fn assignments_and_redirects() {
    check(&[
        ("FOO=1 rm -rf /", &["C FOO=1 rm -rf /"]),
        ("FOO=1 BAR=~/x", &["C FOO=1 BAR=~/x"]),
        ("> out", &["C >out"]),
        ("cat disk.img > /dev/sda", &["C cat disk.img >/dev/sda"]),
        ("a >> f 2> g &> h &>> i >| j <> k 3> l", &["C a >f >g >h >i >j >k >l"]),
        ("a < f 2>&1 >&- 3<&0", &["C a <f"]),
        ("a >& f", &["C a >f"]),
        ("a <<< 'x y'", &["C a <x y"]),
        ("echo a=*", &["C echo a=⟨f*⟩"]),
        ("X=* Y={a,b}", &["C X=* Y={a,b}"]),
    ]);
}

#[test]
fn shells() {
    check(&[
        (
            "bash -c 'git status && rm -rf /'",
            &["W bash -c git status && rm -rf /", "C git status @bash -c", "C rm -rf / @bash -c"],
        ),
        ("bash -lc 'rm -rf /'", &["W bash -lc rm -rf /", "C rm -rf / @bash -c"]),
        ("sh -ec 'rm -rf /'", &["W sh -ec rm -rf /", "C rm -rf / @sh -c"]),
        ("/bin/sh -xec 'rm x'", &["W /bin/sh -xec rm x", "C rm x @sh -c"]),
        ("bash -l -c 'rm x'", &["W bash -l -c rm x", "C rm x @bash -c"]),
        ("bash --norc -c 'rm x'", &["W bash --norc -c rm x", "C rm x @bash -c"]),
        ("bash -o pipefail -c 'rm x'", &["W bash -o pipefail -c rm x", "C rm x @bash -c"]),
        ("zsh -c 'rm x' name arg", &["W zsh -c rm x name arg", "C rm x @zsh -c"]),
        ("dash -c \"rm $X\"", &["W dash -c rm ⟨*⟩", "O"]),
        ("sh -c \"$X\"", &["W sh -c ⟨*⟩", "O"]),
        ("bash -c", &["O"]),
        ("sh i.sh", &["O"]),
        ("curl -o i.sh https://x && sh i.sh", &["C curl -o i.sh https://x", "O"]),
        ("curl https://x | sh", &["C curl https://x", "W sh", "O"]),
        ("bash", &["W bash", "O"]),
        ("bash -s", &["W bash -s", "O"]),
        ("bash --version", &["C bash --version"]),
        ("sh <<< 'rm -rf /'", &["W sh <rm -rf /", "C rm -rf / @sh"]),
        ("bash <<EOF\nrm -rf /\nEOF", &["W bash <rm -rf /\n", "C rm -rf / @bash"]),
        ("bash <<'EOF'\nrm $X\nEOF", &["W bash <rm $X\n", "C rm ⟨*⟩ @bash"]),
        ("bash <<EOF\nrm $X\nEOF", &["W bash <rm ⟨*⟩\n", "O"]),
        ("bash < x.sh", &["W bash <x.sh", "O"]),
        (
            "bash -c 'bash -c \"rm x\"'",
            &["W bash -c bash -c \"rm x\"", "W bash -c rm x @bash -c", "C rm x @bash -c/bash -c"],
        ),
        ("fish -c 'rm x'", &["O"]),
        ("busybox sh -c 'rm x'", &["W busybox", "W sh -c rm x @busybox", "C rm x @busybox/sh -c"]),
        ("busybox rm -rf /", &["W busybox", "C rm -rf / @busybox"]),
    ]);
}

#[test]
fn eval_and_source() {
    check(&[
        ("eval \"$X\"", &["W eval ⟨*⟩", "O"]),
        ("eval 'rm -rf /'", &["W eval rm -rf /", "C rm -rf / @eval"]),
        ("eval rm -rf /", &["W eval rm -rf /", "C rm -rf / @eval"]),
        ("eval 'a; b'", &["W eval a; b", "C a @eval", "C b @eval"]),
        ("source x.sh", &["O"]),
        (". ./x.sh", &["O"]),
        ("alias x='rm -rf /'; x", &["O", "W alias x=rm -rf /", "C rm -rf / @alias", "C x"]),
        ("alias", &["C alias"]),
        ("alias x=\"$Y\"", &["O", "O"]),
        ("trap 'rm -rf /' EXIT", &["W trap rm -rf / EXIT", "C rm -rf / @trap"]),
        ("trap - EXIT", &["C trap - EXIT"]),
        ("trap \"$X\" EXIT", &["O"]),
        ("trap -- \"$X\" EXIT", &["W trap -- ⟨*⟩ EXIT", "O"]),
        ("mapfile -t -C 'rm x' -c 1 a < f", &["W mapfile -t -C rm x -c 1 a <f", "C rm x @mapfile -C"]),
        ("hash -p /bin/rm ls", &["O"]),
        ("enable -f ./x.so x", &["O"]),
        ("let 'a[$(rm)]=1'", &["O", "C let a[$(rm)]=1"]),
        ("let x=1", &["C let x=1"]),
        (
            "BASH_ENV=./x.sh bash -c ls",
            &["O", "W BASH_ENV=./x.sh bash -c ls", "C BASH_ENV=./x.sh ls @bash -c"],
        ),
    ]);
}

#[test]
fn interpreters() {
    check(&[
        ("node -e 'require(\"fs\")'", &["O"]),
        ("node --eval=x", &["O"]),
        ("node x.js", &["C node x.js"]),
        ("node --version", &["C node --version"]),
        ("python3 -c 'print(1)'", &["O"]),
        ("python3.11 -Ic 'print(1)'", &["O"]),
        ("python x.py -c y", &["C python x.py -c y"]),
        ("python -m http.server", &["C python -m http.server"]),
        ("python", &["O"]),
        ("perl -e 'unlink'", &["O"]),
        ("perl -lane 'print'", &["O"]),
        ("perl x.pl", &["C perl x.pl"]),
        ("ruby -e 'x'", &["O"]),
        ("php -r 'x'", &["O"]),
        ("php x.php", &["C php x.php"]),
        ("lua -e 'x'", &["O"]),
        ("osascript -e 'x'", &["O"]),
        ("awk '{print $1}' f", &["C awk {print $1} f"]),
        ("awk -F'|' '{print $1}' f", &["C awk -F| {print $1} f"]),
        ("awk '{system(\"rm\")}'", &["O"]),
        ("gawk '{print | \"sh\"}'", &["O"]),
        ("awk \"$P\" f", &["O"]),
        ("awk -f prog.awk f", &["C awk -f prog.awk f"]),
    ]);
}

#[test]
fn wrappers() {
    check(&[
        ("sudo -E rm -rf /", &["W sudo -E", "C rm -rf / @sudo"]),
        ("sudo -u root rm x", &["W sudo -u root", "C rm x @sudo"]),
        ("sudo --user=root -- rm x", &["W sudo --user=root --", "C rm x @sudo"]),
        ("sudo FOO=1 rm x", &["W sudo FOO=1", "C FOO=1 rm x @sudo"]),
        ("sudo -l", &["C sudo -l"]),
        ("sudo -s", &["O"]),
        ("sudo -Z rm", &["O"]),
        ("sudo $X", &["O"]),
        ("doas -u root rm x", &["W doas -u root", "C rm x @doas"]),
        ("env", &["C env"]),
        ("env -i PATH=/bin rm x", &["W env -i PATH=/bin", "C PATH=/bin rm x @env"]),
        ("env -u HOME -C /tmp rm x", &["W env -u HOME -C /tmp", "C rm x @env"]),
        ("env -S 'rm -rf /' x", &["W env -S rm -rf /", "C rm -rf / x @env"]),
        ("env -S \"$X\"", &["O"]),
        ("env FOO=$X rm", &["O"]),
        ("env FOO=\"$X\" rm", &["W env FOO=⟨*⟩", "C FOO=⟨*⟩ rm @env"]),
        ("nice -n 5 rm x", &["W nice -n 5", "C rm x @nice"]),
        ("nice -10 rm x", &["W nice -10", "C rm x @nice"]),
        ("timeout 5 rm x", &["W timeout 5", "C rm x @timeout"]),
        ("timeout -s KILL -k 1 5s rm x", &["W timeout -s KILL -k 1 5s", "C rm x @timeout"]),
        ("timeout $T rm x", &["O"]),
        ("timeout \"$T\" rm x", &["O"]),
        ("timeout 5 \"$T\" x", &["W timeout 5", "O"]),
        ("command -v rm", &["C command -v rm"]),
        ("command rm x", &["W command", "C rm x @command"]),
        ("exec -a name rm x", &["W exec -a name", "C rm x @exec"]),
        ("exec > log", &["C exec >log"]),
        ("builtin cd x", &["W builtin", "C cd x @builtin"]),
        ("stdbuf -oL rm x", &["W stdbuf -oL", "C rm x @stdbuf"]),
        ("ionice -c 3 rm x", &["W ionice -c 3", "C rm x @ionice"]),
        ("setsid -f rm x", &["W setsid -f", "C rm x @setsid"]),
        ("chrt -f 10 rm x", &["W chrt -f 10", "C rm x @chrt"]),
        ("taskset -c 0 rm x", &["W taskset -c 0", "C rm x @taskset"]),
        ("chroot /srv rm x", &["W chroot /srv", "C rm x @chroot"]),
        ("chroot /srv", &["O"]),
        ("/usr/bin/time -v rm x", &["W /usr/bin/time -v", "C rm x @time"]),
        (
            "sudo -u root -- env -i PATH=/bin timeout -s KILL 5 nice -n 5 rm -rf /",
            &[
                "W sudo -u root --",
                "W env -i PATH=/bin @sudo",
                "W PATH=/bin timeout -s KILL 5 @sudo/env",
                "W PATH=/bin nice -n 5 @sudo/env/timeout",
                "C PATH=/bin rm -rf / @sudo/env/timeout/nice",
            ],
        ),
        (
            "sudo env FOO=1 timeout 5 nohup rm -rf /",
            &[
                "W sudo",
                "W env FOO=1 @sudo",
                "W FOO=1 timeout 5 @sudo/env",
                "W FOO=1 nohup @sudo/env/timeout",
                "C FOO=1 rm -rf / @sudo/env/timeout/nohup",
            ],
        ),
        ("sudo bash -c 'rm x'", &["W sudo", "W bash -c rm x @sudo", "C rm x @sudo/bash -c"]),
        ("sudo rm x > f", &["W sudo >f", "C rm x >f @sudo"]),
        ("FOO=1 nohup rm x", &["W FOO=1 nohup", "C FOO=1 rm x @nohup"]),
        ("sudo $(which rm) x", &["O", "C which rm"]),
        ("su -c 'rm x' root", &["W su -c rm x root", "C rm x @su -c"]),
        ("su - root", &["O"]),
        ("runuser -u bob -- rm x", &["W runuser -u bob --", "C rm x @runuser"]),
        ("flock /tmp/l rm x", &["W flock /tmp/l", "C rm x @flock"]),
        ("flock -n /tmp/l -c 'rm x'", &["W flock -n /tmp/l -c rm x", "C rm x @flock -c"]),
        ("watch -n 1 rm x", &["W watch -n 1 rm x", "C rm x @watch"]),
        ("watch 'ls | wc'", &["W watch ls | wc", "C ls @watch", "C wc @watch"]),
        ("watch -x rm x", &["W watch -x", "C rm x @watch"]),
        ("nsenter -t 1 -m rm x", &["W nsenter -t 1 -m", "C rm x @nsenter"]),
        ("unshare -r rm x", &["W unshare -r", "C rm x @unshare"]),
    ]);
}

#[test]
fn xargs_and_find() {
    check(&[
        ("find . | xargs rm -rf", &["C find .", "W xargs", "C rm -rf +more @xargs"]),
        ("xargs", &["W xargs", "C echo +more @xargs"]),
        ("xargs -0 -n 1 -P 4 rm", &["W xargs -0 -n 1 -P 4", "C rm +more @xargs"]),
        ("xargs -I{} mv {} {}.bak", &["W xargs -I{}", "C mv ⟨*⟩ ⟨*⟩.bak +more @xargs"]),
        ("xargs -I % sh -c 'rm %'", &["W xargs -I %", "W sh -c rm ⟨*⟩ +more @xargs", "O"]),
        (
            "xargs sh -c 'rm \"$@\"' _",
            &["W xargs", "W sh -c rm \"$@\" _ +more @xargs", "C rm ⟨*⟩ @xargs/sh -c"],
        ),
        ("xargs -I{} {} -rf /", &["W xargs -I{}", "O"]),
        ("find . -name '*.tmp' -exec rm {} \\;", &["C find . -name *.tmp", "C rm ⟨*⟩ @find -exec"]),
        (
            "find . -type f -exec rm -f {} + -print",
            &["C find . -type f -print", "C rm -f ⟨*⟩ +more @find -exec"],
        ),
        (
            "find . -execdir sh -c 'rm x' \\; -ok ls ';'",
            &["C find .", "W sh -c rm x @find -execdir", "C rm x @find -execdir/sh -c", "C ls @find -ok"],
        ),
        ("find . -delete", &["C find . -delete", "O"]),
        ("find . -name \"$N\"", &["C find . -name ⟨*⟩"]),
        ("find . $X rm \\;", &["O"]),
        ("find /tmp -mtime +7", &["C find /tmp -mtime +7"]),
    ]);
}

#[test]
fn inner_parse_errors() {
    let analysis = analyze_line("bash -c 'ls \"'");
    assert_eq!(summaries(&analysis), ["W bash -c ls \"", "O"]);
    assert!(analysis.parse_error.is_some());
}

#[test]
fn parse_errors() {
    for line in ["ls 'unterminated", "ls \"x", "if true; then", "a |", "(ls", "echo $(ls"] {
        let analysis = analyze_line(line);
        assert!(analysis.parse_error.is_some(), "{line:?}: {analysis:?}");
    }
}

#[test]
fn depth_is_bounded() {
    let line = format!("{}rm x", "eval ".repeat(40));
    let analysis = analyze_line(&line);
    assert!(analysis.units.iter().any(|u| matches!(u, Unit::Opaque { .. })));
    let mut line = "rm x".to_owned();
    for _ in 0..40 {
        line = format!("echo $({line})");
    }
    let analysis = analyze_line(&line);
    assert!(analysis.units.iter().any(|u| matches!(u, Unit::Opaque { .. })));
    let line = format!("{}rm x", "nohup ".repeat(40));
    let analysis = analyze_line(&line);
    assert!(analysis.units.iter().any(|u| matches!(u, Unit::Opaque { .. })));
}

#[test]
fn argv() {
    use std::ffi::OsString;
    use std::os::unix::ffi::OsStringExt;
    let cases: &[(&[&str], &[&str])] = &[
        (&["rm", "-rf", "/"], &["C rm -rf /"]),
        (&["rm", "$X", "*"], &["C rm $X *"]),
        (&["sudo", "rm", "x"], &["W sudo", "C rm x @sudo"]),
        (&["bash", "-c", "a && b"], &["W bash -c a && b", "C a @bash -c", "C b @bash -c"]),
        (&["$X"], &["C $X"]),
        (&[], &[]),
    ];
    for (argv, want) in cases {
        let argv: Vec<OsString> = argv.iter().map(OsString::from).collect();
        let got = summaries(&analyze_argv(&argv));
        assert_eq!(got, *want, "{argv:?}");
    }
    let bad = OsString::from_vec(vec![b'r', 0xff]);
    let analysis = analyze_argv(&[OsString::from("rm"), bad.clone()]);
    assert_eq!(summaries(&analysis), ["C rm ⟨*⟩"]);
    let analysis = analyze_argv(&[bad]);
    assert_eq!(summaries(&analysis), ["O"]);
}

#[test]
fn state_carries_to_later_commands() {
    check(&[
        ("PATH=/x; ls", &["C PATH=/x", "C PATH=/x ls"]),
        ("PATH=/x\nls", &["C PATH=/x", "C PATH=/x ls"]),
        ("PATH=.:$PATH; ls | wc", &["C PATH=.:⟨*⟩", "C PATH=.:⟨*⟩ ls", "C PATH=.:⟨*⟩ wc"]),
        ("export PATH=/x; ls", &["C export PATH=/x", "C PATH=/x ls"]),
        ("declare -x PATH=/x; ls", &["C declare -x PATH=/x", "C PATH=/x ls"]),
        ("printf -v PATH /x; ls", &["C printf -v PATH /x", "C PATH=⟨*⟩ ls"]),
        ("for PATH in /x; do ls; done", &["C PATH=/x ls"]),
        ("read PATH < f; ls", &["C read PATH <f", "C PATH=⟨*⟩ ls"]),
        ("unset PATH; ls", &["C unset PATH", "C PATH=⟨*⟩ ls"]),
        ("((PATH=5)); ls", &["C PATH=⟨*⟩ ls"]),
        ("echo $((PATH=5)); ls", &["C PATH=⟨*⟩ echo ⟨*⟩", "C PATH=⟨*⟩ ls"]),
        ("echo ${PATH:=/x}; ls", &["C PATH=⟨*⟩ echo ⟨*⟩", "C PATH=⟨*⟩ ls"]),
        ("PATH+=:/x; ls", &["C PATH=⟨*⟩:/x", "C PATH=⟨*⟩:/x ls"]),
        ("PATH[0]=/x; ls", &["C PATH[0]=/x", "C PATH=⟨*⟩ ls"]),
        ("x=$(ls); ls", &["C x=⟨*⟩", "C ls", "C x=⟨*⟩ ls"]),
        ("PATH=/x eval ls", &["W PATH=/x eval ls", "C PATH=/x ls @eval"]),
        ("eval PATH=/x; ls", &["W eval PATH=/x", "C PATH=/x @eval", "C PATH=/x ls"]),
        ("PATH=/x bash -c ls", &["W PATH=/x bash -c ls", "C PATH=/x ls @bash -c"]),
        ("bash -c 'PATH=/x'; ls", &["W bash -c PATH=/x", "C PATH=/x @bash -c", "C ls"]),
        ("PATH=/x; find . -exec ls \\;", &["C PATH=/x", "C PATH=/x find .", "C PATH=/x ls @find -exec"]),
        ("cd /x && PATH=.:/bin ls", &["C cd /x", "C PATH=⟨*⟩ ls"]),
        ("cd /x && PATH=/bin ls", &["C cd /x", "C PATH=/bin ls"]),
        ("f() { ls; }; PATH=/x; f", &["C ls", "C PATH=/x", "C PATH=/x ls @f()", "C PATH=/x f"]),
        ("f() { ls; }; f", &["C ls", "C f"]),
        (
            "while :; do ls; PATH=/x; done",
            &["C :", "C ls", "C PATH=/x", "C PATH=/x :", "C PATH=/x ls", "C PATH=/x PATH=/x"],
        ),
        ("for f in a b; do ls; done", &["C f=⟨*⟩ ls"]),
        ("for ((i=0; i<3; i++)); do ls; done", &["C i=⟨*⟩ ls"]),
        ("f() { f; }; x=1; f", &["C f", "C x=1", "C x=1 f @f()", "C x=1 f"]),
        ("trap ls EXIT; PATH=/x", &["W trap ls EXIT", "C ls @trap", "C PATH=/x", "C PATH=⟨*⟩ ls @trap"]),
        ("BASH_CMDS[ls]=/x/ls; ls", &["C BASH_CMDS[ls]=/x/ls", "O", "C BASH_CMDS=⟨*⟩ ls"]),
        ("hash -p /x/ls ls", &["O"]),
        ("declare -n r=PATH", &["O", "C declare -n r=PATH"]),
        ("export \"$X\"", &["O", "C export ⟨*⟩"]),
        ("GIT_PAGER=x nohup git log", &["W GIT_PAGER=x nohup", "C GIT_PAGER=x git log @nohup"]),
    ]);
}

#[test]
fn aliases_are_opaque() {
    check(&[
        ("alias ls=find; ls / -delete", &["O", "W alias ls=find", "C find @alias", "C ls / -delete"]),
        ("alias ls", &["C alias ls"]),
        ("shopt -s expand_aliases", &["O", "C shopt -s expand_aliases"]),
        ("shopt -s extglob expand_aliases", &["O", "C shopt -s extglob expand_aliases"]),
        ("shopt -s extglob", &["C shopt -s extglob"]),
    ]);
}

#[test]
fn a_shell_reads_the_last_stdin() {
    check(&[
        ("bash 3<&0 <<< ls 0<&3", &["W bash <ls", "O"]),
        ("bash 3<x <<<ls 0<&3", &["W bash <x <ls", "O"]),
        ("sh -s <<<ls <&3", &["W sh -s <ls", "O"]),
        ("bash <<< ls < <(rm)", &["W bash <ls", "O", "C rm"]),
        ("bash <<< ls < x", &["W bash <ls <x", "O"]),
        ("bash <<< ls <> x", &["W bash <ls >x", "O"]),
        ("bash <<< ls 0>x", &["W bash <ls >x", "O"]),
        ("bash < x <<< ls", &["W bash <x <ls", "C ls @bash"]),
        ("bash 3<x <<< ls", &["W bash <x <ls", "C ls @bash"]),
        ("bash <<EOF 0<&3\nls\nEOF", &["W bash <ls\n", "O"]),
        ("exec <x; bash", &["C exec <x", "W bash", "O"]),
        ("bash -i", &["O"]),
        ("bash /dev/stdin <<< ls", &["O"]),
    ]);
}

#[test]
fn values_that_hold_code() {
    check(&[
        ("x='a[$(rm)]'", &["O", "C x=a[$(rm)]"]),
        ("x=\\$\\(rm\\)", &["O", "C x=$(rm)"]),
        ("x=$'`rm`'", &["O", "C x=`rm`"]),
        ("x=('a[$(rm)]')", &["O", "C x=⟨*⟩"]),
        ("x='${ rm; }'", &["O", "C x=${ rm; }"]),
        ("export x='a[$(rm)]'", &["O", "C export x=a[$(rm)]"]),
        ("printf -v 'a[$(rm)]' x", &["O", "C printf -v a[$(rm)] x"]),
        ("printf -v x %s '$(rm)'", &["O", "C printf -v x %s $(rm)"]),
        ("read x <<< '$(rm)'", &["O", "C read x <$(rm)"]),
        ("test -v 'a[$(rm)]'", &["O", "O", "C test -v a[$(rm)]"]),
        ("[ -v 'a[$(rm)]' ]", &["O", "O", "C [ -v a[$(rm)] ]"]),
        ("[[ -v 'a[$(rm)]' ]]", &["O", "O"]),
        ("[[ 'a[$(rm)]' -eq 1 ]]", &["O", "O"]),
        ("[[ $x == '$(' ]]", &[]),
        ("unset 'a[$(rm)]'", &["O", "O", "C unset a[$(rm)]"]),
        ("for x in 'a[$(rm)]'; do :; done", &["O", "C x=a[$(rm)] :"]),
        ("echo \"${x@P}\"", &["C echo ⟨*⟩", "O"]),
        ("echo '$(date)' \"\\$(date)\"", &["C echo $(date) $(date)"]),
        ("x=$(date)", &["C x=⟨*⟩", "C date"]),
    ]);
}

#[test]
fn shells_that_run_startup_code() {
    check(&[
        ("PS4='+ ' bash -xc ls", &["O", "W PS4=+  bash -xc ls", "C PS4=+  ls @bash -c"]),
        (
            "env SHELLOPTS=xtrace bash -c ls",
            &[
                "W env SHELLOPTS=xtrace",
                "O",
                "W SHELLOPTS=xtrace bash -c ls @env",
                "C SHELLOPTS=xtrace ls @env/bash -c",
            ],
        ),
        (
            "export BASH_ENV=x; bash -c ls",
            &["C export BASH_ENV=x", "O", "W BASH_ENV=x bash -c ls", "C BASH_ENV=x ls @bash -c"],
        ),
        ("bash -ic ls", &["O"]),
        ("bash --rcfile x", &["O"]),
        ("bash --init-file x -c ls", &["O"]),
        ("PS4=x eval ls", &["W PS4=x eval ls", "C PS4=x ls @eval"]),
        (
            "env 'BASH_FUNC_ls%%=() { rm; }' bash -c ls",
            &[
                "W env BASH_FUNC_ls%%=() { rm; }",
                "O",
                "W BASH_FUNC_ls%%=() { rm; } bash -c ls @env",
                "C BASH_FUNC_ls%%=() { rm; } ls @env/bash -c",
            ],
        ),
    ]);
}

#[test]
fn network_redirections() {
    check(&[
        ("cat </dev/tcp/h/80", &["O", "C cat </dev/tcp/h/80"]),
        ("echo x >/dev/tcp/h/80", &["O", "C echo x >/dev/tcp/h/80"]),
        ("echo x >>/dev/tcp/h/80", &["O", "C echo x >/dev/tcp/h/80"]),
        ("echo x >|/dev/tcp/h/80", &["O", "C echo x >/dev/tcp/h/80"]),
        ("cat <>/dev/tcp/h/80", &["O", "C cat >/dev/tcp/h/80"]),
        ("echo x &>/dev/tcp/h/80", &["O", "C echo x >/dev/tcp/h/80"]),
        ("echo x &>>/dev/tcp/h/80", &["O", "C echo x >/dev/tcp/h/80"]),
        ("echo x >&/dev/tcp/h/80", &["O", "C echo x >/dev/tcp/h/80"]),
        ("echo x 2>&/dev/tcp/h/80", &["O", "C echo x >/dev/tcp/h/80"]),
        ("cat 3</dev/udp/h/53", &["O", "C cat </dev/udp/h/53"]),
        ("exec 3<>/dev/tcp/h/80", &["O", "C exec >/dev/tcp/h/80"]),
        ("{ ls; } >/dev/tcp/h/80", &["C ls", "O", "C >/dev/tcp/h/80"]),
        ("echo x > \"/dev/tcp/$h/$p\"", &["O", "C echo x >/dev/tcp/⟨*⟩/⟨*⟩"]),
        ("echo x > /dev/$x", &["O", "C echo x >/dev/⟨*⟩"]),
        ("X=/dev/tcp/h/80; echo x > $X", &["C X=/dev/tcp/h/80", "O", "C X=/dev/tcp/h/80 echo x >⟨*⟩"]),
        ("HOME=/dev/tcp/h; cat < ~/80", &["C HOME=/dev/tcp/h", "O", "C HOME=/dev/tcp/h cat <~/80"]),
        ("echo x > /dev/tcp/h/80*", &["O", "C echo x >/dev/tcp/h/80⟨f*⟩"]),
        // Not special to bash: plain files.
        ("echo x > /dev//tcp/h/80", &["C echo x >/dev//tcp/h/80"]),
        ("echo x > /dev/null", &["C echo x >/dev/null"]),
        ("echo x > \"$f\"", &["C echo x >⟨*⟩"]),
        ("echo x > /tmp/$f", &["C echo x >/tmp/⟨*⟩"]),
        ("cat <<< /dev/tcp/h/80", &["C cat </dev/tcp/h/80"]),
        ("cat <<EOF\n/dev/tcp/h/80\nEOF\n", &["C cat </dev/tcp/h/80\n"]),
        ("cat /dev/tcp/h/80", &["C cat /dev/tcp/h/80"]),
    ]);
}

/// True when the line gives an opaque unit.
fn opaque(line: &str) -> bool {
    analyze_line(line).units.iter().any(|unit| matches!(unit, Unit::Opaque { .. }))
}

#[test]
fn run_time_text_where_bash_evaluates_it() {
    let runs = [
        "x=$(cat f); echo $((x))",
        "x=$(cat f); echo $[x]",
        "x=$(cat f); echo $(( $x + 1 ))",
        "x=$(cat f); ((x))",
        "x=$(cat f); ((y = x + 1))",
        "x=$(cat f); let x",
        "x=$(cat f); let y=x+1",
        "x=$(cat f); let 'y = x'",
        "read x; [[ $x -eq 0 ]]",
        "read x; [[ x -eq 0 ]]",
        "read x; [[ 1 -lt $x ]]",
        "read x; [[ 1 -ne x || 2 -ge x ]]",
        "read x; echo ${a[$x]}",
        "read x; echo ${a[x]}",
        "read x; echo ${#a[x]}",
        "read x; a[$x]=1",
        "read x; a[x]=1",
        "read x; a=([x]=1)",
        "read x; declare a[x]=1",
        "read x; declare -a a=([x]=1)",
        "read x; unset a[x]",
        "read x; declare -i y; y=x",
        "read x; declare -i y=x",
        "read x; local -i y=$x",
        "declare -i n; read n",
        "read x; echo ${s:x}",
        "read x; echo ${s:$x}",
        "read x; echo ${s:0:x}",
        "read x; echo ${a[@]:x}",
        "read x; echo \"${@:x}\"",
        "read x; for ((i=x; i<1; i++)); do :; done",
        "read x; for ((i=0; i<x; i++)); do :; done",
        "read x; echo ${!x}",
        "read x; echo ${!x[0]}",
        "read x; [[ -v $x ]]",
        "read x; test -v \"$x\"",
        "read x; [ -v \"a[$x]\" ]",
        "read x; printf -v \"$x\" %s 1",
        "read x; declare -n r=$x",
        "read x; case 1 in $((x))) ;; esac",
        "echo $(( $(cat f) ))",
        "echo $(( `cat f` ))",
        "x=$(cat f); y=x; echo $((y))",
        "x=$(cat f); export x; bash -c 'echo $((x))'",
        "f() { echo $(($1 + 1)); }",
        "bash -c 'echo $(($1))' _ x",
        "cd /tmp; echo $((PWD))",
        "for f in *; do echo $((f)); done",
        "for i in $(seq 3); do echo $((i * 2)); done",
        "mapfile -t a; echo $((a))",
        "x=${y:-$(cat f)}; echo $((x))",
        "[[ $x -eq 0 ]]",
        "m[key]=1",
        "ref='a[i]'; echo ${!ref}",
        "read k; declare -A m; unset \"m[$k]\"",
        "echo ${a[i]}",
        "echo ${!x}",
        "echo ${a[$x]}",
        "echo $((HOME))",
        "n=$(wc -l src/*.rs); echo $((n))",
        "echo $(( $(grep -c x f g) ))",
        "for i in \"${a[@]}\"; do echo \"${b[$i]}\"; done",
        "declare -A h; for k in \"${!h[@]}\"; do echo $((k)); done",
    ];
    let fine = [
        "x=3; echo $((x + 1))",
        "x=3; y=x; echo $((y))",
        "echo $((1 + 2))",
        "echo $((RANDOM % 6 + UID))",
        "n=0; for f in *; do n=$((n + 1)); done; echo $n",
        "for i in 1 2 3; do echo $((i * 2)); done",
        "for i in {1..10}; do echo $((i * 2)); done",
        "for ((i = 0; i < 10; i++)); do echo $((i * 2)); done",
        "i=0; while true; do ((i++)); [[ $i -gt 3 ]] && break; done",
        "let i=1; let j=i+1; echo $((j))",
        "ref=HOME; echo ${!ref}",
        "ref=a[1]; echo ${!ref}",
        "declare -A m; m[key]=1; echo ${m[key]} ${m[$k]}; unset 'm[key]'",
        "declare -A m=([a]=1 [b]=2)",
        "read k; declare -A m; m[$k]=1; echo ${m[$k]}",
        "declare -i n=5; n=n+1",
        "read x; echo ${!a[@]} ${!pre*}",
        "read x; echo ${#x}; echo $(( ${#x} + 1 ))",
        "read x; echo ${x:-1} ${x/a/b} ${x#a}",
        "read x; [[ $x == 0 ]]",
        "read x; [ \"$x\" -eq 0 ]",
        "read x; [[ -v x ]]",
        "a=(1 2 3); echo ${a[1]} ${a[@]:1:2}",
        "echo $(( $# + $? ))",
        "echo $(($1 + 1))",
        "n=$(wc -l < f); echo $((n + 1))",
        "n=$(wc -l f); echo $((n))",
        "[[ $(grep -c TODO src/main.rs) -gt 0 ]]",
        "echo $(( $(ls | wc -l) * 2 ))",
        "for i in \"${!a[@]}\"; do echo \"${a[$i]}\"; done",
        "start=$(date +%s); sleep 1; echo $(( $(date +%s) - start ))",
    ];
    let mut failures = Vec::new();
    for line in runs {
        if !opaque(line) {
            failures.push(format!("not opaque: {line}"));
        }
    }
    for line in fine {
        if opaque(line) {
            failures.push(format!("opaque: {line} {:?}", analyze_line(line).units));
        }
    }
    assert!(failures.is_empty(), "\n{}", failures.join("\n"));
}

#[test]
fn work_is_bounded() {
    use std::time::Instant;
    let over = "ls; ".repeat(33 * 1024);
    let analysis = analyze_line(&over);
    assert!(analysis.parse_error.is_some(), "longer than 128 KiB");
    assert!(opaque(&over));
    let mut assignments: String = (0..3000).map(|i| format!("v{i}=x; ")).collect();
    assignments.push_str(&"ls; ".repeat(10_000));
    let big_value = format!("x={}; {}", "A".repeat(64 * 1024), "ls;".repeat(20_000));
    let mut chain = String::from("a0=1; ");
    for i in 1..8 {
        chain.push_str(&format!("a{i}={}; ", vec![format!("a{}", i - 1); 50].join("+")));
    }
    chain.push_str("echo $((a7))");
    for line in [assignments, big_value, chain, "ls | ".repeat(5000) + "ls"] {
        let start = Instant::now();
        assert!(opaque(&line), "{:.60}", line);
        let units = analyze_line(&line).units.len();
        assert!(units <= 4_200, "{units} units: {:.60}", line);
        eprintln!("{:>8} bytes {:>6} units {:?}: {:.40}", line.len(), units, start.elapsed(), line);
    }
    // Ordinary lines stay well inside the bounds.
    assert!(!opaque(&"git status && git diff; ".repeat(100)));
}

/// A line of bytes: the syntax is read as written, a byte that is not UTF-8 is an unknown part of
/// its word (in quotes, in a redirection target, in a nested shell), and a NUL makes the line
/// opaque (bash would run only what comes before it).
#[test]
fn lines_of_bytes() {
    let cases: &[(&[u8], &[&str])] = &[
        (b"echo caf\xe9", &["C echo caf\u{27e8}*\u{27e9}"]),
        (b"cat ~/.ssh/id_\xffrsa", &["C cat ~/.ssh/id_\u{27e8}*\u{27e9}rsa"]),
        (b"rm -rf '/\xfe\xff' && ls", &["C rm -rf /\u{27e8}*\u{27e9}", "C ls"]),
        (b"echo x > /etc/\xffpasswd", &["C echo x >/etc/\u{27e8}*\u{27e9}passwd"]),
        (b"bash -c 'touch \xff'", &["W bash -c touch \u{27e8}*\u{27e9}", "O"]),
        (b"r\xffm x", &["O"]),
        (b"echo ok\0; rm -rf /", &["O"]),
        (b"ls caf\xc3\xa9", &["C ls caf\u{e9}"]),
    ];
    for (line, want) in cases {
        let analysis = super::analyze_line_bytes(line);
        assert_eq!(summaries(&analysis), *want, "{}", String::from_utf8_lossy(line));
        assert!(analysis.parse_error.is_none(), "{}", String::from_utf8_lossy(line));
    }
}
