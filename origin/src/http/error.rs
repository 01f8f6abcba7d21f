//! The one HTTP error type: every failure answers `{"error": {"code", "message"}}`.

use poem::http::StatusCode;
use poem::{Response, error::ResponseError};
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
    /// 404: no such object for this caller (existence is never leaked).
    #[error("{0}")]
    NotFound(&'static str),
    /// 413: body over the route's limit.
    #[error("request body is larger than {0} bytes")]
    PayloadTooLarge(usize),
    /// 500: opaque to the caller; the cause goes to the log.
    #[error("internal error")]
    Internal(#[from] StorageError),
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
            Self::NotFound(_) => "not_found",
            Self::PayloadTooLarge(_) => "payload_too_large",
            Self::Internal(_) => "internal",
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
            Self::NotFound(_) => StatusCode::NOT_FOUND,
            Self::PayloadTooLarge(_) => StatusCode::PAYLOAD_TOO_LARGE,
            Self::Internal(_) => StatusCode::INTERNAL_SERVER_ERROR,
        }
    }

    fn as_response(&self) -> Response {
        if let Self::Internal(cause) = self {
            tracing::error!(error = %cause, "request failed");
        }
        envelope(self.status(), self.code(), &self.to_string())
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
