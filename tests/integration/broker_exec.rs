//! `gate exec` and the real broker (`gate serve`) together: a request waits for a person's
//! decision, only a decision signed by the pinned key for this request and command runs it, and
//! the audit entry proves who approved which command.

use super::broker_harness::{Broker, ask_policy, free_port};
use super::support::{TestEnv, stderr, stdout};
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

/// `gate exec -- touch MARKER` with no controlling terminal, asking `broker`.
fn exec_touch(env: &TestEnv, broker: &Broker, marker: &Path) -> Child {
    exec_with(env, &broker.url(), broker.host_token(), &broker.key(), &["touch", marker.to_str().unwrap()])
}

fn exec_with(env: &TestEnv, url: &str, token: &str, key: &str, argv: &[&str]) -> Child {
    let mut command = Command::new("setsid");
    command
        .arg("--wait")
        .arg(super::support::gate_binary())
        .args(["exec", "--"])
        .args(argv)
        .env_clear()
        .env("HOME", env.home())
        .env("PATH", "/usr/local/bin:/usr/bin:/bin")
        .env("GATE_DB", env.db())
        .env("GATE_POLICY", env.root().join("policy.toml"))
        .env("GATE_BROKER_URL", url)
        .env("GATE_BROKER_TOKEN", token)
        .env("GATE_BROKER_KEY", key)
        .current_dir(env.work())
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    command.spawn().unwrap()
}

fn finish(child: Child) -> std::process::Output {
    child.wait_with_output().unwrap()
}

/// The decision entries of the log, as JSON.
fn decisions(env: &TestEnv) -> Vec<serde_json::Value> {
    let output = env.gate(&["audit", "log", "--json", "-n", "1000"]).output().unwrap();
    stdout(&output)
        .lines()
        .map(|line| serde_json::from_str::<serde_json::Value>(line).unwrap())
        .filter(|entry| entry["kind"] == "decision")
        .collect()
}

fn setup(timeout: u64) -> (TestEnv, Broker) {
    let env = TestEnv::new().with_policy(&ask_policy(timeout));
    let broker = Broker::start(&env, "");
    (env, broker)
}

#[test]
fn an_approval_through_the_broker_runs_the_command_and_is_proved_by_the_log() {
    let (env, broker) = setup(30);
    let marker = env.root().join("ran");
    let child = exec_touch(&env, &broker, &marker);
    let id = broker.wait_for_pending();
    let answer = broker.decide_as_integration(&id, "bob", "approve", Some("release 1.4"));
    assert_eq!(answer.0, 200, "{answer:?}");
    let output = finish(child);
    assert_eq!(output.status.code(), Some(0), "{}", stderr(&output));
    assert!(marker.exists());

    let entry = decisions(&env).pop().unwrap();
    assert_eq!(entry["verdict"], "approved");
    assert_eq!(entry["approver"], "bob");
    assert_eq!(entry["channel"], "webhook:ops");
    let approval: serde_json::Value = serde_json::from_str(entry["approval"].as_str().unwrap()).unwrap();
    let document: serde_json::Value = serde_json::from_str(approval["document"].as_str().unwrap()).unwrap();
    assert_eq!(document["comment"], "release 1.4");
    assert_eq!(document["request_id"], entry["request_id"]);

    let seq = entry["seq"].as_i64().unwrap().to_string();
    let shown = stdout(&env.gate(&["audit", "show", &seq]).output().unwrap());
    assert!(shown.contains(r#"bob via webhook:ops at "#) && shown.contains(r#": "release 1.4""#), "{shown}");

    // The log alone proves it, given the broker's key; another key does not.
    let key = broker.key();
    env.gate(&["audit", "verify", "--broker-key", &key]).assert().success();
    let other = gate::audit::SecretKey::from_seed("gate-broker@elsewhere", [9; 32]).public().to_text();
    let output = env.gate(&["audit", "verify", "--json", "--broker-key", &other]).output().unwrap();
    assert_eq!(output.status.code(), Some(1), "{output:?}");
    assert!(stdout(&output).contains("approval-unverified"), "{}", stdout(&output));
}

#[test]
fn a_deny_through_the_broker_refuses_and_records_who() {
    let (env, broker) = setup(30);
    let marker = env.root().join("ran");
    let child = exec_touch(&env, &broker, &marker);
    let id = broker.wait_for_pending();
    assert_eq!(broker.decide_as_integration(&id, "bob", "deny", Some("not today")).0, 200);
    let output = finish(child);
    assert_eq!(output.status.code(), Some(77), "{}", stderr(&output));
    assert!(!marker.exists());
    assert!(stderr(&output).contains("rejected by bob"), "{}", stderr(&output));
    let entry = decisions(&env).pop().unwrap();
    assert_eq!((entry["verdict"].as_str(), entry["approver"].as_str()), (Some("rejected"), Some("bob")));
    env.gate(&["audit", "verify", "--broker-key", &broker.key()]).assert().success();
}

#[test]
fn no_answer_by_the_deadline_is_a_refusal() {
    let (env, broker) = setup(3);
    let marker = env.root().join("ran");
    let started = Instant::now();
    let output = finish(exec_touch(&env, &broker, &marker));
    assert_eq!(output.status.code(), Some(77), "{}", stderr(&output));
    assert!(started.elapsed() < Duration::from_secs(15));
    assert!(!marker.exists());
    assert_eq!(decisions(&env).pop().unwrap()["verdict"], "timed-out");
}

#[test]
fn a_decision_signed_by_another_key_does_not_run_the_command() {
    let (env, broker) = setup(30);
    let marker = env.root().join("ran");
    let pinned = gate::audit::SecretKey::from_seed("gate-broker@pinned", [4; 32]).public().to_text();
    let child =
        exec_with(&env, &broker.url(), broker.host_token(), &pinned, &["touch", marker.to_str().unwrap()]);
    let id = broker.wait_for_pending();
    assert_eq!(broker.decide_as_integration(&id, "bob", "approve", None).0, 200);
    let output = finish(child);
    assert_eq!(output.status.code(), Some(77), "{}", stderr(&output));
    assert!(!marker.exists());
    assert!(stderr(&output).contains("not signed by the pinned broker key"), "{}", stderr(&output));
    let entry = decisions(&env).pop().unwrap();
    assert_eq!(entry["verdict"], "approval-failed");
    assert!(entry["error"].as_str().unwrap().contains("pinned broker key"), "{entry}");
}

#[test]
fn self_approval_is_refused_and_the_request_times_out() {
    let (env, broker) = setup(4);
    let marker = env.root().join("ran");
    let child = exec_touch(&env, &broker, &marker);
    let id = broker.wait_for_pending();
    // alice's Unix account on this host made the request (the harness maps her to it).
    let (status, body) = broker.decide_as_integration(&id, "alice", "approve", None);
    assert_eq!(status, 403, "{body}");
    let output = finish(child);
    assert_eq!(output.status.code(), Some(77));
    assert!(!marker.exists());
}

#[test]
fn a_host_token_is_needed_and_a_wrong_one_refuses_at_once() {
    let (env, broker) = setup(10);
    let marker = env.root().join("ran");
    let started = Instant::now();
    let output = finish(exec_with(
        &env,
        &broker.url(),
        "not-a-token",
        &broker.key(),
        &["touch", marker.to_str().unwrap()],
    ));
    assert_eq!(output.status.code(), Some(77), "{}", stderr(&output));
    assert!(started.elapsed() < Duration::from_secs(5), "a 401 is final, not retried");
    assert!(stderr(&output).contains("401"), "{}", stderr(&output));
    assert!(!marker.exists());
    assert_eq!(decisions(&env).pop().unwrap()["verdict"], "approval-failed");
}

#[test]
fn a_broker_that_cannot_be_reached_refuses_by_the_deadline() {
    let env = TestEnv::new().with_policy(&ask_policy(3));
    let marker = env.root().join("ran");
    let key = gate::audit::SecretKey::from_seed("gate-broker@gone", [5; 32]).public().to_text();
    let url = format!("http://127.0.0.1:{}", free_port());
    let output = finish(exec_with(&env, &url, "t", &key, &["touch", marker.to_str().unwrap()]));
    assert_eq!(output.status.code(), Some(77), "{}", stderr(&output));
    assert!(stderr(&output).contains("could not be reached"), "{}", stderr(&output));
    assert!(!marker.exists());
}

#[test]
fn a_wait_survives_a_broker_restart() {
    let (env, mut broker) = setup(40);
    let marker = env.root().join("ran");
    let child = exec_touch(&env, &broker, &marker);
    let id = broker.wait_for_pending();
    broker.restart();
    assert_eq!(broker.decide_as_integration(&id, "bob", "approve", None).0, 200);
    let output = finish(child);
    assert_eq!(output.status.code(), Some(0), "{}", stderr(&output));
    assert!(marker.exists());
}

#[test]
fn a_broker_stopped_mid_wait_leaves_the_command_unrun() {
    let (env, mut broker) = setup(4);
    let marker = env.root().join("ran");
    let child = exec_touch(&env, &broker, &marker);
    broker.wait_for_pending();
    broker.stop();
    let output = finish(child);
    assert_eq!(output.status.code(), Some(77), "{}", stderr(&output));
    assert!(!marker.exists());
    let entry = decisions(&env).pop().unwrap();
    assert_eq!(entry["verdict"], "approval-failed", "{entry}");
}

#[test]
fn quorum_two_needs_two_distinct_people() {
    let env = TestEnv::new().with_policy(&ask_policy(30));
    let broker = Broker::start(&env, "quorum = 2");
    let marker = env.root().join("ran");
    let child = exec_touch(&env, &broker, &marker);
    let id = broker.wait_for_pending();
    assert_eq!(broker.decide_as_integration(&id, "bob", "approve", None).0, 200);
    // The same person again counts once.
    assert!(broker.decide_as_integration(&id, "bob", "approve", None).0 >= 400);
    std::thread::sleep(Duration::from_millis(500));
    assert!(!marker.exists(), "one approval of two must not run it");
    assert_eq!(broker.decide_as_integration(&id, "carol", "approve", Some("ok")).0, 200);
    let output = finish(child);
    assert_eq!(output.status.code(), Some(0), "{}", stderr(&output));
    assert!(marker.exists());
    let entry = decisions(&env).pop().unwrap();
    assert_eq!(entry["approver"], "bob,carol");
    assert_eq!(entry["channel"], "webhook:ops,webhook:ops");
    env.gate(&["audit", "verify", "--broker-key", &broker.key()]).assert().success();
}

#[test]
fn fifty_waiting_commands_each_run_once() {
    let (env, broker) = setup(60);
    let log = env.root().join("ran.log");
    let children: Vec<Child> = (0..50)
        .map(|n| {
            let line = format!("echo {n} >> {}", log.display());
            exec_with(&env, &broker.url(), broker.host_token(), &broker.key(), &["sh", "-c", &line])
        })
        .collect();
    let mut approved = std::collections::HashSet::new();
    let deadline = Instant::now() + Duration::from_secs(60);
    while approved.len() < 50 && Instant::now() < deadline {
        for id in broker.pending() {
            if approved.insert(id.clone()) {
                assert_eq!(broker.decide_as_integration(&id, "bob", "approve", None).0, 200);
            }
        }
        std::thread::sleep(Duration::from_millis(50));
    }
    for child in children {
        let output = finish(child);
        assert_eq!(output.status.code(), Some(0), "{}", stderr(&output));
    }
    let mut lines: Vec<u32> =
        std::fs::read_to_string(&log).unwrap().lines().map(|line| line.parse().unwrap()).collect();
    lines.sort_unstable();
    assert_eq!(lines, (0..50).collect::<Vec<_>>(), "each of the 50 ran exactly once");
}

/// `gate exec -- touch MARKER` on a pty (its controlling terminal) that also asks `broker`.
fn exec_on_pty(env: &TestEnv, broker: &Broker, marker: &Path) -> super::pty::Pty {
    let mut command = portable_pty::CommandBuilder::new(super::support::gate_binary());
    command.env_clear();
    command.env("PATH", "/usr/local/bin:/usr/bin:/bin");
    command.env("HOME", env.home());
    command.env("GATE_DB", env.db());
    command.env("GATE_POLICY", env.root().join("policy.toml"));
    command.env("GATE_BROKER_URL", broker.url());
    command.env("GATE_BROKER_TOKEN", broker.host_token());
    command.env("GATE_BROKER_KEY", broker.key());
    command.cwd(env.work());
    command.args(["exec", "--", "touch", marker.to_str().unwrap()]);
    super::pty::Pty::spawn(command)
}

#[test]
fn answering_on_the_terminal_withdraws_the_broker_request() {
    let (env, broker) = setup(30);
    let marker = env.root().join("ran");
    let mut pty = exec_on_pty(&env, &broker, &marker);
    pty.wait_for("broker   also asked at http://127.0.0.1");
    let id = broker.wait_for_pending();
    pty.send("y\r");
    let (code, _) = pty.wait();
    assert_eq!(code, 0, "{}", pty.output());
    assert!(marker.exists());
    assert_eq!(broker.state(&id), "withdrawn");
    // Nobody can decide it at the broker any more.
    assert!(broker.decide_as_integration(&id, "bob", "deny", None).0 >= 400);
    let entry = decisions(&env).pop().unwrap();
    assert_eq!((entry["verdict"].as_str(), entry["channel"].as_str()), (Some("approved"), Some("terminal")));
}

#[test]
fn an_answer_in_the_broker_clears_the_prompt() {
    let (env, broker) = setup(30);
    let marker = env.root().join("ran");
    let mut pty = exec_on_pty(&env, &broker, &marker);
    pty.wait_for("[y/N]");
    let id = broker.wait_for_pending();
    assert_eq!(broker.decide_as_integration(&id, "bob", "approve", None).0, 200);
    pty.wait_for("approved in the broker by bob (webhook:ops)");
    let (code, _) = pty.wait();
    assert_eq!(code, 0, "{}", pty.output());
    assert!(marker.exists());
    assert_eq!(decisions(&env).pop().unwrap()["approver"], "bob");
}

/// A broker gone bad (or a man in the middle): it accepts every request and answers each with
/// a genuine signed decision that it saw for another request.
fn replaying_broker(replayed: serde_json::Value) -> String {
    use std::io::{BufRead, BufReader, Read, Write};
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let url = format!("http://{}", listener.local_addr().unwrap());
    std::thread::spawn(move || {
        for stream in listener.incoming().map_while(Result::ok).take(20) {
            let mut reader = BufReader::new(stream.try_clone().unwrap());
            let (mut head, mut length) = (String::new(), 0usize);
            loop {
                let mut line = String::new();
                if reader.read_line(&mut line).unwrap_or(0) == 0 || line == "\r\n" {
                    break;
                }
                if let Some(value) = line.to_ascii_lowercase().strip_prefix("content-length:") {
                    length = value.trim().parse().unwrap_or(0);
                }
                head.push_str(&line);
            }
            let mut body = vec![0; length];
            let _ = reader.read_exact(&mut body);
            let answer = if head.starts_with("POST /v1/requests ") {
                let request: serde_json::Value = serde_json::from_slice(&body).unwrap();
                serde_json::json!({"id": request["id"], "url": "http://x/r/1", "deadline": request["deadline"], "quorum": 1})
            } else {
                replayed.clone()
            };
            let text = answer.to_string();
            let mut stream = stream;
            let _ = write!(
                stream,
                "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{text}",
                text.len()
            );
        }
    });
    url
}

#[test]
fn a_signed_decision_replayed_from_another_request_does_not_run_the_command() {
    let (env, broker) = setup(30);
    // A genuine approval, of `touch first`.
    let first = env.root().join("first");
    let child = exec_touch(&env, &broker, &first);
    let id = broker.wait_for_pending();
    assert_eq!(broker.decide_as_integration(&id, "bob", "approve", None).0, 200);
    assert_eq!(finish(child).status.code(), Some(0));
    let client = reqwest::blocking::Client::new();
    let genuine: serde_json::Value = client
        .get(format!("{}/v1/requests/{id}/decision?wait=0", broker.url()))
        .bearer_auth(broker.host_token())
        .send()
        .unwrap()
        .json()
        .unwrap();
    assert_eq!(genuine["state"], "approved");

    // Replayed for another request, of another command, under the same pinned key.
    let url = replaying_broker(genuine);
    let second = env.root().join("second");
    let output = finish(exec_with(&env, &url, "t", &broker.key(), &["touch", second.to_str().unwrap()]));
    assert_eq!(output.status.code(), Some(77), "{}", stderr(&output));
    assert!(!second.exists());
    assert!(stderr(&output).contains("is for request"), "{}", stderr(&output));
    let entry = decisions(&env).pop().unwrap();
    assert_eq!(entry["verdict"], "approval-failed");
    assert!(entry["approval"].is_null(), "a decision that did not verify is not kept as proof");
}

#[test]
fn bad_tls_refuses_at_once() {
    // https to a broker that speaks plain HTTP: the handshake fails, which no retry fixes.
    let (env, broker) = setup(20);
    let marker = env.root().join("ran");
    let url = broker.url().replace("http://", "https://");
    let started = Instant::now();
    let output = finish(exec_with(
        &env,
        &url,
        broker.host_token(),
        &broker.key(),
        &["touch", marker.to_str().unwrap()],
    ));
    assert_eq!(output.status.code(), Some(77), "{}", stderr(&output));
    assert!(started.elapsed() < Duration::from_secs(10), "a TLS failure is final, not retried");
    assert!(stderr(&output).contains("could not be asked"), "{}", stderr(&output));
    assert!(!marker.exists());
    assert_eq!(decisions(&env).pop().unwrap()["verdict"], "approval-failed");
}
