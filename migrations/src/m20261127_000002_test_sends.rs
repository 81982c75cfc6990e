//! The test sends of each endpoint: the last few per section, with what was
//! sent and what came back (secrets redacted), shown under the section.

use sea_orm_migration::{prelude::*, schema::*};

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

#[derive(DeriveIden)]
enum Tenants {
    Table,
    Id,
}

#[derive(DeriveIden)]
enum Users {
    Table,
    Id,
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table(TestSends::Table)
                    .if_not_exists()
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
                    .foreign_key(
                        ForeignKey::create()
                            .from(TestSends::Table, TestSends::TenantId)
                            .to(Tenants::Table, Tenants::Id)
                            .on_delete(ForeignKeyAction::Cascade),
                    )
                    .foreign_key(
                        ForeignKey::create()
                            .from(TestSends::Table, TestSends::SentBy)
                            .to(Users::Table, Users::Id)
                            .on_delete(ForeignKeyAction::SetNull),
                    )
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .if_not_exists()
                    .name("idx_test_sends_tenant_kind_id")
                    .table(TestSends::Table)
                    .col(TestSends::TenantId)
                    .col(TestSends::EndpointKind)
                    .col(TestSends::Id)
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .if_not_exists()
                    .name("idx_test_sends_tenant_sent_at")
                    .table(TestSends::Table)
                    .col(TestSends::TenantId)
                    .col(TestSends::SentAt)
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .drop_table(Table::drop().table(TestSends::Table).if_exists().to_owned())
            .await
    }
}
