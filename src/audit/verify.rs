//! `verify`: checks a whole log file (folding its write-ahead log in first, the one change it
//! makes, which leaves every entry as it was), and, given a signed checkpoint, that the log
//! still holds the chain the checkpoint signed. A closed log is proved intact in one pass over
//! its file (`file_chain`); damage, or a log that is open or changing, is checked again through
//! SQLite, which names the first damaged entry. A missing file is an error and is never created;
//! a row that cannot be decoded is damage, not a failure. Without a checkpoint, entries deleted
//! from the end and a chain rebuilt from scratch cannot be seen; with one, they can (up to the
//! checkpoint's size).

use std::ops::ControlFlow;
use std::path::Path;

use super::AuditError;
use super::chain::{Damage, DamageKind, EntryView, Summary, Verifier, damage};
use super::checkpoint::Checkpoint;
use super::file_chain::{self, Fast};
use super::notice::Notice;
use super::store::{self, BadRow};

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
        /// What the file holds that is not damage, but worth knowing (see `Notice`). Only a
        /// closed log's file is checked: an open log has none.
        notices: Vec<Notice>,
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
    // The fast path and the file check read the file alone: gate's writers leave their recent
    // entries in the WAL between commands, so fold it in first where this user can (elsewhere,
    // on a read-only mount say, the log is read through SQLite, WAL and all).
    if store::wal_len(path).is_some_and(|len| len > 0) {
        store::fold_wal(path);
    }
    let watched = checkpoint.map(|c| c.size);
    // The file check knows the file of the current schema only; a log of an older version
    // (read here as it is, never migrated) has its chain checked, which is what proves it.
    let current = log.version() == store::SCHEMA_VERSION;
    let fast = if current { file_chain::verify(path, watched)? } else { Fast::Unsure };
    let Proved { summary, at_size, notices } = match fast {
        Fast::Intact { summary, at_size, notices } => Proved { summary, at_size, notices },
        doubt => match thorough(path, &log, watched, current)? {
            // Damage the file showed is damage, whatever a second reading makes of it.
            Ok(_) if let Fast::Damaged(found) = doubt => return Ok(found.into()),
            Ok(intact) => intact,
            Err(report) => return Ok(report),
        },
    };
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
        notices,
    })
}

/// An intact chain: its summary, the hash at the watched seq, and the file's notices.
struct Proved {
    summary: Summary,
    at_size: Option<String>,
    notices: Vec<Notice>,
}

/// The chain read through SQLite, with the file check beside it: the proof of an intact chain
/// that has the hash at seq `watched`, or the report naming the first damage.
fn thorough(
    path: &Path,
    log: &store::ReadLog,
    watched: Option<i64>,
    check_file: bool,
) -> Result<Result<Proved, VerifyReport>, AuditError> {
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
        let file = scope.spawn(|| match check_file {
            true => file_chain::check_closed(path, &mut |_, _| {}),
            false => Ok(None),
        });
        let chain = check_chain(path, log, split, watched);
        (chain, file.join().expect("the file check does not panic"))
    });
    let check = chain?;
    if let Some(damage) = check.found {
        return Ok(Err(damage.into()));
    }
    let summary = match check.verifier.finish() {
        Ok(summary) => summary,
        Err(damage) => return Ok(Err(damage.into())),
    };
    let notices = match file? {
        Some(Ok(checked)) if checked.rows != summary.entries => {
            let detail =
                format!("the file holds {} rows, but {} entries were read", checked.rows, summary.entries);
            return Ok(Err(file_chain::file_damage(detail).into()));
        }
        Some(Ok(checked)) => checked.notices,
        None => Vec::new(),
        Some(Err(found)) => return Ok(Err(file_chain::file_damage(found.to_string()).into())),
    };
    Ok(Ok(Proved { summary, at_size: check.at_size, notices }))
}

/// The chain check, of the whole log or of its two halves at once.
fn check_chain(
    path: &Path,
    log: &store::ReadLog,
    split: Option<(i64, i64, i64, String, String)>,
    watched: Option<i64>,
) -> Result<ChainCheck, AuditError> {
    Ok(match split {
        None => check_range(log, (i64::MIN, i64::MAX), ChainCheck::new(Verifier::new(), watched))?,
        Some((middle, max, seq, hash, log_id)) => {
            let (first, second) = std::thread::scope(|scope| {
                let second = scope.spawn(|| {
                    let log = store::open_read(path)?;
                    let resumed = Verifier::resume(seq, &hash, &log_id);
                    check_range(&log, (middle, max), ChainCheck::new(resumed, watched))
                });
                let first =
                    check_range(log, (i64::MIN, middle - 1), ChainCheck::new(Verifier::new(), watched));
                (first, second.join().expect("the verifier thread does not panic"))
            });
            let (first, second) = (first?, second?);
            first.then(second)
        }
    })
}

/// Logs at least this long are verified in two halves at once.
const SPLIT_ABOVE: i64 = 50_000;

/// How many threads verifying may keep busy.
pub(super) fn threads() -> usize {
    std::thread::available_parallelism().map_or(1, usize::from)
}

/// Pushes the rows of one seq range through a check.
fn check_range(
    log: &store::ReadLog,
    range: (i64, i64),
    mut check: ChainCheck,
) -> Result<ChainCheck, AuditError> {
    log.scan(range, |row| check.push(row))?;
    Ok(check)
}

/// A verifier fed rows until the first damage, which notes the hash of the entry at seq
/// `watched` (a checkpoint's size) on the way.
pub(super) struct ChainCheck {
    pub verifier: Verifier,
    watched: Option<i64>,
    pub at_size: Option<String>,
    pub found: Option<Damage>,
}

impl ChainCheck {
    pub fn new(verifier: Verifier, watched: Option<i64>) -> ChainCheck {
        ChainCheck { verifier, watched, at_size: None, found: None }
    }

    /// Checks the next row; `Break` at the first damage.
    pub fn push(&mut self, row: Result<EntryView<'_>, BadRow>) -> ControlFlow<()> {
        let pushed = match row {
            Ok(entry) => self.verifier.push_view(&entry),
            Err(bad) => Err(Damage {
                seq: bad.seq.unwrap_or_else(|| self.verifier.expected_seq()),
                kind: DamageKind::Undecodable,
                detail: bad.detail,
            }),
        };
        match pushed {
            Ok(()) => {
                if self.watched.is_some()
                    && let Some((_, hash)) =
                        self.verifier.head().filter(|(seq, _)| Some(*seq) == self.watched)
                {
                    self.at_size = Some(hash.to_string());
                }
                ControlFlow::Continue(())
            }
            Err(damage) => {
                self.found = Some(damage);
                ControlFlow::Break(())
            }
        }
    }

    /// Joins the check of the rest of the log (see `Verifier::resume`) to this one, unless
    /// this one found damage.
    pub fn then(self, later: ChainCheck) -> ChainCheck {
        if self.found.is_some() {
            return self;
        }
        ChainCheck {
            verifier: self.verifier.absorb(later.verifier),
            watched: self.watched,
            at_size: self.at_size.or(later.at_size),
            found: later.found,
        }
    }
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
