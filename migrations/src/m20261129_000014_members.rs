//! People of a tenant: each member's role (`administrator` manages
//! everything, `viewer` only reads) and last sign-in, and one-time
//! invitations (only a SHA-256 of each link's token is kept).

use sea_orm_migration::{prelude::*, schema::*};

use crate::steps::{
    add_columns_unguarded, cascade, create_index, drop_columns, drop_tables, new_table, set_null,
};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum Users {
    Table,
    Role,
    LastSignedInAt,
}

#[derive(DeriveIden)]
enum Invitations {
    Table,
    Id,
    TenantId,
    Role,
    TokenHash,
    CreatedBy,
    CreatedByName,
    CreatedAt,
    ExpiresAt,
    AcceptedAt,
    AcceptedUsername,
    RevokedAt,
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    /// All or nothing on SQLite too (see the API tokens' migration).
    fn use_transaction(&self) -> Option<bool> {
        Some(true)
    }

    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        // Everyone there before roles existed manages their tenant.
        add_columns_unguarded(
            manager,
            Users::Table,
            vec![
                string_len(Users::Role, 16)
                    .default("administrator")
                    .to_owned(),
                timestamp_with_time_zone_null(Users::LastSignedInAt),
            ],
        )
        .await?;
        let invitations = new_table(Invitations::Table)
            .col(pk_auto(Invitations::Id))
            .col(integer(Invitations::TenantId))
            // `administrator` | `viewer`
            .col(string_len(Invitations::Role, 16))
            // SHA-256, hex: the link's token is looked up by it.
            .col(string_len_uniq(Invitations::TokenHash, 64))
            .col(integer_null(Invitations::CreatedBy))
            // Kept as text: the inviter may be removed later.
            .col(string_len(Invitations::CreatedByName, 64))
            .col(timestamp_with_time_zone(Invitations::CreatedAt))
            .col(timestamp_with_time_zone(Invitations::ExpiresAt))
            .col(timestamp_with_time_zone_null(Invitations::AcceptedAt))
            .col(string_len_null(Invitations::AcceptedUsername, 64))
            .col(timestamp_with_time_zone_null(Invitations::RevokedAt))
            .foreign_key(&mut cascade(Invitations::TenantId, "tenants"))
            .foreign_key(&mut set_null(Invitations::CreatedBy, Users::Table))
            .to_owned();
        manager.create_table(invitations).await?;
        create_index(
            manager,
            "idx_invitations_tenant",
            Invitations::Table,
            [Invitations::TenantId],
        )
        .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        drop_tables(manager, [Invitations::Table]).await?;
        drop_columns(manager, Users::Table, [Users::LastSignedInAt, Users::Role]).await
    }
}
