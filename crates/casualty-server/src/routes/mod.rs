//! Handlers, grouped by resource, and the JSON body extractor whose rejections use the API's
//! error body.

pub mod configurations;
pub mod downloads;
pub mod events;
pub mod generation;
pub mod health;
pub mod jobs;
pub mod presets;
pub mod report;
pub mod streaming;

use axum::extract::rejection::JsonRejection;
use axum::extract::{FromRequest, Request};
use axum::http::StatusCode;
use serde_json::Value;

use crate::error::ApiError;

/// A JSON request body. Malformed JSON gets 400, a wrong content type 415 and a body above the
/// size limit 413, each with the API's error body.
pub struct JsonBody(pub Value);

impl<S: Send + Sync> FromRequest<S> for JsonBody {
    type Rejection = ApiError;

    async fn from_request(request: Request, state: &S) -> Result<JsonBody, ApiError> {
        match axum::Json::<Value>::from_request(request, state).await {
            Ok(axum::Json(value)) => Ok(JsonBody(value)),
            Err(JsonRejection::JsonDataError(error)) => Err(ApiError::bad_request(format!("invalid JSON body: {}", error.body_text()))),
            Err(JsonRejection::JsonSyntaxError(error)) => Err(ApiError::bad_request(format!("malformed JSON body: {}", error.body_text()))),
            Err(JsonRejection::MissingJsonContentType(_)) => {
                Err(ApiError::new(StatusCode::UNSUPPORTED_MEDIA_TYPE, "unsupported_media_type", "the body must be JSON, sent with Content-Type: application/json"))
            }
            Err(JsonRejection::BytesRejection(error)) if error.status() == StatusCode::PAYLOAD_TOO_LARGE => {
                Err(ApiError::new(StatusCode::PAYLOAD_TOO_LARGE, "payload_too_large", "the request body is larger than this server accepts; send a smaller body"))
            }
            Err(other) => Err(ApiError::bad_request(format!("invalid request body: {}", other.body_text()))),
        }
    }
}
