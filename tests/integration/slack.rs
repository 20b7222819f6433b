//! Approving in Slack, end to end: the real broker posts to a Slack stand-in speaking Slack's
//! wire format, clicks come back signed exactly as Slack signs them (over HTTP or Socket Mode),
//! and the real `gate exec` runs only what was approved.

use std::time::{Duration, Instant};

use serde_json::{Value, json};

use crate::slack_broker::{SlackBroker, me};
use crate::slack_support::{CHANNEL, SIGNING_SECRET, SlackStandIn, click, deny_reason, form, unix_now};
use crate::support::stderr;

fn setup(extra_channel: &str) -> (SlackStandIn, SlackBroker) {
    let stand_in = SlackStandIn::start();
    let broker = SlackBroker::start(&SlackBroker::slack_channel(&stand_in, extra_channel), "");
    (stand_in, broker)
}

/// Waits for the process to end; its output.
fn finish(child: std::process::Child) -> std::process::Output {
    child.wait_with_output().unwrap()
}

#[test]
fn slack_a_signed_click_approves_and_the_waiting_command_runs() {
    let (slack, broker) = setup("");
    let marker = broker.env.root().join("ran");
    let exec = broker.exec(&["touch", marker.to_str().unwrap()]);
    let posted = slack.wait_for("chat.postMessage", 1).remove(0);
    assert_eq!(posted.authorization, "Bearer xoxb-test-bot-token");
    assert_eq!(posted.body["channel"], CHANNEL);
    let (channel, ts) = posted.posted();
    let text = posted.body.to_string();
    assert!(
        text.contains("*Rule*") && text.contains("*Host*\\nbuild-7") && text.contains("*Time left*"),
        "{text}"
    );
    assert!(posted.body["text"].as_str().unwrap().contains("touch"), "a plain-text fallback");

    broker.send(&click(&posted, &channel, &ts, "U0BOB", "Approve"));
    let output = finish(exec);
    assert_eq!(output.status.code(), Some(0), "{}", stderr(&output));
    assert!(marker.exists(), "the approved command ran");

    // Every copy is updated: who approved, the count, and no buttons any more.
    let update = slack.wait_for_update("Approved by <@U0BOB> (1 of 1)");
    assert_eq!(
        (update.body["channel"].as_str(), update.body["ts"].as_str()),
        (Some(channel.as_str()), Some(ts.as_str()))
    );
    assert!(
        update.body["blocks"].as_array().unwrap().iter().all(|b| b["type"] != "actions"),
        "{}",
        update.body
    );

    // The audit log proves who approved, through which channel, signed by the broker.
    let entry = broker.decisions().pop().unwrap();
    assert_eq!(
        (&entry["verdict"], &entry["approver"], &entry["channel"]),
        (&json!("approved"), &json!("bob"), &json!("slack:slack-ops"))
    );
    broker.env.gate(&["audit", "verify", "--broker-key", &broker.key]).assert().success();
}

#[test]
fn slack_forged_or_stale_callbacks_are_refused_and_change_nothing() {
    let (slack, broker) = setup("");
    let id = broker.create(&["touch", "/srv/app/release"], "carol", "release", 120);
    let posted = slack.wait_for("chat.postMessage", 1).remove(0);
    let (channel, ts) = posted.posted();
    let body = form(&click(&posted, &channel, &ts, "U0BOB", "Approve"));

    let (status, answer) = broker.post_signed(&body, "not-the-signing-secret", unix_now());
    assert_eq!(status, 401, "{answer}");
    assert!(answer.contains("does not verify"), "{answer}");
    let (status, answer) = broker.post_signed(&body, SIGNING_SECRET, unix_now() - 6 * 60);
    assert_eq!(status, 401, "{answer}");
    assert!(answer.contains("5 minutes"), "{answer}");
    // Signed right, but the body changed on the way.
    let timestamp = unix_now();
    let response = crate::web_support::client()
        .post(format!("{}/v1/slack/interactivity", broker.url))
        .header("Content-Type", "application/x-www-form-urlencoded")
        .header("X-Slack-Request-Timestamp", timestamp.to_string())
        .header("X-Slack-Signature", crate::slack_support::slack_signature(SIGNING_SECRET, timestamp, &body))
        .body(body.replace("U0BOB", "U0CAROL"))
        .send()
        .unwrap();
    assert_eq!(response.status(), 401);
    std::thread::sleep(Duration::from_millis(300));
    assert_eq!(broker.status(&id)["state"], "pending");
    assert!(slack.calls("chat.update").is_empty() && slack.calls("chat.postEphemeral").is_empty());

    let (status, _) = broker.post_signed(&body, SIGNING_SECRET, unix_now());
    assert_eq!(status, 200);
    broker.wait_state(&id, "approved");
}

#[test]
fn slack_a_replayed_callback_has_no_second_effect() {
    let (slack, broker) = setup("");
    let id = broker.create(&["deploy"], "carol", "quorum-deploy", 120);
    let posted = slack.wait_for("chat.postMessage", 1).remove(0);
    let (channel, ts) = posted.posted();
    let body = form(&click(&posted, &channel, &ts, "U0BOB", "Approve"));
    let timestamp = unix_now();
    assert_eq!(broker.post_signed(&body, SIGNING_SECRET, timestamp).0, 200);
    slack.wait_for_update("(1 of 2)");
    // The same bytes, the same signature, again: answered, and nothing happens.
    assert_eq!(broker.post_signed(&body, SIGNING_SECRET, timestamp).0, 200);
    std::thread::sleep(Duration::from_millis(500));
    let status = broker.status(&id);
    assert_eq!(
        (status["state"].as_str(), status["approvals"].as_array().unwrap().len()),
        (Some("pending"), 1)
    );
    assert_eq!(slack.calls("chat.update").len(), 1, "one update, for the one approval");
    assert!(slack.calls("chat.postEphemeral").is_empty(), "not even a refusal");
}

#[test]
fn slack_approve_then_deny_the_first_decision_stands() {
    let (slack, broker) = setup("");
    let id = broker.create(&["deploy"], "carol", "release", 120);
    let posted = slack.wait_for("chat.postMessage", 1).remove(0);
    let (channel, ts) = posted.posted();
    broker.send(&click(&posted, &channel, &ts, "U0BOB", "Approve"));
    broker.wait_state(&id, "approved");
    broker.send(&click(&posted, &channel, &ts, "U0CAROL", "Deny"));
    let refusal = slack.wait_for("chat.postEphemeral", 1).remove(0);
    assert_eq!(
        (refusal.body["user"].as_str(), refusal.body["channel"].as_str()),
        (Some("U0CAROL"), Some(CHANNEL))
    );
    let text = refusal.body["text"].as_str().unwrap();
    assert!(text.starts_with("You cannot decide this: already decided by bob: approved"), "{text}");
    assert!(slack.calls("views.open").is_empty(), "no modal for a deny that cannot count");
    assert_eq!(broker.status(&id)["state"], "approved");
}

#[test]
fn slack_the_requester_and_clickers_outside_the_route_are_refused() {
    let (slack, broker) = setup("");
    // alice's own Unix account on build-7 asks: alice may not decide it.
    let own = broker.create(&["touch", "/srv/app/x"], &me(), "release", 120);
    let posted = slack.wait_for("chat.postMessage", 1).remove(0);
    let (channel, ts) = posted.posted();
    broker.send(&click(&posted, &channel, &ts, "U0ALICE", "Approve"));
    let refusal = slack.wait_for("chat.postEphemeral", 1).remove(0);
    assert_eq!(refusal.body["user"], "U0ALICE");
    assert!(
        refusal.body["text"]
            .as_str()
            .unwrap()
            .contains("may not decide a request made from their own account"),
        "{}",
        refusal.body
    );

    // Only the group sre (carol) decides sre-* requests: bob is refused, then a stranger.
    let sre = broker.create(&["systemctl", "restart", "db"], "carol", "sre-restart", 120);
    let posted = slack.wait_for("chat.postMessage", 2).remove(1);
    let (channel, ts) = posted.posted();
    broker.send(&click(&posted, &channel, &ts, "U0BOB", "Approve"));
    let refusal = slack.wait_for("chat.postEphemeral", 2).remove(1);
    assert!(
        refusal.body["text"].as_str().unwrap().contains("bob is not an approver of this request's route"),
        "{}",
        refusal.body
    );
    broker.send(&click(&posted, &channel, &ts, "U0NOBODY", "Deny"));
    let refusal = slack.wait_for("chat.postEphemeral", 3).remove(2);
    assert_eq!(refusal.body["user"], "U0NOBODY");
    assert!(
        refusal.body["text"].as_str().unwrap().contains("is not one of this broker's approvers"),
        "{}",
        refusal.body
    );
    // carol in another workspace is not carol.
    let mut elsewhere = click(&posted, &channel, &ts, "U0CAROL", "Approve");
    elsewhere["user"]["team_id"] = json!("T0OTHER");
    elsewhere["team"]["id"] = json!("T0OTHER");
    broker.send(&elsewhere);
    slack.wait_for("chat.postEphemeral", 4);

    for id in [&own, &sre] {
        assert_eq!(broker.status(id)["state"], "pending");
    }
    assert!(slack.calls("chat.update").is_empty(), "nothing changed");
}

#[test]
fn slack_quorum_two_shows_progress_and_needs_two_people() {
    let (slack, broker) = setup("dm_approvers = true");
    let id = broker.create(&["deploy", "prod"], "alice", "quorum-deploy", 120);
    // The channel, and a direct message to each eligible approver with a Slack id.
    let posts = slack.wait_for("chat.postMessage", 3);
    let targets: Vec<&str> = posts.iter().map(|p| p.body["channel"].as_str().unwrap()).collect();
    assert_eq!(targets, [CHANNEL, "U0BOB", "U0CAROL"]);
    let (channel, ts) = posts[0].posted();
    broker.send(&click(&posts[0], &channel, &ts, "U0BOB", "Approve"));
    // Every copy says so, and keeps its buttons.
    for copy in &posts {
        let (channel, _) = copy.posted();
        let deadline = Instant::now() + Duration::from_secs(20);
        let update = loop {
            let found =
                slack.calls("chat.update").into_iter().find(|u| u.body["channel"] == channel.as_str());
            if let Some(update) = found {
                break update;
            }
            assert!(Instant::now() < deadline, "no update of the copy in {channel}");
            std::thread::sleep(Duration::from_millis(20));
        };
        let text = update.body.to_string();
        assert!(text.contains("Approved by <@U0BOB> (1 of 2)"), "{text}");
        assert!(update.body["blocks"].as_array().unwrap().iter().any(|b| b["type"] == "actions"), "{text}");
    }
    assert_eq!(broker.status(&id)["state"], "pending");
    // The second approval, from carol's DM copy.
    let (dm, dm_ts) = posts[2].posted();
    broker.send(&click(&posts[2], &dm, &dm_ts, "U0CAROL", "Approve"));
    broker.wait_state(&id, "approved");
    let update = slack.wait_for_update("Approved by <@U0BOB>, <@U0CAROL> (2 of 2)");
    assert!(update.body["blocks"].as_array().unwrap().iter().all(|b| b["type"] != "actions"));
    let finals =
        slack.calls("chat.update").into_iter().filter(|u| u.body.to_string().contains("(2 of 2)")).count();
    assert_eq!(finals, 3, "all three copies");
}

#[test]
fn slack_deny_asks_for_a_reason_in_a_modal() {
    let (slack, broker) = setup("");
    let marker = broker.env.root().join("ran");
    let exec = broker.exec(&["touch", marker.to_str().unwrap()]);
    let posted = slack.wait_for("chat.postMessage", 1).remove(0);
    let (channel, ts) = posted.posted();
    let deny = click(&posted, &channel, &ts, "U0BOB", "Deny");
    broker.send(&deny);
    let opened = slack.wait_for("views.open", 1).remove(0);
    assert_eq!(opened.body["trigger_id"], deny["trigger_id"]);
    assert_eq!(opened.body["view"]["type"], "modal");
    broker.send(&deny_reason(&opened, "U0BOB", "not on a Friday <!here>"));
    let output = finish(exec);
    assert_eq!(output.status.code(), Some(77), "{}", stderr(&output));
    assert!(!marker.exists());
    slack.wait_for_update("Denied by <@U0BOB>: not on a Friday &lt;!here&gt;");
    let entry = broker.decisions().pop().unwrap();
    assert_eq!(
        (&entry["verdict"], &entry["approver"], &entry["channel"]),
        (&json!("rejected"), &json!("bob"), &json!("slack:slack-ops"))
    );
    let approval: Value = serde_json::from_str(entry["approval"].as_str().unwrap()).unwrap();
    let document: Value = serde_json::from_str(approval["document"].as_str().unwrap()).unwrap();
    assert_eq!(document["comment"], "not on a Friday <!here>");

    // Where no modal can be opened, the click denies without a reason.
    slack.fail("views.open");
    let id = broker.create(&["deploy"], "carol", "release", 120);
    let posted = slack.wait_for("chat.postMessage", 2).remove(1);
    let (channel, ts) = posted.posted();
    broker.send(&click(&posted, &channel, &ts, "U0CAROL", "Deny"));
    let status = broker.wait_state(&id, "denied");
    assert_eq!(
        (status["approvals"][0]["person"].as_str(), &status["approvals"][0]["comment"]),
        (Some("carol"), &Value::Null)
    );
}

#[test]
fn slack_commands_arrive_escaped_and_masked() {
    let (slack, broker) = setup("");
    let argv = [
        "sh",
        "-c",
        "echo <!channel> <@U0BOB> <https://evil.example|docs> \x1b[31mred\x1b[0m; AWS_ACCESS_KEY_ID=AKIAIOSFODNN7EXAMPLE aws s3 ls",
    ];
    broker.create(&argv, "carol", "release", 120);
    let posted = slack.wait_for("chat.postMessage", 1).remove(0);
    let sent = posted.body.to_string();
    for raw in ["<!channel>", "<@U0BOB>", "<https://evil.example|docs>", "\\u001b", "AKIAIOSFODNN7EXAMPLE"] {
        assert!(!sent.contains(raw), "{raw} reached Slack: {sent}");
    }
    let command = posted.body["blocks"][1]["text"]["text"].as_str().unwrap();
    assert!(
        command.starts_with("```")
            && command.contains("&lt;!channel&gt; &lt;@U0BOB&gt; &lt;https://evil.example|docs&gt;"),
        "{command}"
    );
    assert!(command.contains("\\x1b[31mred\\x1b[0m"), "{command}");
    assert!(command.contains("AWS_ACCESS_KEY_ID=***"), "{command}");
    assert!(posted.body["text"].as_str().unwrap().contains("&lt;!channel&gt;"), "the fallback text too");

    // A long command is cut, with what is left counted.
    let long = format!("echo {}", "x".repeat(5000));
    broker.create(&["sh", "-c", &long], "carol", "release", 120);
    let posted = slack.wait_for("chat.postMessage", 2).remove(1);
    let command = posted.body["blocks"][1]["text"]["text"].as_str().unwrap();
    assert!(command.contains("more bytes, open the page)"), "{command}");
    assert!(command.len() < 3000, "a section holds 3,000 characters");
}

#[test]
fn slack_rate_limits_are_waited_out() {
    let stand_in = SlackStandIn::start();
    stand_in.rate_limit("chat.postMessage", 1);
    let broker = SlackBroker::start(&SlackBroker::slack_channel(&stand_in, ""), "");
    let started = Instant::now();
    broker.create(&["deploy"], "carol", "release", 120);
    let limited = stand_in.wait_for("chat.postMessage:429", 1);
    assert_eq!(limited.len(), 1);
    stand_in.wait_for("chat.postMessage", 1);
    assert!(started.elapsed() >= Duration::from_millis(900), "Retry-After: 1 was honoured");
}

#[test]
fn slack_down_the_request_still_times_out_to_no_and_the_webhook_gets_it() {
    let receiver = crate::broker_support::Receiver::start();
    let dead = format!("http://127.0.0.1:{}/api", crate::web_support::free_port());
    let channel = format!(
        "[[channels]]\nname = \"slack-ops\"\ntype = \"slack\"\nbot_token = \"env:SLACK_BOT_TOKEN\"\n\
         signing_secret = \"env:SLACK_SIGNING_SECRET\"\nchannel = \"{CHANNEL}\"\napi_url = \"{dead}\"\n\n\
         [[channels]]\nname = \"hook\"\ntype = \"webhook\"\nurl = \"{}\"\nsecret = \"env:GATE_WEBHOOK_SECRET\"\n",
        receiver.url
    );
    let broker = SlackBroker::start(&channel, "");
    std::fs::write(
        broker.env.root().join("policy.toml"),
        "version = 1\n[settings]\ndefault = \"ask\"\napproval_timeout = 3\n",
    )
    .unwrap();
    let marker = broker.env.root().join("ran");
    let started = Instant::now();
    let exec = broker.exec(&["touch", marker.to_str().unwrap()]);
    let event =
        receiver.events.recv_timeout(Duration::from_secs(20)).expect("the webhook still gets the request");
    assert_eq!(event.1["type"], "gate.approval.requested");
    let output = finish(exec);
    assert_eq!(output.status.code(), Some(77), "{}", stderr(&output));
    assert!(started.elapsed() < Duration::from_secs(15));
    assert!(!marker.exists());
    assert_eq!(broker.decisions().pop().unwrap()["verdict"], "timed-out");
    assert!(broker.output().contains("chat.postMessage"), "the outage is logged: {}", broker.output());
}

#[test]
fn slack_socket_mode_clicks_arrive_over_the_websocket() {
    let stand_in = SlackStandIn::start();
    let channel = SlackBroker::slack_channel(&stand_in, "app_token = \"env:SLACK_APP_TOKEN\"");
    let broker = SlackBroker::start(&channel, "");
    stand_in.wait_for_connection(1);
    let open = stand_in.wait_for("apps.connections.open", 1).remove(0);
    assert_eq!(open.authorization, "Bearer xapp-1-test-app-token", "the app-level token opens the socket");

    // Slack refreshes the connection: the broker connects again.
    stand_in.send_frame(json!({"type": "disconnect", "reason": "refresh_requested"}));
    stand_in.wait_for_connection(2);
    stand_in.wait_for("apps.connections.open", 2);

    let marker = broker.env.root().join("ran");
    let exec = broker.exec(&["touch", marker.to_str().unwrap()]);
    let posted = stand_in.wait_for("chat.postMessage", 1).remove(0);
    let (channel, ts) = posted.posted();
    stand_in.send_frame(json!({
        "envelope_id": "e-approve-1",
        "type": "interactive",
        "accepts_response_payload": false,
        "retry_attempt": 0,
        "retry_reason": "",
        "payload": click(&posted, &channel, &ts, "U0BOB", "Approve"),
    }));
    assert_eq!(stand_in.wait_for_ack("e-approve-1"), json!({"envelope_id": "e-approve-1"}));
    let output = finish(exec);
    assert_eq!(output.status.code(), Some(0), "{}", stderr(&output));
    assert!(marker.exists());
    stand_in.wait_for_update("Approved by <@U0BOB> (1 of 1)");
    assert_eq!(broker.decisions().pop().unwrap()["channel"], "slack:slack-ops");
}

#[test]
fn slack_a_clicker_can_be_matched_by_verified_email() {
    let (slack, broker) = setup("match_email = true");
    slack.email("U0DAVE", "Dave@Example.com", true);
    slack.email("U0FAKE", "dave@example.com", false);
    let id = broker.create(&["deploy"], "carol", "release", 120);
    let posted = slack.wait_for("chat.postMessage", 1).remove(0);
    let (channel, ts) = posted.posted();
    // An address Slack has not confirmed proves nothing.
    broker.send(&click(&posted, &channel, &ts, "U0FAKE", "Approve"));
    slack.wait_for("chat.postEphemeral", 1);
    assert_eq!(broker.status(&id)["state"], "pending");
    broker.send(&click(&posted, &channel, &ts, "U0DAVE", "Approve"));
    let status = broker.wait_state(&id, "approved");
    assert_eq!(status["approvals"][0]["person"], "dave");
}

#[test]
fn slack_messages_say_when_a_request_expires_or_is_answered_on_the_terminal() {
    let (slack, broker) = setup("");
    broker.create(&["deploy"], "carol", "release", 2);
    let withdrawn = broker.create(&["deploy", "again"], "carol", "release", 120);
    slack.wait_for("chat.postMessage", 2);
    let response = crate::web_support::client()
        .post(format!("{}/v1/requests/{withdrawn}/withdraw", broker.url))
        .bearer_auth(crate::slack_support::HOST_TOKEN)
        .json(&json!({"reason": "answered on the terminal"}))
        .send()
        .unwrap();
    assert_eq!(response.status(), 200);
    let update = slack.wait_for_update("Answered on the terminal");
    assert!(update.body["blocks"].as_array().unwrap().iter().all(|b| b["type"] != "actions"));
    let update = slack.wait_for_update("Expired: nobody decided in time");
    assert!(update.body["blocks"].as_array().unwrap().iter().all(|b| b["type"] != "actions"));
}

#[test]
fn slack_is_answered_at_once_and_decides_after() {
    let (slack, broker) = setup("");
    let id = broker.create(&["deploy"], "carol", "release", 120);
    let posted = slack.wait_for("chat.postMessage", 1).remove(0);
    let (channel, ts) = posted.posted();
    // Slack's API is slow today: the click is still answered well within Slack's 3 seconds.
    let body = form(&click(&posted, &channel, &ts, "U0BOB", "Deny"));
    slack.delay("views.open", Duration::from_secs(4));
    let started = Instant::now();
    assert_eq!(broker.post_signed(&body, SIGNING_SECRET, unix_now()).0, 200);
    assert!(started.elapsed() < Duration::from_secs(1), "answered in {:?}", started.elapsed());
    // views.open timed out on the broker's side (a trigger lasts 3 s): the click denies.
    broker.wait_state(&id, "denied");
}

#[test]
fn slack_every_copy_is_updated_after_a_broker_restart() {
    let (slack, mut broker) = setup("dm_approvers = true");
    let id = broker.create(&["deploy"], "carol", "release", 120);
    let posts = slack.wait_for("chat.postMessage", 4);
    // The broker keeps each copy as its answer arrives: give the last one a moment.
    std::thread::sleep(Duration::from_millis(500));
    broker.restart();
    // The click comes from the channel's copy; the DMs' copies are known from the store alone.
    let (channel, ts) = posts[0].posted();
    broker.send(&click(&posts[0], &channel, &ts, "U0BOB", "Approve"));
    broker.wait_state(&id, "approved");
    let deadline = Instant::now() + Duration::from_secs(20);
    loop {
        let updated: Vec<String> = slack
            .calls("chat.update")
            .iter()
            .filter(|u| u.body.to_string().contains("Approved by <@U0BOB> (1 of 1)"))
            .map(|u| u.body["channel"].as_str().unwrap().to_string())
            .collect();
        let expected: Vec<String> = posts.iter().map(|p| p.posted().0).collect();
        if expected.iter().all(|c| updated.contains(c)) {
            break;
        }
        assert!(Instant::now() < deadline, "updated {updated:?}, posted {expected:?}");
        std::thread::sleep(Duration::from_millis(50));
    }
}
