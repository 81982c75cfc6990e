//! **Send test event** posted without JavaScript: the same service as the
//! server function; the tab is rendered again with what was typed (secrets
//! left out) and the report or the messages.

use axum::{extract::State, response::Response, Form};
use serde::Deserialize;

use super::{report::TestEcho, service};
use crate::{
    auth::Administrator,
    domain::{EndpointForm, EndpointKind, FieldErrors},
    error::AppError,
    paths::EVENT_URL,
    render::{refused, render_with_echo, Pages},
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
    State(pages): State<Pages>,
    admin: Administrator,
    parts: http::request::Parts,
    Form(TestForm { form, sample_event }): Form<TestForm>,
) -> Response {
    let kind = EndpointKind::parse(&form.kind).unwrap_or(EndpointKind::Cdr);
    let result = service::send_from_form(&state, &admin, &form, &sample_event).await;
    let form = EndpointForm {
        password: String::new(),
        token: String::new(),
        ..form
    };
    match result {
        Ok(report) => {
            let echo = TestEcho {
                kind,
                form,
                sample_event,
                report: Some(report),
                errors: FieldErrors::default(),
                message: None,
            };
            render_with_echo(&pages, parts, Some(EVENT_URL), echo).await
        }
        Err(error) => {
            refused(
                &pages,
                parts,
                Some(EVENT_URL),
                error.into_app_error(),
                |error| TestEcho {
                    kind,
                    form,
                    sample_event,
                    report: None,
                    message: Some(error.to_string()),
                    errors: match error {
                        AppError::NotSent(errors) => errors,
                        _ => FieldErrors::default(),
                    },
                },
            )
            .await
        }
    }
}
