//! Asking a human. Every channel (the terminal now; the broker for Slack, Teams and webhooks later)
//! sits behind [`Approver`]. No answer in time, or no way to ask, means no.

mod ask;
mod broker;
pub mod broker_config;
mod interrupt;
pub mod signed;
mod terminal;
mod tty;
pub mod wire;

pub use ask::ask;
pub use broker::BrokerClient;
pub use broker_config::{BrokerChoice, BrokerConfig};
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
    /// The same facts unescaped, as the audit log records them, for the broker.
    pub facts: Facts,
}

/// A request's facts as recorded in the decision entry: what the broker is sent and what its
/// signed decision's command hash covers.
#[derive(Clone, Debug, Default)]
pub struct Facts {
    /// The audit log's `argv` text, for an argument vector.
    pub argv: Option<String>,
    /// The `-c` line.
    pub line: Option<String>,
    pub cwd: String,
    pub user: String,
    pub uid: u32,
    pub host: String,
    pub pid: u32,
    pub parent: String,
    pub rule: Option<String>,
    pub reason: String,
}

impl Facts {
    /// The hash a signed decision must name.
    pub fn command_sha256(&self) -> String {
        signed::command_sha256(self.argv.as_deref(), self.line.as_deref(), &self.cwd)
    }
}

/// Who answered and how, when a human did.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Answered {
    /// The person (or people, comma-separated, for a quorum) who decided.
    pub approver: String,
    /// How: `terminal`, `cli`, `web`, `webhook:NAME`… (comma-separated, as the approvers).
    pub channel: String,
    pub comment: Option<String>,
    /// The broker's signed decision, verified, when the answer came through one.
    pub signed: Option<signed::SignedDecision>,
}

impl Answered {
    /// An answer on the terminal: its owner, no signature.
    pub fn on_terminal(approver: String) -> Answered {
        Answered { approver, channel: "terminal".into(), comment: None, signed: None }
    }
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
    Approved(Answered),
    /// A human said no (Enter alone counts as no).
    Rejected(Answered),
    /// Nobody answered in time.
    TimedOut { channel: String },
    /// There was no way to ask anyone; `why` tells the user how approval can be given.
    NoApprover { why: String },
    /// Asking failed: the broker could not be reached or refused the request, or its answer did
    /// not verify (signature, key, request, command). `why` says which.
    Failed { why: String },
    /// The policy said ask, and gate handed the question to the agent's own permission prompt
    /// (Claude Code's `ask`): the agent asks its user and runs the command if they agree.
    HandedToAgent { agent: String },
}

impl Verdict {
    /// Whether the command may run.
    pub fn permits(&self) -> bool {
        matches!(self, Verdict::Allowed | Verdict::Approved(_))
    }

    /// The name recorded in the audit log.
    pub fn as_str(&self) -> &'static str {
        match self {
            Verdict::Allowed => "allowed",
            Verdict::Denied => "denied",
            Verdict::Approved(_) => "approved",
            Verdict::Rejected(_) => "rejected",
            Verdict::TimedOut { .. } => "timed-out",
            Verdict::NoApprover { .. } => "no-approver",
            Verdict::Failed { .. } => "approval-failed",
            Verdict::HandedToAgent { .. } => "asked-in-agent",
        }
    }

    pub fn answered(&self) -> Option<&Answered> {
        match self {
            Verdict::Approved(answered) | Verdict::Rejected(answered) => Some(answered),
            _ => None,
        }
    }

    pub fn approver(&self) -> Option<&str> {
        self.answered().map(|answered| answered.approver.as_str())
    }

    pub fn channel(&self) -> &str {
        match self {
            Verdict::Allowed | Verdict::Denied => "policy",
            Verdict::Approved(answered) | Verdict::Rejected(answered) => &answered.channel,
            Verdict::TimedOut { channel } => channel,
            Verdict::NoApprover { .. } => "none",
            Verdict::Failed { .. } => "broker",
            Verdict::HandedToAgent { agent } => agent,
        }
    }

    /// Why no answer could be had, for the decision entry's `error`.
    pub fn error(&self) -> Option<&str> {
        match self {
            Verdict::NoApprover { why } | Verdict::Failed { why } => Some(why),
            _ => None,
        }
    }
}

/// A way to ask a human.
pub trait Approver {
    /// Asks, and waits at most `request.timeout` for the answer.
    fn ask(&self, request: &ApprovalRequest) -> Verdict;
}
