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

use super::model::{DeliverySummary, EndpointView, EventUrlData, HourCount, SecretStatus};
use crate::{
    activity::{self, log::NewEntry, ActivityKind, Change},
    auth::{Administrator, CurrentAdmin},
    domain::{AuthDraft, AuthMethod, EndpointForm, EndpointKind, Field, SecretInput, SecretKind},
    error::{AppError, ServiceError},
    mail::{letters, Outbox},
    persistence::{
        crypto::SecretCipher,
        endpoints::{
            find_endpoint, secret_context, secret_kind_of, stored_secret_of, tenant_endpoints,
        },
        entities::endpoint,
        write_gate::WriteGate,
    },
    test_event::history,
};

use crate::time_text::rfc3339;

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
    Ok(EndpointView {
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
    let discarded = crate::delivery::queue::discard_held(&txn, admin.tenant_id, kind, now).await?;
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

/// The version a form was loaded with; a change without one is refused
/// rather than applied blindly.
fn loaded_version(text: &str) -> Result<i64, ServiceError> {
    text.trim().parse::<i64>().map_err(|_| {
        AppError::BadRequest(
            "This request does not say which version of the settings it was based on, so nothing was changed. Reload the page and try again."
                .to_owned(),
        )
        .into()
    })
}

/// A section's change, checked against the version it was based on and
/// ready to commit.
struct SectionChange {
    kind: EndpointKind,
    row: endpoint::Model,
    update: UpdateMany<endpoint::Entity>,
    entries: Vec<NewEntry>,
    /// A credential set, replaced or removed (said so): every
    /// administrator is told by email, with mail on.
    credential: Option<String>,
}

/// Applies `update` to `row` if it is still at the version it was read
/// with, bumps the version and writes `entries`, in one transaction; then
/// reads the endpoint back. Refused with who changed what since if another
/// change came first.
async fn commit_change(
    db: &DatabaseConnection,
    writes: &WriteGate,
    admin: &CurrentAdmin,
    kind: EndpointKind,
    row: &endpoint::Model,
    update: UpdateMany<endpoint::Entity>,
    entries: Vec<NewEntry>,
) -> Result<EndpointView, ServiceError> {
    let change = SectionChange {
        kind,
        row: row.clone(),
        update,
        entries,
        credential: None,
    };
    let mut views = commit_changes(db, writes, &Outbox::off(), admin, vec![change]).await?;
    views
        .pop()
        .ok_or_else(|| anyhow::anyhow!("a committed change without its section").into())
}

/// Commits each section's change, each with its new version and activity
/// entries, in one transaction: all of them, or (when one section was
/// changed by someone else meanwhile) none.
async fn commit_changes(
    db: &DatabaseConnection,
    writes: &WriteGate,
    outbox: &Outbox,
    admin: &CurrentAdmin,
    changes: Vec<SectionChange>,
) -> Result<Vec<EndpointView>, ServiceError> {
    use anyhow::Context;
    let now = OffsetDateTime::now_utc();
    let turn = writes.enter().await;
    let txn = db.begin().await.context("starting a transaction")?;
    let mut saved_rows = Vec::with_capacity(changes.len());
    for SectionChange {
        kind,
        row,
        update,
        entries,
        credential,
    } in changes
    {
        let version = row.version + 1;
        let result = update
            .col_expr(endpoint::Column::Version, Expr::value(version))
            .col_expr(endpoint::Column::UpdatedAt, Expr::value(now))
            .col_expr(endpoint::Column::UpdatedBy, Expr::value(admin.user_id))
            .filter(endpoint::Column::Id.eq(row.id))
            .filter(endpoint::Column::TenantId.eq(admin.tenant_id))
            .filter(endpoint::Column::Version.eq(row.version))
            .exec(&txn)
            .await
            .context("changing the endpoint")?;
        if result.rows_affected != 1 {
            // Another change of the same version won the race; the write
            // turn is given back before the conflict is described.
            txn.rollback().await.context("rolling back")?;
            drop(turn);
            return Err(conflict(db, admin.tenant_id, kind, row.version).await);
        }
        for entry in entries {
            activity::log::record(
                &txn,
                NewEntry {
                    version: Some(version),
                    ..entry
                },
            )
            .await?;
        }
        if let Some(what) = credential {
            outbox
                .to_administrators(&txn, admin.tenant_id, |to| {
                    letters::credential_changed(
                        to,
                        &admin.tenant_name,
                        kind,
                        &what,
                        &admin.username,
                    )
                })
                .await?;
        }
        let (saved, by) = find_endpoint(&txn, admin.tenant_id, kind).await?;
        // Enabled with a URL: CDR events held while paused become due,
        // oldest first, in the same transaction.
        if saved.enabled && saved.url.is_some() {
            crate::delivery::queue::release_held(&txn, admin.tenant_id, kind, now).await?;
        }
        saved_rows.push((saved, by));
    }
    txn.commit().await.context("committing the change")?;
    drop(turn);
    saved_rows
        .into_iter()
        .map(|(saved, by)| Ok(view_of(saved, by, now)?))
        .collect()
}

/// Validates the form against the stored endpoint and saves it: every
/// field, the version and the activity entries, or nothing.
pub async fn save(
    db: &DatabaseConnection,
    writes: &WriteGate,
    cipher: &SecretCipher,
    outbox: &Outbox,
    admin: &Administrator,
    form: &EndpointForm,
) -> Result<EndpointView, ServiceError> {
    let mut views = save_sections(
        db,
        writes,
        cipher,
        outbox,
        admin,
        std::slice::from_ref(form),
    )
    .await?;
    views
        .pop()
        .ok_or_else(|| anyhow::anyhow!("a saved form without its section").into())
}

/// Validates each form (one a section) against its stored endpoint and
/// saves them all in one transaction, or none: a mistake in one, or a
/// change someone made meanwhile, saves nothing.
pub async fn save_sections(
    db: &DatabaseConnection,
    writes: &WriteGate,
    cipher: &SecretCipher,
    outbox: &Outbox,
    admin: &Administrator,
    forms: &[EndpointForm],
) -> Result<Vec<EndpointView>, ServiceError> {
    let mut changes = Vec::with_capacity(forms.len());
    let mut logged = Vec::with_capacity(forms.len());
    for form in forms {
        let (change, method, enabled) = prepare_save(db, cipher, admin, form).await?;
        logged.push((change.kind, method, enabled));
        changes.push(change);
    }
    let views = commit_changes(db, writes, outbox, admin, changes).await?;
    for (kind, method, enabled) in logged {
        tracing::info!(
            tenant_id = admin.tenant_id,
            user_id = admin.user_id,
            endpoint = kind.as_str(),
            auth_method = method.as_str(),
            enabled,
            "endpoint saved"
        );
    }
    Ok(views)
}

/// A form's change, checked: its section, and what it saves (for the log).
async fn prepare_save(
    db: &DatabaseConnection,
    cipher: &SecretCipher,
    admin: &CurrentAdmin,
    form: &EndpointForm,
) -> Result<(SectionChange, AuthMethod, bool), ServiceError> {
    let Some(kind) = EndpointKind::parse(&form.kind) else {
        return Err(AppError::BadRequest(
            "This form does not say which section it saves; reload the page.".to_owned(),
        )
        .into());
    };
    let loaded = loaded_version(&form.version)?;
    let (row, _) = find_endpoint(db, admin.tenant_id, kind).await?;
    // A form loaded before someone else's change is refused, saying what changed.
    if loaded != row.version {
        return Err(conflict(db, admin.tenant_id, kind, loaded).await);
    }
    let stored = stored_secret_of(&row);
    let draft = form.parse(stored.as_ref()).map_err(AppError::Invalid)?;
    let stored = stored.map(|s| s.kind);

    let now = OffsetDateTime::now_utc();
    let method = draft.auth.method();
    let new_secret: Option<(SecretKind, &str)> = match &draft.auth {
        AuthDraft::Disable => None,
        AuthDraft::Basic { password, .. } | AuthDraft::Digest { password, .. } => match password {
            SecretInput::Replace(p) => Some((SecretKind::Password, p.expose_secret())),
            SecretInput::Keep => None,
        },
        AuthDraft::Bearer { token } => match token {
            SecretInput::Replace(t) => Some((SecretKind::Token, t.expose_secret())),
            SecretInput::Keep => None,
        },
    };
    let update = endpoint::Entity::update_many()
        .col_expr(endpoint::Column::AuthMethod, Expr::value(method.as_str()))
        .col_expr(
            endpoint::Column::Url,
            Expr::value(draft.url.as_ref().map(|u| u.as_str().to_owned())),
        )
        .col_expr(
            endpoint::Column::Username,
            Expr::value(draft.auth.username().map(|u| u.as_str().to_owned())),
        )
        .col_expr(endpoint::Column::Enabled, Expr::value(draft.enabled))
        .col_expr(
            endpoint::Column::EnabledChangedAt,
            Expr::value(if draft.enabled == row.enabled {
                row.enabled_changed_at
            } else {
                Some(now)
            }),
        );
    // A section paused automatically and saved still paused keeps its
    // reason; any other save starts its record afresh.
    let still_auto_paused =
        !draft.enabled && row.alert.as_deref() == Some(crate::delivery::health::AUTO_PAUSED);
    let mut update = if still_auto_paused {
        update
    } else {
        with_fresh_health(update)
    };
    let new_secret_kind = new_secret.as_ref().map(|(k, _)| *k);
    match new_secret {
        Some((secret_kind, plaintext)) => {
            let sealed = cipher.encrypt(
                plaintext.as_bytes(),
                &secret_context(admin.tenant_id, kind, secret_kind),
            )?;
            update = update
                .col_expr(
                    endpoint::Column::SecretKind,
                    Expr::value(secret_kind.as_str()),
                )
                .col_expr(endpoint::Column::SecretCiphertext, Expr::value(sealed))
                .col_expr(endpoint::Column::SecretChangedAt, Expr::value(now))
                .col_expr(
                    endpoint::Column::SecretChangedBy,
                    Expr::value(admin.username.clone()),
                );
        }
        // An empty field keeps the stored secret while the method still
        // needs that kind of secret; otherwise the secret goes with the method.
        None if stored.is_some() && stored == method.secret_kind() => {}
        None => {
            update = update
                .col_expr(
                    endpoint::Column::SecretKind,
                    Expr::value(Option::<String>::None),
                )
                .col_expr(
                    endpoint::Column::SecretCiphertext,
                    Expr::value(Option::<Vec<u8>>::None),
                )
                .col_expr(
                    endpoint::Column::SecretChangedAt,
                    Expr::value(Option::<OffsetDateTime>::None),
                )
                .col_expr(
                    endpoint::Column::SecretChangedBy,
                    Expr::value(Option::<String>::None),
                );
        }
    }
    let changes = changes(&row, &draft, new_secret_kind);
    let summary = if changes.is_empty() {
        "saved without changes".to_owned()
    } else {
        let fields: Vec<&str> = changes.iter().map(|c| c.field.as_str()).collect();
        format!("changed {}", fields.join(", "))
    };
    let mut entries = vec![NewEntry {
        changes,
        ..NewEntry::by(admin, ActivityKind::EndpointSaved, Some(kind), summary)
    }];
    if let Some(secret) = new_secret_kind.filter(|k| Some(*k) == stored) {
        entries.push(NewEntry::by(
            admin,
            ActivityKind::CredentialRotated,
            Some(kind),
            format!("{} replaced", noun(secret)),
        ));
    }
    let credential = match (new_secret_kind, stored) {
        (Some(new), Some(old)) if new == old => Some(format!("{} replaced", noun(new))),
        (Some(new), _) => Some(format!("{} set", noun(new))),
        (None, Some(old)) if method.secret_kind() != Some(old) => {
            Some(format!("{} removed", noun(old)))
        }
        _ => None,
    };
    let change = SectionChange {
        kind,
        row,
        update,
        entries,
        credential,
    };
    Ok((change, method, draft.enabled))
}

/// Turns a saved endpoint on or off, leaving everything else as saved.
/// Turning it on requires the saved settings to be complete.
pub async fn set_enabled(
    db: &DatabaseConnection,
    writes: &WriteGate,
    admin: &Administrator,
    kind: EndpointKind,
    enable: bool,
    loaded: &str,
) -> Result<EndpointView, ServiceError> {
    let loaded = loaded_version(loaded)?;
    let (row, by) = find_endpoint(db, admin.tenant_id, kind).await?;
    if loaded != row.version {
        return Err(conflict(db, admin.tenant_id, kind, loaded).await);
    }
    if row.enabled == enable {
        return Ok(view_of(row, by, OffsetDateTime::now_utc())?);
    }
    if enable {
        let saved = view_of(row.clone(), None, OffsetDateTime::now_utc())?;
        let form = EndpointForm {
            enabled: Some("on".to_owned()),
            ..saved.to_form()
        };
        if let Err(errors) = form.parse(saved.stored_secret().as_ref()) {
            let missing: Vec<String> = errors
                .iter()
                .map(|(field, message)| match field {
                    Field::Password | Field::Token => format!("no {} is saved", field.name()),
                    _ => message.trim_end_matches('.').to_owned(),
                })
                .collect();
            return Err(AppError::Refused(format!(
                "{} cannot be enabled yet: {}. Complete the settings and save them first.",
                kind.title(),
                missing.join("; ")
            ))
            .into());
        }
    }
    let update = with_fresh_health(
        endpoint::Entity::update_many()
            .col_expr(endpoint::Column::Enabled, Expr::value(enable))
            .col_expr(
                endpoint::Column::EnabledChangedAt,
                Expr::value(Some(OffsetDateTime::now_utc())),
            ),
    );
    let url = row.url.clone().unwrap_or_default();
    let (switched, summary) = if enable {
        (
            ActivityKind::EndpointEnabled,
            format!("delivery to {url} enabled"),
        )
    } else {
        (
            ActivityKind::EndpointDisabled,
            format!("delivery to {url} paused"),
        )
    };
    let entry = NewEntry {
        changes: vec![Change {
            field: "Enable".to_owned(),
            old: if enable { "off" } else { "on" }.to_owned(),
            new: if enable { "on" } else { "off" }.to_owned(),
        }],
        ..NewEntry::by(admin, switched, Some(kind), summary)
    };
    let view = commit_change(db, writes, admin, kind, &row, update, vec![entry]).await?;
    tracing::info!(
        tenant_id = admin.tenant_id,
        user_id = admin.user_id,
        endpoint = kind.as_str(),
        enabled = enable,
        "endpoint switched"
    );
    Ok(view)
}

/// A change of the settings (saved, enabled or paused by the admin) starts
/// the endpoint's record afresh: no failure streak, no alert (a section
/// paused automatically is enabled again this way).
fn with_fresh_health(
    update: sea_orm::UpdateMany<endpoint::Entity>,
) -> sea_orm::UpdateMany<endpoint::Entity> {
    update
        .col_expr(endpoint::Column::FailedStreak, Expr::value(0))
        .col_expr(endpoint::Column::GivenUpStreak, Expr::value(0))
        .col_expr(endpoint::Column::Alert, Expr::value(Option::<String>::None))
        .col_expr(
            endpoint::Column::AlertSince,
            Expr::value(Option::<OffsetDateTime>::None),
        )
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

/// The refusal of a change based on `loaded`, naming who changed what
/// since (from the activity log, written with each change).
async fn conflict(
    db: &DatabaseConnection,
    tenant_id: i32,
    kind: EndpointKind,
    loaded: i64,
) -> ServiceError {
    let (since, more) =
        match activity::log::endpoint_changes_since(db, tenant_id, kind, loaded, 5).await {
            Ok(found) => found,
            Err(e) => return e.into(),
        };
    let described: Vec<String> = since
        .iter()
        .map(|e| {
            let at = e.occurred_at.get(11..16).unwrap_or_default();
            let what: Vec<&str> = e.changes.iter().map(|c| c.field.as_str()).collect();
            if what.is_empty() {
                format!("{} {} at {at} UTC", e.actor, e.summary)
            } else {
                format!("{} changed {} at {at} UTC", e.actor, what.join(", "))
            }
        })
        .collect();
    let detail = if described.is_empty() {
        "someone else saved this section since you opened the page.".to_owned()
    } else if more {
        format!(
            "since you opened the page, earlier changes, then {}.",
            described.join("; ")
        )
    } else {
        format!("since you opened the page, {}.", described.join("; "))
    };
    AppError::Conflict(detail).into()
}

/// The fields a save changed, old → new; a secret only as "changed".
fn changes(
    row: &endpoint::Model,
    draft: &crate::domain::EndpointDraft,
    new_secret: Option<SecretKind>,
) -> Vec<Change> {
    let label = |m: &str| AuthMethod::parse(m).map_or(m.to_owned(), |m| m.label().to_owned());
    let on_off = |b: bool| if b { "on" } else { "off" }.to_owned();
    let mut changes = Vec::new();
    let mut push = |field: &str, old: String, new: String| {
        if old != new {
            changes.push(Change {
                field: field.to_owned(),
                old,
                new,
            });
        }
    };
    push(
        "Authentication Method",
        label(&row.auth_method),
        draft.auth.method().label().to_owned(),
    );
    push(
        "URL",
        row.url.clone().unwrap_or_default(),
        draft
            .url
            .as_ref()
            .map(|u| u.as_str().to_owned())
            .unwrap_or_default(),
    );
    push(
        "Username",
        row.username.clone().unwrap_or_default(),
        draft
            .auth
            .username()
            .map(|u| u.as_str().to_owned())
            .unwrap_or_default(),
    );
    push("Enable", on_off(row.enabled), on_off(draft.enabled));
    let stored = secret_kind_of(row);
    match (stored, new_secret) {
        (_, Some(secret)) => changes.push(Change {
            field: noun(secret).to_owned(),
            old: if stored == Some(secret) {
                "set"
            } else {
                "none"
            }
            .to_owned(),
            new: "changed".to_owned(),
        }),
        (Some(secret), None) if draft.auth.method().secret_kind() != Some(secret) => {
            changes.push(Change {
                field: noun(secret).to_owned(),
                old: "set".to_owned(),
                new: "removed".to_owned(),
            })
        }
        _ => {}
    }
    changes
}

fn noun(secret: SecretKind) -> &'static str {
    match secret {
        SecretKind::Password => "Password",
        SecretKind::Token => "Bearer Token",
    }
}
