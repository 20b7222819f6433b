//! The audit log: an append-only, SHA-256 hash-chained record of every decision and outcome,
//! kept in one SQLite file. `store` is the only place that speaks SQL; `chain` is pure functions.

mod entry;

pub use entry::{Entry, Kind, Record};

use std::path::PathBuf;

#[derive(Debug, thiserror::Error)]
pub enum AuditError {
    #[error("cannot open the audit log {path}: {source}")]
    Open { path: PathBuf, source: rusqlite::Error },
    #[error("cannot write to the audit log {path}: {source}")]
    Write { path: PathBuf, source: rusqlite::Error },
    #[error("cannot read the audit log {path}: {source}")]
    Read { path: PathBuf, source: rusqlite::Error },
    #[error("cannot create the folder {path} for the audit log: {source}")]
    CreateDir { path: PathBuf, source: std::io::Error },
}

mod stub;
pub use stub::*;
