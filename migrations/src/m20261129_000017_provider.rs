//! The provider's side: its operators (accounts that manage tenants, not
//! members of any), a tenant's suspension, and the operators' own
//! activity log.

use sea_orm_migration::{prelude::*, schema::*};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum Tenants {
    Table,
    Id,
    SuspendedAt,
}

#[derive(DeriveIden)]
enum Operators {
    Table,
    Id,
    Username,
    PasswordHash,
    CreatedAt,
    LastSignedInAt,
    LastNetwork,
}

#[derive(DeriveIden)]
enum OperatorActivity {
    Table,
    Id,
    OccurredAt,
    OperatorId,
    Operator,
    Ip,
    Kind,
    TenantId,
    TenantName,
    Summary,
}

#[derive(DeriveIden)]
enum Sessions {
    Table,
    OperatorId,
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    fn use_transaction(&self) -> Option<bool> {
        Some(true)
    }

    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .alter_table(
                Table::alter()
                    .table(Tenants::Table)
                    .add_column(timestamp_with_time_zone_null(Tenants::SuspendedAt))
                    .to_owned(),
            )
            .await?;
        manager
            .alter_table(
                Table::alter()
                    .table(Sessions::Table)
                    .add_column(integer_null(Sessions::OperatorId))
                    .to_owned(),
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table(Operators::Table)
                    .if_not_exists()
                    .col(pk_auto(Operators::Id))
                    .col(string_len_uniq(Operators::Username, 64))
                    .col(string(Operators::PasswordHash))
                    .col(timestamp_with_time_zone(Operators::CreatedAt))
                    .col(timestamp_with_time_zone_null(Operators::LastSignedInAt))
                    .col(string_len_null(Operators::LastNetwork, 64))
                    .to_owned(),
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table(OperatorActivity::Table)
                    .if_not_exists()
                    .col(pk_auto(OperatorActivity::Id).big_integer())
                    .col(timestamp_with_time_zone(OperatorActivity::OccurredAt))
                    .col(integer_null(OperatorActivity::OperatorId))
                    .col(string_len(OperatorActivity::Operator, 64))
                    .col(string_len_null(OperatorActivity::Ip, 45))
                    .col(string_len(OperatorActivity::Kind, 40))
                    .col(integer_null(OperatorActivity::TenantId))
                    .col(string_len_null(OperatorActivity::TenantName, 100))
                    .col(string_len(OperatorActivity::Summary, 500))
                    .foreign_key(
                        ForeignKey::create()
                            .from(OperatorActivity::Table, OperatorActivity::OperatorId)
                            .to(Operators::Table, Operators::Id)
                            .on_delete(ForeignKeyAction::SetNull),
                    )
                    .foreign_key(
                        ForeignKey::create()
                            .from(OperatorActivity::Table, OperatorActivity::TenantId)
                            .to(Tenants::Table, Tenants::Id)
                            .on_delete(ForeignKeyAction::SetNull),
                    )
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .if_not_exists()
                    .name("idx_operator_activity_occurred")
                    .table(OperatorActivity::Table)
                    .col(OperatorActivity::OccurredAt)
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .drop_table(Table::drop().table(OperatorActivity::Table).to_owned())
            .await?;
        manager
            .drop_table(Table::drop().table(Operators::Table).to_owned())
            .await?;
        manager
            .alter_table(
                Table::alter()
                    .table(Sessions::Table)
                    .drop_column(Sessions::OperatorId)
                    .to_owned(),
            )
            .await?;
        manager
            .alter_table(
                Table::alter()
                    .table(Tenants::Table)
                    .drop_column(Tenants::SuspendedAt)
                    .to_owned(),
            )
            .await
    }
}
