//! Classifier cost: one typical agent line against the default policy, and against 10,000
//! generated rules (which must not cost more, since rules are indexed by program).
//!
//!     cargo bench --bench classify

use criterion::{Criterion, criterion_group, criterion_main};
use gate::policy::{Context, Policy, Resolver};
use std::hint::black_box;
use std::path::Path;

const HOME: &str = "/home/agent";
const TYPICAL: &str = "git status && git diff --stat | head -n 20";
/// A line that moves the directory, loops and counts: the walk's place and arithmetic checks.
const MOVING: &str = "cd src && n=0; for f in *.rs; do n=$((n + $(wc -l < \"$f\"))); done; echo $n";
/// A line whose output goes to files: each target is resolved and judged by path.
const REDIRECTED: &str = "cargo test --workspace > /tmp/test.log 2>&1 && cat < Cargo.toml >> notes/out.txt";
const WRAPPED: &str = "sudo -u deploy env FOO=1 timeout 5 bash -lc 'cd /srv && git pull && make install'";

/// 10,000 rules over 2,500 programs, in every decision, with args and flags conditions.
fn generated_policy() -> String {
    let mut text = String::from("version = 1\n[settings]\ndefault = \"ask\"\n");
    for i in 0..10_000 {
        let decision = ["allow", "ask", "deny"][i % 3];
        let program = format!("tool{}", i % 2_500);
        text.push_str(&format!(
            "[[rules]]\nid = \"r{i}\"\ndecision = \"{decision}\"\nmatch = [\"{program} sub{}\"]\n",
            i % 7
        ));
        if i % 5 == 0 {
            text.push_str("flags = [\"-f\", \"--force\"]\nargs = [\"/*\", \"~/.ssh/*\"]\n");
        }
    }
    text.push_str(
        "[[rules]]\nid = \"read\"\ndecision = \"allow\"\nmatch = [\"git status\", \"git diff\", \"head\"]\n",
    );
    text
}

fn bench(c: &mut Criterion) {
    let resolver = Resolver::new(Some("/usr/local/bin:/usr/bin:/bin".into()));
    let env = |_: &str| None;
    let context = Context {
        home: HOME,
        cwd: Path::new("/home/agent/project"),
        env: &env,
        resolver: &resolver,
        project: None,
        own: &Default::default(),
    };
    let default = Policy::parse("default", gate::policy::BUILTIN_DEFAULT, HOME).unwrap();
    let generated = Policy::parse("generated", &generated_policy(), HOME).unwrap();

    c.bench_function("analyze+classify typical line, default policy", |b| {
        b.iter(|| default.classify(&gate::shell::analyze_line(black_box(TYPICAL)), &context))
    });
    c.bench_function("analyze+classify wrapped line, default policy", |b| {
        b.iter(|| default.classify(&gate::shell::analyze_line(black_box(WRAPPED)), &context))
    });
    c.bench_function("analyze typical line", |b| b.iter(|| gate::shell::analyze_line(black_box(TYPICAL))));
    c.bench_function("analyze+classify cd/loop/arithmetic line, default policy", |b| {
        b.iter(|| default.classify(&gate::shell::analyze_line(black_box(MOVING)), &context))
    });
    c.bench_function("analyze+classify line with redirections, default policy", |b| {
        b.iter(|| default.classify(&gate::shell::analyze_line(black_box(REDIRECTED)), &context))
    });
    c.bench_function("analyze+classify typical line, 10,000 rules", |b| {
        b.iter(|| generated.classify(&gate::shell::analyze_line(black_box(TYPICAL)), &context))
    });
    c.bench_function("analyze+classify tool77 line, 10,000 rules", |b| {
        b.iter(|| {
            generated.classify(
                &gate::shell::analyze_line(black_box("tool77 sub0 -f /etc | tool78 sub1")),
                &context,
            )
        })
    });
    c.bench_function("load default policy", |b| {
        b.iter(|| Policy::parse("default", black_box(gate::policy::BUILTIN_DEFAULT), HOME).unwrap())
    });
}

criterion_group!(benches, bench);
criterion_main!(benches);
