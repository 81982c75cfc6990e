//! The people of a tenant as the Administrators tab and the invitation
//! page see them.

use serde::{Deserialize, Serialize};

use crate::domain::Role;

/// How long an invitation link works.
pub const INVITATION_HOURS: i64 = 72;

/// Every invitation token starts so, for secret scanners.
pub const INVITATION_PREFIX: &str = crate::domain::OurCredential::Invitation.prefix();

/// An invitation link that no longer works: said the same for every
/// reason.
pub const INVITATION_CLOSED: &str = "This invitation link no longer works: it was used, revoked or is more than 72 hours old. Ask an administrator of your company for a new one.";

/// A member of the tenant.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct MemberView {
    pub id: i32,
    pub username: String,
    pub role: Role,
    /// RFC 3339, UTC; none if they never signed in.
    pub last_signed_in_at: Option<String>,
    /// Two-factor sign-in is on.
    pub two_factor: bool,
    /// The signed-in member themselves.
    pub is_you: bool,
}

/// An invitation not yet used, revoked or expired.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct InvitationView {
    pub id: i32,
    pub role: Role,
    pub created_by: String,
    /// RFC 3339, UTC.
    pub created_at: String,
    pub expires_at: String,
    /// Where the link was emailed, if it was.
    pub email: Option<String>,
}

/// The Administrators tab.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct MembersData {
    pub tenant_name: String,
    pub admin_username: String,
    /// Whether the signed-in member may change anything here.
    pub may_manage: bool,
    /// Everyone must sign in with a second factor.
    pub require_two_factor: bool,
    /// This server sends email: invitations can be emailed.
    pub mail_on: bool,
    pub members: Vec<MemberView>,
    pub pending: Vec<InvitationView>,
}

/// What a plain post on the tab comes back with: a new invitation's link
/// (shown this once), or why the change was refused.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct MembersEcho {
    /// The link and the invitation, right after it was created.
    pub invited: Option<(String, InvitationView)>,
    /// The role the invite form had chosen, when refused.
    pub role: String,
    /// The address the invite form was given, when refused.
    pub email: String,
    /// Why a post was refused.
    pub message: Option<String>,
}

/// The public invitation page: whom it is for, or why it no longer works.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum InvitationLink {
    Open {
        tenant_name: String,
        role: Role,
        invited_by: String,
        expires_at: String,
    },
    /// Used, revoked, expired or never issued: told alike, with what to do.
    Closed,
}

/// The acceptance form as typed, when refused (the password is never sent
/// back).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct AcceptEcho {
    pub username: String,
    pub message: String,
}
