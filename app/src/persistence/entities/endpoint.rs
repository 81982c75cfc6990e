use sea_orm::entity::prelude::*;
use std::fmt;

/// One of a tenant's two webhook endpoints (`kind` is `cdr` or `extension`).
/// The secret is an AEAD ciphertext bound to tenant, kind and secret kind.
#[derive(Clone, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "endpoints")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i32,
    pub tenant_id: i32,
    pub kind: String,
    pub auth_method: String,
    pub url: Option<String>,
    pub username: Option<String>,
    pub secret_kind: Option<String>,
    pub secret_ciphertext: Option<Vec<u8>>,
    pub secret_changed_at: Option<TimeDateTimeWithTimeZone>,
    pub secret_changed_by: Option<String>,
    pub enabled_changed_at: Option<TimeDateTimeWithTimeZone>,
    pub enabled: bool,
    pub version: i64,
    pub created_at: TimeDateTimeWithTimeZone,
    pub updated_at: TimeDateTimeWithTimeZone,
    pub updated_by: Option<i32>,
    /// Failed attempts in a row (a delivery resets it).
    pub failed_streak: i32,
    /// Given-up events in a row (a delivery resets it).
    pub given_up_streak: i32,
    /// `failing` or `auto_paused`: the banner on every page.
    pub alert: Option<String>,
    pub alert_since: Option<TimeDateTimeWithTimeZone>,
    /// The Standard Webhooks signing secret (`whsec_…`), AEAD-sealed.
    pub signing_secret: Option<Vec<u8>>,
    /// During a rotation's grace: the previous secret, which also signs
    /// until `signing_previous_until`.
    pub signing_previous: Option<Vec<u8>>,
    pub signing_previous_until: Option<TimeDateTimeWithTimeZone>,
    pub signing_rotated_at: Option<TimeDateTimeWithTimeZone>,
    /// The custom headers as JSON (`domain::SavedHeader`s: a secret one
    /// without its value).
    pub custom_headers: Option<String>,
    /// The secret headers' values (a JSON object, name → value),
    /// AEAD-sealed to the tenant and section.
    pub header_secrets: Option<Vec<u8>>,
    /// The PortSIP event types delivered, as JSON; `None`: all of them.
    pub event_types: Option<String>,
    /// Most attempts under way at once (1–64).
    pub max_concurrency: i32,
    /// Most attempts started in any second; `None`: no rate limit.
    pub max_per_second: Option<i32>,
    /// The first failed attempt since the last delivery.
    pub failing_since: Option<TimeDateTimeWithTimeZone>,
    /// When an alert about this section was last emailed (one an hour).
    pub alert_mailed_at: Option<TimeDateTimeWithTimeZone>,
    /// The current incident: `noted` (announced) or `mailed` (emailed:
    /// its recovery is emailed too); `None`: none.
    pub incident: Option<String>,
}

impl fmt::Debug for Model {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Endpoint")
            .field("id", &self.id)
            .field("tenant_id", &self.tenant_id)
            .field("kind", &self.kind)
            .field("auth_method", &self.auth_method)
            .field("url", &self.url)
            .field("enabled", &self.enabled)
            .field("version", &self.version)
            .finish_non_exhaustive()
    }
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
    #[sea_orm(
        belongs_to = "super::user::Entity",
        from = "Column::UpdatedBy",
        to = "super::user::Column::Id",
        on_delete = "SetNull"
    )]
    UpdatedBy,
}

impl Related<super::tenant::Entity> for Entity {
    fn to() -> RelationDef {
        Relation::Tenant.def()
    }
}

impl Related<super::user::Entity> for Entity {
    fn to() -> RelationDef {
        Relation::UpdatedBy.def()
    }
}

impl ActiveModelBehavior for ActiveModel {}
