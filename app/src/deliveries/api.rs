//! The Deliveries pages' server functions: thin, over `service`.

use leptos::prelude::*;

use super::model::{DeliveriesData, DeliveryFilters, EventDetail, RedeliveryPlan};
use crate::error::AppError;

/// A page of the signed-in tenant's events: `before` / `after` are the
/// cursors of the page links (empty for the newest).
#[server(prefix = "/rpc", endpoint = "list_deliveries", output = crate::rpc_codec::Answer)]
pub async fn list_deliveries(
    filters: DeliveryFilters,
    before: String,
    after: String,
    redelivered: String,
) -> Result<DeliveriesData, AppError> {
    let (state, admin) = crate::auth::signed_in().await?;
    super::service::list_page(
        &state,
        &admin,
        filters,
        &before,
        &after,
        redelivered.parse().ok(),
    )
    .await
    .map_err(crate::error::ServiceError::respond)
}

/// One of the signed-in tenant's events with its attempts.
#[server(prefix = "/rpc", endpoint = "delivery_event", output = crate::rpc_codec::Answer)]
pub async fn delivery_event(id: String, redelivered: bool) -> Result<EventDetail, AppError> {
    let (state, admin) = crate::auth::signed_in().await?;
    let id: i64 = id.parse().map_err(|_| {
        AppError::NotFound(format!(
            "There is no event {id:?} in your company's deliveries."
        ))
        .into_response_status()
    })?;
    super::service::event_page(&state, &admin, id, redelivered)
        .await
        .map_err(crate::error::ServiceError::respond)
}

/// What a redelivery would send, for its confirmation page: one event
/// (`id`), or a section's given-up events within `from`–`to`.
#[server(prefix = "/rpc", endpoint = "redelivery_preview", output = crate::rpc_codec::Answer)]
pub async fn redelivery_preview(
    id: String,
    section: String,
    state: String,
    from: String,
    to: String,
) -> Result<RedeliveryPlan, AppError> {
    let events_state = state;
    let (state, admin) = crate::auth::signed_in().await?;
    let form = super::service::RedeliveryForm {
        id,
        section,
        state: events_state,
        from,
        to,
    };
    super::service::preview(&state, &admin, &form)
        .await
        .map_err(crate::error::ServiceError::respond)
}

/// A replay of the signed-in member's tenant and its progress now.
#[server(prefix = "/rpc", endpoint = "load_replay", output = crate::rpc_codec::Answer)]
pub async fn load_replay(id: i32) -> Result<super::model::ReplayPage, AppError> {
    let (state, admin) = crate::auth::signed_in().await?;
    let replay = super::service::replay::progress(&state, &admin, id)
        .await
        .map_err(crate::error::ServiceError::respond)?;
    Ok(super::model::ReplayPage {
        tenant_name: admin.tenant_name.clone(),
        admin_username: admin.username.clone(),
        replay,
    })
}
