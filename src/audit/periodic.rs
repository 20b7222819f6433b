//! Checkpoints written by `gate exec` itself, every N entries, so that a signed copy of the head
//! lives outside the database without anyone remembering to run `gate audit checkpoint`.
//!
//! Settings (read from the environment once per process: nothing else on the hot path):
//! - `GATE_AUDIT_CHECKPOINT_EVERY=N`: write a checkpoint whenever an append makes the log's size a
//!   multiple of N (exactly one process does, whatever the concurrency). Unset or 0: never.
//! - `GATE_AUDIT_CHECKPOINT_FILE=PATH`: where (default: the database's path + `.checkpoint`). The
//!   file is replaced atomically, so a reader never sees half a note.
//! - the key: `GATE_AUDIT_KEY`, else `$XDG_CONFIG_HOME/gate/audit-key` (see `paths::audit_key`).
//!
//! Posting checkpoints to a webhook is not done yet.

use std::io::Write as _;
use std::os::unix::fs::OpenOptionsExt;
use std::path::{Path, PathBuf};

use super::AuditError;
use super::checkpoint::Checkpoint;
use super::entry::Entry;
use super::key::SecretKey;

/// When and where `gate exec` writes checkpoints.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Periodic {
    pub every: i64,
    pub out: PathBuf,
    pub key: PathBuf,
}

impl Periodic {
    /// The settings from the environment; `None` when periodic checkpoints are off.
    pub fn from_env(database: &Path) -> Option<Periodic> {
        let every = std::env::var("GATE_AUDIT_CHECKPOINT_EVERY")
            .ok()?
            .trim()
            .parse::<i64>()
            .ok()
            .filter(|n| *n > 0)?;
        let out = std::env::var_os("GATE_AUDIT_CHECKPOINT_FILE")
            .filter(|value| !value.is_empty())
            .map(PathBuf::from)
            .unwrap_or_else(|| {
                let mut path = database.as_os_str().to_owned();
                path.push(".checkpoint");
                PathBuf::from(path)
            });
        Some(Periodic { every, out, key: crate::paths::audit_key()? })
    }

    /// Whether the entry just appended is one to checkpoint.
    pub fn is_due(&self, appended: &Entry) -> bool {
        appended.seq % self.every == 0
    }
}

/// Signs a checkpoint of the log ending at `entry` with the key at `key` (made on first use) and
/// writes it to `out`, replacing the file atomically. Returns the note.
pub fn write(entry: &Entry, key: &Path, out: &Path) -> Result<String, AuditError> {
    let checkpoint =
        Checkpoint { log_id: entry.log_id.clone(), size: entry.seq, head_hash: entry.hash.clone() };
    let note = SecretKey::load_or_create(key)?.sign(&checkpoint);
    write_atomically(out, note.as_bytes())?;
    Ok(note)
}

/// Writes `bytes` to a temporary file beside `path`, then renames it over `path`.
pub fn write_atomically(path: &Path, bytes: &[u8]) -> Result<(), AuditError> {
    let failed = |source| AuditError::CheckpointWrite { path: path.to_path_buf(), source };
    let mut temporary = path.as_os_str().to_owned();
    temporary.push(format!(".tmp{}", std::process::id()));
    let temporary = PathBuf::from(temporary);
    let written = std::fs::OpenOptions::new()
        .write(true)
        .create(true)
        .truncate(true)
        .mode(0o644)
        .open(&temporary)
        .and_then(|mut file| file.write_all(bytes).and_then(|()| file.sync_all()))
        .and_then(|()| std::fs::rename(&temporary, path));
    if written.is_err() {
        let _ = std::fs::remove_file(&temporary);
    }
    written.map_err(failed)
}

/// Called by `gate exec` after each append: writes the checkpoint when one is due. A checkpoint
/// that cannot be written does not stop the command (the entry is recorded); it is reported.
pub fn after_append(periodic: Option<&Periodic>, appended: &Entry) {
    let Some(periodic) = periodic.filter(|p| p.is_due(appended)) else { return };
    if let Err(error) = write(appended, &periodic.key, &periodic.out) {
        let message = crate::display::escape_controls(&error.to_string());
        eprintln!("gate: warning: no checkpoint written at entry {}: {message}", appended.seq);
    }
}
