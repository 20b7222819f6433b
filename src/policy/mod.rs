//! The policy: TOML rules that classify a command line as allow, ask or deny.
//! `raw` mirrors the file, `load` finds and validates it, `rule` holds compiled rules,
//! `classify` judges an analysed line.

mod decision;

pub use decision::Decision;

use std::path::PathBuf;

#[derive(Debug, thiserror::Error)]
pub enum PolicyError {
    #[error("cannot read the policy {path}: {source}")]
    Read {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("invalid policy:\n{0}")]
    Invalid(String),
}
