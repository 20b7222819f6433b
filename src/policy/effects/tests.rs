//! Whole-effect tables: what each class decides for redirections, as the classifier sees them.

use super::OwnFiles;
use crate::policy::{Context, Decision, Policy, Resolver};
use crate::shell::{Cwd, Redirect, RedirectKind, SimpleCommand, Unit, Word, analyze_line};
use std::path::{Path, PathBuf};

const HOME: &str = "/home/u";

fn own() -> OwnFiles {
    OwnFiles::known(
        ["/data/gate/audit.db", "/data/gate/audit.db-wal", "/home/u/.config/gate", "/etc/gate"]
            .map(PathBuf::from)
            .to_vec(),
        vec![PathBuf::from("/home/u/.config/gate/audit-key")],
    )
}

pub(super) fn with_context<T>(run: impl FnOnce(&Context) -> T) -> T {
    let resolver = Resolver::new(Some("/usr/local/bin:/usr/bin:/bin".into()));
    let own = own();
    let env = |name: &str| match name {
        "PATH" => Some("/usr/local/bin:/usr/bin:/bin:relative".to_string()),
        "GATE_DB" => Some("/data/gate/audit.db".to_string()),
        _ => None,
    };
    let context = Context {
        home: HOME,
        cwd: Path::new("/work/p/src"),
        env: &env,
        resolver: &resolver,
        project: Some(Path::new("/work/p")),
        own: &own,
    };
    run(&context)
}

/// The verdict on the first command of a line: (decision, rule id, reason).
fn verdict(policy: &Policy, line: &str) -> Option<(Decision, &'static str, String)> {
    let analysis = analyze_line(line);
    let command = analysis
        .units
        .iter()
        .find_map(|unit| match unit {
            Unit::Command(command) | Unit::Wrapper(command) => Some(command),
            Unit::Opaque { .. } => None,
        })
        .unwrap_or_else(|| panic!("{line}: no command in {analysis:?}"));
    with_context(|context| policy.judge_paths(command, context, false))
        .map(|verdict| (verdict.decision, verdict.rule(), verdict.reason))
}

fn builtin() -> Policy {
    Policy::parse("test.toml", "version = 1\n", HOME).unwrap()
}

#[test]
fn classes_of_redirections() {
    use Decision::*;
    let policy = builtin();
    type Case<'a> = (&'a str, Option<(Decision, &'a str)>, &'a str);
    let cases: &[Case] = &[
        // persistence, in every spelling
        (": > ~/.bashrc", Some((Deny, "path:persistence")), "writes ~/.bashrc: persistence"),
        (": >> /proc/self/root/home/u/.zshrc", Some((Deny, "path:persistence")), "writes ~/.zshrc"),
        (": > /proc/1/root/etc/cron.d/job", Some((Deny, "path:persistence")), "/etc/cron.d/job"),
        (": > //home/u/./.config/../.profile", Some((Deny, "path:persistence")), "writes ~/.profile"),
        (": > ../../../home/u/.bash_profile", Some((Deny, "path:persistence")), "~/.bash_profile"),
        (": > \"$HOME/.bashrc\"", Some((Deny, "path:persistence")), "writes ~/.bashrc: persistence"),
        (": > ${HOME}/.ssh/rc", Some((Deny, "path:persistence")), "writes ~/.ssh/rc: persistence"),
        (": > /proc/self/root$HOME/.bashrc", Some((Deny, "path:persistence")), "writes ~/.bashrc"),
        (": > \"$(pwd)/.bashrc\"", Some((Ask, "gate:own")), "which could be"),
        (": > \"$F\"", Some((Ask, "gate:own")), "writes \"$F\", which could be"),
        (": > \"$F/.bashrc\"", Some((Ask, "gate:own")), "which could be"),
        (": > ~/.ssh/authorized_keys", Some((Deny, "path:persistence")), "~/.ssh/authorized_keys"),
        (": > ../.git/hooks/pre-commit", Some((Deny, "path:persistence")), "/work/p/.git/hooks/pre-commit"),
        (": > ../.git/config", Some((Deny, "path:persistence")), "/work/p/.git/config"),
        (": > /usr/local/bin/ls", Some((Deny, "path:persistence")), "/usr/local/bin (on PATH)"),
        (": > /usr/local/bin", Some((Deny, "path:persistence")), "/usr/local/bin"),
        (": > ~/.config/systemd/user/x.service", Some((Deny, "path:persistence")), "systemd"),
        (": > /etc/crontab", Some((Deny, "path:persistence")), "/etc/crontab"),
        (": > /etc/ld.so.preload", Some((Deny, "path:persistence")), "/etc/ld.so.preload"),
        (": > ~/.gitconfig", Some((Deny, "path:persistence")), "~/.gitconfig"),
        // gate's own files
        (": > /data/gate/audit.db", Some((Deny, "gate:own")), "writes /data/gate/audit.db: gate's own file"),
        (": > /data/gate/audit.db-wal", Some((Deny, "gate:own")), "audit.db-wal"),
        (": > ~/.config/gate/policy.toml", Some((Deny, "gate:own")), "~/.config/gate"),
        (": > /etc/gate/policy.toml", Some((Deny, "gate:own")), "/etc/gate"),
        (": > \"$GATE_DB\"", Some((Deny, "gate:own")), "writes /data/gate/audit.db: gate's own file"),
        (": > \"$GATE_DB\"-wal", Some((Deny, "gate:own")), "writes /data/gate/audit.db-wal: gate's own file"),
        (": < ~/.config/gate/audit-key", Some((Deny, "gate:own")), "reads ~/.config/gate/audit-key"),
        // secrets
        (": < ~/.ssh/id_rsa", Some((Ask, "path:secret")), "reads ~/.ssh/id_rsa: secret"),
        (": < ../.env", Some((Ask, "path:secret")), "reads /work/p/.env: secret"),
        (": < config/.env.local", Some((Ask, "path:secret")), ".env.local"),
        (": < /proc/self/environ", Some((Ask, "path:secret")), "/proc/self/environ"),
        (": < /proc/self/task/7/environ", Some((Ask, "path:secret")), "environ"),
        (": < /proc/1234/fd/3", Some((Ask, "path:secret")), "/proc/1234/fd/3"),
        (": < /proc/1234/root/etc/shadow", Some((Ask, "path:secret")), "reads /etc/shadow"),
        (": < ~/.aws/credentials", Some((Ask, "path:secret")), "~/.aws/credentials"),
        (": < server.pem", Some((Ask, "path:secret")), "server.pem"),
        (": < \"$F\"", Some((Ask, "gate:own")), "which could be"),
        // elsewhere
        (": > /etc/hosts", Some((Ask, "path:elsewhere")), "writes /etc/hosts: outside the project"),
        (": > ../../other/x", Some((Ask, "path:elsewhere")), "writes /work/other/x: outside the project"),
        (": > ~/notes.txt", Some((Ask, "path:elsewhere")), "writes ~/notes.txt"),
        (": > /tmp/$X.log", Some((Ask, "path:persistence")), "which could be **/.git/hooks/**"),
        (": > /tmp/$X/../x", Some((Ask, "gate:own")), "which could be"),
        (": > /work/p", Some((Ask, "path:elsewhere")), "/work/p"),
        // no objection
        (": > out.txt", None, ""),
        (": > ../target/x/../y.log", None, ""),
        (": > /work/p/src/*.log", None, ""),
        (": > /tmp/build.log", None, ""),
        (": > /tmp/*.log", None, ""),
        (": > /dev/null", None, ""),
        (": > /dev/stderr", None, ""),
        (": > /dev/fd/3", None, ""),
        (": < /proc/self/fd/0", None, ""),
        (": < ~/.bashrc", None, ""),
        (": < src/main.rs", None, ""),
        ("cat <<EOF\n~/.ssh/id_rsa\nEOF", None, ""),
        // gate itself
        ("GATE_POLICY=/tmp/p gate exec -- ls", Some((Deny, "gate:self")), "runs gate with other settings"),
    ];
    let mut failures = Vec::new();
    for (line, expected, reason) in cases {
        let found = verdict(&policy, line);
        let ok = match (&found, expected) {
            (Some((decision, rule, text)), Some((want, want_rule))) => {
                decision == want && rule == want_rule && text.contains(reason)
            }
            (None, None) => true,
            _ => false,
        };
        if !ok {
            failures.push(format!("{line:?}: expected {expected:?} with {reason:?}, got {found:?}"));
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

#[test]
fn layers_choose_what_elsewhere_gets_and_add_places() {
    let text = "version = 1\n[paths]\nelsewhere = \"deny\"\ntemp = [\"/scratch/**\"]\nproject = [\"/srv/site/**\"]\npersistence = [\"**/Makefile\"]\n";
    let policy = Policy::parse("p.toml", text, HOME).unwrap();
    let decision = |line: &str| verdict(&policy, line).map(|(decision, rule, _)| (decision, rule));
    assert_eq!(decision(": > /etc/hosts"), Some((Decision::Deny, "path:elsewhere")));
    assert_eq!(decision(": > /scratch/a/b"), None);
    assert_eq!(decision(": > /srv/site/index.html"), None);
    assert_eq!(decision(": > Makefile"), Some((Decision::Deny, "path:persistence")));
    let allow = Policy::parse("p.toml", "version = 1\n[paths]\nelsewhere = \"allow\"\n", HOME).unwrap();
    assert_eq!(verdict(&allow, ": > /etc/hosts"), None);
    assert!(verdict(&allow, ": > ~/.bashrc").is_some(), "persistence holds whatever elsewhere says");
}

/// A command that runs in another directory: relative paths resolve there.
#[test]
fn relative_paths_follow_the_commands_directory() {
    use Decision::*;
    let policy = builtin();
    let command = |cwd: Cwd, kind: RedirectKind, target: &str| SimpleCommand {
        words: vec![Word::literal("cat")],
        redirects: vec![Redirect { kind, target: Word::literal(target) }],
        cwd,
        ..SimpleCommand::default()
    };
    let home_ssh = Word {
        pieces: vec![crate::shell::Piece::Home, crate::shell::Piece::Text("/.ssh".into())],
        text: "~/.ssh".into(),
    };
    let cases = [
        (command(Cwd::Known(home_ssh.clone()), RedirectKind::Input, "id_rsa"), Some(Ask)),
        (command(Cwd::Known(Word::literal(HOME)), RedirectKind::Output, ".bashrc"), Some(Deny)),
        (command(Cwd::Known(Word::literal("..")), RedirectKind::Output, "x"), None),
        (command(Cwd::Known(Word::literal("/etc")), RedirectKind::Output, "hosts"), Some(Ask)),
        (command(Cwd::Unknown, RedirectKind::Output, ".bashrc"), Some(Ask)),
        (command(Cwd::Unknown, RedirectKind::Input, "id_rsa"), Some(Ask)),
        (command(Cwd::Known(home_ssh), RedirectKind::Output, "/proc/self/cwd/authorized_keys"), Some(Deny)),
    ];
    for (command, expected) in cases {
        let found = with_context(|context| policy.judge_paths(&command, context, false));
        assert_eq!(found.as_ref().map(|verdict| verdict.decision), expected, "{command:?}: {found:?}");
    }
}

/// The classifier folds the verdicts in: no rule loosens them.
#[test]
fn verdicts_hold_under_an_allow_everything_policy() {
    let text =
        "version = 1\n[[rules]]\nid = \"all\"\ndecision = \"allow\"\nmatch = [\"*\"]\nredirects = [\"**\"]\n";
    let policy = Policy::parse("all.toml", text, HOME).unwrap();
    let cases = [
        ("echo x > ~/.bashrc", Decision::Deny, Some("path:persistence")),
        ("cat < ~/.ssh/id_rsa", Decision::Ask, Some("path:secret")),
        ("echo x > /data/gate/audit.db", Decision::Deny, Some("gate:own")),
        ("ls > out.txt", Decision::Allow, Some("all")),
        ("GATE_POLICY=/tmp/p gate exec -- ls", Decision::Deny, Some("gate:self")),
    ];
    for (line, decision, rule) in cases {
        let classification = with_context(|context| policy.classify(&analyze_line(line), context));
        assert_eq!((classification.decision, classification.rule.as_deref()), (decision, rule), "{line}");
    }
}
