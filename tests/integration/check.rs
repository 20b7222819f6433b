//! `gate check`: classification from the command line, never running anything.

use super::support::{TestEnv, policy, stdout};

fn check_json(env: &TestEnv, args: &[&str]) -> serde_json::Value {
    let mut all = vec!["check", "--json"];
    all.extend_from_slice(args);
    let output = env.gate(&all).output().unwrap();
    assert!(output.status.success(), "{}", String::from_utf8_lossy(&output.stderr));
    serde_json::from_slice(&output.stdout).expect("one JSON object")
}

#[test]
fn json_has_decision_rule_and_reason() {
    let env = TestEnv::new().with_policy(&policy(
        "ask",
        "[[rules]]\nid = \"no-push\"\ndecision = \"deny\"\nmatch = [\"git push\"]\nreason = \"publishes\"\n",
    ));
    let json = check_json(&env, &["--", "git", "push", "origin", "main"]);
    assert_eq!(json["decision"], "deny");
    assert_eq!(json["rule"], "no-push");
    assert_eq!(json["reason"], "publishes");
    assert!(json["policy"].as_str().unwrap().ends_with("policy.toml"));
}

#[test]
fn unmatched_command_gets_the_default_with_no_rule() {
    let env = TestEnv::new().with_policy(&policy("deny", ""));
    let json = check_json(&env, &["--", "frobnicate"]);
    assert_eq!(json["decision"], "deny");
    assert_eq!(json["rule"], serde_json::Value::Null);
}

#[test]
fn human_output_names_decision_rule_and_policy() {
    let env = TestEnv::new();
    let output = env.gate(&["check", "--", "ls", "-l"]).output().unwrap();
    let text = stdout(&output);
    assert!(text.contains("decision: allow"), "{text}");
    assert!(text.contains("rule:     read-only"), "{text}");
    assert!(text.contains("policy:   (built-in default)"), "{text}");
}

#[test]
fn check_never_runs_the_command() {
    let env = TestEnv::new().with_policy(&policy("allow", ""));
    let marker = env.root().join("ran");
    env.gate(&["check", "--", "touch", marker.to_str().unwrap()]).assert().success();
    assert!(!marker.exists());
}

#[test]
fn builtin_default_policy_is_used_without_configuration() {
    let env = TestEnv::new();
    let json = check_json(&env, &["--", "mkfs.ext4", "/dev/sdz"]);
    assert_eq!(json["decision"], "deny");
    assert_eq!(json["policy"], "(built-in default)");
}

#[test]
fn user_policy_in_xdg_config_is_found() {
    let env = TestEnv::new();
    let dir = env.home().join(".config/gate");
    std::fs::create_dir_all(&dir).unwrap();
    std::fs::write(dir.join("policy.toml"), policy("deny", "")).unwrap();
    let json = check_json(&env, &["--", "ls"]);
    assert_eq!(json["decision"], "deny");
}

#[test]
fn policy_errors_name_file_line_and_column() {
    let env = TestEnv::new().with_policy("version = 1\n[settings]\ndefault = \"ask\"\nbogus = 1\n");
    let output = env.gate(&["check", "--", "ls"]).output().unwrap();
    assert_eq!(output.status.code(), Some(78));
    let error = String::from_utf8_lossy(&output.stderr);
    assert!(error.contains("policy.toml:4:1:"), "{error}");
    assert!(error.contains("bogus"), "{error}");
    assert_eq!(error.trim_end().lines().count(), 1, "one line: {error}");
}

#[test]
fn missing_explicit_policy_is_an_error_not_a_fallback() {
    let env = TestEnv::new();
    let output = env.gate(&["check", "--policy", "/nonexistent/policy.toml", "--", "ls"]).output().unwrap();
    assert_eq!(output.status.code(), Some(78));
}

fn write_project_policy(env: &TestEnv, text: &str) {
    let dir = env.work().join(".gate");
    std::fs::create_dir_all(&dir).unwrap();
    std::fs::write(dir.join("policy.toml"), text).unwrap();
}

#[test]
fn project_layer_tightens_the_policy_below() {
    let env = TestEnv::new().with_policy(&policy("allow", ""));
    write_project_policy(
        &env,
        "version = 1\n[[rules]]\nid = \"no-curl\"\ndecision = \"deny\"\nmatch = [\"curl\"]\nreason = \"project\"\n",
    );
    let json = check_json(&env, &["--", "curl", "https://example.com"]);
    assert_eq!(json["decision"], "deny");
    assert_eq!(json["rule"], "no-curl");
    assert!(json["policy"].as_str().unwrap().contains(".gate/policy.toml"), "{json}");
    assert_eq!(check_json(&env, &["--", "ls"])["decision"], "allow");
}

#[test]
fn project_layer_may_not_allow_or_loosen() {
    let env = TestEnv::new().with_policy(&policy("ask", ""));
    write_project_policy(
        &env,
        "version = 1\n[[rules]]\nid = \"yes\"\ndecision = \"allow\"\nmatch = [\"rm\"]\n",
    );
    let output = env.gate(&["check", "--", "rm", "x"]).output().unwrap();
    assert_eq!(output.status.code(), Some(78));
    assert!(String::from_utf8_lossy(&output.stderr).contains("may only tighten"));

    write_project_policy(&env, "version = 1\n[settings]\ndefault = \"allow\"\n");
    let output = env.gate(&["check", "--", "rm", "x"]).output().unwrap();
    assert_eq!(output.status.code(), Some(78));
    let error = String::from_utf8_lossy(&output.stderr);
    assert!(error.contains("may only tighten") && error.contains("settings.default"), "{error}");

    write_project_policy(&env, "version = 1\n[settings]\ndefault = \"deny\"\n");
    assert_eq!(check_json(&env, &["--", "frobnicate"])["decision"], "deny");
}

#[test]
fn a_wrapper_is_seen_through_only_when_it_is_the_real_one() {
    // Everything is allowed but by the default: a wrapper that may be another file must not
    // lend its inner command's decision to the line.
    let rules = "[[rules]]\nid = \"ls\"\ndecision = \"allow\"\nmatch = [\"ls\"]\nreason = \"reads\"\n";
    let env = TestEnv::new().with_policy(&policy("ask", rules));
    let nohup = which::which("nohup").unwrap();
    let real = [vec!["nohup", "ls"], vec![nohup.to_str().unwrap(), "ls"], vec!["env", "ls"]];
    for words in real {
        let mut args = vec!["--"];
        args.extend(&words);
        assert_eq!(check_json(&env, &args)["decision"], "allow", "{words:?}");
    }
    let lines = [
        "./nohup ls",
        "../nohup ls",
        "/tmp/evil/nohup ls",
        "PATH=/tmp/evil nohup ls",
        "./env ls",
        "./bash -c ls",
    ];
    for line in lines {
        let json = check_json(&env, &["-c", line]);
        assert_eq!(json["decision"], "ask", "{line}: {json}");
        assert!(json["reason"].as_str().unwrap().contains("may not be the"), "{line}: {json}");
    }
}

#[test]
fn a_variable_reaches_a_program_only_once_exported() {
    let rules = "[[rules]]\nid = \"ok\"\ndecision = \"allow\"\nmatch = [\"git log\", \"export\", \"set\"]\noptions = \"any\"\nreason = \"r\"\n";
    let env = TestEnv::new().with_policy(&policy("ask", rules));
    let cases = [
        ("GIT_PAGER=x; git log", "allow"),
        ("export GIT_PAGER=x; git log", "ask"),
        ("GIT_PAGER=x; export GIT_PAGER; git log", "ask"),
        ("set -a; GIT_PAGER=x; git log", "ask"),
        ("set -ea; GIT_PAGER=x; git log", "ask"),
        ("set -e; GIT_PAGER=x; git log", "allow"),
        ("GIT_PAGER=x git log", "ask"),
    ];
    for (line, expect) in cases {
        assert_eq!(check_json(&env, &["-c", line])["decision"], expect, "{line}");
    }
}

/// A policy path that is not a regular file is refused at once: a FIFO is not waited on, and
/// `/dev/zero` is not read until memory runs out.
#[test]
fn a_policy_that_is_not_a_regular_file_is_refused_at_once() {
    let env = TestEnv::new();
    let fifo = env.root().join("policy.fifo");
    assert!(std::process::Command::new("mkfifo").arg(&fifo).status().unwrap().success());
    let dir = env.root().to_string_lossy().into_owned();
    for policy in [fifo.to_string_lossy().into_owned(), "/dev/zero".into(), dir] {
        let output = env
            .gate(&["check", "--policy", &policy, "--", "ls"])
            .timeout(std::time::Duration::from_secs(10))
            .output()
            .unwrap();
        assert_eq!(output.status.code(), Some(78), "{policy}: {}", super::support::stderr(&output));
        assert!(super::support::stderr(&output).contains("not a regular file"), "{policy}");
    }
}

#[test]
fn exit_code_gives_the_decision_to_scripts() {
    let env = TestEnv::new().with_policy(&policy(
        "ask",
        "[[rules]]\nid = \"ls\"\ndecision = \"allow\"\nmatch = [\"ls\"]\n[[rules]]\nid = \"no-rm\"\ndecision = \"deny\"\nmatch = [\"rm\"]\n",
    ));
    for (line, code) in [("ls", 0), ("make", 10), ("rm -rf /", 11)] {
        env.gate(&["check", "--exit-code", "-c", line]).assert().code(code);
        env.gate(&["check", "-c", line]).assert().code(0);
    }
}

/// clap's own errors begin like gate's, keep clap's usage lines, and exit 2.
#[test]
fn usage_errors_begin_like_gates_errors() {
    let env = TestEnv::new();
    for args in [&["frob"][..], &["audit", "log", "--decision", "bogus"], &["check", "--json", "--nope"]] {
        let output = env.gate(args).output().unwrap();
        assert_eq!(output.status.code(), Some(2), "{args:?}");
        let text = super::support::stderr(&output);
        assert!(text.starts_with("gate: "), "{args:?}: {text}");
    }
    env.gate(&["--version"]).assert().code(0);
}

/// With no file, `gate policy lint` and `gate policy test` check every layer gate would load
/// here, the project's included, and say which; a broken project layer is not "ok".
#[test]
fn lint_and_test_check_every_layer_gate_would_load() {
    let env = TestEnv::new();
    let user = env.home().join(".config/gate/policy.toml");
    std::fs::create_dir_all(user.parent().unwrap()).unwrap();
    std::fs::write(&user, "version = 1\n[[tests]]\ncommand = \"ls\"\nexpect = \"ask\"\n").unwrap();
    std::fs::create_dir_all(env.work().join(".gate")).unwrap();
    std::fs::write(env.work().join(".gate/policy.toml"), "version = 1\n[settings]\ndefault = \"allow\"\n")
        .unwrap();
    let lint = env.gate(&["policy", "lint"]).output().unwrap();
    let text = stdout(&lint);
    assert_eq!(lint.status.code(), Some(1), "{text}");
    assert!(text.contains(&format!("{}: ok", user.display())), "{text}");
    assert!(text.contains("may only tighten"), "{text}");
    env.gate(&["policy", "test"]).assert().code(78);
    // A bad glob in a layer is an error with its place.
    std::fs::write(
        env.work().join(".gate/policy.toml"),
        "version = 1\n[[rules]]\nid = \"x\"\ndecision = \"deny\"\nargs = [\"[a-\"]\n",
    )
    .unwrap();
    let lint = env.gate(&["policy", "lint"]).output().unwrap();
    assert_eq!(lint.status.code(), Some(1));
    assert!(stdout(&lint).contains(".gate/policy.toml:5:9: bad glob"), "{}", stdout(&lint));
    std::fs::remove_file(env.work().join(".gate/policy.toml")).unwrap();
    env.gate(&["policy", "lint"]).assert().code(0);
    env.gate(&["policy", "test"]).assert().code(0);
}

/// A user policy replaces the built-in default unless it says `extends = "builtin"`; lint warns
/// about the first and stacks the second on the built-in.
#[test]
fn a_user_policy_extends_the_built_in_when_it_says_so() {
    let env = TestEnv::new();
    let user = env.home().join(".config/gate/policy.toml");
    std::fs::create_dir_all(user.parent().unwrap()).unwrap();
    let rule = "[[rules]]\nid = \"no-frob\"\ndecision = \"deny\"\nmatch = [\"frob\"]\n";
    std::fs::write(&user, format!("version = 1\n{rule}")).unwrap();
    let lint = env.gate(&["policy", "lint"]).output().unwrap();
    assert_eq!(lint.status.code(), Some(0));
    assert!(stdout(&lint).contains("replaces gate's built-in default policy entirely"), "{}", stdout(&lint));
    env.gate(&["check", "--exit-code", "-c", "git status"]).assert().code(10);
    std::fs::write(&user, format!("version = 1\nextends = \"builtin\"\n{rule}")).unwrap();
    let lint = env.gate(&["policy", "lint"]).output().unwrap();
    assert!(!stdout(&lint).contains("replaces"), "{}", stdout(&lint));
    env.gate(&["check", "--exit-code", "-c", "git status"]).assert().code(0);
    env.gate(&["check", "--exit-code", "-c", "frob"]).assert().code(11);
    std::fs::write(&user, format!("version = 1\nextends = \"strict\"\n{rule}")).unwrap();
    env.gate(&["policy", "lint"]).assert().code(1);
}
