use sea_orm::entity::prelude::*;

/// One test send of an endpoint. `report` is the JSON of what the admin
/// sees (request and response, `Authorization` redacted); `body` the event
/// exactly as sent, for sending it again. Neither ever holds a secret.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "test_sends")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i32,
    pub tenant_id: i32,
    pub endpoint_kind: String,
    pub sent_at: TimeDateTimeWithTimeZone,
    pub sent_by: Option<i32>,
    pub sent_by_name: String,
    pub event_type: String,
    pub target_url: String,
    pub auth_method: String,
    pub username: Option<String>,
    pub outcome: String,
    pub status_code: Option<i32>,
    pub duration_ms: Option<i64>,
    #[sea_orm(column_type = "Text")]
    pub body: String,
    #[sea_orm(column_type = "Text")]
    pub report: String,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {
    #[sea_orm(
        belongs_to = "super::tenant::Entity",
        from = "Column::TenantId",
        to = "super::tenant::Column::Id",
        on_delete = "Cascade"
    )]
    Tenant,
}

impl ActiveModelBehavior for ActiveModel {}
