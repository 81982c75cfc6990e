//! The Deliveries pages' services: the filters read, a page of events, an
//! event with its attempts, and redelivery (checked, made and recorded in
//! Activity in one transaction). Every read and write is of the signed-in
//! administrator's tenant; another tenant's event is not found.

use anyhow::Context;
use sea_orm::TransactionTrait;
use time::{format_description::well_known::Rfc3339, macros::format_description, OffsetDateTime};

use super::{
    model::{
        AttemptView, DeliveriesData, DeliveryFilters, DeliveryRow, EventDetail, RedeliveryPlan,
        RedeliveryTarget, PAGE_SIZE,
    },
    store::{self, Cursor, EventRow, ListQuery, Place},
};
use crate::{
    activity::{self, log::NewEntry, ActivityKind},
    auth::{Administrator, CurrentAdmin},
    delivery::{queue, wake::Wake},
    domain::{EndpointKind, EventState},
    error::{AppError, ServiceError},
    persistence::endpoints::find_endpoint,
    state::AppState,
};

use crate::time_text::rfc3339;

mod event;
mod list;
mod redeliver;
pub mod replay;
pub use event::*;
pub use list::*;
pub use redeliver::*;

/// Why a section's events cannot be sent again now, if they cannot.
async fn section_refusal(
    db: &impl sea_orm::ConnectionTrait,
    tenant_id: i32,
    section: EndpointKind,
) -> anyhow::Result<(Option<String>, Option<String>)> {
    let (endpoint, _) = find_endpoint(db, tenant_id, section).await?;
    let title = section.title();
    let refusal = match (&endpoint.url, endpoint.enabled) {
        (None, _) => Some(format!(
            "{title} has no URL. Set one on the Event URL tab, then redeliver."
        )),
        (Some(_), false) => Some(format!(
            "{title} delivery is paused, so nothing is sent. Enable it on the Event URL tab (it checks the settings first), then redeliver."
        )),
        (Some(_), true) => None,
    };
    Ok((refusal, endpoint.url))
}

fn event_refusal(event: &crate::persistence::entities::event::Model) -> Option<String> {
    let now = OffsetDateTime::now_utc();
    if event.state == EventState::Held.as_str() {
        return Some(
            "This event is held while CDR delivery is paused: it is delivered, oldest first, when you enable delivery again."
                .to_owned(),
        );
    }
    if event.state == EventState::Pending.as_str()
        && event.lease_until.is_some_and(|until| until > now)
    {
        return Some(
            "An attempt to deliver this event is under way. Reload in a moment to see how it went."
                .to_owned(),
        );
    }
    None
}
