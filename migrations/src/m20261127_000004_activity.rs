//! The activity log: who did what, when and from where, per tenant. The app
//! only ever inserts into it.

use sea_orm_migration::{prelude::*, schema::*};

use crate::steps::{create_index, drop_tables_if_exist, new_table};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum Activity {
    Table,
    Id,
    TenantId,
    OccurredAt,
    ActorId,
    Actor,
    SourceIp,
    Kind,
    Section,
    Summary,
    Changes,
    Version,
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        let activity = new_table(Activity::Table)
            .col(big_pk_auto(Activity::Id))
            // None for events of no tenant (a sign-in as nobody).
            .col(integer_null(Activity::TenantId))
            .col(timestamp_with_time_zone(Activity::OccurredAt))
            // No foreign keys: the log outlives users it names.
            .col(integer_null(Activity::ActorId))
            .col(string_len(Activity::Actor, 64))
            .col(string_len_null(Activity::SourceIp, 64))
            .col(string_len(Activity::Kind, 32))
            .col(string_len_null(Activity::Section, 16))
            .col(text(Activity::Summary))
            .col(text(Activity::Changes))
            // The endpoint's version after the change, when it made one.
            .col(big_integer_null(Activity::Version))
            .to_owned();
        manager.create_table(activity).await?;
        create_index(
            manager,
            "idx_activity_tenant_id",
            Activity::Table,
            [Activity::TenantId, Activity::Id],
        )
        .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        drop_tables_if_exist(manager, [Activity::Table]).await
    }
}
