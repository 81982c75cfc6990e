//! My account's reads (changes are plain form posts: `routes.rs`).

use leptos::prelude::*;

use super::model::AccountData;
use crate::error::AppError;

/// My name, role and signed-in sessions.
#[server(prefix = "/rpc", endpoint = "load_account", output = crate::rpc_codec::Answer)]
pub async fn load_account() -> Result<AccountData, AppError> {
    let (state, admin) = crate::auth::signed_in().await?;
    let session = leptos_axum::extract::<tower_sessions::Session>()
        .await
        .map_err(|_| AppError::SignInRequired.into_response_status())?;
    super::service::load(
        &state.db,
        &state.cipher,
        state.outbox.is_on(),
        &admin,
        session.id().as_ref(),
    )
    .await
    .map_err(crate::error::ServiceError::respond)
}

/// The address a confirmation link of mine confirms, or that it is
/// another account's, or no longer works.
#[server(prefix = "/rpc", endpoint = "email_link_state", output = crate::rpc_codec::Answer)]
pub async fn email_link_state(token: String) -> Result<super::model::EmailLink, AppError> {
    let (state, admin) = crate::auth::signed_in().await?;
    super::email::link_state(&state.db, token.trim(), &admin)
        .await
        .map_err(crate::error::ServiceError::respond)
}
