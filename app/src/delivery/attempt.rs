//! One delivery attempt: the section's settings read as they are now, the
//! rules asked whether to send (`rules`), the request made with the
//! section's credentials (`sender`), the answer decided on and worded for
//! its record (`rules`, `verdict`).

use std::time::Duration;
use time::OffsetDateTime;

use super::{
    queue::{AttemptRecord, Claimed, ResponseRecord},
    rules::{self, AttemptOutcome, Decision, EventFacts, SectionNow},
    schedule::RetrySchedule,
    verdict,
};
use crate::{
    domain::{AuthMethod, EndpointUrl, SecretKind},
    persistence::{
        custom_headers,
        endpoints::{endpoint_to_deliver, open_stored_secret},
        signing,
    },
    sender::{Credentials, Outgoing},
    state::AppState,
};

/// Makes the attempt (or not, when the section was paused meanwhile):
/// what it decided, its record, when.
pub async fn attempt(
    state: &AppState,
    schedule: &RetrySchedule,
    event: &Claimed,
) -> anyhow::Result<(Decision, Option<AttemptRecord>, OffsetDateTime)> {
    let (row, suspended) = endpoint_to_deliver(&state.db, event.tenant_id, event.section).await?;
    let url = row.url.as_deref().and_then(|u| EndpointUrl::parse(u).ok());
    let now = OffsetDateTime::now_utc();
    // Paused (or its company suspended) meanwhile: a CDR event is
    // held, an extension event skipped.
    let section = SectionNow {
        has_url: url.is_some(),
        enabled: row.enabled && !suspended,
    };
    let url = match (
        url,
        rules::decide(&facts(event), section, None, schedule, now),
    ) {
        (Some(url), Decision::Send) => url,
        (_, Decision::Send) => return Ok((Decision::Skip, None, now)),
        (_, not_sent) => return Ok((not_sent, None, now)),
    };
    let method = AuthMethod::parse(&row.auth_method).unwrap_or_default();
    let username = row.username.clone().unwrap_or_default();
    let secret = |kind: SecretKind| {
        open_stored_secret(
            &state.cipher,
            &row,
            event.tenant_id,
            event.section,
            kind,
            &url,
        )
    };
    let credentials = match method {
        AuthMethod::Disable => Credentials::None,
        AuthMethod::Basic => Credentials::Basic {
            username,
            password: secret(SecretKind::Password)?,
        },
        AuthMethod::Digest => Credentials::Digest {
            username,
            password: secret(SecretKind::Password)?,
        },
        AuthMethod::Bearer => Credentials::Bearer {
            token: secret(SecretKind::Token)?,
        },
    };
    let outgoing = Outgoing {
        url: url.clone(),
        body: event.body.clone(),
        credentials,
        event_id: event.uid.clone(),
        signing: signing::signing_of(&state.cipher, &row, now)?,
        headers: custom_headers::headers_for(
            &state.cipher,
            &row,
            event.tenant_id,
            event.section,
            &url,
        )?,
    };
    let exchange = state.sender.send(&outgoing).await;
    let finished = OffsetDateTime::now_utc();
    let status = exchange.response.as_ref().map(|r| r.status);
    let attempts = u32::try_from(event.attempts + 1).unwrap_or(u32::MAX);
    let outcome = match status {
        Some(status) => AttemptOutcome::Answered {
            status,
            retry_after: retry_after(&exchange),
        },
        None => AttemptOutcome::NoAnswer,
    };
    let decision = after(schedule, event, Some(outcome), finished);
    let host = url::Url::parse(url.as_str())
        .ok()
        .and_then(|u| u.host_str().map(str::to_owned))
        .unwrap_or_default();
    let (error, help) = if status == Some(200) {
        (None, Vec::new())
    } else {
        let judged = verdict::judge(&exchange, method, &host);
        (Some(judged.summary), judged.help)
    };
    let record = AttemptRecord {
        url: url.as_str().to_owned(),
        auth_method: method.as_str().to_owned(),
        duration_ms: i64::try_from(exchange.elapsed.as_millis()).unwrap_or(i64::MAX),
        status: status.map(i32::from),
        error,
        help,
        manual: event.manual,
        request_headers: exchange.request.headers.clone(),
        response: exchange.response.as_ref().map(|r| ResponseRecord {
            headers: r.headers.clone(),
            body: r.body.clone(),
            truncated: r.body_truncated,
        }),
    };
    tracing::info!(
        tenant_id = event.tenant_id,
        event = event.id,
        section = event.section.as_str(),
        attempt = attempts,
        status,
        decision = ?decision,
        "delivery attempt"
    );
    Ok((decision, Some(record), finished))
}

/// PortSIP's rules after an attempt (`rules::decide`).
pub fn after(
    schedule: &RetrySchedule,
    event: &Claimed,
    outcome: Option<AttemptOutcome>,
    now: OffsetDateTime,
) -> Decision {
    // The section no longer matters once an attempt was made.
    let sent = SectionNow {
        has_url: true,
        enabled: true,
    };
    rules::decide(&facts(event), sent, outcome, schedule, now)
}

/// What the rules know of a claimed event.
fn facts(event: &Claimed) -> EventFacts {
    EventFacts {
        section: event.section,
        attempts_before: u32::try_from(event.attempts).unwrap_or(0),
        manual: event.manual,
    }
}

/// A receiver's `Retry-After` (seconds) on 429 or 503.
fn retry_after(exchange: &crate::sender::Exchange) -> Option<Duration> {
    let response = exchange.response.as_ref()?;
    if response.status != 429 && response.status != 503 {
        return None;
    }
    response
        .headers
        .iter()
        .find(|(name, _)| name.eq_ignore_ascii_case("retry-after"))
        .and_then(|(_, value)| value.trim().parse::<u64>().ok())
        .map(Duration::from_secs)
}
