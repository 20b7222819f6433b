//! The page's view of the broker: [`Requests`] over the broker's shared state, so a decision
//! made on the page goes through the same store operation, rules and log as one made through
//! the API, recorded with the channel `web`.

use std::sync::Arc;

use super::{BoxFuture, CHANNEL, Person, Refused, Requests, Shown, SignIn, Web, WebConfig, secret_file_for};
use crate::approval::signed::Answer;
use crate::approval::wire::Decided;
use crate::broker::decide::{Refusal, Standing, judge};
use crate::broker::http::{self, AppState};
use crate::broker::store::{Attempt, StoredRequest};
use crate::broker::{channels, mask, rfc3339_now, unix_now};

pub struct BrokerRequests(pub AppState);

/// The page for a running broker: its people, its `[sign_in]`, a secret beside its key.
pub fn for_state(state: &AppState) -> Result<Web, String> {
    let config = state.config();
    let sign_in = config.sign_in.as_ref().map(|sign_in| SignIn {
        issuer: sign_in.issuer.clone(),
        client_id: sign_in.client_id.clone(),
        client_secret: sign_in.client_secret.expose().to_string(),
        scopes: sign_in.scopes.clone(),
        claim: sign_in.claim,
    });
    let people = config
        .people
        .iter()
        .map(|person| Person {
            id: person.id.clone(),
            name: person.name.clone(),
            email: person.email.clone(),
            oidc_sub: person.oidc_sub.clone(),
        })
        .collect();
    let web = WebConfig {
        public_url: config.public_url.clone(),
        sign_in,
        people,
        secret_file: secret_file_for(&config.key),
    };
    Web::new(web, Arc::new(BrokerRequests(state.clone())))
}

/// Why `person` may not decide `request` now, in words for the page.
fn cannot_decide(request: &StoredRequest, person: &str, now: i64) -> Option<String> {
    let counted: Vec<String> = request.approvals.iter().map(|signer| signer.person.clone()).collect();
    let standing =
        Standing { state: request.state, deadline: request.deadline, plan: &request.plan, counted: &counted };
    match judge(&standing, person, Answer::Deny, now) {
        Ok(_) if counted.iter().any(|p| p == person) => Some(format!(
            "You approved this request; it waits for {} more approval(s).",
            request.plan.quorum.saturating_sub(request.approved_count())
        )),
        Ok(_) => None,
        Err(Refusal::SelfApproval { .. }) => {
            Some("You cannot approve or deny your own request: it was made from your own account.".into())
        }
        Err(Refusal::NotEligible { .. }) => Some("You are not an approver of this request's route.".into()),
        Err(refusal) => Some(format!("This request can no longer be decided: {refusal}.")),
    }
}

impl Requests for BrokerRequests {
    fn show<'a>(&'a self, id: &'a str, person: Option<&'a str>) -> BoxFuture<'a, Result<Option<Shown>, ()>> {
        Box::pin(async move {
            let id = id.to_string();
            let request = match self.0.run(move |inner| inner.store.get(&id)).await {
                Ok(Ok(Some(request))) => request,
                Ok(Ok(None)) => return Ok(None),
                Ok(Err(error)) => {
                    eprintln!("gate serve: the page's store read failed: {error}");
                    return Err(());
                }
                Err(error) => {
                    eprintln!("gate serve: the page's store read failed: {error:?}");
                    return Err(());
                }
            };
            let cannot = person.and_then(|person| cannot_decide(&request, person, unix_now()));
            let full_command = person.map(|_| channels::command(&request, false));
            let mut view = http::view(request, &self.0.config().public_url, false);
            if person.is_none() {
                view.parent = view.parent.map(|parent| mask::text(&parent));
            }
            Ok(Some(Shown { view, full_command, cannot_decide: cannot }))
        })
    }

    fn decide<'a>(
        &'a self,
        id: &'a str,
        person: &'a str,
        answer: Answer,
        comment: Option<String>,
    ) -> BoxFuture<'a, Result<Decided, Refused>> {
        Box::pin(async move {
            let attempt = Attempt {
                request_id: id.to_string(),
                person: person.to_string(),
                channel: CHANNEL.to_string(),
                answer,
                comment,
                now: unix_now(),
                time: rfc3339_now(),
                refused: None,
            };
            http::record(&self.0, attempt).await.map_err(|error| {
                let (status, message) = error.into_parts();
                Refused { status: status.as_u16(), message }
            })
        })
    }
}
