//! Redelivery: one event, or a section's given-up events in a time range,
//! after a confirmation naming how many; recorded in Activity.

use super::*;

/// What a redelivery is asked for, as its form and links carry it.
#[derive(Clone, Debug, Default, serde::Deserialize)]
pub struct RedeliveryForm {
    #[serde(default)]
    pub id: String,
    #[serde(default)]
    pub section: String,
    #[serde(default)]
    pub from: String,
    #[serde(default)]
    pub to: String,
}

pub(super) enum Target {
    Event(Box<crate::persistence::entities::event::Model>),
    GivenUp {
        section: EndpointKind,
        from: Option<OffsetDateTime>,
        to: Option<OffsetDateTime>,
    },
}

impl Target {
    fn section(&self) -> Option<EndpointKind> {
        match self {
            Target::Event(event) => EndpointKind::parse(&event.section),
            Target::GivenUp { section, .. } => Some(*section),
        }
    }
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
    Ok(Target::GivenUp {
        section,
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
    let section = target
        .section()
        .ok_or_else(|| ServiceError::Ours(anyhow::anyhow!("an event with an unknown section")))?;
    let (section_refused, url) = section_refusal(&state.db, admin.tenant_id, section).await?;
    let (target_view, count, refused) = match &target {
        Target::Event(event) => (
            RedeliveryTarget::Event {
                id: event.id,
                uid: event.event_uid.clone(),
            },
            1,
            event_refusal(event).or(section_refused),
        ),
        Target::GivenUp { section, from, to } => {
            // An open range ends now, pinned in the form (to the second,
            // rounded up: an event handed in earlier in this second is in
            // it): events handed in after the confirmation are not part of
            // what was confirmed.
            let now = OffsetDateTime::now_utc();
            let now = now
                .replace_nanosecond(0)
                .map_or(now, |whole| whole + time::Duration::SECOND);
            let (to, to_text) = match to {
                Some(to) => (*to, form.to.trim().to_owned()),
                None => (
                    now,
                    now.format(format_description!(
                        "[year]-[month]-[day]T[hour]:[minute]:[second]"
                    ))
                    .unwrap_or_default(),
                ),
            };
            let count =
                queue::count_given_up(&state.db, admin.tenant_id, *section, *from, Some(to))
                    .await?;
            let nothing = (count == 0).then(|| {
                "There are no given-up events of this section in that time range.".to_owned()
            });
            (
                RedeliveryTarget::GivenUp {
                    section: *section,
                    from: form.from.trim().to_owned(),
                    to: to_text,
                },
                count,
                section_refused.or(nothing),
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

/// Sends events again (the confirmed form): they become due now, their next
/// attempt marked manual, with the section's settings at that attempt;
/// recorded in Activity in the same transaction. Refused while the section
/// is paused or has no URL. How many.
pub async fn redeliver(
    state: &AppState,
    wake: &Wake,
    admin: &Administrator,
    form: &RedeliveryForm,
) -> Result<(RedeliveryTarget, u64), ServiceError> {
    let now = OffsetDateTime::now_utc();
    let _turn = state.writes.enter().await;
    let txn = state.db.begin().await.context("starting a transaction")?;
    let target = read_target(&txn, admin, form).await?;
    let section = target
        .section()
        .ok_or_else(|| ServiceError::Ours(anyhow::anyhow!("an event with an unknown section")))?;
    if let (Some(refused), _) = section_refusal(&txn, admin.tenant_id, section).await? {
        return Err(AppError::Refused(format!("Not redelivered: {refused}")).into());
    }
    let (count, summary, done) = match &target {
        Target::Event(event) => {
            if let Some(refused) = event_refusal(event) {
                return Err(AppError::Refused(format!("Not redelivered: {refused}")).into());
            }
            if !queue::redeliver_event(&txn, admin.tenant_id, event.id, now).await? {
                return Err(AppError::Refused(
                    "Not redelivered: an attempt of this event started meanwhile. Reload to see how it went."
                        .to_owned(),
                )
                .into());
            }
            (
                1,
                format!(
                    "asked to redeliver event {} ({}, was {})",
                    event.event_uid,
                    event.event_type,
                    EventState::parse(&event.state).map_or("unknown", EventState::label)
                ),
                RedeliveryTarget::Event {
                    id: event.id,
                    uid: event.event_uid.clone(),
                },
            )
        }
        Target::GivenUp { section, from, to } => {
            let n =
                queue::redeliver_given_up(&txn, admin.tenant_id, *section, *from, *to, now).await?;
            if n == 0 {
                return Err(AppError::Refused(
                    "Not redelivered: there are no given-up events of this section in that time range."
                        .to_owned(),
                )
                .into());
            }
            let range = match (from, to) {
                (None, None) => String::new(),
                (from, to) => format!(
                    " handed in from {} to {}",
                    from.map_or("the first".to_owned(), |at| crate::time_text::utc_minutes(
                        &rfc3339(at)
                    )),
                    to.map_or("now".to_owned(), |at| crate::time_text::utc_minutes(
                        &rfc3339(at)
                    ))
                ),
            };
            (
                n,
                format!("asked to redeliver {n} given-up events{range}"),
                RedeliveryTarget::GivenUp {
                    section: *section,
                    from: form.from.trim().to_owned(),
                    to: form.to.trim().to_owned(),
                },
            )
        }
    };
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
        events = count,
        "redelivery asked for"
    );
    Ok((done, count))
}

/// Where a redelivery leaves the admin: the event, or the section's list,
/// saying how many were asked for.
pub fn page_after(target: &RedeliveryTarget, count: u64) -> String {
    use crate::paths::DELIVERIES;
    match target {
        RedeliveryTarget::Event { id, .. } => format!("{DELIVERIES}/{id}?redelivered=1"),
        RedeliveryTarget::GivenUp { section, from, to } => {
            let filters = DeliveryFilters {
                section: section.as_str().to_owned(),
                from: from.clone(),
                to: to.clone(),
                ..Default::default()
            };
            format!("{DELIVERIES}?{}&redelivered={count}", filters.query())
        }
    }
}
