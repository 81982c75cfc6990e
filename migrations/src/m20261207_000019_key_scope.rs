//! Ingest keys bound to tenants: a key posts for every tenant
//! (`all_tenants`, what every key made before this did, so existing keys
//! keep working) or only for the tenants listed in `ingest_key_tenants`.

use sea_orm_migration::{prelude::*, schema::*};

use crate::steps::{
    add_columns, cascade, create_index, drop_columns, drop_tables, new_table, primary_key,
};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum IngestKeyTenants {
    Table,
    KeyId,
    TenantId,
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    fn use_transaction(&self) -> Option<bool> {
        Some(true)
    }

    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        add_columns(
            manager,
            "ingest_keys",
            vec![boolean(Alias::new("all_tenants")).default(true).to_owned()],
        )
        .await?;
        let ingest_key_tenants = new_table(IngestKeyTenants::Table)
            .col(integer(IngestKeyTenants::KeyId))
            .col(integer(IngestKeyTenants::TenantId))
            .primary_key(&mut primary_key([
                IngestKeyTenants::KeyId,
                IngestKeyTenants::TenantId,
            ]))
            .foreign_key(&mut cascade(IngestKeyTenants::KeyId, "ingest_keys"))
            .foreign_key(&mut cascade(IngestKeyTenants::TenantId, "tenants"))
            .to_owned();
        manager.create_table(ingest_key_tenants).await?;
        // The other direction, for a tenant's deletion's cascade.
        create_index(
            manager,
            "idx_ingest_key_tenants_tenant",
            IngestKeyTenants::Table,
            [IngestKeyTenants::TenantId],
        )
        .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        drop_tables(manager, [IngestKeyTenants::Table]).await?;
        drop_columns(manager, "ingest_keys", ["all_tenants"]).await
    }
}
