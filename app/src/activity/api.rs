//! The Activity tab's one server function.

use leptos::prelude::*;

use super::entry::ActivityPage;
use crate::error::AppError;

/// A page of the signed-in tenant's activity; `section` and `kind` empty
/// for all.
#[server(prefix = "/rpc", endpoint = "list_activity", output = crate::rpc_codec::Answer)]
pub async fn list_activity(
    page: u64,
    section: String,
    kind: String,
) -> Result<ActivityPage, AppError> {
    use super::entry::ActivityKind;
    use crate::domain::EndpointKind;
    let (state, admin) = crate::auth::signed_in().await?;
    super::log::page(
        &state.db,
        admin.tenant_id,
        &admin.tenant_name,
        &admin.username,
        page,
        EndpointKind::parse(&section),
        ActivityKind::parse(&kind),
    )
    .await
    .map_err(|e| crate::error::ServiceError::from(e).respond())
}
