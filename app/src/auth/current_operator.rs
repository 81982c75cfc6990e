//! The signed-in provider operator of a request (the Tenants console).
//! The sign-in guard puts it into the request; an operator has no tenant
//! and never passes for a `CurrentAdmin`.

use std::net::IpAddr;

use axum::extract::FromRequestParts;

use super::current_admin::NotSignedIn;
use crate::persistence::session_store::SessionOperator;

#[derive(Clone, Debug)]
pub struct CurrentOperator {
    pub operator_id: i32,
    pub username: String,
    /// Has two-factor sign-in on, as the database says for this request.
    pub two_factor_on: bool,
    /// Where the request came from, for the operator activity log.
    pub ip: Option<IpAddr>,
}

impl CurrentOperator {
    pub fn new(operator: SessionOperator, ip: Option<IpAddr>) -> Self {
        Self {
            operator_id: operator.operator_id,
            username: operator.username,
            two_factor_on: operator.two_factor_on,
            ip,
        }
    }
}

impl<S: Send + Sync> FromRequestParts<S> for CurrentOperator {
    type Rejection = NotSignedIn;

    async fn from_request_parts(
        parts: &mut http::request::Parts,
        _state: &S,
    ) -> Result<Self, Self::Rejection> {
        parts
            .extensions
            .get::<CurrentOperator>()
            .cloned()
            .ok_or(NotSignedIn)
    }
}

/// For server functions: the app state and the signed-in operator, or
/// `SignInRequired` (401).
pub async fn signed_in_operator(
) -> Result<(crate::state::AppState, CurrentOperator), crate::error::AppError> {
    let operator = leptos_axum::extract::<CurrentOperator>()
        .await
        .map_err(|_| crate::error::AppError::SignInRequired.into_response_status())?;
    Ok((leptos::prelude::expect_context(), operator))
}
