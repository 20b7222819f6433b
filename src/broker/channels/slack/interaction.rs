//! A click in Slack, however it arrived (HTTP or Socket Mode), already verified: who clicked,
//! whether they may decide, and the decision through the broker's one decision path
//! ([`crate::broker::http::record`]), recorded with the channel `slack:NAME`.
//!
//! Approve counts at once. Deny opens a modal for an optional reason; its submission denies
//! (where no modal can be opened, the click denies without a reason). Whoever may not decide
//! gets a message only they see, "You cannot decide this: …", and nothing changes. A click seen
//! before (a replay, Slack retrying) does nothing.

use std::sync::Arc;

use serde_json::{Value, json};

use super::message::{APPROVE, DENY, DENY_VIEW, REASON, deny_view};
use super::{Posted, SlackChannel};
use crate::approval::signed::Answer;
use crate::broker::decide::{Refusal, Standing, judge};
use crate::broker::http::{AppState, record};
use crate::broker::store::Attempt;
use crate::broker::{rfc3339_now, unix_now};

/// Who clicked, as Slack says.
struct Clicker<'a> {
    user: &'a str,
    team: Option<&'a str>,
}

/// Handles one interaction payload; returns when it is done (callers answer Slack first).
pub async fn handle(state: AppState, slack: Arc<SlackChannel>, payload: Value) {
    match payload["type"].as_str() {
        Some("block_actions") => block_actions(&state, &slack, &payload).await,
        Some("view_submission") if payload["view"]["callback_id"] == DENY_VIEW => {
            deny_submitted(&state, &slack, &payload).await
        }
        _ => {}
    }
}

fn text<'a>(value: &'a Value, pointer: &str) -> Option<&'a str> {
    value.pointer(pointer).and_then(Value::as_str).filter(|text| !text.is_empty())
}

fn clicker(payload: &Value) -> Option<Clicker<'_>> {
    let user = text(payload, "/user/id")?;
    let team = text(payload, "/user/team_id").or_else(|| text(payload, "/team/id"));
    Some(Clicker { user, team })
}

/// The configured person who clicked: by Slack id (and workspace, when the id names one), else
/// by the verified email Slack gives, when the channel says so.
async fn person(slack: &SlackChannel, clicker: &Clicker<'_>) -> Option<String> {
    let by_id = slack.people.iter().find(|person| match &person.slack {
        Some((Some(team), user)) => user == clicker.user && clicker.team == Some(team.as_str()),
        Some((None, user)) => user == clicker.user,
        None => false,
    });
    if let Some(person) = by_id {
        return Some(person.id.clone());
    }
    if !slack.config.match_email {
        return None;
    }
    let email = slack.verified_email(clicker.user).await?;
    let found =
        slack.people.iter().find(|p| p.email.as_deref().is_some_and(|e| e.eq_ignore_ascii_case(&email)));
    found.map(|person| person.id.clone())
}

fn attempt(
    slack: &SlackChannel,
    id: &str,
    person: String,
    answer: Answer,
    comment: Option<String>,
) -> Attempt {
    Attempt {
        request_id: id.to_string(),
        person,
        channel: slack.decision_channel(),
        answer,
        comment,
        now: unix_now(),
        time: rfc3339_now(),
        refused: None,
    }
}

/// Records an answer; tells the clicker why when it did not count.
async fn decide(state: &AppState, slack: &SlackChannel, attempt: Attempt, reply_to: Option<(&str, &str)>) {
    let id = attempt.request_id.clone();
    if let Err(error) = record(state, attempt).await {
        let (_, why) = error.into_parts();
        if let Some((channel, user)) = reply_to {
            slack
                .ephemeral(
                    channel,
                    user,
                    &format!("You cannot decide this: {}.", super::message::escape(&why)),
                )
                .await;
        } else {
            eprintln!("gate serve: slack {}: request {id}: {why}", slack.name);
        }
    }
}

/// The clicker is not a configured person: logged as a refused attempt, and told.
async fn stranger(
    state: &AppState,
    slack: &SlackChannel,
    id: &str,
    clicker: &Clicker<'_>,
    answer: Answer,
    channel: Option<&str>,
) {
    let who = match clicker.team {
        Some(team) => format!("slack:{team}/{}", clicker.user),
        None => format!("slack:{}", clicker.user),
    };
    let mut refused = attempt(slack, id, who.clone(), answer, None);
    refused.refused = Some(Refusal::UnknownPerson { person: who });
    let _ = record(state, refused).await;
    if let Some(channel) = channel {
        let text = format!(
            "You cannot decide this: your Slack account (<@{}>) is not one of this broker's approvers.",
            clicker.user
        );
        slack.ephemeral(channel, clicker.user, &text).await;
    }
}

async fn block_actions(state: &AppState, slack: &SlackChannel, payload: &Value) {
    let Some(clicker) = clicker(payload) else { return };
    let Some(action) = payload["actions"].as_array().and_then(|actions| actions.first()) else { return };
    let (Some(action_id), Some(id)) = (text(action, "/action_id"), text(action, "/value")) else { return };
    if action_id != APPROVE && action_id != DENY {
        return;
    }
    let channel = text(payload, "/container/channel_id").or_else(|| text(payload, "/channel/id"));
    let ts = text(payload, "/container/message_ts").or_else(|| text(payload, "/message/ts"));
    let action_ts = text(action, "/action_ts").unwrap_or_default();
    if !slack.first_time(&format!("{}:{action_ts}:{action_id}:{id}", clicker.user), unix_now()) {
        return;
    }
    if let (Some(channel), Some(ts)) = (channel, ts) {
        slack.remember(id, Posted { channel: channel.to_string(), ts: ts.to_string() }).await;
    }
    let answer = if action_id == APPROVE { Answer::Approve } else { Answer::Deny };
    let Some(person) = person(slack, &clicker).await else {
        stranger(state, slack, id, &clicker, answer, channel).await;
        return;
    };
    let reply_to = channel.map(|channel| (channel, clicker.user));
    if answer == Answer::Approve {
        decide(state, slack, attempt(slack, id, person, Answer::Approve, None), reply_to).await;
        return;
    }
    // Deny: a modal for the reason, if this person may deny it now; else the refusal, logged.
    let trigger = text(payload, "/trigger_id");
    if let (Some(trigger), true) = (trigger, may_decide(state, id, &person).await) {
        let metadata = json!({"id": id, "channel": channel, "ts": ts}).to_string();
        if slack.open_view(trigger, deny_view(&metadata)).await {
            return;
        }
    }
    decide(state, slack, attempt(slack, id, person, Answer::Deny, None), reply_to).await;
}

/// Whether `person` may deny request `id` now (a refusal is then recorded by the caller).
async fn may_decide(state: &AppState, id: &str, person: &str) -> bool {
    let owned = id.to_string();
    let Ok(Ok(Some(request))) = state.run(move |inner| inner.store.get(&owned)).await else { return false };
    let counted: Vec<String> = request.approvals.iter().map(|signer| signer.person.clone()).collect();
    let standing =
        Standing { state: request.state, deadline: request.deadline, plan: &request.plan, counted: &counted };
    judge(&standing, person, Answer::Deny, unix_now()).is_ok()
}

async fn deny_submitted(state: &AppState, slack: &SlackChannel, payload: &Value) {
    let Some(clicker) = clicker(payload) else { return };
    let view_id = text(payload, "/view/id").unwrap_or_default();
    if !slack.first_time(&format!("{}:view:{view_id}", clicker.user), unix_now()) {
        return;
    }
    let metadata: Value = text(payload, "/view/private_metadata")
        .and_then(|m| serde_json::from_str(m).ok())
        .unwrap_or_default();
    let Some(id) = text(&metadata, "/id") else { return };
    let channel = text(&metadata, "/channel");
    let reason = payload
        .pointer(&format!("/view/state/values/{REASON}/{REASON}/value"))
        .and_then(Value::as_str)
        .map(|reason| reason.trim().chars().take(1000).collect::<String>())
        .filter(|reason| !reason.is_empty());
    let Some(person) = person(slack, &clicker).await else {
        stranger(state, slack, id, &clicker, Answer::Deny, channel).await;
        return;
    };
    let reply_to = channel.map(|channel| (channel, clicker.user));
    decide(state, slack, attempt(slack, id, person, Answer::Deny, reason), reply_to).await;
}
