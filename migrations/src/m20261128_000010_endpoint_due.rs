//! Due events are found per endpoint: `(tenant_id, section, state,
//! next_attempt_at, id)` gives an endpoint's due events in delivery order
//! with one seek, however many other endpoints (or it itself) have queued;
//! it also serves what `(tenant_id, section, state)` served, which goes,
//! and with `attempts` the tab's counts are read from it alone.
//! The wide due index of migration 9 goes too: nothing looks across
//! endpoints in due order any more, and `(state, next_attempt_at)` is
//! enough for the queue's depth and age (`/metrics`) and the purge.

use sea_orm_migration::prelude::*;

use crate::steps::{create_index, drop_index_if_exists};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum Events {
    Table,
    State,
    NextAttemptAt,
    Id,
    TenantId,
    Section,
    LeaseUntil,
    Attempts,
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        use Events::*;
        let endpoint = [TenantId, Section, State, NextAttemptAt, Id, Attempts];
        let due = [State, NextAttemptAt];
        create_index(manager, "idx_events_endpoint_due", Events::Table, endpoint).await?;
        create_index(manager, "idx_events_due", Events::Table, due).await?;
        drop_index_if_exists(manager, "idx_events_section_state", Events::Table).await?;
        drop_index_if_exists(manager, "idx_events_due_covering", Events::Table).await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        use Events::*;
        let covering = [State, NextAttemptAt, Id, TenantId, Section, LeaseUntil];
        let section = [TenantId, Section, State];
        create_index(manager, "idx_events_due_covering", Events::Table, covering).await?;
        create_index(manager, "idx_events_section_state", Events::Table, section).await?;
        drop_index_if_exists(manager, "idx_events_due", Events::Table).await?;
        drop_index_if_exists(manager, "idx_events_endpoint_due", Events::Table).await
    }
}
