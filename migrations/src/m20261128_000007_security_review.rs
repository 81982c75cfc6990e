//! What the security review changed in storage:
//! - `rate_limit_hits`: attempts counted *before* the work they guard
//!   (sign-ins, test sends), replacing `sign_in_failures`, which counted
//!   failures after the fact and let a concurrent burst through.
//! - `sign_in_addresses`: the networks an administrator has signed in from,
//!   so strangers who exhaust an account's attempts do not lock its owner out.
//! - Sessions are now stored under a hash of their id: the ids stored so
//!   far are cookie values and are dropped (everyone signs in once more).
//! - Test sends are no longer reserved as `pending` rows; stale ones go.

use sea_orm_migration::{prelude::*, schema::*};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum RateLimitHits {
    Table,
    Id,
    Key,
    At,
}

#[derive(DeriveIden)]
enum SignInAddresses {
    Table,
    UserId,
    Network,
    LastSignedInAt,
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
                    .table(RateLimitHits::Table)
                    .if_not_exists()
                    .col(big_pk_auto(RateLimitHits::Id))
                    // `sign-in:account:<name>`, `sign-in:ip:<network>`,
                    // `test-send:tenant:<id>`, …
                    .col(string_len(RateLimitHits::Key, 200))
                    .col(timestamp_with_time_zone(RateLimitHits::At))
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .if_not_exists()
                    .name("idx_rate_limit_hits_key_at")
                    .table(RateLimitHits::Table)
                    .col(RateLimitHits::Key)
                    .col(RateLimitHits::At)
                    .to_owned(),
            )
            .await?;
        manager
            .drop_table(
                Table::drop()
                    .table(Alias::new("sign_in_failures"))
                    .if_exists()
                    .to_owned(),
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table(SignInAddresses::Table)
                    .if_not_exists()
                    .col(integer(SignInAddresses::UserId))
                    // An IPv4 address or an IPv6 /64, as text.
                    .col(string_len(SignInAddresses::Network, 64))
                    .col(timestamp_with_time_zone(SignInAddresses::LastSignedInAt))
                    .primary_key(
                        Index::create()
                            .col(SignInAddresses::UserId)
                            .col(SignInAddresses::Network),
                    )
                    .foreign_key(
                        ForeignKey::create()
                            .from(SignInAddresses::Table, SignInAddresses::UserId)
                            .to(Users::Table, Users::Id)
                            .on_delete(ForeignKeyAction::Cascade),
                    )
                    .to_owned(),
            )
            .await?;
        let db = manager.get_connection();
        db.execute_unprepared("DELETE FROM sessions").await?;
        db.execute_unprepared("DELETE FROM test_sends WHERE outcome = 'pending'")
            .await?;
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .drop_table(
                Table::drop()
                    .table(SignInAddresses::Table)
                    .if_exists()
                    .to_owned(),
            )
            .await?;
        manager
            .drop_table(
                Table::drop()
                    .table(RateLimitHits::Table)
                    .if_exists()
                    .to_owned(),
            )
            .await
    }
}
