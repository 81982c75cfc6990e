//! The due-events index covers what a claim reads: `(state,
//! next_attempt_at, id)`, the claim's order, plus the endpoint
//! (`tenant_id`, `section`) and the lease. A claim that skips endpoints
//! already busy in this instance reads past their due events in the index
//! alone, not row by row in the table.

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
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        use Events::*;
        let covering = [State, NextAttemptAt, Id, TenantId, Section, LeaseUntil];
        create_index(manager, "idx_events_due_covering", Events::Table, covering).await?;
        drop_index_if_exists(manager, "idx_events_due", Events::Table).await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        use Events::*;
        let due = [State, NextAttemptAt];
        create_index(manager, "idx_events_due", Events::Table, due).await?;
        drop_index_if_exists(manager, "idx_events_due_covering", Events::Table).await
    }
}
