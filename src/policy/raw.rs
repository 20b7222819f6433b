//! The policy file as written: serde structs that mirror the TOML, with source spans so that
//! every later error can point at its line and column. Unknown keys are rejected. Each section
//! and each rule is read on its own, so one mistake does not hide the next.

use super::Decision;
use super::compile::Checker;
use serde::Deserialize;
use std::collections::BTreeMap;
use toml::Spanned;
use toml::de::{DeTable, DeValue, ValueDeserializer};

pub(super) struct RawPolicy {
    pub version: Spanned<i64>,
    /// `extends = "builtin"`: the built-in default policy is the layer below this one.
    pub extends: Option<Spanned<String>>,
    pub settings: Option<Spanned<RawSettings>>,
    pub approval: Option<Spanned<RawApproval>>,
    pub paths: Option<Spanned<RawPaths>>,
    pub rules: Vec<Spanned<RawRule>>,
    pub tests: Vec<Spanned<RawTest>>,
    /// `[[programs]]`: knowledge of programs' options, added to the built-in knowledge.
    pub programs: Vec<Spanned<super::programs::RawProgram>>,
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

/// `[approval]`: the broker that `gate exec` asks when a rule says ask.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct RawApproval {
    pub broker: Spanned<String>,
    pub token: Option<Spanned<String>>,
    pub key: Option<Spanned<String>>,
}

/// `[paths]`: globs added to the built-in path classes (see `effects::classes`).
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct RawPaths {
    pub secrets: Option<Spanned<Vec<Spanned<String>>>>,
    pub persistence: Option<Spanned<Vec<Spanned<String>>>>,
    pub temp: Option<Spanned<Vec<Spanned<String>>>>,
    pub project: Option<Spanned<Vec<Spanned<String>>>>,
    pub elsewhere: Option<Spanned<Decision>>,
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
    /// `"any"`: for a program gate has no knowledge of, accept any words after the matched ones.
    pub options: Option<Spanned<String>>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct RawTest {
    pub command: Spanned<String>,
    pub expect: Spanned<Decision>,
    pub rule: Option<Spanned<String>>,
}

/// Reads the document; every problem found goes to the checker. `None` when the text is not
/// TOML at all or has no usable version.
pub(super) fn read(checker: &mut Checker) -> Option<RawPolicy> {
    let source = checker.source;
    let (document, syntax_errors) = DeTable::parse_recoverable(source);
    if !syntax_errors.is_empty() {
        for error in syntax_errors {
            checker.error(error.span().unwrap_or(0..0), error.message().trim().to_string());
        }
        return None;
    }
    let mut version = None;
    let mut settings = None;
    let mut extends = None;
    let mut approval = None;
    let mut paths = None;
    let mut rules = Vec::new();
    let mut tests = Vec::new();
    let mut programs = Vec::new();
    for (key, value) in document.into_inner() {
        match key.get_ref().as_ref() {
            "version" => version = one(checker, value),
            "extends" => extends = one(checker, value),
            "settings" => settings = one(checker, value),
            "approval" => approval = one(checker, value),
            "paths" => paths = one(checker, value),
            "rules" => rules = each(checker, value, "rules"),
            "tests" => tests = each(checker, value, "tests"),
            "programs" => programs = each(checker, value, "programs"),
            other => checker.error(
                key.span(),
                format!(
                    "unknown key `{other}`, expected one of `version`, `extends`, `settings`, `approval`, `paths`, `rules`, `tests`, `programs`"
                ),
            ),
        }
    }
    if version.is_none() && checker.errors.is_empty() {
        checker.error(0..0, "missing `version = 1` at the top of the policy");
    }
    Some(RawPolicy { version: version?, extends, settings, approval, paths, rules, tests, programs })
}

pub(super) fn one<T: for<'de> Deserialize<'de>>(
    checker: &mut Checker,
    value: Spanned<DeValue<'_>>,
) -> Option<T> {
    let span = value.span();
    match T::deserialize(ValueDeserializer::from(value)) {
        Ok(parsed) => Some(parsed),
        Err(error) => {
            checker.error(error.span().unwrap_or(span), error.message().trim().to_string());
            None
        }
    }
}

/// An array of tables (`[[rules]]`), each entry read on its own.
pub(super) fn each<T: for<'de> Deserialize<'de>>(
    checker: &mut Checker,
    value: Spanned<DeValue<'_>>,
    key: &str,
) -> Vec<T> {
    let span = value.span();
    let DeValue::Array(array) = value.into_inner() else {
        checker.error(span, format!("`{key}` must be an array of tables: write each as [[{key}]]"));
        return Vec::new();
    };
    array.into_iter().filter_map(|item| one(checker, item)).collect()
}
