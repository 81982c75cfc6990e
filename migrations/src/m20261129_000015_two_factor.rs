//! Two-factor sign-in: a member's TOTP secret (encrypted like endpoint
//! secrets), when they confirmed it, the last time step used (a code is
//! good once), their one-time recovery codes (SHA-256 only), and the
//! tenant's "require two-factor sign-in for everyone".

use sea_orm_migration::{prelude::*, schema::*};

use crate::steps::{
    add_columns_unguarded, cascade, create_index, drop_columns, drop_tables, new_table,
};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum Users {
    Table,
    TotpSecret,
    TotpConfirmedAt,
    TotpLastStep,
}

#[derive(DeriveIden)]
enum Tenants {
    Table,
    RequireTwoFactor,
}

#[derive(DeriveIden)]
enum RecoveryCodes {
    Table,
    Id,
    UserId,
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
            Users::Table,
            vec![
                ColumnDef::new(Users::TotpSecret).binary().null().to_owned(),
                timestamp_with_time_zone_null(Users::TotpConfirmedAt),
                big_integer_null(Users::TotpLastStep),
            ],
        )
        .await?;
        let require = boolean(Tenants::RequireTwoFactor).default(false).to_owned();
        add_columns_unguarded(manager, Tenants::Table, vec![require]).await?;
        let recovery_codes = new_table(RecoveryCodes::Table)
            .col(pk_auto(RecoveryCodes::Id))
            .col(integer(RecoveryCodes::UserId))
            .col(string_len(RecoveryCodes::CodeHash, 64))
            .col(timestamp_with_time_zone_null(RecoveryCodes::UsedAt))
            .foreign_key(&mut cascade(RecoveryCodes::UserId, Users::Table))
            .to_owned();
        manager.create_table(recovery_codes).await?;
        create_index(
            manager,
            "idx_recovery_codes_user",
            RecoveryCodes::Table,
            [RecoveryCodes::UserId],
        )
        .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        drop_tables(manager, [RecoveryCodes::Table]).await?;
        drop_columns(manager, Tenants::Table, [Tenants::RequireTwoFactor]).await?;
        let totp = [
            Users::TotpLastStep,
            Users::TotpConfirmedAt,
            Users::TotpSecret,
        ];
        drop_columns(manager, Users::Table, totp).await
    }
}
