//! The real broker, `gate serve`, for tests: a configuration in a temporary folder, the process
//! on a port of the test's choosing on 127.0.0.1 (kept across a restart), and the calls a test
//! makes as an integration or a person. The process is killed when the harness is dropped.

use super::support::TestEnv;
use std::io::{BufRead, BufReader};
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

pub const HOST: &str = "test-host";
const HOST_TOKEN: &str = "host-token-0123456789";
const CHANNEL_TOKEN: &str = "channel-token-0123456789";
const WEBHOOK_SECRET: &str = "webhook-secret-0123456789";

/// A free TCP port on 127.0.0.1 (free when asked; the test binds it soon after).
pub fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port()
}

/// A policy that asks about everything, with this many seconds to answer.
pub fn ask_policy(timeout: u64) -> String {
    format!("version = 1\n[settings]\ndefault = \"ask\"\napproval_timeout = {timeout}\n")
}

/// The Unix account tests run as: alice is mapped to it on the test host, so her approvals of
/// requests made here are self-approvals.
pub fn me() -> String {
    nix::unistd::User::from_uid(nix::unistd::getuid()).unwrap().unwrap().name
}

pub struct Broker {
    config: PathBuf,
    port: u16,
    child: Option<Child>,
    http: reqwest::blocking::Client,
}

impl Broker {
    /// Starts a broker for `env` whose one route takes `route_extra` (TOML lines) as well.
    pub fn start(env: &TestEnv, route_extra: &str) -> Broker {
        let dir = env.root().join("broker");
        std::fs::create_dir_all(&dir).unwrap();
        let port = free_port();
        let hook_port = free_port();
        let config = dir.join("broker.toml");
        std::fs::write(
            &config,
            format!(
                r#"[server]
listen = "127.0.0.1:{port}"
public_url = "http://127.0.0.1:{port}"
database = "broker.db"
key = "broker.key"

[[hosts]]
name = "{HOST}"
token = "env:GATE_HOST_TOKEN"

[[people]]
id = "alice"
email = "alice@example.com"
unix = ["{me}@{HOST}"]

[[people]]
id = "bob"
email = "bob@example.com"

[[people]]
id = "carol"
email = "carol@example.com"

[[channels]]
name = "ops"
type = "webhook"
url = "http://127.0.0.1:{hook_port}/hook"
secret = "env:GATE_WEBHOOK_SECRET"
token = "env:GATE_WEBHOOK_TOKEN"

[[routes]]
rules = ["*"]
approvers = ["alice", "bob", "carol"]
channels = ["ops"]
timeout = "2m"
{route_extra}
"#,
                me = me()
            ),
        )
        .unwrap();
        let _ = rustls::crypto::ring::default_provider().install_default();
        let http = reqwest::blocking::Client::builder().timeout(Duration::from_secs(40)).build().unwrap();
        let mut broker = Broker { config, port, child: None, http };
        broker.spawn();
        broker
    }

    fn spawn(&mut self) {
        let mut child = Command::new(super::support::gate_binary())
            .args(["serve", "--config", self.config.to_str().unwrap()])
            .env_clear()
            .env("PATH", "/usr/bin:/bin")
            .env("GATE_HOST_TOKEN", HOST_TOKEN)
            .env("GATE_WEBHOOK_TOKEN", CHANNEL_TOKEN)
            .env("GATE_WEBHOOK_SECRET", WEBHOOK_SECRET)
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap();
        let mut lines = BufReader::new(child.stderr.take().unwrap()).lines();
        let mut seen = String::new();
        loop {
            match lines.next() {
                Some(Ok(line)) if line.contains("listening on") => break,
                Some(Ok(line)) => seen.push_str(&format!("{line}\n")),
                _ => panic!("gate serve did not start: {seen}"),
            }
        }
        // Keep draining its stderr so it never blocks on a full pipe.
        std::thread::spawn(move || for _ in lines {});
        self.child = Some(child);
    }

    pub fn url(&self) -> String {
        format!("http://127.0.0.1:{}", self.port)
    }

    pub fn host_token(&self) -> &'static str {
        HOST_TOKEN
    }

    /// The broker's public key, as `GET /v1/key` gives it.
    pub fn key(&self) -> String {
        let body: serde_json::Value =
            self.http.get(format!("{}/v1/key", self.url())).send().unwrap().json().unwrap();
        body["key"].as_str().unwrap().to_string()
    }

    /// The ids of the pending requests, as the integration sees them.
    pub fn pending(&self) -> Vec<String> {
        let response = self
            .http
            .get(format!("{}/v1/requests?state=pending", self.url()))
            .bearer_auth(CHANNEL_TOKEN)
            .send()
            .unwrap();
        let body: serde_json::Value = response.json().unwrap();
        body["requests"].as_array().unwrap().iter().map(|r| r["id"].as_str().unwrap().to_string()).collect()
    }

    /// A request's state as approvers see it.
    pub fn state(&self, id: &str) -> String {
        let response = self
            .http
            .get(format!("{}/v1/requests/{id}", self.url()))
            .bearer_auth(CHANNEL_TOKEN)
            .send()
            .unwrap();
        let body: serde_json::Value = response.json().unwrap();
        body["state"].as_str().unwrap_or_default().to_string()
    }

    /// Waits for a pending request and returns its id.
    pub fn wait_for_pending(&self) -> String {
        let deadline = Instant::now() + Duration::from_secs(20);
        while Instant::now() < deadline {
            if let Some(id) = self.pending().pop() {
                return id;
            }
            std::thread::sleep(Duration::from_millis(50));
        }
        panic!("no request reached the broker");
    }

    /// Decides as the webhook integration on behalf of `person`: the status and the body.
    pub fn decide_as_integration(
        &self,
        id: &str,
        person: &str,
        decision: &str,
        comment: Option<&str>,
    ) -> (u16, serde_json::Value) {
        let response = self
            .http
            .post(format!("{}/v1/requests/{id}/decisions", self.url()))
            .bearer_auth(CHANNEL_TOKEN)
            .json(&serde_json::json!({"decision": decision, "approver": person, "comment": comment}))
            .send()
            .unwrap();
        let status = response.status().as_u16();
        (status, response.json().unwrap_or(serde_json::Value::Null))
    }

    /// Stops the broker (SIGKILL: it must not matter how it ends).
    pub fn stop(&mut self) {
        if let Some(mut child) = self.child.take() {
            let _ = child.kill();
            let _ = child.wait();
        }
    }

    /// Stops it and starts it again on the same port, with the same database and key.
    pub fn restart(&mut self) {
        self.stop();
        self.spawn();
    }
}

impl Drop for Broker {
    fn drop(&mut self) {
        self.stop();
    }
}
