//! For the web page's tests: a real OpenID Connect provider (Node's `oidc-provider`), the real
//! broker (`gate serve`) signing in through it, and real headless Chromium driven by
//! `tests/web/approve.mjs`. Everything listens on 127.0.0.1 and stops when the test ends.

use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Child, ChildStdin, Command, Stdio};
use std::sync::mpsc;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use crate::support::{TestEnv, gate_binary};

pub const HOST_TOKEN: &str = "host-token-build-7";
pub const OIDC_SECRET: &str = "oidc-client-secret";
const WAIT: Duration = Duration::from_secs(30);

fn web_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/web")
}

/// The browser and the Node packages, or a failure that says how to install them: never a
/// silent skip.
pub fn require_tools() -> PathBuf {
    let chromium =
        std::env::var_os("GATE_TEST_CHROMIUM").map(PathBuf::from).unwrap_or("/usr/bin/chromium".into());
    let mut missing = Vec::new();
    if !chromium.exists() {
        missing.push(format!("Chromium at {} (apt-get install -y chromium)", chromium.display()));
    }
    if Command::new("node").arg("--version").output().is_err() {
        missing.push("node (apt-get install -y nodejs npm)".into());
    }
    for package in ["oidc-provider", "playwright-core", "adaptivecards"] {
        if !web_dir().join("node_modules").join(package).exists() {
            missing.push(format!("the npm package {package} (npm ci --prefix tests/web)"));
        }
    }
    assert!(missing.is_empty(), "the web page tests need: {}", missing.join("; "));
    chromium
}

/// An HTTP client (rustls with ring, as gate's own).
pub fn client() -> reqwest::blocking::Client {
    let _ = rustls::crypto::ring::default_provider().install_default();
    reqwest::blocking::Client::builder().redirect(reqwest::redirect::Policy::none()).build().unwrap()
}

pub fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port()
}

/// A child process killed when dropped; its output lines are kept for failure messages.
pub struct Process {
    child: Child,
    _stdin: Option<ChildStdin>,
    pub lines: Arc<Mutex<Vec<String>>>,
}

impl Process {
    /// Starts `command`, reading both outputs, until a line contains `ready`.
    pub fn start(mut command: Command, ready: &str) -> Process {
        command.stdin(Stdio::piped()).stdout(Stdio::piped()).stderr(Stdio::piped());
        let mut child = command.spawn().unwrap_or_else(|e| panic!("cannot start {command:?}: {e}"));
        let lines = Arc::new(Mutex::new(Vec::new()));
        let (found, wait) = mpsc::channel();
        let readers: Vec<Box<dyn std::io::Read + Send>> =
            vec![Box::new(child.stdout.take().unwrap()), Box::new(child.stderr.take().unwrap())];
        for reader in readers {
            let (lines, found, ready) = (lines.clone(), found.clone(), ready.to_string());
            std::thread::spawn(move || {
                for line in BufReader::new(reader).lines().map_while(Result::ok) {
                    if line.contains(&ready) {
                        let _ = found.send(line.clone());
                    }
                    lines.lock().unwrap().push(line);
                }
            });
        }
        let stdin = child.stdin.take();
        let mut process = Process { child, _stdin: stdin, lines };
        if wait.recv_timeout(WAIT).is_err() {
            let _ = process.child.kill();
            panic!("{command:?} did not say {ready:?} in time:\n{}", process.output());
        }
        process
    }

    pub fn output(&self) -> String {
        self.lines.lock().unwrap().join("\n")
    }
}

impl Drop for Process {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// A provider and a broker that signs in through it; people alice (a@) and bob (b@).
pub struct Web {
    pub env: TestEnv,
    pub url: String,
    pub broker_key: String,
    _broker: Process,
    _provider: Process,
}

impl Web {
    pub fn start(extra_config: &str) -> Web {
        require_tools();
        let env = TestEnv::new();
        let (broker_port, provider_port) = (free_port(), free_port());
        let url = format!("http://127.0.0.1:{broker_port}");
        let mut node = Command::new("node");
        node.arg(web_dir().join("provider.mjs")).args([
            &provider_port.to_string(),
            "gate",
            OIDC_SECRET,
            &format!("{url}/auth/callback"),
        ]);
        let provider = Process::start(node, "ready");
        let config = env.root().join("broker.toml");
        std::fs::write(
            &config,
            format!(
                r#"[server]
listen = "127.0.0.1:{broker_port}"
public_url = "{url}"

[[hosts]]
name = "build-7"
token = "env:GATE_HOST_TOKEN"

[[people]]
id = "alice"
name = "Alice Example"
email = "alice@example.com"

[[people]]
id = "bob"
email = "bob@example.com"
unix = ["bob@build-7"]

[[routes]]
rules = ["*"]
approvers = ["alice", "bob"]
quorum = 1
timeout = "2m"

[sign_in]
issuer = "http://127.0.0.1:{provider_port}"
client_id = "gate"
client_secret = "env:GATE_OIDC_SECRET"
{extra_config}"#
            ),
        )
        .unwrap();
        let mut serve = Command::new(gate_binary());
        serve
            .env_clear()
            .env("PATH", "/usr/bin:/bin")
            .env("HOME", env.home())
            .env("GATE_HOST_TOKEN", HOST_TOKEN)
            .env("GATE_OIDC_SECRET", OIDC_SECRET)
            .args(["serve", "--config"])
            .arg(&config);
        let broker = Process::start(serve, "listening on");
        let key: serde_json::Value =
            client().get(format!("{url}/v1/key")).send().unwrap().json().expect("the broker's key");
        let broker_key = key["key"].as_str().unwrap().to_string();
        Web { env, url, broker_key, _broker: broker, _provider: provider }
    }

    /// Creates a request through the host API, as `gate exec` would; its id.
    pub fn create(&self, argv: &[&str], user: &str) -> String {
        self.create_with(argv, user, "release", 120)
    }

    /// The same, for `rule`, waiting at most `seconds`.
    pub fn create_with(&self, argv: &[&str], user: &str, rule: &str, seconds: u64) -> String {
        let mut id = [0u8; 16];
        getrandom::fill(&mut id).unwrap();
        let id: String = id.iter().map(|b| format!("{b:02x}")).collect();
        let argv_text = serde_json::to_string(argv).unwrap();
        let cwd = "/srv/app";
        let body = serde_json::json!({
            "id": id, "argv": argv, "line": null, "cwd": cwd, "user": user, "host": "build-7",
            "uid": 1000, "pid": 4242, "parent": "claude --task <deploy>", "rule": rule,
            "reason": "releases need a human",
            "command_sha256": gate::approval::signed::command_sha256(Some(&argv_text), None, cwd),
            "deadline": std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap().as_secs() + seconds,
        });
        let response = client()
            .post(format!("{}/v1/requests", self.url))
            .bearer_auth(HOST_TOKEN)
            .json(&body)
            .send()
            .unwrap();
        assert_eq!(response.status(), 201, "{}", response.text().unwrap());
        id
    }

    /// The request as the broker's API shows it to its host.
    pub fn state(&self, id: &str) -> String {
        let status: serde_json::Value = client()
            .get(format!("{}/v1/requests/{id}/decision", self.url))
            .bearer_auth(HOST_TOKEN)
            .send()
            .unwrap()
            .json()
            .unwrap();
        status["state"].as_str().unwrap().to_string()
    }

    /// The file of the secret that signs the page's cookies.
    pub fn session_secret(&self) -> PathBuf {
        self.env.root().join("broker.key.web-secret")
    }

    pub fn page(&self, id: &str) -> String {
        format!("{}/r/{id}", self.url)
    }
}

/// Runs the Chromium driver with these options and returns what it saw.
pub fn browser(options: serde_json::Value) -> serde_json::Value {
    let chromium = require_tools();
    let mut command = Command::new("node");
    command.arg(web_dir().join("approve.mjs")).arg(options.to_string()).env("GATE_TEST_CHROMIUM", chromium);
    command.stdin(Stdio::null());
    let output = command.output().expect("node runs");
    let stdout = String::from_utf8_lossy(&output.stdout);
    let last = stdout.lines().last().unwrap_or_default();
    let seen: serde_json::Value = serde_json::from_str(last).unwrap_or_else(|_| {
        panic!("approve.mjs printed no JSON:\n{stdout}\n{}", String::from_utf8_lossy(&output.stderr))
    });
    assert!(seen.get("error").is_none() && output.status.success(), "approve.mjs failed: {seen}");
    seen
}
