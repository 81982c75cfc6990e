//! The sign-in guard: reads the session (with its administrator, in one
//! query) once per request, puts the `CurrentAdmin` into the request for
//! handlers and server functions, and sends anonymous visitors of private
//! pages to `/login?next=…`.

use axum::{
    extract::{ConnectInfo, Request, State},
    http::{header, Method, StatusCode},
    middleware::Next,
    response::{IntoResponse, Response},
};
use std::net::SocketAddr;
use tower_sessions::Session;

use super::{
    current_admin::{CurrentAdmin, NotSignedIn},
    current_operator::CurrentOperator,
    login_path,
    session::{session_operator, session_user},
};
use crate::{client_ip::client_ip, error::ServiceError, paths, state::AppState};

/// Files and probes: no session is read for them.
fn is_static(path: &str) -> bool {
    path.starts_with(paths::PKG_PREFIX)
        || matches!(
            path,
            "/favicon.ico" | "/favicon.svg" | paths::HEALTHZ | paths::READYZ
        )
}

/// Paths an anonymous visitor may open. Server functions under `/rpc/`
/// answer 401 themselves (`signed_in`).
fn is_public(path: &str) -> bool {
    matches!(
        path,
        paths::LOGIN
            | paths::LOGIN_TWO_FACTOR
            | paths::LOGIN_FORGOT
            | paths::LOGIN_RESET
            | paths::SETUP
            | paths::LOGOUT
            | paths::INVITATION
    ) || path.starts_with(paths::RPC_PREFIX)
}

/// What a member whose company requires two-factor sign-in may open
/// before setting it up: My account, an emailed address confirmation (and
/// signing out).
fn enrolment_path(path: &str) -> bool {
    path == paths::LOGOUT
        || path == paths::ACCOUNT
        || path.starts_with("/account/")
        || path == paths::EMAIL_CONFIRM
}

/// What a provider operator may open: the Tenants console, signing out,
/// and server functions (which check for an operator themselves).
fn operator_path(path: &str) -> bool {
    path.starts_with(paths::PROVIDER_PREFIX)
        || path == paths::LOGOUT
        || path.starts_with(paths::RPC_PREFIX)
}

/// What an operator who must set up two-factor sign-in may open first:
/// their account page (and signing out).
fn operator_enrolment_path(path: &str) -> bool {
    path == paths::LOGOUT
        || path == paths::PROVIDER_ACCOUNT
        || path.starts_with("/provider/account/")
}

/// An operator on a tenant's page: to the console (a page), or 403.
fn operator_elsewhere(request: &Request) -> Response {
    if request.method() == Method::GET || request.method() == Method::HEAD {
        return (
            StatusCode::SEE_OTHER,
            [(header::LOCATION, paths::PROVIDER_TENANTS)],
        )
            .into_response();
    }
    crate::error::AppError::Forbidden(
        "Provider operators manage tenants, not a tenant's settings.".to_owned(),
    )
    .into_plain_response()
}

/// To the account page (`account`) to set up two-factor sign-in first;
/// `why` for anything but a page.
fn enrol_first(request: &Request, account: &str, why: &str) -> Response {
    if request.method() == Method::GET || request.method() == Method::HEAD {
        let target = format!("{account}?enrol=required");
        return (StatusCode::SEE_OTHER, [(header::LOCATION, target)]).into_response();
    }
    let error = crate::error::AppError::Forbidden(why.to_owned());
    if request.uri().path().starts_with(paths::RPC_PREFIX) {
        (error.status(), axum::Json(error)).into_response()
    } else {
        error.into_plain_response()
    }
}

pub async fn require_sign_in(
    State(state): State<AppState>,
    session: Session,
    mut request: Request,
    next: Next,
) -> Response {
    let path = request.uri().path();
    if is_static(path) {
        return next.run(request).await;
    }
    let user = match session_user(&session).await {
        Ok(user) => user,
        Err(e) => {
            let error = ServiceError::from(e.context("checking the session"));
            // Server functions answer in their own encoding, for the page.
            return if path.starts_with(paths::RPC_PREFIX) {
                let error = error.into_app_error();
                (error.status(), axum::Json(error)).into_response()
            } else {
                error.into_plain_response()
            };
        }
    };
    let ip = request
        .extensions()
        .get::<ConnectInfo<SocketAddr>>()
        .map(|peer| {
            client_ip(
                request.headers(),
                peer.0,
                state.config.client_ip_header.as_ref(),
            )
        });
    if user.is_none() {
        match session_operator(&session).await {
            Ok(Some(operator)) => {
                if !operator_path(path) {
                    return operator_elsewhere(&request);
                }
                if state.config.operator_two_factor_required
                    && !operator.two_factor_on
                    && !operator_enrolment_path(path)
                {
                    return enrol_first(
                        &request,
                        paths::PROVIDER_ACCOUNT,
                        "Your provider requires two-factor sign-in of every operator: set it up in My account first.",
                    );
                }
                request
                    .extensions_mut()
                    .insert(CurrentOperator::new(operator, ip));
                return next.run(request).await;
            }
            Ok(None) => {}
            Err(e) => {
                return ServiceError::from(e.context("checking the session")).into_plain_response()
            }
        }
    }
    if let Some(user) = user {
        if path.starts_with(paths::PROVIDER_PREFIX) {
            return crate::error::AppError::Forbidden(
                "This page is for your provider's operators only.".to_owned(),
            )
            .into_plain_response();
        }
        if user.must_enrol && !enrolment_path(path) {
            return enrol_first(
                &request,
                paths::ACCOUNT,
                "Your company requires two-factor sign-in: set it up in My account first.",
            );
        }
        request.extensions_mut().insert(CurrentAdmin::new(user, ip));
        return next.run(request).await;
    }
    if is_public(path) {
        return next.run(request).await;
    }
    if request.method() == Method::GET || request.method() == Method::HEAD {
        let target = request
            .uri()
            .path_and_query()
            .map(|pq| pq.as_str())
            .unwrap_or("/");
        (
            StatusCode::SEE_OTHER,
            [(header::LOCATION, login_path(target))],
        )
            .into_response()
    } else {
        NotSignedIn.into_response()
    }
}
