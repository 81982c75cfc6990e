//! Who last changed an endpoint's secret (a name, kept even if the user
//! goes), and since when delivery has been on or off.

use sea_orm_migration::{prelude::*, schema::*};

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
        // One column per statement: SQLite alters one at a time.
        if !manager.has_column("endpoints", "secret_changed_by").await? {
            manager
                .alter_table(
                    Table::alter()
                        .table(Endpoints::Table)
                        .add_column(string_len_null(Endpoints::SecretChangedBy, 64))
                        .to_owned(),
                )
                .await?;
        }
        if !manager
            .has_column("endpoints", "enabled_changed_at")
            .await?
        {
            manager
                .alter_table(
                    Table::alter()
                        .table(Endpoints::Table)
                        .add_column(timestamp_with_time_zone_null(Endpoints::EnabledChangedAt))
                        .to_owned(),
                )
                .await?;
        }
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        for column in [Endpoints::SecretChangedBy, Endpoints::EnabledChangedAt] {
            manager
                .alter_table(
                    Table::alter()
                        .table(Endpoints::Table)
                        .drop_column(column)
                        .to_owned(),
                )
                .await?;
        }
        Ok(())
    }
}
