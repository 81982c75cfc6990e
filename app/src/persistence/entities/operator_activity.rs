use sea_orm::entity::prelude::*;

/// One entry of the provider's activity log.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "operator_activity")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    pub occurred_at: TimeDateTimeWithTimeZone,
    pub operator_id: Option<i32>,
    pub operator: String,
    pub ip: Option<String>,
    pub kind: String,
    pub tenant_id: Option<i32>,
    pub tenant_name: Option<String>,
    pub summary: String,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
