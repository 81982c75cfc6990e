//! The Tenants console's changes, as plain form posts (they work without
//! JavaScript). A new tenant's invitation link is shown in the answer to
//! its post: only its hash is stored.

use axum::{
    extract::State,
    response::{IntoResponse, Redirect, Response},
    Form,
};

use super::{model::ProviderEcho, service};
use crate::{
    auth::CurrentOperator,
    delivery::DeliveryCore,
    domain::EndpointKind,
    error::{AppError, ServiceError},
    paths::{INVITATION, PROVIDER_TENANTS},
    render::{render_with_echo, Pages},
    state::AppState,
};

#[derive(serde::Deserialize)]
pub struct CreateForm {
    #[serde(default)]
    name: String,
}

pub async fn create_form(
    State(state): State<AppState>,
    State(pages): State<Pages>,
    operator: CurrentOperator,
    parts: http::request::Parts,
    Form(form): Form<CreateForm>,
) -> Response {
    let link_for = |token: &str| {
        let path = format!("{INVITATION}?token={token}");
        state
            .outbox
            .link(&path)
            .unwrap_or_else(|| crate::members::routes::invitation_link(&parts, &path))
    };
    let created = service::create_tenant(
        &state.db,
        &state.writes,
        &state.cipher,
        &operator,
        &form.name,
        link_for,
    )
    .await;
    let echo = match created {
        Ok((name, link)) => ProviderEcho {
            created: Some((name, link)),
            ..ProviderEcho::default()
        },
        Err(error) => match error.into_app_error() {
            error @ AppError::Refused(_) => ProviderEcho {
                name: form.name.trim().to_owned(),
                message: Some(error.to_string()),
                ..ProviderEcho::default()
            },
            error => return error.into_plain_response(),
        },
    };
    render_with_echo(&pages, parts, Some(PROVIDER_TENANTS), echo).await
}

#[derive(serde::Deserialize)]
pub struct TenantForm {
    #[serde(default)]
    id: String,
}

fn tenant_id(form: &TenantForm) -> Result<i32, AppError> {
    form.id.trim().parse().map_err(|_| {
        AppError::BadRequest("This form does not say which tenant; reload the page.".to_owned())
    })
}

fn done(result: Result<String, ServiceError>, what: &str) -> Response {
    match result {
        Ok(name) => {
            let mut target = format!("{PROVIDER_TENANTS}?{what}=");
            target.extend(url::form_urlencoded::byte_serialize(name.as_bytes()));
            Redirect::to(&target).into_response()
        }
        Err(error) => error.into_plain_response(),
    }
}

pub async fn suspend_form(
    State(state): State<AppState>,
    operator: CurrentOperator,
    Form(form): Form<TenantForm>,
) -> Response {
    let id = match tenant_id(&form) {
        Ok(id) => id,
        Err(refusal) => return refusal.into_plain_response(),
    };
    done(
        service::suspend(&state.db, &state.writes, &operator, id).await,
        "suspended",
    )
}

pub async fn reactivate_form(
    State(state): State<AppState>,
    State(delivery): State<DeliveryCore>,
    operator: CurrentOperator,
    Form(form): Form<TenantForm>,
) -> Response {
    let id = match tenant_id(&form) {
        Ok(id) => id,
        Err(refusal) => return refusal.into_plain_response(),
    };
    let result = service::reactivate(&state.db, &state.writes, &operator, id).await;
    if result.is_ok() {
        // Released CDR events: this instance's worker claims them now.
        delivery.wake.due((id, EndpointKind::Cdr));
    }
    done(result, "reactivated")
}
