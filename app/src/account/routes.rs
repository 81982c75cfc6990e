//! My account's changes as plain form posts (they work without
//! JavaScript).

use axum::{
    extract::{Query, State},
    response::{IntoResponse, Redirect, Response},
    Form,
};
use secrecy::SecretString;
use tower_sessions::Session;

use super::{
    actor::Actor,
    email::{self, EmailChange, EmailRefusal},
    model::{EmailEcho, PasswordEcho},
    service::{self, PasswordRefusal},
};
use crate::{
    auth::{current_admin::NotSignedIn, CurrentAdmin},
    error::{AppError, ServiceError},
    paths::{ACCOUNT, EMAIL_CONFIRM},
    persistence::session_store::key_of,
    render::{render_with_echo, Pages},
    state::AppState,
};

/// The stored key of the session this request came in.
fn current_key(session: &Session) -> Option<String> {
    session.id().map(|id| key_of(&id))
}

#[derive(serde::Deserialize)]
pub struct PasswordForm {
    #[serde(default)]
    current_password: String,
    #[serde(default)]
    new_password: String,
    /// "Also revoke my API tokens" (a checkbox: present when ticked).
    #[serde(default)]
    revoke_tokens: Option<String>,
}

/// A member's or an operator's password change (`Actor`): back to their
/// account page.
pub async fn password_form(
    State(state): State<AppState>,
    State(pages): State<Pages>,
    actor: Actor,
    session: Session,
    parts: http::request::Parts,
    Form(form): Form<PasswordForm>,
) -> Response {
    let Some(keep) = current_key(&session) else {
        return NotSignedIn.into_response();
    };
    let changed = service::change_password(
        &state.db,
        &state.writes,
        &state.hashing,
        &actor,
        &keep,
        service::PasswordChange {
            current: SecretString::from(form.current_password),
            new: SecretString::from(form.new_password),
            revoke_tokens: form.revoke_tokens.is_some(),
        },
    )
    .await;
    match changed {
        Ok((ended, revoked)) => {
            // A new id for this session too: whoever held its old cookie
            // holds nothing now.
            if let Err(e) = session.cycle_id().await {
                return ServiceError::from(
                    anyhow::Error::new(e).context("renewing the session id"),
                )
                .into_plain_response();
            }
            let page = actor.page();
            Redirect::to(&format!(
                "{page}?password=changed&ended={ended}&tokens={revoked}"
            ))
            .into_response()
        }
        Err(PasswordRefusal::Fields(echo)) => {
            let echo = PasswordEcho {
                message: Some("Password not changed: correct the field marked below.".to_owned()),
                ..echo
            };
            render_with_echo(&pages, parts, Some(actor.page()), echo).await
        }
        Err(PasswordRefusal::Failed(error)) => error.into_plain_response(),
    }
}

pub async fn sign_out_others_form(
    State(state): State<AppState>,
    admin: CurrentAdmin,
    session: Session,
) -> Response {
    let Some(keep) = current_key(&session) else {
        return NotSignedIn.into_response();
    };
    match service::sign_out_others(&state.db, &state.writes, &admin, &keep).await {
        Ok(ended) => Redirect::to(&format!("{ACCOUNT}?ended={ended}")).into_response(),
        Err(error) => error.into_plain_response(),
    }
}

#[derive(serde::Deserialize)]
pub struct AlertsForm {
    /// A checkbox: present when ticked.
    #[serde(default)]
    delivery_alerts: Option<String>,
}

/// **Alert emails**: on or off, for me; back to My account, which says so.
pub async fn alerts_form(
    State(state): State<AppState>,
    admin: CurrentAdmin,
    Form(form): Form<AlertsForm>,
) -> Response {
    let on = form.delivery_alerts.is_some();
    match service::set_delivery_alerts(&state.db, &state.writes, &admin, on).await {
        Ok(()) => {
            let word = if on { "on" } else { "off" };
            Redirect::to(&format!("{ACCOUNT}?alerts={word}")).into_response()
        }
        Err(error) => error.into_plain_response(),
    }
}

#[derive(serde::Deserialize)]
pub struct EmailForm {
    #[serde(default)]
    email: String,
    #[serde(default)]
    current_password: String,
}

/// Saves the email form: a new address gets a confirmation link (My
/// account says where it went), the confirmed one again drops a pending
/// change, nothing removes the address.
pub async fn email_form(
    State(state): State<AppState>,
    State(pages): State<Pages>,
    admin: CurrentAdmin,
    parts: http::request::Parts,
    Form(form): Form<EmailForm>,
) -> Response {
    let changed = email::change(
        &state.db,
        &state.writes,
        &state.hashing,
        &state.outbox,
        &admin,
        SecretString::from(form.current_password),
        &form.email,
    )
    .await;
    let outcome = match changed {
        Ok(EmailChange::LinkSent(_)) => "sent",
        Ok(EmailChange::Kept) => "kept",
        Ok(EmailChange::Removed) => "removed",
        Err(EmailRefusal::Fields(echo)) => {
            let echo = EmailEcho {
                email: form.email.trim().to_owned(),
                ..echo
            };
            return render_with_echo(&pages, parts, Some(ACCOUNT), echo).await;
        }
        Err(EmailRefusal::Failed(error)) => return error.into_plain_response(),
    };
    Redirect::to(&format!("{ACCOUNT}?email={outcome}")).into_response()
}

/// **Cancel change**: the address waiting for confirmation is dropped.
pub async fn email_cancel_form(State(state): State<AppState>, admin: CurrentAdmin) -> Response {
    match email::cancel(&state.db, &state.writes, &admin).await {
        Ok(()) => Redirect::to(&format!("{ACCOUNT}?email=cancelled")).into_response(),
        Err(error) => error.into_plain_response(),
    }
}

#[derive(serde::Deserialize)]
pub struct TokenQuery {
    #[serde(default)]
    token: String,
}

/// The confirmation link's button, signed in as the link's account. A
/// link that does not work (or is another account's) goes back to its
/// page, which says why.
pub async fn email_confirm_form(
    State(state): State<AppState>,
    admin: CurrentAdmin,
    Query(TokenQuery { token }): Query<TokenQuery>,
) -> Response {
    match email::confirm(
        &state.db,
        &state.writes,
        &state.outbox,
        token.trim(),
        &admin,
    )
    .await
    {
        Ok(_) => {
            tracing::info!("email address confirmed with an emailed link");
            Redirect::to(&format!("{EMAIL_CONFIRM}?confirmed=1")).into_response()
        }
        Err(error) => match error.into_app_error() {
            AppError::Refused(_) => {
                let mut back = format!("{EMAIL_CONFIRM}?token=");
                back.extend(url::form_urlencoded::byte_serialize(
                    token.trim().as_bytes(),
                ));
                Redirect::to(&back).into_response()
            }
            error => error.into_plain_response(),
        },
    }
}
