use sea_orm::entity::prelude::*;

/// An endpoint's delivered and failed attempts in one hour (UTC), for the
/// section's 24-hour chart, with the hour's last attempt.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "delivery_hours")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub tenant_id: i32,
    #[sea_orm(primary_key, auto_increment = false)]
    pub section: String,
    #[sea_orm(primary_key, auto_increment = false)]
    pub hour: TimeDateTimeWithTimeZone,
    pub delivered: i64,
    pub failed: i64,
    /// The hour's last attempt (an endpoint's newest hour: its last).
    pub last_at: Option<TimeDateTimeWithTimeZone>,
    /// Its status (none: no answer).
    pub last_status: Option<i32>,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
