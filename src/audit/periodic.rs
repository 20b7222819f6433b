//! Checkpoints written by `gate exec` itself, every N entries, so that a signed copy of the head
//! lives outside the database without anyone remembering to run `gate audit checkpoint`.
//!
//! Settings (read from the environment once per process: nothing else on the hot path):
//! - `GATE_AUDIT_CHECKPOINT_EVERY=N`: write a checkpoint whenever an append makes the log's size a
//!   multiple of N (exactly one process does, whatever the concurrency). Unset: never. A value
//!   that is not a positive whole number is warned about on stderr and writes no checkpoint.
//! - `GATE_AUDIT_CHECKPOINT_FILE=PATH`: where (default: the database's path + `.checkpoint`). The
//!   file is replaced atomically, so a reader never sees half a note.
//! - `GATE_AUDIT_CHECKPOINT_URL=URL`: also POST each one to this webhook (see `post`), on a thread
//!   of its own while the command runs; `gate exec` waits for it (at most `webhook::TIMEOUT`)
//!   before it exits. A post that fails is reported on stderr; the file copy is written anyway.
//! - the key: `GATE_AUDIT_KEY`, else `$XDG_CONFIG_HOME/gate/audit-key` (see `paths::audit_key`).

use std::path::{Path, PathBuf};

use super::AuditError;
use super::checkpoint::Checkpoint;
use super::entry::Entry;
use super::key::SecretKey;
use crate::webhook::{Webhook, WebhookError};

/// When and where `gate exec` writes checkpoints.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Periodic {
    pub every: i64,
    pub out: PathBuf,
    pub key: PathBuf,
    /// The webhook to post each checkpoint to, as given (checked when one is posted).
    pub post: Option<String>,
}

impl Periodic {
    /// The settings from the environment; `None` when periodic checkpoints are off.
    pub fn from_env(database: &Path) -> Option<Periodic> {
        let every = every(std::env::var_os("GATE_AUDIT_CHECKPOINT_EVERY")?)
            .inspect_err(|why| {
                eprintln!("gate: warning: GATE_AUDIT_CHECKPOINT_EVERY {why}: no checkpoint is written")
            })
            .ok()?;
        let out = std::env::var_os("GATE_AUDIT_CHECKPOINT_FILE")
            .filter(|value| !value.is_empty())
            .map(PathBuf::from)
            .unwrap_or_else(|| {
                let mut path = database.as_os_str().to_owned();
                path.push(".checkpoint");
                PathBuf::from(path)
            });
        let post = std::env::var("GATE_AUDIT_CHECKPOINT_URL").ok().filter(|url| !url.is_empty());
        Some(Periodic { every, out, key: crate::paths::audit_key()?, post })
    }

    /// Whether the entry just appended is one to checkpoint.
    pub fn is_due(&self, appended: &Entry) -> bool {
        appended.seq % self.every == 0
    }
}

/// Reads `GATE_AUDIT_CHECKPOINT_EVERY`: a positive whole number, or why it is not one.
fn every(value: std::ffi::OsString) -> Result<i64, String> {
    let text = value.to_string_lossy();
    let shown = crate::display::escape_controls(&text);
    match text.trim().parse::<i64>() {
        Ok(n) if n > 0 => Ok(n),
        Ok(n) => Err(format!("is {n}: it must be a whole number of entries above 0")),
        Err(_) => Err(format!("is {shown:?}, not a whole number of entries")),
    }
}

/// Signs a checkpoint of the log ending at `entry` with the key at `key` (made on first use) and
/// writes it to `out`, replacing the file atomically. Returns the checkpoint and its note.
pub fn write(entry: &Entry, key: &Path, out: &Path) -> Result<(Checkpoint, String), AuditError> {
    let (checkpoint, note) = sign(entry, key)?;
    write_atomically(out, note.as_bytes())?;
    Ok((checkpoint, note))
}

/// The checkpoint of the log ending at `entry`, and its note signed with the key at `key` (made
/// on first use).
pub fn sign(entry: &Entry, key: &Path) -> Result<(Checkpoint, String), AuditError> {
    let checkpoint =
        Checkpoint { log_id: entry.log_id.clone(), size: entry.seq, head_hash: entry.hash.clone() };
    let note = SecretKey::load_or_create(key)?.sign(&checkpoint);
    Ok((checkpoint, note))
}

/// Posts a signed checkpoint to a webhook as JSON: its fields, the note itself (what `gate audit
/// verify --checkpoint` reads), and a `text` line for chat webhooks that show only that.
pub fn post(url: &str, checkpoint: &Checkpoint, note: &str) -> Result<(), WebhookError> {
    let text = format!(
        "gate audit checkpoint: log {} has {} entries, head {}",
        checkpoint.log_id, checkpoint.size, checkpoint.head_hash
    );
    let body = serde_json::json!({
        "type": "gate.audit.checkpoint",
        "log_id": checkpoint.log_id,
        "size": checkpoint.size,
        "head_hash": checkpoint.head_hash,
        "note": note,
        "text": text,
    });
    Webhook::parse(url)?.post_json(&body, crate::webhook::TIMEOUT)
}

/// Writes `bytes` to a temporary file beside `path`, then renames it over `path`.
pub fn write_atomically(path: &Path, bytes: &[u8]) -> Result<(), AuditError> {
    crate::files::replace(path, &[bytes], crate::files::Mode::AtMost(0o644), true)
        .map_err(|source| AuditError::CheckpointWrite { path: path.to_path_buf(), source })
}

/// The checkpoints of one `gate exec`: written when due, posted on threads of their own, which
/// are waited for when this is dropped (each post is bounded by its timeout). A checkpoint that
/// cannot be written or posted does not stop the command (the entry is recorded); it is reported.
#[derive(Debug, Default)]
pub struct Checkpoints {
    periodic: Option<Periodic>,
    posts: Vec<std::thread::JoinHandle<()>>,
}

impl Checkpoints {
    pub fn from_env(database: &Path) -> Checkpoints {
        Checkpoints { periodic: Periodic::from_env(database), posts: Vec::new() }
    }

    /// Called after each append: writes (and posts) the checkpoint when one is due.
    pub fn after_append(&mut self, appended: &Entry) {
        let Some(periodic) = self.periodic.as_ref().filter(|p| p.is_due(appended)) else { return };
        let seq = appended.seq;
        let (checkpoint, note) = match write(appended, &periodic.key, &periodic.out) {
            Ok(written) => written,
            Err(error) => return warn(&format!("no checkpoint written at entry {seq}: {error}")),
        };
        if let Some(url) = periodic.post.clone() {
            self.posts.push(std::thread::spawn(move || {
                if let Err(error) = post(&url, &checkpoint, &note) {
                    warn(&format!("the checkpoint at entry {seq} was not posted: {error}"));
                }
            }));
        }
    }
}

impl Drop for Checkpoints {
    fn drop(&mut self) {
        for post in self.posts.drain(..) {
            let _ = post.join();
        }
    }
}

fn warn(message: &str) {
    eprintln!("gate: warning: {}", crate::display::escape_controls(message));
}
