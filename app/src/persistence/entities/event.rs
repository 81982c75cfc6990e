use sea_orm::entity::prelude::*;

/// One event handed in by the PBX, queued for its tenant's endpoint. The
/// body is an AEAD ciphertext bound to tenant and event (personal data).
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "events")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    pub tenant_id: i32,
    pub event_uid: String,
    pub section: String,
    pub event_type: String,
    pub body: Vec<u8>,
    pub state: String,
    pub attempts: i32,
    pub next_attempt_at: TimeDateTimeWithTimeZone,
    pub lease_until: Option<TimeDateTimeWithTimeZone>,
    pub last_status: Option<i32>,
    pub last_error: Option<String>,
    pub last_attempt_at: Option<TimeDateTimeWithTimeZone>,
    pub created_at: TimeDateTimeWithTimeZone,
    pub finished_at: Option<TimeDateTimeWithTimeZone>,
    /// Its next attempt is a redelivery an administrator asked for.
    pub manual: bool,
    /// The bulk replay that re-queued it last.
    pub replay_id: Option<i64>,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
