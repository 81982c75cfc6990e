//! The Event URL tab's server functions: who is asking, then the service.

use leptos::prelude::*;

use super::model::{EndpointView, EventUrlData};
use crate::{
    domain::{EndpointForm, EndpointKind, SecretKind},
    error::AppError,
};

#[server(prefix = "/rpc", endpoint = "load_event_url", output = crate::rpc_codec::Answer)]
pub async fn load_event_url() -> Result<EventUrlData, AppError> {
    let (state, admin) = crate::auth::signed_in().await?;
    super::service::load(&state.db, &admin)
        .await
        .map_err(crate::error::ServiceError::respond)
}

/// Enable (checked first) or pause a saved endpoint, based on the version
/// the page shows.
#[server(prefix = "/rpc", endpoint = "set_enabled", output = crate::rpc_codec::Answer)]
pub async fn set_enabled(
    kind: EndpointKind,
    enabled: bool,
    version: String,
) -> Result<EndpointView, AppError> {
    let (state, admin) = crate::auth::signed_in_administrator().await?;
    super::service::set_enabled(&state.db, &state.writes, &admin, kind, enabled, &version)
        .await
        .map_err(crate::error::ServiceError::respond)
}

/// A new random secret for the form; stored only when the form is saved.
#[server(prefix = "/rpc", endpoint = "generate_secret", output = crate::rpc_codec::Answer)]
pub async fn generate_secret(kind: SecretKind) -> Result<String, AppError> {
    crate::auth::signed_in_administrator().await?;
    Ok(super::service::generate_secret(kind))
}

#[server(prefix = "/rpc", endpoint = "save_endpoint", output = crate::rpc_codec::Answer)]
pub async fn save_endpoint(form: EndpointForm) -> Result<EndpointView, AppError> {
    let (state, admin) = crate::auth::signed_in_administrator().await?;
    super::service::save(
        &state.db,
        &state.writes,
        &state.cipher,
        &state.outbox,
        &admin,
        &form,
    )
    .await
    .map_err(crate::error::ServiceError::respond)
}
