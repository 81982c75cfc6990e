use sea_orm::entity::prelude::*;

/// A bulk replay: a section's events of one state handed in within a time
/// range, re-queued together (each event's `replay_id` names it). Its
/// counts are kept here once no event of it is left pending.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "replays")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i32,
    pub tenant_id: i32,
    pub section: String,
    /// The state the events were in (`given_up`, `filtered`, `skipped`).
    pub state: String,
    pub range_from: Option<TimeDateTimeWithTimeZone>,
    pub range_to: TimeDateTimeWithTimeZone,
    pub total: i64,
    pub created_by: String,
    pub created_at: TimeDateTimeWithTimeZone,
    pub finished_at: Option<TimeDateTimeWithTimeZone>,
    pub delivered: Option<i64>,
    pub failed: Option<i64>,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
