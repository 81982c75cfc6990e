//! Failed sign-ins, per account and per client address, for throttling
//! across every instance that shares the database.

use sea_orm_migration::{prelude::*, schema::*};

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
        manager
            .create_table(
                Table::create()
                    .table(SignInFailures::Table)
                    .if_not_exists()
                    .col(pk_auto(SignInFailures::Id))
                    // `account:<username>` or `ip:<address>`.
                    .col(string_len(SignInFailures::Key, 200))
                    .col(timestamp_with_time_zone(SignInFailures::FailedAt))
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .if_not_exists()
                    .name("idx_sign_in_failures_key_at")
                    .table(SignInFailures::Table)
                    .col(SignInFailures::Key)
                    .col(SignInFailures::FailedAt)
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .drop_table(
                Table::drop()
                    .table(SignInFailures::Table)
                    .if_exists()
                    .to_owned(),
            )
            .await
    }
}
