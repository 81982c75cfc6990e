//! Fewer b-trees written per event, the cost of ingest and delivery:
//!
//! - A section's last attempt (its header on the Event URL tab) is kept
//!   with the hour's counts in `delivery_hours` (`last_at`, `last_status`),
//!   which the queue writer updates with every group of attempts anyway;
//!   `idx_events_last_attempt`, which every queued event and every attempt
//!   wrote to for that one read, goes. Each endpoint's last attempt so far
//!   is carried over.
//! - On SQLite, `event_refs` becomes a `WITHOUT ROWID` table: its primary
//!   key is the table, one b-tree instead of a table and a copy of it as
//!   the key's index. (PostgreSQL has no such tables; nothing changes.)

use sea_orm::{ConnectionTrait, DatabaseBackend, Statement, TryGetable};
use sea_orm_migration::prelude::*;
use time::OffsetDateTime;

use crate::steps::{
    add_columns_unguarded, cascade, create_index, drop_columns, drop_index_if_exists, new_table,
    primary_key,
};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum DeliveryHours {
    Table,
    LastAt,
    LastStatus,
}

#[derive(DeriveIden)]
enum Events {
    Table,
    TenantId,
    Section,
    LastAttemptAt,
}

#[derive(DeriveIden)]
enum EventRefs {
    Table,
    TenantId,
    Term,
    CreatedAt,
    EventId,
}

/// `sql` with `?` placeholders, numbered for PostgreSQL.
fn statement(backend: DatabaseBackend, sql: &str, values: Vec<sea_orm::Value>) -> Statement {
    let sql = if backend == DatabaseBackend::Postgres {
        let mut n = 0;
        sql.chars()
            .map(|c| {
                if c == '?' {
                    n += 1;
                    format!("${n}")
                } else {
                    c.to_string()
                }
            })
            .collect()
    } else {
        sql.to_owned()
    };
    Statement::from_sql_and_values(backend, sql, values)
}

fn get<T: TryGetable>(row: &sea_orm::QueryResult, column: &str) -> Result<T, DbErr> {
    row.try_get("", column)
}

/// The start of `at`'s hour in UTC (as the queue writer counts).
fn hour_of(at: OffsetDateTime) -> OffsetDateTime {
    let utc = at.to_offset(time::UtcOffset::UTC);
    utc.replace_time(time::Time::from_hms(utc.hour(), 0, 0).unwrap_or(time::Time::MIDNIGHT))
}

fn event_refs(backend: DatabaseBackend) -> TableCreateStatement {
    let mut table = new_table(EventRefs::Table);
    table
        .col(ColumnDef::new(EventRefs::TenantId).integer().not_null())
        .col(ColumnDef::new(EventRefs::Term).binary_len(16).not_null())
        .col(
            ColumnDef::new(EventRefs::CreatedAt)
                .timestamp_with_time_zone()
                .not_null(),
        )
        .col(ColumnDef::new(EventRefs::EventId).big_integer().not_null())
        .primary_key(&mut primary_key([
            EventRefs::TenantId,
            EventRefs::Term,
            EventRefs::CreatedAt,
            EventRefs::EventId,
        ]))
        .foreign_key(&mut cascade(EventRefs::EventId, Events::Table));
    if backend == DatabaseBackend::Sqlite {
        table.extra("WITHOUT ROWID");
    }
    table.to_owned()
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    /// All or nothing on SQLite too (sea-orm-migration wraps only
    /// PostgreSQL's by default): a crash half-way must not leave a schema a
    /// rerun cannot migrate.
    fn use_transaction(&self) -> Option<bool> {
        Some(true)
    }

    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        let db = manager.get_connection();
        let backend = manager.get_database_backend();
        add_columns_unguarded(
            manager,
            DeliveryHours::Table,
            vec![
                ColumnDef::new(DeliveryHours::LastAt)
                    .timestamp_with_time_zone()
                    .null()
                    .to_owned(),
                ColumnDef::new(DeliveryHours::LastStatus)
                    .integer()
                    .null()
                    .to_owned(),
            ],
        )
        .await?;
        // Each endpoint's last attempt, read while its index is there.
        let endpoints = db
            .query_all_raw(statement(
                backend,
                "SELECT tenant_id, kind FROM endpoints",
                vec![],
            ))
            .await?;
        for endpoint in endpoints {
            let tenant_id: i32 = get(&endpoint, "tenant_id")?;
            let section: String = get(&endpoint, "kind")?;
            let Some(last) = db
                .query_one_raw(statement(
                    backend,
                    "SELECT last_attempt_at, last_status FROM events \
                     WHERE tenant_id = ? AND section = ? AND last_attempt_at IS NOT NULL \
                     ORDER BY last_attempt_at DESC LIMIT 1",
                    vec![tenant_id.into(), section.clone().into()],
                ))
                .await?
            else {
                continue;
            };
            let at: OffsetDateTime = get(&last, "last_attempt_at")?;
            let status: Option<i32> = get(&last, "last_status")?;
            db.execute_raw(statement(
                backend,
                "INSERT INTO delivery_hours (tenant_id, section, hour, delivered, failed, last_at, last_status) \
                 VALUES (?, ?, ?, 0, 0, ?, ?) \
                 ON CONFLICT (tenant_id, section, hour) DO UPDATE SET \
                 last_at = excluded.last_at, last_status = excluded.last_status",
                vec![
                    tenant_id.into(),
                    section.into(),
                    hour_of(at).into(),
                    at.into(),
                    status.into(),
                ],
            ))
            .await?;
        }
        drop_index_if_exists(manager, "idx_events_last_attempt", Events::Table).await?;
        if backend == DatabaseBackend::Sqlite {
            db.execute_unprepared("ALTER TABLE event_refs RENAME TO event_refs_rowid")
                .await?;
            db.execute_unprepared("DROP INDEX IF EXISTS idx_event_refs_event")
                .await?;
            manager.create_table(event_refs(backend)).await?;
            db.execute_unprepared(
                "INSERT INTO event_refs (tenant_id, term, created_at, event_id) \
                 SELECT tenant_id, term, created_at, event_id FROM event_refs_rowid",
            )
            .await?;
            db.execute_unprepared("DROP TABLE event_refs_rowid").await?;
            // The cascade from a purged event finds its refs by event.
            create_index(
                manager,
                "idx_event_refs_event",
                EventRefs::Table,
                [EventRefs::EventId],
            )
            .await?;
        }
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        use Events::{LastAttemptAt, Section, TenantId};
        let last_attempt = [TenantId, Section, LastAttemptAt];
        create_index(
            manager,
            "idx_events_last_attempt",
            Events::Table,
            last_attempt,
        )
        .await?;
        let columns = [DeliveryHours::LastAt, DeliveryHours::LastStatus];
        drop_columns(manager, DeliveryHours::Table, columns).await
    }
}
