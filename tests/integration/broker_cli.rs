//! `gate requests`, `gate approve`, `gate deny` against the real broker.

use std::process::Stdio;

use super::broker_support::*;
use super::support::{TestEnv, stderr, stdout};

fn approver(env: &TestEnv, broker: &Broker, token: &str, args: &[&str]) -> std::process::Output {
    env.gate_process(args)
        .env("GATE_BROKER_URL", &broker.url)
        .env("GATE_APPROVER_TOKEN", token)
        .stdin(Stdio::null())
        .output()
        .unwrap()
}

#[test]
fn an_integration_lists_and_approves_from_a_script() {
    let env = TestEnv::new();
    let broker = Broker::start(&config("http://127.0.0.1:9/hook", ""));
    let id = broker.create(&request(&["deploy", "--token", "tok-123456"], "dave", Some("deploy")));

    let output = approver(&env, &broker, HOOK_TOKEN, &["requests"]);
    assert_eq!(output.status.code(), Some(0), "{}", stderr(&output));
    let out = stdout(&output);
    assert!(out.contains(&id[..8]) && out.contains("deploy --token ***"), "{out}");
    assert!(!out.contains("tok-123456"), "{out}");
    let output = approver(&env, &broker, HOOK_TOKEN, &["requests", "--json", "--all"]);
    let list: serde_json::Value = serde_json::from_slice(&output.stdout).unwrap();
    assert_eq!(list["requests"][0]["id"], id.as_str());

    let output = approver(
        &env,
        &broker,
        HOOK_TOKEN,
        &["approve", &id[..6], "--yes", "--as", "bob", "--comment", "ok"],
    );
    assert_eq!(output.status.code(), Some(0), "{}", stderr(&output));
    let out = stdout(&output);
    assert!(out.contains("approved (1 of 1)"), "{out}");
    assert!(out.contains("command  deploy --token ***"), "{out}");
    let status = broker.poll(&id, 0);
    assert_eq!(
        (status["state"].as_str(), status["approvals"][0]["channel"].as_str()),
        (Some("approved"), Some("webhook:ops"))
    );

    // Deciding again: the broker's refusal, exit 1.
    let output = approver(&env, &broker, HOOK_TOKEN, &["deny", &id, "--yes", "--as", "bob"]);
    assert_eq!(output.status.code(), Some(1));
    assert!(stderr(&output).contains("already decided by bob: approved"), "{}", stderr(&output));
}

#[test]
fn yes_with_a_personal_token_needs_a_terminal() {
    let env = TestEnv::new();
    let broker = Broker::start(&config("http://127.0.0.1:9/hook", ""));
    let id = broker.create(&request(&["git", "push"], "dave", None));
    let output = approver(&env, &broker, BOB, &["approve", &id, "--yes"]);
    assert_eq!(output.status.code(), Some(2), "{}", stdout(&output));
    assert!(stderr(&output).contains("--yes needs a terminal"), "{}", stderr(&output));
    assert_eq!(broker.poll(&id, 0)["state"], "pending");
    // A personal token lists fine.
    let output = approver(&env, &broker, BOB, &["requests"]);
    assert_eq!(output.status.code(), Some(0));
}

#[test]
fn unknown_ids_unreachable_brokers_and_missing_settings() {
    let env = TestEnv::new();
    let broker = Broker::start(&config("http://127.0.0.1:9/hook", ""));
    let output = approver(&env, &broker, HOOK_TOKEN, &["deny", "ffff", "--yes", "--as", "bob"]);
    assert_eq!(output.status.code(), Some(1));
    assert!(stderr(&output).contains("no request ffff"), "{}", stderr(&output));
    let output = approver(&env, &broker, "wrong", &["requests"]);
    assert_eq!(output.status.code(), Some(1));

    let output = env
        .gate(&["requests", "--broker", &format!("http://127.0.0.1:{}", free_port())])
        .env("GATE_APPROVER_TOKEN", BOB)
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(69), "{}", stderr(&output));
    assert!(stderr(&output).contains("cannot reach the broker at http://127.0.0.1:"), "{}", stderr(&output));
    let output = env.gate(&["requests"]).env("GATE_APPROVER_TOKEN", BOB).output().unwrap();
    assert_eq!(output.status.code(), Some(2));
    assert!(stderr(&output).contains("GATE_BROKER_URL"));
}

use super::pty;

fn on_terminal(broker: &Broker, token: &str, args: &[&str]) -> pty::Pty {
    let mut command = portable_pty::CommandBuilder::new(super::support::gate_binary());
    command.env_clear();
    command.env("PATH", "/usr/bin:/bin");
    command.env("GATE_BROKER_URL", &broker.url);
    command.env("GATE_APPROVER_TOKEN", token);
    command.args(args);
    pty::Pty::spawn(command)
}

#[test]
fn a_person_confirms_on_the_terminal() {
    let broker = Broker::start(&config("http://127.0.0.1:9/hook", ""));
    let id = broker.create(&request(&["git", "push", "\x1b[31mred"], "dave", Some("git-push")));

    let mut terminal = on_terminal(&broker, BOB, &["approve", &id[..8], "--comment", "release 1.4"]);
    terminal.wait_for("[y/N]");
    let shown = terminal.output();
    assert!(shown.contains("command  git push '\\x1b[31mred'"), "{shown}");
    assert!(!shown.contains('\x1b'), "no raw escape reaches the terminal: {shown:?}");
    terminal.send("n\r");
    assert_eq!(terminal.wait().0, 1);
    assert_eq!(broker.poll(&id, 0)["state"], "pending");

    let mut terminal = on_terminal(&broker, BOB, &["approve", &id[..8], "--comment", "release 1.4"]);
    terminal.wait_for("[y/N]");
    terminal.send("y\r");
    assert_eq!(terminal.wait().0, 0, "{}", terminal.output());
    // The pty's reader may still be catching up with the last line after the exit.
    terminal.wait_for("approved (1 of 1)");
    let status = broker.poll(&id, 0);
    assert_eq!(
        (status["state"].as_str(), status["approvals"][0]["comment"].as_str()),
        (Some("approved"), Some("release 1.4"))
    );
}
