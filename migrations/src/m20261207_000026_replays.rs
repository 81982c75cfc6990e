//! Bulk replays as jobs: `replays` (a section's events of one state in a
//! time range, re-queued together, with who asked and, once none is left
//! pending, the final counts) and `events.replay_id` (the replay that
//! re-queued an event last). At most one unfinished replay per section
//! (a partial unique index).

use sea_orm_migration::{prelude::*, schema::*};

use crate::steps::{add_columns, cascade, drop_columns, drop_index, drop_tables, new_table};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum Replays {
    Table,
    Id,
    TenantId,
    Section,
    State,
    RangeFrom,
    RangeTo,
    Total,
    CreatedBy,
    CreatedAt,
    FinishedAt,
    Delivered,
    Failed,
}

#[derive(DeriveIden)]
enum Tenants {
    Table,
}

#[derive(DeriveIden)]
enum Events {
    Table,
    ReplayId,
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    fn use_transaction(&self) -> Option<bool> {
        Some(true)
    }

    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        let replays = new_table(Replays::Table)
            .col(pk_auto(Replays::Id))
            .col(integer(Replays::TenantId))
            .col(string_len(Replays::Section, 16))
            .col(string_len(Replays::State, 16))
            .col(timestamp_with_time_zone_null(Replays::RangeFrom))
            .col(timestamp_with_time_zone(Replays::RangeTo))
            .col(big_integer(Replays::Total))
            .col(string_len(Replays::CreatedBy, 200))
            .col(timestamp_with_time_zone(Replays::CreatedAt))
            .col(timestamp_with_time_zone_null(Replays::FinishedAt))
            .col(big_integer_null(Replays::Delivered))
            .col(big_integer_null(Replays::Failed))
            .foreign_key(&mut cascade(Replays::TenantId, Tenants::Table))
            .to_owned();
        manager.create_table(replays).await?;
        let db = manager.get_connection();
        db.execute_unprepared(
            "CREATE UNIQUE INDEX IF NOT EXISTS idx_replays_running ON replays (tenant_id, section) \
             WHERE finished_at IS NULL",
        )
        .await?;
        db.execute_unprepared(
            "CREATE INDEX IF NOT EXISTS idx_replays_tenant ON replays (tenant_id, id)",
        )
        .await?;
        add_columns(
            manager,
            Events::Table,
            vec![big_integer_null(Events::ReplayId)],
        )
        .await?;
        db.execute_unprepared(
            "CREATE INDEX IF NOT EXISTS idx_events_replay ON events (replay_id, state) \
             WHERE replay_id IS NOT NULL",
        )
        .await?;
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        drop_index(manager, "idx_events_replay", Events::Table).await?;
        drop_columns(manager, Events::Table, [Events::ReplayId]).await?;
        drop_tables(manager, [Replays::Table]).await
    }
}
