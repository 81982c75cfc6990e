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
    #[error("Not saved: someone else saved this section a moment ago. Reload the page to see their changes.")]
    Conflict,
    #[error("Not sent: correct the fields marked below.")]
    NotSent(FieldErrors),
    #[error("{0}")]
    Refused(String),
    #[error("Too many test events: at most {limit} a minute for your company. Try again in {retry_after_secs} seconds.")]
    RateLimited { limit: u32, retry_after_secs: u64 },
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
            AppError::Conflict => StatusCode::CONFLICT,
            AppError::Internal | AppError::Transport(_) => StatusCode::INTERNAL_SERVER_ERROR,
        }
    }

    /// Logs an unexpected failure with its whole cause chain and hides it
    /// from the user.
    pub fn internal(error: anyhow::Error) -> Self {
        tracing::error!(error = format!("{error:#}"), "request failed");
        AppError::Internal
    }

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
