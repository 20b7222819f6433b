//! A broker pinned in the system policy cannot be replaced by the agent: not by `GATE_BROKER_*`,
//! not by `--policy`, not by a user layer. Each test runs gate in a private mount namespace
//! whose `/etc` is an overlay, so `/etc/gate/policy.toml` exists for it alone and the machine's
//! own `/etc` is never touched.

use super::broker_harness::free_port;
use super::support::{TestEnv, stderr, stdout};
use std::process::Command;

/// Runs `gate ARGS` with `/etc/gate/policy.toml` holding `system`, and `env`.
fn with_system_policy(
    env: &TestEnv,
    system: &str,
    args: &[&str],
    vars: &[(&str, &str)],
) -> std::process::Output {
    let overlay = env.root().join("overlay");
    for dir in ["up", "work"] {
        std::fs::create_dir_all(overlay.join(dir)).unwrap();
    }
    std::fs::write(env.root().join("system.toml"), system).unwrap();
    let script = format!(
        "mount -t overlay overlay -o lowerdir=/etc,upperdir={o}/up,workdir={o}/work /etc && \
         mkdir -p /etc/gate && cp {root}/system.toml /etc/gate/policy.toml && exec \"$@\"",
        o = overlay.display(),
        root = env.root().display()
    );
    let mut command = Command::new("unshare");
    command
        .args(["-m", "--propagation", "private", "sh", "-c", &script, "sh"])
        .arg(super::support::gate_binary())
        .args(args)
        .env_clear()
        .env("HOME", env.home())
        .env("XDG_CONFIG_HOME", env.home().join(".config"))
        .env("PATH", "/usr/bin:/bin")
        .env("GATE_DB", env.db())
        .current_dir(env.work());
    for (name, value) in vars {
        command.env(name, value);
    }
    command.output().expect("unshare (util-linux) runs the test in its own mount namespace")
}

fn key(seed: u8) -> String {
    gate::audit::SecretKey::from_seed("gate-broker@test", [seed; 32]).public().to_text()
}

fn pinned(url: &str) -> String {
    format!(
        "version = 1\n[settings]\ndefault = \"ask\"\napproval_timeout = 2\n[approval]\nbroker = \"{url}\"\ntoken = \"env:PINNED_TOKEN\"\nkey = \"{}\"\n",
        key(1)
    )
}

/// What the agent would set to send gate to a broker of its own.
fn agent_vars() -> Vec<(&'static str, String)> {
    vec![
        ("GATE_BROKER_URL", "http://127.0.0.1:1".to_string()),
        ("GATE_BROKER_TOKEN", "agent".to_string()),
        ("GATE_BROKER_KEY", key(2)),
        ("PINNED_TOKEN", "host".to_string()),
    ]
}

fn vars<'a>(list: &'a [(&'static str, String)]) -> Vec<(&'static str, &'a str)> {
    list.iter().map(|(name, value)| (*name, value.as_str())).collect()
}

#[test]
fn the_environment_and_another_policy_cannot_replace_a_pinned_broker() {
    let env = TestEnv::new();
    let agent = agent_vars();
    std::fs::write(env.root().join("mine.toml"), "version = 1\n").unwrap();
    let mine = env.root().join("mine.toml");
    for args in [
        vec!["check", "--json", "--", "ls"],
        vec!["check", "--json", "--policy", mine.to_str().unwrap(), "--", "ls"],
    ] {
        let output = with_system_policy(&env, &pinned("https://corp.example"), &args, &vars(&agent));
        assert!(output.status.success(), "{args:?}: {}", stderr(&output));
        let json: serde_json::Value = serde_json::from_str(&stdout(&output)).unwrap();
        let approval = &json["approval"];
        assert_eq!(approval["broker"], "https://corp.example", "{args:?}: {json}");
        assert_eq!(approval["pinned"], true);
        let pinned_id = gate::audit::PublicKey::parse(&key(1)).unwrap().id();
        assert_eq!(approval["key"], pinned_id);
    }
}

#[test]
fn gate_exec_asks_the_pinned_broker_not_the_agents() {
    let env = TestEnv::new();
    let dead = format!("http://127.0.0.1:{}", free_port());
    let marker = env.root().join("ran");
    let output = with_system_policy(
        &env,
        &pinned(&dead),
        &["exec", "--", "touch", marker.to_str().unwrap()],
        &vars(&agent_vars()),
    );
    assert_eq!(output.status.code(), Some(77), "{}", stderr(&output));
    assert!(stderr(&output).contains(&dead), "asked the pinned broker: {}", stderr(&output));
    assert!(!stderr(&output).contains("127.0.0.1:1/"), "{}", stderr(&output));
    assert!(!marker.exists());
}

#[test]
fn a_user_layer_that_names_another_broker_is_an_error() {
    let env = TestEnv::new();
    let user = env.home().join(".config/gate");
    std::fs::create_dir_all(&user).unwrap();
    std::fs::write(
        user.join("policy.toml"),
        format!("version = 1\n[approval]\nbroker = \"http://127.0.0.1:1\"\nkey = \"{}\"\n", key(2)),
    )
    .unwrap();
    let output = with_system_policy(&env, &pinned("https://corp.example"), &["check", "--", "ls"], &[]);
    assert_eq!(output.status.code(), Some(78), "{}", stdout(&output));
    assert!(stderr(&output).contains("pins the broker https://corp.example"), "{}", stderr(&output));
}
