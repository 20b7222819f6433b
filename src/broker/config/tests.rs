use super::*;

/// A config in a temp dir whose secrets are files there.
fn parse(body: &str) -> Result<Config, ConfigError> {
    let dir = tempfile::tempdir().unwrap();
    for name in ["host", "alice", "hook", "hooktoken", "oidc"] {
        std::fs::write(dir.path().join(name), format!("token-{name}\n")).unwrap();
    }
    Config::parse(&dir.path().join("broker.toml"), body)
}

const GOOD: &str = r#"
[server]
listen = "127.0.0.1:7380"
public_url = "https://gate.example.com/"
database = "state/broker.db"

[[hosts]]
name = "build-7"
token = "file:host"

[[people]]
id = "alice"
name = "Alice"
email = "alice@example.com"
unix = ["alice@build-7"]
token = "file:alice"

[[people]]
id = "bob"
slack = "U0BOB"

[[groups]]
name = "sre"
members = ["bob"]

[[channels]]
name = "ops"
type = "webhook"
url = "http://127.0.0.1:9000/hook"
secret = "file:hook"
token = "file:hooktoken"

[[routes]]
rules = ["git-*", "deploy"]
approvers = ["alice"]
groups = ["sre"]
quorum = 2
channels = ["ops"]
timeout = "5m"
self_approval = true

[sign_in]
issuer = "https://login.example.com"
client_id = "gate"
client_secret = "file:oidc"
"#;

#[test]
fn reads_a_full_configuration() {
    let config = parse(GOOD).unwrap();
    assert_eq!(config.public_url, "https://gate.example.com");
    assert!(config.database.ends_with("state/broker.db"));
    assert!(config.key.ends_with("broker.key"));
    assert_eq!(config.hosts[0].token.expose(), "token-host");
    assert_eq!(config.people[0].unix, vec![("alice".to_string(), "build-7".to_string())]);
    assert_eq!(config.people[1].slack.as_deref(), Some("U0BOB"));
    let route = &config.routes[0];
    assert_eq!(route.eligible, Some(vec!["alice".to_string(), "bob".to_string()]));
    assert_eq!((route.quorum, route.timeout.as_secs(), route.self_approval), (2, 300, true));
    assert_eq!(config.sign_in.as_ref().unwrap().client_secret.expose(), "token-oidc");
    assert!(!format!("{config:?}").contains("token-"), "Debug shows no secret");
}

/// Each case: a replacement in GOOD, and the (line, col, message part) expected.
#[test]
fn every_error_is_located() {
    let cases = [
        ("database = ", "databse = ", (5, 1, "unknown field `databse`")),
        ("[sign_in]", "[signin]", (42, 2, "unknown key `signin`")),
        ("token = \"file:host\"", "token = \"hunter2\"", (9, 9, secret::INLINE)),
        ("secret = \"file:hook\"", "secret = \"s3cret\"", (30, 10, secret::INLINE)),
        ("client_secret = \"file:oidc\"", "client_secret = \"x\"", (45, 17, secret::INLINE)),
        (
            "token = \"file:alice\"",
            "token = \"env:GATE_TEST_UNSET_VARIABLE_X\"",
            (16, 9, "GATE_TEST_UNSET_VARIABLE_X is not set"),
        ),
        ("token = \"file:alice\"", "token = \"file:nope\"", (16, 9, "cannot read the secret file")),
        ("approvers = [\"alice\"]", "approvers = [\"mallory\"]", (35, 14, "unknown person \"mallory\"")),
        ("approvers = [\"alice\"]", "approvers = [\"group:ops\"]", (35, 14, "unknown group \"ops\"")),
        ("groups = [\"sre\"]", "groups = [\"dba\"]", (36, 11, "unknown group \"dba\"")),
        ("channels = [\"ops\"]", "channels = [\"pager\"]", (38, 13, "unknown channel \"pager\"")),
        ("id = \"bob\"", "id = \"alice\"", (19, 6, "duplicate person \"alice\"")),
        ("rules = [\"git-*\", ", "rules = [\"git-[\", ", (34, 10, "bad glob")),
        ("quorum = 2", "quorum = 0", (37, 10, "at least 1")),
        ("quorum = 2", "quorum = 3", (37, 10, "has 2 eligible approvers")),
        ("url = \"http://127.0.0.1:9000/hook\"", "url = \"ftp://x/hook\"", (29, 7, "not an http")),
        ("public_url = \"https://gate.example.com/\"", "public_url = \"gate\"", (4, 14, "not an http")),
        ("listen = \"127.0.0.1:7380\"", "listen = \"localhost\"", (3, 10, "address and port")),
        ("unix = [\"alice@build-7\"]", "unix = [\"alice@build-8\"]", (15, 9, "unknown host \"build-8\"")),
        ("timeout = \"5m\"", "timeout = \"soon\"", (39, 11, "not a duration")),
        ("type = \"webhook\"", "type = \"pager\"", (28, 8, "unknown channel type")),
        ("token = \"file:hooktoken\"", "token = \"file:host\"", (31, 9, "also the token of host build-7")),
    ];
    let mut wrong = Vec::new();
    for (from, to, (line, column, message)) in cases {
        assert!(GOOD.contains(from), "{from}");
        let body = GOOD.replacen(from, to, 1);
        let Err(ConfigError::Invalid(errors)) = parse(&body) else { panic!("{to}: accepted") };
        let found = errors.iter().find(|e| e.message.contains(message));
        let Some(error) = found else { panic!("{to}: no error containing {message:?} in {errors:#?}") };
        if (error.line, error.column) != (line, column) {
            wrong.push(format!("{to}: expected {line}:{column}, got {}", error.headline()));
        }
    }
    assert!(wrong.is_empty(), "{wrong:#?}");
}

#[test]
fn the_first_error_names_how_many_more() {
    let body = GOOD.replace("file:host", "inline").replace("file:alice", "inline2");
    let error = parse(&body).unwrap_err().to_string();
    assert!(error.contains("(and 1 more; run gate serve --check)"), "{error}");
    assert!(!error.contains("inline2"), "{error}");
    let missing = parse("[[hosts]]\nname = \"a\"\ntoken = \"file:host\"\n").unwrap_err().to_string();
    assert!(missing.contains("missing [server]"), "{missing}");
}
