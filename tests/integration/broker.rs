//! The broker's API end to end: the real `gate serve`, real HTTP on 127.0.0.1, a real SQLite
//! file, a webhook receiver that verifies signatures.

use gate::approval::signed::{Answer, SignedDecision};
use serde_json::{Value, json};

use super::broker_support::*;

fn signed(status: &Value) -> SignedDecision {
    serde_json::from_value(status["signed"].clone()).expect("a signed decision")
}

#[test]
fn webhook_receiver_approves_on_behalf_of_bob_and_the_decision_verifies() {
    let receiver = Receiver::start();
    let broker = Broker::start(&config(&receiver.url, ""));
    let request = request(
        &["curl", "-H", "Authorization: Bearer s3cr3t-value", "https://x.example"],
        "dave",
        Some("git-push"),
    );
    let id = broker.create(&request);

    let event = receiver.next("gate.approval.requested", &id);
    let command = event["request"]["command"].as_str().unwrap();
    assert_eq!(command, "curl -H 'Authorization: Bearer ***' https://x.example");
    assert!(!event.to_string().contains("s3cr3t-value"), "{event}");
    assert_eq!(event["url"], format!("{}/r/{id}", broker.url));
    assert_eq!(event["decide_url"], format!("{}/v1/requests/{id}/decisions", broker.url));
    for field in ["rule", "reason", "host", "user", "cwd", "deadline", "quorum", "state", "approvals"] {
        assert!(event["request"].get(field).is_some(), "{field} in {event}");
    }
    assert_eq!(
        (event["request"]["host"].as_str(), event["request"]["user"].as_str()),
        (Some("build-7"), Some("dave"))
    );

    let decide_url = event["decide_url"].as_str().unwrap();
    let body = json!({"decision": "approve", "approver": "bob", "comment": "release 1.4"});
    let response = client().post(decide_url).bearer_auth(HOOK_TOKEN).json(&body).send().unwrap();
    assert_eq!(response.status().as_u16(), 200);
    let decided: Value = response.json().unwrap();
    assert_eq!((decided["state"].as_str(), decided["approvals"].as_u64()), (Some("approved"), Some(1)));

    let status = broker.poll(&id, 5);
    assert_eq!(status["state"], "approved");
    let hash = request["command_sha256"].as_str().unwrap();
    let document = signed(&status).verify(&broker.key(), &id, hash).expect("verifies with /v1/key");
    assert_eq!(document.decision, Answer::Approve);
    assert_eq!(document.approvers.len(), 1);
    assert_eq!(document.approvers[0].person, "bob");
    assert_eq!(document.approvers[0].channel, "webhook:ops");
    assert_eq!(document.comment.as_deref(), Some("release 1.4"));
    let decided_event = receiver.next("gate.approval.decided", &id);
    assert_eq!(decided_event["request"]["state"], "approved");

    // The key at the well-known path is the same, and it is the one that signed.
    let (_, well_known) = broker.get("/.well-known/gate-broker-key", "");
    assert_eq!(well_known["key"].as_str().unwrap(), broker.key().to_text());
    let health = client().get(format!("{}/healthz", broker.url)).send().unwrap();
    assert_eq!((health.status().as_u16(), health.text().unwrap()), (200, "ok".to_string()));
    let (status, body) = broker.get("/v1/nothing-here", BOB);
    assert_eq!((status, body["error"].as_str()), (404, Some("no such route")));
}

#[test]
fn deny_is_final_and_late_or_repeated_answers_change_nothing() {
    let broker = Broker::start(&config("http://127.0.0.1:9/hook", ""));
    let id = broker.create(&request(&["git", "push"], "dave", Some("git-push")));
    let (status, body) = broker.decide(&id, BOB, "deny", None);
    assert_eq!((status, body["state"].as_str()), (200, Some("denied")));
    let (status, body) = broker.decide(&id, ALICE, "approve", None);
    assert_eq!((status, body["error"].as_str()), (409, Some("already decided by bob: denied")));
    let status = broker.poll(&id, 0);
    assert_eq!(status["state"], "denied");
    let document = signed(&status).open(&broker.key()).unwrap();
    assert_eq!((document.decision, document.approvers[0].person.as_str()), (Answer::Deny, "bob"));

    let id = broker.create(&request(&["git", "push"], "dave", Some("git-push")));
    assert_eq!(broker.decide(&id, BOB, "approve", None).0, 200);
    let before = broker.poll(&id, 0);
    let (status, body) = broker.decide(&id, BOB, "approve", None);
    assert_eq!((status, body["error"].as_str()), (409, Some("already decided by bob: approved")));
    let (status, _) = broker.decide(&id, HOOK_TOKEN, "deny", Some("alice"));
    assert_eq!(status, 409);
    assert_eq!(broker.poll(&id, 0), before, "nothing changed");
}

#[test]
fn who_may_decide() {
    let broker = Broker::start(&config("http://127.0.0.1:9/hook", ""));
    // alice's own account on build-7 made it: she may not decide it, either way.
    let id = broker.create(&request(&["git", "push"], "alice", Some("git-push")));
    let (status, body) = broker.decide(&id, ALICE, "approve", None);
    assert_eq!(status, 403, "{body}");
    assert!(body["error"].as_str().unwrap().contains("own account"), "{body}");
    assert_eq!(broker.decide(&id, HOOK_TOKEN, "deny", Some("alice")).0, 403);
    assert_eq!(broker.poll(&id, 0)["state"], "pending");
    // ... unless the route allows it.
    let solo = broker.create(&request(&["git", "push"], "alice", Some("solo-release")));
    assert_eq!(broker.decide(&solo, ALICE, "approve", None).0, 200);
    assert_eq!(broker.poll(&solo, 0)["state"], "approved");

    // The sre route: only its group's members.
    let sre = broker.create(&request(&["kubectl", "drain"], "dave", Some("sre-drain")));
    let (status, body) = broker.decide(&sre, BOB, "approve", None);
    assert_eq!(
        (status, body["error"].as_str()),
        (403, Some("bob is not an approver of this request's route"))
    );
    assert_eq!(broker.decide(&sre, CAROL, "approve", None).0, 200);

    // Tokens: a person decides as themselves only; an integration must name a known person.
    let id = broker.create(&request(&["git", "push"], "dave", None));
    assert_eq!(broker.decide(&id, BOB, "approve", Some("alice")).0, 403);
    assert_eq!(broker.decide(&id, HOOK_TOKEN, "approve", None).0, 400);
    assert_eq!(broker.decide(&id, HOOK_TOKEN, "approve", Some("mallory")).0, 403);
    let (status, body) = broker.decide(&id, "wrong-integration-token", "approve", Some("bob"));
    assert_eq!((status, body["error"].as_str()), (401, Some("missing or unknown bearer token")));
    assert_eq!(broker.decide(&id, HOST_TOKEN, "approve", Some("bob")).0, 403);
    assert_eq!(broker.poll(&id, 0)["state"], "pending");
    let (_, whoami) = broker.get("/v1/whoami", HOOK_TOKEN);
    assert_eq!(whoami, json!({"integration": "ops"}));
    let (_, whoami) = broker.get("/v1/whoami", BOB);
    assert_eq!(whoami, json!({"person": "bob"}));
}

#[test]
fn quorum_two_counts_distinct_people() {
    let broker = Broker::start(&config("http://127.0.0.1:9/hook", ""));
    let id = broker.create(&request(&["terraform", "apply"], "dave", Some("quorum-apply")));
    let (status, body) = broker.decide(&id, BOB, "approve", None);
    assert_eq!((status, body["state"].as_str(), body["approvals"].as_u64()), (200, Some("pending"), Some(1)));
    assert_eq!(broker.poll(&id, 1)["state"], "pending");
    let (status, body) = broker.decide(&id, HOOK_TOKEN, "approve", Some("bob"));
    assert_eq!((status, body["error"].as_str()), (409, Some("already approved by you")));
    assert_eq!(broker.poll(&id, 0)["approvals"].as_array().unwrap().len(), 1);
    let (status, body) = broker.decide(&id, CAROL, "approve", None);
    assert_eq!(
        (status, body["state"].as_str(), body["approvals"].as_u64()),
        (200, Some("approved"), Some(2))
    );
    let status = broker.poll(&id, 0);
    let document = signed(&status).open(&broker.key()).unwrap();
    let people: Vec<_> = document.approvers.iter().map(|s| (s.person.as_str(), s.channel.as_str())).collect();
    assert_eq!(people, [("bob", "cli"), ("carol", "cli")]);
}

#[test]
fn hosts_see_only_their_own_requests_and_bad_requests_are_refused() {
    let broker = Broker::start(&config("http://127.0.0.1:9/hook", ""));
    let request = request(&["git", "push"], "dave", None);
    let id = broker.create(&request);
    let (status, _) = broker.get(&format!("/v1/requests/{id}/decision"), HOST8_TOKEN);
    assert_eq!(status, 404);
    let (status, _) =
        broker.post(&format!("/v1/requests/{id}/withdraw"), HOST8_TOKEN, &json!({"reason": "x"}));
    assert_eq!(status, 404);
    assert_eq!(broker.get(&format!("/v1/requests/{id}/decision"), "nope").0, 401);
    assert_eq!(broker.post("/v1/requests", BOB, &request).0, 403);
    assert_eq!(broker.post("/v1/requests", HOST_TOKEN, &request).0, 409, "the id is taken");

    let mut wrong_hash = request.clone();
    wrong_hash["id"] = json!(new_id());
    wrong_hash["argv"] = json!(["git", "push", "--force"]);
    let (status, body) = broker.post("/v1/requests", HOST_TOKEN, &wrong_hash);
    assert_eq!(status, 400);
    assert!(body["error"].as_str().unwrap().contains("command_sha256"), "{body}");
    let mut both = request.clone();
    both["id"] = json!(new_id());
    both["line"] = json!("git push");
    assert_eq!(broker.post("/v1/requests", HOST_TOKEN, &both).0, 400);
    let mut bad_id = request.clone();
    bad_id["id"] = json!("ABC");
    assert_eq!(broker.post("/v1/requests", HOST_TOKEN, &bad_id).0, 400);
    let (status, body) = broker.post("/v1/requests", HOST_TOKEN, &json!({"id": 1}));
    assert_eq!(status, 400);
    assert!(body["error"].is_string());
    let huge = json!({"reason": "x".repeat(300 * 1024)});
    assert_eq!(broker.post("/v1/requests", HOST_TOKEN, &huge).0, 413);

    // Withdrawn: answers no longer count; withdrawing a final request returns it unchanged.
    let (status, body) = broker.post(
        &format!("/v1/requests/{id}/withdraw"),
        HOST_TOKEN,
        &json!({"reason": "answered on the terminal"}),
    );
    assert_eq!((status, body["state"].as_str()), (200, Some("withdrawn")));
    assert_eq!(broker.decide(&id, BOB, "approve", None).0, 409);
    let other = broker.create(&request_for_line("make release"));
    assert_eq!(broker.decide(&other, BOB, "deny", None).0, 200);
    let (_, body) =
        broker.post(&format!("/v1/requests/{other}/withdraw"), HOST_TOKEN, &json!({"reason": "x"}));
    assert_eq!(body["state"], "denied");
}

fn request_for_line(line: &str) -> Value {
    let cwd = "/srv";
    json!({
        "id": new_id(), "argv": null, "line": line, "cwd": cwd, "user": "dave", "host": "x",
        "rule": null, "reason": "r", "deadline": unix_now() + 60,
        "command_sha256": gate::approval::signed::command_sha256(None, Some(line), cwd),
    })
}

#[test]
fn expired_requests_cannot_be_decided() {
    let broker = Broker::start(&config("http://127.0.0.1:9/hook", ""));
    let mut short = request(&["git", "push"], "dave", None);
    short["deadline"] = json!(unix_now() + 2);
    let id = broker.create(&short);
    let status = broker.poll(&id, 10);
    assert_eq!(status["state"], "expired");
    let (status, body) = broker.decide(&id, BOB, "approve", None);
    assert_eq!((status, body["error"].as_str()), (410, Some("the request expired")));
}

#[test]
fn approvers_list_and_show_requests_masked_unless_a_person_asks_for_full() {
    let broker = Broker::start(&config("http://127.0.0.1:9/hook", ""));
    let id = broker.create(&request(
        &["env", "GITHUB_TOKEN=ghp_abcdefghijklmnopqrstuvwxyz012345", "make"],
        "dave",
        None,
    ));
    let (status, list) = broker.get("/v1/requests?state=pending", HOOK_TOKEN);
    assert_eq!(status, 200);
    let listed =
        list["requests"].as_array().unwrap().iter().find(|r| r["id"] == id.as_str()).unwrap().clone();
    assert_eq!(listed["command"], "env GITHUB_TOKEN=*** make");
    let (_, shown) = broker.get(&format!("/v1/requests/{}", &id[..6]), BOB);
    assert_eq!(shown["command"], "env GITHUB_TOKEN=*** make");
    let (_, full) = broker.get(&format!("/v1/requests/{id}?full=1"), BOB);
    assert_eq!(full["command"], "env GITHUB_TOKEN=ghp_abcdefghijklmnopqrstuvwxyz012345 make");
    let (_, integration) = broker.get(&format!("/v1/requests/{id}?full=1"), HOOK_TOKEN);
    assert_eq!(integration["command"], "env GITHUB_TOKEN=*** make");
    assert_eq!(broker.get("/v1/requests/0000", BOB).0, 404);
    assert_eq!(broker.get("/v1/requests", HOST_TOKEN).0, 403);
}

/// Every route the OpenAPI file documents is served (none falls through to "no such route").
#[test]
fn the_openapi_routes_are_served() {
    let broker = Broker::start(&config("http://127.0.0.1:9/hook", ""));
    let text = std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/docs/broker-api.openapi.json"))
        .unwrap();
    let document: Value = serde_json::from_str(&text).unwrap();
    for (path, item) in document["paths"].as_object().unwrap() {
        for method in item.as_object().unwrap().keys() {
            let url = format!("{}{}", broker.url, path.replace("{id}", "abc"));
            let request = match method.as_str() {
                "get" => client().get(url),
                "post" => client().post(url).json(&json!({})),
                other => panic!("{other}"),
            };
            let response = request.bearer_auth(BOB).send().unwrap();
            let status = response.status().as_u16();
            let body = response.text().unwrap();
            assert!(!body.contains("no such route"), "{method} {path}: {status} {body}");
        }
    }
}
