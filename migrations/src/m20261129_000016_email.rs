//! Email: a member's address (for invitations, password resets and
//! notices), the address an invitation was sent to, and one-time password
//! reset links (only their SHA-256 kept), and the mail outbox: a letter is
//! queued in the transaction of the change it tells of and sent after
//! (its body encrypted, the row deleted once sent).

use sea_orm_migration::{prelude::*, schema::*};

use crate::steps::{
    add_columns_unguarded, cascade, create_index, drop_columns, drop_index, drop_tables, new_table,
};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum Users {
    Table,
    Email,
}

#[derive(DeriveIden)]
enum Invitations {
    Table,
    Email,
}

#[derive(DeriveIden)]
enum PasswordResets {
    Table,
    Id,
    UserId,
    TokenHash,
    CreatedAt,
    ExpiresAt,
    UsedAt,
}

#[derive(DeriveIden)]
enum MailOutbox {
    Table,
    Id,
    Recipient,
    Subject,
    Body,
    CreatedAt,
    NextAt,
    Attempts,
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    fn use_transaction(&self) -> Option<bool> {
        Some(true)
    }

    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        let email = string_len_null(Users::Email, 254);
        add_columns_unguarded(manager, Users::Table, vec![email]).await?;
        let invitation_email = string_len_null(Invitations::Email, 254);
        add_columns_unguarded(manager, Invitations::Table, vec![invitation_email]).await?;
        create_index(manager, "idx_users_email", Users::Table, [Users::Email]).await?;
        let password_resets = new_table(PasswordResets::Table)
            .col(pk_auto(PasswordResets::Id))
            .col(integer(PasswordResets::UserId))
            .col(string_len_uniq(PasswordResets::TokenHash, 64))
            .col(timestamp_with_time_zone(PasswordResets::CreatedAt))
            .col(timestamp_with_time_zone(PasswordResets::ExpiresAt))
            .col(timestamp_with_time_zone_null(PasswordResets::UsedAt))
            .foreign_key(&mut cascade(PasswordResets::UserId, Users::Table))
            .to_owned();
        manager.create_table(password_resets).await?;
        create_index(
            manager,
            "idx_password_resets_user",
            PasswordResets::Table,
            [PasswordResets::UserId],
        )
        .await?;
        let mail_outbox = new_table(MailOutbox::Table)
            .col(pk_auto(MailOutbox::Id))
            .col(string_len(MailOutbox::Recipient, 254))
            .col(string_len(MailOutbox::Subject, 200))
            .col(ColumnDef::new(MailOutbox::Body).binary().not_null())
            .col(timestamp_with_time_zone(MailOutbox::CreatedAt))
            .col(timestamp_with_time_zone(MailOutbox::NextAt))
            .col(integer(MailOutbox::Attempts).default(0))
            .to_owned();
        manager.create_table(mail_outbox).await?;
        create_index(
            manager,
            "idx_mail_outbox_next",
            MailOutbox::Table,
            [MailOutbox::NextAt],
        )
        .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        drop_tables(
            manager,
            [
                MailOutbox::Table.into_iden(),
                PasswordResets::Table.into_iden(),
            ],
        )
        .await?;
        drop_index(manager, "idx_users_email", Users::Table).await?;
        drop_columns(manager, Invitations::Table, [Invitations::Email]).await?;
        drop_columns(manager, Users::Table, [Users::Email]).await
    }
}
