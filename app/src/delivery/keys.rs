//! Ingest keys: the operator issues one per PBX (`eventurl ingest-key
//! create`), for the tenants it may post for (or all of them); the key is
//! shown once and only its SHA-256 is stored.

use anyhow::Context;
use sea_orm::{
    sea_query::Expr, ActiveModelTrait, ColumnTrait, ConnectionTrait, EntityTrait, FromQueryResult,
    QueryFilter, QueryOrder, Set,
};
use time::OffsetDateTime;

use super::routing::Route;
use crate::{
    domain::EndpointKind,
    persistence::{
        entities::{ingest_key, ingest_key_tenant, tenant},
        raw_sql,
    },
};

/// Every key starts so, for secret scanners to spot a leaked one.
pub const KEY_PREFIX: &str = crate::domain::OurCredential::IngestKey.prefix();

use crate::persistence::crypto::{credential_digest as hash, new_bearer_credential};

#[derive(Debug, thiserror::Error)]
pub enum KeyError {
    #[error("Use a key name of 1 to 64 letters, digits, '.', '_' or '-'.")]
    BadName,
    #[error("A key named {0:?} exists already.")]
    Taken(String),
    #[error("No live key is named {0:?} (see `eventurl ingest-key list`).")]
    Unknown(String),
    #[error("No tenant is named {0:?} (see `eventurl tenant list`).")]
    UnknownTenant(String),
    #[error(
        "Say which tenants the key may post for: --tenant NAME (repeatable) or --all-tenants."
    )]
    NoScope,
    #[error(transparent)]
    Unexpected(#[from] anyhow::Error),
}

fn check_name(name: &str) -> Result<(), KeyError> {
    let ok = (1..=64).contains(&name.len())
        && name
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || "._-".contains(c));
    if ok {
        Ok(())
    } else {
        Err(KeyError::BadName)
    }
}

/// Which tenants a key may post for.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum KeyScope {
    AllTenants,
    /// Tenants by name (at least one).
    Tenants(Vec<String>),
}

impl KeyScope {
    /// `--tenant` names or `--all-tenants`: exactly one of the two.
    pub fn from_flags(tenants: Vec<String>, all_tenants: bool) -> Result<Self, KeyError> {
        match (tenants.is_empty(), all_tenants) {
            (true, true) => Ok(Self::AllTenants),
            (false, false) => Ok(Self::Tenants(tenants)),
            _ => Err(KeyError::NoScope),
        }
    }
}

/// A new key named `name` for `scope`: the key itself, to show once.
pub async fn create(
    db: &sea_orm::DatabaseConnection,
    name: &str,
    scope: &KeyScope,
) -> Result<String, KeyError> {
    use sea_orm::TransactionTrait;
    check_name(name)?;
    let txn = db.begin().await.context("starting a transaction")?;
    let db = &txn;
    let taken = ingest_key::Entity::find()
        .filter(ingest_key::Column::Name.eq(name))
        .all(db)
        .await
        .context("looking up ingest keys")?;
    if !taken.is_empty() {
        return Err(KeyError::Taken(name.to_owned()));
    }
    let mut tenant_ids = Vec::new();
    if let KeyScope::Tenants(names) = scope {
        for name in names {
            let found = tenant::Entity::find()
                .filter(tenant::Column::Name.eq(name.trim()))
                .all(db)
                .await
                .context("looking up a tenant")?;
            let id = found
                .first()
                .map(|t| t.id)
                .ok_or_else(|| KeyError::UnknownTenant(name.clone()))?;
            if !tenant_ids.contains(&id) {
                tenant_ids.push(id);
            }
        }
    }
    let key = new_bearer_credential(KEY_PREFIX);
    let stored = ingest_key::ActiveModel {
        name: Set(name.to_owned()),
        key_hash: Set(hash(&key)),
        created_at: Set(OffsetDateTime::now_utc()),
        all_tenants: Set(*scope == KeyScope::AllTenants),
        ..Default::default()
    }
    .insert(db)
    .await
    .context("storing an ingest key")?;
    for tenant_id in tenant_ids {
        ingest_key_tenant::ActiveModel {
            key_id: Set(stored.id),
            tenant_id: Set(tenant_id),
        }
        .insert(db)
        .await
        .context("storing an ingest key's tenant")?;
    }
    txn.commit().await.context("committing an ingest key")?;
    Ok(key)
}

/// A key as `ingest-key list` shows it: with the names of the tenants it
/// may post for (`None`: all of them).
pub struct ListedKey {
    pub key: ingest_key::Model,
    pub tenants: Option<Vec<String>>,
}

/// Every key, oldest first, with its scope.
pub async fn list(db: &impl ConnectionTrait) -> anyhow::Result<Vec<ListedKey>> {
    let keys = ingest_key::Entity::find()
        .order_by_asc(ingest_key::Column::Id)
        .all(db)
        .await
        .context("listing ingest keys")?;
    let scopes = ingest_key_tenant::Entity::find()
        .find_also_related(tenant::Entity)
        .all(db)
        .await
        .context("listing ingest keys' tenants")?;
    Ok(keys
        .into_iter()
        .map(|key| {
            let tenants = (!key.all_tenants).then(|| {
                let mut names: Vec<String> = scopes
                    .iter()
                    .filter(|(s, _)| s.key_id == key.id)
                    .filter_map(|(_, t)| t.as_ref().map(|t| t.name.clone()))
                    .collect();
                names.sort();
                names
            });
            ListedKey { key, tenants }
        })
        .collect())
}

/// Ends a key at once.
pub async fn revoke(db: &impl ConnectionTrait, name: &str) -> Result<(), KeyError> {
    let done = ingest_key::Entity::update_many()
        .col_expr(
            ingest_key::Column::RevokedAt,
            Expr::value(OffsetDateTime::now_utc()),
        )
        .filter(ingest_key::Column::Name.eq(name))
        .filter(ingest_key::Column::RevokedAt.is_null())
        .exec(db)
        .await
        .context("revoking an ingest key")?;
    if done.rows_affected == 0 {
        return Err(KeyError::Unknown(name.to_owned()));
    }
    Ok(())
}

/// What the ingest's one read found.
#[derive(Debug, PartialEq, Eq)]
pub enum Admission {
    /// `presented` is not a live key.
    NoKey,
    /// A live key, but no tenant has this id.
    NoTenant,
    Admitted {
        key_id: i32,
        routes: Vec<Route>,
    },
}

/// Whether `presented` is a live key and, if so, where `tenant_id`'s
/// events go (a suspended tenant's sections count as paused: CDR events
/// held, extension events skipped): one query (the key looked up by hash,
/// so the comparison happens on a digest and its timing says nothing of
/// the key; every tenant has its two endpoint rows, so none means no such
/// tenant). A tenant outside the key's scope finds no rows either, in the
/// same query: the answer and the work are those of an unknown tenant, so
/// a key learns nothing of tenants it may not post for.
pub async fn admit(
    db: &impl ConnectionTrait,
    presented: &str,
    tenant_id: Option<i32>,
) -> anyhow::Result<Admission> {
    #[derive(FromQueryResult)]
    struct Row {
        key_id: i32,
        kind: Option<String>,
        enabled: Option<bool>,
        has_url: Option<bool>,
        event_types: Option<String>,
    }
    if !presented.starts_with(KEY_PREFIX) || presented.len() > 200 {
        return Ok(Admission::NoKey);
    }
    let rows = Row::find_by_statement(raw_sql::statement(
        db.get_database_backend(),
        "SELECT k.id AS key_id, p.kind AS kind, \
         (p.enabled AND t.suspended_at IS NULL) AS enabled, (p.url IS NOT NULL) AS has_url, \
         p.event_types AS event_types \
         FROM ingest_keys k LEFT JOIN endpoints p ON p.tenant_id = ? \
         AND (k.all_tenants OR EXISTS (SELECT 1 FROM ingest_key_tenants s \
         WHERE s.key_id = k.id AND s.tenant_id = p.tenant_id)) \
         LEFT JOIN tenants t ON t.id = p.tenant_id \
         WHERE k.key_hash = ? AND k.revoked_at IS NULL",
        [tenant_id.unwrap_or(-1).into(), hash(presented).into()],
    ))
    .all(db)
    .await
    .context("checking an ingest key")?;
    let Some(key_id) = rows.first().map(|row| row.key_id) else {
        return Ok(Admission::NoKey);
    };
    let routes: Vec<Route> = rows
        .into_iter()
        .filter_map(|row| {
            Some(Route {
                section: EndpointKind::parse(row.kind.as_deref()?)?,
                enabled: row.enabled?,
                has_url: row.has_url?,
                event_types: crate::persistence::endpoints::event_types_from(
                    row.event_types.as_deref(),
                ),
            })
        })
        .collect();
    if routes.is_empty() {
        return Ok(Admission::NoTenant);
    }
    Ok(Admission::Admitted { key_id, routes })
}

/// Notes that key `id` was used (at most once a minute, in the caller's
/// transaction: no write of its own).
pub async fn touch(db: &impl ConnectionTrait, id: i32, now: OffsetDateTime) -> anyhow::Result<()> {
    ingest_key::Entity::update_many()
        .col_expr(ingest_key::Column::LastUsedAt, Expr::value(now))
        .filter(ingest_key::Column::Id.eq(id))
        .filter(
            sea_orm::Condition::any()
                .add(ingest_key::Column::LastUsedAt.is_null())
                .add(ingest_key::Column::LastUsedAt.lt(now - time::Duration::MINUTE)),
        )
        .exec(db)
        .await
        .context("noting an ingest key's use")?;
    Ok(())
}
