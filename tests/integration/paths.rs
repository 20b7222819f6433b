//! Paths judged for what they are, through the real binary (`gate check` only: nothing runs):
//! other names for a path, symbolic links on disk, gate's own files, gate run with other
//! settings, and the `[paths]` a project layer may not loosen.

use super::support::{TestEnv, stderr};

/// Allows every command and every output file: only the path verdicts object.
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

/// (decision, rule, reason) of `gate check --json -c LINE`.
fn check(env: &TestEnv, line: &str) -> (String, String, String) {
    let output = env.gate(&["check", "--json", "-c", line]).output().unwrap();
    assert!(output.status.success(), "{line}: {}", stderr(&output));
    let json: serde_json::Value = serde_json::from_slice(&output.stdout).expect("one JSON object");
    let text = |key: &str| json[key].as_str().unwrap_or_default().to_string();
    (text("decision"), text("rule"), text("reason"))
}

#[test]
fn other_names_for_a_startup_file_are_denied() {
    let env = TestEnv::new().with_policy(ALLOW_ALL);
    let home = env.home().display().to_string();
    for line in [
        "echo x > ~/.bashrc".to_string(),
        "echo x >> /proc/self/root$HOME/.bashrc".to_string(),
        format!("echo x > /proc/self/root{home}/.bashrc"),
        format!("echo x > /proc/1/root/{home}//./.bashrc"),
        format!("echo x > {home}/.config/../.bashrc"),
        "echo x > \"$HOME/.bashrc\"".to_string(),
        "echo x > /proc/self/cwd/../home/.bashrc".to_string(),
    ] {
        let (decision, rule, reason) = check(&env, &line);
        assert_eq!((decision.as_str(), rule.as_str()), ("deny", "path:persistence"), "{line}: {reason}");
        assert_eq!(reason, "writes ~/.bashrc: persistence", "{line}");
    }
}

#[test]
fn a_symbolic_link_is_judged_by_where_it_points() {
    let env = TestEnv::new().with_policy(ALLOW_ALL);
    std::fs::write(env.home().join(".bashrc"), "").unwrap();
    std::os::unix::fs::symlink(env.home().join(".bashrc"), env.work().join("notes.txt")).unwrap();
    std::os::unix::fs::symlink(env.home(), env.work().join("home-link")).unwrap();
    let (decision, rule, reason) = check(&env, "echo x >> notes.txt");
    assert_eq!((decision.as_str(), rule.as_str()), ("deny", "path:persistence"), "{reason}");
    assert!(reason.contains("which is ~/.bashrc"), "{reason}");
    let (decision, _, reason) = check(&env, "echo x >> home-link/.profile");
    assert_eq!(decision, "deny", "{reason}");
    let (decision, _, reason) = check(&env, "echo x >> home-link/../work/out.txt");
    assert_eq!(decision, "allow", "{reason}");
}

#[test]
fn secrets_ask_whatever_the_policy_allows() {
    let env = TestEnv::new().with_policy(ALLOW_ALL);
    for line in
        ["cat < ~/.ssh/id_rsa", "cat < /proc/self/root$HOME/.aws/credentials", "cat < /proc/1/environ"]
    {
        let (decision, rule, reason) = check(&env, line);
        assert_eq!((decision.as_str(), rule.as_str()), ("ask", "path:secret"), "{line}: {reason}");
        assert!(reason.starts_with("reads "), "{reason}");
    }
    let (decision, _, reason) = check(&env, "cat < /dev/stdin > /dev/stdout");
    assert_eq!(decision, "allow", "{reason}");
}

#[test]
fn gates_own_files_are_denied_under_any_policy() {
    let env = TestEnv::new().with_policy(ALLOW_ALL);
    let db = env.db().display().to_string();
    let policy = env.root().join("policy.toml").display().to_string();
    let lines = [
        (": > \"$GATE_DB\"".to_string(), "writes"),
        ("echo x > \"$GATE_DB-wal\"".to_string(), "-wal"),
        (format!("echo x > {db}-shm"), "-shm"),
        (format!("echo > {policy}"), "policy.toml"),
        ("echo x > ~/.config/gate/policy.toml".to_string(), "~/.config/gate"),
        ("echo x > ~/.local/share/gate/audit.db".to_string(), "~/.local/share/gate"),
        ("cat < ~/.config/gate/audit-key".to_string(), "reads ~/.config/gate/audit-key"),
    ];
    for (line, shown) in lines {
        let (decision, rule, reason) = check(&env, &line);
        assert_eq!((decision.as_str(), rule.as_str()), ("deny", "gate:own"), "{line}: {reason}");
        assert!(reason.contains(shown) && reason.ends_with("gate's own file"), "{line}: {reason}");
    }
    // `--db` names the log too.
    let other = env.root().join("other.db").display().to_string();
    let output = env
        .gate(&["check", "--db", &other, "--json", "-c", &format!("echo > {other}-wal")])
        .output()
        .unwrap();
    let json: serde_json::Value = serde_json::from_slice(&output.stdout).unwrap();
    assert_eq!(json["rule"], "gate:own", "{json}");
}

#[test]
fn gate_run_with_other_settings_is_never_allowed() {
    let env = TestEnv::new().with_policy(ALLOW_ALL);
    let cases = [
        ("GATE_POLICY=/tmp/p gate exec -- ls", "deny"),
        ("gate exec --policy /tmp/p -- ls", "deny"),
        ("GATE_BROKER_URL=http://127.0.0.1:1 gate exec -c ls", "deny"),
        ("gate exec --db /tmp/other.db -- ls", "deny"),
        ("gate serve --config b.toml", "ask"),
        ("export GATE_POLICY=/tmp/p; ls", "ask"),
        ("gate check -c ls", "allow"),
        ("gate audit verify", "allow"),
    ];
    for (line, expected) in cases {
        let (decision, rule, reason) = check(&env, line);
        assert_eq!(decision, expected, "{line}: {rule} {reason}");
    }
    let running = super::support::gate_binary().display().to_string();
    let (decision, rule, _) = check(&env, &format!("{running} exec --policy /tmp/p -- ls"));
    assert_eq!((decision.as_str(), rule.as_str()), ("deny", "gate:self"));
}

#[test]
fn human_output_names_the_path_and_the_class() {
    let env = TestEnv::new();
    let output = env.gate(&["check", "-c", "echo x >> /proc/self/root$HOME/.bashrc"]).output().unwrap();
    let text = super::support::stdout(&output);
    assert!(text.contains("decision: deny"), "{text}");
    assert!(text.contains("rule:     path:persistence"), "{text}");
    assert!(text.contains("reason:   writes ~/.bashrc: persistence"), "{text}");
}

#[test]
fn a_project_layer_cannot_loosen_the_path_classes() {
    let env = TestEnv::new().with_policy(ALLOW_ALL);
    std::fs::create_dir_all(env.work().join(".gate")).unwrap();
    let layer = env.work().join(".gate/policy.toml");
    std::fs::write(&layer, "version = 1\n[paths]\nsecrets = [\"**/*.secret\"]\n").unwrap();
    let (decision, rule, _) = check(&env, "cat < db.secret");
    assert_eq!((decision.as_str(), rule.as_str()), ("ask", "path:secret"));
    // The project layer is gate's own file too.
    let (decision, rule, _) = check(&env, "echo > .gate/policy.toml");
    assert_eq!((decision.as_str(), rule.as_str()), ("deny", "gate:own"));
    std::fs::write(&layer, "version = 1\n[paths]\ntemp = [\"/**\"]\n").unwrap();
    let output = env.gate(&["check", "-c", "ls"]).output().unwrap();
    assert!(!output.status.success());
    assert!(stderr(&output).contains("may only tighten"), "{}", stderr(&output));
}
