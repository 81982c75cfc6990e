//! Hand-in: events become rows in the state their section calls for
//! (`rules::on_arrival`), bodies encrypted, search terms hashed.

use anyhow::Context;
use sea_orm::{
    sea_query::{OnConflict, Query},
    ConnectionTrait, EntityTrait, FromQueryResult, QueryTrait, Set,
};
use time::OffsetDateTime;

use super::body_context;
use crate::delivery::routing::Route;
use crate::{
    domain::{EndpointKind, EventState},
    persistence::{
        crypto::SecretCipher,
        entities::{event, event_ref},
    },
};

/// An event as handed in, ready to queue.
pub struct NewEvent {
    pub uid: String,
    pub section: EndpointKind,
    pub event_type: String,
    /// The event's JSON as the PBX sent it.
    pub body: Vec<u8>,
    /// What the tenant can search it by (`search_terms`), in clear.
    pub terms: Vec<String>,
}

/// An event's row, ready to insert, and its search terms' keyed hashes.
#[derive(Clone)]
pub struct Queued {
    pub row: event::ActiveModel,
    pub terms: Vec<Vec<u8>>,
    pub section: EndpointKind,
    /// The state it is queued in (pending, held or skipped).
    pub state: EventState,
}

/// The tenant's events as rows to queue, each in the state its section
/// (`routes`, as read now) calls for, bodies encrypted. (Prepared before
/// the writing transaction starts: on SQLite a transaction that reads first
/// and then writes fails at once when another write came in between.)
pub fn prepare(
    cipher: &SecretCipher,
    tenant_id: i32,
    routes: &[Route],
    events: Vec<NewEvent>,
    now: OffsetDateTime,
) -> anyhow::Result<Vec<Queued>> {
    let state_for = |section: EndpointKind, event_type: &str| match routes
        .iter()
        .find(|route| route.section == section)
    {
        Some(route) => crate::delivery::rules::on_arrival(
            section,
            route.section_now(),
            crate::domain::delivers(&route.event_types, event_type),
        ),
        None => EventState::Skipped,
    };
    let mut rows = Vec::with_capacity(events.len());
    for new in events {
        let state = state_for(new.section, &new.event_type);
        let terms = new
            .terms
            .iter()
            .map(|term| cipher.term_hash(tenant_id, term))
            .collect();
        let row = event::ActiveModel {
            tenant_id: Set(tenant_id),
            body: Set(cipher.encrypt(&new.body, &body_context(tenant_id, &new.uid))?),
            event_uid: Set(new.uid),
            section: Set(new.section.as_str().to_owned()),
            event_type: Set(new.event_type),
            state: Set(state.as_str().to_owned()),
            attempts: Set(0),
            next_attempt_at: Set(now),
            lease_until: Set(None),
            last_status: Set(None),
            last_error: Set(None),
            last_attempt_at: Set(None),
            created_at: Set(now),
            finished_at: Set(state.is_finished().then_some(now)),
            manual: Set(false),
            ..Default::default()
        };
        rows.push(Queued {
            row,
            terms,
            section: new.section,
            state,
        });
    }
    Ok(rows)
}

/// Queues prepared rows in `db` (a transaction: all or none). An event
/// whose id the tenant used before is left as it is (the PBX retrying its
/// hand-off).
pub async fn enqueue(db: &impl ConnectionTrait, rows: Vec<Queued>) -> anyhow::Result<()> {
    #[derive(FromQueryResult)]
    struct Inserted {
        id: i64,
        tenant_id: i32,
        event_uid: String,
    }
    let backend = db.get_database_backend();
    // Inserted in chunks: a statement's bound values are limited.
    let mut rows = rows.into_iter().peekable();
    while rows.peek().is_some() {
        let chunk: Vec<Queued> = rows.by_ref().take(200).collect();
        let mut insert = event::Entity::insert_many(chunk.iter().map(|q| q.row.clone()))
            .on_conflict(
                OnConflict::columns([event::Column::TenantId, event::Column::EventUid])
                    .do_nothing()
                    .to_owned(),
            )
            .into_query();
        insert.returning(Query::returning().columns([
            event::Column::Id,
            event::Column::TenantId,
            event::Column::EventUid,
        ]));
        // Only the rows inserted come back (not those handed in before).
        let inserted = Inserted::find_by_statement(backend.build(&insert))
            .all(db)
            .await
            .context("queueing events")?;
        // Each inserted event's terms, found by (tenant, uid).
        let by_uid: std::collections::HashMap<(i32, &str), &Queued> = chunk
            .iter()
            .filter_map(|q| match (&q.row.tenant_id, &q.row.event_uid) {
                (Set(tenant_id), Set(uid)) => Some(((*tenant_id, uid.as_str()), q)),
                _ => None,
            })
            .collect();
        let mut refs: Vec<event_ref::ActiveModel> = Vec::new();
        for row in &inserted {
            let Some(q) = by_uid.get(&(row.tenant_id, row.event_uid.as_str())) else {
                continue;
            };
            let Set(created_at) = q.row.created_at else {
                continue;
            };
            refs.extend(q.terms.iter().map(|term| event_ref::ActiveModel {
                tenant_id: Set(row.tenant_id),
                term: Set(term.clone()),
                created_at: Set(created_at),
                event_id: Set(row.id),
            }));
        }
        for refs in refs.chunks(300) {
            event_ref::Entity::insert_many(refs.to_vec())
                .exec_without_returning(db)
                .await
                .context("recording events' search terms")?;
        }
    }
    Ok(())
}
