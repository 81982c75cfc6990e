use sea_orm::entity::prelude::*;

/// One attempt to deliver an event: where, how, what came back.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "delivery_attempts")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    pub event_id: i64,
    pub attempted_at: TimeDateTimeWithTimeZone,
    pub url: String,
    pub auth_method: String,
    pub duration_ms: i64,
    pub status: Option<i32>,
    pub outcome: String,
    pub error: Option<String>,
    /// A redelivery an administrator asked for.
    pub manual: bool,
    /// The request's headers as sent (`Authorization` redacted): JSON
    /// `[[name, value], …]`.
    pub request_headers: Option<String>,
    /// The answer's headers, the same way.
    pub response_headers: Option<String>,
    /// The answer's first 4 KB (a credential it echoed redacted).
    pub response_body: Option<String>,
    pub response_truncated: bool,
    /// What to fix, one line each.
    pub help: Option<String>,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
