//! The broker's state behind one trait whose methods are the state changes, each atomic (one
//! transaction). [`SqliteStore`] is the embedded backend; a PostgreSQL backend for several
//! brokers on one database implements the same trait. Nothing outside this module speaks SQL.
//!
//! The methods block: the HTTP side calls them through `tokio::task::spawn_blocking`.

mod sqlite;

pub use sqlite::SqliteStore;

use crate::approval::signed::{Answer, SignedDecision, Signer};
use crate::approval::wire::{NewRequest, State};

use super::decide::{Plan, Refusal};
use super::signing::DecisionSigner;

#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    #[error("the broker database {path} cannot be opened: {reason}")]
    Open { path: String, reason: String },
    #[error("the broker database failed: {0}")]
    Database(String),
    #[error("request {0} exists already")]
    Duplicate(String),
    #[error("no request {0}")]
    NotFound(String),
    #[error("the prefix {prefix} matches {count} requests: give more of the id")]
    Ambiguous { prefix: String, count: usize },
}

impl From<rusqlite::Error> for StoreError {
    fn from(error: rusqlite::Error) -> StoreError {
        StoreError::Database(error.to_string())
    }
}

impl From<serde_json::Error> for StoreError {
    fn from(error: serde_json::Error) -> StoreError {
        StoreError::Database(format!("a stored value does not read back: {error}"))
    }
}

/// A request as stored.
#[derive(Clone, Debug, PartialEq)]
pub struct StoredRequest {
    pub id: String,
    /// The host its token proved.
    pub host: String,
    pub body: NewRequest,
    pub plan: Plan,
    /// RFC 3339.
    pub created: String,
    /// Unix seconds, already shortened to the route's timeout.
    pub deadline: i64,
    pub state: State,
    /// The answers that counted, in order: approvals, and the deny when denied.
    pub approvals: Vec<Signer>,
    pub signed: Option<SignedDecision>,
    /// Why it was withdrawn.
    pub note: Option<String>,
}

impl StoredRequest {
    /// The approvals counted towards the quorum.
    pub fn approved_count(&self) -> u32 {
        let denied = self.state == State::Denied;
        (self.approvals.len() - usize::from(denied && !self.approvals.is_empty())) as u32
    }
}

/// One decision attempt, before it is judged.
#[derive(Clone, Debug)]
pub struct Attempt {
    pub request_id: String,
    pub person: String,
    /// `cli`, `webhook:NAME`, `web`, `slack:NAME`.
    pub channel: String,
    pub answer: Answer,
    pub comment: Option<String>,
    /// Unix seconds and its RFC 3339 form.
    pub now: i64,
    pub time: String,
    /// Refused before the request was looked at (who asked is not allowed to say this); still
    /// logged.
    pub refused: Option<Refusal>,
}

/// What became of an attempt.
#[derive(Debug)]
pub enum Attempted {
    /// It counted; `became_final` when it made the request approved or denied.
    Counted {
        request: Box<StoredRequest>,
        became_final: bool,
    },
    Refused(Refusal),
}

/// An attempt as the broker's log keeps it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct AttemptRecord {
    pub time: String,
    pub person: String,
    pub channel: String,
    pub answer: Answer,
    pub comment: Option<String>,
    pub accepted: bool,
    /// `counted`, `approved`, `denied`, or the refusal's message.
    pub reason: String,
}

pub trait Store: Send + Sync {
    /// Stores a new pending request; [`StoreError::Duplicate`] when its id is taken.
    fn create_request(&self, request: &StoredRequest) -> Result<(), StoreError>;
    fn get(&self, id: &str) -> Result<Option<StoredRequest>, StoreError>;
    /// The one request whose id starts with `prefix`.
    fn find_by_prefix(&self, prefix: &str) -> Result<StoredRequest, StoreError>;
    /// Requests in `state` (all when `None`), oldest first.
    fn list(&self, state: Option<State>) -> Result<Vec<StoredRequest>, StoreError>;
    /// Judges and records one answer, in one transaction: the attempt is logged whatever the
    /// outcome, and an answer that makes the request final sets its state and stores the signed
    /// decision, so the first decisive answer wins.
    fn record_attempt(&self, attempt: &Attempt, signer: &DecisionSigner) -> Result<Attempted, StoreError>;
    /// Marks a pending request withdrawn; returns it as it now stands (a final request unchanged).
    fn withdraw(&self, id: &str, reason: &str, time: &str) -> Result<StoredRequest, StoreError>;
    /// Marks every pending request whose deadline is before `now` expired, and returns them.
    fn expire_due(&self, now: i64, time: &str) -> Result<Vec<StoredRequest>, StoreError>;
    /// The log of a request's attempts, in order.
    fn attempts(&self, id: &str) -> Result<Vec<AttemptRecord>, StoreError>;
    /// Notes where chat channel `channel` posted a copy of a request's message (once).
    fn add_message(
        &self,
        request_id: &str,
        channel: &str,
        conversation: &str,
        ts: &str,
    ) -> Result<(), StoreError>;
    /// The copies `channel` posted of a request's message, in the order posted.
    fn messages(&self, request_id: &str, channel: &str) -> Result<Vec<(String, String)>, StoreError>;
}

pub(crate) fn parse_state(text: &str) -> Option<State> {
    [State::Pending, State::Approved, State::Denied, State::Expired, State::Withdrawn]
        .into_iter()
        .find(|state| state.as_str() == text)
}

#[cfg(test)]
mod tests;
