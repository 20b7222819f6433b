//! `verify`: checks a whole log file, read-only, streaming its rows through the chain verifier.
//! A missing file is an error and is never created; a row that cannot be decoded is damage, not a
//! failure. Entries deleted from the end cannot be seen yet (that needs checkpoints of the head).

use std::ops::ControlFlow;
use std::path::Path;

use super::AuditError;
use super::chain::{Damage, DamageKind, Verifier};
use super::store;

/// The verdict on a log file.
#[derive(Clone, Debug, PartialEq, Eq)]
#[must_use]
pub enum VerifyReport {
    Intact {
        entries: u64,
        head_hash: String,
        log_id: String,
    },
    /// The first bad entry.
    Damaged {
        seq: i64,
        kind: DamageKind,
        detail: String,
    },
}

impl From<Damage> for VerifyReport {
    fn from(damage: Damage) -> VerifyReport {
        VerifyReport::Damaged { seq: damage.seq, kind: damage.kind, detail: damage.detail }
    }
}

/// Verifies the log at `path`; `Err` only when it cannot be read at all.
pub fn verify(path: &Path) -> Result<VerifyReport, AuditError> {
    let mut verifier = Verifier::new();
    let mut found: Option<Damage> = None;
    store::scan(path, |row| {
        let pushed = match row {
            Ok(entry) => verifier.push(&entry),
            Err(bad) => Err(Damage {
                seq: bad.seq.unwrap_or_else(|| verifier.expected_seq()),
                kind: DamageKind::Undecodable,
                detail: bad.detail,
            }),
        };
        match pushed {
            Ok(()) => ControlFlow::Continue(()),
            Err(damage) => {
                found = Some(damage);
                ControlFlow::Break(())
            }
        }
    })?;
    if let Some(damage) = found {
        return Ok(damage.into());
    }
    Ok(match verifier.finish() {
        Ok(summary) => VerifyReport::Intact {
            entries: summary.entries,
            head_hash: summary.head_hash,
            log_id: summary.log_id,
        },
        Err(damage) => damage.into(),
    })
}

#[cfg(test)]
#[path = "verify_tests.rs"]
mod tests;
