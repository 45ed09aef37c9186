//! API errors: a JSON body `{"error": {"code", "message"}}` and the right HTTP status.

use axum::http::{header, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::Json;

use crate::classifier::ClassifyError;

#[derive(Debug)]
pub struct ApiError {
    pub status: StatusCode,
    pub code: &'static str,
    pub message: String,
    pub retry_after_s: Option<u32>,
    /// Refused before its body was read: the connection is closed after the answer
    /// (`Connection: close`), so that the unread upload is never parsed as a next request.
    pub close_connection: bool,
}

impl ApiError {
    pub fn new(status: StatusCode, code: &'static str, message: impl Into<String>) -> Self {
        ApiError {
            status,
            code,
            message: message.into(),
            retry_after_s: None,
            close_connection: false,
        }
    }

    /// The same error, for a request refused before its body was read.
    pub fn before_reading_the_body(self) -> Self {
        ApiError {
            close_connection: true,
            ..self
        }
    }

    pub fn overloaded(retry_after_s: u32) -> Self {
        ApiError {
            retry_after_s: Some(retry_after_s),
            ..ApiError::new(
                StatusCode::SERVICE_UNAVAILABLE,
                "overloaded",
                "the server is busy; retry shortly",
            )
        }
    }

    pub fn too_large(limit: usize) -> Self {
        ApiError::new(
            StatusCode::PAYLOAD_TOO_LARGE,
            "payload_too_large",
            format!("the upload is larger than {} MB", limit / 1_000_000),
        )
    }
}

impl From<ClassifyError> for ApiError {
    fn from(e: ClassifyError) -> Self {
        let status = match &e {
            ClassifyError::UnsupportedFormat { .. } | ClassifyError::NotAnImage { .. } => {
                StatusCode::UNSUPPORTED_MEDIA_TYPE
            }
            ClassifyError::TooLarge { .. } => StatusCode::PAYLOAD_TOO_LARGE,
            e if e.is_input_error() => StatusCode::BAD_REQUEST,
            _ => StatusCode::INTERNAL_SERVER_ERROR,
        };
        ApiError::new(status, e.code(), e.to_string())
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let body = serde_json::json!({ "error": { "code": self.code, "message": self.message } });
        let mut response = (self.status, Json(body)).into_response();
        if let Some(s) = self.retry_after_s {
            response
                .headers_mut()
                .insert(header::RETRY_AFTER, HeaderValue::from(s));
        }
        if self.close_connection {
            response
                .headers_mut()
                .insert(header::CONNECTION, HeaderValue::from_static("close"));
        }
        response
    }
}
