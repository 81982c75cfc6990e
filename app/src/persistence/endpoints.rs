//! Reading a tenant's endpoint rows, and the binding of a stored secret to
//! its place: what the Event URL settings and the test sender share.

use anyhow::Context;
use sea_orm::{
    ColumnTrait, ConnectionTrait, DbErr, EntityTrait, FromQueryResult, JoinType, QueryFilter,
    QueryOrder, QueryResult, QuerySelect, RelationTrait,
};

use secrecy::{ExposeSecret, SecretString};

use super::{
    crypto::SecretCipher,
    entities::{endpoint, user},
};
use crate::domain::{EndpointKind, EndpointUrl, SecretKind, StoredSecret};

/// The associated data that binds a stored secret to its tenant, section
/// and kind: a ciphertext moved to another row does not decrypt.
pub fn secret_context(tenant_id: i32, kind: EndpointKind, secret: SecretKind) -> String {
    format!(
        "eventurl/v1/tenant/{tenant_id}/endpoint/{}/{}",
        kind.as_str(),
        secret.as_str()
    )
}

/// The event types the row's section delivers (`None`: all).
pub fn event_types_of(row: &endpoint::Model) -> crate::domain::EventTypes {
    event_types_from(row.event_types.as_deref())
}

/// Event types as stored (JSON), unreadable ones read as all (and logged).
pub fn event_types_from(stored: Option<&str>) -> crate::domain::EventTypes {
    let json = stored?;
    serde_json::from_str(json)
        .inspect_err(|e| tracing::error!(error = %e, "unreadable event types"))
        .ok()
}

/// Event types as stored.
pub fn event_types_json(types: &crate::domain::EventTypes) -> Option<String> {
    types
        .as_ref()
        .map(|t| serde_json::to_string(t).unwrap_or_else(|_| "[]".to_owned()))
}

/// The row's limits on its receiver.
pub fn limits_of(row: &endpoint::Model) -> crate::domain::EndpointLimits {
    crate::domain::EndpointLimits::from_stored(
        row.max_concurrency.into(),
        row.max_per_second.map(i64::from),
    )
}

/// The kind of secret a row holds, if it holds one.
pub fn secret_kind_of(row: &endpoint::Model) -> Option<SecretKind> {
    row.secret_ciphertext.as_ref()?;
    row.secret_kind.as_deref().and_then(SecretKind::parse)
}

/// The row's secret, bound to the row's URL (scheme, host, port, path):
/// the one it was saved for (a save that moves the URL elsewhere must carry
/// a newly typed secret, `EndpointForm::parse`).
pub fn stored_secret_of(row: &endpoint::Model) -> Option<StoredSecret> {
    Some(StoredSecret {
        kind: secret_kind_of(row)?,
        destination: row
            .url
            .as_deref()
            .and_then(|u| EndpointUrl::parse(u).ok())
            .map(|u| u.destination()),
    })
}

/// The row's secret in clear, for a request to `target`: only when `target`
/// is the URL the secret was saved for. Every send goes through here,
/// so no code path can carry a stored secret to another receiver.
pub fn open_stored_secret(
    cipher: &SecretCipher,
    row: &endpoint::Model,
    tenant_id: i32,
    kind: EndpointKind,
    secret: SecretKind,
    target: &EndpointUrl,
) -> anyhow::Result<SecretString> {
    let bound = stored_secret_of(row).and_then(|s| s.destination);
    anyhow::ensure!(
        bound.as_ref() == Some(&target.destination()),
        "refused to send the {} stored for {} to {}",
        secret.as_str(),
        bound.map_or_else(|| "no URL".to_owned(), |o| o.to_string()),
        target.destination()
    );
    let sealed = row
        .secret_ciphertext
        .as_deref()
        .context("the endpoint has no stored secret")?;
    let plain = cipher.decrypt(sealed, &secret_context(tenant_id, kind, secret))?;
    let text =
        String::from_utf8(plain.expose_secret().clone()).context("a stored secret is not text")?;
    Ok(SecretString::from(text))
}

/// One of the tenant's endpoints, with who last changed it. (Unique by
/// tenant and kind; `all` rather than `one`, whose bound `LIMIT ?` makes
/// SQLite prepare the statement again on every use.)
pub async fn find_endpoint(
    db: &impl ConnectionTrait,
    tenant_id: i32,
    kind: EndpointKind,
) -> anyhow::Result<(endpoint::Model, Option<String>)> {
    let row = with_updater_name(
        endpoint::Entity::find()
            .filter(endpoint::Column::TenantId.eq(tenant_id))
            .filter(endpoint::Column::Kind.eq(kind.as_str())),
    )
    .all(db)
    .await
    .context("loading an endpoint")?
    .pop()
    .with_context(|| format!("tenant {tenant_id} has no {} endpoint", kind.as_str()))?;
    Ok((row.endpoint, row.updated_by))
}

/// Both of the tenant's endpoints, with who last changed each, in one query.
pub async fn tenant_endpoints(
    db: &impl ConnectionTrait,
    tenant_id: i32,
) -> anyhow::Result<Vec<(endpoint::Model, Option<String>)>> {
    Ok(with_updater_name(
        endpoint::Entity::find()
            .filter(endpoint::Column::TenantId.eq(tenant_id))
            .order_by_asc(endpoint::Column::Id),
    )
    .all(db)
    .await
    .context("loading the tenant's endpoints")?
    .into_iter()
    .map(|row| (row.endpoint, row.updated_by))
    .collect())
}

/// An endpoint row with the username of whoever last changed it: the one
/// column of `users` a page shows. (Reading the whole user row cost a
/// page a third of its database work, prefixed column names and all, and
/// loaded password hashes and two-factor secrets it never needs.)
struct EndpointWithUpdater {
    endpoint: endpoint::Model,
    updated_by: Option<String>,
}

impl FromQueryResult for EndpointWithUpdater {
    fn from_query_result(row: &QueryResult, pre: &str) -> Result<Self, DbErr> {
        Ok(Self {
            endpoint: endpoint::Model::from_query_result(row, pre)?,
            updated_by: row.try_get(pre, UPDATED_BY)?,
        })
    }
}

const UPDATED_BY: &str = "updated_by_username";

fn with_updater_name(
    query: sea_orm::Select<endpoint::Entity>,
) -> sea_orm::Selector<sea_orm::SelectModel<EndpointWithUpdater>> {
    query
        .column_as(user::Column::Username, UPDATED_BY)
        .join(JoinType::LeftJoin, endpoint::Relation::UpdatedBy.def())
        .into_model::<EndpointWithUpdater>()
}

/// An endpoint as a delivery attempt needs it, with whether the provider
/// has suspended its tenant (its sections then count as paused): one
/// query.
pub async fn endpoint_to_deliver(
    db: &impl ConnectionTrait,
    tenant_id: i32,
    kind: EndpointKind,
) -> anyhow::Result<(endpoint::Model, bool)> {
    let (row, tenant) = endpoint::Entity::find()
        .filter(endpoint::Column::TenantId.eq(tenant_id))
        .filter(endpoint::Column::Kind.eq(kind.as_str()))
        .find_also_related(super::entities::tenant::Entity)
        .all(db)
        .await
        .context("loading an endpoint")?
        .pop()
        .with_context(|| format!("tenant {tenant_id} has no {} endpoint", kind.as_str()))?;
    Ok((row, tenant.is_none_or(|t| t.suspended_at.is_some())))
}
