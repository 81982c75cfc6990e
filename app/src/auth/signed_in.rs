//! For server functions: the app state and the administrator the sign-in
//! guard found, the same `CurrentAdmin` that form handlers extract.

use leptos::prelude::expect_context;

use super::current_admin::{Administrator, CurrentAdmin};
use crate::{error::AppError, state::AppState};

/// The app state and the signed-in administrator, or `SignInRequired`
/// (answered 401).
pub async fn signed_in() -> Result<(AppState, CurrentAdmin), AppError> {
    let admin = leptos_axum::extract::<CurrentAdmin>()
        .await
        .map_err(|_| AppError::SignInRequired.into_response_status())?;
    Ok((expect_context::<AppState>(), admin))
}

/// The app state and the signed-in member as an administrator: for the
/// server functions that change something (401, or 403 for a viewer).
pub async fn signed_in_administrator() -> Result<(AppState, Administrator), AppError> {
    let (state, admin) = signed_in().await?;
    let admin = admin.administrator().map_err(|refusal| refusal.respond())?;
    Ok((state, admin))
}
