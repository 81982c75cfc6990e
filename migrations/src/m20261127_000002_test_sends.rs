//! The test sends of each endpoint: the last few per section, with what was
//! sent and what came back (secrets redacted), shown under the section.

use sea_orm_migration::{prelude::*, schema::*};

use crate::steps::{cascade, create_index, drop_tables_if_exist, new_table, set_null};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum TestSends {
    Table,
    Id,
    TenantId,
    EndpointKind,
    SentAt,
    SentBy,
    SentByName,
    EventType,
    TargetUrl,
    AuthMethod,
    Username,
    Outcome,
    StatusCode,
    DurationMs,
    Body,
    Report,
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        let test_sends = new_table(TestSends::Table)
            .col(pk_auto(TestSends::Id))
            .col(integer(TestSends::TenantId))
            .col(string_len(TestSends::EndpointKind, 16))
            .col(timestamp_with_time_zone(TestSends::SentAt))
            .col(integer_null(TestSends::SentBy))
            .col(string_len(TestSends::SentByName, 64))
            .col(string_len(TestSends::EventType, 32))
            .col(string_len(TestSends::TargetUrl, 2048))
            .col(string_len(TestSends::AuthMethod, 16))
            .col(string_len_null(TestSends::Username, 128))
            // `pending` while the send runs, then the verdict.
            .col(string_len(TestSends::Outcome, 16))
            .col(integer_null(TestSends::StatusCode))
            .col(big_integer_null(TestSends::DurationMs))
            .col(text(TestSends::Body))
            .col(text(TestSends::Report))
            .foreign_key(&mut cascade(TestSends::TenantId, "tenants"))
            .foreign_key(&mut set_null(TestSends::SentBy, "users"))
            .to_owned();
        manager.create_table(test_sends).await?;
        create_index(
            manager,
            "idx_test_sends_tenant_kind_id",
            TestSends::Table,
            [TestSends::TenantId, TestSends::EndpointKind, TestSends::Id],
        )
        .await?;
        create_index(
            manager,
            "idx_test_sends_tenant_sent_at",
            TestSends::Table,
            [TestSends::TenantId, TestSends::SentAt],
        )
        .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        drop_tables_if_exist(manager, [TestSends::Table]).await
    }
}
