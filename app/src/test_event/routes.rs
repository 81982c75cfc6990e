//! **Send test event** posted without JavaScript: the same service as the
//! server function; the tab is rendered again with what was typed (secrets
//! left out) and the report or the messages.

use axum::{
    body::Bytes,
    extract::State,
    response::{IntoResponse, Response},
};
use serde::Deserialize;

use super::{report::TestEcho, service};
use crate::{
    auth::Administrator,
    domain::{EndpointForm, EndpointKind, FieldErrors},
    error::AppError,
    paths::EVENT_URL,
    render::{refused, render_with_echo, Pages},
    state::AppState,
    NestedForm,
};

/// The sample chosen beside the section's form (the same post).
#[derive(Deserialize)]
struct SampleChoice {
    #[serde(default)]
    sample_event: String,
}

pub async fn send_form(
    State(state): State<AppState>,
    State(pages): State<Pages>,
    admin: Administrator,
    parts: http::request::Parts,
    body: Bytes,
) -> Response {
    // The section's form (its header rows nest) and the sample beside it.
    let (form, SampleChoice { sample_event }) = match (
        NestedForm::<EndpointForm>::parse(&body),
        NestedForm::<SampleChoice>::parse(&body),
    ) {
        (Ok(form), Ok(choice)) => (form, choice),
        (Err(e), _) | (_, Err(e)) => {
            return (
                http::StatusCode::UNPROCESSABLE_ENTITY,
                format!("The form could not be read: {e}"),
            )
                .into_response()
        }
    };
    let kind = EndpointKind::parse(&form.kind).unwrap_or(EndpointKind::Cdr);
    let result = service::send_from_form(&state, &admin, &form, &sample_event).await;
    let form = form.without_secrets();
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
