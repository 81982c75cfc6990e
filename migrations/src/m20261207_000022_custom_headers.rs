//! A section's own request headers: `custom_headers` holds them as JSON
//! (`[{"name": "X-Env", "value": "prod"}, {"name": "X-Key", "secret":
//! true}]`, a secret one without its value), `header_secrets` the secret
//! values, AEAD-encrypted together and bound to the tenant and section.

use sea_orm_migration::{prelude::*, schema::*};

use crate::steps::{add_columns, drop_columns};

#[derive(DeriveMigrationName)]
pub struct Migration;

const COLUMNS: [&str; 2] = ["custom_headers", "header_secrets"];

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        add_columns(
            manager,
            "endpoints",
            vec![
                text_null(Alias::new(COLUMNS[0])),
                ColumnDef::new(Alias::new(COLUMNS[1]))
                    .binary()
                    .null()
                    .to_owned(),
            ],
        )
        .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        drop_columns(manager, "endpoints", COLUMNS).await
    }
}
