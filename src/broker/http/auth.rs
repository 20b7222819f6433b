//! Authentication as extractors: a handler that takes [`HostAuth`] or [`ApproverAuth`] cannot
//! forget to check the token. Tokens are compared by their SHA-256 digests and never logged.

use axum::extract::FromRequestParts;
use axum::http::header::AUTHORIZATION;
use axum::http::request::Parts;

use super::ApiError;
use super::state::{AppState, Identity};

fn bearer(parts: &Parts) -> Option<&str> {
    let value = parts.headers.get(AUTHORIZATION)?.to_str().ok()?;
    let (scheme, token) = value.split_once(' ')?;
    scheme.eq_ignore_ascii_case("bearer").then(|| token.trim()).filter(|token| !token.is_empty())
}

/// A host, by the name its token proves.
pub struct HostAuth(pub String);

impl FromRequestParts<AppState> for HostAuth {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, Self::Rejection> {
        match bearer(parts).and_then(|token| state.identify(token)) {
            Some(Identity::Host(name)) => Ok(HostAuth(name)),
            Some(_) => Err(ApiError::Forbidden("this token is not a host's".into())),
            None => Err(ApiError::Unauthorized),
        }
    }
}

/// Someone who may look at and decide requests. The web page's session adds a variant later.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum ApproverAuth {
    /// A person, by their personal token.
    Person(String),
    /// A channel's receiver, by the channel's token: decides on behalf of a named person.
    Integration(String),
}

impl ApproverAuth {
    /// The channel recorded for a decision made this way.
    pub fn channel(&self) -> String {
        match self {
            ApproverAuth::Person(_) => "cli".to_string(),
            ApproverAuth::Integration(name) => format!("webhook:{name}"),
        }
    }
}

impl FromRequestParts<AppState> for ApproverAuth {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, Self::Rejection> {
        match bearer(parts).and_then(|token| state.identify(token)) {
            Some(Identity::Person(id)) => Ok(ApproverAuth::Person(id)),
            Some(Identity::Integration(name)) => Ok(ApproverAuth::Integration(name)),
            Some(Identity::Host(_)) => {
                Err(ApiError::Forbidden("a host's token cannot decide requests".into()))
            }
            None => Err(ApiError::Unauthorized),
        }
    }
}
