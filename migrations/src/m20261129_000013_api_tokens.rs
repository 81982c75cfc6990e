//! Tenant API tokens for the REST API (`/api/*`): only a SHA-256 of each
//! token is kept; a token acts for the tenant with its scope, in the name
//! of the administrator who created it.

use sea_orm_migration::{prelude::*, schema::*};

use crate::steps::{cascade, create_index, drop_tables_if_exist, new_table};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum ApiTokens {
    Table,
    Id,
    TenantId,
    Name,
    Scope,
    TokenHash,
    CreatedBy,
    CreatedAt,
    ExpiresAt,
    LastUsedAt,
    LastUsedIp,
    RevokedAt,
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    /// All or nothing on SQLite too (sea-orm-migration wraps only
    /// PostgreSQL's by default): a crash half-way must not leave a schema a
    /// rerun cannot migrate.
    fn use_transaction(&self) -> Option<bool> {
        Some(true)
    }

    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        let api_tokens = new_table(ApiTokens::Table)
            .col(pk_auto(ApiTokens::Id))
            .col(integer(ApiTokens::TenantId))
            .col(string_len(ApiTokens::Name, 64))
            // `read` | `write`
            .col(string_len(ApiTokens::Scope, 16))
            // SHA-256, hex: the token is looked up by it.
            .col(string_len_uniq(ApiTokens::TokenHash, 64))
            .col(integer(ApiTokens::CreatedBy))
            .col(timestamp_with_time_zone(ApiTokens::CreatedAt))
            .col(timestamp_with_time_zone_null(ApiTokens::ExpiresAt))
            .col(timestamp_with_time_zone_null(ApiTokens::LastUsedAt))
            .col(string_len_null(ApiTokens::LastUsedIp, 64))
            .col(timestamp_with_time_zone_null(ApiTokens::RevokedAt))
            .foreign_key(&mut cascade(ApiTokens::TenantId, "tenants"))
            .foreign_key(&mut cascade(ApiTokens::CreatedBy, "users"))
            .to_owned();
        manager.create_table(api_tokens).await?;
        // The tab lists a tenant's tokens.
        create_index(
            manager,
            "idx_api_tokens_tenant",
            ApiTokens::Table,
            [ApiTokens::TenantId, ApiTokens::Id],
        )
        .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        drop_tables_if_exist(manager, [ApiTokens::Table]).await
    }
}
