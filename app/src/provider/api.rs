//! The provider pages' reads (changes are plain form posts: `routes.rs`).

use leptos::prelude::*;

use super::model::{OperatorAccountData, OperatorActivityView, TenantsData};
use crate::error::AppError;

/// Every tenant, for a signed-in operator.
#[server(prefix = "/rpc", endpoint = "list_tenants", output = crate::rpc_codec::Answer)]
pub async fn list_tenants() -> Result<TenantsData, AppError> {
    let (state, operator) = crate::auth::signed_in_operator().await?;
    super::service::list(&state.db, &operator)
        .await
        .map_err(crate::error::ServiceError::respond)
}

/// The operators' newest activity.
#[server(prefix = "/rpc", endpoint = "list_operator_activity", output = crate::rpc_codec::Answer)]
pub async fn list_operator_activity() -> Result<(String, Vec<OperatorActivityView>), AppError> {
    let (state, operator) = crate::auth::signed_in_operator().await?;
    let entries = super::log::newest(&state.db, 200)
        .await
        .map_err(|e| crate::error::ServiceError::from(e).respond())?;
    Ok((operator.username, entries))
}

/// The signed-in operator's own account.
#[server(prefix = "/rpc", endpoint = "load_operator_account", output = crate::rpc_codec::Answer)]
pub async fn load_operator_account() -> Result<OperatorAccountData, AppError> {
    let (state, operator) = crate::auth::signed_in_operator().await?;
    super::service::account(
        &state.db,
        &state.cipher,
        &operator,
        state.config.operator_two_factor_required,
    )
    .await
    .map_err(crate::error::ServiceError::respond)
}
