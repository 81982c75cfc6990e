//! tower-sessions records in the app's own database, so that any instance
//! can serve any session and SQLite and PostgreSQL work alike; read
//! through a short-lived cache (`read_cache`), written through it.

use async_trait::async_trait;
use sea_orm::{sea_query::Expr, ColumnTrait, DatabaseConnection, EntityTrait, QueryFilter, Set};
use time::OffsetDateTime;
use tower_sessions::{
    session::{Id, Record},
    session_store::{self, ExpiredDeletion, SessionStore},
};

use super::{
    entities::session,
    read_cache::{Freshness, ReadCache},
};

/// Sessions kept in memory at most (least used leave first).
const CACHED_SESSIONS: u64 = 50_000;

#[derive(Clone, Debug)]
pub struct DbSessionStore {
    db: DatabaseConnection,
    cache: ReadCache<Id, Option<Record>>,
}

impl DbSessionStore {
    pub fn new(db: DatabaseConnection, freshness: Freshness) -> Self {
        Self {
            db,
            cache: ReadCache::new(freshness, CACHED_SESSIONS),
        }
    }
}

fn backend(e: impl std::fmt::Display) -> session_store::Error {
    session_store::Error::Backend(e.to_string())
}

fn encode(record: &Record) -> session_store::Result<Vec<u8>> {
    serde_json::to_vec(record).map_err(|e| session_store::Error::Encode(e.to_string()))
}

fn to_row(record: &Record) -> session_store::Result<session::ActiveModel> {
    Ok(session::ActiveModel {
        id: Set(record.id.to_string()),
        data: Set(encode(record)?),
        expires_at: Set(record.expiry_date.unix_timestamp()),
    })
}

async fn read(db: &DatabaseConnection, id: Id) -> anyhow::Result<Option<Record>> {
    let now = OffsetDateTime::now_utc().unix_timestamp();
    let Some(row) = session::Entity::find_by_id(id.to_string())
        .filter(session::Column::ExpiresAt.gt(now))
        .one(db)
        .await?
    else {
        return Ok(None);
    };
    Ok(Some(serde_json::from_slice(&row.data).map_err(|e| {
        anyhow::Error::new(session_store::Error::Decode(e.to_string()))
    })?))
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
                self.cache.put(record.id, Some(record.clone())).await;
                return Ok(());
            }
            record.id = Id::default();
        }
    }

    /// Updates a session that still exists; one deleted meanwhile (signed
    /// out, here or on another instance) stays deleted: a request that was
    /// under way, or served from an older copy, cannot bring it back.
    async fn save(&self, record: &Record) -> session_store::Result<()> {
        let updated = session::Entity::update_many()
            .col_expr(session::Column::Data, Expr::value(encode(record)?))
            .col_expr(
                session::Column::ExpiresAt,
                Expr::value(record.expiry_date.unix_timestamp()),
            )
            .filter(session::Column::Id.eq(record.id.to_string()))
            .exec(&self.db)
            .await
            .map_err(backend)?;
        if updated.rows_affected == 0 {
            self.cache.drop_entry(&record.id).await;
        } else {
            self.cache.put(record.id, Some(record.clone())).await;
        }
        Ok(())
    }

    async fn load(&self, id: &Id) -> session_store::Result<Option<Record>> {
        let record = self
            .cache
            .get_or_load(id, || read(&self.db, *id))
            .await
            .map_err(|e| session_store::Error::Backend(format!("{e:#}")))?;
        // A kept copy may have run out since it was read.
        Ok(record.filter(|r| r.expiry_date > OffsetDateTime::now_utc()))
    }

    async fn delete(&self, id: &Id) -> session_store::Result<()> {
        session::Entity::delete_by_id(id.to_string())
            .exec(&self.db)
            .await
            .map_err(backend)?;
        self.cache.drop_entry(id).await;
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
