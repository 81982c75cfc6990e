//! The Administrators tab's and the invitation page's reads (every change
//! is a plain form post: `routes.rs`).

use leptos::prelude::*;

use super::model::{InvitationLink, MembersData};
use crate::error::AppError;

/// The signed-in tenant's members and open invitations.
#[server(prefix = "/rpc", endpoint = "list_members", output = crate::rpc_codec::Answer)]
pub async fn list_members() -> Result<MembersData, AppError> {
    let (state, admin) = crate::auth::signed_in().await?;
    super::service::list(&state.db, &state.outbox, &admin)
        .await
        .map_err(crate::error::ServiceError::respond)
}

/// Whom an invitation link is for, or that it no longer works. Public:
/// the token is the key (a wrong one learns nothing).
#[server(prefix = "/rpc", endpoint = "invitation_state", output = crate::rpc_codec::Answer)]
pub async fn invitation_state(token: String) -> Result<InvitationLink, AppError> {
    let state = expect_context::<crate::state::AppState>();
    super::service::invitation_state(&state.db, token.trim())
        .await
        .map_err(crate::error::ServiceError::respond)
}
