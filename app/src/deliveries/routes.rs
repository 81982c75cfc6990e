//! The confirmed redelivery as a plain POST (the confirmation page's
//! form, with or without JavaScript): on success to the event or the
//! replay's progress, which say what was asked; refused (paused meanwhile, an
//! attempt under way), back to the confirmation page, which works out and
//! says why itself (no message travels in the URL); another tenant's or no
//! event: 404 / 400.

use axum::{
    extract::State,
    response::{IntoResponse, Redirect, Response},
    Form,
};

use super::{
    model::encode,
    service::{self, RedeliveryForm},
};
use crate::{
    auth::Administrator,
    delivery::DeliveryCore,
    error::{AppError, ServiceError},
    paths::REDELIVER,
    state::AppState,
};

pub async fn redeliver_form(
    State(state): State<AppState>,
    State(delivery): State<DeliveryCore>,
    admin: Administrator,
    Form(form): Form<RedeliveryForm>,
) -> Response {
    match service::redeliver(&state, &delivery.wake, &admin, &form).await {
        Ok(done) => Redirect::to(&service::page_after(&done)).into_response(),
        Err(ServiceError::User(AppError::Refused(_) | AppError::Conflict(_))) => {
            let back = format!(
                "{REDELIVER}?id={}&section={}&state={}&from={}&to={}",
                encode(&form.id),
                encode(&form.section),
                encode(&form.state),
                encode(&form.from),
                encode(&form.to),
            );
            Redirect::to(&back).into_response()
        }
        Err(error) => error.into_plain_response(),
    }
}
