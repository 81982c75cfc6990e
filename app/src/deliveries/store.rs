//! The Deliveries tab's reads: one page of a tenant's events by keyset
//! (never an `OFFSET`: a page costs the same with millions of events), one
//! event with its attempts. Each filter has its index (migration 11).

use anyhow::Context;
use sea_orm::{
    ColumnTrait, ConnectionTrait, EntityTrait, FromQueryResult, QueryFilter, QueryOrder,
};
use time::OffsetDateTime;

use crate::domain::EventState;
use crate::{
    domain::EndpointKind,
    persistence::{
        crypto::SecretCipher,
        entities::{delivery_attempt, event},
        raw_sql,
    },
};

/// The filters, read.
#[derive(Clone, Debug, Default)]
pub struct ListQuery {
    pub section: Option<EndpointKind>,
    pub state: Option<EventState>,
    pub event_type: Option<String>,
    pub from: Option<OffsetDateTime>,
    pub to: Option<OffsetDateTime>,
    /// What was typed in the search box (an event id, a call id, an
    /// extension number).
    pub search: Option<String>,
}

/// A place in the list: an event's time and id (newest first).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Cursor {
    pub at: OffsetDateTime,
    pub id: i64,
}

impl Cursor {
    pub fn to_text(self) -> String {
        format!("{}.{}", self.at.unix_timestamp_nanos(), self.id)
    }

    pub fn parse(text: &str) -> Option<Cursor> {
        let (nanos, id) = text.split_once('.')?;
        Some(Cursor {
            at: OffsetDateTime::from_unix_timestamp_nanos(nanos.parse().ok()?).ok()?,
            id: id.parse().ok()?,
        })
    }
}

/// Which page: the newest, the one older than a cursor, or the one newer.
#[derive(Clone, Copy, Debug)]
pub enum Place {
    Newest,
    Older(Cursor),
    Newer(Cursor),
}

#[derive(Clone, Debug, FromQueryResult)]
pub struct EventRow {
    pub id: i64,
    pub event_uid: String,
    pub created_at: OffsetDateTime,
    pub section: String,
    pub event_type: String,
    pub state: String,
    pub attempts: i32,
    pub last_status: Option<i32>,
    pub next_attempt_at: OffsetDateTime,
}

impl EventRow {
    pub fn cursor(&self) -> Cursor {
        Cursor {
            at: self.created_at,
            id: self.id,
        }
    }
}

const COLUMNS: &str = "e.id, e.event_uid, e.created_at, e.section, e.event_type, e.state, \
     e.attempts, e.last_status, e.next_attempt_at";

/// Up to `limit` + 1 of the tenant's events from `place` (the extra one
/// says there are more), newest first. Each read walks one index in list
/// order and stops after a page: the events by time, by state or by type
/// (migration 11); a search walks each of its terms' events in
/// `event_refs` the same way (and looks the event id up), and the pages
/// are merged.
pub async fn list(
    db: &impl ConnectionTrait,
    cipher: &SecretCipher,
    tenant_id: i32,
    query: &ListQuery,
    place: Place,
    limit: u64,
) -> anyhow::Result<Vec<EventRow>> {
    let newer = matches!(place, Place::Newer(_));
    let mut rows = match &query.search {
        None => read(db, tenant_id, query, place, limit, None).await?,
        Some(search) => {
            let mut rows = read(db, tenant_id, query, place, limit, Some(By::Uid(search))).await?;
            for term in crate::delivery::search_terms::of_query(search) {
                let hash = cipher.term_hash(tenant_id, &term);
                rows.extend(read(db, tenant_id, query, place, limit, Some(By::Term(hash))).await?);
            }
            rows.sort_by_key(|row| std::cmp::Reverse((row.created_at, row.id)));
            rows.dedup_by_key(|row| row.id);
            if newer {
                // The page just newer than the cursor: the oldest of these.
                let keep = usize::try_from(limit + 1).unwrap_or(usize::MAX);
                let skip = rows.len().saturating_sub(keep);
                rows.drain(..skip);
            } else {
                rows.truncate(usize::try_from(limit + 1).unwrap_or(usize::MAX));
            }
            return Ok(rows);
        }
    };
    if newer {
        rows.reverse();
    }
    Ok(rows)
}

/// What a search looks for.
enum By<'a> {
    /// The event's id as the PBX gave it.
    Uid(&'a str),
    /// A term's keyed hash.
    Term(Vec<u8>),
}

/// One read in list order (oldest first for a `Newer` page).
async fn read(
    db: &impl ConnectionTrait,
    tenant_id: i32,
    query: &ListQuery,
    place: Place,
    limit: u64,
    by: Option<By<'_>>,
) -> anyhow::Result<Vec<EventRow>> {
    let mut values: Vec<sea_orm::Value> = Vec::new();
    // The table whose (created_at, id) the read walks.
    let (mut sql, at, id) = match by {
        Some(By::Term(hash)) => {
            values.extend([tenant_id.into(), hash.into(), tenant_id.into()]);
            (
                format!(
                    "SELECT {COLUMNS} FROM event_refs r JOIN events e ON e.id = r.event_id \
                     WHERE r.tenant_id = ? AND r.term = ? AND e.tenant_id = ?"
                ),
                "r.created_at",
                "r.event_id",
            )
        }
        Some(By::Uid(uid)) => {
            values.extend([tenant_id.into(), uid.into()]);
            (
                format!("SELECT {COLUMNS} FROM events e WHERE e.tenant_id = ? AND e.event_uid = ?"),
                "e.created_at",
                "e.id",
            )
        }
        None => {
            values.push(tenant_id.into());
            (
                format!("SELECT {COLUMNS} FROM events e WHERE e.tenant_id = ?"),
                "e.created_at",
                "e.id",
            )
        }
    };
    if let Some(section) = query.section {
        sql.push_str(" AND e.section = ?");
        values.push(section.as_str().into());
    }
    if let Some(state) = query.state {
        sql.push_str(" AND e.state = ?");
        values.push(state.as_str().into());
    }
    if let Some(event_type) = &query.event_type {
        sql.push_str(" AND e.event_type = ?");
        values.push(event_type.clone().into());
    }
    if let Some(from) = query.from {
        sql.push_str(&format!(" AND {at} >= ?"));
        values.push(from.into());
    }
    if let Some(to) = query.to {
        sql.push_str(&format!(" AND {at} < ?"));
        values.push(to.into());
    }
    let order = match place {
        Place::Newest => "DESC",
        Place::Older(cursor) => {
            sql.push_str(&format!(" AND ({at}, {id}) < (?, ?)"));
            values.extend([cursor.at.into(), cursor.id.into()]);
            "DESC"
        }
        Place::Newer(cursor) => {
            sql.push_str(&format!(" AND ({at}, {id}) > (?, ?)"));
            values.extend([cursor.at.into(), cursor.id.into()]);
            "ASC"
        }
    };
    // The limit is written, not bound: a bound one makes SQLite prepare
    // the statement again on every use.
    sql.push_str(&format!(
        " ORDER BY {at} {order}, {id} {order} LIMIT {}",
        limit + 1
    ));
    EventRow::find_by_statement(raw_sql::statement(db.get_database_backend(), &sql, values))
        .all(db)
        .await
        .context("listing events")
}

/// One of the tenant's events (none if it is not the tenant's).
pub async fn find(
    db: &impl ConnectionTrait,
    tenant_id: i32,
    id: i64,
) -> anyhow::Result<Option<event::Model>> {
    Ok(event::Entity::find()
        .filter(event::Column::Id.eq(id))
        .filter(event::Column::TenantId.eq(tenant_id))
        .all(db)
        .await
        .context("loading an event")?
        .pop())
}

/// An event's attempts, oldest first.
pub async fn attempts(
    db: &impl ConnectionTrait,
    event_id: i64,
) -> anyhow::Result<Vec<delivery_attempt::Model>> {
    delivery_attempt::Entity::find()
        .filter(delivery_attempt::Column::EventId.eq(event_id))
        .order_by_asc(delivery_attempt::Column::Id)
        .all(db)
        .await
        .context("loading an event's attempts")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_cursor_reads_back_as_written() {
        let cursor = Cursor {
            at: OffsetDateTime::from_unix_timestamp_nanos(1_764_000_000_123_456_000).unwrap(),
            id: 42,
        };
        assert_eq!(Cursor::parse(&cursor.to_text()), Some(cursor));
        assert_eq!(Cursor::parse("x.1"), None);
        assert_eq!(Cursor::parse("12"), None);
    }
}
