//! Standard Webhooks signing: each endpoint's signing secret (`whsec_…`,
//! AEAD-encrypted like its credentials), and during a rotation's grace the
//! previous one with the time it stops signing. The server gives every
//! endpoint without a secret one at start, right after the migrations
//! (the key that encrypts it is the server's, not the migration's).

use sea_orm_migration::{prelude::*, schema::*};

use crate::steps::{add_columns, drop_columns};

#[derive(DeriveMigrationName)]
pub struct Migration;

const COLUMNS: [&str; 4] = [
    "signing_secret",
    "signing_previous",
    "signing_previous_until",
    "signing_rotated_at",
];

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        add_columns(
            manager,
            "endpoints",
            vec![
                ColumnDef::new(Alias::new(COLUMNS[0]))
                    .binary()
                    .null()
                    .to_owned(),
                ColumnDef::new(Alias::new(COLUMNS[1]))
                    .binary()
                    .null()
                    .to_owned(),
                timestamp_with_time_zone_null(Alias::new(COLUMNS[2])),
                timestamp_with_time_zone_null(Alias::new(COLUMNS[3])),
            ],
        )
        .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        drop_columns(manager, "endpoints", COLUMNS).await
    }
}
