//! Loading and changing a tenant's endpoints. The tenant always comes from
//! the signed-in administrator; the form only says which of its two
//! endpoints is meant. Every change is one transaction: the conditional
//! update (on the version the page was loaded with), the version bump and
//! the activity entries commit together or not at all.

use sea_orm::{
    sea_query::Expr, ColumnTrait, DatabaseConnection, EntityTrait, QueryFilter, TransactionTrait,
    UpdateMany,
};
use time::OffsetDateTime;

use super::model::{
    DeliverySummary, EndpointView, EventUrlData, HourCount, SecretStatus, SigningStatus,
};
use crate::{
    activity::{self, log::NewEntry, ActivityKind, Change},
    auth::{Administrator, CurrentAdmin},
    delivery::queue::{settle_held, HeldFate},
    domain::{
        AuthDraft, AuthMethod, EndpointForm, EndpointKind, Field, SavedHeader, SecretInput,
        SecretKind,
    },
    error::{AppError, ServiceError},
    mail::{letters, Outbox},
    persistence::{
        crypto::SecretCipher,
        custom_headers,
        endpoints::{find_endpoint, secret_context, secret_kind_of, tenant_endpoints},
        entities::endpoint,
        write_gate::WriteGate,
    },
    test_event::history,
};

use crate::time_text::rfc3339;

mod save;
mod signing;
mod switch;
pub use save::*;
pub use signing::*;
pub use switch::*;

fn view_of(
    row: endpoint::Model,
    updated_by: Option<String>,
    now: OffsetDateTime,
) -> anyhow::Result<EndpointView> {
    use anyhow::Context;
    let kind = EndpointKind::parse(&row.kind)
        .with_context(|| format!("unknown endpoint kind {:?}", row.kind))?;
    let auth_method = AuthMethod::parse(&row.auth_method)
        .with_context(|| format!("unknown auth method {:?}", row.auth_method))?;
    let headers = crate::persistence::custom_headers::saved_headers_of(&row);
    let event_types = crate::persistence::endpoints::event_types_of(&row);
    let limits = crate::persistence::endpoints::limits_of(&row);
    Ok(EndpointView {
        limits,
        headers,
        event_types,
        kind,
        auth_method,
        secret: secret_kind_of(&row).map(|kind| SecretStatus {
            kind,
            changed_at: row.secret_changed_at.map(rfc3339).unwrap_or_default(),
            changed_by: row.secret_changed_by,
            age_days: row
                .secret_changed_at
                .map(|at| (now - at).whole_days())
                .unwrap_or(0),
        }),
        url: row.url.unwrap_or_default(),
        username: row.username.unwrap_or_default(),
        enabled: row.enabled,
        enabled_since: row.enabled_changed_at.map(rfc3339),
        updated_at: rfc3339(row.updated_at),
        updated_by,
        version: row.version,
        alert: row.alert.as_deref().and_then(|alert| {
            let count = if alert == crate::delivery::health::FAILING {
                row.failed_streak
            } else {
                row.given_up_streak
            };
            crate::domain::DeliveryAlert::parse(kind, &format!("{alert}:{count}"))
        }),
        alert_since: row.alert_since.map(rfc3339),
        signing: SigningStatus {
            rotated_at: row.signing_rotated_at.map(rfc3339),
            previous_until: row
                .signing_previous_until
                .filter(|until| *until > now)
                .map(rfc3339),
        },
    })
}

/// The tab's data, read from the database on every call: both endpoints
/// in one query, both sections' test history in another.
pub async fn load(
    db: &DatabaseConnection,
    admin: &CurrentAdmin,
) -> Result<EventUrlData, ServiceError> {
    let now = OffsetDateTime::now_utc();
    let ([cdr, extension], (cdr_tests, extension_tests), [cdr_deliveries, extension_deliveries]) =
        tokio::try_join!(
            settings(db, admin.tenant_id),
            history::recent(db, admin.tenant_id),
            crate::delivery::summary::counts(db, admin.tenant_id, now),
        )?;
    Ok(EventUrlData {
        tenant_name: admin.tenant_name.clone(),
        admin_username: admin.username.clone(),
        cdr,
        extension,
        cdr_tests,
        extension_tests,
        cdr_hours: hours_of(&cdr_deliveries, now),
        extension_hours: hours_of(&extension_deliveries, now),
        cdr_deliveries: summary_of(cdr_deliveries),
        extension_deliveries: summary_of(extension_deliveries),
    })
}

/// Both sections' settings as saved (CDR, Extension), for the REST API:
/// one query, nothing else of the tab.
pub async fn settings(
    db: &DatabaseConnection,
    tenant_id: i32,
) -> anyhow::Result<[EndpointView; 2]> {
    use anyhow::Context;
    let now = OffsetDateTime::now_utc();
    let (mut cdr, mut extension) = (None, None);
    for (row, by) in tenant_endpoints(db, tenant_id).await? {
        let view = view_of(row, by, now)?;
        match view.kind {
            EndpointKind::Cdr => cdr = Some(view),
            EndpointKind::Extension => extension = Some(view),
        }
    }
    Ok([
        cdr.context("the tenant has no CDR endpoint")?,
        extension.context("the tenant has no Extension endpoint")?,
    ])
}

/// The last 24 hours, oldest first, each with its counts (0 when none).
fn hours_of(
    counts: &crate::delivery::summary::SectionCounts,
    now: OffsetDateTime,
) -> Vec<HourCount> {
    let this_hour = crate::delivery::health::hour_of(now);
    (0..24i64)
        .rev()
        .map(|ago| {
            let hour = this_hour - time::Duration::hours(ago);
            let (delivered, failed) = counts
                .hours
                .iter()
                .find(|(at, _, _)| *at == hour)
                .map_or((0, 0), |(_, d, f)| (*d, *f));
            HourCount {
                hour: rfc3339(hour),
                delivered,
                failed,
            }
        })
        .collect()
}

fn summary_of(counts: crate::delivery::summary::SectionCounts) -> DeliverySummary {
    let (last_attempt_at, last_status) = match counts.last_attempt {
        Some((at, status)) => (
            Some(rfc3339(at)),
            status.and_then(|s| u16::try_from(s).ok()),
        ),
        None => (None, None),
    };
    DeliverySummary {
        delivered_24h: counts.delivered_24h,
        given_up_24h: counts.given_up_24h,
        skipped_24h: counts.skipped_24h,
        filtered_24h: counts.filtered_24h,
        retrying: counts.retrying,
        held: counts.held,
        last_attempt_at,
        last_status,
    }
}

/// Discards a section's held events (they will not be delivered), with its
/// activity entry, in one transaction. How many.
pub async fn discard_held(
    db: &DatabaseConnection,
    writes: &WriteGate,
    admin: &Administrator,
    kind: EndpointKind,
) -> Result<u64, ServiceError> {
    use anyhow::Context;
    let now = OffsetDateTime::now_utc();
    let _turn = writes.enter().await;
    let txn = db.begin().await.context("starting a transaction")?;
    let discarded = settle_held(&txn, admin.tenant_id, kind, HeldFate::Discarded, now).await?;
    if discarded > 0 {
        activity::log::record(
            &txn,
            NewEntry::by(
                admin,
                ActivityKind::HeldEventsDiscarded,
                Some(kind),
                format!("discarded {discarded} held events; they will not be delivered"),
            ),
        )
        .await?;
    }
    txn.commit().await.context("committing the discard")?;
    tracing::info!(
        tenant_id = admin.tenant_id,
        section = kind.as_str(),
        discarded,
        "held events discarded"
    );
    Ok(discarded)
}

/// A fresh secret: a bearer token of 256 random bits (base64url, 43
/// characters) or a 24-character password of letters and digits.
pub fn generate_secret(kind: SecretKind) -> String {
    use base64::Engine;
    use rand::{distributions::Alphanumeric, rngs::OsRng, Rng, RngCore};
    match kind {
        SecretKind::Token => {
            let mut bytes = [0u8; 32];
            OsRng.fill_bytes(&mut bytes);
            base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(bytes)
        }
        SecretKind::Password => OsRng
            .sample_iter(&Alphanumeric)
            .take(24)
            .map(char::from)
            .collect(),
    }
}
