//! `[[programs]]` as written, with spans so that every error points at its file, line and
//! column. Unknown keys are rejected.

use serde::Deserialize;
use std::collections::BTreeMap;
use toml::Spanned;

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct RawProgram {
    /// One name or several: `"cat"`, `["cat", "tac"]`, `"git log"`.
    pub name: Spanned<OneOrMany>,
    pub flags: Option<Spanned<Vec<Spanned<String>>>>,
    pub options: Option<Spanned<BTreeMap<Spanned<String>, Spanned<RawValue>>>>,
    pub operands: Option<Spanned<OneOrMany>>,
    pub numbers: Option<Spanned<bool>>,
    pub network: Option<Spanned<bool>>,
}

#[derive(Debug, Deserialize)]
#[serde(untagged)]
pub(crate) enum OneOrMany {
    One(String),
    Many(Vec<String>),
}

impl OneOrMany {
    pub(crate) fn items(&self) -> Vec<&str> {
        match self {
            OneOrMany::One(one) => vec![one.as_str()],
            OneOrMany::Many(many) => many.iter().map(String::as_str).collect(),
        }
    }
}

/// An option's value: a kind, or a table with a kind and what it changes.
#[derive(Debug, Deserialize)]
#[serde(untagged)]
pub(crate) enum RawValue {
    Kind(String),
    Table(RawValueTable),
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct RawValueTable {
    pub kind: String,
    pub operands: Option<OneOrMany>,
    pub values: Option<Vec<String>>,
}
