//! Which event types a section delivers: `event_types` holds the chosen
//! PortSIP type names as JSON (`["call_cdr"]`); NULL, all of them.

use sea_orm_migration::{prelude::*, schema::*};

use crate::steps::{add_columns, drop_columns};

#[derive(DeriveMigrationName)]
pub struct Migration;

const COLUMN: &str = "event_types";

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        add_columns(manager, "endpoints", vec![text_null(Alias::new(COLUMN))]).await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        drop_columns(manager, "endpoints", [COLUMN]).await
    }
}
