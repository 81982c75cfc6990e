//! Company → Deliveries: each attempt keeps what was sent and what came
//! back (headers with `Authorization` redacted, the first 4 KB of the
//! answer) and whether an administrator asked for it (a redelivery);
//! the tab's list reads one index per filter, newest first:
//! `(tenant_id, created_at, id)` for all events and a time range,
//! `(tenant_id, state, created_at, id)` for a state, and
//! `(tenant_id, event_type, created_at, id)` for an event type (a section
//! is a filter on top of these). A search by call id or extension number
//! reads `event_refs` by `(tenant_id, term, created_at, event_id)`: keyed
//! hashes of those values (bodies are encrypted, so the values themselves
//! are stored nowhere in clear), newest first.
//!
//! Failing endpoints: each endpoint counts its failed attempts and
//! given-up events in a row (a delivery resets both) and carries its alert
//! (`failing`, or `auto_paused` once its last events were all given up),
//! read with the session on every page for the banner. `delivery_hours`
//! counts each endpoint's delivered and failed attempts per hour, for the
//! section's 24-hour chart (24 rows read, however busy the endpoint).

use sea_orm_migration::{prelude::*, schema::*};

use crate::steps::{
    add_columns_unguarded, cascade, create_index, drop_columns, drop_index_if_exists,
    drop_tables_if_exist, new_table, primary_key,
};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum Events {
    Table,
    Id,
    TenantId,
    State,
    EventType,
    CreatedAt,
    Manual,
}

#[derive(DeriveIden)]
enum DeliveryAttempts {
    Table,
    Manual,
    RequestHeaders,
    ResponseHeaders,
    ResponseBody,
    ResponseTruncated,
    Help,
}

#[derive(DeriveIden)]
enum Endpoints {
    Table,
    FailedStreak,
    GivenUpStreak,
    Alert,
    AlertSince,
}

#[derive(DeriveIden)]
enum DeliveryHours {
    Table,
    TenantId,
    Section,
    Hour,
    Delivered,
    Failed,
}

#[derive(DeriveIden)]
enum EventRefs {
    Table,
    TenantId,
    Term,
    CreatedAt,
    EventId,
}

const INDEXES: [&str; 3] = [
    "idx_events_tenant_created",
    "idx_events_tenant_state_created",
    "idx_events_tenant_type_created",
];

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        // The next attempt is a redelivery an administrator asked for.
        let manual = boolean(Events::Manual).default(false).to_owned();
        add_columns_unguarded(manager, Events::Table, vec![manual]).await?;
        add_columns_unguarded(
            manager,
            DeliveryAttempts::Table,
            vec![
                boolean(DeliveryAttempts::Manual).default(false).to_owned(),
                text_null(DeliveryAttempts::RequestHeaders),
                text_null(DeliveryAttempts::ResponseHeaders),
                text_null(DeliveryAttempts::ResponseBody),
                boolean(DeliveryAttempts::ResponseTruncated)
                    .default(false)
                    .to_owned(),
                // What to fix, one line each (the test event's words).
                text_null(DeliveryAttempts::Help),
            ],
        )
        .await?;
        add_columns_unguarded(
            manager,
            Endpoints::Table,
            vec![
                integer(Endpoints::FailedStreak).default(0).to_owned(),
                integer(Endpoints::GivenUpStreak).default(0).to_owned(),
                // `failing` | `auto_paused`
                string_len_null(Endpoints::Alert, 16),
                timestamp_with_time_zone_null(Endpoints::AlertSince),
            ],
        )
        .await?;
        let delivery_hours = new_table(DeliveryHours::Table)
            .col(integer(DeliveryHours::TenantId))
            .col(string_len(DeliveryHours::Section, 16))
            .col(timestamp_with_time_zone(DeliveryHours::Hour))
            .col(big_integer(DeliveryHours::Delivered).default(0))
            .col(big_integer(DeliveryHours::Failed).default(0))
            .primary_key(&mut primary_key([
                DeliveryHours::TenantId,
                DeliveryHours::Section,
                DeliveryHours::Hour,
            ]))
            .foreign_key(&mut cascade(DeliveryHours::TenantId, "tenants"))
            .to_owned();
        manager.create_table(delivery_hours).await?;
        let event_refs = new_table(EventRefs::Table)
            .col(integer(EventRefs::TenantId))
            // A keyed hash (HMAC-SHA-256, 16 bytes) of `kind:value`.
            .col(binary_len(EventRefs::Term, 16))
            // The event's: a search reads one term's events newest
            // first and stops after a page.
            .col(timestamp_with_time_zone(EventRefs::CreatedAt))
            .col(big_integer(EventRefs::EventId))
            .primary_key(&mut primary_key([
                EventRefs::TenantId,
                EventRefs::Term,
                EventRefs::CreatedAt,
                EventRefs::EventId,
            ]))
            .foreign_key(&mut cascade(EventRefs::EventId, Events::Table))
            .to_owned();
        manager.create_table(event_refs).await?;
        // The cascade from a purged event finds its refs by event.
        create_index(
            manager,
            "idx_event_refs_event",
            EventRefs::Table,
            [EventRefs::EventId],
        )
        .await?;
        use Events::{CreatedAt, EventType, Id, State, TenantId};
        for (name, columns) in INDEXES.into_iter().zip([
            vec![TenantId, CreatedAt, Id],
            vec![TenantId, State, CreatedAt, Id],
            vec![TenantId, EventType, CreatedAt, Id],
        ]) {
            create_index(manager, name, Events::Table, columns).await?;
        }
        // PostgreSQL plans the tab's reads on its statistics: planned on
        // those of a table that has since grown by a million rows, a search
        // sorted 300,000 rows (850 ms) instead of walking its index for 51
        // (0.3 ms). These tables change fast; they are analysed (and
        // vacuumed) after 2% (5%) of their rows changed, not 10% (20%).
        if manager.get_database_backend() == sea_orm_migration::sea_orm::DatabaseBackend::Postgres {
            for table in ["events", "event_refs"] {
                manager
                    .get_connection()
                    .execute_unprepared(&format!(
                        "ALTER TABLE {table} SET (autovacuum_analyze_scale_factor = 0.02, \
                         autovacuum_vacuum_scale_factor = 0.05)"
                    ))
                    .await?;
            }
        }
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        for name in INDEXES {
            drop_index_if_exists(manager, name, Events::Table).await?;
        }
        drop_tables_if_exist(
            manager,
            [
                EventRefs::Table.into_iden(),
                DeliveryHours::Table.into_iden(),
            ],
        )
        .await?;
        drop_columns(
            manager,
            Endpoints::Table,
            [
                Endpoints::FailedStreak,
                Endpoints::GivenUpStreak,
                Endpoints::Alert,
                Endpoints::AlertSince,
            ],
        )
        .await?;
        drop_columns(
            manager,
            DeliveryAttempts::Table,
            [
                DeliveryAttempts::Manual,
                DeliveryAttempts::RequestHeaders,
                DeliveryAttempts::ResponseHeaders,
                DeliveryAttempts::ResponseBody,
                DeliveryAttempts::ResponseTruncated,
                DeliveryAttempts::Help,
            ],
        )
        .await?;
        drop_columns(manager, Events::Table, [Events::Manual]).await
    }
}
