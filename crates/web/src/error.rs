//! One error type, two renderings: JSON for `/api` (DESIGN error format) and HTML for the UI.
//! A 500 says only "internal error" and the request id; the detail goes to the log.

use std::collections::BTreeMap;

use askama::Template;
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Redirect, Response};
use medcrm_app::Error;
use serde::Serialize;

tokio::task_local! {
    /// The id of the request being handled, set by the request middleware.
    pub static REQUEST_ID: String;
}

pub fn request_id() -> String {
    REQUEST_ID.try_with(Clone::clone).unwrap_or_default()
}

/// An API error: an app error, or one the HTTP layer found itself (bad JSON, unknown route).
#[derive(Debug)]
pub struct ApiError {
    pub status: StatusCode,
    pub code: &'static str,
    pub message: String,
    pub fields: BTreeMap<String, String>,
    pub retry_after_s: Option<i64>,
}

#[derive(Serialize, utoipa::ToSchema)]
pub struct ErrorBody {
    pub error: ErrorDetail,
}

#[derive(Serialize, utoipa::ToSchema)]
pub struct ErrorDetail {
    /// Stable machine-readable code, e.g. `validation_failed`.
    pub code: String,
    pub message: String,
    /// Field → message, for validation errors.
    #[serde(skip_serializing_if = "BTreeMap::is_empty")]
    pub fields: BTreeMap<String, String>,
    pub request_id: String,
}

impl ApiError {
    pub fn new(status: StatusCode, code: &'static str, message: impl Into<String>) -> ApiError {
        ApiError {
            status,
            code,
            message: message.into(),
            fields: BTreeMap::new(),
            retry_after_s: None,
        }
    }

    pub fn field(mut self, field: impl Into<String>, message: impl Into<String>) -> ApiError {
        self.fields.insert(field.into(), message.into());
        self
    }

    pub fn not_found() -> ApiError {
        ApiError::new(StatusCode::NOT_FOUND, "not_found", "no such resource")
    }
}

pub fn status_of(e: &Error) -> StatusCode {
    match e {
        Error::Unauthenticated | Error::InvalidCredentials => StatusCode::UNAUTHORIZED,
        Error::Forbidden => StatusCode::FORBIDDEN,
        Error::NotFound(_) => StatusCode::NOT_FOUND,
        Error::Conflict { .. } | Error::Insufficient { .. } => StatusCode::CONFLICT,
        Error::Invalid(_) | Error::Refused { .. } => StatusCode::UNPROCESSABLE_ENTITY,
        Error::RateLimited { .. } => StatusCode::TOO_MANY_REQUESTS,
        Error::Internal(_) => StatusCode::INTERNAL_SERVER_ERROR,
    }
}

/// The message shown to the caller; internal detail is logged, never shown.
pub fn public_message(e: &Error) -> String {
    match e {
        Error::Internal(detail) => {
            tracing::error!(request_id = %request_id(), "internal error: {detail}");
            "internal error".into()
        }
        other => other.to_string(),
    }
}

impl From<Error> for ApiError {
    fn from(e: Error) -> Self {
        let mut out = ApiError::new(status_of(&e), e.code(), public_message(&e));
        match e {
            Error::Invalid(fields) => {
                out.fields = fields.into_iter().map(|(k, v)| (k.to_owned(), v)).collect();
            }
            Error::Conflict {
                field: Some(f),
                message,
            } => {
                out.fields.insert(f.to_owned(), message);
            }
            Error::Refused { field, message, .. } | Error::Insufficient { field, message, .. } => {
                out.fields.insert(field.to_owned(), message);
            }
            Error::RateLimited { retry_after_s } => out.retry_after_s = Some(retry_after_s),
            _ => {}
        }
        out
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let body = ErrorBody {
            error: ErrorDetail {
                code: self.code.to_owned(),
                message: self.message,
                fields: self.fields,
                request_id: request_id(),
            },
        };
        let mut res = (self.status, axum::Json(body)).into_response();
        if let Some(s) = self
            .retry_after_s
            .and_then(|s| HeaderValue::from_str(&s.to_string()).ok())
        {
            res.headers_mut().insert(header::RETRY_AFTER, s);
        }
        res
    }
}

/// A UI error: unauthenticated → the login page; anything else → an error page.
#[derive(Debug)]
pub struct UiError(pub Error);

impl From<Error> for UiError {
    fn from(e: Error) -> Self {
        UiError(e)
    }
}

#[derive(Template)]
#[template(path = "error.html")]
struct ErrorPage {
    status: u16,
    message: String,
    request_id: String,
}

impl IntoResponse for UiError {
    fn into_response(self) -> Response {
        if matches!(self.0, Error::Unauthenticated) {
            return Redirect::to("/login").into_response();
        }
        let status = status_of(&self.0);
        let page = ErrorPage {
            status: status.as_u16(),
            message: public_message(&self.0),
            request_id: request_id(),
        };
        match page.render() {
            Ok(html) => (status, axum::response::Html(html)).into_response(),
            Err(_) => (status, "error").into_response(),
        }
    }
}
