//! Sending a test event: from the form (or a past send) to a recorded
//! report. The tenant always comes from the signed-in administrator.

use anyhow::Context;
use sea_orm::{ActiveModelTrait, ColumnTrait, EntityTrait, QueryFilter, Set, TransactionTrait};
use secrecy::SecretString;
use time::{format_description::well_known::Rfc3339, OffsetDateTime};

use super::{
    history,
    report::{RequestView, ResponseView, TestReport},
    sample::{self, SampleTenant},
};
use crate::{
    auth::{Administrator, CurrentAdmin},
    delivery::verdict,
    domain::{
        AuthDraft, AuthMethod, EndpointForm, EndpointKind, EndpointUrl, Field, FieldErrors,
        SampleEvent, SecretInput, SecretKind,
    },
    error::{AppError, ServiceError},
    persistence::{
        custom_headers::{headers_for, headers_of_draft, saved_section_of},
        endpoints::{find_endpoint, open_stored_secret, secret_kind_of, stored_secret_of},
        entities::test_send,
        signing,
    },
    sender::{Credentials, CustomHeader, Outgoing, WebhookSender},
    state::AppState,
};

/// What one send needs, secrets resolved.
struct TestInput {
    kind: EndpointKind,
    event: SampleEvent,
    url: EndpointUrl,
    auth_method: AuthMethod,
    username: Option<String>,
    credentials: Credentials,
    headers: Vec<CustomHeader>,
    body: String,
}

/// The form's values as they stand, saved or not; an empty secret field
/// means the stored secret.
pub async fn send_from_form(
    state: &AppState,
    admin: &Administrator,
    form: &EndpointForm,
    sample_event: &str,
) -> Result<TestReport, ServiceError> {
    let Some(kind) = EndpointKind::parse(&form.kind) else {
        let mut errors = FieldErrors::default();
        errors.add(Field::Enabled, "This form is out of date; reload the page.");
        return Err(AppError::NotSent(errors).into());
    };
    let (row, _) = find_endpoint(&state.db, admin.tenant_id, kind).await?;
    let saved = saved_section_of(&row);
    let event = SampleEvent::parse(kind, sample_event);
    let draft = match (form.parse_for_sending(&saved), event) {
        (Ok(draft), Some(_)) => draft,
        (parsed, _) => {
            let mut errors = parsed.err().unwrap_or_default();
            if event.is_none() {
                errors.add(Field::SampleEvent, "Choose a sample event from the list.");
            }
            return Err(AppError::NotSent(errors).into());
        }
    };
    let headers = headers_of_draft(&state.cipher, &row, admin.tenant_id, kind, &draft.headers)?;
    let (Some(url), Some(event)) = (draft.url, event) else {
        return Err(anyhow::anyhow!("a parsed test form has no URL").into());
    };
    let auth_method = draft.auth.method();
    let username = draft.auth.username().map(|u| u.as_str().to_owned());
    // A typed secret, or else the stored one.
    let secret = |typed: Option<&str>, secret: SecretKind| match typed {
        Some(typed) => Ok(SecretString::from(typed.to_owned())),
        None => open_stored_secret(&state.cipher, &row, admin.tenant_id, kind, secret, &url),
    };
    let credentials = match &draft.auth {
        AuthDraft::Disable => Credentials::None,
        AuthDraft::Basic { password, .. } | AuthDraft::Digest { password, .. } => {
            let typed = match password {
                SecretInput::Replace(p) => Some(p.expose_secret()),
                SecretInput::Keep => None,
            };
            let password = secret(typed, SecretKind::Password)?;
            let username = username.clone().unwrap_or_default();
            if auth_method == AuthMethod::Digest {
                Credentials::Digest { username, password }
            } else {
                Credentials::Basic { username, password }
            }
        }
        AuthDraft::Bearer { token } => {
            let typed = match token {
                SecretInput::Replace(t) => Some(t.expose_secret()),
                SecretInput::Keep => None,
            };
            Credentials::Bearer {
                token: secret(typed, SecretKind::Token)?,
            }
        }
    };
    let tenant = SampleTenant {
        id: admin.tenant_id,
        name: admin.tenant_name.clone(),
    };
    let now = OffsetDateTime::now_utc().unix_timestamp();
    let body = serde_json::to_string(&sample::build(event, &tenant, now))
        .context("encoding the sample event")?;
    let input = TestInput {
        kind,
        event,
        url,
        auth_method,
        username,
        credentials,
        headers,
        body,
    };
    run(state, admin, input).await
}

/// The same event to the same URL with the same method, using the secret
/// saved now (typed secrets are never kept).
pub async fn send_again(
    state: &AppState,
    admin: &Administrator,
    id: i32,
) -> Result<TestReport, ServiceError> {
    let past = test_send::Entity::find_by_id(id)
        .filter(test_send::Column::TenantId.eq(admin.tenant_id))
        .one(&state.db)
        .await
        .context("loading a test send")?
        .ok_or_else(|| {
            AppError::Refused(
                "That test send is no longer in the history. Send a new test event instead."
                    .to_owned(),
            )
        })?;
    let kind = EndpointKind::parse(&past.endpoint_kind);
    let event = kind.and_then(|k| SampleEvent::parse(k, &past.event_type));
    let method = AuthMethod::parse(&past.auth_method);
    let url = EndpointUrl::parse(&past.target_url).ok();
    let (Some(kind), Some(event), Some(auth_method), Some(url)) = (kind, event, method, url) else {
        return Err(
            anyhow::anyhow!("test send {id} holds values this version does not know").into(),
        );
    };
    // The section as saved now: its secret and headers (read once).
    let (row, _) = find_endpoint(&state.db, admin.tenant_id, kind).await?;
    let credentials = match auth_method.secret_kind() {
        None => Credentials::None,
        Some(secret) => {
            let saved_for = stored_secret_of(&row).and_then(|s| s.destination);
            if secret_kind_of(&row) == Some(secret)
                && saved_for.as_ref() != Some(&url.destination())
            {
                return Err(AppError::Refused(format!(
                    "The saved {} is only ever sent to {}, and this test went to {}. Type it in the form and use Send test event.",
                    if secret == SecretKind::Token { "bearer token" } else { "password" },
                    saved_for.map_or_else(|| "the URL it is saved with".to_owned(), |o| o.to_string()),
                    url.destination()
                ))
                .into());
            }
            if secret_kind_of(&row) != Some(secret) {
                return Err(AppError::Refused(format!(
                    "No {} is saved for {} now, so this test cannot be sent again. Type it in the form and use Send test event.",
                    if secret == SecretKind::Token { "bearer token" } else { "password" },
                    kind.title()
                ))
                .into());
            }
            let secret =
                open_stored_secret(&state.cipher, &row, admin.tenant_id, kind, secret, &url)?;
            let username = past.username.clone().unwrap_or_default();
            match auth_method {
                AuthMethod::Basic => Credentials::Basic {
                    username,
                    password: secret,
                },
                AuthMethod::Digest => Credentials::Digest {
                    username,
                    password: secret,
                },
                AuthMethod::Bearer | AuthMethod::Disable => Credentials::Bearer { token: secret },
            }
        }
    };
    // Its headers; secret values only where they were saved for.
    let saved = saved_section_of(&row);
    if saved.headers.iter().any(|h| h.secret) && saved.destination != Some(url.destination()) {
        return Err(AppError::Refused(format!(
            "The saved secret header values are only ever sent to the URL they were saved with, and this test went to {}. Use Send test event in the form instead.",
            url.destination()
        ))
        .into());
    }
    let headers = headers_for(&state.cipher, &row, admin.tenant_id, kind, &url)?;
    let input = TestInput {
        kind,
        event,
        url,
        auth_method,
        username: past.username,
        credentials,
        headers,
        body: past.body,
    };
    run(state, admin, input).await
}

/// Counts the send against the tenant's limit, then sends and records it
/// in a task of its own: a browser that goes away mid-send, or a failure
/// anywhere in sending, cannot leave a send unrecorded or half-recorded.
async fn run(
    state: &AppState,
    admin: &CurrentAdmin,
    input: TestInput,
) -> Result<TestReport, ServiceError> {
    // Sends are counted, not history rows (which are trimmed to 20 a
    // section), before anything goes out.
    let rule = crate::persistence::rate_limit::Rule {
        key: format!("test-send:tenant:{}", admin.tenant_id),
        max: u64::from(state.config.test_events_per_minute),
        window: time::Duration::seconds(60),
    };
    if let crate::persistence::rate_limit::Verdict::Refused { retry_after_secs } =
        crate::persistence::rate_limit::take(&state.db, std::slice::from_ref(&rule)).await?
    {
        return Err(AppError::RateLimited {
            limit: state.config.test_events_per_minute,
            retry_after_secs,
        }
        .into());
    }
    let task = tokio::spawn({
        let (state, admin) = (state.clone(), admin.clone());
        async move { send_and_record(&state, &admin, input).await }
    });
    match task.await {
        Ok(outcome) => outcome,
        Err(e) => Err(anyhow::anyhow!("the test send task failed: {e}").into()),
    }
}

async fn send_and_record(
    state: &AppState,
    admin: &CurrentAdmin,
    input: TestInput,
) -> Result<TestReport, ServiceError> {
    let db = &state.db;
    let sent_at = OffsetDateTime::now_utc();
    // Signed as deliveries are, with the section's secrets now; its own id
    // (a test is no PBX event).
    let (row, _) = find_endpoint(db, admin.tenant_id, input.kind).await?;
    let outgoing = Outgoing {
        url: input.url.clone(),
        body: input.body.clone(),
        credentials: input.credentials,
        event_id: format!("test_{}", uuid::Uuid::new_v4().simple()),
        signing: signing::signing_of(&state.cipher, &row, sent_at)?,
        headers: input.headers,
    };
    // (A receiver that echoes the credential gets it redacted there.)
    let exchange = state.sender.send(&outgoing).await;
    let host = url::Url::parse(input.url.as_str())
        .ok()
        .and_then(|u| u.host_str().map(str::to_owned))
        .unwrap_or_default();
    let judgement = verdict::judge(&exchange, input.auth_method, &host);
    let mut report = TestReport {
        id: 0,
        kind: input.kind,
        event: input.event,
        sent_at: sent_at.format(&Rfc3339).unwrap_or_default(),
        sent_by: admin.username.clone(),
        auth_method: input.auth_method,
        verdict: judgement.verdict,
        summary: judgement.summary,
        help: judgement.help,
        duration_ms: millis(exchange.elapsed),
        duration_us: u64::try_from(exchange.elapsed.as_micros()).unwrap_or(u64::MAX),
        digest_ms: exchange.digest.as_ref().map(|d| millis(d.challenge_time)),
        digest_note: judgement.digest_note,
        request: RequestView {
            method: exchange.request.method.to_owned(),
            url: exchange.request.url.clone(),
            headers: exchange.request.headers.clone(),
            body: pretty(&input.body),
        },
        response: exchange.response.as_ref().map(|r| ResponseView {
            status: r.status,
            reason: r.reason.clone(),
            headers: r.headers.clone(),
            body: r.body.clone(),
            body_truncated: r.body_truncated,
            remote_addr: r.remote_addr.map(|a| a.to_string()),
        }),
    };
    // The send, the history's trim and the activity entry together. (The
    // stored report's id is the row's: `history::recent` sets it.)
    let row = test_send::ActiveModel {
        tenant_id: Set(admin.tenant_id),
        endpoint_kind: Set(input.kind.as_str().to_owned()),
        sent_at: Set(sent_at),
        sent_by: Set(Some(admin.user_id)),
        sent_by_name: Set(admin.username.clone()),
        event_type: Set(input.event.as_str().to_owned()),
        target_url: Set(input.url.as_str().to_owned()),
        auth_method: Set(input.auth_method.as_str().to_owned()),
        username: Set(input.username.clone()),
        outcome: Set(report.verdict.as_str().to_owned()),
        status_code: Set(report.response.as_ref().map(|r| i32::from(r.status))),
        duration_ms: Set(Some(i64::try_from(report.duration_ms).unwrap_or(i64::MAX))),
        body: Set(input.body.clone()),
        report: Set(serde_json::to_string(&report).context("encoding a test report")?),
        ..Default::default()
    };
    let _turn = state.writes.enter().await;
    let txn = db.begin().await.context("starting a transaction")?;
    let row = row.insert(&txn).await.context("recording a test send")?;
    report.id = row.id;
    history::prune(&txn, admin.tenant_id, input.kind).await?;
    crate::activity::log::record(
        &txn,
        crate::activity::log::NewEntry::by(
            admin,
            crate::activity::ActivityKind::TestEventSent,
            Some(input.kind),
            format!(
                "{} to {host}: {} ({}, {} ms)",
                input.event.as_str(),
                report.verdict.title(),
                report.status_text(),
                report.duration_ms
            ),
        ),
    )
    .await?;
    txn.commit().await.context("committing a test send")?;
    tracing::info!(
        tenant_id = admin.tenant_id,
        user_id = admin.user_id,
        endpoint = input.kind.as_str(),
        event = input.event.as_str(),
        host = %host,
        auth_method = input.auth_method.as_str(),
        verdict = report.verdict.as_str(),
        status = report.response.as_ref().map(|r| r.status),
        duration_ms = report.duration_ms,
        "test event sent"
    );
    Ok(report)
}

fn millis(d: std::time::Duration) -> u64 {
    u64::try_from(d.as_millis()).unwrap_or(u64::MAX)
}

fn pretty(body: &str) -> String {
    serde_json::from_str::<serde_json::Value>(body)
        .and_then(|v| serde_json::to_string_pretty(&v))
        .unwrap_or_else(|_| body.to_owned())
}

/// Built once at start: the HTTP client with the operator's address
/// policy and the PBX-like 10 s time-out.
pub fn sender_for(policy: crate::sender::TargetPolicy) -> anyhow::Result<WebhookSender> {
    WebhookSender::new(policy, std::time::Duration::from_secs(10))
}
