//! The policy file as written: serde structs that mirror the TOML, with source spans so that
//! every later error can point at its line and column. Unknown keys are rejected here.

use super::Decision;
use serde::Deserialize;
use std::collections::BTreeMap;
use toml::Spanned;

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct RawPolicy {
    pub version: Spanned<i64>,
    #[serde(default)]
    pub settings: Option<Spanned<RawSettings>>,
    #[serde(default)]
    pub rules: Vec<Spanned<RawRule>>,
    #[serde(default)]
    pub tests: Vec<Spanned<RawTest>>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct RawSettings {
    pub default: Option<Spanned<Decision>>,
    pub opaque: Option<Spanned<Decision>>,
    pub on_parse_error: Option<Spanned<Decision>>,
    /// Seconds.
    pub approval_timeout: Option<Spanned<i64>>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct RawRule {
    pub id: Spanned<String>,
    pub decision: Spanned<Decision>,
    pub reason: Option<Spanned<String>>,
    #[serde(rename = "match")]
    pub match_: Option<Spanned<Vec<Spanned<String>>>>,
    pub flags: Option<Spanned<Vec<Spanned<String>>>>,
    pub args: Option<Spanned<Vec<Spanned<String>>>>,
    pub redirects: Option<Spanned<Vec<Spanned<String>>>>,
    pub env: Option<Spanned<BTreeMap<Spanned<String>, Spanned<String>>>>,
    pub cwd: Option<Spanned<Vec<Spanned<String>>>>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct RawTest {
    pub command: Spanned<String>,
    pub expect: Spanned<Decision>,
    pub rule: Option<Spanned<String>>,
}
