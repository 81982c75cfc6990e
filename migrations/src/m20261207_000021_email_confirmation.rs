//! Confirmed email addresses: a member's new address waits in
//! `pending_email` (with the SHA-256 of its one-time confirmation link and
//! when the link ends) until the link sent there is used; `email` stays
//! the confirmed address, the only one reset links and notices go to.
//! Addresses already set count as confirmed (they were already in use).

use sea_orm_migration::{prelude::*, schema::*};

use crate::steps::{add_columns_unguarded, drop_columns, drop_index, index};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum Users {
    Table,
    PendingEmail,
    PendingEmailTokenHash,
    PendingEmailExpiresAt,
}

const TOKEN_INDEX: &str = "idx_users_pending_email_token";

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
                string_len_null(Users::PendingEmail, 254),
                string_len_null(Users::PendingEmailTokenHash, 64),
                timestamp_with_time_zone_null(Users::PendingEmailExpiresAt),
            ],
        )
        .await?;
        manager
            .create_index(
                index(TOKEN_INDEX, Users::Table, [Users::PendingEmailTokenHash])
                    .unique()
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        drop_index(manager, TOKEN_INDEX, Users::Table).await?;
        let columns = [
            Users::PendingEmailExpiresAt,
            Users::PendingEmailTokenHash,
            Users::PendingEmail,
        ];
        drop_columns(manager, Users::Table, columns).await
    }
}
