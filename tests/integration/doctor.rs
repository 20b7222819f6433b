//! `gate doctor`: finds an agent wired around gate, a hook that does not fail closed, a key
//! others can read, a broken policy, an unreachable broker or one with another key; exits 0
//! when all is well.

use super::broker_harness::{Broker, ask_policy};
use super::support::{TestEnv, gate_binary, stderr, stdout};
use std::process::Output;

/// `gate doctor` with gate itself on PATH, as an installed gate is.
fn doctor(env: &TestEnv, extra: &[(&str, String)]) -> Output {
    let bin = gate_binary().parent().unwrap().display().to_string();
    let mut command = env.gate(&["doctor"]);
    command.env("PATH", format!("{bin}:/usr/bin:/bin"));
    for (name, value) in extra {
        command.env(name, value);
    }
    command.output().unwrap()
}

fn write(path: &std::path::Path, text: &str) {
    std::fs::create_dir_all(path.parent().unwrap()).unwrap();
    std::fs::write(path, text).unwrap();
}

#[test]
fn an_agent_wired_around_gate_is_found_and_init_fixes_it() {
    let env = TestEnv::new().with_policy(&super::support::policy("allow", ""));
    let settings = env.home().join(".claude/settings.json");
    write(
        &settings,
        r#"{"hooks":{"PreToolUse":[{"matcher":"Bash","hooks":[{"type":"command","command":"my-linter"}]}]}}"#,
    );
    let output = doctor(&env, &[]);
    assert_eq!(output.status.code(), Some(1), "{}", stdout(&output));
    let report = stdout(&output);
    assert!(
        report.contains(
            "claude-code is set up here but has no gate hook: this agent runs shell commands outside gate"
        ),
        "{report}"
    );
    assert!(report.contains("fix: gate init claude-code"), "{report}");

    env.gate(&["init", "claude-code"]).assert().success();
    let output = doctor(&env, &[]);
    assert_eq!(output.status.code(), Some(0), "{}{}", stdout(&output), stderr(&output));
    assert!(stdout(&output).contains("claude-code: gate's hook is in"), "{}", stdout(&output));
    assert!(stdout(&output).ends_with("all is well\n"));
}

#[test]
fn hooks_that_do_not_fail_closed_and_other_files_are_checked() {
    let env = TestEnv::new().with_policy(&super::support::policy("allow", ""));
    // Claude Code without onFailure, Cursor without failClosed: both let a command through
    // when the hook cannot run.
    write(
        &env.home().join(".claude/settings.json"),
        r#"{"hooks":{"PreToolUse":[{"matcher":"Bash","hooks":[{"type":"command","command":"gate hook claude-code"}]}]}}"#,
    );
    write(
        &env.work().join(".cursor/hooks.json"),
        r#"{"version":1,"hooks":{"beforeShellExecution":[{"command":"gate hook cursor"}]}}"#,
    );
    // Codex wired through config.toml counts.
    write(
        &env.home().join(".codex/config.toml"),
        "model = \"gpt-5\"\n[[hooks.PreToolUse]]\nmatcher = \"^Bash$\"\n[[hooks.PreToolUse.hooks]]\ntype = \"command\"\ncommand = \"gate hook codex\"\n",
    );
    // Gemini's settings are not JSON.
    write(&env.home().join(".gemini/settings.json"), "{ nope");
    let output = doctor(&env, &[]);
    let report = stdout(&output);
    assert_eq!(output.status.code(), Some(1), "{report}");
    assert!(
        report.contains("claude-code: gate's hook in")
            && report.contains("does not block when it cannot run"),
        "{report}"
    );
    assert!(report.contains("cursor: gate's hook in"), "{report}");
    assert!(report.contains("ok       codex: gate's hook is in"), "{report}");
    assert!(report.contains("gemini:") && report.contains("cannot be read"), "{report}");
    assert_eq!(report.matches("FINDING").count(), 3, "{report}");
}

#[test]
fn policy_key_and_log_problems_are_findings() {
    let env = TestEnv::new().with_policy("version = [");
    let key = env.home().join(".config/gate/audit-key");
    write(&key, "PRIVATE+KEY+x");
    use std::os::unix::fs::PermissionsExt;
    std::fs::set_permissions(&key, std::fs::Permissions::from_mode(0o644)).unwrap();
    let output = doctor(&env, &[]);
    let report = stdout(&output);
    assert_eq!(output.status.code(), Some(1), "{report}");
    assert!(report.contains("fix: gate policy lint"), "{report}");
    assert!(report.contains("mode 0644") && report.contains("fix: chmod 600"), "{report}");
    std::fs::write(env.db(), "not a database at all, just text that is long enough to be read").unwrap();
    let report = stdout(&doctor(&env, &[]));
    assert!(report.contains("FINDING  audit log"), "{report}");
}

#[test]
fn the_broker_must_answer_with_the_key_gate_trusts() {
    let env = TestEnv::new().with_policy(&ask_policy(5));
    let broker = Broker::start(&env, "");
    let with = |key: String| {
        vec![
            ("GATE_BROKER_URL", broker.url()),
            ("GATE_BROKER_TOKEN", broker.host_token().to_string()),
            ("GATE_BROKER_KEY", key),
        ]
    };
    let report = stdout(&doctor(&env, &with(broker.key())));
    assert!(report.contains("reachable, its key is the one gate trusts"), "{report}");
    let other = gate::audit::SecretKey::from_seed("gate-broker@other", [7; 32]).public().to_text();
    let report = stdout(&doctor(&env, &with(other)));
    assert!(report.contains("signs with another key"), "{report}");
    let mut gone = with(broker.key());
    gone[0].1 = format!("http://127.0.0.1:{}", super::broker_harness::free_port());
    let report = stdout(&doctor(&env, &gone));
    assert!(report.contains("cannot be reached"), "{report}");
}
