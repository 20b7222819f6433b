//! `gate serve --check` and a bad configuration at start.

use super::broker_support::{config, secrets};
use super::support::{TestEnv, stderr, stdout};

fn write(env: &TestEnv, text: &str) -> String {
    let path = env.root().join("broker.toml");
    std::fs::write(&path, text).unwrap();
    path.display().to_string()
}

fn with_secrets(command: &mut assert_cmd::Command) -> &mut assert_cmd::Command {
    command.envs(secrets())
}

#[test]
fn check_reports_every_error_with_file_line_column_and_a_caret() {
    let env = TestEnv::new();
    let text = config("http://127.0.0.1:9/hook", "")
        .replace("key = \"broker.key\"", "key = \"broker.key\"\nport = 7380")
        .replace("token = \"env:BOB_TOKEN\"", "token = \"bob-inline-token\"")
        .replace("approvers = [\"alice\", \"bob\"]", "approvers = [\"alice\", \"mallory\"]")
        .replace("rules = [\"sre-*\"]", "rules = [\"sre-[\"]");
    let path = write(&env, &text);
    let output = with_secrets(&mut env.gate(&["serve", "--config", &path, "--check"])).output().unwrap();
    assert_eq!(output.status.code(), Some(1), "{}", stderr(&output));
    let out = stdout(&output);
    for expected in [
        format!("{path}:6:1: unknown field `port`"),
        format!("{path}:25:9: secrets come from env:NAME or file:PATH, never inline"),
        format!("{path}:44:23: unknown person \"mallory\""),
        format!("{path}:55:10: bad glob \"sre-[\""),
        "4 errors".to_string(),
    ] {
        assert!(out.contains(&expected), "{expected:?} in:\n{out}");
    }
    assert!(out.contains("25 | token = \"bob-inline-token\"\n   |         ^~~~~~~~~~~~~~~~~~"), "{out}");

    // Without --check: exit 78 with the first error and how many more.
    let output = with_secrets(&mut env.gate(&["serve", "--config", &path])).output().unwrap();
    assert_eq!(output.status.code(), Some(78));
    let err = stderr(&output);
    assert!(err.contains(":6:1: unknown field `port`"), "{err}");
    assert!(err.contains("(and 3 more; run gate serve --check)"), "{err}");
}

#[test]
fn missing_secrets_are_named_never_shown() {
    let env = TestEnv::new();
    let path = write(&env, &config("http://127.0.0.1:9/hook", ""));
    let output = env
        .gate(&["serve", "--config", &path, "--check"])
        .envs(secrets().into_iter().filter(|(name, _)| *name != "GATE_HOST_TOKEN"))
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(1));
    assert!(
        stdout(&output).contains("the environment variable GATE_HOST_TOKEN is not set"),
        "{}",
        stdout(&output)
    );
    let output = with_secrets(&mut env.gate(&["serve", "--config", &path, "--check"])).output().unwrap();
    assert_eq!(output.status.code(), Some(0), "{}", stdout(&output));
    assert!(stdout(&output).ends_with(": ok\n"));
    assert!(!stdout(&output).contains("token"), "no secret printed");
}

#[test]
fn the_example_configuration_is_valid() {
    let env = TestEnv::new();
    let example = concat!(env!("CARGO_MANIFEST_DIR"), "/examples/broker.toml");
    let path = write(&env, &std::fs::read_to_string(example).unwrap());
    let output = env
        .gate(&["serve", "--config", &path, "--check"])
        .envs([
            ("GATE_HOST_TOKEN", "a"),
            ("GATE_WEBHOOK_SECRET", "b"),
            ("GATE_WEBHOOK_TOKEN", "c"),
            ("GATE_OIDC_SECRET", "d"),
            ("GATE_ALICE_TOKEN", "e"),
            ("GATE_BOB_TOKEN", "f"),
            ("SLACK_BOT_TOKEN", "xoxb-g"),
            ("SLACK_SIGNING_SECRET", "h"),
            ("SLACK_APP_TOKEN", "xapp-i"),
            ("TEAMS_WORKFLOW_URL", "https://prod-00.westeurope.logic.azure.com/workflows/j?sig=k"),
        ])
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(0), "{}", stdout(&output));
}

#[test]
fn an_unreadable_configuration_exits_78() {
    let env = TestEnv::new();
    let output = env.gate(&["serve", "--config", "/nonexistent/broker.toml"]).output().unwrap();
    assert_eq!(output.status.code(), Some(78));
    assert!(stderr(&output).contains("cannot read the broker configuration /nonexistent/broker.toml"));
}
