//! The error every server function returns. Variants split what the user can
//! fix (`Invalid`, `SignInRequired`, `Conflict`) from what they cannot
//! (`Internal`, whose cause goes to the log, never to the browser).

use crate::domain::FieldErrors;
use leptos::server_fn::{
    codec::JsonEncoding,
    error::{FromServerFnError, ServerFnErrorErr},
};
use serde::{Deserialize, Serialize};

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, thiserror::Error)]
pub enum AppError {
    #[error("Your session has ended. Sign in again to continue.")]
    SignInRequired,
    #[error("Not saved: correct the fields marked below.")]
    Invalid(FieldErrors),
    /// Saved by someone else since the form was loaded; says who and what.
    #[error(
        "Not saved: {0} Reload the page to see their changes; what you typed is still in the form."
    )]
    Conflict(String),
    #[error("Not sent: correct the fields marked below.")]
    NotSent(FieldErrors),
    #[error("{0}")]
    Refused(String),
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
    type Encoder = JsonEncoding;

    fn from_server_fn_error(value: ServerFnErrorErr) -> Self {
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
            AppError::Invalid(_) | AppError::NotSent(_) | AppError::Refused(_) => {
                StatusCode::UNPROCESSABLE_ENTITY
            }
            AppError::RateLimited { .. } => StatusCode::TOO_MANY_REQUESTS,
            AppError::Unavailable => StatusCode::SERVICE_UNAVAILABLE,
            AppError::Conflict(_) => StatusCode::CONFLICT,
            AppError::Internal | AppError::Transport(_) => StatusCode::INTERNAL_SERVER_ERROR,
        }
    }

    /// Logs an unexpected failure with its whole cause chain and hides it
    /// from the user.
    /// A lost database is told apart: the user learns it is temporary.
    pub fn internal(error: anyhow::Error) -> Self {
        if database_unreachable(&error) {
            tracing::warn!(error = format!("{error:#}"), "database unreachable");
            return AppError::Unavailable;
        }
        tracing::error!(error = format!("{error:#}"), "request failed");
        AppError::Internal
    }

    /// The response a plain (non-server-function) handler gives.
    pub fn into_plain_response(self) -> axum::response::Response {
        use axum::response::IntoResponse;
        (self.status(), self.to_string()).into_response()
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
