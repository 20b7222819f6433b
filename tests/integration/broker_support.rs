//! A harness for the real `gate serve`: a temp dir with broker.toml, the process started with a
//! cleared environment holding its secrets, its port read from its first stderr line, and the
//! process killed on Drop. Plus a signed-webhook receiver on 127.0.0.1 and request builders.

use std::io::{BufRead, BufReader, Read, Write};
use std::net::{TcpListener, TcpStream};
use std::path::PathBuf;
use std::process::{Child, Stdio};
use std::sync::mpsc;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use gate::approval::signed::command_sha256;
use hmac::{Hmac, Mac};
use serde_json::{Value, json};
use sha2::Sha256;

use super::support::gate_binary;

pub const HOST_TOKEN: &str = "host-7-token";
pub const HOST8_TOKEN: &str = "host-8-token";
pub const ALICE: &str = "alice-token";
pub const BOB: &str = "bob-token";
pub const CAROL: &str = "carol-token";
pub const HOOK_SECRET: &str = "whsec-test";
pub const HOOK_TOKEN: &str = "ops-integration-token";

pub fn secrets() -> Vec<(&'static str, &'static str)> {
    vec![
        ("GATE_HOST_TOKEN", HOST_TOKEN),
        ("GATE_HOST8_TOKEN", HOST8_TOKEN),
        ("ALICE_TOKEN", ALICE),
        ("BOB_TOKEN", BOB),
        ("CAROL_TOKEN", CAROL),
        ("GATE_WEBHOOK_SECRET", HOOK_SECRET),
        ("GATE_WEBHOOK_TOKEN", HOOK_TOKEN),
    ]
}

/// The standard configuration; `hook` is the ops webhook's URL, `extra` more TOML at the end.
pub fn config(hook: &str, extra: &str) -> String {
    format!(
        r#"
[server]
listen = "127.0.0.1:0"
database = "state/broker.db"
key = "broker.key"

[[hosts]]
name = "build-7"
token = "env:GATE_HOST_TOKEN"

[[hosts]]
name = "build-8"
token = "env:GATE_HOST8_TOKEN"

[[people]]
id = "alice"
email = "alice@example.com"
unix = ["alice@build-7"]
token = "env:ALICE_TOKEN"

[[people]]
id = "bob"
email = "bob@example.com"
token = "env:BOB_TOKEN"

[[people]]
id = "carol"
token = "env:CAROL_TOKEN"

[[groups]]
name = "sre"
members = ["carol"]

[[channels]]
name = "ops"
type = "webhook"
url = "{hook}"
secret = "env:GATE_WEBHOOK_SECRET"
token = "env:GATE_WEBHOOK_TOKEN"

[[routes]]
rules = ["*"]
approvers = ["alice", "bob"]
quorum = 1
channels = ["ops"]
timeout = "2m"

[[routes]]
rules = ["quorum-*"]
approvers = ["alice", "bob", "carol"]
quorum = 2

[[routes]]
rules = ["sre-*"]
groups = ["sre"]

[[routes]]
rules = ["solo-*"]
approvers = ["alice"]
self_approval = true
{extra}"#
    )
}

pub struct Broker {
    pub dir: tempfile::TempDir,
    child: Option<Child>,
    pub url: String,
    env: Vec<(String, String)>,
}

impl Broker {
    pub fn start(config: &str) -> Broker {
        Broker::start_with(config, &secrets())
    }

    pub fn start_with(config: &str, env: &[(&str, &str)]) -> Broker {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(dir.path().join("broker.toml"), config).unwrap();
        let env = env.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect();
        let mut broker = Broker { dir, child: None, url: String::new(), env };
        broker.spawn();
        broker
    }

    pub fn config_path(&self) -> PathBuf {
        self.dir.path().join("broker.toml")
    }

    fn spawn(&mut self) {
        let mut child = std::process::Command::new(gate_binary())
            .env_clear()
            .env("PATH", "/usr/bin:/bin")
            .envs(self.env.iter().map(|(k, v)| (k, v)))
            .args(["serve", "--config"])
            .arg(self.config_path())
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap();
        let stderr = child.stderr.take().unwrap();
        let (sender, receiver) = mpsc::channel();
        std::thread::spawn(move || {
            for line in BufReader::new(stderr).lines().map_while(Result::ok) {
                if line.starts_with("gate serve: listening on ") {
                    let _ = sender.send(line.clone());
                }
                // Kept visible for a failing test's output.
                eprintln!("[broker] {line}");
            }
        });
        let line = receiver.recv_timeout(Duration::from_secs(30)).expect("the broker says where it listens");
        let url = line["gate serve: listening on ".len()..].split(' ').next().unwrap().to_string();
        assert!(line.contains("(public URL http://127.0.0.1:"), "{line}");
        assert!(line.contains(", key gate-broker"), "{line}");
        self.url = url;
        self.child = Some(child);
    }

    /// Stops the broker with SIGTERM and waits for it to exit.
    pub fn stop(&mut self) -> std::process::ExitStatus {
        let mut child = self.child.take().expect("running");
        let pid = nix::unistd::Pid::from_raw(child.id() as i32);
        nix::sys::signal::kill(pid, nix::sys::signal::Signal::SIGTERM).unwrap();
        for _ in 0..100 {
            if let Some(status) = child.try_wait().unwrap() {
                return status;
            }
            std::thread::sleep(Duration::from_millis(50));
        }
        let _ = child.kill();
        panic!("the broker did not stop within 5 s of SIGTERM");
    }

    /// Starts it again after [`Broker::stop`].
    pub fn restart_after_stop(&mut self) {
        self.spawn();
    }

    pub fn get(&self, path: &str, token: &str) -> (u16, Value) {
        answer(client().get(format!("{}{path}", self.url)).bearer_auth(token).send())
    }

    pub fn post(&self, path: &str, token: &str, body: &Value) -> (u16, Value) {
        answer(client().post(format!("{}{path}", self.url)).bearer_auth(token).json(body).send())
    }

    /// Creates `request` as build-7; returns its id.
    pub fn create(&self, request: &Value) -> String {
        let (status, body) = self.post("/v1/requests", HOST_TOKEN, request);
        assert_eq!(status, 201, "{body}");
        body["id"].as_str().unwrap().to_string()
    }

    pub fn decide(&self, id: &str, token: &str, decision: &str, approver: Option<&str>) -> (u16, Value) {
        let body =
            json!({"decision": decision, "approver": approver, "comment": format!("{decision} by test")});
        self.post(&format!("/v1/requests/{id}/decisions"), token, &body)
    }

    pub fn poll(&self, id: &str, wait: u64) -> Value {
        let (status, body) = self.get(&format!("/v1/requests/{id}/decision?wait={wait}"), HOST_TOKEN);
        assert_eq!(status, 200, "{body}");
        body
    }

    pub fn key(&self) -> gate::audit::PublicKey {
        let (_, body) = self.get("/v1/key", "");
        gate::audit::PublicKey::parse(body["key"].as_str().unwrap()).unwrap()
    }
}

impl Drop for Broker {
    fn drop(&mut self) {
        if let Some(mut child) = self.child.take() {
            let _ = child.kill();
            let _ = child.wait();
        }
    }
}

pub fn client() -> reqwest::blocking::Client {
    let _ = rustls::crypto::ring::default_provider().install_default();
    reqwest::blocking::Client::builder().timeout(Duration::from_secs(60)).build().unwrap()
}

fn answer(response: reqwest::Result<reqwest::blocking::Response>) -> (u16, Value) {
    let response = response.unwrap();
    let status = response.status().as_u16();
    let text = response.text().unwrap();
    (status, serde_json::from_str(&text).unwrap_or(Value::String(text)))
}

pub fn unix_now() -> i64 {
    SystemTime::now().duration_since(UNIX_EPOCH).unwrap().as_secs() as i64
}

/// A fresh random request id.
pub fn new_id() -> String {
    let mut bytes = [0u8; 16];
    getrandom::fill(&mut bytes).unwrap();
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// A `NewRequest` body for `argv`, run by `user`, under `rule`.
pub fn request(argv: &[&str], user: &str, rule: Option<&str>) -> Value {
    let argv = json!(argv);
    let cwd = "/home/alice/repo";
    json!({
        "id": new_id(),
        "argv": argv,
        "line": null,
        "cwd": cwd,
        "user": user,
        "host": "build-7",
        "rule": rule,
        "reason": "pushes to a shared branch",
        "command_sha256": command_sha256(Some(&argv.to_string()), None, cwd),
        "deadline": unix_now() + 600,
    })
}

pub fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port()
}

/// A webhook receiver: every POST's verified flag and JSON body, in order.
pub struct Receiver {
    pub url: String,
    pub events: mpsc::Receiver<(bool, Value)>,
}

impl Receiver {
    pub fn start() -> Receiver {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let url = format!("http://{}/hook/s3cret-path", listener.local_addr().unwrap());
        let (sender, events) = mpsc::channel();
        std::thread::spawn(move || {
            for stream in listener.incoming().map_while(Result::ok) {
                let sender = sender.clone();
                std::thread::spawn(move || serve_one(stream, &sender));
            }
        });
        Receiver { url, events }
    }

    /// The next event of `kind`, skipping others.
    pub fn next(&self, kind: &str, id: &str) -> Value {
        loop {
            let (verified, event) =
                self.events.recv_timeout(Duration::from_secs(20)).expect("a webhook event");
            assert!(verified, "the signature verifies: {event}");
            if event["type"] == kind && event["request"]["id"] == id {
                return event;
            }
        }
    }
}

fn serve_one(mut stream: TcpStream, sender: &mpsc::Sender<(bool, Value)>) {
    let mut reader = BufReader::new(stream.try_clone().unwrap());
    let mut length = 0;
    let mut signature = String::new();
    loop {
        let mut line = String::new();
        if reader.read_line(&mut line).unwrap_or(0) == 0 {
            return;
        }
        let line = line.trim_end();
        if line.is_empty() {
            break;
        }
        let (name, value) = line.split_once(':').unwrap_or((line, ""));
        match name.to_ascii_lowercase().as_str() {
            "content-length" => length = value.trim().parse().unwrap(),
            "x-gate-signature" => signature = value.trim().to_string(),
            _ => {}
        }
    }
    let mut body = vec![0; length];
    reader.read_exact(&mut body).unwrap();
    let verified = verify(&signature, &body);
    let _ = stream.write_all(b"HTTP/1.1 204 No Content\r\nConnection: close\r\n\r\n");
    let _ = sender.send((verified, serde_json::from_slice(&body).unwrap_or(Value::Null)));
}

/// Checks `t=...,v1=...` against the body, and that t is within 5 minutes.
pub fn verify(header: &str, body: &[u8]) -> bool {
    let fields: Vec<(&str, &str)> = header.split(',').filter_map(|part| part.split_once('=')).collect();
    let get = |key: &str| fields.iter().find(|(k, _)| *k == key).map(|(_, v)| *v);
    let (Some(t), Some(v1)) = (get("t"), get("v1")) else { return false };
    let Ok(seconds) = t.parse::<i64>() else { return false };
    if (unix_now() - seconds).abs() > 300 {
        return false;
    }
    let mut mac = Hmac::<Sha256>::new_from_slice(HOOK_SECRET.as_bytes()).unwrap();
    mac.update(format!("{t}.").as_bytes());
    mac.update(body);
    let Ok(expected) = (0..v1.len() / 2)
        .map(|i| u8::from_str_radix(&v1[2 * i..2 * i + 2], 16))
        .collect::<Result<Vec<u8>, _>>()
    else {
        return false;
    };
    mac.verify_slice(&expected).is_ok()
}
