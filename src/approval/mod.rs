//! Asking a human. Every channel (the terminal now; the broker for Slack, Teams and webhooks later)
//! sits behind [`Approver`]. No answer in time, or no way to ask, means no.

mod interrupt;
pub mod signed;
mod terminal;
mod tty;
pub mod wire;

pub use terminal::TerminalApprover;

use std::time::Duration;

/// What a human is shown. Every text field is already escaped for display.
#[derive(Clone, Debug)]
pub struct ApprovalRequest {
    pub request_id: String,
    pub command: String,
    pub rule: Option<String>,
    pub reason: String,
    pub cwd: String,
    pub user: String,
    pub host: String,
    /// The parent process that asked (pid and command line).
    pub parent: String,
    pub timeout: Duration,
}

/// The final word on a request.
#[derive(Clone, Debug, PartialEq, Eq)]
#[must_use]
pub enum Verdict {
    /// The policy allowed it; nobody was asked.
    Allowed,
    /// The policy denied it; nobody was asked.
    Denied,
    /// A human approved it.
    Approved { approver: String, channel: &'static str },
    /// A human said no (Enter alone counts as no).
    Rejected { approver: String, channel: &'static str },
    /// Nobody answered in time.
    TimedOut { channel: &'static str },
    /// There was no way to ask anyone; `why` tells the user how approval can be given.
    NoApprover { why: String },
}

impl Verdict {
    /// Whether the command may run.
    pub fn permits(&self) -> bool {
        matches!(self, Verdict::Allowed | Verdict::Approved { .. })
    }

    /// The name recorded in the audit log.
    pub fn as_str(&self) -> &'static str {
        match self {
            Verdict::Allowed => "allowed",
            Verdict::Denied => "denied",
            Verdict::Approved { .. } => "approved",
            Verdict::Rejected { .. } => "rejected",
            Verdict::TimedOut { .. } => "timed-out",
            Verdict::NoApprover { .. } => "no-approver",
        }
    }

    pub fn approver(&self) -> Option<&str> {
        match self {
            Verdict::Approved { approver, .. } | Verdict::Rejected { approver, .. } => Some(approver),
            _ => None,
        }
    }

    pub fn channel(&self) -> &'static str {
        match self {
            Verdict::Allowed | Verdict::Denied => "policy",
            Verdict::Approved { channel, .. }
            | Verdict::Rejected { channel, .. }
            | Verdict::TimedOut { channel } => channel,
            Verdict::NoApprover { .. } => "none",
        }
    }
}

/// A way to ask a human.
pub trait Approver {
    /// Asks, and waits at most `request.timeout` for the answer.
    fn ask(&self, request: &ApprovalRequest) -> Verdict;
}
