//! The approver's client of the broker API (`gate requests`, `gate approve`, `gate deny`):
//! blocking reqwest over rustls, built only on these commands' path.

use std::time::Duration;

use serde::de::DeserializeOwned;

use crate::approval::wire::{Decided, DecisionBody, ErrorBody, RequestList, RequestView, WhoAmI};

const TIMEOUT: Duration = Duration::from_secs(15);

#[derive(Debug, thiserror::Error)]
pub enum ClientError {
    #[error("{0:?} is not an http:// or https:// URL")]
    BadUrl(String),
    #[error("cannot reach the broker at {target}: {reason}")]
    Unreachable { target: String, reason: String },
    /// The broker answered 4xx or 5xx; `message` is its `error`.
    #[error("{message}")]
    Refused { status: u16, message: String },
    #[error("the broker's answer is not what was expected: {0}")]
    BadAnswer(String),
}

pub struct ApproverClient {
    base: reqwest::Url,
    token: String,
    client: reqwest::blocking::Client,
}

impl ApproverClient {
    pub fn new(url: &str, token: &str) -> Result<ApproverClient, ClientError> {
        let base = reqwest::Url::parse(url.trim_end_matches('/'))
            .ok()
            .filter(|url| matches!(url.scheme(), "http" | "https") && url.host_str().is_some())
            .ok_or_else(|| ClientError::BadUrl(url.to_string()))?;
        let _ = rustls::crypto::ring::default_provider().install_default();
        let client = reqwest::blocking::Client::builder()
            .timeout(TIMEOUT)
            .redirect(reqwest::redirect::Policy::none())
            .user_agent(concat!("gate/", env!("CARGO_PKG_VERSION")))
            .build()
            .map_err(|error| ClientError::Unreachable {
                target: url.to_string(),
                reason: error.to_string(),
            })?;
        Ok(ApproverClient { base, token: token.to_string(), client })
    }

    fn target(&self) -> String {
        let port = self.base.port().map(|p| format!(":{p}")).unwrap_or_default();
        format!("{}://{}{port}", self.base.scheme(), self.base.host_str().unwrap_or(""))
    }

    fn url(&self, path: &str) -> String {
        format!("{}{path}", self.base.as_str().trim_end_matches('/'))
    }

    fn send<T: DeserializeOwned>(
        &self,
        request: reqwest::blocking::RequestBuilder,
    ) -> Result<T, ClientError> {
        let response = request.bearer_auth(&self.token).send().map_err(|error| ClientError::Unreachable {
            target: self.target(),
            reason: crate::webhook::reason(error),
        })?;
        let status = response.status();
        let text = response.text().map_err(|error| ClientError::BadAnswer(error.to_string()))?;
        if !status.is_success() {
            let message = serde_json::from_str::<ErrorBody>(&text)
                .map(|body| body.error)
                .unwrap_or_else(|_| format!("the broker answered {}", status.as_u16()));
            return Err(ClientError::Refused { status: status.as_u16(), message });
        }
        serde_json::from_str(&text).map_err(|error| ClientError::BadAnswer(error.to_string()))
    }

    pub fn whoami(&self) -> Result<WhoAmI, ClientError> {
        self.send(self.client.get(self.url("/v1/whoami")))
    }

    pub fn list(&self, all: bool) -> Result<RequestList, ClientError> {
        let state = if all { "all" } else { "pending" };
        self.send(self.client.get(self.url(&format!("/v1/requests?state={state}"))))
    }

    pub fn show(&self, id: &str, full: bool) -> Result<RequestView, ClientError> {
        let query = if full { "?full=1" } else { "" };
        self.send(self.client.get(self.url(&format!("/v1/requests/{}{query}", encode(id)))))
    }

    pub fn decide(&self, id: &str, body: &DecisionBody) -> Result<Decided, ClientError> {
        self.send(self.client.post(self.url(&format!("/v1/requests/{}/decisions", encode(id)))).json(body))
    }
}

/// An id or prefix as one path segment.
fn encode(id: &str) -> String {
    id.bytes()
        .map(|b| if b.is_ascii_alphanumeric() { (b as char).to_string() } else { format!("%{b:02X}") })
        .collect()
}
