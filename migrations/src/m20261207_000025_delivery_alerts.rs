//! Alert emails about failing sections: per endpoint, since when its
//! attempts have failed without a delivery (`failing_since`), when its
//! last alert was emailed (at most one an hour) and its current incident
//! (`incident`: NULL none, `noted` announced, `mailed` emailed, so that its
//! recovery is emailed too); per
//! person, whether they want these emails (`delivery_alerts`, on unless
//! they switch it off in My account).

use sea_orm_migration::{prelude::*, schema::*};

use crate::steps::{add_columns, drop_columns};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum Endpoints {
    Table,
    FailingSince,
    AlertMailedAt,
    Incident,
}

#[derive(DeriveIden)]
enum Users {
    Table,
    DeliveryAlerts,
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    fn use_transaction(&self) -> Option<bool> {
        Some(true)
    }

    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        add_columns(
            manager,
            Endpoints::Table,
            vec![
                timestamp_with_time_zone_null(Endpoints::FailingSince),
                timestamp_with_time_zone_null(Endpoints::AlertMailedAt),
                string_len_null(Endpoints::Incident, 16),
            ],
        )
        .await?;
        add_columns(
            manager,
            Users::Table,
            vec![boolean(Users::DeliveryAlerts).default(true).to_owned()],
        )
        .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        drop_columns(manager, Users::Table, [Users::DeliveryAlerts]).await?;
        drop_columns(
            manager,
            Endpoints::Table,
            [
                Endpoints::FailingSince,
                Endpoints::AlertMailedAt,
                Endpoints::Incident,
            ],
        )
        .await
    }
}
