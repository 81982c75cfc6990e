//! The list: filters read from the URL, one page of rows by keyset.

use super::*;

/// A time typed in a filter: `YYYY-MM-DDTHH:MM` (what a `datetime-local`
/// field sends; read as UTC), with seconds, or RFC 3339.
pub(super) fn parse_time(text: &str) -> Result<Option<OffsetDateTime>, ()> {
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

pub(super) fn to_row(row: &EventRow) -> Option<DeliveryRow> {
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
    // given-up (filtered, skipped) events in a time range, no type or
    // search narrowing it.
    data.bulk_redeliver = admin.role.may_manage()
        && query.section.is_some()
        && query
            .state
            .is_some_and(|state| super::replay::REPLAYABLE.contains(&state))
        && query.event_type.is_none()
        && query.search.is_none()
        && !rows.is_empty();
    Ok(data)
}
