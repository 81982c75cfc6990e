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
    login_path,
    session::session_user,
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
        paths::LOGIN | paths::LOGIN_TWO_FACTOR | paths::SETUP | paths::LOGOUT | paths::INVITATION
    ) || path.starts_with(paths::RPC_PREFIX)
}

/// What a member whose company requires two-factor sign-in may open
/// before setting it up: My account (and signing out).
fn enrolment_path(path: &str) -> bool {
    path == paths::LOGOUT || path == paths::ACCOUNT || path.starts_with("/account/")
}

fn enrol_first(request: &Request) -> Response {
    const WHY: &str = "Your company requires two-factor sign-in: set it up in My account first.";
    if request.method() == Method::GET || request.method() == Method::HEAD {
        let target = format!("{}?enrol=required", paths::ACCOUNT);
        return (StatusCode::SEE_OTHER, [(header::LOCATION, target)]).into_response();
    }
    let error = crate::error::AppError::Forbidden(WHY.to_owned());
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
    if let Some(user) = user {
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
        if user.must_enrol && !enrolment_path(path) {
            return enrol_first(&request);
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
