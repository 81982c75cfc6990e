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

use crate::steps::{cascade, create_index, drop_tables_if_exist, new_table, primary_key};

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

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        let rate_limit_hits = new_table(RateLimitHits::Table)
            .col(big_pk_auto(RateLimitHits::Id))
            // `sign-in:account:<name>`, `sign-in:ip:<network>`,
            // `test-send:tenant:<id>`, …
            .col(string_len(RateLimitHits::Key, 200))
            .col(timestamp_with_time_zone(RateLimitHits::At))
            .to_owned();
        manager.create_table(rate_limit_hits).await?;
        create_index(
            manager,
            "idx_rate_limit_hits_key_at",
            RateLimitHits::Table,
            [RateLimitHits::Key, RateLimitHits::At],
        )
        .await?;
        drop_tables_if_exist(manager, ["sign_in_failures"]).await?;
        let sign_in_addresses = new_table(SignInAddresses::Table)
            .col(integer(SignInAddresses::UserId))
            // An IPv4 address or an IPv6 /64, as text.
            .col(string_len(SignInAddresses::Network, 64))
            .col(timestamp_with_time_zone(SignInAddresses::LastSignedInAt))
            .primary_key(&mut primary_key([
                SignInAddresses::UserId,
                SignInAddresses::Network,
            ]))
            .foreign_key(&mut cascade(SignInAddresses::UserId, "users"))
            .to_owned();
        manager.create_table(sign_in_addresses).await?;
        let db = manager.get_connection();
        db.execute_unprepared("DELETE FROM sessions").await?;
        db.execute_unprepared("DELETE FROM test_sends WHERE outcome = 'pending'")
            .await?;
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        drop_tables_if_exist(
            manager,
            [
                SignInAddresses::Table.into_iden(),
                RateLimitHits::Table.into_iden(),
            ],
        )
        .await
    }
}
