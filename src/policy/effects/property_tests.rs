//! Property: under a policy that allows every command and every output file, no line that reads
//! a secret, writes a persistence file or touches gate's own files is ever allowed, however the
//! path is spelled (`~`, `$HOME`, `/proc/*/root`, `/proc/self/cwd`, `.`, `..`, `//`, quotes,
//! globs) and whatever runs it.

use super::tests::with_context;
use crate::policy::{Decision, Policy};
use crate::shell::analyze_line;
use proptest::prelude::*;
use proptest::sample::select;

const HOME: &str = "/home/u";
const CWD: &str = "/work/p/src";

const ALLOW_ALL: &str = r#"version = 1
[[rules]]
id = "all"
decision = "allow"
match = ["*"]

[[rules]]
id = "all-with-output"
decision = "allow"
match = ["*"]
redirects = ["**"]
"#;

/// Files written: persistence and gate's own.
const WRITTEN: &[&str] = &[
    "/home/u/.bashrc",
    "/home/u/.profile",
    "/home/u/.zshenv",
    "/home/u/.ssh/authorized_keys",
    "/home/u/.ssh/config",
    "/home/u/.gitconfig",
    "/home/u/.config/git/config",
    "/home/u/.config/systemd/user/a.service",
    "/work/p/.git/hooks/pre-commit",
    "/work/p/.git/config",
    "/etc/cron.d/job",
    "/etc/ld.so.preload",
    "/usr/local/bin/ls",
    "/data/gate/audit.db",
    "/data/gate/audit.db-wal",
    "/home/u/.config/gate/policy.toml",
];

/// Files read: secrets and gate's private key.
const READ: &[&str] = &[
    "/home/u/.ssh/id_rsa",
    "/home/u/.ssh/id_ed25519",
    "/home/u/.aws/credentials",
    "/home/u/.kube/config",
    "/home/u/.netrc",
    "/work/p/.env",
    "/etc/shadow",
    "/proc/1/environ",
    "/proc/self/environ",
    "/home/u/.config/gate/audit-key",
];

/// One spelling of an absolute path.
fn spelling(path: &'static str) -> impl Strategy<Value = String> {
    let relative = relative_to_cwd(path);
    let in_home = path.strip_prefix(HOME).map(str::to_string);
    let mut choices: Vec<BoxedStrategy<String>> = vec![
        Just(path.to_string()).boxed(),
        Just(format!("/proc/self/root{path}")).boxed(),
        (1u32..99_999).prop_map(move |pid| format!("/proc/{pid}/root{path}")).boxed(),
        Just(format!("/proc/thread-self/root/{path}")).boxed(),
        Just(format!("\"{path}\"")).boxed(),
        Just(format!("'{path}'")).boxed(),
        Just(relative.clone()).boxed(),
        Just(format!("/proc/self/cwd/{relative}")).boxed(),
        Just(format!("./{relative}")).boxed(),
        noise(path).boxed(),
        glob(path).boxed(),
    ];
    if let Some(rest) = in_home {
        choices.push(Just(format!("~{rest}")).boxed());
        choices.push(Just(format!("$HOME{rest}")).boxed());
        choices.push(Just(format!("\"${{HOME}}\"{rest}")).boxed());
        choices.push(Just(format!("/proc/self/root$HOME{rest}")).boxed());
        choices.push(Just(format!("~/./{}", rest.trim_start_matches('/'))).boxed());
    }
    proptest::strategy::Union::new(choices)
}

fn relative_to_cwd(path: &str) -> String {
    let depth = CWD.matches('/').count();
    format!("{}{}", "../".repeat(depth), path.trim_start_matches('/'))
}

/// `//`, `/./` and `/x/../` put between components.
fn noise(path: &'static str) -> impl Strategy<Value = String> {
    let parts: Vec<&str> = path.trim_start_matches('/').split('/').collect();
    let count = parts.len();
    prop::collection::vec(select(vec!["/", "//", "/./", "/x/../", "/.//"]), count).prop_map(move |seps| {
        parts.iter().zip(seps).fold(String::new(), |mut out, (part, sep)| {
            out.push_str(sep);
            out.push_str(part);
            out
        })
    })
}

/// The last character of the name as a glob: `?` or `*`.
fn glob(path: &'static str) -> impl Strategy<Value = String> {
    select(vec!["?", "*", "[a-z._-]"]).prop_map(move |wild| {
        let (head, last) = path.split_at(path.len() - 1);
        let wild = if last.chars().all(|c| c.is_ascii_lowercase() || "._-".contains(c)) { wild } else { "?" };
        format!("{head}{wild}")
    })
}

/// A line around one redirection: a command, maybe wrapped, maybe in a list.
fn line(redirection: String) -> impl Strategy<Value = String> {
    let commands = select(vec!["echo x", "cat", "ls -l", ":", "true", "printf '%s' y", "tee"]);
    let wrappers = select(vec!["", "env A=1 ", "sudo ", "nice ", "timeout 5 ", "command "]);
    let before = select(vec!["", "true; ", "cd /tmp && ", "ls && ", "echo a | "]);
    let after = select(vec!["", " 2>/dev/null", " | wc -l", "; true", " && echo done"]);
    (commands, wrappers, before, after, any::<bool>()).prop_map(
        move |(command, wrapper, before, after, shell)| {
            let inner = format!("{wrapper}{command} {redirection}");
            if shell && !inner.contains('\'') {
                format!("{before}bash -c '{inner}'{after}")
            } else {
                format!("{before}{inner}{after}")
            }
        },
    )
}

fn written() -> impl Strategy<Value = String> {
    let op = select(vec![">", ">>", ">|", "&>", "&>>", "2>", "1>>", "<>"]);
    (select(WRITTEN.to_vec()).prop_flat_map(spelling), op).prop_map(|(path, op)| format!("{op} {path}"))
}

fn read() -> impl Strategy<Value = String> {
    let op = select(vec!["<", "0<"]);
    (select(READ.to_vec()).prop_flat_map(spelling), op).prop_map(|(path, op)| format!("{op} {path}"))
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 2_000, ..ProptestConfig::default() })]

    #[test]
    fn never_allowed_under_an_allow_everything_policy(
        line in prop_oneof![written(), read()].prop_flat_map(line)
    ) {
        let policy = Policy::parse("all.toml", ALLOW_ALL, HOME).unwrap();
        let classification = with_context(|context| policy.classify(&analyze_line(&line), context));
        prop_assert_ne!(classification.decision, Decision::Allow, "{} was allowed: {:?}", line, classification);
    }
}
