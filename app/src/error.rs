//! Errors, by who can act on them.
//!
//! - `AppError`: what the browser sees, from every server function and form
//!   handler. Its variants say what the user can fix (`Invalid`, `Conflict`,
//!   `BadRequest`, ...) or that it is ours (`Internal`, `Unavailable`),
//!   without the cause.
//! - `ServiceError` (server only): what services return, a refusal the
//!   user can fix or a failure of ours with its whole cause chain. It is
//!   logged once, where the response is made (`respond`,
//!   `into_plain_response`), not where it is built.

use crate::domain::FieldErrors;
use leptos::server_fn::error::{FromServerFnError, ServerFnErrorErr};
use serde::{Deserialize, Serialize};

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, thiserror::Error)]
pub enum AppError {
    #[error("Your session has ended. Sign in again to continue.")]
    SignInRequired,
    #[error("Not saved: correct the fields marked below.")]
    Invalid(FieldErrors),
    /// A request the page could not have made as it is: a missing or
    /// unreadable field the form always sends (like its version).
    #[error("{0}")]
    BadRequest(String),
    /// Saved by someone else since the form was loaded; says who and what.
    #[error(
        "Not saved: {0} Reload the page to see their changes; what you typed is still in the form."
    )]
    Conflict(String),
    #[error("Not sent: correct the fields marked below.")]
    NotSent(FieldErrors),
    #[error("{0}")]
    Refused(String),
    /// The signed-in member's role does not allow it (a viewer's write).
    #[error("{0}")]
    Forbidden(String),
    /// Nothing of the signed-in tenant's by that name (another tenant's
    /// is not theirs to know of).
    #[error("{0}")]
    NotFound(String),
    #[error("Too many test events: at most {limit} a minute for your company. Try again in {retry_after_secs} seconds.")]
    RateLimited { limit: u32, retry_after_secs: u64 },
    #[error("The service cannot reach its database right now, so nothing was loaded or changed. Try again in a moment.")]
    Unavailable,
    #[error("Something went wrong on our side. Try again in a moment.")]
    Internal,
    #[error("The server could not be reached ({0}). Check your connection and try again.")]
    Transport(String),
}

impl FromServerFnError for AppError {
    /// Read in the browser as the answers are (`rpc_codec`).
    type Encoder = crate::rpc_codec::JsonText;

    /// On the server, arguments that cannot be read (a non-numeric id, an
    /// unknown section, a cut or oversized body) are the client's mistake:
    /// 400, not 500. In the browser, this is how a failed call arrives.
    fn from_server_fn_error(value: ServerFnErrorErr) -> Self {
        #[cfg(feature = "ssr")]
        if matches!(
            value,
            ServerFnErrorErr::Args(_)
                | ServerFnErrorErr::MissingArg(_)
                | ServerFnErrorErr::Deserialization(_)
        ) {
            return AppError::BadRequest(format!(
                "This request could not be read ({value}). Reload the page and try again."
            ))
            .into_response_status();
        }
        AppError::Transport(value.to_string())
    }
}

#[cfg(feature = "ssr")]
impl AppError {
    /// The HTTP status an API client sees for this error.
    pub fn status(&self) -> http::StatusCode {
        use http::StatusCode;
        match self {
            AppError::SignInRequired => StatusCode::UNAUTHORIZED,
            AppError::BadRequest(_) => StatusCode::BAD_REQUEST,
            AppError::NotFound(_) => StatusCode::NOT_FOUND,
            AppError::Forbidden(_) => StatusCode::FORBIDDEN,
            AppError::Invalid(_) | AppError::NotSent(_) | AppError::Refused(_) => {
                StatusCode::UNPROCESSABLE_ENTITY
            }
            AppError::RateLimited { .. } => StatusCode::TOO_MANY_REQUESTS,
            AppError::Unavailable => StatusCode::SERVICE_UNAVAILABLE,
            AppError::Conflict(_) => StatusCode::CONFLICT,
            AppError::Internal | AppError::Transport(_) => StatusCode::INTERNAL_SERVER_ERROR,
        }
    }

    /// The response a plain (non-server-function) handler gives.
    pub fn into_plain_response(self) -> axum::response::Response {
        use axum::response::IntoResponse;
        (self.status(), self.to_string()).into_response()
    }
}

/// What a service returns when it does not do what was asked.
#[cfg(feature = "ssr")]
#[derive(Debug)]
pub enum ServiceError {
    /// The user can fix it; said as it is.
    User(AppError),
    /// Ours: the cause goes to the log once, the user learns only that it
    /// failed (or that the database is out of reach, which is temporary).
    Ours(anyhow::Error),
}

#[cfg(feature = "ssr")]
impl From<anyhow::Error> for ServiceError {
    fn from(error: anyhow::Error) -> Self {
        ServiceError::Ours(error)
    }
}

#[cfg(feature = "ssr")]
impl From<AppError> for ServiceError {
    fn from(error: AppError) -> Self {
        ServiceError::User(error)
    }
}

#[cfg(feature = "ssr")]
impl From<sea_orm::DbErr> for ServiceError {
    fn from(error: sea_orm::DbErr) -> Self {
        ServiceError::Ours(error.into())
    }
}

#[cfg(feature = "ssr")]
impl ServiceError {
    /// What the user is told; a failure of ours is logged here, once.
    pub fn into_app_error(self) -> AppError {
        match self {
            ServiceError::User(error) => error,
            ServiceError::Ours(error) if database_unreachable(&error) => {
                tracing::warn!(error = format!("{error:#}"), "database unreachable");
                AppError::Unavailable
            }
            ServiceError::Ours(error) => {
                tracing::error!(error = format!("{error:#}"), "request failed");
                AppError::Internal
            }
        }
    }

    /// For server functions: the error, with the response status set.
    pub fn respond(self) -> AppError {
        self.into_app_error().into_response_status()
    }

    /// For plain handlers: the status and the message as text.
    pub fn into_plain_response(self) -> axum::response::Response {
        self.into_app_error().into_plain_response()
    }
}

/// Whether the cause is the database being out of reach (down, restarting,
/// connections cut, pool exhausted) rather than a fault in a query.
#[cfg(feature = "ssr")]
pub fn database_unreachable(error: &anyhow::Error) -> bool {
    use sea_orm::{sqlx, DbErr, RuntimeErr};
    error.chain().any(|cause| {
        if let Some(db) = cause.downcast_ref::<DbErr>() {
            return match db {
                DbErr::ConnectionAcquire(_) | DbErr::Conn(_) => true,
                DbErr::Exec(RuntimeErr::SqlxError(e)) | DbErr::Query(RuntimeErr::SqlxError(e)) => {
                    matches!(
                        **e,
                        sqlx::Error::Io(_)
                            | sqlx::Error::PoolTimedOut
                            | sqlx::Error::PoolClosed
                            | sqlx::Error::WorkerCrashed
                            | sqlx::Error::Tls(_)
                            | sqlx::Error::Protocol(_)
                    )
                }
                _ => false,
            };
        }
        // The session store reports through tower-sessions as text.
        let text = cause.to_string();
        text.contains("Failed to acquire connection") || text.contains("Connection Error")
    })
}

#[cfg(feature = "ssr")]
impl AppError {
    /// Sets the response status of the current server function call.
    pub fn into_response_status(self) -> Self {
        if let Some(options) = leptos::prelude::use_context::<leptos_axum::ResponseOptions>() {
            options.set_status(self.status());
        }
        self
    }
}

#[cfg(test)]
mod tests {
    use super::AppError;

    #[test]
    fn rate_limit_message_says_the_limit_and_when_to_try_again() {
        let message = AppError::RateLimited {
            limit: 10,
            retry_after_secs: 42,
        }
        .to_string();
        assert_eq!(
            message,
            "Too many test events: at most 10 a minute for your company. Try again in 42 seconds."
        );
    }
}
