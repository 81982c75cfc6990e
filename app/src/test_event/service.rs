//! Sending a test event: from the form (or a past send) to a recorded
//! report. The tenant always comes from the signed-in administrator.

use anyhow::Context;
use sea_orm::{
    ActiveModelTrait, ColumnTrait, DatabaseConnection, EntityTrait, QueryFilter, QueryOrder,
    QuerySelect, Set,
};
use secrecy::{ExposeSecret, SecretString};
use time::{format_description::well_known::Rfc3339, OffsetDateTime};

use super::{
    report::{RequestView, ResponseView, TestReport},
    sample::{self, SampleTenant},
    verdict,
};
use crate::{
    auth::session::CurrentAdmin,
    delivery::{Credentials, Delivery, Outgoing},
    domain::{
        AuthDraft, AuthMethod, EndpointForm, EndpointKind, EndpointUrl, Field, FieldErrors,
        SampleEvent, SecretInput, SecretKind,
    },
    error::AppError,
    event_url::service::{find_endpoint, secret_context, secret_kind_of},
    persistence::{crypto::SecretCipher, entities::test_send},
    state::AppState,
};

/// How many test sends each section keeps.
pub const HISTORY_LEN: u64 = 20;
const PENDING: &str = "pending";

/// What one send needs, secrets resolved.
struct TestInput {
    kind: EndpointKind,
    event: SampleEvent,
    url: EndpointUrl,
    auth_method: AuthMethod,
    username: Option<String>,
    credentials: Credentials,
    body: String,
}

/// The form's values as they stand, saved or not; an empty secret field
/// means the stored secret.
pub async fn send_from_form(
    state: &AppState,
    admin: &CurrentAdmin,
    form: &EndpointForm,
    sample_event: &str,
) -> Result<TestReport, AppError> {
    let Some(kind) = EndpointKind::parse(&form.kind) else {
        let mut errors = FieldErrors::default();
        errors.add(Field::Enabled, "This form is out of date; reload the page.");
        return Err(AppError::NotSent(errors));
    };
    let (row, _) = find_endpoint(&state.db, admin.tenant_id, kind)
        .await
        .map_err(AppError::internal)?;
    let stored = secret_kind_of(&row);
    let event = SampleEvent::parse(kind, sample_event);
    let draft = match (form.parse_for_sending(stored), event) {
        (Ok(draft), Some(_)) => draft,
        (parsed, _) => {
            let mut errors = parsed.err().unwrap_or_default();
            if event.is_none() {
                errors.add(Field::SampleEvent, "Choose a sample event from the list.");
            }
            return Err(AppError::NotSent(errors));
        }
    };
    let (Some(url), Some(event)) = (draft.url, event) else {
        return Err(AppError::internal(anyhow::anyhow!(
            "a parsed test form has no URL"
        )));
    };
    let auth_method = draft.auth.method();
    let username = draft.auth.username().map(|u| u.as_str().to_owned());
    // A typed secret, or else the stored one.
    let secret = |typed: Option<&str>, secret: SecretKind| match typed {
        Some(typed) => Ok(SecretString::from(typed.to_owned())),
        None => decrypt_stored(&state.cipher, &row, admin.tenant_id, kind, secret),
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
        .context("encoding the sample event")
        .map_err(AppError::internal)?;
    let input = TestInput {
        kind,
        event,
        url,
        auth_method,
        username,
        credentials,
        body,
    };
    run(state, admin, input).await
}

/// The same event to the same URL with the same method, using the secret
/// saved now (typed secrets are never kept).
pub async fn send_again(
    state: &AppState,
    admin: &CurrentAdmin,
    id: i32,
) -> Result<TestReport, AppError> {
    let past = test_send::Entity::find_by_id(id)
        .filter(test_send::Column::TenantId.eq(admin.tenant_id))
        .filter(test_send::Column::Outcome.ne(PENDING))
        .one(&state.db)
        .await
        .context("loading a test send")
        .map_err(AppError::internal)?
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
        return Err(AppError::internal(anyhow::anyhow!(
            "test send {id} holds values this version does not know"
        )));
    };
    let credentials = match auth_method.secret_kind() {
        None => Credentials::None,
        Some(secret) => {
            let (row, _) = find_endpoint(&state.db, admin.tenant_id, kind)
                .await
                .map_err(AppError::internal)?;
            if secret_kind_of(&row) != Some(secret) {
                return Err(AppError::Refused(format!(
                    "No {} is saved for {} now, so this test cannot be sent again. Type it in the form and use Send test event.",
                    if secret == SecretKind::Token { "bearer token" } else { "password" },
                    kind.title()
                )));
            }
            let secret = decrypt_stored(&state.cipher, &row, admin.tenant_id, kind, secret)?;
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
    let input = TestInput {
        kind,
        event,
        url,
        auth_method,
        username: past.username,
        credentials,
        body: past.body,
    };
    run(state, admin, input).await
}

fn decrypt_stored(
    cipher: &SecretCipher,
    row: &crate::persistence::entities::endpoint::Model,
    tenant_id: i32,
    kind: EndpointKind,
    secret: SecretKind,
) -> Result<SecretString, AppError> {
    let sealed = row
        .secret_ciphertext
        .as_deref()
        .context("the endpoint has no stored secret")
        .map_err(AppError::internal)?;
    let plain = cipher
        .decrypt(sealed, &secret_context(tenant_id, kind, secret))
        .map_err(AppError::internal)?;
    let text = String::from_utf8(plain.expose_secret().clone())
        .context("a stored secret is not text")
        .map_err(AppError::internal)?;
    Ok(SecretString::from(text))
}

async fn run(
    state: &AppState,
    admin: &CurrentAdmin,
    input: TestInput,
) -> Result<TestReport, AppError> {
    let db = &state.db;
    let sent_at = OffsetDateTime::now_utc();
    let pending = test_send::ActiveModel {
        tenant_id: Set(admin.tenant_id),
        endpoint_kind: Set(input.kind.as_str().to_owned()),
        sent_at: Set(sent_at),
        sent_by: Set(Some(admin.user_id)),
        sent_by_name: Set(admin.username.clone()),
        event_type: Set(input.event.as_str().to_owned()),
        target_url: Set(input.url.as_str().to_owned()),
        auth_method: Set(input.auth_method.as_str().to_owned()),
        username: Set(input.username.clone()),
        outcome: Set(PENDING.to_owned()),
        status_code: Set(None),
        duration_ms: Set(None),
        body: Set(input.body.clone()),
        report: Set(String::new()),
        ..Default::default()
    }
    .insert(db)
    .await
    .context("recording a test send")
    .map_err(AppError::internal)?;

    // The reservation is counted with the others, so concurrent sends
    // cannot slip past the limit together.
    if let Err(limited) = check_rate(
        db,
        admin.tenant_id,
        pending.id,
        sent_at,
        state.test_events_per_minute,
    )
    .await
    {
        test_send::Entity::delete_by_id(pending.id)
            .exec(db)
            .await
            .context("dropping a refused test send")
            .map_err(AppError::internal)?;
        return Err(limited);
    }

    let outgoing = Outgoing {
        url: input.url.clone(),
        body: input.body.clone(),
        credentials: input.credentials,
    };
    let exchange = state.delivery.send(&outgoing).await;
    let host = url::Url::parse(input.url.as_str())
        .ok()
        .and_then(|u| u.host_str().map(str::to_owned))
        .unwrap_or_default();
    let judgement = verdict::judge(&exchange, input.auth_method, &host);
    let report = TestReport {
        id: pending.id,
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
    let mut done: test_send::ActiveModel = pending.into();
    done.outcome = Set(report.verdict.as_str().to_owned());
    done.status_code = Set(report.response.as_ref().map(|r| i32::from(r.status)));
    done.duration_ms = Set(Some(i64::try_from(report.duration_ms).unwrap_or(i64::MAX)));
    done.report = Set(serde_json::to_string(&report)
        .context("encoding a test report")
        .map_err(AppError::internal)?);
    done.update(db)
        .await
        .context("recording a test send's outcome")
        .map_err(AppError::internal)?;
    // The history shows it (`recent` keeps the newest; prune comes next).
    state.settings.drop_entry(&admin.tenant_id).await;
    prune(db, admin.tenant_id, input.kind)
        .await
        .map_err(AppError::internal)?;
    crate::activity::log::record(
        db,
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
    .await;
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

/// Refuses the send reserved as `own_id` when the tenant already sent
/// `limit` in the last minute, saying when the next one will be accepted.
async fn check_rate(
    db: &DatabaseConnection,
    tenant_id: i32,
    own_id: i32,
    now: OffsetDateTime,
    limit: u32,
) -> Result<(), AppError> {
    let window = time::Duration::seconds(60);
    let earlier: Vec<OffsetDateTime> = test_send::Entity::find()
        .select_only()
        .column(test_send::Column::SentAt)
        .filter(test_send::Column::TenantId.eq(tenant_id))
        .filter(test_send::Column::SentAt.gt(now - window))
        .filter(test_send::Column::Id.ne(own_id))
        .order_by_asc(test_send::Column::SentAt)
        .into_tuple()
        .all(db)
        .await
        .context("counting recent test sends")
        .map_err(AppError::internal)?;
    let limit_len = usize::try_from(limit).unwrap_or(usize::MAX);
    if earlier.len() < limit_len {
        return Ok(());
    }
    // The send that must leave the window before another fits.
    let gate = earlier[earlier.len() - limit_len];
    let wait = (gate + window - now).whole_seconds().max(0) + 1;
    Err(AppError::RateLimited {
        limit,
        retry_after_secs: u64::try_from(wait).unwrap_or(60),
    })
}

/// Keeps the newest `HISTORY_LEN` sends of a section.
async fn prune(db: &DatabaseConnection, tenant_id: i32, kind: EndpointKind) -> anyhow::Result<()> {
    let cut: Option<i32> = test_send::Entity::find()
        .select_only()
        .column(test_send::Column::Id)
        .filter(test_send::Column::TenantId.eq(tenant_id))
        .filter(test_send::Column::EndpointKind.eq(kind.as_str()))
        .order_by_desc(test_send::Column::Id)
        .offset(HISTORY_LEN)
        .limit(1)
        .into_tuple()
        .one(db)
        .await
        .context("finding old test sends")?;
    if let Some(cut) = cut {
        test_send::Entity::delete_many()
            .filter(test_send::Column::TenantId.eq(tenant_id))
            .filter(test_send::Column::EndpointKind.eq(kind.as_str()))
            .filter(test_send::Column::Id.lte(cut))
            .exec(db)
            .await
            .context("deleting old test sends")?;
    }
    Ok(())
}

/// Both sections' recent sends, newest first, in one query: `prune` keeps
/// each section's last `HISTORY_LEN`, so the tenant's rows are both lists
/// (a send racing its prune may leave one extra for a moment: cut here).
pub async fn recent(
    db: &DatabaseConnection,
    tenant_id: i32,
) -> anyhow::Result<(Vec<TestReport>, Vec<TestReport>)> {
    let rows = test_send::Entity::find()
        .filter(test_send::Column::TenantId.eq(tenant_id))
        .filter(test_send::Column::Outcome.ne(PENDING))
        .order_by_desc(test_send::Column::Id)
        .limit(4 * HISTORY_LEN)
        .all(db)
        .await
        .context("loading test sends")?;
    let (mut cdr, mut extension) = (Vec::new(), Vec::new());
    for row in rows {
        let list = match EndpointKind::parse(&row.endpoint_kind) {
            Some(EndpointKind::Cdr) => &mut cdr,
            Some(EndpointKind::Extension) => &mut extension,
            None => continue,
        };
        if list.len() as u64 >= HISTORY_LEN {
            continue;
        }
        match serde_json::from_str::<TestReport>(&row.report) {
            Ok(report) => list.push(report),
            Err(e) => tracing::warn!(id = row.id, error = %e, "unreadable test report skipped"),
        }
    }
    Ok((cdr, extension))
}

/// Built once at start: the HTTP client with the operator's address
/// policy and the PBX-like 10 s time-out.
pub fn delivery_for(policy: crate::delivery::TargetPolicy) -> anyhow::Result<Delivery> {
    Delivery::new(policy, std::time::Duration::from_secs(10))
}
