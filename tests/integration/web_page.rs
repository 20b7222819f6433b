//! The approval page's decisions over plain HTTP, with sessions minted from the broker's own
//! session secret (what a real sign-in leaves in the browser; the sign-in itself is tested in
//! Chromium in `web.rs`): quorum, deny, late answers, expiry, and cookies that must not work.

use gate::approval::signed::SignedDecision;
use gate::audit::PublicKey;
use gate::broker::web::session::{Secret, Session};

use crate::web_support::{HOST_TOKEN, Web, client};

/// A browser with a session for `person`.
struct Browser<'a> {
    web: &'a Web,
    cookie: String,
    secret: Secret,
    session: Session,
}

impl Browser<'_> {
    fn new<'a>(web: &'a Web, person: &str, secret: &Secret) -> Browser<'a> {
        let session = Session {
            id: format!("test-{person}"),
            person: person.into(),
            login: format!("{person}@example.com"),
            expires: unix() + 3600,
        };
        Browser::with(web, secret, session)
    }

    fn with<'a>(web: &'a Web, secret: &Secret, session: Session) -> Browser<'a> {
        let cookie = format!("gate_session={}", secret.seal("session", &session));
        Browser { web, cookie, secret: secret.clone(), session }
    }

    fn get(&self, id: &str) -> (u16, String) {
        let response = client().get(self.web.page(id)).header("cookie", &self.cookie).send().unwrap();
        (response.status().as_u16(), response.text().unwrap())
    }

    /// Posts the page's form as the browser would; the status and the result line.
    fn decide(&self, id: &str, decision: &str, comment: &str) -> (u16, String) {
        // The token of the form as it was first shown (a tab left open keeps it).
        let csrf = gate::broker::web::csrf::token(&self.secret, &self.session, id);
        let body = format!("csrf={csrf}&decision={decision}&comment={}", comment.replace(' ', "+"));
        let response = client()
            .post(format!("{}/decide", self.web.page(id)))
            .header("cookie", &self.cookie)
            .header("origin", &self.web.url)
            .header("content-type", "application/x-www-form-urlencoded")
            .body(body)
            .send()
            .unwrap();
        let status = response.status().as_u16();
        let text = response.text().unwrap();
        (
            status,
            between(&text, "id=\"result\" class=\"", "</p>")
                .map(|r| r[r.find('>').unwrap() + 1..].to_string())
                .unwrap_or(text),
        )
    }
}

fn between(text: &str, start: &str, end: &str) -> Option<String> {
    let from = text.find(start)? + start.len();
    Some(text[from..from + text[from..].find(end)?].to_string())
}

fn unix() -> i64 {
    std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap().as_secs() as i64
}

fn signed(web: &Web, id: &str) -> (String, Option<SignedDecision>) {
    let status: serde_json::Value = client()
        .get(format!("{}/v1/requests/{id}/decision", web.url))
        .bearer_auth(HOST_TOKEN)
        .send()
        .unwrap()
        .json()
        .unwrap();
    (status["state"].as_str().unwrap().into(), serde_json::from_value(status["signed"].clone()).unwrap())
}

#[test]
fn web_page_quorum_deny_late_answers_and_expiry() {
    let web =
        Web::start("\n[[routes]]\nrules = [\"deploy-*\"]\napprovers = [\"alice\", \"bob\"]\nquorum = 2\n");
    let secret = Secret::load_or_create(&web.session_secret()).unwrap();
    let (alice, bob) = (Browser::new(&web, "alice", &secret), Browser::new(&web, "bob", &secret));

    // Quorum 2: alice's approval counts once; bob's makes it final.
    let id = web.create_with(&["deploy", "prod"], "carol", "deploy-prod", 120);
    assert_eq!(alice.decide(&id, "approve", "lgtm"), (200, "approved (1 of 2): waiting for 1 more".into()));
    let (_, page) = alice.get(&id);
    assert!(
        page.contains("You approved this request; it waits for 1 more approval(s).")
            && !page.contains("id=\"decide\"")
    );
    assert_eq!(alice.decide(&id, "approve", "again").0, 409);
    assert_eq!(bob.decide(&id, "approve", "ship it"), (200, "approved (2 of 2)".into()));
    let (state, decision) = signed(&web, &id);
    assert_eq!(state, "approved");
    let document = decision.unwrap().open(&PublicKey::parse(&web.broker_key).unwrap()).unwrap();
    let who: Vec<_> = document.approvers.iter().map(|s| (s.person.as_str(), s.channel.as_str())).collect();
    assert_eq!(who, [("alice", "web"), ("bob", "web")]);

    // One deny is final; a later approval is told who decided.
    let id = web.create(&["touch", "/srv/app/release"], "carol");
    assert_eq!(bob.decide(&id, "deny", "not today"), (200, "denied".into()));
    assert_eq!(alice.decide(&id, "approve", ""), (409, "already decided by bob: denied".into()));
    assert_eq!(signed(&web, &id).0, "denied");

    // Expired: no form, and a post is refused. The deadline is in whole seconds: two of them
    // leave the broker at least one to take the request, which one alone did not when the
    // clock was late in its second and the machine busy ("the deadline has passed").
    let id = web.create_with(&["touch", "/srv/app/late"], "carol", "release", 2);
    std::thread::sleep(std::time::Duration::from_millis(3100));
    let (_, page) = alice.get(&id);
    assert!(!page.contains("id=\"decide\"") && page.contains("expired"), "{page}");
    assert_eq!(alice.decide(&id, "approve", "").0, 410);
}

#[test]
fn web_page_cookies_that_must_not_sign_in() {
    let web = Web::start("");
    let id = web.create(&["touch", "/srv/app/release"], "carol");
    let secret = Secret::load_or_create(&web.session_secret()).unwrap();
    let signed_in = |browser: &Browser| browser.get(&id).1.contains("id=\"signed-in\"");
    assert!(signed_in(&Browser::new(&web, "alice", &secret)));
    let cases = [
        ("another secret", Browser::new(&web, "alice", &Secret::from_bytes([9; 32]))),
        ("a person the configuration does not know", Browser::new(&web, "mallory", &secret)),
    ];
    for (name, browser) in cases {
        assert!(!signed_in(&browser), "{name}");
        assert_eq!(browser.decide(&id, "approve", "").0, 401, "{name}");
    }
    let expired =
        Session { id: "old".into(), person: "alice".into(), login: "a".into(), expires: unix() - 1 };
    let browser = Browser::with(&web, &secret, expired);
    assert!(!signed_in(&browser), "an expired session");
    // A sealed pre-login cookie is not a session.
    let mut login = Browser::new(&web, "alice", &secret);
    login.cookie = format!("gate_session={}", secret.seal("login", &login.session));
    assert!(!signed_in(&login), "a cookie sealed for another purpose");
    assert_eq!(signed(&web, &id).0, "pending");
}
