//! Two-factor sign-in for provider operators, as members have it: their
//! TOTP secret (encrypted, bound to the operator), when they confirmed it,
//! the last time step used, and their one-time recovery codes (SHA-256).

use sea_orm_migration::{prelude::*, schema::*};

use crate::steps::{
    add_columns_unguarded, cascade, create_index, drop_columns, drop_tables, new_table,
};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum Operators {
    Table,
    TotpSecret,
    TotpConfirmedAt,
    TotpLastStep,
}

#[derive(DeriveIden)]
enum OperatorRecoveryCodes {
    Table,
    Id,
    OperatorId,
    CodeHash,
    UsedAt,
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    fn use_transaction(&self) -> Option<bool> {
        Some(true)
    }

    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        add_columns_unguarded(
            manager,
            Operators::Table,
            vec![
                ColumnDef::new(Operators::TotpSecret)
                    .binary()
                    .null()
                    .to_owned(),
                timestamp_with_time_zone_null(Operators::TotpConfirmedAt),
                big_integer_null(Operators::TotpLastStep),
            ],
        )
        .await?;
        let codes = new_table(OperatorRecoveryCodes::Table)
            .col(pk_auto(OperatorRecoveryCodes::Id))
            .col(integer(OperatorRecoveryCodes::OperatorId))
            .col(string_len(OperatorRecoveryCodes::CodeHash, 64))
            .col(timestamp_with_time_zone_null(OperatorRecoveryCodes::UsedAt))
            .foreign_key(&mut cascade(
                OperatorRecoveryCodes::OperatorId,
                Operators::Table,
            ))
            .to_owned();
        manager.create_table(codes).await?;
        create_index(
            manager,
            "idx_operator_recovery_codes_operator",
            OperatorRecoveryCodes::Table,
            [OperatorRecoveryCodes::OperatorId],
        )
        .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        drop_tables(manager, [OperatorRecoveryCodes::Table]).await?;
        let totp = [
            Operators::TotpLastStep,
            Operators::TotpConfirmedAt,
            Operators::TotpSecret,
        ];
        drop_columns(manager, Operators::Table, totp).await
    }
}
