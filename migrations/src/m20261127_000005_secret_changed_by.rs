//! Who last changed an endpoint's secret (a name, kept even if the user
//! goes), and since when delivery has been on or off.

use sea_orm_migration::{prelude::*, schema::*};

use crate::steps::{add_columns, drop_columns};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum Endpoints {
    Table,
    SecretChangedBy,
    EnabledChangedAt,
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        add_columns(
            manager,
            Endpoints::Table,
            vec![
                string_len_null(Endpoints::SecretChangedBy, 64),
                timestamp_with_time_zone_null(Endpoints::EnabledChangedAt),
            ],
        )
        .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        let columns = [Endpoints::SecretChangedBy, Endpoints::EnabledChangedAt];
        drop_columns(manager, Endpoints::Table, columns).await
    }
}
