//! Creating and revoking tokens as plain form posts (they work without
//! JavaScript). A created token is shown in the response to its post,
//! rendered with the tab: it is stored nowhere it could be shown again.

use axum::{
    extract::State,
    response::{IntoResponse, Redirect, Response},
    Form,
};

use super::{model::TokenEcho, service, NewToken};
use crate::{
    auth::Administrator,
    domain::FieldErrors,
    error::{AppError, ServiceError},
    paths::API_TOKENS,
    render::{render_with_echo, Pages},
    state::AppState,
};

#[derive(serde::Deserialize)]
pub struct CreateForm {
    #[serde(default)]
    name: String,
    #[serde(default)]
    scope: String,
    #[serde(default)]
    expiry: String,
}

pub async fn create_form(
    State(state): State<AppState>,
    State(pages): State<Pages>,
    admin: Administrator,
    parts: http::request::Parts,
    Form(form): Form<CreateForm>,
) -> Response {
    let mut echo = TokenEcho {
        created: None,
        name: form.name.clone(),
        scope: form.scope.clone(),
        expiry: form.expiry.clone(),
        errors: FieldErrors::default(),
        message: None,
    };
    match NewToken::parse(&form.name, &form.scope, &form.expiry) {
        Err(refusal) => {
            echo.errors.add(refusal.field(), refusal.to_string());
            echo.message = Some("Not created: correct the field marked below.".to_owned());
        }
        Ok(new) => match service::create(&state.db, &state.writes, &admin, &new).await {
            Ok(created) => {
                echo = TokenEcho {
                    created: Some(created),
                    name: String::new(),
                    scope: String::new(),
                    expiry: String::new(),
                    ..echo
                };
            }
            Err(error) => echo.message = Some(error.into_app_error().to_string()),
        },
    }
    render_with_echo(&pages, parts, Some(API_TOKENS), echo).await
}

#[derive(serde::Deserialize)]
pub struct RevokeForm {
    #[serde(default)]
    id: String,
}

pub async fn revoke_form(
    State(state): State<AppState>,
    admin: Administrator,
    Form(form): Form<RevokeForm>,
) -> Response {
    let Ok(id) = form.id.trim().parse::<i32>() else {
        return AppError::BadRequest("This form does not say which token to revoke.".to_owned())
            .into_plain_response();
    };
    match service::revoke(&state.db, &state.writes, &admin, id).await {
        Ok(_) => Redirect::to(&format!("{API_TOKENS}?revoked={id}")).into_response(),
        Err(error) => ServiceError::into_plain_response(error),
    }
}
