//! Redelivery: one event, or a section's given-up (filtered, skipped)
//! events in a time range as a replay job (`replay`), after a confirmation
//! naming how many; recorded in Activity.

use super::*;
use crate::deliveries::model::ReplayView;

/// What a redelivery is asked for, as its form and links carry it.
#[derive(Clone, Debug, Default, serde::Deserialize)]
pub struct RedeliveryForm {
    #[serde(default)]
    pub id: String,
    #[serde(default)]
    pub section: String,
    /// The events' state (given_up unless said: filtered, skipped).
    #[serde(default)]
    pub state: String,
    #[serde(default)]
    pub from: String,
    #[serde(default)]
    pub to: String,
}

pub(super) enum Target {
    Event(Box<crate::persistence::entities::event::Model>),
    Replay {
        section: EndpointKind,
        state: EventState,
        from: Option<OffsetDateTime>,
        to: Option<OffsetDateTime>,
    },
}

/// What a confirmed redelivery did.
pub enum Redone {
    Event { id: i64, uid: String },
    Replay(ReplayView),
}

pub(super) async fn read_target(
    db: &impl sea_orm::ConnectionTrait,
    admin: &CurrentAdmin,
    form: &RedeliveryForm,
) -> Result<Target, ServiceError> {
    if !form.id.is_empty() {
        let id: i64 = form.id.trim().parse().map_err(|_| {
            AppError::BadRequest(
                "This redelivery names no event; go back and try again.".to_owned(),
            )
        })?;
        let event = store::find(db, admin.tenant_id, id).await?.ok_or_else(|| {
            AppError::NotFound(format!(
                "There is no event {id} in your company's deliveries."
            ))
        })?;
        return Ok(Target::Event(Box::new(event)));
    }
    let section = EndpointKind::parse(&form.section).ok_or_else(|| {
        AppError::BadRequest(
            "Choose a section (and State: Given up) on the Deliveries tab first.".to_owned(),
        )
    })?;
    let bad_time = |label: &str| {
        AppError::BadRequest(format!(
            "{label}: write a date and time like 2026-11-28T14:00 (UTC)."
        ))
    };
    let state = if form.state.trim().is_empty() {
        EventState::GivenUp
    } else {
        replay::replayable_state(&form.state)?
    };
    Ok(Target::Replay {
        section,
        state,
        from: parse_time(&form.from).map_err(|()| bad_time("From"))?,
        to: parse_time(&form.to).map_err(|()| bad_time("To"))?,
    })
}

/// The confirmation page: what would be sent again, where to, or why not.
pub async fn preview(
    state: &AppState,
    admin: &CurrentAdmin,
    form: &RedeliveryForm,
) -> Result<RedeliveryPlan, ServiceError> {
    // The confirmation step of a change: a viewer is told at once.
    let admin = admin.clone().administrator()?;
    let target = read_target(&state.db, &admin, form).await?;
    let (target_view, count, refused, url) = match &target {
        Target::Event(event) => {
            let section = EndpointKind::parse(&event.section).ok_or_else(|| {
                ServiceError::Ours(anyhow::anyhow!("an event with an unknown section"))
            })?;
            let (section_refused, url) =
                section_refusal(&state.db, admin.tenant_id, section).await?;
            (
                RedeliveryTarget::Event {
                    id: event.id,
                    uid: event.event_uid.clone(),
                },
                1,
                event_refusal(event).or(section_refused),
                url,
            )
        }
        Target::Replay {
            section,
            state: events_state,
            from,
            to,
        } => {
            // An open range ends now, pinned in the form.
            let (to, to_text) = match to {
                Some(to) => (*to, form.to.trim().to_owned()),
                None => {
                    let end = replay::open_end();
                    (
                        end,
                        end.format(format_description!(
                            "[year]-[month]-[day]T[hour]:[minute]:[second]"
                        ))
                        .unwrap_or_default(),
                    )
                }
            };
            let request = replay::ReplayRequest {
                section: *section,
                state: *events_state,
                from: *from,
                to,
            };
            let (count, refused, url) = replay::plan(&state.db, admin.tenant_id, &request).await?;
            (
                RedeliveryTarget::Replay {
                    section: *section,
                    state: *events_state,
                    from: form.from.trim().to_owned(),
                    to: to_text,
                },
                count,
                refused,
                url,
            )
        }
    };
    Ok(RedeliveryPlan {
        tenant_name: admin.tenant_name.clone(),
        admin_username: admin.username.clone(),
        target: target_view,
        count,
        url,
        refused,
    })
}

/// Sends events again (the confirmed form): one event becomes due now,
/// its next attempt marked manual, with the section's settings at that
/// attempt, recorded in Activity in the same transaction; a section's
/// events become a replay job (`replay::start`). Refused while the section
/// is paused or has no URL.
pub async fn redeliver(
    state: &AppState,
    wake: &Wake,
    admin: &Administrator,
    form: &RedeliveryForm,
) -> Result<Redone, ServiceError> {
    let target = read_target(&state.db, admin, form).await?;
    let event = match target {
        Target::Event(event) => event,
        Target::Replay {
            section,
            state: events_state,
            from,
            to,
        } => {
            let request = replay::ReplayRequest {
                section,
                state: events_state,
                from,
                to: to.unwrap_or_else(replay::open_end),
            };
            return Ok(Redone::Replay(
                replay::start(state, wake, admin, request).await?,
            ));
        }
    };
    let now = OffsetDateTime::now_utc();
    let section = EndpointKind::parse(&event.section)
        .ok_or_else(|| ServiceError::Ours(anyhow::anyhow!("an event with an unknown section")))?;
    let _turn = state.writes.enter().await;
    let txn = state.db.begin().await.context("starting a transaction")?;
    // Read again in the transaction: it may have changed since.
    let Target::Event(event) = read_target(&txn, admin, form).await? else {
        return Err(ServiceError::Ours(anyhow::anyhow!(
            "an event became a range"
        )));
    };
    if let (Some(refused), _) = section_refusal(&txn, admin.tenant_id, section).await? {
        return Err(AppError::Refused(format!("Not redelivered: {refused}")).into());
    }
    if let Some(refused) = event_refusal(&event) {
        return Err(AppError::Refused(format!("Not redelivered: {refused}")).into());
    }
    if !queue::redeliver_event(&txn, admin.tenant_id, event.id, now).await? {
        return Err(AppError::Refused(
            "Not redelivered: an attempt of this event started meanwhile. Reload to see how it went."
                .to_owned(),
        )
        .into());
    }
    let summary = format!(
        "asked to redeliver event {} ({}, was {})",
        event.event_uid,
        event.event_type,
        EventState::parse(&event.state).map_or("unknown", EventState::label)
    );
    activity::log::record(
        &txn,
        NewEntry::by(admin, ActivityKind::Redelivered, Some(section), summary),
    )
    .await?;
    txn.commit().await.context("committing a redelivery")?;
    wake.due((admin.tenant_id, section));
    tracing::info!(
        tenant_id = admin.tenant_id,
        section = section.as_str(),
        "redelivery asked for"
    );
    Ok(Redone::Event {
        id: event.id,
        uid: event.event_uid.clone(),
    })
}

/// Where a redelivery leaves the admin: the event, or the replay's
/// progress.
pub fn page_after(done: &Redone) -> String {
    use crate::paths::{DELIVERIES, REPLAYS};
    match done {
        Redone::Event { id, .. } => format!("{DELIVERIES}/{id}?redelivered=1"),
        Redone::Replay(replay) => format!("{REPLAYS}/{}", replay.id),
    }
}
