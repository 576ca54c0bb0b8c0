//! API keys: the `X-API-Key` extractor and the rate-limit admission of each request.

use std::sync::{Arc, Mutex};

use axum::extract::{FromRequestParts, Request};
use axum::http::request::Parts;
use axum::http::{HeaderMap, HeaderValue};
use axum::middleware::Next;
use axum::response::Response;
use casualty_store::{AdmitError, ApiKey, AuthError, KeyKind, Millis, Quota, RateLimits, RequestKind};

use crate::error::ApiError;
use crate::state::AppState;

/// The header that carries the key.
pub const API_KEY_HEADER: &str = "x-api-key";

/// The authenticated caller of a request.
#[derive(Debug, Clone)]
pub struct Caller {
    /// The caller's key.
    pub key: ApiKey,
    /// Slot for the quota of an admitted request, read by [`add_rate_limit_headers`].
    quota: QuotaSlot,
}

/// The quota left after the request's admission, passed from the handler to the response.
#[derive(Debug, Clone, Default)]
struct QuotaSlot(Arc<Mutex<Option<Quota>>>);

impl QuotaSlot {
    fn set(&self, quota: Option<Quota>) {
        *self.0.lock().unwrap_or_else(|poisoned| poisoned.into_inner()) = quota;
    }

    fn take(&self) -> Option<Quota> {
        self.0.lock().unwrap_or_else(|poisoned| poisoned.into_inner()).take()
    }
}

/// Adds `X-RateLimit-Limit`, `X-RateLimit-Remaining` and `X-RateLimit-Reset` to the response of
/// every request that a rate limit admitted, describing the window with the fewest requests
/// left. Rejections set their own headers.
pub async fn add_rate_limit_headers(mut request: Request, next: Next) -> Response {
    let slot = QuotaSlot::default();
    request.extensions_mut().insert(slot.clone());
    let mut response = next.run(request).await;
    if let Some(quota) = slot.take() {
        let headers = response.headers_mut();
        if !headers.contains_key("x-ratelimit-limit") {
            insert_quota_headers(headers, quota);
        }
    }
    response
}

fn insert_quota_headers(headers: &mut HeaderMap, quota: Quota) {
    headers.insert("x-ratelimit-limit", HeaderValue::from(quota.limit));
    headers.insert("x-ratelimit-remaining", HeaderValue::from(quota.remaining));
    if let Ok(reset) = HeaderValue::from_str(&quota.reset_at.to_rfc3339()) {
        headers.insert("x-ratelimit-reset", reset);
    }
    headers.insert("x-ratelimit-window", HeaderValue::from_static(quota.window.as_str()));
}

impl FromRequestParts<AppState> for Caller {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Caller, ApiError> {
        let Some(value) = parts.headers.get(API_KEY_HEADER) else {
            return Err(ApiError::unauthorized("missing API key: send it in the X-API-Key header"));
        };
        let secret = value.to_str().map_err(|_| ApiError::unauthorized("invalid API key: the X-API-Key header is not visible ASCII"))?;
        match state.store.authenticate(secret.trim(), Millis::now()).await {
            Ok(key) if key.kind == KeyKind::Demo && !state.config.demo_key => Err(ApiError::unauthorized("the demo key is disabled on this server")),
            Ok(key) => Ok(Caller { key, quota: parts.extensions.get::<QuotaSlot>().cloned().unwrap_or_default() }),
            Err(AuthError::Store(error)) => Err(ApiError::internal(&error)),
            Err(error) => Err(ApiError::unauthorized(format!("{error}; ask the operator for a valid key"))),
        }
    }
}

impl Caller {
    /// Admits one generating request for `patients` patients, or rejects it: 403 above the
    /// key's patients-per-request limit, 429 above a rate limit.
    ///
    /// # Errors
    /// The rejection, with `Retry-After` and rate-limit headers on a 429.
    pub async fn admit_generation(&self, state: &AppState, patients: u64) -> Result<(), ApiError> {
        if let Some(limit) = self.key.limits.patients_per_request {
            if patients > u64::from(limit.get()) {
                return Err(ApiError::forbidden(format!(
                    "this request asks for {patients} patients, above this key's limit of {limit} patients per request; ask for at most {limit}, or ask the service operator for a key with a higher limit"
                )));
            }
        }
        self.admit(state, RequestKind::Generate, patients, self.key.limits.rate).await
    }

    /// Admits one read (polling, pages, downloads) under the service's read limits.
    ///
    /// # Errors
    /// A 429 rejection.
    pub async fn admit_read(&self, state: &AppState) -> Result<(), ApiError> {
        let limits = state.config.read_limits;
        let rate = RateLimits { per_minute: Some(limits.per_minute), per_hour: Some(limits.per_hour), per_day: Some(limits.per_day) };
        self.admit(state, RequestKind::Read, 0, rate).await
    }

    async fn admit(&self, state: &AppState, kind: RequestKind, patients: u64, limits: RateLimits) -> Result<(), ApiError> {
        match state.store.admit(self.key.id, kind, patients, limits, Millis::now()).await {
            Ok(quota) => {
                self.quota.set(quota);
                Ok(())
            }
            Err(AdmitError::Rejected(rejection)) => {
                state.metrics.record_rate_limit_rejection(self.key.kind, rejection.window);
                let seconds = rejection.retry_after_seconds().max(1);
                let next_step = match self.key.kind {
                    KeyKind::Demo => "the demo key is for trying the service: ask the operator of this service for a personal key with higher limits",
                    _ => "ask the operator of this service to raise this key's limits if you need more",
                };
                Err(ApiError::new(axum::http::StatusCode::TOO_MANY_REQUESTS, "rate_limited", format!("{rejection}; {next_step}"))
                    .with_header("retry-after", seconds.to_string())
                    .with_header("x-ratelimit-limit", rejection.limit.to_string())
                    .with_header("x-ratelimit-remaining", "0")
                    .with_header("x-ratelimit-reset", rejection.retry_at.to_rfc3339())
                    .with_header("x-ratelimit-window", rejection.window.as_str()))
            }
            Err(AdmitError::Store(error)) => Err(ApiError::internal(&error)),
        }
    }
}
