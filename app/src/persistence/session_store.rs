//! (Over 500 lines: the store, its one-query read and the session's
//! identity types belong together; the SQL is checked against the builder.)
//! tower-sessions records in the app's own database, so that any instance
//! can serve any session and SQLite and PostgreSQL work alike. Nothing is
//! kept in memory: every request reads its session, and with it the
//! signed-in administrator and their tenant, in one join.
//!
//! A session is stored under the SHA-256 of its id, never the id itself: a
//! copy of the database (a backup, a leaked file) holds no cookie that
//! signs anyone in. A signed-in session ends `MAX_LIFETIME` after sign-in
//! however active it stays, besides its idle time-out.

use async_trait::async_trait;
use sea_orm::{
    sea_query::Expr, ColumnTrait, ConnectionTrait, DatabaseBackend, DatabaseConnection,
    EntityTrait, FromQueryResult, JoinType, QueryFilter, QuerySelect, QueryTrait, RelationTrait,
    Select, Set, Statement,
};
use serde::{Deserialize, Serialize};
use time::OffsetDateTime;
use tower_sessions::{
    session::{Id, Record},
    session_store::{self, ExpiredDeletion, SessionStore},
};

use super::entities::{session, tenant, user};
use crate::domain::{DeliveryAlert, EndpointKind, Role};

/// The key under which a session carries its administrator.
pub const SESSION_USER_KEY: &str = "user";
/// The key under which a session carries its provider operator (instead
/// of a tenant's member).
pub const SESSION_OPERATOR_KEY: &str = "operator";
/// The key under which a session carries when its administrator signed in
/// (Unix seconds).
pub const SIGNED_IN_AT_KEY: &str = "signed_in_at";
/// The key under which a session carries when it was last active (Unix
/// seconds; written at most once a minute: `auth::session`).
pub const SEEN_KEY: &str = "seen";
/// The key under which a session carries the device it was signed in from.
pub const CLIENT_KEY: &str = "client";
/// How long a sign-in lasts at most, active or not.
pub const MAX_LIFETIME: time::Duration = time::Duration::days(7);

/// The device a session was signed in from, for My account's list.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct SessionClient {
    pub ip: Option<std::net::IpAddr>,
    /// The browser's `User-Agent`, cut to 200 characters.
    pub agent: Option<String>,
}

impl SessionClient {
    pub fn of(headers: &http::HeaderMap, ip: Option<std::net::IpAddr>) -> Self {
        Self {
            ip: ip.map(|ip| ip.to_canonical()),
            agent: headers
                .get(http::header::USER_AGENT)
                .and_then(|v| v.to_str().ok())
                .map(|agent| agent.chars().take(200).collect()),
        }
    }
}

/// One of a member's signed-in sessions.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SessionSummary {
    /// Its stored key (not its id: see `key_of`).
    pub key: String,
    pub client: SessionClient,
    /// Unix seconds.
    pub signed_in_at: Option<i64>,
    pub seen_at: Option<i64>,
}

/// A member's unexpired sessions, most recently active first.
pub async fn sessions_of(
    db: &impl ConnectionTrait,
    user_id: i32,
) -> anyhow::Result<Vec<SessionSummary>> {
    use anyhow::Context;
    let now = OffsetDateTime::now_utc().unix_timestamp();
    let rows = session::Entity::find()
        .filter(session::Column::UserId.eq(user_id))
        .filter(session::Column::ExpiresAt.gt(now))
        .all(db)
        .await
        .context("listing sessions")?;
    let mut found: Vec<SessionSummary> = rows
        .into_iter()
        .filter_map(|row| {
            let record: Record = serde_json::from_slice(&row.data).ok()?;
            hard_end(&record).filter(|end| *end > now)?;
            let get = |key: &str| record.data.get(key).cloned();
            Some(SessionSummary {
                key: row.id,
                client: get(CLIENT_KEY)
                    .and_then(|v| serde_json::from_value(v).ok())
                    .unwrap_or_default(),
                signed_in_at: get(SIGNED_IN_AT_KEY).and_then(|v| v.as_i64()),
                seen_at: get(SEEN_KEY).and_then(|v| v.as_i64()),
            })
        })
        .collect();
    found.sort_by_key(|s| std::cmp::Reverse(s.seen_at.or(s.signed_in_at)));
    Ok(found)
}

/// Ends a member's sessions at once, on every instance, but `keep` (the
/// stored key of the one acting, if any). Returns how many ended.
pub async fn end_sessions_of(
    db: &impl ConnectionTrait,
    account: crate::domain::AccountId,
    keep: Option<&str>,
) -> anyhow::Result<u64> {
    use anyhow::Context;
    let whose = match account {
        crate::domain::AccountId::Member(id) => session::Column::UserId.eq(id),
        crate::domain::AccountId::Operator(id) => session::Column::OperatorId.eq(id),
    };
    let mut delete = session::Entity::delete_many().filter(whose);
    if let Some(keep) = keep {
        delete = delete.filter(session::Column::Id.ne(keep));
    }
    Ok(delete
        .exec(db)
        .await
        .context("ending sessions")?
        .rows_affected)
}

/// Ends every session of the tenant's members at once, on every instance.
pub async fn end_tenant_sessions(db: &impl ConnectionTrait, tenant_id: i32) -> anyhow::Result<u64> {
    use anyhow::Context;
    use sea_orm::sea_query::Query;
    let members = Query::select()
        .column(user::Column::Id)
        .from(user::Entity)
        .and_where(user::Column::TenantId.eq(tenant_id))
        .to_owned();
    Ok(session::Entity::delete_many()
        .filter(session::Column::UserId.in_subquery(members))
        .exec(db)
        .await
        .context("ending the tenant's sessions")?
        .rows_affected)
}

/// The stored key of a session id.
pub fn key_of(id: &Id) -> String {
    use sha2::Digest;
    format!("{:x}", sha2::Sha256::digest(id.to_string().as_bytes()))
}

/// When a signed-in session must end at the latest, `None` for a session
/// without a sign-in. A signed-in record that does not say when it signed
/// in has already ended.
fn hard_end(record: &Record) -> Option<i64> {
    if !record.data.contains_key(SESSION_USER_KEY)
        && !record.data.contains_key(SESSION_OPERATOR_KEY)
    {
        return None;
    }
    let signed_in = record.data.get(SIGNED_IN_AT_KEY).and_then(|v| v.as_i64());
    Some(signed_in.map_or(i64::MIN, |at| {
        at.saturating_add(MAX_LIFETIME.whole_seconds())
    }))
}

/// The administrator a session belongs to, as the database says at the
/// start of this request: `load` replaces whatever the record held with
/// the row read in the same query, so a renamed, moved or deleted user is
/// seen at once, on every instance.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct SessionUser {
    pub user_id: i32,
    pub username: String,
    pub tenant_id: i32,
    pub tenant_name: String,
    /// What they may do, as the database says for this request: a changed
    /// role holds from the next request on, on every instance.
    #[serde(default)]
    pub role: Role,
    /// Their company requires two-factor sign-in and they have not set it
    /// up: nothing but My account until they do.
    #[serde(default)]
    pub must_enrol: bool,
    /// The tenant's sections in trouble, read in the same query.
    #[serde(default)]
    pub alerts: Vec<DeliveryAlert>,
}

impl SessionUser {
    pub fn of(user: user::Model, tenant: tenant::Model) -> Self {
        Self {
            user_id: user.id,
            username: user.username,
            tenant_id: tenant.id,
            tenant_name: tenant.name,
            role: Role::parse(&user.role).unwrap_or(Role::Viewer),
            must_enrol: tenant.require_two_factor && user.totp_confirmed_at.is_none(),
            alerts: Vec::new(),
        }
    }
}

/// The provider operator a session belongs to, as the database says at
/// the start of this request (a deleted operator is signed out at once).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct SessionOperator {
    pub operator_id: i32,
    pub username: String,
    /// Has two-factor sign-in on (with `EVENTURL_OPERATOR_2FA=required`,
    /// one without is sent to set it up first).
    #[serde(default)]
    pub two_factor_on: bool,
}

#[derive(Clone, Debug)]
pub struct DbSessionStore {
    db: DatabaseConnection,
}

impl DbSessionStore {
    pub fn new(db: DatabaseConnection) -> Self {
        Self { db }
    }
}

fn backend(e: impl std::fmt::Display) -> session_store::Error {
    session_store::Error::Backend(e.to_string())
}

fn encode(record: &Record) -> session_store::Result<Vec<u8>> {
    serde_json::to_vec(record).map_err(|e| session_store::Error::Encode(e.to_string()))
}

/// The user a record names, for the `user_id` column the join follows.
fn user_id_of(record: &Record) -> Option<i32> {
    record
        .data
        .get(SESSION_USER_KEY)?
        .get("user_id")?
        .as_i64()
        .and_then(|id| i32::try_from(id).ok())
}

/// The idle expiry, or the end of the sign-in's lifetime if sooner: the
/// row expires (and is cleaned up) at whichever comes first.
fn expires_at(record: &Record) -> i64 {
    let idle = record.expiry_date.unix_timestamp();
    hard_end(record).map_or(idle, |end| idle.min(end))
}

/// The operator a record names, for the `operator_id` column.
fn operator_id_of(record: &Record) -> Option<i32> {
    record
        .data
        .get(SESSION_OPERATOR_KEY)?
        .get("operator_id")?
        .as_i64()
        .and_then(|id| i32::try_from(id).ok())
}

fn to_row(record: &Record) -> session_store::Result<session::ActiveModel> {
    Ok(session::ActiveModel {
        id: Set(key_of(&record.id)),
        data: Set(encode(record)?),
        expires_at: Set(expires_at(record)),
        user_id: Set(user_id_of(record)),
        operator_id: Set(operator_id_of(record)),
    })
}

#[derive(FromQueryResult)]
struct SessionWithUser {
    data: Vec<u8>,
    user_id: Option<i32>,
    username: Option<String>,
    role: Option<String>,
    totp_confirmed_at: Option<OffsetDateTime>,
    tenant_id: Option<i32>,
    tenant_name: Option<String>,
    require_two_factor: Option<bool>,
    suspended_at: Option<OffsetDateTime>,
    cdr_alert: Option<String>,
    extension_alert: Option<String>,
}

/// A section's alert with its count (`failing:7`), or NULL: a lookup in
/// `idx_endpoints_tenant_kind`, the page's only read of the endpoints.
fn alert_of(kind: EndpointKind) -> sea_orm::sea_query::SimpleExpr {
    Expr::cust(format!(
        "(SELECT e.alert || ':' || CAST(CASE WHEN e.alert = 'failing' THEN e.failed_streak \
         ELSE e.given_up_streak END AS TEXT) FROM endpoints e \
         WHERE e.tenant_id = users.tenant_id AND e.kind = '{}' AND e.alert IS NOT NULL)",
        kind.as_str()
    ))
}

/// The unexpired session (`key`, expiring after `now`) with its user and
/// tenant, in one query. (`all`, not `one`: the id is the key, and `one`'s
/// bound `LIMIT ?` makes SQLite prepare the statement again on every use,
/// ~10% of a page's CPU.)
fn read_query(key: String, now: i64) -> Select<session::Entity> {
    session::Entity::find_by_id(key)
        .filter(session::Column::ExpiresAt.gt(now))
        .select_only()
        .column(session::Column::Data)
        .column_as(user::Column::Id, "user_id")
        .column_as(user::Column::Username, "username")
        .column_as(user::Column::Role, "role")
        .column_as(user::Column::TotpConfirmedAt, "totp_confirmed_at")
        .column_as(tenant::Column::RequireTwoFactor, "require_two_factor")
        .column_as(tenant::Column::SuspendedAt, "suspended_at")
        .column_as(tenant::Column::Id, "tenant_id")
        .column_as(tenant::Column::Name, "tenant_name")
        .column_as(alert_of(EndpointKind::Cdr), "cdr_alert")
        .column_as(alert_of(EndpointKind::Extension), "extension_alert")
        .join(JoinType::LeftJoin, session::Relation::User.def())
        .join(JoinType::LeftJoin, user::Relation::Tenant.def())
}

/// `read_query`'s statement. Every request reads its session, and the
/// SQL's text depends only on the database: built once per backend, bound
/// on each read (the key, then the time: the order the text takes them).
fn read_statement(backend: DatabaseBackend, key: String, now: i64) -> Statement {
    use std::sync::LazyLock;
    static SQLITE: LazyLock<String> = LazyLock::new(|| {
        read_query(String::new(), 0)
            .build(DatabaseBackend::Sqlite)
            .sql
    });
    static POSTGRES: LazyLock<String> = LazyLock::new(|| {
        read_query(String::new(), 0)
            .build(DatabaseBackend::Postgres)
            .sql
    });
    let sql = match backend {
        DatabaseBackend::Postgres => &POSTGRES,
        _ => &SQLITE,
    };
    Statement::from_sql_and_values(backend, sql.as_str(), [key.into(), now.into()])
}

async fn read(db: &DatabaseConnection, id: Id) -> session_store::Result<Option<Record>> {
    let now = OffsetDateTime::now_utc().unix_timestamp();
    let statement = read_statement(db.get_database_backend(), key_of(&id), now);
    let Some(row) = SessionWithUser::find_by_statement(statement)
        .all(db)
        .await
        .map_err(backend)?
        .pop()
    else {
        return Ok(None);
    };
    let mut record: Record = serde_json::from_slice(&row.data)
        .map_err(|e| session_store::Error::Decode(e.to_string()))?;
    // Checked here too, not only through `expires_at`: the record is what
    // says when its sign-in began.
    if hard_end(&record).is_some_and(|end| end <= now) {
        return Ok(None);
    }
    let user = match (row.user_id, row.username, row.tenant_id, row.tenant_name) {
        // A suspended company's people are signed out.
        _ if row.suspended_at.is_some() => None,
        (Some(user_id), Some(username), Some(tenant_id), Some(tenant_name)) => Some(SessionUser {
            user_id,
            username,
            tenant_id,
            tenant_name,
            // An unknown role reads as the one that changes nothing.
            role: row
                .role
                .as_deref()
                .and_then(Role::parse)
                .unwrap_or(Role::Viewer),
            must_enrol: row.require_two_factor == Some(true) && row.totp_confirmed_at.is_none(),
            alerts: [
                (EndpointKind::Cdr, row.cdr_alert),
                (EndpointKind::Extension, row.extension_alert),
            ]
            .into_iter()
            .filter_map(|(kind, stored)| DeliveryAlert::parse(kind, stored.as_deref()?))
            .collect(),
        }),
        _ => None,
    };
    match user.map(serde_json::to_value) {
        Some(Ok(user)) => {
            record.data.insert(SESSION_USER_KEY.to_owned(), user);
        }
        Some(Err(e)) => return Err(session_store::Error::Encode(e.to_string())),
        None => {
            record.data.remove(SESSION_USER_KEY);
        }
    }
    // An operator's session: read again (only these sessions pay for it).
    if let Some(operator_id) = operator_id_of(&record) {
        let found = super::entities::operator::Entity::find_by_id(operator_id)
            .one(db)
            .await
            .map_err(backend)?;
        match found.map(|o| {
            serde_json::to_value(SessionOperator {
                operator_id: o.id,
                username: o.username,
                two_factor_on: o.totp_confirmed_at.is_some(),
            })
        }) {
            Some(Ok(operator)) => {
                record
                    .data
                    .insert(SESSION_OPERATOR_KEY.to_owned(), operator);
            }
            Some(Err(e)) => return Err(session_store::Error::Encode(e.to_string())),
            None => {
                record.data.remove(SESSION_OPERATOR_KEY);
            }
        }
    }
    Ok(Some(record))
}

#[async_trait]
impl SessionStore for DbSessionStore {
    async fn create(&self, record: &mut Record) -> session_store::Result<()> {
        // A fresh id that collides with a stored one gets another draw.
        loop {
            let inserted = session::Entity::insert(to_row(record)?)
                .on_conflict_do_nothing_on([session::Column::Id])
                .exec(&self.db)
                .await
                .map_err(backend)?;
            if matches!(inserted, sea_orm::TryInsertResult::Inserted(_)) {
                return Ok(());
            }
            record.id = Id::default();
        }
    }

    /// Updates a session that still exists; one deleted meanwhile (signed
    /// out, here or on another instance) stays deleted: a request that was
    /// under way cannot bring it back.
    async fn save(&self, record: &Record) -> session_store::Result<()> {
        session::Entity::update_many()
            .col_expr(session::Column::Data, Expr::value(encode(record)?))
            .col_expr(session::Column::ExpiresAt, Expr::value(expires_at(record)))
            .col_expr(session::Column::UserId, Expr::value(user_id_of(record)))
            .col_expr(
                session::Column::OperatorId,
                Expr::value(operator_id_of(record)),
            )
            .filter(session::Column::Id.eq(key_of(&record.id)))
            .exec(&self.db)
            .await
            .map_err(backend)?;
        Ok(())
    }

    async fn load(&self, id: &Id) -> session_store::Result<Option<Record>> {
        read(&self.db, *id).await
    }

    async fn delete(&self, id: &Id) -> session_store::Result<()> {
        session::Entity::delete_by_id(key_of(id))
            .exec(&self.db)
            .await
            .map_err(backend)?;
        Ok(())
    }
}

#[async_trait]
impl ExpiredDeletion for DbSessionStore {
    async fn delete_expired(&self) -> session_store::Result<()> {
        let now = OffsetDateTime::now_utc().unix_timestamp();
        session::Entity::delete_many()
            .filter(session::Column::ExpiresAt.lte(now))
            .exec(&self.db)
            .await
            .map_err(backend)?;
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::{read_query, read_statement};
    use sea_orm::{DatabaseBackend, QueryTrait};

    /// The SQL written once is the query built on the spot, bound in the
    /// same order, on both databases.
    #[test]
    fn the_session_read_written_once_is_the_query_built() {
        for backend in [DatabaseBackend::Sqlite, DatabaseBackend::Postgres] {
            let built = read_query("k3y".to_owned(), 1_700_000_000).build(backend);
            let once = read_statement(backend, "k3y".to_owned(), 1_700_000_000);
            assert_eq!(once.sql, built.sql);
            assert_eq!(once.values, built.values);
            assert_eq!(once.values.map(|v| v.0.len()), Some(2));
        }
    }
}
