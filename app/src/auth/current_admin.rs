//! The signed-in tenant administrator of a request. The sign-in guard
//! (`guard.rs`) puts it into the request; handlers take it as an extractor
//! and server functions through `signed_in`. Every read and write of
//! tenant data takes its `tenant_id` from here, never from the request.

use std::net::IpAddr;

use axum::{
    extract::FromRequestParts,
    response::{IntoResponse, Response},
};

use crate::persistence::session_store::SessionUser;

#[derive(Clone, Debug)]
pub struct CurrentAdmin {
    pub user_id: i32,
    pub username: String,
    pub tenant_id: i32,
    pub tenant_name: String,
    /// Where the request came from, for the activity log.
    pub ip: Option<IpAddr>,
    /// The tenant's sections in trouble, as the database says now (read
    /// with the session): every page's banner.
    pub alerts: Vec<crate::domain::DeliveryAlert>,
    /// Acting through this API token (its name), not a signed-in browser.
    pub via_token: Option<String>,
}

impl CurrentAdmin {
    pub fn new(user: SessionUser, ip: Option<IpAddr>) -> Self {
        Self {
            user_id: user.user_id,
            username: user.username,
            tenant_id: user.tenant_id,
            tenant_name: user.tenant_name,
            alerts: user.alerts,
            ip,
            via_token: None,
        }
    }
}

/// No administrator is signed in for this request.
#[derive(Debug)]
pub struct NotSignedIn;

impl IntoResponse for NotSignedIn {
    fn into_response(self) -> Response {
        (http::StatusCode::UNAUTHORIZED, "Sign in first.").into_response()
    }
}

impl<S: Send + Sync> FromRequestParts<S> for CurrentAdmin {
    type Rejection = NotSignedIn;

    async fn from_request_parts(
        parts: &mut http::request::Parts,
        _state: &S,
    ) -> Result<Self, Self::Rejection> {
        parts
            .extensions
            .get::<CurrentAdmin>()
            .cloned()
            .ok_or(NotSignedIn)
    }
}
