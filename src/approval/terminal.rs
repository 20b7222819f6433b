//! Placeholder: the terminal prompt on /dev/tty.

use super::{ApprovalRequest, Approver, Verdict};

pub struct TerminalApprover;

impl Approver for TerminalApprover {
    fn ask(&self, _request: &ApprovalRequest) -> Verdict {
        Verdict::NoApprover { why: "the terminal prompt is not implemented yet".into() }
    }
}
