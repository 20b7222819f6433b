//! The broker's configuration (`gate serve --config FILE`): read with spans ([`raw`]), checked
//! into [`Config`] with every error located as `file:line:col`, secrets read from the
//! environment or files ([`secret`]). A `Config` is valid: every name a route uses exists, every
//! quorum can be met, every secret was read.

mod chat;
mod raw;
mod route;
pub mod secret;

use std::collections::{BTreeSet, HashMap};
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::time::Duration;

use raw::{Checker, RawConfig, Text, Texts};
pub use secret::Secret;
use toml::Spanned;

use super::decide::RuleGlob;
use crate::policy::Diagnostic;
use crate::webhook::Webhook;

#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    #[error("cannot read the broker configuration {path}: {source}")]
    Read { path: PathBuf, source: std::io::Error },
    #[error("invalid broker configuration: {}{}", .0[0].headline(), more(.0.len()))]
    Invalid(Vec<Diagnostic>),
}

fn more(count: usize) -> String {
    if count > 1 { format!(" (and {} more; run gate serve --check)", count - 1) } else { String::new() }
}

#[derive(Debug)]
pub struct Config {
    pub file: PathBuf,
    pub listen: SocketAddr,
    /// Without a trailing slash.
    pub public_url: String,
    pub database: PathBuf,
    pub key: PathBuf,
    pub hosts: Vec<Host>,
    pub people: Vec<Person>,
    pub groups: Vec<Group>,
    pub channels: Vec<ChannelConfig>,
    pub routes: Vec<Route>,
    pub sign_in: Option<SignIn>,
}

#[derive(Debug)]
pub struct Host {
    pub name: String,
    pub token: Secret,
}

#[derive(Debug)]
pub struct Person {
    pub id: String,
    pub name: Option<String>,
    pub email: Option<String>,
    /// `USER@HOST` accounts whose requests are this person's own.
    pub unix: Vec<(String, String)>,
    pub token: Option<Secret>,
    /// Slack user id, `U…` (any workspace) or `T…/U…` (in that workspace only).
    pub slack: Option<String>,
    /// The person's `sub` at the sign-in provider, for `[sign_in] claim = "sub"`.
    pub oidc_sub: Option<String>,
}

#[derive(Debug)]
pub struct Group {
    pub name: String,
    pub members: Vec<String>,
}

#[derive(Debug)]
pub struct ChannelConfig {
    pub name: String,
    pub kind: ChannelKind,
    /// Lets the channel's receiver decide on behalf of a person.
    pub token: Option<Secret>,
}

#[derive(Debug)]
pub enum ChannelKind {
    Webhook {
        url: Webhook,
        secret: Secret,
    },
    Slack(Slack),
    /// A Microsoft Teams Workflows webhook ("When a Teams webhook request is received"); its URL
    /// carries its signature, so it is a secret.
    Teams {
        url: Webhook,
    },
}

/// A Slack app: its bot posts and updates the messages; clicks come back signed with the
/// signing secret, over HTTP or (with an app-level token) over Socket Mode.
#[derive(Clone, Debug)]
pub struct Slack {
    pub bot_token: Secret,
    pub signing_secret: Secret,
    /// `xapp-…`: receive clicks over Socket Mode instead of `POST /v1/slack/interactivity`.
    pub app_token: Option<Secret>,
    /// The conversation (channel id) the message goes to.
    pub channel: Option<String>,
    /// Web API base, without a trailing slash (default `https://slack.com/api`).
    pub api_url: String,
    /// Also a direct message to each eligible approver who has a `slack` id.
    pub dm_approvers: bool,
    /// A clicker not found by Slack id is looked up by the verified email `users.info` gives.
    pub match_email: bool,
}

/// The Slack Web API's address.
pub const SLACK_API: &str = "https://slack.com/api";

#[derive(Clone, Debug, PartialEq)]
pub struct Route {
    pub rules: Vec<RuleGlob>,
    /// As written: person ids and `group:NAME`.
    pub approvers: Vec<String>,
    pub groups: Vec<String>,
    /// Who may decide, in file order; `None` for everyone.
    pub eligible: Option<Vec<String>>,
    pub quorum: u32,
    /// `None`: every channel.
    pub channels: Option<Vec<String>>,
    pub timeout: Duration,
    pub self_approval: bool,
}

#[derive(Debug)]
pub struct SignIn {
    pub issuer: String,
    pub client_id: String,
    pub client_secret: Secret,
    /// Scopes asked for besides `openid` (default: `email` when matching by email).
    pub scopes: Vec<String>,
    /// Which verified claim names the person: `email` (default) or `sub`.
    pub claim: crate::broker::web::Claim,
}

/// The timeout of a route that does not say, and of the default route.
pub const DEFAULT_TIMEOUT: Duration = Duration::from_secs(120);

impl Config {
    pub fn load(path: &Path) -> Result<Config, ConfigError> {
        let text = std::fs::read_to_string(path)
            .map_err(|source| ConfigError::Read { path: path.to_path_buf(), source })?;
        Config::parse(path, &text)
    }

    pub fn parse(path: &Path, text: &str) -> Result<Config, ConfigError> {
        let name = path.display().to_string();
        let base = path.parent().filter(|p| !p.as_os_str().is_empty()).unwrap_or(Path::new("."));
        let mut checker = Checker { file: &name, source: text, errors: Vec::new() };
        let config = raw::read(&mut checker).and_then(|raw| check(raw, path, base, &mut checker));
        match config {
            Some(config) if checker.errors.is_empty() => Ok(config),
            _ => {
                let mut errors = checker.errors;
                errors.sort_by_key(|error| (error.line, error.column));
                Err(ConfigError::Invalid(errors))
            }
        }
    }

    pub fn person(&self, id: &str) -> Option<&Person> {
        self.people.iter().find(|person| person.id == id)
    }

    pub fn channel(&self, name: &str) -> Option<&ChannelConfig> {
        self.channels.iter().find(|channel| channel.name == name)
    }
}

fn valid_name(name: &str) -> bool {
    !name.is_empty() && name.chars().all(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.'))
}

/// Checks names as they are declared: valid and unique.
fn declare(checker: &mut Checker, seen: &mut BTreeSet<String>, name: &Text, what: &str) -> String {
    let value = name.get_ref().clone();
    if !valid_name(&value) {
        checker.error(name.span(), format!("{what} {value:?} must be letters, digits, '-', '_' or '.'"));
    } else if !seen.insert(value.clone()) {
        checker.error(name.span(), format!("duplicate {what} {value:?}"));
    }
    value
}

fn secret(checker: &mut Checker, text: &Text, base: &Path) -> Option<Secret> {
    let read = secret::Source::parse(text.get_ref(), base).and_then(|source| source.read());
    read.map_err(|message| checker.error(text.span(), message)).ok()
}

fn list(texts: &Option<Texts>) -> Vec<&Text> {
    texts.as_ref().map(|list| list.get_ref().iter().collect()).unwrap_or_default()
}

fn check(raw: RawConfig, path: &Path, base: &Path, checker: &mut Checker) -> Option<Config> {
    // A [server] that did not read has its error already; the other sections are still checked.
    let server = match raw.server {
        Some(server) => Some(server.into_inner()),
        None if !raw.server_seen => {
            checker.error(0..0, "missing [server] with at least `listen = \"127.0.0.1:7380\"`");
            None
        }
        None => None,
    };
    let listen = server.as_ref().and_then(|server| {
        let parsed = server.listen.get_ref().parse::<SocketAddr>();
        parsed
            .map_err(|_| {
                checker
                    .error(server.listen.span(), "`listen` must be an address and port, like 127.0.0.1:7380")
            })
            .ok()
    });
    let public_url = match server.as_ref().map(|server| (&server.public_url, &server.listen)) {
        Some((Some(url), _)) => {
            let text = url.get_ref().trim_end_matches('/').to_string();
            let parsed = reqwest::Url::parse(&text).ok();
            if !parsed.is_some_and(|u| matches!(u.scheme(), "http" | "https") && u.host_str().is_some()) {
                checker.error(url.span(), format!("`public_url` {text:?} is not an http:// or https:// URL"));
            }
            text
        }
        Some((None, listen)) => format!("http://{}", listen.get_ref()),
        None => String::new(),
    };
    let file_at = |key: Option<&Text>, default: &str| {
        base.join(key.map(|text| text.get_ref().as_str()).unwrap_or(default))
    };
    let database = file_at(server.as_ref().and_then(|s| s.database.as_ref()), "broker.db");
    let key = file_at(server.as_ref().and_then(|s| s.key.as_ref()), "broker.key");

    let mut names = BTreeSet::new();
    let mut hosts = Vec::new();
    for host in &raw.hosts {
        let name = declare(checker, &mut names, &host.get_ref().name, "host");
        if let Some(token) = secret(checker, &host.get_ref().token, base) {
            hosts.push((Host { name, token }, host.get_ref().token.span()));
        }
    }

    let mut ids = BTreeSet::new();
    let mut people = Vec::new();
    for raw_person in &raw.people {
        let person = raw_person.get_ref();
        let id = declare(checker, &mut ids, &person.id, "person");
        let mut unix = Vec::new();
        for account in list(&person.unix) {
            match account.get_ref().split_once('@') {
                Some((user, host)) if !user.is_empty() && names.contains(host) => {
                    unix.push((user.to_string(), host.to_string()));
                }
                Some((user, host)) if !user.is_empty() => checker.error(
                    account.span(),
                    format!("unknown host {host:?}: `unix` names USER@HOST where HOST is a [[hosts]] name"),
                ),
                _ => checker.error(account.span(), "`unix` entries are USER@HOST, like \"alice@build-7\""),
            }
        }
        let token = person.token.as_ref().and_then(|token| secret(checker, token, base));
        let token_span = person.token.as_ref().map(|t| t.span()).unwrap_or(0..0);
        let text = |t: &Option<Text>| t.as_ref().map(|t| t.get_ref().clone());
        if let Some(slack) = &person.slack {
            chat::check_slack_user(checker, slack);
        }
        people.push((
            Person {
                id,
                name: text(&person.name),
                email: text(&person.email),
                unix,
                token,
                slack: text(&person.slack),
                oidc_sub: text(&person.oidc_sub),
            },
            token_span,
        ));
    }

    let mut group_names = BTreeSet::new();
    let mut groups = Vec::new();
    for group in &raw.groups {
        let name = declare(checker, &mut group_names, &group.get_ref().name, "group");
        let mut members = Vec::new();
        for member in group.get_ref().members.get_ref() {
            if !ids.contains(member.get_ref()) {
                checker
                    .error(member.span(), format!("unknown person {:?} in group {name:?}", member.get_ref()));
            } else if !members.contains(member.get_ref()) {
                members.push(member.get_ref().clone());
            }
        }
        groups.push(Group { name, members });
    }

    let mut channel_names = BTreeSet::new();
    let mut channels = Vec::new();
    for raw_channel in &raw.channels {
        let channel = raw_channel.get_ref();
        let name = declare(checker, &mut channel_names, &channel.name, "channel");
        let token = channel.token.as_ref().and_then(|token| secret(checker, token, base));
        let token_span = channel.token.as_ref().map(|t| t.span()).unwrap_or(0..0);
        let kind = match channel.kind.get_ref().as_str() {
            "webhook" => webhook(checker, raw_channel, base),
            "slack" => chat::slack(checker, raw_channel, base),
            "teams" => chat::teams(checker, raw_channel, base),
            other => {
                checker.error(
                    channel.kind.span(),
                    format!("unknown channel type {other:?}, expected \"webhook\", \"slack\" or \"teams\""),
                );
                None
            }
        };
        if let Some(kind) = kind {
            channels.push((ChannelConfig { name, kind, token }, token_span));
        }
    }

    let people_ids: Vec<String> = people.iter().map(|(person, _)| person.id.clone()).collect();
    let group_members: HashMap<&str, &[String]> =
        groups.iter().map(|group| (group.name.as_str(), group.members.as_slice())).collect();
    let mut routes = Vec::new();
    for route in &raw.routes {
        routes.push(route::check_route(checker, route, &ids, &group_members, &channel_names, &people_ids));
    }

    let sign_in = raw.sign_in.map(|sign_in| {
        let sign_in = sign_in.into_inner();
        let issuer = sign_in.issuer.get_ref().trim_end_matches('/').to_string();
        if !reqwest::Url::parse(&issuer).is_ok_and(|u| matches!(u.scheme(), "http" | "https")) {
            checker.error(
                sign_in.issuer.span(),
                format!("`issuer` {issuer:?} is not an http:// or https:// URL"),
            );
        }
        if sign_in.client_id.get_ref().is_empty() {
            checker.error(sign_in.client_id.span(), "`client_id` is empty");
        }
        let client_secret = secret(checker, &sign_in.client_secret, base);
        let scopes = list(&sign_in.scopes).into_iter().map(|scope| scope.get_ref().clone()).collect();
        let claim = match sign_in.claim.as_ref().map(|claim| (claim.get_ref().as_str(), claim.span())) {
            None | Some(("email", _)) => crate::broker::web::Claim::Email,
            Some(("sub", _)) => crate::broker::web::Claim::Sub,
            Some((other, span)) => {
                checker.error(span, format!("`claim` {other:?} must be \"email\" or \"sub\""));
                crate::broker::web::Claim::Email
            }
        };
        (issuer, sign_in.client_id.into_inner(), client_secret, scopes, claim)
    });

    // One token, one identity: a token shared by a host and a person would make either the other.
    let tokens = hosts.iter().map(|(host, span)| (&host.token, span, format!("host {}", host.name)));
    let tokens = tokens
        .chain(
            people.iter().filter_map(|(p, span)| Some((p.token.as_ref()?, span, format!("person {}", p.id)))),
        )
        .chain(
            channels
                .iter()
                .filter_map(|(c, span)| Some((c.token.as_ref()?, span, format!("channel {}", c.name)))),
        );
    let mut owners: HashMap<&str, String> = HashMap::new();
    let mut clashes = Vec::new();
    for (token, span, owner) in tokens {
        if let Some(first) = owners.get(token.expose()) {
            clashes
                .push((span.clone(), format!("this token is also the token of {first}: each needs its own")));
        } else {
            owners.insert(token.expose(), owner);
        }
    }
    for (span, message) in clashes {
        checker.error(span, message);
    }

    let sign_in = match sign_in {
        Some((issuer, client_id, Some(client_secret), scopes, claim)) => {
            Some(SignIn { issuer, client_id, client_secret, scopes, claim })
        }
        _ => None,
    };
    Some(Config {
        file: path.to_path_buf(),
        listen: listen?,
        public_url,
        database,
        key,
        hosts: hosts.into_iter().map(|(host, _)| host).collect(),
        people: people.into_iter().map(|(person, _)| person).collect(),
        groups,
        channels: channels.into_iter().map(|(channel, _)| channel).collect(),
        routes,
        sign_in,
    })
}

fn webhook(checker: &mut Checker, raw: &Spanned<raw::RawChannel>, base: &Path) -> Option<ChannelKind> {
    let channel = raw.get_ref();
    chat::only(checker, channel, "webhook", &["url", "secret", "token"]);
    let (Some(url), Some(secret_text)) = (&channel.url, &channel.secret) else {
        checker.error(raw.span(), "a webhook channel needs `url` and `secret`");
        return None;
    };
    let url =
        Webhook::parse(url.get_ref()).map_err(|error| checker.error(url.span(), error.to_string())).ok();
    let secret = secret(checker, secret_text, base);
    Some(ChannelKind::Webhook { url: url?, secret: secret? })
}

#[cfg(test)]
mod tests;
