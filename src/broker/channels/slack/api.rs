//! Calls to Slack's Web API (`chat.postMessage`, `chat.update`, `chat.postEphemeral`,
//! `views.open`, `users.info`, `apps.connections.open`) at the configured `api_url`.
//!
//! A `429` waits as long as its `Retry-After` says; a 5xx or a connection failure is retried
//! with backoff; both stop at the caller's deadline. An answer `{"ok": false}` is final. Tokens
//! go in the `Authorization` header only and no message ever shows one.

use std::time::Duration;

use serde_json::Value;
use tokio::time::Instant;

use crate::broker::config::Secret;

/// How long one call may take, connecting included.
pub const CALL_TIMEOUT: Duration = Duration::from_secs(5);
/// How long a call that answers a click may take: Slack's `trigger_id` lasts 3 seconds.
pub const CLICK_TIMEOUT: Duration = Duration::from_millis(2500);
const FIRST_BACKOFF: Duration = Duration::from_millis(500);
/// The longest a `Retry-After` is believed (Slack's are seconds to a minute).
const MAX_RETRY_AFTER: Duration = Duration::from_secs(60);

#[derive(Debug, thiserror::Error)]
pub enum CallError {
    #[error("{method}: Slack answered {error:?}")]
    Slack { method: String, error: String },
    #[error("{method}: {reason}")]
    Failed { method: String, reason: String },
    #[error("{method}: still rate-limited at the deadline")]
    RateLimited { method: String },
}

/// What a call sends: JSON (methods that write) or a form (methods that read).
pub enum Body<'a> {
    Json(&'a Value),
    Form(&'a [(&'a str, &'a str)]),
}

#[derive(Clone)]
pub struct Api {
    base: String,
    client: reqwest::Client,
}

enum Try {
    Done(Value),
    /// Wait this long, then try again.
    Again(Duration, String),
    Final(CallError),
}

impl Api {
    pub fn new(base: &str) -> Api {
        // Installing fails only when a provider is installed already, which is as good.
        let _ = rustls::crypto::ring::default_provider().install_default();
        let client = reqwest::Client::builder()
            .timeout(CALL_TIMEOUT)
            .connect_timeout(CALL_TIMEOUT)
            .redirect(reqwest::redirect::Policy::none())
            .user_agent(concat!("gate-broker/", env!("CARGO_PKG_VERSION")))
            .build()
            .expect("a client with rustls and ring builds");
        Api { base: base.trim_end_matches('/').to_string(), client }
    }

    /// Calls `method` until it answers, retrying what may be retried until `until`.
    pub async fn call(
        &self,
        method: &str,
        token: &Secret,
        body: Body<'_>,
        until: Instant,
    ) -> Result<Value, CallError> {
        let mut pause = FIRST_BACKOFF;
        loop {
            match self.try_once(method, token, &body).await {
                Try::Done(value) => return Ok(value),
                Try::Final(error) => return Err(error),
                Try::Again(wait, reason) => {
                    let wait = if reason == "rate-limited" {
                        wait
                    } else {
                        let backoff = pause;
                        pause *= 2;
                        backoff
                    };
                    if Instant::now() + wait > until {
                        return Err(if reason == "rate-limited" {
                            CallError::RateLimited { method: method.to_string() }
                        } else {
                            CallError::Failed { method: method.to_string(), reason }
                        });
                    }
                    tokio::time::sleep(wait).await;
                }
            }
        }
    }

    /// One try, for what must happen at once or not at all (a `trigger_id` lasts 3 seconds):
    /// no answer within `timeout` is a failure.
    pub async fn call_once(
        &self,
        method: &str,
        token: &Secret,
        body: Body<'_>,
        timeout: Duration,
    ) -> Result<Value, CallError> {
        match self.try_once_within(method, token, &body, timeout).await {
            Try::Done(value) => Ok(value),
            Try::Final(error) => Err(error),
            Try::Again(_, reason) => Err(CallError::Failed { method: method.to_string(), reason }),
        }
    }

    async fn try_once(&self, method: &str, token: &Secret, body: &Body<'_>) -> Try {
        self.try_once_within(method, token, body, CALL_TIMEOUT).await
    }

    async fn try_once_within(&self, method: &str, token: &Secret, body: &Body<'_>, timeout: Duration) -> Try {
        let request =
            self.client.post(format!("{}/{method}", self.base)).bearer_auth(token.expose()).timeout(timeout);
        let request = match body {
            Body::Json(value) => request
                .header(reqwest::header::CONTENT_TYPE, "application/json; charset=utf-8")
                .body(value.to_string()),
            Body::Form(fields) => {
                let form: String =
                    form_urlencoded::Serializer::new(String::new()).extend_pairs(fields.iter()).finish();
                request.header(reqwest::header::CONTENT_TYPE, "application/x-www-form-urlencoded").body(form)
            }
        };
        let response = match request.send().await {
            Ok(response) => response,
            Err(error) => return Try::Again(FIRST_BACKOFF, crate::webhook::reason(error)),
        };
        let status = response.status();
        if status.as_u16() == 429 {
            return Try::Again(retry_after(response.headers()), "rate-limited".into());
        }
        if status.is_server_error() {
            return Try::Again(FIRST_BACKOFF, format!("answered {}", status.as_u16()));
        }
        let failed = |reason: String| Try::Final(CallError::Failed { method: method.to_string(), reason });
        if !status.is_success() {
            return failed(format!("answered {}", status.as_u16()));
        }
        let value: Value = match response.json().await {
            Ok(value) => value,
            Err(_) => return failed("answered something that is not JSON".into()),
        };
        match value["ok"].as_bool() {
            Some(true) => Try::Done(value),
            _ if value["error"] == "ratelimited" => Try::Again(Duration::from_secs(1), "rate-limited".into()),
            _ => {
                let error = value["error"].as_str().unwrap_or("no error given").to_string();
                Try::Final(CallError::Slack { method: method.to_string(), error })
            }
        }
    }
}

/// The `Retry-After` of a 429, in seconds (one when missing or unreadable), capped.
fn retry_after(headers: &reqwest::header::HeaderMap) -> Duration {
    let seconds = headers
        .get(reqwest::header::RETRY_AFTER)
        .and_then(|value| value.to_str().ok())
        .and_then(|text| text.trim().parse::<u64>().ok())
        .unwrap_or(1);
    Duration::from_secs(seconds).min(MAX_RETRY_AFTER)
}
