//! `verify`: checks a whole log file, read-only, streaming its rows through the chain verifier,
//! and, given a signed checkpoint, that the log still holds the chain the checkpoint signed.
//! A missing file is an error and is never created; a row that cannot be decoded is damage, not a
//! failure. Without a checkpoint, entries deleted from the end and a chain rebuilt from scratch
//! cannot be seen; with one, they can (up to the checkpoint's size).

use std::ops::ControlFlow;
use std::path::Path;

use super::AuditError;
use super::chain::{Damage, DamageKind, Verifier, damage};
use super::checkpoint::Checkpoint;
use super::file_check::{self, Checked};
use super::store;

/// The verdict on a log file.
#[derive(Clone, Debug, PartialEq, Eq)]
#[must_use]
pub enum VerifyReport {
    Intact {
        entries: u64,
        head_hash: String,
        log_id: String,
        /// Decisions that let a command run with no outcome entry (see `Summary`).
        incomplete: Vec<i64>,
        /// The size of the checkpoint the log was checked against, if any.
        checkpoint: Option<i64>,
    },
    /// The first bad entry.
    Damaged { seq: i64, kind: DamageKind, detail: String },
}

impl From<Damage> for VerifyReport {
    fn from(damage: Damage) -> VerifyReport {
        VerifyReport::Damaged { seq: damage.seq, kind: damage.kind, detail: damage.detail }
    }
}

/// Verifies the log at `path`; `Err` only when it cannot be read at all.
pub fn verify(path: &Path) -> Result<VerifyReport, AuditError> {
    verify_with(path, None)
}

/// Verifies the log at `path` and, when given, against a checkpoint whose signature the caller
/// has already checked. A checkpoint of another log is an error (it proves nothing here).
pub fn verify_with(path: &Path, checkpoint: Option<&Checkpoint>) -> Result<VerifyReport, AuditError> {
    let log = store::open_read(path)?;
    let watched = checkpoint.map(|c| c.size);
    // A large log is checked in two halves at once, each on its own connection; the second
    // half starts from the stored hash of the last entry of the first, which the first checks.
    let split = match log.bounds()? {
        Some((max, log_id)) if max >= SPLIT_ABOVE && threads() > 1 => {
            let middle = max / 2;
            log.before(middle)?.map(|(seq, hash)| (middle, max, seq, hash, log_id))
        }
        _ => None,
    };
    // The file's bytes are checked meanwhile, on a thread of their own.
    let (chain, file) = std::thread::scope(|scope| {
        let file = scope.spawn(|| check_file(path));
        let chain = check_chain(path, &log, split, watched);
        (chain, file.join().expect("the file check does not panic"))
    });
    let (damage, verifier, at_size) = chain?;
    if let Some(damage) = damage {
        return Ok(damage.into());
    }
    let summary = match verifier.finish() {
        Ok(summary) => summary,
        Err(damage) => return Ok(damage.into()),
    };
    let file_damage = match file? {
        Some(Ok(rows)) if rows != summary.entries => {
            Some(format!("the file holds {rows} rows, but {} entries were read", summary.entries))
        }
        Some(Ok(_)) | None => None,
        Some(Err(detail)) => Some(detail),
    };
    if let Some(detail) = file_damage {
        return Ok(VerifyReport::Damaged { seq: 0, kind: DamageKind::FileDamaged, detail });
    }
    if let Some(checkpoint) = checkpoint {
        if checkpoint.log_id != summary.log_id {
            return Err(AuditError::CheckpointOfAnotherLog {
                path: path.to_path_buf(),
                checkpoint: checkpoint.log_id.clone(),
                log: summary.log_id,
            });
        }
        if let Some(mismatch) = against_checkpoint(checkpoint, summary.entries, at_size.as_deref()) {
            return Ok(mismatch.into());
        }
    }
    Ok(VerifyReport::Intact {
        entries: summary.entries,
        head_hash: summary.head_hash,
        log_id: summary.log_id,
        incomplete: summary.incomplete,
        checkpoint: checkpoint.map(|c| c.size),
    })
}

/// The chain check, of the whole log or of its two halves at once.
fn check_chain(
    path: &Path,
    log: &store::ReadLog,
    split: Option<(i64, i64, i64, String, String)>,
    watched: Option<i64>,
) -> Result<(Option<Damage>, Verifier, Option<String>), AuditError> {
    Ok(match split {
        None => check_range(log, (i64::MIN, i64::MAX), Verifier::new(), watched)?,
        Some((middle, max, seq, hash, log_id)) => {
            let (first, second) = std::thread::scope(|scope| {
                let second = scope.spawn(|| {
                    let log = store::open_read(path)?;
                    check_range(&log, (middle, max), Verifier::resume(seq, &hash, &log_id), watched)
                });
                let first = check_range(log, (i64::MIN, middle - 1), Verifier::new(), watched);
                (first, second.join().expect("the verifier thread does not panic"))
            });
            let (first, second) = (first?, second?);
            match (first, second) {
                ((Some(damage), verifier, at), _) => (Some(damage), verifier, at),
                ((None, earlier, at), (damage, later, at_later)) => {
                    (damage, earlier.absorb(later), at.or(at_later))
                }
            }
        }
    })
}

/// The strict check of the file's bytes (see `file_check`), when the log is closed: with a
/// non-empty `-wal` file, pages there supersede the main file's, so the main file alone is not
/// the log (gate's writers fold the WAL in and remove it when the last one closes). The chain
/// check through SQLite covers such a log; this one is skipped. A log that changes while it is
/// checked is not called damaged for it: the check is skipped too.
/// Returns the number of rows of `entries` it found, or what is wrong.
fn check_file(path: &Path) -> Result<Option<Result<u64, String>>, AuditError> {
    let read = |source| AuditError::ReadFile { path: path.to_path_buf(), source };
    let wal = std::path::PathBuf::from(format!("{}-wal", path.display()));
    let closed = || std::fs::metadata(&wal).map_or(true, |m| m.len() == 0);
    let stamp = |file: &std::fs::File| file.metadata().map(|m| (m.len(), m.modified().ok()));
    if !closed() {
        return Ok(None);
    }
    let file = std::fs::File::open(path).map_err(read)?;
    let before = stamp(&file).map_err(read)?;
    static SCHEMA: std::sync::OnceLock<Vec<store::SchemaRow>> = std::sync::OnceLock::new();
    let schema = match SCHEMA.get() {
        Some(schema) => schema,
        None => {
            let rows = store::expected_rows()
                .map_err(|source| AuditError::Read { path: path.to_path_buf(), source })?;
            SCHEMA.get_or_init(|| rows)
        }
    };
    let expect = file_check::Expect {
        user_version: u32::try_from(store::SCHEMA_VERSION).unwrap_or(0),
        application_id: store::APPLICATION_ID,
        sqlite_version: u32::try_from(rusqlite::version_number()).unwrap_or(0),
        schema,
    };
    let found = file_check::check(&file, before.0, &expect).map_err(read)?;
    let unchanged = closed() && stamp(&file).map_err(read)? == before;
    Ok(unchanged.then(|| found.map(|Checked { rows }| rows).map_err(|found| found.to_string())))
}

/// Logs at least this long are verified in two halves at once.
const SPLIT_ABOVE: i64 = 50_000;

fn threads() -> usize {
    std::thread::available_parallelism().map_or(1, usize::from)
}

/// Pushes the rows of one seq range through a verifier: the first damage, the verifier, and the
/// hash of the entry at seq `watched` when the range holds it intact.
fn check_range(
    log: &store::ReadLog,
    range: (i64, i64),
    mut verifier: Verifier,
    watched: Option<i64>,
) -> Result<(Option<Damage>, Verifier, Option<String>), AuditError> {
    let mut found = None;
    let mut at_size = None;
    log.scan(range, |row| {
        let pushed = match row {
            Ok(entry) => verifier.push_view(&entry),
            Err(bad) => Err(Damage {
                seq: bad.seq.unwrap_or_else(|| verifier.expected_seq()),
                kind: DamageKind::Undecodable,
                detail: bad.detail,
            }),
        };
        match pushed {
            Ok(()) => {
                if watched.is_some()
                    && let Some((_, hash)) = verifier.head().filter(|(seq, _)| Some(*seq) == watched)
                {
                    at_size = Some(hash.to_string());
                }
                ControlFlow::Continue(())
            }
            Err(damage) => {
                found = Some(damage);
                ControlFlow::Break(())
            }
        }
    })?;
    Ok((found, verifier, at_size))
}

/// What an intact chain of `entries` entries, whose entry at the checkpoint's size has hash
/// `at_size`, says about the checkpoint: nothing when it still holds the signed chain.
fn against_checkpoint(checkpoint: &Checkpoint, entries: u64, at_size: Option<&str>) -> Option<Damage> {
    let size = checkpoint.size;
    let kind = DamageKind::CheckpointMismatch;
    if i64::try_from(entries).unwrap_or(i64::MAX) < size {
        let detail = format!(
            "the log ends at entry {entries} but a checkpoint signed {size} entries: entries were deleted from the end, or the log was rolled back to an older copy"
        );
        return Some(damage(i64::try_from(entries).unwrap_or(i64::MAX).saturating_add(1), kind, detail));
    }
    match at_size {
        Some(hash) if hash == checkpoint.head_hash => None,
        hash => {
            let hash = hash.unwrap_or("?");
            let detail = format!(
                "entry {size} has hash {hash} but the checkpoint signed {}: the chain was rebuilt, or the log was replaced by a different copy",
                checkpoint.head_hash
            );
            Some(damage(size, kind, detail))
        }
    }
}

#[cfg(test)]
#[path = "verify_tests.rs"]
mod tests;
