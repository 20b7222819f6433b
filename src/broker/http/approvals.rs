//! The approver side: list and show requests, decide one, and say who a token is. A person's
//! token decides as that person (channel `cli`); a channel's token decides on behalf of the
//! person it names (channel `webhook:NAME`).

use axum::Json;
use axum::extract::{Path, Query, State};
use axum::routing::{get, post};
use serde::Deserialize;

use super::auth::ApproverAuth;
use super::error::Body;
use super::{ApiError, AppState, Routes};
use crate::approval::wire::{Decided, DecisionBody, RequestList, RequestView, WhoAmI};
use crate::broker::channels::command;
use crate::broker::decide::Refusal;
use crate::broker::store::{Attempt, Attempted, StoredRequest};
use crate::broker::{rfc3339_now, unix_now};

pub(super) fn router() -> Routes {
    Routes::default()
        .add("GET", "/v1/requests", get(list))
        .add("GET", "/v1/requests/{id}", get(show))
        .add("POST", "/v1/requests/{id}/decisions", post(decide))
        .add("GET", "/v1/whoami", get(whoami))
}

#[derive(Deserialize)]
struct ListQuery {
    /// `pending` (the default), `approved`, `denied`, `expired`, `withdrawn`, or `all`.
    state: Option<String>,
    full: Option<String>,
}

/// Whether the viewer asked for the command unmasked; only a person may.
fn full(auth: &ApproverAuth, query: &ListQuery) -> bool {
    matches!(auth, ApproverAuth::Person(_)) && matches!(query.full.as_deref(), Some("1" | "true"))
}

pub fn view(request: StoredRequest, public_url: &str, full: bool) -> RequestView {
    let command = command(&request, !full);
    let escape = crate::display::escape_controls;
    RequestView {
        url: format!("{public_url}/r/{}", request.id),
        command,
        argv: if full { request.body.argv } else { None },
        line: if full { request.body.line } else { None },
        cwd: crate::display::stored_text(&request.body.cwd),
        user: escape(&request.body.user),
        parent: request.body.parent.as_deref().map(escape),
        rule: request.body.rule.as_deref().map(escape),
        reason: escape(&request.body.reason),
        command_sha256: request.body.command_sha256,
        created: request.created,
        deadline: request.deadline,
        state: request.state,
        quorum: request.plan.quorum,
        approvals: request.approvals,
        host: request.host,
        id: request.id,
    }
}

async fn list(
    State(state): State<AppState>,
    auth: ApproverAuth,
    Query(query): Query<ListQuery>,
) -> Result<Json<RequestList>, ApiError> {
    let filter = match query.state.as_deref().unwrap_or("pending") {
        "all" => None,
        text => Some(
            crate::broker::store::parse_state(text)
                .ok_or_else(|| ApiError::BadRequest(format!("unknown state {text:?}")))?,
        ),
    };
    let requests = state.run(move |inner| inner.store.list(filter)).await??;
    let full = full(&auth, &query);
    let public_url = &state.config().public_url;
    Ok(Json(RequestList { requests: requests.into_iter().map(|r| view(r, public_url, full)).collect() }))
}

async fn find(state: &AppState, prefix: &str) -> Result<StoredRequest, ApiError> {
    let prefix = prefix.to_string();
    Ok(state.run(move |inner| inner.store.find_by_prefix(&prefix)).await??)
}

async fn show(
    State(state): State<AppState>,
    auth: ApproverAuth,
    Path(id): Path<String>,
    Query(query): Query<ListQuery>,
) -> Result<Json<RequestView>, ApiError> {
    let request = find(&state, &id).await?;
    Ok(Json(view(request, &state.config().public_url, full(&auth, &query))))
}

async fn decide(
    State(state): State<AppState>,
    auth: ApproverAuth,
    Path(id): Path<String>,
    Body(body): Body<DecisionBody>,
) -> Result<Json<Decided>, ApiError> {
    let request = find(&state, &id).await?;
    let named = body.approver.clone();
    let (person, refused) = match (&auth, named) {
        (ApproverAuth::Person(me), Some(named)) if &named != me => {
            (me.clone(), Some(Refusal::NotYou { me: me.clone(), named }))
        }
        (ApproverAuth::Person(me), _) => (me.clone(), None),
        (ApproverAuth::Integration(_), None) => (String::new(), Some(Refusal::NoApprover)),
        (ApproverAuth::Integration(_), Some(named)) if state.config().person(&named).is_none() => {
            (named.clone(), Some(Refusal::UnknownPerson { person: named }))
        }
        (ApproverAuth::Integration(_), Some(named)) => (named, None),
    };
    let attempt = Attempt {
        request_id: request.id.clone(),
        person,
        channel: auth.channel(),
        answer: body.decision,
        comment: body.comment.map(|comment| comment.chars().take(1000).collect()),
        now: unix_now(),
        time: rfc3339_now(),
        refused,
    };
    Ok(Json(record(&state, attempt).await?))
}

/// Judges and records one answer (the store's one transaction) and wakes whoever waits when it
/// made the request final: every channel's decisions, the web page's too, come through here.
pub(crate) async fn record(state: &AppState, attempt: Attempt) -> Result<Decided, ApiError> {
    let attempted = state.run(move |inner| inner.store.record_attempt(&attempt, &inner.signer)).await??;
    match attempted {
        Attempted::Refused(refusal) => Err(refusal.into()),
        Attempted::Counted { request, became_final } => {
            if became_final {
                state.finished(&request);
            } else {
                state.progressed(&request);
            }
            Ok(Decided {
                approvals: request.approved_count(),
                quorum: request.plan.quorum,
                state: request.state,
                id: request.id,
            })
        }
    }
}

async fn whoami(auth: ApproverAuth) -> Json<WhoAmI> {
    Json(match auth {
        ApproverAuth::Person(id) => WhoAmI { person: Some(id), integration: None },
        ApproverAuth::Integration(name) => WhoAmI { person: None, integration: Some(name) },
    })
}
