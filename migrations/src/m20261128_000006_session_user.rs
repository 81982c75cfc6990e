//! The administrator a session belongs to, as a column: a signed-in request
//! reads its session, administrator and tenant in one join.

use sea_orm_migration::{prelude::*, schema::*};

use crate::steps::{add_columns, create_index, drop_columns, drop_index};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum Sessions {
    Table,
    UserId,
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        add_columns(
            manager,
            Sessions::Table,
            vec![integer_null(Sessions::UserId)],
        )
        .await?;
        create_index(
            manager,
            "idx_sessions_user_id",
            Sessions::Table,
            [Sessions::UserId],
        )
        .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        drop_index(manager, "idx_sessions_user_id", Sessions::Table).await?;
        drop_columns(manager, Sessions::Table, [Sessions::UserId]).await
    }
}
