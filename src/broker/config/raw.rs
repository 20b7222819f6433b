//! The broker's configuration as written: serde structs that mirror the TOML, with source spans so
//! every later error points at its line and column. Unknown keys are rejected. Each section and
//! each array entry is read on its own, so one mistake does not hide the next.

use serde::Deserialize;
use toml::Spanned;
use toml::de::{DeTable, DeValue, ValueDeserializer};

use crate::policy::Diagnostic;

pub(super) type Text = Spanned<String>;
pub(super) type Texts = Spanned<Vec<Spanned<String>>>;

#[derive(Default)]
pub(super) struct RawConfig {
    pub server: Option<Spanned<RawServer>>,
    /// Whether the file has a `[server]`, even one that did not read.
    pub server_seen: bool,
    pub hosts: Vec<Spanned<RawHost>>,
    pub people: Vec<Spanned<RawPerson>>,
    pub groups: Vec<Spanned<RawGroup>>,
    pub channels: Vec<Spanned<RawChannel>>,
    pub routes: Vec<Spanned<RawRoute>>,
    pub sign_in: Option<Spanned<RawSignIn>>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct RawServer {
    pub listen: Text,
    pub public_url: Option<Text>,
    pub database: Option<Text>,
    pub key: Option<Text>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct RawHost {
    pub name: Text,
    pub token: Text,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct RawPerson {
    pub id: Text,
    pub name: Option<Text>,
    pub email: Option<Text>,
    pub unix: Option<Texts>,
    pub token: Option<Text>,
    pub slack: Option<Text>,
    pub oidc_sub: Option<Text>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct RawGroup {
    pub name: Text,
    pub members: Texts,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct RawChannel {
    pub name: Text,
    #[serde(rename = "type")]
    pub kind: Text,
    pub url: Option<Text>,
    pub secret: Option<Text>,
    pub token: Option<Text>,
    // Slack.
    pub bot_token: Option<Text>,
    pub signing_secret: Option<Text>,
    pub app_token: Option<Text>,
    pub channel: Option<Text>,
    pub api_url: Option<Text>,
    pub dm_approvers: Option<Spanned<bool>>,
    pub match_email: Option<Spanned<bool>>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct RawRoute {
    pub rules: Texts,
    pub approvers: Option<Texts>,
    pub groups: Option<Texts>,
    pub quorum: Option<Spanned<i64>>,
    pub channels: Option<Texts>,
    pub timeout: Option<Text>,
    pub self_approval: Option<Spanned<bool>>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct RawSignIn {
    pub issuer: Text,
    pub client_id: Text,
    pub client_secret: Text,
    pub scopes: Option<Texts>,
    pub claim: Option<Text>,
}

/// Collects located errors while the file is read and checked.
pub(super) struct Checker<'a> {
    pub file: &'a str,
    pub source: &'a str,
    pub errors: Vec<Diagnostic>,
}

impl Checker<'_> {
    pub fn error(&mut self, span: std::ops::Range<usize>, message: impl Into<String>) {
        self.errors.push(Diagnostic::new(self.file, self.source, span, message));
    }
}

const KEYS: &str = "`server`, `hosts`, `people`, `groups`, `channels`, `routes`, `sign_in`";

/// Reads the document; every problem found goes to the checker. `None` when it is not TOML.
pub(super) fn read(checker: &mut Checker) -> Option<RawConfig> {
    let (document, syntax_errors) = DeTable::parse_recoverable(checker.source);
    if !syntax_errors.is_empty() {
        for error in syntax_errors {
            checker.error(error.span().unwrap_or(0..0), error.message().trim().to_string());
        }
        return None;
    }
    let mut raw = RawConfig::default();
    for (key, value) in document.into_inner() {
        match key.get_ref().as_ref() {
            "server" => {
                raw.server_seen = true;
                raw.server = one(checker, value);
            }
            "hosts" => raw.hosts = each(checker, value, "hosts"),
            "people" => raw.people = each(checker, value, "people"),
            "groups" => raw.groups = each(checker, value, "groups"),
            "channels" => raw.channels = each(checker, value, "channels"),
            "routes" => raw.routes = each(checker, value, "routes"),
            "sign_in" => raw.sign_in = one(checker, value),
            other => checker.error(key.span(), format!("unknown key `{other}`, expected one of {KEYS}")),
        }
    }
    Some(raw)
}

fn one<T: for<'de> Deserialize<'de>>(
    checker: &mut Checker,
    value: Spanned<DeValue<'_>>,
) -> Option<Spanned<T>> {
    let span = value.span();
    match T::deserialize(ValueDeserializer::from(value)) {
        Ok(parsed) => Some(Spanned::new(span, parsed)),
        Err(error) => {
            checker.error(error.span().unwrap_or(span), error.message().trim().to_string());
            None
        }
    }
}

/// An array of tables (`[[people]]`), each entry read on its own.
fn each<T: for<'de> Deserialize<'de>>(
    checker: &mut Checker,
    value: Spanned<DeValue<'_>>,
    key: &str,
) -> Vec<Spanned<T>> {
    let span = value.span();
    let DeValue::Array(array) = value.into_inner() else {
        checker.error(span, format!("`{key}` must be an array of tables: write each as [[{key}]]"));
        return Vec::new();
    };
    array.into_iter().filter_map(|item| one(checker, item)).collect()
}
