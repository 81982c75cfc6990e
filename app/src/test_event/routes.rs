//! **Send test event** posted without JavaScript: the same service as the
//! server function; the tab is rendered again with what was typed (secrets
//! left out) and the report or the messages.

use axum::{
    extract::{ConnectInfo, State},
    response::Response,
    Form,
};
use leptos::prelude::provide_context;
use serde::Deserialize;
use tower_sessions::Session;

use super::{report::TestEcho, service};
use crate::{
    auth::routes::form_admin,
    domain::{EndpointForm, EndpointKind, FieldErrors},
    error::AppError,
    form_echo::FormEcho,
    render::render_page,
    state::AppState,
};

#[derive(Deserialize)]
pub struct TestForm {
    #[serde(flatten)]
    form: EndpointForm,
    #[serde(default)]
    sample_event: String,
}

pub async fn send_form(
    State(state): State<AppState>,
    session: Session,
    ConnectInfo(peer): ConnectInfo<std::net::SocketAddr>,
    mut parts: http::request::Parts,
    Form(TestForm { form, sample_event }): Form<TestForm>,
) -> Response {
    let admin = match form_admin(&session, &state, "/company/event-url", &parts, peer).await {
        Ok(admin) => admin,
        Err(response) => return response,
    };
    let kind = EndpointKind::parse(&form.kind).unwrap_or(EndpointKind::Cdr);
    let result = service::send_from_form(&state, &admin, &form, &sample_event).await;
    let (report, errors, message) = match result {
        Ok(report) => (Some(report), FieldErrors::default(), None),
        Err(error) => {
            let errors = match &error {
                AppError::NotSent(errors) => errors.clone(),
                _ => FieldErrors::default(),
            };
            (None, errors, Some(error.to_string()))
        }
    };
    let echo = TestEcho {
        kind,
        form: EndpointForm {
            password: String::new(),
            token: String::new(),
            ..form
        },
        sample_event,
        report,
        errors,
        message,
    };
    // The tab itself, answered 200 like the save form: browsers report 4xx
    // documents as errors.
    parts.uri = http::Uri::from_static("/company/event-url");
    render_page(&state, parts, move || {
        provide_context(FormEcho(echo.clone()))
    })
    .await
}
