//! The web approval page end to end: the real broker, a real OpenID Connect provider, real
//! headless Chromium and the real `gate exec` waiting on the broker.

use std::io::{BufRead, BufReader};
use std::process::Stdio;
use std::time::{Duration, Instant};

use gate::approval::signed::SignedDecision;
use gate::audit::PublicKey;
use serde_json::json;

use crate::support::stdout;
use crate::web_support::{Web, browser, client};

const SECRETS: [&str; 3] =
    ["AKIAIOSFODNN7EXAMPLE", "wJalrXUtnFEMI", "ghp_16C7e42F292c6912E7710c838347Ae178B4a"];

fn secret_command() -> Vec<&'static str> {
    vec![
        "env",
        "AWS_ACCESS_KEY_ID=AKIAIOSFODNN7EXAMPLE",
        "AWS_SECRET_ACCESS_KEY=wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY",
        "curl",
        "-H",
        "Authorization: Bearer ghp_16C7e42F292c6912E7710c838347Ae178B4a",
        "https://api.example.com/<b>release</b>",
    ]
}

#[test]
fn web_unsigned_viewer_sees_secrets_masked_and_no_buttons() {
    let web = Web::start("");
    let id = web.create(&secret_command(), "carol");

    let seen = browser(json!({"mode": "anonymous", "url": web.page(&id)}));
    let command = seen["command"].as_str().unwrap();
    for secret in SECRETS {
        assert!(!command.contains(secret) && !seen["body"].as_str().unwrap().contains(secret), "{seen}");
    }
    assert!(
        command.contains("AWS_ACCESS_KEY_ID=***") && command.contains("Authorization: Bearer ***"),
        "{command}"
    );
    assert!(command.contains("https://api.example.com/<b>release</b>"), "markup shows as text: {command}");
    assert_eq!(seen["buttons"], json!([]), "{seen}");
    assert_eq!(seen["signInLink"], true, "{seen}");
    assert_eq!(seen["fullCommand"], json!(null), "{seen}");
    assert_eq!(seen["state"], "pending");

    // The HTML itself holds no secret, escapes markup, and is served with strict headers.
    let response = client().get(web.page(&id)).send().unwrap();
    let headers = response.headers().clone();
    let html = response.text().unwrap();
    for secret in SECRETS {
        assert!(!html.contains(secret), "{secret} in the page");
    }
    assert!(
        html.contains("&lt;b&gt;release&lt;/b&gt;") && html.contains("claude --task &lt;deploy&gt;"),
        "{html}"
    );
    assert!(html.contains("name=\"viewport\""), "readable on a phone");
    let header = |name: &str| headers.get(name).map(|v| v.to_str().unwrap().to_string()).unwrap_or_default();
    assert!(header("content-security-policy").starts_with("default-src 'none'; style-src 'unsafe-inline'"));
    assert_eq!(header("x-frame-options"), "DENY");
    assert_eq!(header("referrer-policy"), "same-origin");
    assert_eq!(header("cache-control"), "no-store");
}

#[test]
fn web_sign_in_and_approve_runs_the_waiting_command() {
    let web = Web::start("");
    let env = &web.env;
    std::fs::write(
        env.root().join("policy.toml"),
        "version = 1\n[settings]\ndefault = \"deny\"\n\n[[rules]]\nid = \"release\"\ndecision = \"ask\"\nmatch = [\"touch\"]\nreason = \"releases need a human\"\n",
    )
    .unwrap();
    let ran = env.work().join("ran");
    let token_file = env.work().join("GITHUB_TOKEN=ghp_abcdefghijklmnopqrstuvwxyz0123");
    let mut exec =
        env.gate_process(&["exec", "--", "touch", ran.to_str().unwrap(), token_file.to_str().unwrap()]);
    exec.env("GATE_POLICY", env.root().join("policy.toml"))
        .env("GATE_BROKER_URL", &web.url)
        .env("GATE_BROKER_TOKEN", crate::web_support::HOST_TOKEN)
        .env("GATE_BROKER_KEY", &web.broker_key)
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    let mut exec = exec.spawn().unwrap();
    // "gate: waiting for approval at URL/r/ID ..." names the request.
    let mut stderr = BufReader::new(exec.stderr.take().unwrap());
    let mut line = String::new();
    stderr.read_line(&mut line).unwrap();
    let id: String =
        line.split("/r/").nth(1).unwrap_or_else(|| panic!("no page link in {line:?}"))[..32].to_string();

    let seen = browser(json!({
        "mode": "decide", "url": web.page(&id), "login": "alice", "comment": "release 1.4", "decision": "approve",
    }));
    let before = &seen["before"];
    assert_eq!(before["signedIn"], "Signed in as Alice Example (alice@example.com)", "{seen}");
    assert!(before["command"].as_str().unwrap().ends_with("GITHUB_TOKEN=***"), "{seen}");
    assert!(
        before["fullCommand"].as_str().unwrap().ends_with("GITHUB_TOKEN=ghp_abcdefghijklmnopqrstuvwxyz0123")
    );
    assert_eq!(before["fullVisible"], false, "the exact command waits behind 'show'");
    assert_eq!(seen["shownAfterClick"], true);
    assert_eq!(before["buttons"], json!(["Approve", "Deny"]));
    let after = &seen["after"];
    assert_eq!(
        (after["status"].as_u64(), after["result"].as_str()),
        (Some(200), Some("approved (1 of 1)")),
        "{seen}"
    );
    assert_eq!(after["buttons"], json!([]));

    let started = Instant::now();
    let status = loop {
        if let Some(status) = exec.try_wait().unwrap() {
            break status;
        }
        assert!(started.elapsed() < Duration::from_secs(30), "gate exec still waits after the approval");
        std::thread::sleep(Duration::from_millis(50));
    };
    let mut rest = String::new();
    let _ = std::io::Read::read_to_string(&mut stderr, &mut rest);
    assert!(status.success(), "gate exec: {status}: {line}{rest}");
    assert!(ran.exists(), "the approved command ran");

    let log = env.gate(&["audit", "log", "--json"]).output().unwrap();
    let decision = stdout(&log)
        .lines()
        .map(|line| serde_json::from_str::<serde_json::Value>(line).unwrap())
        .find(|entry| entry["kind"] == "decision" && entry["request_id"] == id.as_str())
        .expect("the decision entry");
    assert_eq!(
        (&decision["verdict"], &decision["approver"], &decision["channel"]),
        (&json!("approved"), &json!("alice"), &json!("web"))
    );
    let signed = SignedDecision::from_text(decision["approval"].as_str().unwrap()).unwrap();
    let document = signed.open(&PublicKey::parse(&web.broker_key).unwrap()).unwrap();
    assert_eq!(document.comment.as_deref(), Some("release 1.4"));
    assert_eq!(
        (document.approvers[0].person.as_str(), document.approvers[0].channel.as_str()),
        ("alice", "web")
    );
    env.gate(&["audit", "verify", "--broker-key", &web.broker_key]).assert().success();
}

#[test]
fn web_forged_decisions_are_refused() {
    let web = Web::start("");
    let id = web.create(&["touch", "/srv/app/release"], "carol");
    let seen = browser(json!({"mode": "forgery", "url": web.page(&id), "login": "alice"}));
    for case in ["noToken", "wrongToken", "foreignOrigin", "crossSiteForm"] {
        assert_eq!(seen[case]["status"], 403, "{case}: {seen}");
    }
    assert!(seen["noToken"]["body"].as_str().unwrap().contains("token"), "{seen}");
    assert!(seen["foreignOrigin"]["body"].as_str().unwrap().contains("another site"), "{seen}");
    assert_eq!(seen["after"]["state"], "pending", "{seen}");
    assert_eq!(web.state(&id), "pending");
    // Signed out, and the old session cookie put back does not sign in again.
    assert_eq!(
        (&seen["afterLogout"]["signInLink"], &seen["afterLogout"]["buttons"]),
        (&json!(true), &json!([]))
    );
    assert_eq!(
        (&seen["oldCookie"]["signInLink"], &seen["oldCookie"]["signedIn"]),
        (&json!(true), &json!(null))
    );

    // Without a session, the form is no use either.
    let response = client()
        .post(format!("{}/decide", web.page(&id)))
        .header("content-type", "application/x-www-form-urlencoded")
        .body("decision=approve&csrf=x")
        .send()
        .unwrap();
    assert_eq!(response.status(), 401);
    assert_eq!(web.state(&id), "pending");
}

#[test]
fn web_sign_in_refuses_tampering_strangers_and_self_approval() {
    let web = Web::start("");
    let id = web.create(&["touch", "/srv/app/release"], "carol");

    let seen = browser(json!({"mode": "tamper-state", "url": web.page(&id), "login": "alice"}));
    assert_eq!(seen["tampered"]["status"], 400, "{seen}");
    assert!(seen["tampered"]["message"].as_str().unwrap().contains("(state)"), "{seen}");
    assert_eq!(seen["replay"]["status"], 400, "the pre-login cookie is good for one answer: {seen}");
    assert_eq!(
        (&seen["after"]["signInLink"], &seen["after"]["buttons"]),
        (&json!(true), &json!([])),
        "{seen}"
    );

    // Another browser's code brought to this browser's callback: the provider refuses it (PKCE).
    let swapped = browser(json!({"mode": "swap-code", "url": web.page(&id), "login": "alice"}));
    assert_eq!(swapped["swapped"]["status"], 400, "{swapped}");
    assert!(swapped["swapped"]["message"].as_str().unwrap().contains("invalid_grant"), "{swapped}");
    assert_eq!(swapped["after"]["signInLink"], true, "{swapped}");

    let stranger = browser(json!({"mode": "login", "url": web.page(&id), "login": "carol"}));
    assert_eq!(stranger["status"], 403, "{stranger}");
    assert!(
        stranger["message"]
            .as_str()
            .unwrap()
            .starts_with("Signed in as carol@example.com, who is not an approver here")
    );

    let unverified = browser(json!({"mode": "login", "url": web.page(&id), "login": "alice-unverified"}));
    assert_eq!(unverified["status"], 403, "{unverified}");
    assert!(unverified["message"].as_str().unwrap().contains("not verified"), "{unverified}");

    // bob's own account made this one: he sees why he may not decide, and no buttons.
    let own = web.create(&["touch", "/srv/app/mine"], "bob");
    let bob = browser(json!({"mode": "login", "url": web.page(&own), "login": "bob"}));
    assert_eq!(bob["buttons"], json!([]), "{bob}");
    assert!(bob["cannotDecide"].as_str().unwrap().contains("your own request"), "{bob}");
    assert_eq!(web.state(&own), "pending");
}

#[test]
fn web_sign_in_settings_are_linted() {
    let env = crate::support::TestEnv::new();
    let config = env.root().join("broker.toml");
    std::fs::write(
        &config,
        "[server]\nlisten = \"127.0.0.1:0\"\n\n[[people]]\nid = \"alice\"\noidc_sub = \"u-1\"\n\n\
         [sign_in]\nissuer = \"http://127.0.0.1:1\"\nclient_id = \"gate\"\nclient_secret = \"env:GATE_OIDC_SECRET\"\n\
         scopes = [\"email\", \"profile\"]\nclaim = \"phone\"\n",
    )
    .unwrap();
    let output = env
        .gate_process(&["serve", "--config", config.to_str().unwrap(), "--check"])
        .env("GATE_OIDC_SECRET", "s")
        .output()
        .unwrap();
    let text = crate::support::stdout(&output) + &crate::support::stderr(&output);
    assert_eq!(output.status.code(), Some(1), "{text}");
    assert!(text.contains("broker.toml:13:9: `claim` \"phone\" must be \"email\" or \"sub\""), "{text}");
    assert_eq!(text.matches("broker.toml:").count(), 1, "scopes and oidc_sub are known keys: {text}");
}
