//! Slack's interactivity endpoint, `POST /v1/slack/interactivity`: a form body `payload=<JSON>`
//! signed by Slack. The signature is checked against each Slack channel's signing secret (the
//! one that verifies says which app it is); the answer is sent at once, within Slack's three
//! seconds, and the click is handled after.

use axum::body::Bytes;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use axum::routing::post;
use serde_json::Value;

use super::{ApiError, AppState, Routes};
use crate::broker::channels::slack::{interaction, verify};
use crate::broker::unix_now;

pub(super) fn router() -> Routes {
    Routes::default().add("POST", "/v1/slack/interactivity", post(interactivity))
}

async fn interactivity(
    State(state): State<AppState>,
    headers: HeaderMap,
    body: Bytes,
) -> Result<StatusCode, ApiError> {
    if state.slack().is_empty() {
        return Err(ApiError::NotFound("no slack channel is configured".into()));
    }
    let header = |name: &str| headers.get(name).and_then(|value| value.to_str().ok());
    let (timestamp, signature) = (header("x-slack-request-timestamp"), header("x-slack-signature"));
    let now = unix_now();
    let mut refusal = verify::Unsigned::Forged;
    let verified = state.slack().iter().find(|slack| {
        match verify::verify(slack.config.signing_secret.expose(), timestamp, signature, &body, now) {
            Ok(()) => true,
            Err(why) => {
                refusal = why;
                false
            }
        }
    });
    let Some(slack) = verified.cloned() else {
        return Err(ApiError::Unsigned(refusal.to_string()));
    };
    let payload = form_urlencoded::parse(&body).find(|(key, _)| key == "payload").map(|(_, value)| value);
    let payload: Value = payload
        .and_then(|text| serde_json::from_str(&text).ok())
        .ok_or_else(|| ApiError::BadRequest("the body has no `payload` field of JSON".into()))?;
    tokio::spawn(interaction::handle(state.clone(), slack, payload));
    Ok(StatusCode::OK)
}
