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
    delivery::queue,
    domain::{EndpointKind, EventState},
    error::{AppError, ServiceError},
    persistence::endpoints::find_endpoint,
    state::AppState,
};

use crate::time_text::rfc3339;

/// A time typed in a filter: `YYYY-MM-DDTHH:MM` (what a `datetime-local`
/// field sends; read as UTC), with seconds, or RFC 3339.
fn parse_time(text: &str) -> Result<Option<OffsetDateTime>, ()> {
    let text = text.trim();
    if text.is_empty() {
        return Ok(None);
    }
    // In UTC, as stored: SQLite compares the stored text.
    if let Ok(at) = OffsetDateTime::parse(text, &Rfc3339) {
        return Ok(Some(at.to_offset(time::UtcOffset::UTC)));
    }
    let minutes = format_description!("[year]-[month]-[day]T[hour]:[minute]");
    let seconds = format_description!("[year]-[month]-[day]T[hour]:[minute]:[second]");
    time::PrimitiveDateTime::parse(text, minutes)
        .or_else(|_| time::PrimitiveDateTime::parse(text, seconds))
        .map(|at| Some(at.assume_utc()))
        .map_err(|_| ())
}

/// The filters read, or what is wrong with them (one message each).
pub fn read_filters(filters: &DeliveryFilters) -> Result<ListQuery, Vec<String>> {
    let mut errors = Vec::new();
    let mut query = ListQuery::default();
    if !filters.section.is_empty() {
        match EndpointKind::parse(&filters.section) {
            Some(section) => query.section = Some(section),
            None => errors.push("Section: choose CDR Events or Extension Events.".to_owned()),
        }
    }
    if !filters.state.is_empty() {
        match EventState::parse(&filters.state) {
            Some(state) => query.state = Some(state),
            None => errors.push("State: choose one of the listed states.".to_owned()),
        }
    }
    let event_type = filters.event_type.trim();
    if !event_type.is_empty() {
        if event_type.len() > 64 {
            errors.push("Event type: at most 64 characters.".to_owned());
        } else {
            query.event_type = Some(event_type.to_owned());
        }
    }
    for (label, text, slot) in [
        ("From", &filters.from, &mut query.from),
        ("To", &filters.to, &mut query.to),
    ] {
        match parse_time(text) {
            Ok(at) => *slot = at,
            Err(()) => errors.push(format!(
                "{label}: write a date and time like 2026-11-28T14:00 (UTC)."
            )),
        }
    }
    if let (Some(from), Some(to)) = (query.from, query.to) {
        if from >= to {
            errors.push("To: must be later than From.".to_owned());
        }
    }
    let search = filters.q.trim();
    if !search.is_empty() {
        if search.len() > 128 {
            errors.push("Search: at most 128 characters.".to_owned());
        } else {
            query.search = Some(search.to_owned());
        }
    }
    if errors.is_empty() {
        Ok(query)
    } else {
        Err(errors)
    }
}

fn to_row(row: &EventRow) -> Option<DeliveryRow> {
    let state = EventState::parse(&row.state)?;
    Some(DeliveryRow {
        id: row.id,
        uid: row.event_uid.clone(),
        created_at: rfc3339(row.created_at),
        section: EndpointKind::parse(&row.section)?,
        event_type: row.event_type.clone(),
        state,
        attempts: row.attempts,
        last_status: row.last_status,
        next_attempt_at: (state == EventState::Pending).then(|| rfc3339(row.next_attempt_at)),
    })
}

/// Whether `text` is a cursor of the list's page links.
pub fn is_cursor(text: &str) -> bool {
    Cursor::parse(text).is_some()
}

/// A page of the tenant's events: the newest, or older than `before`, or
/// newer than `after` (cursors of the page's links).
pub async fn list_page(
    state: &AppState,
    admin: &CurrentAdmin,
    filters: DeliveryFilters,
    before: &str,
    after: &str,
    redelivered: Option<u64>,
) -> Result<DeliveriesData, ServiceError> {
    let mut data = DeliveriesData {
        tenant_name: admin.tenant_name.clone(),
        admin_username: admin.username.clone(),
        filters,
        filter_errors: Vec::new(),
        rows: Vec::new(),
        older: None,
        newer: None,
        bulk_redeliver: false,
        redelivered,
    };
    let query = match read_filters(&data.filters) {
        Ok(query) => query,
        Err(errors) => {
            data.filter_errors = errors;
            return Ok(data);
        }
    };
    let place = match (Cursor::parse(before), Cursor::parse(after)) {
        (Some(cursor), _) => Place::Older(cursor),
        (None, Some(cursor)) => Place::Newer(cursor),
        (None, None) => Place::Newest,
    };
    let mut rows = store::list(
        &state.db,
        &state.cipher,
        admin.tenant_id,
        &query,
        place,
        PAGE_SIZE,
    )
    .await?;
    let more = rows.len() as u64 > PAGE_SIZE;
    match place {
        Place::Newer(_) => {
            // Fetched oldest first and reversed: the extra one is newest.
            if more {
                rows.remove(0);
            }
            data.newer = more
                .then(|| rows.first().map(|row| row.cursor().to_text()))
                .flatten();
            data.older = rows.last().map(|row| row.cursor().to_text());
        }
        Place::Older(_) | Place::Newest => {
            rows.truncate(usize::try_from(PAGE_SIZE).unwrap_or(usize::MAX));
            data.older = more
                .then(|| rows.last().map(|row| row.cursor().to_text()))
                .flatten();
            data.newer = matches!(place, Place::Older(_))
                .then(|| rows.first().map(|row| row.cursor().to_text()))
                .flatten();
        }
    }
    data.rows = rows.iter().filter_map(to_row).collect();
    // Offered when the list shows exactly what it would send: a section's
    // given-up events in a time range, no type or search narrowing it.
    data.bulk_redeliver = admin.role.may_manage()
        && query.section.is_some()
        && query.state == Some(EventState::GivenUp)
        && query.event_type.is_none()
        && query.search.is_none()
        && !rows.is_empty();
    Ok(data)
}

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

fn verdict(outcome: &str, status: Option<i32>) -> String {
    match (outcome, status) {
        ("delivered", _) => "Delivered: the receiver answered 200 OK.".to_owned(),
        ("given_up", Some(404)) => {
            "Not delivered, given up: the receiver answered 404, which tells the PBX to stop retrying."
                .to_owned()
        }
        ("given_up", _) => "Not delivered, given up: this was the last attempt the retry rules allow.".to_owned(),
        _ => "Not delivered: it will be retried.".to_owned(),
    }
}

fn header_pairs(json: Option<&str>) -> Vec<(String, String)> {
    json.and_then(|text| serde_json::from_str(text).ok())
        .unwrap_or_default()
}

/// One of the tenant's events, its body and attempts; another tenant's is
/// not found.
pub async fn event_page(
    state: &AppState,
    admin: &CurrentAdmin,
    id: i64,
    redelivered: bool,
) -> Result<EventDetail, ServiceError> {
    let not_found = || {
        ServiceError::User(AppError::NotFound(format!(
            "There is no event {id} in your company's deliveries (finished events are kept for the retention time, then deleted)."
        )))
    };
    let event = store::find(&state.db, admin.tenant_id, id)
        .await?
        .ok_or_else(not_found)?;
    let (attempts, refusal) = tokio::try_join!(store::attempts(&state.db, event.id), async {
        match EndpointKind::parse(&event.section) {
            Some(section) => section_refusal(&state.db, admin.tenant_id, section)
                .await
                .map(|(refusal, _)| refusal),
            None => Ok(None),
        }
    })?;
    let body = match state.cipher.decrypt(
        &event.body,
        &queue::body_context(event.tenant_id, &event.event_uid),
    ) {
        Ok(body) => {
            use secrecy::ExposeSecret;
            let bytes = body.expose_secret();
            serde_json::from_slice::<serde_json::Value>(bytes)
                .ok()
                .and_then(|value| serde_json::to_string_pretty(&value).ok())
                .unwrap_or_else(|| String::from_utf8_lossy(bytes).into_owned())
        }
        Err(e) => {
            tracing::error!(
                error = format!("{e:#}"),
                event = id,
                "an event's body does not decrypt"
            );
            "(The body could not be decrypted; the operator's log has the cause.)".to_owned()
        }
    };
    let row = EventRow {
        id: event.id,
        event_uid: event.event_uid.clone(),
        created_at: event.created_at,
        section: event.section.clone(),
        event_type: event.event_type.clone(),
        state: event.state.clone(),
        attempts: event.attempts,
        last_status: event.last_status,
        next_attempt_at: event.next_attempt_at,
    };
    let row = to_row(&row).ok_or_else(not_found)?;
    Ok(EventDetail {
        tenant_name: admin.tenant_name.clone(),
        admin_username: admin.username.clone(),
        row,
        body,
        attempts: attempts
            .into_iter()
            .map(|a| AttemptView {
                attempted_at: rfc3339(a.attempted_at),
                verdict: verdict(&a.outcome, a.status),
                url: a.url,
                auth_method: a.auth_method,
                duration_ms: a.duration_ms,
                status: a.status,
                outcome: a.outcome,
                manual: a.manual,
                error: a.error,
                help: a
                    .help
                    .map(|h| h.lines().map(str::to_owned).collect())
                    .unwrap_or_default(),
                request_headers: header_pairs(a.request_headers.as_deref()),
                response_headers: header_pairs(a.response_headers.as_deref()),
                response_body: a.response_body,
                response_truncated: a.response_truncated,
            })
            .collect(),
        redeliver_refused: if admin.role.may_manage() {
            event_refusal(&event).or(refusal)
        } else {
            Some("only an administrator can redeliver events (your role is Viewer).".to_owned())
        },
        redelivered,
    })
}

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

enum Target {
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

async fn read_target(
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
    state.wake_deliveries.due((admin.tenant_id, section));
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
