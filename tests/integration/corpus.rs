//! The corpora under the built-in default policy: ordinary agent lines (`agent-corpus.txt`) and
//! examples from the tldr pages (`tldr-corpus.txt`) should be allowed, and lines that must never
//! run unattended (`bypass-corpus.toml`) must not be. Prints each corpus's allow rate and every line
//! that went the wrong way, so a change's effect can be quoted; fails below the floors.

use gate::policy::effects::OwnFiles;
use gate::policy::{Classification, Context, Decision, Policy, Resolver};
use std::collections::BTreeSet;
use std::path::Path;

const HOME: &str = "/home/agent";
const PATH: &str = "/usr/local/bin:/usr/bin:/bin:/usr/sbin:/sbin";

/// The lowest allow rate each agent corpus may have: raise it as the classifier improves (the goal
/// is 0.97). Measured on main before issue 10 (a9654bd): agent 387 of 521 (74.3 %), tldr 448 of
/// 623 (71.9 %). With the knowledge, the known forms, the path classes and the shell walk merged
/// (f42443d and this default): agent 515 of 526 (97.9 %), tldr 616 of 622 (99.0 %).
const AGENT_FLOOR: f64 = 0.97;
const TLDR_FLOOR: f64 = 0.99;

fn data(file: &str) -> String {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/data").join(file);
    std::fs::read_to_string(&path).unwrap_or_else(|error| panic!("{}: {error}", path.display()))
}

/// Classifies each line under the built-in default with home `/home/agent` and the working
/// directory a fresh git work tree.
fn classify_all<'a>(lines: impl IntoIterator<Item = &'a str>) -> Vec<(&'a str, Classification)> {
    let project = tempfile::tempdir().unwrap();
    std::fs::create_dir(project.path().join(".git")).unwrap();
    let policy = Policy::parse("default", gate::policy::BUILTIN_DEFAULT, HOME).unwrap();
    let resolver = Resolver::new(Some(PATH.into()));
    let env = |name: &str| match name {
        "HOME" => Some(HOME.to_string()),
        "GATE_DB" => Some(format!("{HOME}/.local/share/gate/audit.db")),
        "PATH" => Some(PATH.to_string()),
        _ => None,
    };
    // What `Environment::capture` finds for an agent with the default locations.
    let own = OwnFiles::known(
        vec![
            format!("{HOME}/.local/share/gate").into(),
            format!("{HOME}/.config/gate").into(),
            "/etc/gate".into(),
        ],
        vec![format!("{HOME}/.config/gate/audit-key").into()],
    );
    let context = Context {
        home: HOME,
        cwd: project.path(),
        env: &env,
        resolver: &resolver,
        project: Some(project.path()),
        own: &own,
    };
    lines
        .into_iter()
        .map(|line| (line, policy.classify(&gate::shell::analyze_line(line), &context)))
        .collect()
}

/// The lines of a text corpus: one command line each, blank lines and `#` comments skipped.
fn corpus_lines(text: &str) -> Vec<&str> {
    text.lines().map(str::trim).filter(|line| !line.is_empty() && !line.starts_with('#')).collect()
}

/// Judges a corpus that should be allowed; prints its rate and what was not allowed.
fn allow_rate(name: &str, text: &str) -> f64 {
    let lines = corpus_lines(text);
    let judged = classify_all(lines.iter().copied());
    let mut not_allowed = Vec::new();
    for (line, got) in &judged {
        if got.decision != Decision::Allow {
            let rule = got.rule.as_deref().unwrap_or("settings");
            not_allowed.push(format!("  {}  {line}\n      ({rule}: {})", got.decision, got.reason));
        }
    }
    let rate = (judged.len() - not_allowed.len()) as f64 / judged.len() as f64;
    println!(
        "{name}: {} of {} lines allowed ({:.1} %)",
        judged.len() - not_allowed.len(),
        judged.len(),
        rate * 100.0
    );
    for line in &not_allowed {
        println!("{line}");
    }
    rate
}

#[test]
fn corpus_agent_lines_are_allowed() {
    let rate = allow_rate("agent corpus", &data("agent-corpus.txt"));
    assert!(rate >= AGENT_FLOOR, "agent corpus allow rate {rate:.3} is below the floor {AGENT_FLOOR}");
}

#[test]
fn corpus_tldr_lines_are_allowed() {
    let rate = allow_rate("tldr corpus", &data("tldr-corpus.txt"));
    assert!(rate >= TLDR_FLOOR, "tldr corpus allow rate {rate:.3} is below the floor {TLDR_FLOOR}");
}

#[test]
fn corpus_lines_are_unique_and_many() {
    for (file, least) in [("agent-corpus.txt", 400), ("tldr-corpus.txt", 300)] {
        let text = data(file);
        let lines = corpus_lines(&text);
        let mut seen = BTreeSet::new();
        let twice: Vec<_> = lines.iter().filter(|line| !seen.insert(**line)).collect();
        assert!(twice.is_empty(), "{file} has lines twice: {twice:#?}");
        assert!(lines.len() >= least, "{file} has {} lines, wants at least {least}", lines.len());
    }
}

#[derive(serde::Deserialize)]
struct Bypasses {
    lines: Vec<Bypass>,
}

#[derive(serde::Deserialize)]
#[serde(deny_unknown_fields)]
struct Bypass {
    line: String,
    /// What a sound gate says: ask or deny. Only "not allow" is asserted; the exact decision is
    /// printed when it differs.
    expect: String,
    /// The class of the issue the line belongs to.
    class: String,
    /// Why the line is still allowed: it awaits another part of the work. Printed, not asserted.
    open: Option<String>,
}

#[test]
fn corpus_bypass_lines_are_never_allowed() {
    let bypasses: Bypasses = toml::from_str(&data("bypass-corpus.toml")).unwrap();
    assert!(bypasses.lines.len() >= 120, "only {} bypass lines", bypasses.lines.len());
    let judged = classify_all(bypasses.lines.iter().map(|bypass| bypass.line.as_str()));
    let (mut allowed, mut open_allowed, mut open_held, mut differs) = (Vec::new(), 0, 0, 0);
    let mut classes = BTreeSet::new();
    for (bypass, (line, got)) in bypasses.lines.iter().zip(&judged) {
        assert!(matches!(bypass.expect.as_str(), "ask" | "deny"), "{line}: expect is ask or deny");
        classes.insert(bypass.class.as_str());
        let rule = got.rule.as_deref().unwrap_or("settings");
        match (&bypass.open, got.decision) {
            (Some(why), Decision::Allow) => {
                open_allowed += 1;
                println!("  open, allowed  [{}] {line}\n      awaits: {why}", bypass.class);
            }
            (Some(_), _) => open_held += 1,
            (None, Decision::Allow) => {
                allowed.push(format!("  ALLOWED  [{}] {line}\n      ({rule}: {})", bypass.class, got.reason))
            }
            (None, decision) if decision.to_string() != bypass.expect => {
                differs += 1;
                println!(
                    "  {decision} (expected {})  [{}] {line}\n      ({rule}: {})",
                    bypass.expect, bypass.class, got.reason
                );
            }
            _ => {}
        }
    }
    println!(
        "bypass corpus: {} lines in {} classes; {} allowed, {open_allowed} open and still allowed, {open_held} open but already held, {differs} held with another decision than expected",
        judged.len(),
        classes.len(),
        allowed.len() + open_allowed,
    );
    for line in &allowed {
        println!("{line}");
    }
    assert!(allowed.is_empty(), "{} bypass lines are allowed:\n{}", allowed.len(), allowed.join("\n"));
}

/// Every program an allow rule of the built-in default names has knowledge in
/// `policies/programs/`: a `[[programs]]` entry named by the rule's words or by their first ones
/// (`cargo build`, `python -m pytest`, `java` for `java -version`). Until the knowledge of
/// coreutils and git is there too, the programs it would cover are printed, not asserted.
#[test]
fn corpus_every_allowed_program_has_knowledge() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let mut names = BTreeSet::new();
    let mut files = BTreeSet::new();
    for entry in std::fs::read_dir(root.join("policies/programs")).unwrap() {
        let path = entry.unwrap().path();
        if path.extension().is_none_or(|ext| ext != "toml") {
            continue;
        }
        files.insert(path.file_name().unwrap().to_string_lossy().into_owned());
        let knowledge: toml::Value = toml::from_str(&std::fs::read_to_string(&path).unwrap())
            .unwrap_or_else(|error| panic!("{}: {error}", path.display()));
        for program in knowledge["programs"].as_array().unwrap() {
            match &program["name"] {
                toml::Value::String(name) => names.insert(name.clone()),
                name => name
                    .as_array()
                    .unwrap()
                    .iter()
                    .all(|name| names.insert(name.as_str().unwrap().to_string())),
            };
        }
    }
    let policy: toml::Value = toml::from_str(gate::policy::BUILTIN_DEFAULT).unwrap();
    let mut missing = Vec::new();
    for rule in policy["rules"].as_array().unwrap() {
        if rule["decision"].as_str() != Some("allow") || rule.get("options").is_some() {
            continue;
        }
        for pattern in rule["match"].as_array().unwrap() {
            let words: Vec<&str> = pattern.as_str().unwrap().split_whitespace().collect();
            let known = (1..=words.len()).any(|count| names.contains(&words[..count].join(" ")));
            if !known {
                missing.push(format!("{} (rule {})", words.join(" "), rule["id"].as_str().unwrap()));
            }
        }
    }
    let awaited = ["coreutils.toml", "git.toml"].iter().any(|file| !files.contains(*file));
    println!(
        "allowed without knowledge: {}",
        if missing.is_empty() { "none".into() } else { missing.join(", ") }
    );
    assert!(awaited || missing.is_empty(), "allowed programs without knowledge: {missing:#?}");
}
