use sea_orm::entity::prelude::*;

/// A search term found in an event (its call id, an extension number), as
/// a keyed hash: how the Deliveries tab finds events whose bodies are
/// encrypted.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "event_refs")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub tenant_id: i32,
    #[sea_orm(primary_key, auto_increment = false)]
    pub term: Vec<u8>,
    #[sea_orm(primary_key, auto_increment = false)]
    pub created_at: TimeDateTimeWithTimeZone,
    #[sea_orm(primary_key, auto_increment = false)]
    pub event_id: i64,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
