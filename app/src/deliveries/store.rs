//! The Deliveries tab's reads: one page of a tenant's events by keyset
//! (never an `OFFSET`: a page costs the same with millions of events), one
//! event with its attempts. Each filter has its index (migration 11).

use anyhow::Context;
use sea_orm::{
    ColumnTrait, ConnectionTrait, EntityTrait, FromQueryResult, QueryFilter, QueryOrder,
};
use time::OffsetDateTime;

use super::model::DeliveryState;
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
    pub state: Option<DeliveryState>,
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

/// Up to `limit` + 1 of the tenant's events from `place` (the extra one
/// says there are more), newest first.
pub async fn list(
    db: &impl ConnectionTrait,
    cipher: &SecretCipher,
    tenant_id: i32,
    query: &ListQuery,
    place: Place,
    limit: u64,
) -> anyhow::Result<Vec<EventRow>> {
    let mut sql = String::from(
        "SELECT id, event_uid, created_at, section, event_type, state, attempts, last_status, \
         next_attempt_at FROM events WHERE tenant_id = ?",
    );
    let mut values: Vec<sea_orm::Value> = vec![tenant_id.into()];
    if let Some(section) = query.section {
        sql.push_str(" AND section = ?");
        values.push(section.as_str().into());
    }
    if let Some(state) = query.state {
        sql.push_str(" AND state = ?");
        values.push(state.stored().into());
    }
    if let Some(event_type) = &query.event_type {
        sql.push_str(" AND event_type = ?");
        values.push(event_type.clone().into());
    }
    if let Some(from) = query.from {
        sql.push_str(" AND created_at >= ?");
        values.push(from.into());
    }
    if let Some(to) = query.to {
        sql.push_str(" AND created_at < ?");
        values.push(to.into());
    }
    if let Some(search) = &query.search {
        // The event id itself, or a term the event names (keyed hashes).
        let terms = crate::delivery::search_terms::of_query(search);
        sql.push_str(
            " AND id IN (SELECT id FROM events WHERE tenant_id = ? AND event_uid = ? \
             UNION SELECT event_id FROM event_refs WHERE tenant_id = ? AND term IN (",
        );
        values.extend([tenant_id.into(), search.clone().into(), tenant_id.into()]);
        sql.push_str(&vec!["?"; terms.len()].join(", "));
        sql.push_str("))");
        values.extend(
            terms
                .iter()
                .map(|term| sea_orm::Value::from(cipher.term_hash(tenant_id, term))),
        );
    }
    let order = match place {
        Place::Newest => "DESC",
        Place::Older(cursor) => {
            sql.push_str(" AND (created_at, id) < (?, ?)");
            values.extend([cursor.at.into(), cursor.id.into()]);
            "DESC"
        }
        Place::Newer(cursor) => {
            sql.push_str(" AND (created_at, id) > (?, ?)");
            values.extend([cursor.at.into(), cursor.id.into()]);
            "ASC"
        }
    };
    // The limit is written, not bound: a bound one makes SQLite prepare
    // the statement again on every use.
    sql.push_str(&format!(
        " ORDER BY created_at {order}, id {order} LIMIT {}",
        limit + 1
    ));
    let mut rows =
        EventRow::find_by_statement(raw_sql::statement(db.get_database_backend(), &sql, values))
            .all(db)
            .await
            .context("listing events")?;
    if matches!(place, Place::Newer(_)) {
        rows.reverse();
    }
    Ok(rows)
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
