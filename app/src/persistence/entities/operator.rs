use sea_orm::entity::prelude::*;

/// A provider operator: manages tenants (the Tenants console), belongs to
/// none. `Debug` leaves the password hash out.
#[derive(Clone, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "operators")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i32,
    #[sea_orm(unique)]
    pub username: String,
    pub password_hash: String,
    pub created_at: TimeDateTimeWithTimeZone,
    pub last_signed_in_at: Option<TimeDateTimeWithTimeZone>,
    /// The network (IPv4 address, IPv6 /64) of the last sign-in: attempts
    /// from it have a throttle bucket of their own (`auth::throttle`).
    pub last_network: Option<String>,
    /// Two-factor sign-in, as a member's (`two_factor`): the TOTP secret
    /// (encrypted, bound to this operator), when it was confirmed, the
    /// last time step used.
    pub totp_secret: Option<Vec<u8>>,
    pub totp_confirmed_at: Option<TimeDateTimeWithTimeZone>,
    pub totp_last_step: Option<i64>,
}

impl std::fmt::Debug for Model {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Operator")
            .field("id", &self.id)
            .field("username", &self.username)
            .finish_non_exhaustive()
    }
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
