//! One error type for every handler: a status and a message meant for the user, never internals.

use askama::Template;
use axum::http::StatusCode;
use axum::response::{Html, IntoResponse, Response};

/// What went wrong while answering a request.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// Nothing at this address.
    #[error("not found")]
    NotFound,
    /// A failure the user cannot fix; the details go to the log only.
    #[error("unexpected error")]
    Unexpected(#[from] anyhow::Error),
}

#[derive(Template)]
#[template(path = "error.html")]
struct ErrorPage<'a> {
    title: &'a str,
    message: &'a str,
}

impl IntoResponse for Error {
    fn into_response(self) -> Response {
        let (status, title, message) = match &self {
            Error::NotFound => (
                StatusCode::NOT_FOUND,
                "Not found",
                "There is nothing at this address.",
            ),
            Error::Unexpected(error) => {
                tracing::error!(error = %format!("{error:#}"), "request failed");
                (
                    StatusCode::INTERNAL_SERVER_ERROR,
                    "Something went wrong",
                    "The server could not answer this request. Nothing you sent was lost; please try again later.",
                )
            }
        };
        let body = ErrorPage { title, message }
            .render()
            .unwrap_or_else(|_| message.to_owned());
        (status, Html(body)).into_response()
    }
}
