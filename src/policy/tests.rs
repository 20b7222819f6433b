//! Table tests of the policy language: each condition, allow-narrowly/deny-broadly, strictest wins.

use super::{Context, Decision, Policy, Resolver};
use std::path::Path;

const HOME: &str = "/home/agent";

const POLICY: &str = r#"
version = 1
[settings]
default = "ask"

[[rules]]
id = "read"
decision = "allow"
match = ["ls", "cat", "git status", "echo"]

[[rules]]
id = "root-delete"
decision = "deny"
match = ["rm"]
flags = ["-r", "--recursive"]
args = ["/", "/*", "~"]

[[rules]]
id = "force-push"
decision = "deny"
match = ["git push"]
flags = ["--force", "-f"]

[[rules]]
id = "push"
decision = "ask"
match = ["git push"]

[[rules]]
id = "secrets"
decision = "deny"
redirects = ["/etc/*", "~/.ssh/**"]

[[rules]]
id = "prod-env"
decision = "deny"
env = { DEPLOY_ENV = "prod*" }

[[rules]]
id = "tmp-only"
decision = "allow"
match = ["touch"]
cwd = ["/tmp/**"]

[[rules]]
id = "sudo"
decision = "ask"
match = ["sudo"]

[[rules]]
id = "key-files"
decision = "ask"
match = ["cat", "tr"]
args = ["~/.ssh/*"]

[[rules]]
id = "sort-check"
decision = "allow"
match = ["sort"]
flags = ["--check"]

[[rules]]
id = "make-with-gcc"
decision = "allow"
match = ["make"]
env = { CC = "gcc*" }

[[rules]]
id = "logs"
decision = "allow"
match = ["tee"]
redirects = ["/var/log/app/*"]
args = ["/var/log/app/*"]
"#;

fn judge(line: &str, cwd: &str, env: &[(&str, &str)]) -> (Decision, Option<String>) {
    let policy = Policy::parse("test.toml", POLICY, HOME).unwrap();
    let resolver = Resolver::new(Some("/usr/local/bin:/usr/bin:/bin".into()));
    let lookup = |name: &str| env.iter().find(|(key, _)| *key == name).map(|(_, value)| value.to_string());
    let context = Context {
        home: HOME,
        cwd: Path::new(cwd),
        env: &lookup,
        resolver: &resolver,
        project: None,
        own: &Default::default(),
    };
    let classification = policy.classify(&crate::shell::analyze_line(line), &context);
    (classification.decision, classification.rule)
}

#[test]
fn conditions() {
    use Decision::*;
    let cases: &[(&str, Decision, Option<&str>)] = &[
        // flags in every spelling; nothing after `--` is a flag
        ("rm -rf /", Deny, Some("root-delete")),
        ("rm -fr /", Deny, Some("root-delete")),
        ("rm -r -f /", Deny, Some("root-delete")),
        ("rm --recursive /", Deny, Some("root-delete")),
        ("rm -f -- -r /", Ask, Some("path:elsewhere")),
        // a long option by any prefix, as getopt_long takes it, for ask and deny only
        ("rm --rec /", Deny, Some("root-delete")),
        ("rm --r /", Deny, Some("root-delete")),
        ("rm --recurs=1 /", Deny, Some("root-delete")),
        ("rm --recursivex /", Ask, None),
        ("rm --no-recursive /", Ask, None),
        ("rm -f -- --rec /", Ask, Some("path:elsewhere")),
        ("git push --for", Deny, Some("force-push")),
        ("git push --f=1 origin", Deny, Some("force-push")),
        ("sort --check x", Allow, Some("sort-check")),
        ("sort --che x", Ask, None),
        ("rm -rf /tmp/x", Ask, None),
        // args as written and normalised, `~` as home
        ("rm -rf //", Deny, Some("root-delete")),
        ("rm -rf /./", Deny, Some("root-delete")),
        ("rm -rf /tmp/../", Deny, Some("root-delete")),
        ("rm -rf ~", Deny, Some("root-delete")),
        ("rm -rf /home/agent", Deny, Some("root-delete")),
        ("rm -rf /home/agent/", Deny, Some("root-delete")),
        // globs normalised too, relative ones joined to the cwd
        ("rm -rf //*", Deny, Some("root-delete")),
        ("rm -rf ///*", Deny, Some("root-delete")),
        ("rm -rf /./*", Deny, Some("root-delete")),
        ("rm -rf /tmp/../*", Deny, Some("root-delete")),
        ("rm -rf /tmp/*/../../*", Deny, Some("root-delete")),
        ("rm -rf ../../../*", Deny, Some("root-delete")),
        ("rm -rf ../../../../../../*", Deny, Some("root-delete")),
        ("rm -rf ~/*/..", Deny, Some("root-delete")),
        ("rm -rf /tmp/.*/*", Deny, Some("root-delete")),
        ("rm -rf /tmp/$D/../*", Deny, Some("root-delete")),
        ("rm -rf /tmp/build-*/*", Ask, None),
        ("rm -rf ../*/", Ask, Some("path:elsewhere")),
        // words known only at run time could be anything
        ("rm -rf $DIR", Deny, Some("root-delete")),
        ("rm $FLAGS /", Deny, Some("root-delete")),
        ("git push $ARGS", Deny, Some("force-push")),
        // a file-name glob never holds '/', and is relative to the cwd
        ("rm -rf *", Ask, None),
        ("--long-flag", Ask, None),
        // `--force=x` holds `--force`; options between words
        ("git push --force=yes", Deny, Some("force-push")),
        ("git -C repo push origin", Ask, Some("push")),
        ("git push origin main", Ask, Some("push")),
        // redirects
        ("echo x > /etc/passwd", Deny, Some("secrets")),
        ("echo x >> ~/.ssh/authorized_keys", Deny, Some("secrets")),
        ("echo x > $F", Deny, Some("secrets")),
        ("cat /etc/passwd", Allow, Some("read")),
        ("echo x > /dev/null", Allow, Some("read")),
        ("tee /var/log/app/x.log > /var/log/app/y.log", Allow, Some("logs")),
        ("tee /var/log/app/x.log > /tmp/y.log", Ask, Some("path:elsewhere")),
        // an allow rule's args must hold for every argument and every file read through `<`
        ("tee /var/log/app/x.log ~/.bashrc > /var/log/app/y.log", Deny, Some("path:persistence")),
        ("tee -a /var/log/app/x.log > /var/log/app/y.log", Ask, Some("path:elsewhere")),
        ("tee /var/log/app/x.log < /var/log/app/z.log > /var/log/app/y.log", Allow, Some("logs")),
        ("tee /var/log/app/x.log < ~/.ssh/id_rsa > /var/log/app/y.log", Ask, Some("path:secret")),
        ("tee < /var/log/app/z.log > /var/log/app/y.log", Allow, Some("logs")),
        // input redirects are arguments to ask and deny rules; option values too
        ("cat < ~/.ssh/id_rsa", Ask, Some("key-files")),
        ("cat <~/.ssh/id_rsa", Ask, Some("key-files")),
        ("tr a b 0< ~/.ssh/id_rsa", Ask, Some("key-files")),
        ("cat < $F", Ask, Some("key-files")),
        ("cat < /home/agent//.ssh/./id_rsa", Ask, Some("key-files")),
        ("cat < README.md", Allow, Some("read")),
        // An option gate does not know: its value may be read or written, and writing ~/.ssh is persistence.
        ("cat --file=~/.ssh/id_rsa", Deny, Some("path:persistence")),
        ("rm --dir=/ -r", Deny, Some("root-delete")),
        // env: on the command, or in gate's environment
        ("DEPLOY_ENV=prod-eu ls", Deny, Some("prod-env")),
        ("env DEPLOY_ENV=production ls", Deny, Some("prod-env")),
        ("DEPLOY_ENV=$E ls", Deny, Some("prod-env")),
        // a variable given to the command keeps it from allow rules, unless harmless or named
        ("DEPLOY_ENV=staging ls", Ask, None),
        ("LANG=C LC_ALL=C TZ=UTC ls", Allow, Some("read")),
        ("GIT_PAGER=x git status", Ask, None),
        ("env PAGER=x git status", Ask, None),
        ("HOME=/tmp/h git status", Ask, None),
        ("LANG=C LD_AUDIT=x.so ls", Ask, None),
        ("CC=gcc-13 make", Allow, Some("make-with-gcc")),
        ("CC=./evil make", Ask, None),
        ("CC=gcc CFLAGS=-O2 make", Ask, None),
        ("FOO=1 rm -rf /", Deny, Some("root-delete")),
        // allow narrowly: the same file, the exact words
        ("ls", Allow, Some("read")),
        ("/bin/ls", Allow, Some("read")),
        ("./ls", Ask, None),
        ("/tmp/ls", Ask, None),
        ("PATH=/tmp ls", Ask, None),
        ("PATH=$P ls", Ask, None),
        ("git status", Allow, Some("read")),
        ("git -c core.fsmonitor=x status", Ask, None),
        ("git status; git push", Ask, Some("push")),
        // wrappers count only where named; strictest wins
        ("nohup ls", Allow, Some("read")),
        ("sudo ls", Ask, Some("sudo")),
        ("sudo rm -rf /", Deny, Some("root-delete")),
        ("ls && rm -rf / || git push", Deny, Some("root-delete")),
    ];
    let mut wrong = Vec::new();
    for (line, decision, rule) in cases {
        let got = judge(line, "/home/agent/project", &[]);
        if got != (*decision, rule.map(str::to_string)) {
            wrong.push(format!("{line:?}: expected {decision} {rule:?}, got {got:?}"));
        }
    }
    assert!(wrong.is_empty(), "{}", wrong.join("\n"));
}

#[test]
fn environment_and_cwd_conditions() {
    assert_eq!(judge("ls", "/home/agent", &[("DEPLOY_ENV", "prod")]).0, Decision::Deny);
    assert_eq!(judge("ls", "/home/agent", &[("DEPLOY_ENV", "dev")]).0, Decision::Allow);
    assert_eq!(judge("touch x", "/tmp/work", &[]).0, Decision::Allow);
    assert_eq!(judge("touch x", "/home/agent", &[]).0, Decision::Ask);
    assert_eq!(judge("rm -rf *", "/", &[]).0, Decision::Deny, "a glob in / can name /etc");
}

#[test]
fn settings_judge_what_rules_cannot() {
    let policy = Policy::parse(
        "p.toml",
        "version = 1\n[settings]\ndefault = \"allow\"\nopaque = \"deny\"\non_parse_error = \"deny\"\n",
        HOME,
    )
    .unwrap();
    let resolver = Resolver::new(None);
    let context = Context {
        home: HOME,
        cwd: Path::new("/"),
        env: &|_| None,
        resolver: &resolver,
        project: None,
        own: &Default::default(),
    };
    let decide = |line: &str| policy.classify(&crate::shell::analyze_line(line), &context).decision;
    assert_eq!(decide("frobnicate --now"), Decision::Allow);
    assert_eq!(decide("eval \"$X\""), Decision::Deny);
    assert_eq!(decide("ls 'open"), Decision::Deny);
}

#[test]
fn rejects_what_can_never_match_or_loosens() {
    let cases = [
        ("version = 2", "unsupported policy version"),
        ("version = 1\n[settings]\nopaque = \"allow\"", "never allowed"),
        ("version = 1\n[settings]\non_parse_error = \"allow\"", "never allowed"),
        ("version = 1\n[settings]\napproval_timeout = 0", "approval_timeout"),
        ("version = 1\n[[rules]]\nid = \"a\"\ndecision = \"deny\"", "no condition"),
        ("version = 1\n[[rules]]\nid = \"a\"\ndecision = \"deny\"\nmatch = []", "can never match"),
        ("version = 1\n[[rules]]\nid = \"a\"\ndecision = \"deny\"\nflags = [\"r\"]", "can never match"),
        ("version = 1\n[[rules]]\nid = \"a\"\ndecision = \"deny\"\nargs = []", "can never match"),
        ("version = 1\n[[rules]]\nid = \"a\"\ndecision = \"deny\"\nmatch = [\"\"]", "empty command"),
        ("version = 1\n[[rules]]\nid = \"a b\"\ndecision = \"deny\"\nmatch = [\"x\"]", "rule id"),
        (
            "version = 1\n[[rules]]\nid = \"a\"\ndecision = \"deny\"\nmatch = [\"x\"]\n[[rules]]\nid = \"a\"\ndecision = \"deny\"\nmatch = [\"y\"]",
            "duplicate rule id",
        ),
        ("version = 1\n[[rules]]\nid = \"a\"\ndecision = \"maybe\"\nmatch = [\"x\"]", "unknown variant"),
        (
            "version = 1\n[[rules]]\nid = \"a\"\ndecision = \"deny\"\nmatch = [\"x\"]\nmatches = []",
            "unknown field",
        ),
        ("version = 1\nrule = 1", "unknown key"),
        ("[settings]", "missing `version = 1`"),
        (
            "version = 1\n[[rules]]\nid = \"a\"\ndecision = \"deny\"\nenv = { \"1X\" = \"*\" }",
            "environment variable",
        ),
        (
            "version = 1\n[[tests]]\ncommand = \"ls\"\nexpect = \"allow\"\nrule = \"nope\"",
            "no rule has the id",
        ),
        ("version = 1\n[[rules]]\nid = \"a\"\ndecision = \"deny\"\nargs = [\"[z-a]\"]", "bad glob"),
        (
            "version = 1\n[[rules]]\nid = \"a\"\ndecision = \"deny\"\nmatch = [\"git 'push\"]",
            "unterminated quote",
        ),
    ];
    for (text, expected) in cases {
        let error = Policy::parse("p.toml", text, HOME).expect_err(text).to_string();
        assert!(error.contains(expected), "{text:?}: {error}");
        assert!(error.contains("p.toml:"), "{text:?} names no position: {error}");
    }
}

#[test]
fn approval_section_is_checked_and_pinned_by_the_system_layer() {
    let key = crate::audit::SecretKey::from_seed("gate-broker@b", [1; 32]).public().to_text();
    let section = |url: &str, token: &str| {
        format!("version = 1\n[approval]\nbroker = \"{url}\"\ntoken = \"{token}\"\nkey = \"{key}\"\n")
    };
    for (text, expected) in [
        (section("ftp://b", "env:T"), "http:// or https://"),
        (section("https://b", "s3cret-inline"), "env:NAME or file:PATH"),
        ("version = 1\n[approval]\nbroker = \"https://b\"\nkey = \"nope\"".to_string(), "not a broker key"),
        ("version = 1\n[approval]\nbroker = \"https://b\"\nurl = \"x\"".to_string(), "unknown field"),
    ] {
        let error = Policy::parse("p.toml", &text, HOME).expect_err(&text).to_string();
        assert!(error.contains(expected), "{text:?}: {error}");
    }
    let system =
        Policy::parse(super::SYSTEM_POLICY, &section("https://corp/", "file:/etc/gate/t"), HOME).unwrap();
    assert_eq!(system.approval.as_ref().map(|a| a.url.as_str()), Some("https://corp"));
    let user =
        Policy::parse("/home/a/.config/gate/policy.toml", &section("http://127.0.0.1:1", "env:T"), HOME)
            .unwrap();
    let error = system.stack(user, false).expect_err("a pinned broker cannot be replaced").to_string();
    assert!(error.contains("pins the broker https://corp"), "{error}");
    // A project layer may not name one at all.
    let project = Policy::parse_layer(".gate/policy.toml", &section("http://x", "env:T"), HOME, true);
    assert!(project.expect_err("project").to_string().contains("may not choose the approval broker"));
    // Below an unpinned layer, the upper one wins.
    let lower = Policy::parse("/home/a/p.toml", &section("https://one", "env:T"), HOME).unwrap();
    let upper = Policy::parse("/home/a/q.toml", &section("https://two", "env:T"), HOME).unwrap();
    assert_eq!(lower.stack(upper, false).unwrap().approval.unwrap().url, "https://two");
}
