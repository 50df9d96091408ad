//! Error types for handlers: each says what went wrong in words for the user, never internals.
//!
//! `Error` answers HTML pages; `ApiError` answers the JSON API. Unexpected failures are logged
//! (without request contents) and shown as a plain apology.

use askama::Template;
use axum::Json;
use axum::http::{StatusCode, header};
use axum::response::{Html, IntoResponse, Response};
use postern_core::intake::FieldError;
use postern_store::StoreError;

/// The messages of a use case's input errors as one sentence for a page that shows them in
/// one place (the field names are for the API).
pub(crate) fn messages(errors: Vec<FieldError>) -> String {
    errors
        .into_iter()
        .map(|e| e.message)
        .collect::<Vec<_>>()
        .join("; ")
}

/// What went wrong while answering a page request.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// Nothing at this address.
    #[error("not found")]
    NotFound,
    /// Too many submissions or case look-ups from this client; retry after the given seconds.
    #[error("too many requests")]
    TooManyRequests(u64),
    /// The request is malformed; the text says how.
    #[error("{0}")]
    BadRequest(String),
    /// The body is larger than allowed; the text names the limit.
    #[error("{0}")]
    PayloadTooLarge(String),
    /// Not allowed for this account, or a failed CSRF check; the text says why.
    #[error("{0}")]
    Forbidden(String),
    /// Someone else changed it first; the text says what to do.
    #[error("{0}")]
    Conflict(String),
    /// The project's policy does not offer this way in (Postern's report form); the text
    /// names the channels it does offer. Answered as 404.
    #[error("{0}")]
    NotOffered(String),
    /// A failure the user cannot fix; the details go to the log only.
    #[error("unexpected error")]
    Unexpected(#[from] anyhow::Error),
}

#[derive(Template)]
#[template(path = "error.html")]
struct ErrorPage<'a> {
    title: &'a str,
    nav: crate::nav::Nav,
    message: &'a str,
}

fn log_unexpected(error: &anyhow::Error) {
    tracing::error!(error = %format!("{error:#}"), "request failed");
}

const UNEXPECTED: &str = "The server could not answer this request. Nothing already stored was lost; please try again later.";

impl IntoResponse for Error {
    fn into_response(self) -> Response {
        let retry = if let Error::TooManyRequests(s) = &self {
            Some(*s)
        } else {
            None
        };
        let (status, title, message) = match &self {
            Error::NotFound => (
                StatusCode::NOT_FOUND,
                "Not found",
                "There is nothing at this address.".to_owned(),
            ),
            Error::TooManyRequests(s) => (
                StatusCode::TOO_MANY_REQUESTS,
                "Too many requests",
                format!(
                    "This connection has sent too many requests in a short time. Please wait {s} seconds and try again; nothing you sent before was lost."
                ),
            ),
            Error::BadRequest(m) => (StatusCode::BAD_REQUEST, "Bad request", m.clone()),
            Error::PayloadTooLarge(m) => (StatusCode::PAYLOAD_TOO_LARGE, "Too large", m.clone()),
            Error::Forbidden(m) => (StatusCode::FORBIDDEN, "Not allowed", m.clone()),
            Error::Conflict(m) => (StatusCode::CONFLICT, "Changed meanwhile", m.clone()),
            Error::NotOffered(m) => (StatusCode::NOT_FOUND, "No report form here", m.clone()),
            Error::Unexpected(e) => {
                log_unexpected(e);
                (
                    StatusCode::INTERNAL_SERVER_ERROR,
                    "Something went wrong",
                    UNEXPECTED.to_owned(),
                )
            }
        };
        let body = ErrorPage {
            title,
            nav: crate::nav::Nav::fallback(),
            message: &message,
        }
        .render()
        .unwrap_or(message.clone());
        // An error page says something about this request only (often a private one): never
        // kept by a cache.
        let mut response =
            (status, [(header::CACHE_CONTROL, "no-store")], Html(body)).into_response();
        if let Some(s) = retry {
            response.headers_mut().insert(header::RETRY_AFTER, s.into());
        }
        response
    }
}

/// What went wrong while answering an API request.
#[derive(Debug, thiserror::Error)]
pub enum ApiError {
    /// No such resource, or a wrong case key: deliberately indistinguishable.
    #[error("not found")]
    NotFound,
    /// Fields failed validation; each error names its field.
    #[error("the submission has errors")]
    Unprocessable(Vec<FieldError>),
    /// The body is malformed.
    #[error("{0}")]
    BadRequest(String),
    /// The body is too large; the text names the limit.
    #[error("{0}")]
    PayloadTooLarge(String),
    /// Not JSON.
    #[error("send the body as JSON with Content-Type: application/json")]
    UnsupportedMediaType,
    /// Too many submissions or case look-ups; retry after the given seconds.
    #[error("too many requests from this client; retry after {0} seconds")]
    TooManyRequests(u64),
    /// The project's policy takes no reports through Postern's form; the text names the
    /// channels it does offer. Answered as 404.
    #[error("{0}")]
    NotOffered(String),
    /// No usable credential (an API token unknown, expired or revoked).
    #[error("{0}")]
    Unauthorized(String),
    /// The credential does not allow this (a token for other projects or actions).
    #[error("{0}")]
    Forbidden(String),
    /// A failure the client cannot fix.
    #[error("unexpected error")]
    Unexpected(#[from] anyhow::Error),
}

impl From<StoreError> for ApiError {
    fn from(error: StoreError) -> ApiError {
        match error {
            StoreError::NotFound => ApiError::NotFound,
            StoreError::Limit(message) => ApiError::Unprocessable(vec![FieldError {
                field: "attachments".into(),
                message,
            }]),
            other => ApiError::Unexpected(anyhow::Error::new(other)),
        }
    }
}

impl From<StoreError> for Error {
    fn from(error: StoreError) -> Error {
        match error {
            StoreError::NotFound => Error::NotFound,
            StoreError::Limit(message) => Error::BadRequest(message),
            StoreError::Conflict(message) => Error::Conflict(message),
            other => Error::Unexpected(anyhow::Error::new(other)),
        }
    }
}

impl From<postern_app::Error> for ApiError {
    fn from(error: postern_app::Error) -> ApiError {
        use postern_app::Error as E;
        match error {
            E::NotFound | E::NotServed(_) | E::Forbidden(_) => ApiError::NotFound,
            E::Invalid(errors) => ApiError::Unprocessable(errors),
            E::NotOffered(message) => ApiError::NotOffered(message),
            E::Unauthenticated(message) => ApiError::Unauthorized(message),
            E::Refused(message) | E::Conflict(message) => {
                ApiError::Unprocessable(vec![FieldError {
                    field: String::new(),
                    message,
                }])
            }
            E::Store(other) => ApiError::from(other),
        }
    }
}

impl From<postern_app::Error> for Error {
    fn from(error: postern_app::Error) -> Error {
        use postern_app::Error as E;
        match error {
            E::NotFound => Error::NotFound,
            E::Forbidden(message) => Error::Forbidden(message),
            E::Conflict(message) => Error::Conflict(message),
            E::NotOffered(message) => Error::NotOffered(message),
            E::Unauthenticated(message) => Error::Forbidden(message),
            E::Refused(message) | E::NotServed(message) => Error::BadRequest(message),
            invalid @ E::Invalid(_) => Error::BadRequest(invalid.to_string()),
            E::Store(other) => Error::from(other),
        }
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let status = match &self {
            ApiError::NotFound | ApiError::NotOffered(_) => StatusCode::NOT_FOUND,
            ApiError::Unprocessable(_) => StatusCode::UNPROCESSABLE_ENTITY,
            ApiError::BadRequest(_) => StatusCode::BAD_REQUEST,
            ApiError::PayloadTooLarge(_) => StatusCode::PAYLOAD_TOO_LARGE,
            ApiError::UnsupportedMediaType => StatusCode::UNSUPPORTED_MEDIA_TYPE,
            ApiError::TooManyRequests(_) => StatusCode::TOO_MANY_REQUESTS,
            ApiError::Unauthorized(_) => StatusCode::UNAUTHORIZED,
            ApiError::Forbidden(_) => StatusCode::FORBIDDEN,
            ApiError::Unexpected(_) => StatusCode::INTERNAL_SERVER_ERROR,
        };
        let message = match &self {
            ApiError::Unexpected(e) => {
                log_unexpected(e);
                UNEXPECTED.to_owned()
            }
            other => other.to_string(),
        };
        let fields: Vec<serde_json::Value> = match &self {
            ApiError::Unprocessable(errors) => errors
                .iter()
                .map(|e| serde_json::json!({ "field": e.field, "message": e.message }))
                .collect(),
            _ => Vec::new(),
        };
        let mut response = (
            status,
            [(header::CACHE_CONTROL, "no-store")],
            Json(serde_json::json!({ "error": message, "fields": fields })),
        )
            .into_response();
        if let ApiError::TooManyRequests(s) = self {
            response.headers_mut().insert(header::RETRY_AFTER, s.into());
        }
        if status == StatusCode::UNAUTHORIZED {
            response.headers_mut().insert(
                header::WWW_AUTHENTICATE,
                axum::http::HeaderValue::from_static("Bearer"),
            );
        }
        response
    }
}
