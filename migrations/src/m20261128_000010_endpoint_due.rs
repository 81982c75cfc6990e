//! Due events are found per endpoint: `(tenant_id, section, state,
//! next_attempt_at, id)` gives an endpoint's due events in delivery order
//! with one seek, however many other endpoints (or it itself) have queued;
//! it also serves what `(tenant_id, section, state)` served, which goes,
//! and with `attempts` the tab's counts are read from it alone.
//! The wide due index of migration 9 goes too: nothing looks across
//! endpoints in due order any more, and `(state, next_attempt_at)` is
//! enough for the queue's depth and age (`/metrics`) and the purge.

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
    Attempts,
}

fn create(name: &str, columns: Vec<Events>) -> IndexCreateStatement {
    let mut index = Index::create();
    index.if_not_exists().name(name).table(Events::Table);
    for column in columns {
        index.col(column);
    }
    index.to_owned()
}

fn drop(name: &str) -> IndexDropStatement {
    Index::drop()
        .if_exists()
        .name(name)
        .table(Events::Table)
        .to_owned()
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        use Events::*;
        manager
            .create_index(create(
                "idx_events_endpoint_due",
                vec![TenantId, Section, State, NextAttemptAt, Id, Attempts],
            ))
            .await?;
        manager
            .create_index(create("idx_events_due", vec![State, NextAttemptAt]))
            .await?;
        manager.drop_index(drop("idx_events_section_state")).await?;
        manager.drop_index(drop("idx_events_due_covering")).await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        use Events::*;
        manager
            .create_index(create(
                "idx_events_due_covering",
                vec![State, NextAttemptAt, Id, TenantId, Section, LeaseUntil],
            ))
            .await?;
        manager
            .create_index(create(
                "idx_events_section_state",
                vec![TenantId, Section, State],
            ))
            .await?;
        manager.drop_index(drop("idx_events_due")).await?;
        manager.drop_index(drop("idx_events_endpoint_due")).await
    }
}
