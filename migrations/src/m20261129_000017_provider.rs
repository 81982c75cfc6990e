//! The provider's side: its operators (accounts that manage tenants, not
//! members of any), a tenant's suspension, and the operators' own
//! activity log.

use sea_orm_migration::{prelude::*, schema::*};

use crate::steps::{
    add_columns_unguarded, create_index, drop_columns, drop_tables, new_table, set_null,
};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum Tenants {
    Table,
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
        let suspended_at = timestamp_with_time_zone_null(Tenants::SuspendedAt);
        add_columns_unguarded(manager, Tenants::Table, vec![suspended_at]).await?;
        let operator_id = integer_null(Sessions::OperatorId);
        add_columns_unguarded(manager, Sessions::Table, vec![operator_id]).await?;
        let operators = new_table(Operators::Table)
            .col(pk_auto(Operators::Id))
            .col(string_len_uniq(Operators::Username, 64))
            .col(string(Operators::PasswordHash))
            .col(timestamp_with_time_zone(Operators::CreatedAt))
            .col(timestamp_with_time_zone_null(Operators::LastSignedInAt))
            .col(string_len_null(Operators::LastNetwork, 64))
            .to_owned();
        manager.create_table(operators).await?;
        let operator_activity = new_table(OperatorActivity::Table)
            .col(pk_auto(OperatorActivity::Id).big_integer())
            .col(timestamp_with_time_zone(OperatorActivity::OccurredAt))
            .col(integer_null(OperatorActivity::OperatorId))
            .col(string_len(OperatorActivity::Operator, 64))
            .col(string_len_null(OperatorActivity::Ip, 45))
            .col(string_len(OperatorActivity::Kind, 40))
            .col(integer_null(OperatorActivity::TenantId))
            .col(string_len_null(OperatorActivity::TenantName, 100))
            .col(string_len(OperatorActivity::Summary, 500))
            .foreign_key(&mut set_null(
                OperatorActivity::OperatorId,
                Operators::Table,
            ))
            .foreign_key(&mut set_null(OperatorActivity::TenantId, Tenants::Table))
            .to_owned();
        manager.create_table(operator_activity).await?;
        create_index(
            manager,
            "idx_operator_activity_occurred",
            OperatorActivity::Table,
            [OperatorActivity::OccurredAt],
        )
        .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        drop_tables(
            manager,
            [
                OperatorActivity::Table.into_iden(),
                Operators::Table.into_iden(),
            ],
        )
        .await?;
        drop_columns(manager, Sessions::Table, [Sessions::OperatorId]).await?;
        drop_columns(manager, Tenants::Table, [Tenants::SuspendedAt]).await
    }
}
