//! The broker's signatures in a log: given the broker's public key, every decision entry that a
//! broker answered must carry a decision signed by that key, for that entry's request id and
//! exact command (argv or line, and cwd), with the decision, approvers and channels the entry
//! records. This is what proves offline, from the log alone, who approved which command.
//!
//! An approval with a channel other than the terminal and no signed decision is reported too:
//! it would be a claim of a remote approval that nothing proves.

use std::ops::ControlFlow;
use std::path::Path;

use super::{AuditError, Entry, Filter, PublicKey};
use crate::approval::signed::{Answer, SignedDecision, command_sha256};

/// What checking the signatures found.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ApprovalCheck {
    /// Decision entries whose signed decision verified.
    pub verified: u64,
    /// The first entry that failed, and why.
    pub failed: Option<(i64, String)>,
}

/// Checks every decision entry of the log at `path` against the broker's key.
pub fn verify_approvals(path: &Path, key: &PublicKey) -> Result<ApprovalCheck, AuditError> {
    let log = super::open_read(path)?;
    let mut check = ApprovalCheck { verified: 0, failed: None };
    log.walk(&Filter::default(), |entry| match check_entry(&entry, key) {
        Ok(false) => ControlFlow::Continue(()),
        Ok(true) => {
            check.verified += 1;
            ControlFlow::Continue(())
        }
        Err(why) => {
            check.failed = Some((entry.seq, why));
            ControlFlow::Break(())
        }
    })?;
    Ok(check)
}

/// `Ok(true)` when the entry carries a signed decision that holds, `Ok(false)` when it needs
/// none, `Err` when it carries one that does not hold or lacks one it needs.
fn check_entry(entry: &Entry, key: &PublicKey) -> Result<bool, String> {
    let record = &entry.record;
    let verdict = record.verdict.as_deref();
    let Some(text) = &record.approval else {
        let remote = record.channel.as_deref().is_some_and(|c| !matches!(c, "terminal" | "policy"));
        return match verdict {
            Some("approved") if remote => {
                Err("an approval through the broker with no signed decision".to_string())
            }
            _ => Ok(false),
        };
    };
    let signed = SignedDecision::from_text(text).map_err(|e| e.to_string())?;
    let request_id = record.request_id.as_deref().unwrap_or_default();
    let hash =
        command_sha256(record.argv.as_deref(), record.line.as_deref(), record.cwd.as_deref().unwrap_or(""));
    let document = signed.verify(key, request_id, &hash).map_err(|e| e.to_string())?;
    let expected = match document.decision {
        Answer::Approve => "approved",
        Answer::Deny => "rejected",
    };
    if verdict != Some(expected) {
        return Err(format!(
            "the verdict is {verdict:?} but the broker signed {}",
            document.decision.as_str()
        ));
    }
    let join = |pick: fn(&crate::approval::signed::Signer) -> &str| {
        document.approvers.iter().map(pick).collect::<Vec<_>>().join(",")
    };
    if record.approver.as_deref() != Some(join(|s| s.person.as_str()).as_str()) {
        return Err(format!(
            "the approver is {:?} but the broker signed {:?}",
            record.approver,
            join(|s| s.person.as_str())
        ));
    }
    if record.channel.as_deref() != Some(join(|s| s.channel.as_str()).as_str()) {
        return Err(format!(
            "the channel is {:?} but the broker signed {:?}",
            record.channel,
            join(|s| s.channel.as_str())
        ));
    }
    Ok(true)
}
