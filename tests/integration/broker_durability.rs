//! The broker under restarts, load and channels that are down.

use std::time::{Duration, Instant};

use gate::approval::signed::SignedDecision;
use serde_json::{Value, json};

use super::broker_support::*;

#[test]
fn state_survives_a_restart_and_long_polls_still_get_their_answer() {
    let mut broker = Broker::start(&config("http://127.0.0.1:9/hook", ""));
    let key = broker.key();
    let id = broker.create(&request(&["terraform", "apply"], "dave", Some("quorum-apply")));
    assert_eq!(broker.decide(&id, BOB, "approve", None).0, 200);
    let mut short = request(&["git", "push"], "dave", None);
    short["deadline"] = json!(unix_now() + 2);
    let short_id = broker.create(&short);

    assert!(broker.stop().success(), "SIGTERM stops the broker cleanly");
    std::thread::sleep(Duration::from_millis(3500));
    broker.restart_after_stop();
    assert_eq!(broker.key(), key, "the key file is kept");
    // The deadline passed while the broker was down: expired at start.
    assert_eq!(broker.poll(&short_id, 0)["state"], "expired");

    let status = broker.poll(&id, 0);
    assert_eq!(
        (status["state"].as_str(), status["approvals"].as_array().unwrap().len()),
        (Some("pending"), 1)
    );
    let url = broker.url.clone();
    let poll_id = id.clone();
    let waiting = std::thread::spawn(move || {
        let started = Instant::now();
        let response = client()
            .get(format!("{url}/v1/requests/{poll_id}/decision?wait=20"))
            .bearer_auth(HOST_TOKEN)
            .send()
            .unwrap();
        (response.json::<Value>().unwrap(), started.elapsed())
    });
    std::thread::sleep(Duration::from_millis(500));
    assert_eq!(broker.decide(&id, CAROL, "approve", None).0, 200);
    let (status, waited) = waiting.join().unwrap();
    assert_eq!(status["state"], "approved");
    assert!(waited < Duration::from_secs(10), "the poll woke on the decision, not its timeout: {waited:?}");
    let signed: SignedDecision = serde_json::from_value(status["signed"].clone()).unwrap();
    let document = signed.verify(&key, &id, status_hash(&broker, &id).as_str()).unwrap();
    assert_eq!(document.approvers.iter().map(|s| s.person.as_str()).collect::<Vec<_>>(), ["bob", "carol"]);
}

fn status_hash(broker: &Broker, id: &str) -> String {
    let (_, view) = broker.get(&format!("/v1/requests/{id}"), BOB);
    view["command_sha256"].as_str().unwrap().to_string()
}

#[test]
fn fifty_concurrent_requests_are_each_approved_exactly_once() {
    let broker = Broker::start(&config("http://127.0.0.1:9/hook", ""));
    let ids: Vec<String> =
        (0..50).map(|i| broker.create(&request(&["make", &format!("job-{i}")], "dave", None))).collect();
    let url = broker.url.clone();
    let pollers: Vec<_> = ids
        .iter()
        .map(|id| {
            let (url, id) = (url.clone(), id.clone());
            std::thread::spawn(move || {
                let response = client()
                    .get(format!("{url}/v1/requests/{id}/decision?wait=25"))
                    .bearer_auth(HOST_TOKEN)
                    .send()
                    .unwrap();
                response.json::<Value>().unwrap()
            })
        })
        .collect();
    // The approving script: each request answered twice at once, as bob and for bob.
    let deciders: Vec<_> = ids
        .iter()
        .flat_map(|id| [(id.clone(), BOB, None), (id.clone(), HOOK_TOKEN, Some("bob"))])
        .map(|(id, token, approver)| {
            let url = url.clone();
            std::thread::spawn(move || {
                let body = json!({"decision": "approve", "approver": approver});
                let response = client()
                    .post(format!("{url}/v1/requests/{id}/decisions"))
                    .bearer_auth(token)
                    .json(&body)
                    .send()
                    .unwrap();
                response.status().as_u16()
            })
        })
        .collect();
    let codes: Vec<u16> = deciders.into_iter().map(|t| t.join().unwrap()).collect();
    assert_eq!(codes.iter().filter(|&&c| c == 200).count(), 50, "{codes:?}");
    assert_eq!(codes.iter().filter(|&&c| c == 409).count(), 50, "{codes:?}");
    for status in pollers.into_iter().map(|t| t.join().unwrap()) {
        assert_eq!(status["state"], "approved", "{status}");
        let signed: SignedDecision = serde_json::from_value(status["signed"].clone()).unwrap();
        assert_eq!(signed.open(&broker.key()).unwrap().approvers.len(), 1);
    }
}

#[test]
fn a_channel_that_is_down_blocks_neither_the_others_nor_the_timeout() {
    let receiver = Receiver::start();
    let extra = format!(
        r#"
[[channels]]
name = "down"
type = "webhook"
url = "http://127.0.0.1:{}/hook"
secret = "env:GATE_WEBHOOK_SECRET"

[[routes]]
rules = ["short-*"]
approvers = ["bob"]
channels = ["down", "ops"]
timeout = "3s"
"#,
        free_port()
    );
    let broker = Broker::start(&config(&receiver.url, &extra));
    let started = Instant::now();
    let id = broker.create(&request(&["git", "push"], "dave", Some("short-push")));
    receiver.next("gate.approval.requested", &id);
    assert!(started.elapsed() < Duration::from_secs(2), "ops was told at once: {:?}", started.elapsed());
    let status = broker.poll(&id, 15);
    assert_eq!(status["state"], "expired");
    assert!(started.elapsed() < Duration::from_secs(8), "{:?}", started.elapsed());
    let decided = receiver.next("gate.approval.decided", &id);
    assert_eq!(decided["request"]["state"], "expired");
}
