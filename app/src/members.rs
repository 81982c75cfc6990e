//! People of a tenant: Company → Administrators lists who may see and
//! change its settings (Administrators change everything, Viewers only
//! read), invites new members with a one-time link valid 72 hours, changes
//! roles and removes members (never yourself, never the last
//! administrator; a removed member's sessions end at once). The invitee
//! joins at `/invitation?token=…`, choosing a username and password.

mod api;
mod model;
mod page;
#[cfg(feature = "ssr")]
pub mod routes;
#[cfg(feature = "ssr")]
pub mod service;

pub use api::{invitation_state, list_members};
pub use model::{
    AcceptEcho, InvitationLink, InvitationView, MemberView, MembersData, MembersEcho,
    INVITATION_HOURS, INVITATION_PREFIX,
};
pub use page::{InvitationPage, MembersView};
