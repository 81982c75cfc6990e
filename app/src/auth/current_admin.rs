//! The signed-in tenant administrator of a request. The sign-in guard
//! (`guard.rs`) puts it into the request; handlers take it as an extractor
//! and server functions through `signed_in`. Every read and write of
//! tenant data takes its `tenant_id` from here, never from the request.

use std::net::IpAddr;

use axum::{
    extract::FromRequestParts,
    response::{IntoResponse, Response},
};

use crate::{domain::Role, persistence::session_store::SessionUser};

#[derive(Clone, Debug)]
pub struct CurrentAdmin {
    pub user_id: i32,
    pub username: String,
    pub tenant_id: i32,
    pub tenant_name: String,
    /// As the database says for this request.
    pub role: Role,
    /// Must set up two-factor sign-in before anything else (the guard
    /// sends them to My account).
    pub must_enrol: bool,
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
            role: user.role,
            must_enrol: user.must_enrol,
            alerts: user.alerts,
            ip,
            via_token: None,
        }
    }
}

impl CurrentAdmin {
    /// The signed-in member as one who may change the tenant's settings
    /// and people; a viewer is refused. Every write service takes an
    /// `Administrator`, so no write can skip this check.
    pub fn administrator(self) -> Result<Administrator, ViewerOnly> {
        if self.role.may_manage() {
            Ok(Administrator(self))
        } else {
            Err(ViewerOnly)
        }
    }
}

/// A signed-in member whose role is Administrator (see
/// `CurrentAdmin::administrator`). As an extractor, form posts get it or
/// answer 401 / 403.
#[derive(Clone, Debug)]
pub struct Administrator(CurrentAdmin);

impl std::ops::Deref for Administrator {
    type Target = CurrentAdmin;

    fn deref(&self) -> &CurrentAdmin {
        &self.0
    }
}

impl<S: Send + Sync> FromRequestParts<S> for Administrator {
    type Rejection = Response;

    async fn from_request_parts(
        parts: &mut http::request::Parts,
        state: &S,
    ) -> Result<Self, Self::Rejection> {
        CurrentAdmin::from_request_parts(parts, state)
            .await
            .map_err(IntoResponse::into_response)?
            .administrator()
            .map_err(IntoResponse::into_response)
    }
}

/// A viewer asked to change something: 403.
#[derive(Debug, Clone, Copy, thiserror::Error)]
#[error("Your role is Viewer: you can see this company's settings, activity and deliveries, but not change them. Ask an administrator.")]
pub struct ViewerOnly;

impl ViewerOnly {
    /// For server functions: the error, with the 403 status set.
    pub fn respond(self) -> crate::error::AppError {
        crate::error::AppError::from(self).into_response_status()
    }
}

/// For form posts: 403 with the reason (the pages show a viewer no form
/// that would be refused; this answers one made by hand).
impl IntoResponse for ViewerOnly {
    fn into_response(self) -> Response {
        crate::error::AppError::from(self).into_plain_response()
    }
}

impl From<ViewerOnly> for crate::error::AppError {
    fn from(refusal: ViewerOnly) -> Self {
        crate::error::AppError::Forbidden(refusal.to_string())
    }
}

impl From<ViewerOnly> for crate::error::ServiceError {
    fn from(refusal: ViewerOnly) -> Self {
        crate::error::ServiceError::User(refusal.into())
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
