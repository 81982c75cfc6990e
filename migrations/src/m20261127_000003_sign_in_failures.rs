//! Failed sign-ins, per account and per client address, for throttling
//! across every instance that shares the database.

use sea_orm_migration::{prelude::*, schema::*};

use crate::steps::{create_index, drop_tables_if_exist, new_table};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum SignInFailures {
    Table,
    Id,
    Key,
    FailedAt,
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        let sign_in_failures = new_table(SignInFailures::Table)
            .col(pk_auto(SignInFailures::Id))
            // `account:<username>` or `ip:<address>`.
            .col(string_len(SignInFailures::Key, 200))
            .col(timestamp_with_time_zone(SignInFailures::FailedAt))
            .to_owned();
        manager.create_table(sign_in_failures).await?;
        create_index(
            manager,
            "idx_sign_in_failures_key_at",
            SignInFailures::Table,
            [SignInFailures::Key, SignInFailures::FailedAt],
        )
        .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        drop_tables_if_exist(manager, [SignInFailures::Table]).await
    }
}
