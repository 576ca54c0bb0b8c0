//! The one error body of the API and the error type every handler returns.
//!
//! Every failure, including 404, 405, 413 and 429, answers with
//! `{"error", "detail", "timestamp", "request_id"}`. A 422 also lists the invalid fields in
//! `errors: [{"path", "value", "message", "accepted"}]`. Internal errors return a generic message
//! and are logged once here, with the request id, so no detail of the server leaks.

use axum::http::{HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use casualty_store::Millis;
use serde::Serialize;

/// One invalid field of a request.
#[derive(Debug, Clone, Serialize)]
pub struct FieldError {
    /// Path of the field, such as `configuration.front_configs[0].id`.
    pub path: String,
    /// The value received, or `null` when the field is missing.
    pub value: serde_json::Value,
    /// The problem with the value.
    pub message: String,
    /// Description of the accepted values.
    pub accepted: String,
}

/// An API failure: its status, a short error name, a sentence for people, and details.
#[derive(Debug)]
pub struct ApiError {
    status: StatusCode,
    error: &'static str,
    detail: String,
    errors: Vec<FieldError>,
    headers: Vec<(&'static str, String)>,
}

impl ApiError {
    /// A failure with a status, an error name and a detail sentence.
    pub fn new(status: StatusCode, error: &'static str, detail: impl Into<String>) -> ApiError {
        ApiError { status, error, detail: detail.into(), errors: Vec::new(), headers: Vec::new() }
    }

    /// 400: the request cannot be read.
    pub fn bad_request(detail: impl Into<String>) -> ApiError {
        ApiError::new(StatusCode::BAD_REQUEST, "bad_request", detail)
    }

    /// 401: no key, or a key that is unknown, disabled, revoked or expired.
    pub fn unauthorized(detail: impl Into<String>) -> ApiError {
        ApiError::new(StatusCode::UNAUTHORIZED, "unauthorized", detail)
    }

    /// 403: the key may not do this, such as asking for more patients than its limit.
    pub fn forbidden(detail: impl Into<String>) -> ApiError {
        ApiError::new(StatusCode::FORBIDDEN, "forbidden", detail)
    }

    /// 404: no such resource for this key.
    pub fn not_found(detail: impl Into<String>) -> ApiError {
        ApiError::new(StatusCode::NOT_FOUND, "not_found", detail)
    }

    /// 409: the resource is in a state that does not allow this.
    pub fn conflict(detail: impl Into<String>) -> ApiError {
        ApiError::new(StatusCode::CONFLICT, "conflict", detail)
    }

    /// 422: the body is valid JSON but its fields are invalid.
    pub fn invalid(detail: impl Into<String>, errors: Vec<FieldError>) -> ApiError {
        ApiError { errors, ..ApiError::new(StatusCode::UNPROCESSABLE_ENTITY, "validation_failed", detail) }
    }

    /// 500: a failure of the server. The cause is logged, never sent.
    pub fn internal(cause: &dyn std::fmt::Display) -> ApiError {
        tracing::error!(error = %cause, "internal error");
        ApiError::new(StatusCode::INTERNAL_SERVER_ERROR, "internal_error", "the server failed to handle the request; the failure is logged")
    }

    /// 503: the service cannot take this request now.
    pub fn unavailable(detail: impl Into<String>) -> ApiError {
        ApiError::new(StatusCode::SERVICE_UNAVAILABLE, "unavailable", detail)
    }

    /// Adds a response header, such as `Retry-After`.
    pub fn with_header(mut self, name: &'static str, value: impl Into<String>) -> ApiError {
        self.headers.push((name, value.into()));
        self
    }

    /// The HTTP status.
    pub fn status(&self) -> StatusCode {
        self.status
    }
}

impl From<casualty_store::StoreError> for ApiError {
    fn from(error: casualty_store::StoreError) -> ApiError {
        match error {
            casualty_store::StoreError::NotFound { .. } => ApiError::not_found(error.to_string()),
            casualty_store::StoreError::InvalidTransition { .. } | casualty_store::StoreError::JobNotFinished { .. } | casualty_store::StoreError::NameTaken { .. } => {
                ApiError::conflict(error.to_string())
            }
            other => ApiError::internal(&other),
        }
    }
}

/// The serialized error body.
#[derive(Serialize)]
struct Body<'a> {
    error: &'a str,
    detail: &'a str,
    timestamp: String,
    /// Filled in by the request-id layer (see [`crate::app`]), which has the request.
    request_id: Option<String>,
    #[serde(skip_serializing_if = "<[_]>::is_empty")]
    errors: &'a [FieldError],
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let body = Body { error: self.error, detail: &self.detail, timestamp: Millis::now().to_rfc3339(), request_id: None, errors: &self.errors };
        let mut response = (self.status, axum::Json(body)).into_response();
        for (name, value) in self.headers {
            if let Ok(value) = HeaderValue::from_str(&value) {
                response.headers_mut().insert(name, value);
            }
        }
        response.extensions_mut().insert(ErrorBody);
        response
    }
}

/// Marks a response whose body is an [`ApiError`], so the request-id layer fills in its
/// `request_id`.
#[derive(Debug, Clone, Copy)]
pub(crate) struct ErrorBody;
