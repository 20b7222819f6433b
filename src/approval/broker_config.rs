//! Which broker `gate exec` asks, with which token, trusting which key.
//!
//! The agent that gate constrains may control gate's environment and may write a project
//! policy, so the broker cannot simply come from wherever is nearest: a broker of the agent's
//! own would approve everything. The order:
//!
//! 1. `[approval]` in the system policy (`/etc/gate/policy.toml`) pins the broker and its key:
//!    nothing else can replace them, not `GATE_BROKER_*`, not a user or project layer, not a
//!    policy given with `--policy` or `GATE_POLICY` (the system file is read for this anyway);
//! 2. else `GATE_BROKER_URL`, `GATE_BROKER_TOKEN` and `GATE_BROKER_KEY`, each on its own;
//! 3. else `[approval]` of the user's policy (a project layer may not set one).
//!
//! A broker without a pinned key is an error, never trust on first use.

use std::path::Path;

use crate::audit::PublicKey;
use crate::policy::{BrokerSetting, SYSTEM_POLICY};

/// A broker to ask, ready to use.
#[derive(Clone, Debug)]
pub struct BrokerConfig {
    /// Without a trailing slash.
    pub url: String,
    pub token: String,
    pub key: PublicKey,
    /// Where the URL came from, for `gate check` and messages: a file, or `GATE_BROKER_URL`.
    pub source: String,
    pub pinned: bool,
}

/// What is in force: no broker, a usable one, or one whose configuration is broken (which
/// refuses every `ask`, with this reason).
#[derive(Clone, Debug)]
pub enum BrokerChoice {
    None,
    Broker(Box<BrokerConfig>),
    Broken(String),
}

/// Chooses the broker from the system policy's `[approval]` (if any), the loaded policy's, and
/// the environment.
pub fn choose(
    system: Option<&BrokerSetting>,
    policy: Option<&BrokerSetting>,
    env: &dyn Fn(&str) -> Option<String>,
) -> BrokerChoice {
    let env = |name: &str| env(name).filter(|value| !value.trim().is_empty());
    let (url, token_source, key, source, pinned) = match (system, env("GATE_BROKER_URL"), policy) {
        (Some(system), _, _) => {
            (system.url.clone(), system.token.clone(), system.key.clone(), system.layer.clone(), true)
        }
        (None, Some(url), _) => (
            url.trim_end_matches('/').to_string(),
            None,
            env("GATE_BROKER_KEY").or_else(|| policy.and_then(|p| p.key.clone())),
            "GATE_BROKER_URL".to_string(),
            false,
        ),
        (None, None, Some(policy)) => (
            policy.url.clone(),
            policy.token.clone(),
            env("GATE_BROKER_KEY").or_else(|| policy.key.clone()),
            policy.layer.clone(),
            false,
        ),
        (None, None, None) => return BrokerChoice::None,
    };
    let Some(key) = key else {
        return BrokerChoice::Broken(format!(
            "the broker {url} has no pinned key: set GATE_BROKER_KEY or [approval] key to the value of {url}/v1/key"
        ));
    };
    let key = match PublicKey::parse(&key) {
        Ok(key) => key,
        Err(why) => return BrokerChoice::Broken(format!("the broker key is not a key ({why})")),
    };
    // The token says which host asks (and so whose request it is): a pinned source wins;
    // otherwise the variable does.
    let token = match (token_source, env("GATE_BROKER_TOKEN")) {
        (Some(source), _) if pinned => read_secret(&source, &env),
        (_, Some(token)) => Ok(token),
        (Some(source), None) => read_secret(&source, &env),
        (None, None) => Err("no token for the broker: set GATE_BROKER_TOKEN or [approval] token".to_string()),
    };
    match token {
        Ok(token) => BrokerChoice::Broker(Box::new(BrokerConfig { url, token, key, source, pinned })),
        Err(why) => BrokerChoice::Broken(why),
    }
}

/// Reads `env:NAME` or `file:PATH`; the error names where, never the value.
pub fn read_secret(source: &str, env: &dyn Fn(&str) -> Option<String>) -> Result<String, String> {
    if let Some(name) = source.strip_prefix("env:") {
        return env(name).ok_or_else(|| format!("the broker token variable {name} is not set"));
    }
    if let Some(path) = source.strip_prefix("file:") {
        return std::fs::read_to_string(path)
            .map(|text| text.trim().to_string())
            .map_err(|error| format!("cannot read the broker token file {path}: {}", error.kind()))
            .and_then(|token| {
                if token.is_empty() {
                    Err(format!("the broker token file {path} is empty"))
                } else {
                    Ok(token)
                }
            });
    }
    Err("a broker token must be env:NAME or file:PATH".to_string())
}

/// The broker in force for a loaded policy, from this process's environment. Reads the system
/// policy when the loaded policy did not include it.
pub fn in_force(policy: &crate::policy::Policy, home: &str) -> BrokerChoice {
    let from_system = match &policy.approval {
        Some(setting) if setting.layer == SYSTEM_POLICY => Ok(Some(setting.clone())),
        _ => system_setting(home),
    };
    match from_system {
        Ok(system) => choose(system.as_ref(), policy.approval.as_ref(), &|name| std::env::var(name).ok()),
        Err(error) => BrokerChoice::Broken(format!("the system policy cannot be read: {error}")),
    }
}

/// `[approval]` of the system policy when it sets one: read on its own, so a policy chosen with
/// `--policy` or `GATE_POLICY` cannot leave it out. A broken system policy is an error.
pub fn system_setting(home: &str) -> Result<Option<BrokerSetting>, crate::policy::PolicyError> {
    let path = Path::new(SYSTEM_POLICY);
    if std::fs::symlink_metadata(path).is_err() {
        return Ok(None);
    }
    let policy = crate::policy::Policy::load(&crate::policy::Choice::File(path.to_path_buf()), home)?;
    Ok(policy.approval)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::audit::SecretKey;

    fn setting(url: &str, layer: &str, key: &str) -> BrokerSetting {
        BrokerSetting {
            url: url.into(),
            token: Some("env:HOST_TOKEN".into()),
            key: Some(key.into()),
            layer: layer.into(),
        }
    }

    fn chosen(choice: BrokerChoice) -> (String, String, String) {
        match choice {
            BrokerChoice::Broker(config) => (config.url, config.token, config.key.id()),
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn the_system_layer_pins_the_broker_against_the_environment() {
        let ours = SecretKey::from_seed("gate-broker@ours", [1; 32]).public();
        let theirs = SecretKey::from_seed("gate-broker@theirs", [2; 32]).public();
        let system = setting("https://broker.corp", SYSTEM_POLICY, &ours.to_text());
        let user = setting("https://user.example", "/home/a/.config/gate/policy.toml", &ours.to_text());
        let agent_env = |name: &str| match name {
            "GATE_BROKER_URL" => Some("http://127.0.0.1:9999".to_string()),
            "GATE_BROKER_KEY" => Some(theirs.to_text()),
            "GATE_BROKER_TOKEN" => Some("agent-token".to_string()),
            "HOST_TOKEN" => Some("host-token".to_string()),
            _ => None,
        };
        assert_eq!(
            chosen(choose(Some(&system), Some(&user), &agent_env)),
            ("https://broker.corp".into(), "host-token".into(), ours.id())
        );
        // Without a pin the variables win, each on its own.
        assert_eq!(
            chosen(choose(None, Some(&user), &agent_env)),
            ("http://127.0.0.1:9999".into(), "agent-token".into(), theirs.id())
        );
        let no_env = |name: &str| (name == "HOST_TOKEN").then(|| "host-token".to_string());
        assert_eq!(
            chosen(choose(None, Some(&user), &no_env)),
            ("https://user.example".into(), "host-token".into(), ours.id())
        );
        assert!(matches!(choose(None, None, &no_env), BrokerChoice::None));
    }

    #[test]
    fn a_broker_without_a_key_or_token_is_broken_not_trusted() {
        let url_only = |name: &str| (name == "GATE_BROKER_URL").then(|| "http://b".to_string());
        let BrokerChoice::Broken(why) = choose(None, None, &url_only) else { panic!() };
        assert!(why.contains("no pinned key") && why.contains("http://b/v1/key"), "{why}");
        let key = SecretKey::from_seed("k", [1; 32]).public().to_text();
        let no_token = |name: &str| match name {
            "GATE_BROKER_URL" => Some("http://b".to_string()),
            "GATE_BROKER_KEY" => Some(key.clone()),
            _ => None,
        };
        let BrokerChoice::Broken(why) = choose(None, None, &no_token) else { panic!() };
        assert!(why.contains("no token"), "{why}");
        let bad_key = |name: &str| match name {
            "GATE_BROKER_URL" => Some("http://b".to_string()),
            "GATE_BROKER_KEY" => Some("nonsense".to_string()),
            _ => None,
        };
        assert!(matches!(choose(None, None, &bad_key), BrokerChoice::Broken(_)));
    }

    #[test]
    fn secrets_are_read_from_env_or_file_and_never_shown() {
        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join("token");
        std::fs::write(&file, "s3cret\n").unwrap();
        let env = |name: &str| (name == "T").then(|| "from-env".to_string());
        assert_eq!(read_secret("env:T", &env), Ok("from-env".into()));
        assert_eq!(read_secret(&format!("file:{}", file.display()), &env), Ok("s3cret".into()));
        assert!(read_secret("env:MISSING", &env).unwrap_err().contains("MISSING"));
        assert!(read_secret("s3cret", &env).is_err());
        let missing = read_secret("file:/nonexistent/t", &env).unwrap_err();
        assert!(missing.contains("/nonexistent/t"), "{missing}");
    }
}
