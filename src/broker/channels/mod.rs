//! The ways the broker tells people about requests. Each channel is its own file behind
//! [`Channel`]: told when a request arrives and when it becomes final; the core knows nothing of
//! any channel's wire format. Telling never blocks: each notification is its own task, so a
//! channel that is down delays no other channel and no request.

pub mod slack;
pub mod teams;
pub mod webhook;

use serde::Serialize;

use super::mask;
use super::store::StoredRequest;
use crate::approval::signed::Signer;
use crate::approval::wire::State;
use crate::display::escape_controls;

pub trait Channel: Send + Sync {
    fn name(&self) -> &str;
    /// A new request is waiting. Returns at once; the work runs as its own task.
    fn notify_requested(&self, notice: Notice);
    /// The request became final (approved, denied, expired or withdrawn).
    fn notify_decided(&self, notice: Notice);
    /// An approval counted but the quorum is not reached yet.
    fn notify_progress(&self, _notice: Notice) {}
}

/// A request as channels show it: the command masked, every text field escaped.
#[derive(Clone, Debug, Serialize)]
pub struct Notice {
    pub id: String,
    pub command: String,
    pub rule: Option<String>,
    pub reason: String,
    pub host: String,
    pub user: String,
    pub cwd: String,
    /// Unix seconds.
    pub deadline: i64,
    pub quorum: u32,
    pub state: State,
    pub approvals: Vec<Signer>,
    /// The approval page.
    #[serde(skip)]
    pub url: String,
    /// Where a receiver posts its decision.
    #[serde(skip)]
    pub decide_url: String,
    /// Who may decide (person ids); `None` for everyone.
    #[serde(skip)]
    pub eligible: Option<Vec<String>>,
    /// Why it was withdrawn or expired (`answered on the terminal`…), escaped.
    #[serde(skip)]
    pub note: Option<String>,
}

impl Notice {
    pub fn new(request: &StoredRequest, public_url: &str) -> Notice {
        let body = &request.body;
        Notice {
            id: request.id.clone(),
            command: masked_command(request),
            rule: body.rule.as_deref().map(escape_controls),
            reason: escape_controls(&body.reason),
            host: escape_controls(&request.host),
            user: escape_controls(&body.user),
            cwd: crate::display::stored_text(&body.cwd),
            deadline: request.deadline,
            quorum: request.plan.quorum,
            state: request.state,
            approvals: request.approvals.clone(),
            url: format!("{public_url}/r/{}", request.id),
            decide_url: format!("{public_url}/v1/requests/{}/decisions", request.id),
            eligible: request.plan.eligible.clone(),
            note: request.note.as_deref().map(escape_controls),
        }
    }
}

impl Notice {
    /// The approvals counted towards the quorum (a denied request's last answer is the deny).
    pub fn approved(&self) -> usize {
        self.approvals.len() - usize::from(self.state == State::Denied && !self.approvals.is_empty())
    }
}

/// The command as one escaped line, secrets masked.
pub fn masked_command(request: &StoredRequest) -> String {
    command(request, true)
}

/// The command as one escaped line; `masked` hides credentials.
pub fn command(request: &StoredRequest, masked: bool) -> String {
    let body = &request.body;
    let argv = body.argv.as_ref().and_then(|argv| crate::audit::decode_argv(&argv.to_string()));
    match (argv, &body.line) {
        (Some(argv), _) if masked => mask::argv(&argv),
        (Some(argv), _) => crate::display::argv_line(&argv),
        (None, Some(line)) if masked => mask::line(line),
        (None, Some(line)) => crate::display::stored_text(line),
        (None, None) => String::new(),
    }
}
