//! The API tokens tab's one server function (creating and revoking are
//! plain form posts: `routes.rs`).

use leptos::prelude::*;

use super::model::ApiTokensData;
use crate::error::AppError;

/// The signed-in tenant's tokens.
#[server(prefix = "/rpc", endpoint = "list_api_tokens", output = crate::rpc_codec::Answer)]
pub async fn list_api_tokens() -> Result<ApiTokensData, AppError> {
    let (state, admin) = crate::auth::signed_in().await?;
    let tokens = super::service::list(&state.db, admin.tenant_id)
        .await
        .map_err(crate::error::ServiceError::respond)?;
    Ok(ApiTokensData {
        tenant_name: admin.tenant_name,
        admin_username: admin.username,
        tokens,
    })
}
