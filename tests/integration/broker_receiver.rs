//! The README's receiver (examples/webhook_receiver.py, run with python3) against the real broker.

use std::process::{Child, Stdio};
use std::time::{Duration, Instant};

use serde_json::json;

use super::broker_support::*;

struct Python(Child);

impl Drop for Python {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

fn post(url: &str, signature: &str, body: &str) -> u16 {
    client()
        .post(url)
        .header("X-Gate-Signature", signature)
        .header("Content-Type", "application/json")
        .body(body.to_string())
        .send()
        .unwrap()
        .status()
        .as_u16()
}

fn sign(t: i64, body: &str) -> String {
    gate::broker::channels::webhook::signature(HOOK_SECRET, t as u64, body)
}

#[test]
fn the_readme_receiver_verifies_signatures_and_approves() {
    let port = free_port();
    let url = format!("http://127.0.0.1:{port}/hook");
    let script = concat!(env!("CARGO_MANIFEST_DIR"), "/examples/webhook_receiver.py");
    let _python = Python(
        std::process::Command::new("python3")
            .arg(script)
            .env("PORT", port.to_string())
            .env("GATE_WEBHOOK_SECRET", HOOK_SECRET)
            .env("GATE_WEBHOOK_TOKEN", HOOK_TOKEN)
            .env("GATE_APPROVE_AS", "bob")
            .stdout(Stdio::null())
            .spawn()
            .expect("python3"),
    );
    let started = Instant::now();
    while std::net::TcpStream::connect(("127.0.0.1", port)).is_err() {
        assert!(started.elapsed() < Duration::from_secs(10), "the receiver did not start");
        std::thread::sleep(Duration::from_millis(50));
    }

    let body = json!({"type": "gate.approval.decided", "request": {"id": "x"}}).to_string();
    assert_eq!(post(&url, &sign(unix_now(), &body), &body), 204, "a good signature is accepted");
    assert_eq!(post(&url, &sign(unix_now(), &body).replace("v1=", "v1=00"), &body), 401, "forged");
    assert_eq!(post(&url, &sign(unix_now(), "{}"), &body), 401, "signed for another body");
    assert_eq!(post(&url, &sign(unix_now() - 360, &body), &body), 401, "6 minutes old");
    assert_eq!(post(&url, &sign(unix_now() + 360, &body), &body), 401, "6 minutes ahead");
    assert_eq!(post(&url, "", &body), 401, "unsigned");

    // End to end: the broker tells the receiver, which approves on behalf of bob.
    let broker = Broker::start(&config(&url, ""));
    let id = broker.create(&request(&["git", "push", "origin", "main"], "dave", Some("git-push")));
    let status = broker.poll(&id, 20);
    assert_eq!(status["state"], "approved", "{status}");
    let approval = &status["approvals"][0];
    assert_eq!(
        (approval["person"].as_str(), approval["channel"].as_str()),
        (Some("bob"), Some("webhook:ops"))
    );
    assert_eq!(approval["comment"], "approved by the receiver");
}
