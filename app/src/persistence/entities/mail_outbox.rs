use sea_orm::entity::prelude::*;

/// A letter waiting to be sent: queued in the transaction of the change it
/// tells of, its body encrypted (it may hold a one-time link), deleted
/// once sent. `Debug` leaves the body out.
#[derive(Clone, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "mail_outbox")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i32,
    pub recipient: String,
    pub subject: String,
    /// Sealed by `SecretCipher` (context `mail`).
    pub body: Vec<u8>,
    pub created_at: TimeDateTimeWithTimeZone,
    /// When it is next tried (pushed on by each attempt: a claim).
    pub next_at: TimeDateTimeWithTimeZone,
    pub attempts: i32,
}

impl std::fmt::Debug for Model {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Letter")
            .field("id", &self.id)
            .field("subject", &self.subject)
            .field("attempts", &self.attempts)
            .finish_non_exhaustive()
    }
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
