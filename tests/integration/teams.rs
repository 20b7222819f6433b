//! Approving from Microsoft Teams, end to end: the real broker posts an Adaptive Card to a
//! Workflows stand-in; Microsoft's `adaptivecards` package validates it; its Action.OpenUrl
//! leads real Chromium to the approval page, where alice signs in at a real OpenID Connect
//! provider and approves, and the real `gate exec` waiting on the broker runs the command.

use std::io::{BufRead, BufReader};
use std::process::Stdio;
use std::time::{Duration, Instant};

use serde_json::json;

use crate::slack_broker::SlackBroker;
use crate::support::stdout;
use crate::teams_support::{TeamsStandIn, check_card};
use crate::web_support::{Web, browser};

fn teams_channel(dir: &std::path::Path, stand_in: &TeamsStandIn) -> String {
    let file = dir.join("teams-workflow-url");
    std::fs::write(&file, format!("{}\n", stand_in.url)).unwrap();
    format!("[[channels]]\nname = \"teams-ops\"\ntype = \"teams\"\nurl = \"file:{}\"\n", file.display())
}

#[test]
fn teams_card_opens_the_page_where_a_signed_in_approver_approves() {
    let stand_in = TeamsStandIn::start(&[]);
    let dir = tempfile::tempdir().unwrap();
    let web = Web::start(&format!("\n{}", teams_channel(dir.path(), &stand_in)));
    let env = &web.env;
    std::fs::write(
        env.root().join("policy.toml"),
        "version = 1\n[settings]\ndefault = \"deny\"\n\n[[rules]]\nid = \"release\"\ndecision = \"ask\"\nmatch = [\"touch\"]\nreason = \"releases need a human [docs](https://evil.example)\"\n",
    )
    .unwrap();
    let ran = env.work().join("ran");
    let mut exec = env.gate_process(&["exec", "--", "touch", ran.to_str().unwrap(), "AKIAIOSFODNN7EXAMPLE"]);
    exec.env("GATE_POLICY", env.root().join("policy.toml"))
        .env("GATE_BROKER_URL", &web.url)
        .env("GATE_BROKER_TOKEN", crate::web_support::HOST_TOKEN)
        .env("GATE_BROKER_KEY", &web.broker_key)
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    let mut exec = exec.spawn().unwrap();
    let mut stderr_lines = BufReader::new(exec.stderr.take().unwrap());
    let mut line = String::new();
    stderr_lines.read_line(&mut line).unwrap();

    let card = stand_in.wait_for(1).remove(0);
    assert_eq!(card["__secret_in_path"], true, "posted to the whole workflow URL");
    let checked = check_card(&card);
    assert_eq!(checked["problems"], json!([]), "{checked}");
    assert_eq!(checked["version"], "1.4");
    let open = checked["openUrls"][0].as_str().unwrap().to_string();
    assert!(open.starts_with(&format!("{}/r/", web.url)), "{checked}");
    let texts = checked["texts"].to_string();
    assert!(texts.contains("AKIA***") && !texts.contains("AKIAIOSFODNN7EXAMPLE"), "masked: {texts}");
    assert!(texts.contains("Reason: releases need a human [docs](https://evil.example)"), "{texts}");
    // Untrusted text is in TextRuns, which Teams never reads as Markdown.
    let content = &card["attachments"][0]["content"];
    let reason =
        content["body"].as_array().unwrap().iter().find(|b| b.to_string().contains("evil.example")).unwrap();
    assert_eq!(reason["type"], "RichTextBlock", "{reason}");

    let seen = browser(
        json!({"mode": "decide", "url": open, "login": "alice", "comment": "from Teams", "decision": "approve"}),
    );
    assert_eq!(seen["after"]["result"], "approved (1 of 1)", "{seen}");
    let started = Instant::now();
    let status = loop {
        if let Some(status) = exec.try_wait().unwrap() {
            break status;
        }
        assert!(started.elapsed() < Duration::from_secs(30), "gate exec still waits after the approval");
        std::thread::sleep(Duration::from_millis(50));
    };
    assert!(status.success(), "gate exec: {status}: {line}");
    assert!(ran.exists(), "the approved command ran");

    // A follow-up card says who decided.
    let follow_up = stand_in.wait_for(2).remove(1);
    let checked = check_card(&follow_up);
    assert_eq!(checked["problems"], json!([]), "{checked}");
    assert_eq!(checked["texts"][0], "gate: Approved by Alice Example (1 of 1)", "{checked}");

    let log = env.gate(&["audit", "log", "--json"]).output().unwrap();
    let decision = stdout(&log)
        .lines()
        .map(|line| serde_json::from_str::<serde_json::Value>(line).unwrap())
        .find(|entry| entry["kind"] == "decision")
        .expect("the decision entry");
    assert_eq!((&decision["approver"], &decision["channel"]), (&json!("alice"), &json!("web")));
}

#[test]
fn teams_throttling_and_errors_are_retried_the_url_never_logged_and_big_cards_fit() {
    let stand_in = TeamsStandIn::start(&[429, 502]);
    let dir = tempfile::tempdir().unwrap();
    let broker = SlackBroker::start(&teams_channel(dir.path(), &stand_in), "");
    let started = Instant::now();
    let big = format!("echo {}", "x".repeat(100 * 1024));
    broker.create(&["sh", "-c", &big], "carol", "release", 6);
    let posts = stand_in.wait_for(3);
    assert_eq!(
        posts.iter().map(|p| p["__status"].as_u64().unwrap()).collect::<Vec<_>>(),
        [429, 502, 202],
        "retried after 429 and 502"
    );
    assert!(started.elapsed() >= Duration::from_millis(900), "Retry-After: 1 was honoured");
    let card = &posts[2];
    assert!(card["__bytes"].as_u64().unwrap() <= 28 * 1024, "{} bytes", card["__bytes"]);
    let checked = check_card(card);
    assert_eq!(checked["problems"], json!([]), "{checked}");
    assert_eq!(checked["texts"][0], "gate: a command waits for approval", "{checked}");
    assert!(checked["texts"][1].as_str().unwrap().ends_with("more bytes, open the page)"), "{checked}");

    // It expires unanswered: a follow-up card says so.
    let deadline = Instant::now() + Duration::from_secs(20);
    while stand_in.posts().len() < 4 {
        assert!(Instant::now() < deadline, "no follow-up card: {}", broker.output());
        std::thread::sleep(Duration::from_millis(50));
    }
    let posts = stand_in.posts();
    let checked = check_card(&posts[3]);
    assert_eq!(checked["texts"][0], "gate: Expired: nobody decided in time", "{checked}");

    let log = broker.output();
    assert!(log.contains("teams teams-ops (http://127.0.0.1:"), "{log}");
    assert!(!log.contains(&stand_in.secret) && !log.contains("/workflows/"), "the URL is a secret: {log}");
}
