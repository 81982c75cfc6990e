//! One event: its body and every attempt, worded for the admin.

use super::*;

pub(super) fn verdict(outcome: &str, status: Option<i32>) -> String {
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

pub(super) fn header_pairs(json: Option<&str>) -> Vec<(String, String)> {
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
