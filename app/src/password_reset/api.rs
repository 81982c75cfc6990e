//! The reset pages' reads (the changes are plain form posts: `routes.rs`).

use leptos::prelude::*;

use super::model::ResetLink;
use crate::error::AppError;

/// Whether this server can email reset links (SMTP configured). Public.
#[server(prefix = "/rpc", endpoint = "password_reset_offered", output = crate::rpc_codec::Answer)]
pub async fn password_reset_offered() -> Result<bool, AppError> {
    Ok(expect_context::<crate::state::AppState>().outbox.is_on())
}

/// Whose password a reset link sets, or that it no longer works. Public:
/// the token is the key (a wrong one learns nothing).
#[server(prefix = "/rpc", endpoint = "reset_link_state", output = crate::rpc_codec::Answer)]
pub async fn reset_link_state(token: String) -> Result<ResetLink, AppError> {
    let state = expect_context::<crate::state::AppState>();
    super::service::link_state(&state.db, token.trim())
        .await
        .map_err(crate::error::ServiceError::respond)
}
