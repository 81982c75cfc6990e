//! Loading and saving a tenant's endpoints. The tenant always comes from
//! the signed-in administrator; the form only says which of its two
//! endpoints is meant.

use anyhow::Context;
use sea_orm::{
    sea_query::Expr, ColumnTrait, DatabaseConnection, EntityTrait, QueryFilter, QueryOrder,
};
use time::{format_description::well_known::Rfc3339, OffsetDateTime};

use super::api::{EndpointView, EventUrlData, SecretStatus};
use crate::{
    activity::{self, ActivityKind, Change},
    auth::session::CurrentAdmin,
    domain::{
        AuthDraft, AuthMethod, EndpointForm, EndpointKind, Field, FieldErrors, SecretInput,
        SecretKind,
    },
    error::AppError,
    persistence::{
        crypto::SecretCipher,
        entities::{endpoint, user},
        read_cache::{Freshness, ReadCache},
    },
    test_event::TestReport,
};

/// A tenant's two endpoints and recent test sends, as last read, and the
/// tab as rendered from them (`page_cache`).
#[derive(Debug)]
pub struct TenantSettings {
    cdr: EndpointView,
    extension: EndpointView,
    cdr_tests: Vec<TestReport>,
    extension_tests: Vec<TestReport>,
    rendered: super::page_cache::RenderedPages,
}

impl TenantSettings {
    pub(super) fn rendered(&self) -> &super::page_cache::RenderedPages {
        &self.rendered
    }
}

/// Tenant settings by tenant id. Whatever changes them (a save, a delivery
/// switch, a test send) drops the tenant's entry once it has committed.
pub type SettingsCache = ReadCache<i32, std::sync::Arc<TenantSettings>>;

pub fn settings_cache(freshness: Freshness) -> SettingsCache {
    ReadCache::new(freshness, 50_000)
}

/// The associated data that binds a stored secret to its place.
pub fn secret_context(tenant_id: i32, kind: EndpointKind, secret: SecretKind) -> String {
    format!(
        "eventurl/v1/tenant/{tenant_id}/endpoint/{}/{}",
        kind.as_str(),
        secret.as_str()
    )
}

fn rfc3339(at: OffsetDateTime) -> String {
    at.format(&Rfc3339).unwrap_or_default()
}

pub(crate) fn secret_kind_of(row: &endpoint::Model) -> Option<SecretKind> {
    row.secret_ciphertext.as_ref()?;
    row.secret_kind.as_deref().and_then(SecretKind::parse)
}

fn view_of(row: endpoint::Model, updated_by: Option<user::Model>) -> anyhow::Result<EndpointView> {
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
            changed_by: row.secret_changed_by.clone(),
            age_days: row
                .secret_changed_at
                .map(|at| (OffsetDateTime::now_utc() - at).whole_days())
                .unwrap_or(0),
        }),
        url: row.url.unwrap_or_default(),
        username: row.username.unwrap_or_default(),
        enabled: row.enabled,
        enabled_since: row.enabled_changed_at.map(rfc3339),
        updated_at: rfc3339(row.updated_at),
        updated_by: updated_by.map(|u| u.username),
        version: row.version,
    })
}

pub(crate) async fn find_endpoint(
    db: &DatabaseConnection,
    tenant_id: i32,
    kind: EndpointKind,
) -> anyhow::Result<(endpoint::Model, Option<user::Model>)> {
    endpoint::Entity::find()
        .filter(endpoint::Column::TenantId.eq(tenant_id))
        .filter(endpoint::Column::Kind.eq(kind.as_str()))
        .find_also_related(user::Entity)
        .one(db)
        .await
        .context("loading an endpoint")?
        .with_context(|| format!("tenant {tenant_id} has no {} endpoint", kind.as_str()))
}

pub async fn load(
    db: &DatabaseConnection,
    cache: &SettingsCache,
    admin: &CurrentAdmin,
) -> anyhow::Result<EventUrlData> {
    let settings = settings(db, cache, admin.tenant_id).await?;
    Ok(EventUrlData {
        tenant_name: admin.tenant_name.clone(),
        admin_username: admin.username.clone(),
        cdr: settings.cdr.clone(),
        extension: settings.extension.clone(),
        cdr_tests: settings.cdr_tests.clone(),
        extension_tests: settings.extension_tests.clone(),
    })
}

/// The tenant's settings: the kept copy, or read afresh.
pub async fn settings(
    db: &DatabaseConnection,
    cache: &SettingsCache,
    tenant_id: i32,
) -> anyhow::Result<std::sync::Arc<TenantSettings>> {
    cache
        .get_or_load(&tenant_id, || async move {
            read_settings(db, tenant_id).await.map(std::sync::Arc::new)
        })
        .await
}

async fn read_settings(db: &DatabaseConnection, tenant_id: i32) -> anyhow::Result<TenantSettings> {
    let rows = endpoint::Entity::find()
        .filter(endpoint::Column::TenantId.eq(tenant_id))
        .order_by_asc(endpoint::Column::Id)
        .find_also_related(user::Entity)
        .all(db)
        .await
        .context("loading the tenant's endpoints")?;
    let mut cdr = None;
    let mut extension = None;
    for (row, by) in rows {
        let view = view_of(row, by)?;
        match view.kind {
            EndpointKind::Cdr => cdr = Some(view),
            EndpointKind::Extension => extension = Some(view),
        }
    }
    let (cdr_tests, extension_tests) = crate::test_event::service::recent(db, tenant_id).await?;
    Ok(TenantSettings {
        cdr_tests,
        extension_tests,
        rendered: Default::default(),
        cdr: cdr.context("the tenant has no CDR endpoint")?,
        extension: extension.context("the tenant has no Extension endpoint")?,
    })
}

/// Validates the form against the stored endpoint and saves it in one
/// conditional UPDATE: either every field is written or none is.
pub async fn save(
    db: &DatabaseConnection,
    cache: &SettingsCache,
    cipher: &SecretCipher,
    admin: &CurrentAdmin,
    form: &EndpointForm,
) -> Result<EndpointView, AppError> {
    let Some(kind) = EndpointKind::parse(&form.kind) else {
        let mut errors = FieldErrors::default();
        errors.add(Field::Enabled, "This form is out of date; reload the page.");
        return Err(AppError::Invalid(errors));
    };
    let (row, _) = find_endpoint(db, admin.tenant_id, kind)
        .await
        .map_err(AppError::internal)?;
    // A form loaded before someone else's save is refused, saying what changed.
    if let Ok(loaded) = form.version.trim().parse::<i64>() {
        if loaded != row.version {
            return Err(conflict(db, admin.tenant_id, kind, loaded).await);
        }
    }
    let stored = secret_kind_of(&row);
    let draft = form.parse(stored).map_err(AppError::Invalid)?;

    let now = OffsetDateTime::now_utc();
    let method = draft.auth.method();
    let new_secret: Option<(SecretKind, Vec<u8>)> = match &draft.auth {
        AuthDraft::Disable => None,
        AuthDraft::Basic { password, .. } | AuthDraft::Digest { password, .. } => match password {
            SecretInput::Replace(p) => {
                Some((SecretKind::Password, p.expose_secret().as_bytes().to_vec()))
            }
            SecretInput::Keep => None,
        },
        AuthDraft::Bearer { token } => match token {
            SecretInput::Replace(t) => {
                Some((SecretKind::Token, t.expose_secret().as_bytes().to_vec()))
            }
            SecretInput::Keep => None,
        },
    };
    let mut update = endpoint::Entity::update_many()
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
        )
        .col_expr(endpoint::Column::Version, Expr::value(row.version + 1))
        .col_expr(endpoint::Column::UpdatedAt, Expr::value(now))
        .col_expr(endpoint::Column::UpdatedBy, Expr::value(admin.user_id));
    let new_secret_kind = new_secret.as_ref().map(|(k, _)| *k);
    match new_secret {
        Some((secret_kind, mut plaintext)) => {
            let sealed = cipher
                .encrypt(
                    &plaintext,
                    &secret_context(admin.tenant_id, kind, secret_kind),
                )
                .map_err(AppError::internal);
            plaintext.fill(0);
            update = update
                .col_expr(
                    endpoint::Column::SecretKind,
                    Expr::value(secret_kind.as_str()),
                )
                .col_expr(endpoint::Column::SecretCiphertext, Expr::value(sealed?))
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
    let result = update
        .filter(endpoint::Column::Id.eq(row.id))
        .filter(endpoint::Column::TenantId.eq(admin.tenant_id))
        .filter(endpoint::Column::Version.eq(row.version))
        .exec(db)
        .await
        .context("saving the endpoint")
        .map_err(AppError::internal)?;
    if result.rows_affected != 1 {
        // Another save of the same version won the race.
        return Err(conflict(db, admin.tenant_id, kind, row.version).await);
    }
    cache.drop_entry(&admin.tenant_id).await;
    let changes = changes(&row, &draft, new_secret_kind);
    let summary = if changes.is_empty() {
        "saved without changes".to_owned()
    } else {
        let fields: Vec<&str> = changes.iter().map(|c| c.field.as_str()).collect();
        format!("changed {}", fields.join(", "))
    };
    activity::log::record(
        db,
        activity::log::NewEntry {
            changes,
            version: Some(row.version + 1),
            ..activity::log::NewEntry::by(admin, ActivityKind::EndpointSaved, Some(kind), summary)
        },
    )
    .await;
    tracing::info!(
        tenant_id = admin.tenant_id,
        user_id = admin.user_id,
        endpoint = kind.as_str(),
        auth_method = method.as_str(),
        enabled = draft.enabled,
        "endpoint saved"
    );
    if let Some(secret) = new_secret_kind.filter(|k| Some(*k) == stored) {
        activity::log::record(
            db,
            activity::log::NewEntry {
                version: Some(row.version + 1),
                ..activity::log::NewEntry::by(
                    admin,
                    ActivityKind::CredentialRotated,
                    Some(kind),
                    format!("{} replaced", noun(secret)),
                )
            },
        )
        .await;
    }
    let (row, by) = find_endpoint(db, admin.tenant_id, kind)
        .await
        .map_err(AppError::internal)?;
    view_of(row, by).map_err(AppError::internal)
}

/// Turns delivery on or off for a saved endpoint, leaving everything else
/// as saved. Turning it on requires the saved settings to be complete.
pub async fn set_delivery(
    db: &DatabaseConnection,
    cache: &SettingsCache,
    admin: &CurrentAdmin,
    kind: EndpointKind,
    enable: bool,
    loaded: i64,
) -> Result<EndpointView, AppError> {
    let (row, by) = find_endpoint(db, admin.tenant_id, kind)
        .await
        .map_err(AppError::internal)?;
    if loaded != row.version {
        return Err(conflict(db, admin.tenant_id, kind, loaded).await);
    }
    if row.enabled == enable {
        return view_of(row, by).map_err(AppError::internal);
    }
    if enable {
        let saved = view_of(row.clone(), None).map_err(AppError::internal)?;
        let form = EndpointForm {
            enabled: Some("on".to_owned()),
            ..saved.to_form()
        };
        if let Err(errors) = form.parse(saved.stored_secret()) {
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
            )));
        }
    }
    let now = OffsetDateTime::now_utc();
    let result = endpoint::Entity::update_many()
        .col_expr(endpoint::Column::Enabled, Expr::value(enable))
        .col_expr(endpoint::Column::EnabledChangedAt, Expr::value(Some(now)))
        .col_expr(endpoint::Column::Version, Expr::value(row.version + 1))
        .col_expr(endpoint::Column::UpdatedAt, Expr::value(now))
        .col_expr(endpoint::Column::UpdatedBy, Expr::value(admin.user_id))
        .filter(endpoint::Column::Id.eq(row.id))
        .filter(endpoint::Column::TenantId.eq(admin.tenant_id))
        .filter(endpoint::Column::Version.eq(row.version))
        .exec(db)
        .await
        .context("switching delivery")
        .map_err(AppError::internal)?;
    if result.rows_affected != 1 {
        return Err(conflict(db, admin.tenant_id, kind, row.version).await);
    }
    cache.drop_entry(&admin.tenant_id).await;
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
    activity::log::record(
        db,
        activity::log::NewEntry {
            changes: vec![Change {
                field: "Enable".to_owned(),
                old: if enable { "off" } else { "on" }.to_owned(),
                new: if enable { "on" } else { "off" }.to_owned(),
            }],
            version: Some(row.version + 1),
            ..activity::log::NewEntry::by(admin, switched, Some(kind), summary)
        },
    )
    .await;
    tracing::info!(
        tenant_id = admin.tenant_id,
        user_id = admin.user_id,
        endpoint = kind.as_str(),
        enabled = enable,
        "delivery switched"
    );
    let (row, by) = find_endpoint(db, admin.tenant_id, kind)
        .await
        .map_err(AppError::internal)?;
    view_of(row, by).map_err(AppError::internal)
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

/// The refusal of a save based on `loaded`, naming who changed what since.
async fn conflict(
    db: &DatabaseConnection,
    tenant_id: i32,
    kind: EndpointKind,
    loaded: i64,
) -> AppError {
    let since = match activity::log::endpoint_changes_since(db, tenant_id, kind, loaded).await {
        Ok(entries) => entries,
        Err(e) => return AppError::internal(e),
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
    } else {
        format!("since you opened the page, {}.", described.join("; "))
    };
    AppError::Conflict(detail)
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
