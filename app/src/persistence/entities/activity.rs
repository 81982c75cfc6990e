use sea_orm::entity::prelude::*;

/// One activity-log entry. `changes` is JSON: `[{"field", "old", "new"}]`,
/// never holding a secret (a secret change is "changed", not its value).
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "activity")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    pub tenant_id: Option<i32>,
    pub occurred_at: TimeDateTimeWithTimeZone,
    pub actor_id: Option<i32>,
    pub actor: String,
    pub source_ip: Option<String>,
    pub kind: String,
    pub section: Option<String>,
    #[sea_orm(column_type = "Text")]
    pub summary: String,
    #[sea_orm(column_type = "Text")]
    pub changes: String,
    pub version: Option<i64>,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
