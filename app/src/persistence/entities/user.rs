use sea_orm::entity::prelude::*;
use std::fmt;

/// A member of a tenant (an administrator or a viewer). `Debug` leaves
/// the password hash out.
#[derive(Clone, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "users")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i32,
    pub tenant_id: i32,
    #[sea_orm(unique)]
    pub username: String,
    pub password_hash: String,
    pub created_at: TimeDateTimeWithTimeZone,
    /// `administrator` | `viewer` (`domain::Role`).
    pub role: String,
    pub last_signed_in_at: Option<TimeDateTimeWithTimeZone>,
    /// The TOTP secret, encrypted (`SecretCipher`, context `user=<id>/totp`).
    pub totp_secret: Option<Vec<u8>>,
    /// When two-factor sign-in was confirmed; none while off or enrolling.
    pub totp_confirmed_at: Option<TimeDateTimeWithTimeZone>,
    /// The last time step whose code was accepted: each code works once.
    pub totp_last_step: Option<i64>,
    /// The confirmed address: where password reset links and notices go.
    pub email: Option<String>,
    /// A new address waiting for its confirmation link to be used
    /// (`account::email`); nothing is sent there but that link.
    pub pending_email: Option<String>,
    /// The SHA-256 of the pending address's confirmation token.
    pub pending_email_token_hash: Option<String>,
    /// When the confirmation link stops working.
    pub pending_email_expires_at: Option<TimeDateTimeWithTimeZone>,
    /// Whether they are emailed when a section fails or recovers (an
    /// administrator with an address; on unless switched off).
    pub delivery_alerts: bool,
}

impl fmt::Debug for Model {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("User")
            .field("id", &self.id)
            .field("tenant_id", &self.tenant_id)
            .field("username", &self.username)
            .field("role", &self.role)
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
}

impl Related<super::tenant::Entity> for Entity {
    fn to() -> RelationDef {
        Relation::Tenant.def()
    }
}

impl ActiveModelBehavior for ActiveModel {}
