//! The host side: `gate exec` creates a request, long-polls its decision, and withdraws it when
//! its terminal answered first. A host sees only its own requests (others are 404 to it).

use std::time::Duration;

use axum::Json;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::routing::{get, post};
use serde::Deserialize;

use super::auth::HostAuth;
use super::error::Body;
use super::{ApiError, AppState, Routes};
use crate::approval::signed::command_sha256;
use crate::approval::wire::{Created, DecisionStatus, NewRequest, State as RequestState, Withdraw};
use crate::broker::store::StoredRequest;
use crate::broker::{decide, rfc3339_now, unix_now};

/// The longest a poll waits.
pub const MAX_WAIT: u64 = 30;

pub(super) fn router() -> Routes {
    Routes::default()
        .add("POST", "/v1/requests", post(create))
        .add("GET", "/v1/requests/{id}/decision", get(decision))
        .add("POST", "/v1/requests/{id}/withdraw", post(withdraw))
}

fn valid_id(id: &str) -> bool {
    id.len() == 32 && id.bytes().all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b))
}

/// Checks a new request; returns the argv text its hash covers.
fn check(body: &NewRequest) -> Result<Option<String>, ApiError> {
    let bad = |message: &str| Err(ApiError::BadRequest(message.to_string()));
    if !valid_id(&body.id) {
        return bad("`id` must be 32 lowercase hex digits");
    }
    let argv = match (&body.argv, &body.line) {
        (Some(argv), None) => {
            let text = argv.to_string();
            match crate::audit::decode_argv(&text) {
                Some(words) if !words.is_empty() => Some(text),
                _ => return bad("`argv` must be a non-empty array of strings or {\"base64\": ...} objects"),
            }
        }
        (None, Some(_)) => None,
        _ => return bad("give exactly one of `argv` and `line`"),
    };
    if body.cwd.is_empty() || body.user.is_empty() {
        return bad("`cwd` and `user` must not be empty");
    }
    if command_sha256(argv.as_deref(), body.line.as_deref(), &body.cwd) != body.command_sha256 {
        return bad(
            "`command_sha256` does not match the command: it must be command_sha256(argv, line, cwd)",
        );
    }
    if body.deadline <= unix_now() {
        return bad("the deadline has passed");
    }
    Ok(argv)
}

async fn create(
    State(state): State<AppState>,
    HostAuth(host): HostAuth,
    Body(body): Body<NewRequest>,
) -> Result<(StatusCode, Json<Created>), ApiError> {
    check(&body)?;
    let config = state.config();
    let plan = decide::plan(&config.routes, &config.people, body.rule.as_deref(), &body.user, &host);
    let deadline = body.deadline.min(unix_now() + plan.timeout_secs as i64);
    let request = StoredRequest {
        id: body.id.clone(),
        host,
        plan,
        created: rfc3339_now(),
        deadline,
        state: RequestState::Pending,
        approvals: Vec::new(),
        signed: None,
        note: None,
        body,
    };
    let stored = request.clone();
    state.run(move |inner| inner.store.create_request(&stored)).await??;
    state.requested(&request);
    let created = Created {
        url: format!("{}/r/{}", config.public_url, request.id),
        id: request.id,
        deadline,
        quorum: request.plan.quorum,
    };
    Ok((StatusCode::CREATED, Json(created)))
}

#[derive(Deserialize)]
struct Wait {
    wait: Option<u64>,
}

pub fn status(request: StoredRequest) -> DecisionStatus {
    DecisionStatus {
        id: request.id,
        state: request.state,
        approvals: request.approvals,
        quorum: request.plan.quorum,
        signed: request.signed,
    }
}

/// The request, if this host made it.
async fn own(state: &AppState, host: &str, id: &str) -> Result<StoredRequest, ApiError> {
    let owned = id.to_string();
    let request = state.run(move |inner| inner.store.get(&owned)).await??;
    request
        .filter(|request| request.host == host)
        .ok_or_else(|| ApiError::NotFound(format!("no request {id}")))
}

async fn decision(
    State(state): State<AppState>,
    HostAuth(host): HostAuth,
    Path(id): Path<String>,
    Query(wait): Query<Wait>,
) -> Result<Json<DecisionStatus>, ApiError> {
    let until = tokio::time::Instant::now() + Duration::from_secs(wait.wait.unwrap_or(0).min(MAX_WAIT));
    let mut stopped = state.inner().stopped.clone();
    loop {
        // Watch before reading, so a decision between the read and the wait is not missed.
        let mut changed = state.watch(&id);
        let request = own(&state, &host, &id).await?;
        if request.state.is_final() || tokio::time::Instant::now() >= until || *stopped.borrow() {
            return Ok(Json(status(request)));
        }
        tokio::select! {
            _ = changed.changed() => {}
            () = tokio::time::sleep_until(until) => {}
            _ = stopped.changed() => {}
        }
    }
}

async fn withdraw(
    State(state): State<AppState>,
    HostAuth(host): HostAuth,
    Path(id): Path<String>,
    Body(body): Body<Withdraw>,
) -> Result<Json<DecisionStatus>, ApiError> {
    let before = own(&state, &host, &id).await?;
    let reason = body.reason.chars().take(200).collect::<String>();
    let request = state.run(move |inner| inner.store.withdraw(&id, &reason, &rfc3339_now())).await??;
    if before.state == RequestState::Pending && request.state == RequestState::Withdrawn {
        state.finished(&request);
    }
    Ok(Json(status(request)))
}
