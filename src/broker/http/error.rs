//! The one error type of the HTTP API and its one mapping to status codes. The body is always
//! `{"error": "..."}` with a message meant for the client; an internal error's text goes to the
//! broker's stderr, never to the client.

use axum::Json;
use axum::extract::rejection::JsonRejection;
use axum::extract::{FromRequest, Request};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use serde::de::DeserializeOwned;

use crate::approval::wire::ErrorBody;
use crate::broker::decide::Refusal;
use crate::broker::store::StoreError;

#[derive(Debug)]
pub enum ApiError {
    BadRequest(String),
    /// No token, or one the broker does not know.
    Unauthorized,
    /// A callback whose signature is missing, forged or stale.
    Unsigned(String),
    Forbidden(String),
    NotFound(String),
    MethodNotAllowed,
    Conflict(String),
    Gone(String),
    TooLarge,
    Internal(String),
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let (status, message) = self.into_parts();
        (status, Json(ErrorBody { error: message })).into_response()
    }
}

impl ApiError {
    /// The status and the client's message (an internal error's detail goes to stderr here).
    pub fn into_parts(self) -> (StatusCode, String) {
        match self {
            ApiError::BadRequest(message) => (StatusCode::BAD_REQUEST, message),
            ApiError::Unauthorized => {
                (StatusCode::UNAUTHORIZED, "missing or unknown bearer token".to_string())
            }
            ApiError::Unsigned(message) => (StatusCode::UNAUTHORIZED, message),
            ApiError::Forbidden(message) => (StatusCode::FORBIDDEN, message),
            ApiError::NotFound(message) => (StatusCode::NOT_FOUND, message),
            ApiError::MethodNotAllowed => {
                (StatusCode::METHOD_NOT_ALLOWED, "this route does not take that method".to_string())
            }
            ApiError::Conflict(message) => (StatusCode::CONFLICT, message),
            ApiError::Gone(message) => (StatusCode::GONE, message),
            ApiError::TooLarge => {
                (StatusCode::PAYLOAD_TOO_LARGE, "the request body is too large".to_string())
            }
            ApiError::Internal(detail) => {
                eprintln!("gate serve: internal error: {}", crate::display::escape_controls(&detail));
                (StatusCode::INTERNAL_SERVER_ERROR, "internal error (see the broker's log)".to_string())
            }
        }
    }
}

impl From<Refusal> for ApiError {
    fn from(refusal: Refusal) -> ApiError {
        let message = refusal.to_string();
        match refusal {
            Refusal::Decided { .. } | Refusal::Withdrawn | Refusal::AlreadyApproved => {
                ApiError::Conflict(message)
            }
            Refusal::Expired => ApiError::Gone(message),
            Refusal::SelfApproval { .. }
            | Refusal::NotEligible { .. }
            | Refusal::UnknownPerson { .. }
            | Refusal::NotYou { .. } => ApiError::Forbidden(message),
            Refusal::NoApprover => ApiError::BadRequest(message),
        }
    }
}

impl From<StoreError> for ApiError {
    fn from(error: StoreError) -> ApiError {
        match error {
            StoreError::Duplicate(_) => ApiError::Conflict(error.to_string()),
            StoreError::NotFound(_) => ApiError::NotFound(error.to_string()),
            StoreError::Ambiguous { .. } => ApiError::Conflict(error.to_string()),
            StoreError::Open { .. } | StoreError::Database(_) => ApiError::Internal(error.to_string()),
        }
    }
}

/// A JSON body whose rejections are [`ApiError`]s, so they answer in the API's one format.
pub struct Body<T>(pub T);

impl<S: Send + Sync, T: DeserializeOwned> FromRequest<S> for Body<T> {
    type Rejection = ApiError;

    async fn from_request(request: Request, state: &S) -> Result<Self, Self::Rejection> {
        match Json::<T>::from_request(request, state).await {
            Ok(Json(value)) => Ok(Body(value)),
            Err(rejection) if rejection.status() == StatusCode::PAYLOAD_TOO_LARGE => Err(ApiError::TooLarge),
            Err(JsonRejection::JsonDataError(error)) => Err(ApiError::BadRequest(error.body_text())),
            Err(rejection) => Err(ApiError::BadRequest(rejection.body_text())),
        }
    }
}
