//! Every policy shipped in `policies/` loads and passes its own tests; the sample cases hold.

use gate::policy::{Context, Decision, Policy, Resolver};
use std::path::Path;

const HOME: &str = "/home/agent";

fn with_context<T>(run: impl FnOnce(&Context) -> T) -> T {
    let resolver = Resolver::new(Some("/usr/local/bin:/usr/bin:/bin:/usr/sbin:/sbin".into()));
    let env = |name: &str| (name == "HOME").then(|| HOME.to_string());
    let context = Context {
        home: HOME,
        cwd: Path::new("/home/agent/project"),
        env: &env,
        resolver: &resolver,
        project: None,
        own: &Default::default(),
    };
    run(&context)
}

fn load(path: &Path) -> Policy {
    let text = std::fs::read_to_string(path).unwrap();
    Policy::parse(&path.display().to_string(), &text, HOME).unwrap_or_else(|error| panic!("{error}"))
}

#[test]
fn every_shipped_policy_loads_and_passes_its_tests() {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("policies");
    let mut seen = 0;
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        // paths.toml is the built-in floor of path classes, read by the path judge, not a policy.
        if path.file_name().is_some_and(|name| name == "paths.toml") {
            continue;
        }
        if path.extension().is_some_and(|ext| ext == "toml") {
            let policy = load(&path);
            assert!(!policy.tests.is_empty(), "{} has no [[tests]]", path.display());
            let failures = with_context(|context| policy.run_tests(context));
            assert!(failures.is_empty(), "{}: {failures:#?}", path.display());
            seen += 1;
        }
    }
    assert!(seen >= 4, "default plus at least three examples, saw {seen}");
}

#[test]
fn builtin_default_is_the_shipped_default() {
    let shipped =
        std::fs::read_to_string(Path::new(env!("CARGO_MANIFEST_DIR")).join("policies/default.toml")).unwrap();
    assert_eq!(shipped, gate::policy::BUILTIN_DEFAULT);
}

/// `expect` of the sample cases: allow, ask, deny, or not-allow (ask or deny).
fn holds(expect: &str, got: Decision) -> bool {
    match expect {
        "not-allow" => got != Decision::Allow,
        "allow" => got == Decision::Allow,
        "ask" => got == Decision::Ask,
        "deny" => got == Decision::Deny,
        other => panic!("unknown expectation {other}"),
    }
}

/// Judges every `[[case]]` of `cases_file` under the policy at `policy_file` (both in tests/data,
/// or the built-in default when `policy_file` is None); returns the ones that went wrong.
fn wrong_cases(policy_file: Option<&str>, cases_file: &str) -> Vec<String> {
    let data = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/data");
    let policy = match policy_file {
        Some(file) => load(&data.join(file)),
        None => Policy::parse("default", gate::policy::BUILTIN_DEFAULT, HOME).unwrap(),
    };
    let cases: toml::Value =
        toml::from_str(&std::fs::read_to_string(data.join(cases_file)).unwrap()).unwrap();
    let mut wrong = Vec::new();
    with_context(|context| {
        for case in cases["case"].as_array().unwrap() {
            let command = case["command"].as_str().unwrap();
            let expect = case["expect"].as_str().unwrap();
            let got = policy.classify(&gate::shell::analyze_line(command), context);
            if !holds(expect, got.decision) {
                wrong.push(format!("{command:?}: expected {expect}, got {} ({})", got.decision, got.reason));
            }
        }
    });
    wrong
}

#[test]
fn sample_cases_hold() {
    let wrong = wrong_cases(Some("sample-policy.toml"), "sample-cases.toml");
    assert!(wrong.is_empty(), "{}", wrong.join("\n"));
}

#[test]
fn default_policy_cases_hold() {
    let wrong = wrong_cases(None, "default-cases.toml");
    assert!(wrong.is_empty(), "{}", wrong.join("\n"));
}
