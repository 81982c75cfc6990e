//! The server functions behind **Send test event** and **Send again**.

use leptos::prelude::*;

use super::report::TestReport;
use crate::{domain::EndpointForm, error::AppError};

/// Posts a sample event of `sample_event`'s type to the URL in the form,
/// with the form's authentication; saved or not.
#[server(prefix = "/rpc", endpoint = "send_test_event", output = crate::rpc_codec::Answer)]
pub async fn send_test_event(
    form: EndpointForm,
    sample_event: String,
) -> Result<TestReport, AppError> {
    let (state, admin) = crate::auth::signed_in_administrator().await?;
    super::service::send_from_form(&state, &admin, &form, &sample_event)
        .await
        .map_err(crate::error::ServiceError::respond)
}

/// Sends a past test send's event again, with the secret saved now.
#[server(prefix = "/rpc", endpoint = "send_test_event_again", output = crate::rpc_codec::Answer)]
pub async fn send_test_event_again(id: i32) -> Result<TestReport, AppError> {
    let (state, admin) = crate::auth::signed_in_administrator().await?;
    super::service::send_again(&state, &admin, id)
        .await
        .map_err(crate::error::ServiceError::respond)
}
