//! Why a use case did not happen, in words for the person who asked; the entry points map each
//! kind to their own way of saying it (an HTTP status, an exit code).

use postern_core::intake::FieldError;
use postern_store::StoreError;

/// Why a use case did not happen. Only `Store` carries details that are not for the user.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// No such report or advisory, or a wrong case key, or one this actor may not see:
    /// deliberately the same answer.
    #[error("not found")]
    NotFound,
    /// The actor's role does not allow it; the text says which role is needed.
    #[error("{0}")]
    Forbidden(String),
    /// The input is wrong; each error names its field and says what to write instead.
    #[error("{}", .0.iter().map(|e| format!("{}: {}", e.field, e.message)).collect::<Vec<_>>().join("; "))]
    Invalid(Vec<FieldError>),
    /// The rules refuse the action as things stand (a closed report, a date past the
    /// maximum embargo); the text says why.
    #[error("{0}")]
    Refused(String),
    /// Someone else changed it first; the text says what to do.
    #[error("{0}")]
    Conflict(String),
    /// The item's project is not served by this instance.
    #[error("{0}")]
    NotServed(String),
    /// The project's policy does not offer this way in (Postern's report form, for a policy
    /// that lists no `web-form` channel); the text names the channels it does offer.
    #[error("{0}")]
    NotOffered(String),
    /// No credential, or one that is unknown, expired or revoked (an API token); the text
    /// says which without echoing it.
    #[error("{0}")]
    Unauthenticated(String),
    /// The store failed; the details are for the log.
    #[error(transparent)]
    Store(StoreError),
}

impl Error {
    /// One input error on `field`.
    pub fn field(field: &str, message: impl Into<String>) -> Error {
        Error::Invalid(vec![FieldError {
            field: field.to_owned(),
            message: message.into(),
        }])
    }
}

impl From<StoreError> for Error {
    fn from(error: StoreError) -> Error {
        match error {
            StoreError::NotFound => Error::NotFound,
            StoreError::Conflict(m) => Error::Conflict(m),
            StoreError::Limit(m) => Error::Refused(m),
            other => Error::Store(other),
        }
    }
}
