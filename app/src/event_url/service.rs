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
    auth::session::CurrentAdmin,
    domain::{
        AuthDraft, AuthMethod, EndpointForm, EndpointKind, Field, FieldErrors, SecretInput,
        SecretKind,
    },
    error::AppError,
    persistence::{
        crypto::SecretCipher,
        entities::{endpoint, user},
    },
};

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
        }),
        url: row.url.unwrap_or_default(),
        username: row.username.unwrap_or_default(),
        enabled: row.enabled,
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

pub async fn load(db: &DatabaseConnection, admin: &CurrentAdmin) -> anyhow::Result<EventUrlData> {
    let rows = endpoint::Entity::find()
        .filter(endpoint::Column::TenantId.eq(admin.tenant_id))
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
    let (cdr_tests, extension_tests) = tokio::try_join!(
        crate::test_event::service::recent(db, admin.tenant_id, EndpointKind::Cdr),
        crate::test_event::service::recent(db, admin.tenant_id, EndpointKind::Extension),
    )?;
    Ok(EventUrlData {
        cdr_tests,
        extension_tests,
        tenant_name: admin.tenant_name.clone(),
        admin_username: admin.username.clone(),
        cdr: cdr.context("the tenant has no CDR endpoint")?,
        extension: extension.context("the tenant has no Extension endpoint")?,
    })
}

/// Validates the form against the stored endpoint and saves it in one
/// conditional UPDATE: either every field is written or none is.
pub async fn save(
    db: &DatabaseConnection,
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
        .col_expr(endpoint::Column::Version, Expr::value(row.version + 1))
        .col_expr(endpoint::Column::UpdatedAt, Expr::value(now))
        .col_expr(endpoint::Column::UpdatedBy, Expr::value(admin.user_id));
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
                .col_expr(endpoint::Column::SecretChangedAt, Expr::value(now));
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
        return Err(AppError::Conflict);
    }
    tracing::info!(
        tenant_id = admin.tenant_id,
        user_id = admin.user_id,
        endpoint = kind.as_str(),
        auth_method = method.as_str(),
        enabled = draft.enabled,
        "endpoint saved"
    );
    let (row, by) = find_endpoint(db, admin.tenant_id, kind)
        .await
        .map_err(AppError::internal)?;
    view_of(row, by).map_err(AppError::internal)
}
