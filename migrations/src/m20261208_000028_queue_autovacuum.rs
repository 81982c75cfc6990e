//! PostgreSQL's autovacuum for the queue's tables (`events`,
//! `delivery_attempts`, `event_refs`): each event's row is updated at its
//! claim and at its record, and the hourly purge deletes what retention
//! lets go, so these tables make dead rows all day. By default autovacuum
//! waits for a fifth of a table to be dead, two million rows of a
//! ten-million-row queue, and the indexes bloat meanwhile. Here it starts at
//! 1% (and 1,000 rows), so the space freed is reused by the next hours'
//! events. SQLite reuses freed pages without being told (nothing to do).
//! docs/operations.md says how to read and change these.

use sea_orm_migration::{prelude::*, sea_orm::DatabaseBackend};

#[derive(DeriveMigrationName)]
pub struct Migration;

const TABLES: [&str; 3] = ["events", "delivery_attempts", "event_refs"];

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        alter_each(
            manager,
            "SET (autovacuum_vacuum_scale_factor = 0.01, autovacuum_vacuum_threshold = 1000, \
             autovacuum_vacuum_insert_scale_factor = 0.01, \
             autovacuum_analyze_scale_factor = 0.02)",
        )
        .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        alter_each(
            manager,
            "RESET (autovacuum_vacuum_scale_factor, autovacuum_vacuum_threshold, \
             autovacuum_vacuum_insert_scale_factor, autovacuum_analyze_scale_factor)",
        )
        .await
    }
}

/// `ALTER TABLE … {options}` for each of the queue's tables, on PostgreSQL.
async fn alter_each(manager: &SchemaManager<'_>, options: &str) -> Result<(), DbErr> {
    if manager.get_database_backend() != DatabaseBackend::Postgres {
        return Ok(());
    }
    for table in TABLES {
        manager
            .get_connection()
            .execute_unprepared(&format!("ALTER TABLE {table} {options}"))
            .await?;
    }
    Ok(())
}
