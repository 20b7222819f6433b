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

const CHAT: &str = r#"
[server]
listen = "127.0.0.1:7380"

[[people]]
id = "bob"
slack = "T0TEAM/U0BOB"

[[channels]]
name = "slack-ops"
type = "slack"
bot_token = "file:host"
signing_secret = "file:hook"
app_token = "file:alice"
channel = "C0123OPS"
api_url = "http://127.0.0.1:9/api/"
dm_approvers = true

[[channels]]
name = "teams-ops"
type = "teams"
url = "file:teams"
"#;

#[test]
fn reads_slack_and_teams_channels() {
    let dir = tempfile::tempdir().unwrap();
    for name in ["host", "hook", "alice"] {
        std::fs::write(dir.path().join(name), format!("token-{name}\n")).unwrap();
    }
    std::fs::write(
        dir.path().join("teams"),
        "https://prod-1.westeurope.logic.azure.com/workflows/x?sig=s3cret\n",
    )
    .unwrap();
    let config = Config::parse(&dir.path().join("broker.toml"), CHAT).unwrap();
    let ChannelKind::Slack(slack) = &config.channels[0].kind else { panic!("{:?}", config.channels[0]) };
    assert_eq!(
        (
            slack.bot_token.expose(),
            slack.signing_secret.expose(),
            slack.app_token.as_ref().map(|t| t.expose())
        ),
        ("token-host", "token-hook", Some("token-alice"))
    );
    assert_eq!(
        (slack.channel.as_deref(), slack.api_url.as_str()),
        (Some("C0123OPS"), "http://127.0.0.1:9/api")
    );
    assert!(slack.dm_approvers && !slack.match_email);
    let ChannelKind::Teams { url } = &config.channels[1].kind else { panic!() };
    assert_eq!(url.target(), "https://prod-1.westeurope.logic.azure.com/…");
    assert!(!format!("{config:?}").contains("s3cret"), "Debug shows no workflow URL");

    let cases = [
        (
            "url = \"file:teams\"",
            "url = \"https://prod-1.logic.azure.com/x?sig=1\"",
            "the workflow URL is a secret",
        ),
        ("slack = \"T0TEAM/U0BOB\"", "slack = \"bob\"", "is not a Slack user id"),
        ("channel = \"C0123OPS\"\n", "", ""),
        ("bot_token = \"file:host\"\n", "", "needs `bot_token`"),
        ("signing_secret = \"file:hook\"", "signing_secret = \"hunter2\"", secret::INLINE),
        ("type = \"teams\"", "type = \"teams\"\nchannel = \"C1\"", "a teams channel does not take `channel`"),
        (
            "channel = \"C0123OPS\"\napi_url = \"http://127.0.0.1:9/api/\"\ndm_approvers = true",
            "",
            "needs `channel`",
        ),
    ];
    for (from, to, message) in cases {
        assert!(CHAT.contains(from), "{from}");
        let result = Config::parse(&dir.path().join("broker.toml"), &CHAT.replacen(from, to, 1));
        match (result, message) {
            (Ok(_), "") => {}
            (Err(ConfigError::Invalid(errors)), message) if !message.is_empty() => {
                assert!(errors.iter().any(|e| e.message.contains(message)), "{to}: {errors:#?}")
            }
            (result, _) => panic!("{to}: {result:?}"),
        }
    }
}
