//! The audit log: an append-only, SHA-256 hash-chained record of every decision and outcome,
//! kept in one SQLite file. `store` is the only place that speaks SQL; `chain` is pure functions.

mod approvals;
mod argv;
pub mod chain;
pub mod checkpoint;
pub mod encoding;
mod entry;
mod file_chain;
mod file_check;
mod filter;
pub mod key;
mod lossless;
mod notice;
mod periodic;
#[cfg(test)]
mod property_tests;
mod store;
mod verify;

pub use approvals::{ApprovalCheck, verify_approvals};
pub use argv::{decode_argv, encode_argv};
pub use chain::{Damage, DamageKind, Summary, Verifier, verify_entries};
pub use checkpoint::{Checkpoint, CheckpointError};
pub use entry::{Entry, Kind, Record, export_columns, export_fields};
pub use filter::{Filter, parse_time};
pub use key::{KeyError, PublicKey, SecretKey};
pub use lossless::{decode_text, encode_text};
pub use notice::{Notice, NoticeKind};
pub use periodic::{
    Checkpoints, Periodic, post as post_checkpoint, sign as sign_checkpoint, write_atomically,
};
pub(crate) use store::open_read;
pub use store::{AuditLog, Durability, Head};
pub use verify::{VerifyReport, verify, verify_with};

use std::path::PathBuf;

#[derive(Debug, thiserror::Error)]
pub enum AuditError {
    #[error("cannot open the audit log {path}: {source}")]
    Open { path: PathBuf, source: rusqlite::Error },
    #[error("cannot write to the audit log {path}: {source}")]
    Write { path: PathBuf, source: rusqlite::Error },
    #[error("cannot read the audit log {path}: {source}")]
    Read { path: PathBuf, source: rusqlite::Error },
    #[error("cannot read the audit log file {path}: {source}")]
    ReadFile { path: PathBuf, source: std::io::Error },
    #[error("cannot create the folder {path} for the audit log: {source}")]
    CreateDir { path: PathBuf, source: std::io::Error },
    #[error("cannot create the audit log {path}: {source}")]
    CreateFile { path: PathBuf, source: std::io::Error },
    #[error(
        "the audit log {path} does not exist: check the path (nothing is recorded until gate runs a command)"
    )]
    Missing { path: PathBuf },
    #[error(
        "the audit log {path} is read-only for this user: make the file and its folder writable by this user"
    )]
    ReadOnly { path: PathBuf },
    #[error("cannot write to the audit log {path}: the disk is full; free some space and retry")]
    DiskFull { path: PathBuf },
    #[error(
        "the audit log {path} stayed locked by other processes for too long: retry, and look for a stuck process holding it"
    )]
    Busy { path: PathBuf },
    #[error(
        "the audit log {path} is damaged: SQLite cannot read the file (cut short or overwritten); keep it as evidence, move it aside and start a new log"
    )]
    Corrupt { path: PathBuf },
    #[error("{path} is not a gate audit log ({reason}): move it aside or use another path")]
    NotALog { path: PathBuf, reason: String },
    #[error(
        "the audit log {path} has schema version {version}, newer than this gate knows ({known}): upgrade gate"
    )]
    TooNew { path: PathBuf, version: i64, known: i64 },
    #[error(
        "the audit log {path} has no entries, not even its genesis entry: it was emptied; keep it as evidence and move it aside to start a new log"
    )]
    Emptied { path: PathBuf },
    #[error("entry {seq} of the audit log {path} cannot be read ({detail}): run `gate audit verify`")]
    Undecodable { path: PathBuf, seq: i64, detail: String },
    #[error(
        "the checkpoint is for log {checkpoint}, but {path} is log {log}: pass this log's checkpoint, or, if it is the right one, the log was replaced by another"
    )]
    CheckpointOfAnotherLog { path: PathBuf, checkpoint: String, log: String },
    #[error(transparent)]
    Key(#[from] KeyError),
    #[error("cannot write the checkpoint {path}: {source}")]
    CheckpointWrite { path: PathBuf, source: std::io::Error },
    #[error("refusing to append to the audit log {path}: {reason}")]
    Invalid { path: PathBuf, reason: &'static str },
}
