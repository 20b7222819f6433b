//! Measures the broker: the time from a decision POST to the waiting long poll's answer (p50/p99
//! over 100 requests), and the broker's resident memory with 1,000 pending requests.
//!
//!     cargo build --release && cargo run --release --example broker_latency
//!
//! The gate binary measured is the one built beside this example, or the path given.

use std::io::{BufRead, BufReader};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use gate::approval::signed::command_sha256;
use serde_json::{Value, json};

const HOST: &str = "bench-host-token";
const BOB: &str = "bench-bob-token";

fn main() {
    let binary = std::env::args_os().nth(1).map_or_else(gate_beside_this_example, std::path::PathBuf::from);
    let dir = tempfile::tempdir().unwrap();
    let config = dir.path().join("broker.toml");
    std::fs::write(
        &config,
        r#"
[server]
listen = "127.0.0.1:0"
[[hosts]]
name = "bench"
token = "env:HOST_TOKEN"
[[people]]
id = "bob"
token = "env:BOB_TOKEN"
[[routes]]
rules = ["*"]
timeout = "10m"
"#,
    )
    .unwrap();
    let mut child = Command::new(&binary)
        .args(["serve", "--config"])
        .arg(&config)
        .env("HOST_TOKEN", HOST)
        .env("BOB_TOKEN", BOB)
        .stderr(Stdio::piped())
        .spawn()
        .expect("the gate binary");
    let mut line = String::new();
    BufReader::new(child.stderr.take().unwrap()).read_line(&mut line).unwrap();
    let url = line.split(' ').nth(4).unwrap().to_string();
    let _ = rustls::crypto::ring::default_provider().install_default();
    let client = reqwest::blocking::Client::builder().timeout(Duration::from_secs(60)).build().unwrap();
    let create = |n: usize| -> String {
        let argv = json!(["make", format!("job-{n}")]);
        let id = format!("{:032x}", n as u128 + 0xbe0c_0000_0000_0000);
        let now = SystemTime::now().duration_since(UNIX_EPOCH).unwrap().as_secs();
        let body = json!({
            "id": id, "argv": argv, "line": null, "cwd": "/", "user": "ci", "host": "bench",
            "rule": null, "reason": "bench", "deadline": now + 600,
            "command_sha256": command_sha256(Some(&argv.to_string()), None, "/"),
        });
        let response =
            client.post(format!("{url}/v1/requests")).bearer_auth(HOST).json(&body).send().unwrap();
        assert_eq!(response.status().as_u16(), 201);
        id
    };

    let mut latencies = Vec::new();
    for n in 0..100 {
        let id = create(n);
        let (poll_client, poll_url) = (client.clone(), format!("{url}/v1/requests/{id}/decision?wait=25"));
        let poller = std::thread::spawn(move || {
            let status: Value = poll_client.get(poll_url).bearer_auth(HOST).send().unwrap().json().unwrap();
            (Instant::now(), status)
        });
        std::thread::sleep(Duration::from_millis(20)); // the poll is waiting
        let posted = Instant::now();
        let body = json!({"decision": "approve"});
        let response = client
            .post(format!("{url}/v1/requests/{id}/decisions"))
            .bearer_auth(BOB)
            .json(&body)
            .send()
            .unwrap();
        assert_eq!(response.status().as_u16(), 200);
        let (answered, status) = poller.join().unwrap();
        assert_eq!(status["state"], "approved");
        latencies.push(answered.duration_since(posted));
    }
    latencies.sort();
    println!(
        "decision POST -> long-poll answer over {} requests: p50 {:.2} ms, p99 {:.2} ms, max {:.2} ms",
        latencies.len(),
        latencies[49].as_secs_f64() * 1e3,
        latencies[98].as_secs_f64() * 1e3,
        latencies[99].as_secs_f64() * 1e3
    );

    let rss = || {
        let status = std::fs::read_to_string(format!("/proc/{}/status", child.id())).unwrap();
        status
            .lines()
            .find(|l| l.starts_with("VmRSS:"))
            .unwrap()
            .split_whitespace()
            .nth(1)
            .unwrap()
            .to_string()
    };
    println!("broker VmRSS after the latency run: {} kB", rss());
    for n in 1000..2000 {
        create(n);
    }
    let list: Value = client
        .get(format!("{url}/v1/requests?state=pending"))
        .bearer_auth(BOB)
        .send()
        .unwrap()
        .json()
        .unwrap();
    println!(
        "broker VmRSS with {} pending requests (after listing them all): {} kB",
        list["requests"].as_array().unwrap().len(),
        rss()
    );
    let _ = child.kill();
    let _ = child.wait();
}

/// `target/<host>/release/gate`, found from `target/<host>/release/examples/broker_latency`.
fn gate_beside_this_example() -> std::path::PathBuf {
    let example = std::env::current_exe().unwrap();
    example.parent().and_then(std::path::Path::parent).unwrap().join("gate")
}
