//! Asking through the approval broker (`gate serve`): send the request, long-poll its decision,
//! and believe only a decision signed by the pinned broker key for this request and this exact
//! command.
//!
//! Guarantees: nothing but a verified approval permits; the broker unreachable, a 4xx or 5xx,
//! bad TLS, a missing or bad signature, another request's or another command's decision, or the
//! deadline passing all refuse, each with its own reason. Network errors are retried until the
//! deadline (a broker restarting meanwhile still delivers its answer). The HTTP client and its
//! runtime exist only on this path.

use std::time::{Duration, SystemTime, UNIX_EPOCH};

use super::broker_config::BrokerConfig;
use super::signed::Answer;
use super::wire::{Created, DecisionStatus, ErrorBody, NewRequest, State, Withdraw};
use super::{Answered, ApprovalRequest, Verdict};

/// The longest single long-poll; the broker caps it at 30 s.
const POLL: Duration = Duration::from_secs(25);
/// Between tries after a network error.
const RETRY_MIN: Duration = Duration::from_millis(200);
const RETRY_MAX: Duration = Duration::from_secs(2);

pub struct BrokerClient {
    config: BrokerConfig,
    http: reqwest::blocking::Client,
}

/// A try that did not reach an answer.
enum Fault {
    /// Worth another try (connection refused or reset, a timeout): the broker may be restarting.
    Transient(String),
    /// Final: the broker answered no, or what it said cannot be believed.
    Final(String),
}

impl BrokerClient {
    pub fn new(config: BrokerConfig) -> Result<BrokerClient, String> {
        // Installing fails only when a provider is installed already, which is as good.
        let _ = rustls::crypto::ring::default_provider().install_default();
        let http = reqwest::blocking::Client::builder()
            .timeout(POLL + Duration::from_secs(10))
            .connect_timeout(Duration::from_secs(5))
            .redirect(reqwest::redirect::Policy::none())
            .user_agent(concat!("gate/", env!("CARGO_PKG_VERSION")))
            .build()
            .map_err(|error| format!("cannot start an HTTP client: {error}"))?;
        Ok(BrokerClient { config, http })
    }

    pub fn url(&self) -> &str {
        &self.config.url
    }

    /// The broker's public key as it states it (`GET /v1/key`), for `gate doctor` to compare
    /// with the key gate trusts.
    pub fn public_key(&self) -> Result<String, String> {
        let response = self
            .http
            .get(format!("{}/v1/key", self.config.url))
            .timeout(Duration::from_secs(5))
            .send()
            .map_err(one_line)?;
        if !response.status().is_success() {
            return Err(format!("GET /v1/key answered {}", response.status()));
        }
        let body: super::wire::KeyBody = response.json().map_err(one_line)?;
        Ok(body.key)
    }

    /// Sends the request, retrying network errors until `deadline`.
    pub fn create(&self, request: &ApprovalRequest, deadline: SystemTime) -> Result<Created, Verdict> {
        let facts = &request.facts;
        let body = NewRequest {
            id: request.request_id.clone(),
            argv: facts.argv.as_deref().and_then(|text| serde_json::from_str(text).ok()),
            line: facts.line.clone(),
            cwd: facts.cwd.clone(),
            user: facts.user.clone(),
            host: facts.host.clone(),
            uid: Some(facts.uid),
            pid: Some(facts.pid),
            parent: Some(facts.parent.clone()),
            rule: facts.rule.clone(),
            reason: facts.reason.clone(),
            command_sha256: facts.command_sha256(),
            deadline: unix(deadline),
        };
        let url = format!("{}/v1/requests", self.config.url);
        let created: Created = self.retrying(deadline, &|| self.send(self.http.post(&url).json(&body)))?;
        if created.id != request.request_id {
            return Err(Verdict::Failed {
                why: format!("the broker {} answered for another request", self.url()),
            });
        }
        Ok(created)
    }

    /// Waits for the decision until `deadline`, or until `stop` says the answer came from
    /// elsewhere (then returns `None`).
    pub fn wait(
        &self,
        request: &ApprovalRequest,
        deadline: SystemTime,
        stop: &dyn Fn() -> bool,
    ) -> Option<Verdict> {
        let id = &request.request_id;
        loop {
            if stop() {
                return None;
            }
            let left = deadline.duration_since(SystemTime::now()).unwrap_or_default();
            if left.is_zero() {
                return Some(Verdict::TimedOut { channel: "broker".into() });
            }
            let wait = left.min(POLL).as_secs().max(1);
            let url = format!("{}/v1/requests/{id}/decision?wait={wait}", self.config.url);
            let status: Result<DecisionStatus, Verdict> =
                self.retrying(deadline, &|| self.send(self.http.get(&url)));
            match status {
                Ok(status) if status.state == State::Pending => continue,
                Ok(status) => return Some(self.judge(request, status)),
                Err(verdict) => return Some(verdict),
            }
        }
    }

    /// Tells the broker that the request is over (answered on the terminal, or given up), so
    /// nobody decides it there any more. Best effort: the command's fate is already sealed.
    pub fn withdraw(&self, request_id: &str, reason: &str) {
        let url = format!("{}/v1/requests/{request_id}/withdraw", self.config.url);
        let body = Withdraw { reason: reason.to_string() };
        let _ = self.send::<DecisionStatus>(self.http.post(&url).json(&body).timeout(Duration::from_secs(3)));
    }

    /// Turns a final status into a verdict, believing only what the pinned key signed.
    fn judge(&self, request: &ApprovalRequest, status: DecisionStatus) -> Verdict {
        let failed = |why: String| Verdict::Failed { why };
        match status.state {
            State::Approved | State::Denied => {}
            State::Expired => return Verdict::TimedOut { channel: "broker".into() },
            State::Withdrawn => return failed("the request was withdrawn at the broker".into()),
            State::Pending => return failed("the broker gave no decision".into()),
        }
        let Some(signed) = status.signed else {
            return failed(format!("the broker's decision is not signed (state {:?})", status.state));
        };
        let document =
            match signed.verify(&self.config.key, &request.request_id, &request.facts.command_sha256()) {
                Ok(document) => document,
                Err(error) => return failed(error.to_string()),
            };
        let answered = Answered {
            approver: join(document.approvers.iter().map(|signer| signer.person.as_str())),
            channel: join(document.approvers.iter().map(|signer| signer.channel.as_str())),
            comment: document.comment.clone(),
            signed: Some(signed),
        };
        match (document.decision, status.state) {
            (Answer::Approve, State::Approved) if !document.approvers.is_empty() => {
                Verdict::Approved(answered)
            }
            (Answer::Deny, _) => Verdict::Rejected(answered),
            _ => failed("the broker's state and its signed decision disagree".into()),
        }
    }

    /// One try, then more after transient faults, until `deadline`.
    fn retrying<T>(
        &self,
        deadline: SystemTime,
        attempt: &dyn Fn() -> Result<T, Fault>,
    ) -> Result<T, Verdict> {
        let mut pause = RETRY_MIN;
        loop {
            match attempt() {
                Ok(value) => return Ok(value),
                Err(Fault::Final(why)) => return Err(Verdict::Failed { why }),
                Err(Fault::Transient(why)) => {
                    let left = deadline.duration_since(SystemTime::now()).unwrap_or_default();
                    if left <= pause {
                        return Err(Verdict::Failed {
                            why: format!(
                                "the broker {} could not be reached before the deadline: {why}",
                                self.url()
                            ),
                        });
                    }
                    std::thread::sleep(pause);
                    pause = (pause * 2).min(RETRY_MAX);
                }
            }
        }
    }

    fn send<T: serde::de::DeserializeOwned>(
        &self,
        builder: reqwest::blocking::RequestBuilder,
    ) -> Result<T, Fault> {
        let response = builder.bearer_auth(&self.config.token).send().map_err(|error| {
            // Refused, reset, cut short, timed out: the broker may be restarting, so try again
            // until the deadline (which then refuses anyway). A TLS failure or a malformed
            // request does not fix itself: say so at once.
            let final_ = error.is_builder() || is_tls(&error);
            let why = one_line(error);
            if final_ {
                Fault::Final(format!("the broker {} could not be asked: {why}", self.url()))
            } else {
                Fault::Transient(why)
            }
        })?;
        let status = response.status();
        let text = response.text().map_err(|error| Fault::Transient(one_line(error)))?;
        if !status.is_success() {
            let error = serde_json::from_str::<ErrorBody>(&text)
                .map(|body| crate::display::escape_controls(&body.error))
                .unwrap_or_else(|_| "no reason given".into());
            return Err(Fault::Final(format!(
                "the broker {} answered {}: {error}",
                self.url(),
                status.as_u16()
            )));
        }
        serde_json::from_str(&text).map_err(|error| {
            Fault::Final(format!("the broker {} sent an answer gate cannot read: {error}", self.url()))
        })
    }
}

fn join<'a>(items: impl Iterator<Item = &'a str>) -> String {
    items.collect::<Vec<_>>().join(",")
}

fn unix(time: SystemTime) -> i64 {
    time.duration_since(UNIX_EPOCH).map_or(0, |d| i64::try_from(d.as_secs()).unwrap_or(i64::MAX))
}

/// Whether TLS failed (a handshake, a certificate, a peer that does not speak TLS): rustls's
/// error somewhere in the chain, directly or inside an I/O error.
fn is_tls(error: &reqwest::Error) -> bool {
    let mut cause: Option<&(dyn std::error::Error + 'static)> = Some(error);
    while let Some(current) = cause {
        if current.downcast_ref::<rustls::Error>().is_some() {
            return true;
        }
        // An I/O error's `source` skips the error it wraps: look inside it instead.
        cause = match current.downcast_ref::<std::io::Error>().and_then(|io| io.get_ref()) {
            Some(inner) => Some(inner as &(dyn std::error::Error + 'static)),
            None => current.source(),
        };
    }
    false
}

/// An error and its causes on one line, without the URL (its path may be a secret), escaped.
fn one_line(error: reqwest::Error) -> String {
    crate::display::escape_controls(&crate::webhook::reason(error))
}
