//! Whose account: a tenant's member or a provider operator. Both sign in at
//! the same `/login` (usernames are unique across both) and both may have
//! two-factor sign-in; this says which table an id belongs to.

use serde::{Deserialize, Serialize};

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum AccountId {
    /// A tenant's member (`users.id`).
    Member(i32),
    /// A provider operator (`operators.id`).
    Operator(i32),
}
