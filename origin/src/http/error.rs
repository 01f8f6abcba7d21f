//! The one HTTP error type: every failure answers `{"error": {"code", "message"}}`.

use poem::http::StatusCode;
use poem::{IntoResponse, Response, error::ResponseError};
use poem_openapi::payload::Json;
use poem_openapi::{ApiResponse, Object};
use serde_json::json;

use crate::storage::StorageError;

/// An error answered to a caller; each variant documents its status.
#[derive(Debug, thiserror::Error)]
pub enum ApiError {
    /// 400: the request is malformed; `code` is machine-readable, the message names the field.
    #[error("{message}")]
    BadRequest { code: &'static str, message: String },
    /// 401: no valid credentials.
    #[error("{0}")]
    Unauthorized(&'static str),
    /// 403: the key is valid but may not do this (a read-only key writing).
    #[error("{0}")]
    Forbidden(&'static str),
    /// 409: the request conflicts with stored state (a taken code, an object with history).
    #[error("{message}")]
    Conflict { code: &'static str, message: String },
    /// 404: no such object for this caller (existence is never leaked).
    #[error("{0}")]
    NotFound(&'static str),
    /// 413: body over the route's limit.
    #[error("request body is larger than {0} bytes")]
    PayloadTooLarge(usize),
    /// 500: opaque to the caller; the cause goes to the log.
    #[error("internal error")]
    Internal(#[from] StorageError),
    /// 502: Stripe refused or could not be reached; the message says what it answered.
    #[error("{0}")]
    Upstream(String),
    /// 429: too many failed attempts from this address; retry after this many seconds.
    #[error("too many failed API key attempts from this address; retry in {0} s")]
    TooManyAttempts(i64),
}

impl ApiError {
    /// A 400 with a code and message.
    pub fn bad_request(code: &'static str, message: impl Into<String>) -> Self {
        Self::BadRequest { code, message: message.into() }
    }

    fn code(&self) -> &'static str {
        match self {
            Self::BadRequest { code, .. } => code,
            Self::Unauthorized(_) => "unauthorized",
            Self::Forbidden(_) => "forbidden",
            Self::Conflict { code, .. } => code,
            Self::NotFound(_) => "not_found",
            Self::PayloadTooLarge(_) => "payload_too_large",
            Self::Internal(_) => "internal",
            Self::Upstream(_) => "stripe_unavailable",
            Self::TooManyAttempts(_) => "rate_limited",
        }
    }
}

/// The JSON error envelope.
pub fn envelope(status: StatusCode, code: &str, message: &str) -> Response {
    Response::builder()
        .status(status)
        .content_type("application/json")
        .body(json!({ "error": { "code": code, "message": message } }).to_string())
}

impl ResponseError for ApiError {
    fn status(&self) -> StatusCode {
        match self {
            Self::BadRequest { .. } => StatusCode::BAD_REQUEST,
            Self::Unauthorized(_) => StatusCode::UNAUTHORIZED,
            Self::Forbidden(_) => StatusCode::FORBIDDEN,
            Self::Conflict { .. } => StatusCode::CONFLICT,
            Self::NotFound(_) => StatusCode::NOT_FOUND,
            Self::PayloadTooLarge(_) => StatusCode::PAYLOAD_TOO_LARGE,
            Self::Internal(_) => StatusCode::INTERNAL_SERVER_ERROR,
            Self::Upstream(_) => StatusCode::BAD_GATEWAY,
            Self::TooManyAttempts(_) => StatusCode::TOO_MANY_REQUESTS,
        }
    }

    fn as_response(&self) -> Response {
        if let Self::Internal(cause) = self {
            tracing::error!(error = %cause, "request failed");
        }
        let mut resp = envelope(self.status(), self.code(), &self.to_string());
        if let Self::TooManyAttempts(secs) = self
            && let Ok(v) = poem::http::HeaderValue::from_str(&secs.to_string())
        {
            resp.headers_mut().insert(poem::http::header::RETRY_AFTER, v);
        }
        resp
    }
}

/// The error envelope as the OpenAPI spec describes it.
#[derive(Debug, Clone, Object)]
pub struct ErrorEnvelope {
    /// What went wrong.
    pub error: ErrorBody,
}

/// `error` of the envelope.
#[derive(Debug, Clone, Object)]
pub struct ErrorBody {
    /// Machine-readable code, e.g. `invalid_request`, `not_found`.
    pub code: String,
    /// What was wrong, naming the field when one was.
    pub message: String,
}

/// The merchant API's error responses: [`ApiError`] in the OpenAPI spec's terms.
#[derive(Debug, ApiResponse)]
#[oai(bad_request_handler = "invalid_request")]
pub enum ApiFailure {
    /// The request is malformed; the message names the field.
    #[oai(status = 400)]
    BadRequest(Json<ErrorEnvelope>),
    /// No valid API key.
    #[oai(status = 401)]
    Unauthorized(Json<ErrorEnvelope>),
    /// The key may not do this.
    #[oai(status = 403)]
    Forbidden(Json<ErrorEnvelope>),
    /// No such object for this merchant.
    #[oai(status = 404)]
    NotFound(Json<ErrorEnvelope>),
    /// Conflicts with stored state.
    #[oai(status = 409)]
    Conflict(Json<ErrorEnvelope>),
    /// The body is too large.
    #[oai(status = 413)]
    PayloadTooLarge(Json<ErrorEnvelope>),
    /// Something failed on our side; details are in the log.
    #[oai(status = 500)]
    Internal(Json<ErrorEnvelope>),
    /// Too many failed API key attempts from this address (see `Retry-After`).
    #[oai(status = 429)]
    TooManyRequests(Json<ErrorEnvelope>, #[oai(header = "Retry-After")] Option<i64>),
    /// Stripe refused or could not be reached.
    #[oai(status = 502)]
    BadGateway(Json<ErrorEnvelope>),
}

/// poem-openapi's refusals of parameters and bodies, in the envelope (its message names the field).
fn invalid_request(err: poem::Error) -> ApiFailure {
    ApiFailure::from(ApiError::bad_request("invalid_request", err.to_string()))
}

impl From<ApiError> for ApiFailure {
    fn from(e: ApiError) -> Self {
        if let ApiError::Internal(cause) = &e {
            tracing::error!(error = %cause, "request failed");
        }
        let body = Json(ErrorEnvelope { error: ErrorBody { code: e.code().to_owned(), message: e.to_string() } });
        match e {
            ApiError::BadRequest { .. } => Self::BadRequest(body),
            ApiError::Unauthorized(_) => Self::Unauthorized(body),
            ApiError::Forbidden(_) => Self::Forbidden(body),
            ApiError::NotFound(_) => Self::NotFound(body),
            ApiError::Conflict { .. } => Self::Conflict(body),
            ApiError::PayloadTooLarge(_) => Self::PayloadTooLarge(body),
            ApiError::Internal(_) => Self::Internal(body),
            ApiError::Upstream(_) => Self::BadGateway(body),
            ApiError::TooManyAttempts(secs) => Self::TooManyRequests(body, Some(secs)),
        }
    }
}

impl From<StorageError> for ApiFailure {
    fn from(e: StorageError) -> Self {
        ApiError::Internal(e).into()
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        self.as_response()
    }
}

/// Reads a body up to `limit` bytes.
pub async fn read_body(body: poem::Body, limit: usize) -> Result<Vec<u8>, ApiError> {
    match body.into_bytes_limit(limit).await {
        Ok(bytes) => Ok(bytes.to_vec()),
        Err(poem::error::ReadBodyError::PayloadTooLarge) => Err(ApiError::PayloadTooLarge(limit)),
        Err(e) => Err(ApiError::bad_request("unreadable_body", e.to_string())),
    }
}
