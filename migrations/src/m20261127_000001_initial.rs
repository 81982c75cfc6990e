//! Tenants, their administrators, sessions, the two endpoints per tenant,
//! and instance settings.

use sea_orm_migration::{prelude::*, schema::*};

use crate::steps::{cascade, create_index, drop_tables_if_exist, index, new_table, set_null};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum Tenants {
    Table,
    Id,
    Name,
    CreatedAt,
}

#[derive(DeriveIden)]
enum Users {
    Table,
    Id,
    TenantId,
    Username,
    PasswordHash,
    CreatedAt,
}

#[derive(DeriveIden)]
enum Sessions {
    Table,
    Id,
    Data,
    ExpiresAt,
}

#[derive(DeriveIden)]
enum Endpoints {
    Table,
    Id,
    TenantId,
    Kind,
    AuthMethod,
    Url,
    Username,
    SecretKind,
    SecretCiphertext,
    SecretChangedAt,
    Enabled,
    Version,
    CreatedAt,
    UpdatedAt,
    UpdatedBy,
}

#[derive(DeriveIden)]
enum AppSettings {
    Table,
    Name,
    Value,
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        let tenants = new_table(Tenants::Table)
            .col(pk_auto(Tenants::Id))
            .col(string_len_uniq(Tenants::Name, 100))
            .col(timestamp_with_time_zone(Tenants::CreatedAt))
            .to_owned();
        manager.create_table(tenants).await?;
        let users = new_table(Users::Table)
            .col(pk_auto(Users::Id))
            .col(integer(Users::TenantId))
            .col(string_len_uniq(Users::Username, 64))
            .col(string(Users::PasswordHash))
            .col(timestamp_with_time_zone(Users::CreatedAt))
            .foreign_key(&mut cascade(Users::TenantId, Tenants::Table))
            .to_owned();
        manager.create_table(users).await?;
        let sessions = new_table(Sessions::Table)
            .col(string_len(Sessions::Id, 64).primary_key())
            .col(blob(Sessions::Data))
            .col(big_integer(Sessions::ExpiresAt))
            .to_owned();
        manager.create_table(sessions).await?;
        create_index(
            manager,
            "idx_sessions_expires_at",
            Sessions::Table,
            [Sessions::ExpiresAt],
        )
        .await?;
        let endpoints = new_table(Endpoints::Table)
            .col(pk_auto(Endpoints::Id))
            .col(integer(Endpoints::TenantId))
            .col(string_len(Endpoints::Kind, 16))
            .col(string_len(Endpoints::AuthMethod, 16))
            .col(string_len_null(Endpoints::Url, 2048))
            .col(string_len_null(Endpoints::Username, 128))
            .col(string_len_null(Endpoints::SecretKind, 16))
            .col(blob_null(Endpoints::SecretCiphertext))
            .col(timestamp_with_time_zone_null(Endpoints::SecretChangedAt))
            .col(boolean(Endpoints::Enabled))
            .col(big_integer(Endpoints::Version))
            .col(timestamp_with_time_zone(Endpoints::CreatedAt))
            .col(timestamp_with_time_zone(Endpoints::UpdatedAt))
            .col(integer_null(Endpoints::UpdatedBy))
            .foreign_key(&mut cascade(Endpoints::TenantId, Tenants::Table))
            .foreign_key(&mut set_null(Endpoints::UpdatedBy, Users::Table))
            .to_owned();
        manager.create_table(endpoints).await?;
        let tenant_kind = [Endpoints::TenantId, Endpoints::Kind];
        let mut statement = index("idx_endpoints_tenant_kind", Endpoints::Table, tenant_kind);
        manager.create_index(statement.unique().to_owned()).await?;
        let app_settings = new_table(AppSettings::Table)
            .col(string_len(AppSettings::Name, 64).primary_key())
            .col(blob(AppSettings::Value))
            .to_owned();
        manager.create_table(app_settings).await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        drop_tables_if_exist(
            manager,
            [
                AppSettings::Table.into_iden(),
                Endpoints::Table.into_iden(),
                Sessions::Table.into_iden(),
                Users::Table.into_iden(),
                Tenants::Table.into_iden(),
            ],
        )
        .await
    }
}
