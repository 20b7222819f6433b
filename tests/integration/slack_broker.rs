//! The real broker (`gate serve`) for the chat tests: configured with the people, groups and
//! routes the Slack and Teams tests share and the channel a test gives, plus the calls a test
//! makes as a host (`gate exec`, the host API) and as Slack (signed callbacks).

use std::process::Command;
use std::time::{Duration, Instant};

use serde_json::{Value, json};

use crate::slack_support::{
    APP_TOKEN, BOT_TOKEN, CHANNEL, HOST, HOST_TOKEN, SIGNING_SECRET, SlackStandIn, TEAM, form,
    slack_signature, unix_now,
};
use crate::support::{TestEnv, gate_binary};
use crate::web_support::Process;

const WAIT: Duration = Duration::from_secs(20);

/// The broker, configured with a Slack channel (and what `extra` adds), and the people:
/// alice (U0ALICE, whose Unix account on build-7 is the tests' own), bob (U0BOB), carol
/// (T0TEAM/U0CAROL, in group sre) and dave (no Slack id; email dave@example.com).
pub struct SlackBroker {
    pub env: TestEnv,
    pub url: String,
    pub key: String,
    process: Option<Process>,
}

pub fn me() -> String {
    nix::unistd::User::from_uid(nix::unistd::getuid()).unwrap().unwrap().name
}

/// `gate serve` with the chat tests' secrets in a cleared environment, once it listens.
fn serve(env: &TestEnv, config: &std::path::Path) -> Process {
    let mut serve = Command::new(gate_binary());
    serve
        .env_clear()
        .env("PATH", "/usr/bin:/bin")
        .env("HOME", env.home())
        .env("GATE_HOST_TOKEN", HOST_TOKEN)
        .env("SLACK_BOT_TOKEN", BOT_TOKEN)
        .env("SLACK_SIGNING_SECRET", SIGNING_SECRET)
        .env("SLACK_APP_TOKEN", APP_TOKEN)
        .env("GATE_WEBHOOK_SECRET", "whsec-test")
        .args(["serve", "--config"])
        .arg(config);
    Process::start(serve, "listening on")
}

impl SlackBroker {
    /// `channel` is the `[[channels]]` entry (TOML) for Slack; `extra` more TOML at the end.
    pub fn start(channel: &str, extra: &str) -> SlackBroker {
        let env =
            TestEnv::new().with_policy("version = 1\n[settings]\ndefault = \"ask\"\napproval_timeout = 60\n");
        let port = crate::web_support::free_port();
        let url = format!("http://127.0.0.1:{port}");
        let config = env.root().join("broker.toml");
        std::fs::write(
            &config,
            format!(
                r#"[server]
listen = "127.0.0.1:{port}"
public_url = "{url}"

[[hosts]]
name = "{HOST}"
token = "env:GATE_HOST_TOKEN"

[[people]]
id = "alice"
slack = "U0ALICE"
unix = ["{me}@{HOST}"]

[[people]]
id = "bob"
name = "Bob"
slack = "U0BOB"

[[people]]
id = "carol"
slack = "{TEAM}/U0CAROL"

[[people]]
id = "dave"
email = "dave@example.com"

[[groups]]
name = "sre"
members = ["carol"]

{channel}

[[routes]]
rules = ["*"]
approvers = ["alice", "bob", "carol", "dave"]
timeout = "2m"

[[routes]]
rules = ["quorum-*"]
approvers = ["bob", "carol", "dave"]
quorum = 2

[[routes]]
rules = ["sre-*"]
groups = ["sre"]
{extra}"#,
                me = me()
            ),
        )
        .unwrap();
        let process = serve(&env, &config);
        let key: Value =
            crate::web_support::client().get(format!("{url}/v1/key")).send().unwrap().json().unwrap();
        let key = key["key"].as_str().unwrap().to_string();
        SlackBroker { env, url, key, process: Some(process) }
    }

    /// What the broker printed on stderr so far.
    pub fn output(&self) -> String {
        self.process.as_ref().map(Process::output).unwrap_or_default()
    }

    /// Kills the broker and starts it again: the same port, database and key.
    pub fn restart(&mut self) {
        let config = self.env.root().join("broker.toml");
        self.process = None;
        self.process = Some(serve(&self.env, &config));
    }

    /// The standard Slack channel entry for `stand_in`.
    pub fn slack_channel(stand_in: &SlackStandIn, extra: &str) -> String {
        format!(
            "[[channels]]\nname = \"slack-ops\"\ntype = \"slack\"\nbot_token = \"env:SLACK_BOT_TOKEN\"\n\
             signing_secret = \"env:SLACK_SIGNING_SECRET\"\nchannel = \"{CHANNEL}\"\napi_url = \"{}\"\n{extra}\n",
            stand_in.api_url
        )
    }

    /// Creates a request as `gate exec` would, for `argv` run by `user` under `rule`; its id.
    pub fn create(&self, argv: &[&str], user: &str, rule: &str, seconds: i64) -> String {
        let mut id = [0u8; 16];
        getrandom::fill(&mut id).unwrap();
        let id: String = id.iter().map(|b| format!("{b:02x}")).collect();
        let argv_text = serde_json::to_string(argv).unwrap();
        let cwd = "/srv/app";
        let body = json!({
            "id": id, "argv": argv, "line": null, "cwd": cwd, "user": user, "host": HOST,
            "rule": rule, "reason": "releases need a human",
            "command_sha256": gate::approval::signed::command_sha256(Some(&argv_text), None, cwd),
            "deadline": unix_now() + seconds,
        });
        let response = crate::web_support::client()
            .post(format!("{}/v1/requests", self.url))
            .bearer_auth(HOST_TOKEN)
            .json(&body)
            .send()
            .unwrap();
        assert_eq!(response.status(), 201, "{}", response.text().unwrap());
        id
    }

    /// The request's status as its host sees it.
    pub fn status(&self, id: &str) -> Value {
        crate::web_support::client()
            .get(format!("{}/v1/requests/{id}/decision", self.url))
            .bearer_auth(HOST_TOKEN)
            .send()
            .unwrap()
            .json()
            .unwrap()
    }

    /// Waits until the request is in `state`.
    pub fn wait_state(&self, id: &str, state: &str) -> Value {
        let deadline = Instant::now() + WAIT;
        loop {
            let status = self.status(id);
            if status["state"] == state {
                return status;
            }
            assert!(Instant::now() < deadline, "request {id} is {}, not {state}", status["state"]);
            std::thread::sleep(Duration::from_millis(20));
        }
    }

    /// Posts an interactivity callback signed with `secret` at `timestamp`: the status.
    pub fn post_signed(&self, body: &str, secret: &str, timestamp: i64) -> (u16, String) {
        let response = crate::web_support::client()
            .post(format!("{}/v1/slack/interactivity", self.url))
            .header("Content-Type", "application/x-www-form-urlencoded")
            .header("X-Slack-Request-Timestamp", timestamp.to_string())
            .header("X-Slack-Signature", slack_signature(secret, timestamp, body))
            .body(body.to_string())
            .send()
            .unwrap();
        (response.status().as_u16(), response.text().unwrap())
    }

    /// Sends `payload` as Slack would, signed now; asserts Slack's 200.
    pub fn send(&self, payload: &Value) {
        let (status, body) = self.post_signed(&form(payload), SIGNING_SECRET, unix_now());
        assert_eq!(status, 200, "{body}");
    }

    /// `gate exec -- ARGV` with no controlling terminal, asking this broker.
    pub fn exec(&self, argv: &[&str]) -> std::process::Child {
        let mut command = Command::new("setsid");
        command
            .arg("--wait")
            .arg(gate_binary())
            .args(["exec", "--"])
            .args(argv)
            .env_clear()
            .env("HOME", self.env.home())
            .env("PATH", "/usr/local/bin:/usr/bin:/bin")
            .env("GATE_DB", self.env.db())
            .env("GATE_POLICY", self.env.root().join("policy.toml"))
            .env("GATE_BROKER_URL", &self.url)
            .env("GATE_BROKER_TOKEN", HOST_TOKEN)
            .env("GATE_BROKER_KEY", &self.key)
            .current_dir(self.env.work())
            .stdin(std::process::Stdio::null())
            .stdout(std::process::Stdio::piped())
            .stderr(std::process::Stdio::piped());
        command.spawn().unwrap()
    }

    /// The decision entries of the audit log, as JSON.
    pub fn decisions(&self) -> Vec<Value> {
        let output = self.env.gate(&["audit", "log", "--json", "-n", "1000"]).output().unwrap();
        crate::support::stdout(&output)
            .lines()
            .map(|line| serde_json::from_str::<Value>(line).unwrap())
            .filter(|entry| entry["kind"] == "decision")
            .collect()
    }
}
