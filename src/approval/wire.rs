//! The JSON bodies of the broker's HTTP API (`/v1`), shared by the broker and its clients
//! (`gate exec`, `gate requests`, `gate approve`), so the two sides cannot drift apart.
//! Unknown fields are ignored on reading, so either side may grow.

use serde::{Deserialize, Serialize};

use super::signed::{Answer, SignedDecision, Signer};

/// `POST /v1/requests` (host token): a command waiting for approval.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct NewRequest {
    /// The request id gate exec made (32 hex digits); it becomes the broker's id too.
    pub id: String,
    /// The argument vector, as the audit log's `argv` JSON array (strings, or `{"base64": ...}`
    /// for arguments that are not UTF-8); `None` for a `-c` line.
    pub argv: Option<serde_json::Value>,
    /// The `-c` line; `None` for an argument vector.
    pub line: Option<String>,
    pub cwd: String,
    /// The Unix account that asked.
    pub user: String,
    /// The host as gate sees its own name (the broker trusts only the name the token proves).
    pub host: String,
    pub uid: Option<u32>,
    pub pid: Option<u32>,
    /// The parent process's command line, escaped.
    pub parent: Option<String>,
    /// The rule that asked; `None` when the policy's default did.
    pub rule: Option<String>,
    pub reason: String,
    /// `command_sha256(argv text, line, cwd)`: the broker recomputes it and refuses a mismatch.
    pub command_sha256: String,
    /// Unix seconds after which gate exec stops waiting; the broker may only shorten it.
    pub deadline: i64,
}

/// The answer to `POST /v1/requests`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Created {
    pub id: String,
    /// The approval page: `public_url/r/<id>`.
    pub url: String,
    /// Unix seconds: the earlier of the asked deadline and the route's timeout.
    pub deadline: i64,
    pub quorum: u32,
}

/// Where a request stands.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum State {
    Pending,
    Approved,
    Denied,
    Expired,
    /// The host withdrew it: answered on its terminal, or gate exec gave up.
    Withdrawn,
}

impl State {
    /// The state's name, as the JSON says it.
    pub fn as_str(self) -> &'static str {
        match self {
            State::Pending => "pending",
            State::Approved => "approved",
            State::Denied => "denied",
            State::Expired => "expired",
            State::Withdrawn => "withdrawn",
        }
    }

    pub fn is_final(self) -> bool {
        self != State::Pending
    }
}

/// `GET /v1/requests/{id}/decision?wait=SECONDS` (host token): long-polls until the request is
/// final or the wait is over.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct DecisionStatus {
    pub id: String,
    pub state: State,
    /// The approvals so far (and the deny, when denied).
    pub approvals: Vec<Signer>,
    pub quorum: u32,
    /// Present when `state` is `approved` or `denied`.
    pub signed: Option<SignedDecision>,
}

/// `POST /v1/requests/{id}/withdraw` (host token).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Withdraw {
    /// Why, in a few words: "answered on the terminal", "gate exec stopped waiting".
    pub reason: String,
}

/// `POST /v1/requests/{id}/decisions` (a person's token, a session, or an integration's token).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct DecisionBody {
    pub decision: Answer,
    /// The person decided for; only an integration's token may name one (a person's own token
    /// decides as that person).
    pub approver: Option<String>,
    pub comment: Option<String>,
}

/// A request as approvers see it: `GET /v1/requests` and `GET /v1/requests/{id}`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct RequestView {
    pub id: String,
    /// The command as one line, control characters escaped; secrets masked unless the viewer
    /// asked for the full text.
    pub command: String,
    pub argv: Option<serde_json::Value>,
    pub line: Option<String>,
    pub cwd: String,
    pub user: String,
    /// The host name its token proves.
    pub host: String,
    pub parent: Option<String>,
    pub rule: Option<String>,
    pub reason: String,
    pub command_sha256: String,
    /// RFC 3339.
    pub created: String,
    /// Unix seconds.
    pub deadline: i64,
    pub state: State,
    pub approvals: Vec<Signer>,
    pub quorum: u32,
    pub url: String,
}

/// `GET /v1/requests`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct RequestList {
    pub requests: Vec<RequestView>,
}

/// What the broker answers after a decision is posted.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Decided {
    pub id: String,
    pub state: State,
    pub approvals: u32,
    pub quorum: u32,
}

/// Every 4xx and 5xx body: one line, nothing internal.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ErrorBody {
    pub error: String,
}

/// `GET /v1/key`: the value to give `gate exec` as `GATE_BROKER_KEY`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct KeyBody {
    pub key: String,
}

/// `GET /v1/whoami` (an approver's token): `{"person": "alice"}` or `{"integration": "ops"}`.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct WhoAmI {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub person: Option<String>,
    /// A channel's receiver, which decides on behalf of people.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub integration: Option<String>,
}
