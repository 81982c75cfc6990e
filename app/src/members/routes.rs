//! The Administrators tab's changes and the invitation link, as plain form
//! posts (they work without JavaScript). A new invitation's link is shown
//! in the response to its post, rendered with the tab: only its hash is
//! stored.

use axum::{
    extract::{ConnectInfo, Query, State},
    response::{IntoResponse, Redirect, Response},
    Form,
};
use secrecy::SecretString;
use std::net::SocketAddr;
use tower_sessions::Session;

use super::{
    model::{AcceptEcho, MembersEcho},
    service,
};
use crate::{
    auth::{session::start_session, Administrator},
    client_ip::client_ip,
    domain::Role,
    error::{AppError, ServiceError},
    paths::{HOME, INVITATION, MEMBERS},
    persistence::session_store::SessionClient,
    render::{render_with_echo, Pages},
    state::AppState,
};

#[derive(serde::Deserialize)]
pub struct InviteForm {
    #[serde(default)]
    role: String,
    #[serde(default)]
    email: String,
}

pub async fn invite_form(
    State(state): State<AppState>,
    State(pages): State<Pages>,
    admin: Administrator,
    parts: http::request::Parts,
    Form(form): Form<InviteForm>,
) -> Response {
    let mut echo = MembersEcho {
        role: form.role.clone(),
        email: form.email.trim().to_owned(),
        ..MembersEcho::default()
    };
    let link_for = |token: &str| {
        let path = format!("{INVITATION}?token={token}");
        // The configured public address when there is one (a letter's link
        // must not depend on a request's Host); else the one in use.
        state
            .outbox
            .link(&path)
            .unwrap_or_else(|| invitation_link(&parts, &path))
    };
    let email = Some(form.email.clone());
    match Role::parse(&form.role) {
        None => echo.message = Some("Choose the role: Administrator or Viewer.".to_owned()),
        Some(role) => match service::invite(
            &state.db,
            &state.writes,
            &state.outbox,
            &admin,
            role,
            email,
            link_for,
        )
        .await
        {
            Ok((link, view)) => {
                echo = MembersEcho {
                    invited: Some((link, view)),
                    ..MembersEcho::default()
                };
            }
            Err(error) => echo.message = Some(error.into_app_error().to_string()),
        },
    }
    render_with_echo(&pages, parts, Some(MEMBERS), echo).await
}

/// The link to give the invitee, on the address this admin reached us at
/// (its origin was checked against the allowed ones before any post).
pub(crate) fn invitation_link(parts: &http::request::Parts, path: &str) -> String {
    let origin = parts
        .headers
        .get(http::header::ORIGIN)
        .and_then(|v| v.to_str().ok())
        .filter(|o| o.starts_with("http://") || o.starts_with("https://"))
        .map(str::to_owned)
        .or_else(|| {
            parts
                .headers
                .get(http::header::HOST)
                .and_then(|v| v.to_str().ok())
                .map(|host| format!("http://{host}"))
        })
        .unwrap_or_default();
    format!("{origin}{path}")
}

#[derive(serde::Deserialize)]
pub struct IdForm {
    #[serde(default)]
    id: String,
    #[serde(default)]
    role: String,
}

impl IdForm {
    /// The id the form names, or the 400 to answer.
    fn id(&self, what: &str) -> Result<i32, AppError> {
        self.id.trim().parse::<i32>().map_err(|_| {
            AppError::BadRequest(format!(
                "This form does not say which {what}; reload the page."
            ))
        })
    }
}

/// A refusal the admin can act on (the last administrator, yourself) is
/// shown on the tab; the rest is answered plainly.
async fn refused(pages: &Pages, parts: http::request::Parts, error: ServiceError) -> Response {
    match error.into_app_error() {
        error @ (AppError::Refused(_) | AppError::NotFound(_)) => {
            let echo = MembersEcho {
                message: Some(error.to_string()),
                ..MembersEcho::default()
            };
            render_with_echo(pages, parts, Some(MEMBERS), echo).await
        }
        error => error.into_plain_response(),
    }
}

pub async fn revoke_invitation_form(
    State(state): State<AppState>,
    State(pages): State<Pages>,
    admin: Administrator,
    parts: http::request::Parts,
    Form(form): Form<IdForm>,
) -> Response {
    let id = match form.id("invitation to revoke") {
        Ok(id) => id,
        Err(refusal) => return refusal.into_plain_response(),
    };
    match service::revoke_invitation(&state.db, &state.writes, &admin, id).await {
        Ok(()) => Redirect::to(&format!("{MEMBERS}?revoked=1")).into_response(),
        Err(error) => refused(&pages, parts, error).await,
    }
}

pub async fn role_form(
    State(state): State<AppState>,
    State(pages): State<Pages>,
    admin: Administrator,
    parts: http::request::Parts,
    Form(form): Form<IdForm>,
) -> Response {
    let id = match form.id("member to change") {
        Ok(id) => id,
        Err(refusal) => return refusal.into_plain_response(),
    };
    let Some(role) = Role::parse(&form.role) else {
        return AppError::BadRequest("Choose the role: Administrator or Viewer.".to_owned())
            .into_plain_response();
    };
    match service::change_role(&state.db, &state.writes, &admin, id, role).await {
        Ok(member) => Redirect::to(&format!("{MEMBERS}?changed={}", member.id)).into_response(),
        Err(error) => refused(&pages, parts, error).await,
    }
}

pub async fn remove_form(
    State(state): State<AppState>,
    State(pages): State<Pages>,
    admin: Administrator,
    parts: http::request::Parts,
    Form(form): Form<IdForm>,
) -> Response {
    let id = match form.id("member to remove") {
        Ok(id) => id,
        Err(refusal) => return refusal.into_plain_response(),
    };
    match service::remove(&state.db, &state.writes, &admin, id).await {
        Ok(username) => {
            let mut target = format!("{MEMBERS}?removed=");
            target.extend(url::form_urlencoded::byte_serialize(username.as_bytes()));
            Redirect::to(&target).into_response()
        }
        Err(error) => refused(&pages, parts, error).await,
    }
}

#[derive(serde::Deserialize)]
pub struct TokenQuery {
    #[serde(default)]
    token: String,
}

#[derive(serde::Deserialize)]
pub struct AcceptForm {
    #[serde(default)]
    username: String,
    #[serde(default)]
    password: String,
}

/// Joining with an invitation link: a new member, signed in at once under
/// a new session id. A refusal shows the page again with the username.
pub async fn accept_form(
    State(state): State<AppState>,
    State(pages): State<Pages>,
    session: Session,
    ConnectInfo(peer): ConnectInfo<SocketAddr>,
    Query(TokenQuery { token }): Query<TokenQuery>,
    parts: http::request::Parts,
    Form(form): Form<AcceptForm>,
) -> Response {
    let ip = client_ip(&parts.headers, peer, state.config.client_ip_header.as_ref());
    let accepted = service::accept(
        &state.db,
        &state.writes,
        &state.hashing,
        token.trim(),
        &form.username,
        SecretString::from(form.password),
        Some(ip),
    )
    .await;
    match accepted {
        Ok(member) => {
            tracing::info!(user_id = member.user_id, "joined with an invitation");
            let client = SessionClient::of(&parts.headers, Some(ip));
            match start_session(&session, member, client).await {
                Ok(()) => Redirect::to(HOME).into_response(),
                Err(e) => {
                    ServiceError::from(e.context("signing in a new member")).into_plain_response()
                }
            }
        }
        Err(error) => match error.into_app_error() {
            error @ AppError::Refused(_) => {
                let echo = AcceptEcho {
                    username: form.username.trim().to_owned(),
                    message: error.to_string(),
                };
                // 200 with the message on the page (a 4xx document is a
                // console error); the path keeps its token.
                render_with_echo(&pages, parts, None, echo).await
            }
            error => error.into_plain_response(),
        },
    }
}

#[derive(serde::Deserialize)]
pub struct RequireForm {
    /// A checkbox: present when ticked.
    #[serde(default)]
    required: Option<String>,
}

pub async fn require_two_factor_form(
    State(state): State<AppState>,
    admin: Administrator,
    Form(form): Form<RequireForm>,
) -> Response {
    let required = form.required.is_some();
    match service::set_require_two_factor(&state.db, &state.writes, &admin, required).await {
        Ok(()) => Redirect::to(&format!("{MEMBERS}?two_factor={required}")).into_response(),
        Err(error) => error.into_plain_response(),
    }
}
