//! Per-endpoint limits: `max_concurrency` (attempts under way at once,
//! 1–64) and `max_per_second` (NULL: no rate limit). And
//! `endpoint_workers`: which instance delivers an endpoint's events, until
//! when (renewed with each claim), so that the limits hold across
//! instances: only the holder claims that endpoint's events.

use sea_orm_migration::{prelude::*, schema::*};

use crate::steps::{add_columns, drop_columns, drop_tables, new_table, primary_key};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum Endpoints {
    Table,
    MaxConcurrency,
    MaxPerSecond,
}

#[derive(DeriveIden)]
enum EndpointWorkers {
    Table,
    TenantId,
    Section,
    Worker,
    Until,
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    fn use_transaction(&self) -> Option<bool> {
        Some(true)
    }

    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        add_columns(
            manager,
            Endpoints::Table,
            vec![
                integer(Endpoints::MaxConcurrency).default(8).to_owned(),
                integer_null(Endpoints::MaxPerSecond),
            ],
        )
        .await?;
        let workers = new_table(EndpointWorkers::Table)
            .col(integer(EndpointWorkers::TenantId))
            .col(string_len(EndpointWorkers::Section, 16))
            .col(string_len(EndpointWorkers::Worker, 64))
            .col(timestamp_with_time_zone(EndpointWorkers::Until))
            .primary_key(&mut primary_key([
                EndpointWorkers::TenantId,
                EndpointWorkers::Section,
            ]))
            .to_owned();
        manager.create_table(workers).await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        drop_tables(manager, [EndpointWorkers::Table]).await?;
        drop_columns(
            manager,
            Endpoints::Table,
            [Endpoints::MaxConcurrency, Endpoints::MaxPerSecond],
        )
        .await
    }
}
