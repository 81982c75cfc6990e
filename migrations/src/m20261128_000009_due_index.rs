//! The due-events index covers what a claim reads: `(state,
//! next_attempt_at, id)`, the claim's order, plus the endpoint
//! (`tenant_id`, `section`) and the lease. A claim that skips endpoints
//! already busy in this instance reads past their due events in the index
//! alone, not row by row in the table.

use sea_orm_migration::prelude::*;

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
        manager
            .create_index(
                Index::create()
                    .if_not_exists()
                    .name("idx_events_due_covering")
                    .table(Events::Table)
                    .col(Events::State)
                    .col(Events::NextAttemptAt)
                    .col(Events::Id)
                    .col(Events::TenantId)
                    .col(Events::Section)
                    .col(Events::LeaseUntil)
                    .to_owned(),
            )
            .await?;
        manager
            .drop_index(
                Index::drop()
                    .if_exists()
                    .name("idx_events_due")
                    .table(Events::Table)
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_index(
                Index::create()
                    .if_not_exists()
                    .name("idx_events_due")
                    .table(Events::Table)
                    .col(Events::State)
                    .col(Events::NextAttemptAt)
                    .to_owned(),
            )
            .await?;
        manager
            .drop_index(
                Index::drop()
                    .if_exists()
                    .name("idx_events_due_covering")
                    .table(Events::Table)
                    .to_owned(),
            )
            .await
    }
}
