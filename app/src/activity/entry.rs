//! What the Activity tab shows.

use serde::{Deserialize, Serialize};

use crate::domain::EndpointKind;

pub const PAGE_SIZE: u64 = 25;

#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ActivityKind {
    EndpointSaved,
    EndpointEnabled,
    EndpointDisabled,
    CredentialRotated,
    TestEventSent,
    SignIn,
    SignInFailed,
    SignOut,
    SetupCompleted,
    HeldEventsDiscarded,
    Redelivered,
    ApiTokenCreated,
    ApiTokenRevoked,
    MemberInvited,
    InvitationRevoked,
    MemberJoined,
    RoleChanged,
    MemberRemoved,
    PasswordChanged,
    SessionsEnded,
    TwoFactorOn,
    TwoFactorOff,
    TwoFactorRequirement,
    PasswordResetRequested,
    PasswordReset,
    EmailChanged,
    TenantSuspended,
    TenantReactivated,
    SigningSecretRevealed,
    SigningSecretRotated,
    /// A section failed for 15 minutes running (nothing delivered).
    DeliveryFailing,
    /// A section that was alerted on delivers again.
    DeliveryRecovered,
    /// A person switched their delivery alert emails on or off.
    AlertEmailsChanged,
}

impl ActivityKind {
    pub const ALL: [ActivityKind; 33] = [
        ActivityKind::EndpointSaved,
        ActivityKind::EndpointEnabled,
        ActivityKind::EndpointDisabled,
        ActivityKind::CredentialRotated,
        ActivityKind::TestEventSent,
        ActivityKind::SignIn,
        ActivityKind::SignInFailed,
        ActivityKind::SignOut,
        ActivityKind::SetupCompleted,
        ActivityKind::HeldEventsDiscarded,
        ActivityKind::Redelivered,
        ActivityKind::ApiTokenCreated,
        ActivityKind::ApiTokenRevoked,
        ActivityKind::MemberInvited,
        ActivityKind::InvitationRevoked,
        ActivityKind::MemberJoined,
        ActivityKind::RoleChanged,
        ActivityKind::MemberRemoved,
        ActivityKind::PasswordChanged,
        ActivityKind::SessionsEnded,
        ActivityKind::TwoFactorOn,
        ActivityKind::TwoFactorOff,
        ActivityKind::TwoFactorRequirement,
        ActivityKind::PasswordResetRequested,
        ActivityKind::PasswordReset,
        ActivityKind::EmailChanged,
        ActivityKind::TenantSuspended,
        ActivityKind::TenantReactivated,
        ActivityKind::SigningSecretRevealed,
        ActivityKind::SigningSecretRotated,
        ActivityKind::DeliveryFailing,
        ActivityKind::DeliveryRecovered,
        ActivityKind::AlertEmailsChanged,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            ActivityKind::EndpointSaved => "endpoint_saved",
            ActivityKind::EndpointEnabled => "endpoint_enabled",
            ActivityKind::EndpointDisabled => "endpoint_disabled",
            ActivityKind::CredentialRotated => "credential_rotated",
            ActivityKind::TestEventSent => "test_event_sent",
            ActivityKind::SignIn => "sign_in",
            ActivityKind::SignInFailed => "sign_in_failed",
            ActivityKind::SignOut => "sign_out",
            ActivityKind::SetupCompleted => "setup_completed",
            ActivityKind::HeldEventsDiscarded => "held_events_discarded",
            ActivityKind::Redelivered => "redelivered",
            ActivityKind::ApiTokenCreated => "api_token_created",
            ActivityKind::ApiTokenRevoked => "api_token_revoked",
            ActivityKind::MemberInvited => "member_invited",
            ActivityKind::InvitationRevoked => "invitation_revoked",
            ActivityKind::MemberJoined => "member_joined",
            ActivityKind::RoleChanged => "role_changed",
            ActivityKind::MemberRemoved => "member_removed",
            ActivityKind::PasswordChanged => "password_changed",
            ActivityKind::SessionsEnded => "sessions_ended",
            ActivityKind::TwoFactorOn => "two_factor_on",
            ActivityKind::TwoFactorOff => "two_factor_off",
            ActivityKind::TwoFactorRequirement => "two_factor_requirement",
            ActivityKind::PasswordResetRequested => "password_reset_requested",
            ActivityKind::PasswordReset => "password_reset",
            ActivityKind::EmailChanged => "email_changed",
            ActivityKind::TenantSuspended => "tenant_suspended",
            ActivityKind::TenantReactivated => "tenant_reactivated",
            ActivityKind::SigningSecretRevealed => "signing_secret_revealed",
            ActivityKind::SigningSecretRotated => "signing_secret_rotated",
            ActivityKind::DeliveryFailing => "delivery_failing",
            ActivityKind::DeliveryRecovered => "delivery_recovered",
            ActivityKind::AlertEmailsChanged => "alert_emails_changed",
        }
    }

    pub fn parse(input: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|k| k.as_str() == input)
    }

    pub fn label(self) -> &'static str {
        match self {
            ActivityKind::EndpointSaved => "Endpoint saved",
            ActivityKind::EndpointEnabled => "Delivery enabled",
            ActivityKind::EndpointDisabled => "Delivery paused",
            ActivityKind::CredentialRotated => "Credential rotated",
            ActivityKind::TestEventSent => "Test event sent",
            ActivityKind::SignIn => "Signed in",
            ActivityKind::SignInFailed => "Sign-in failed",
            ActivityKind::SignOut => "Signed out",
            ActivityKind::SetupCompleted => "Setup completed",
            ActivityKind::HeldEventsDiscarded => "Held events discarded",
            ActivityKind::Redelivered => "Redelivery requested",
            ActivityKind::ApiTokenCreated => "API token created",
            ActivityKind::ApiTokenRevoked => "API token revoked",
            ActivityKind::MemberInvited => "Member invited",
            ActivityKind::InvitationRevoked => "Invitation revoked",
            ActivityKind::MemberJoined => "Member joined",
            ActivityKind::RoleChanged => "Role changed",
            ActivityKind::MemberRemoved => "Member removed",
            ActivityKind::PasswordChanged => "Password changed",
            ActivityKind::SessionsEnded => "Other sessions signed out",
            ActivityKind::TwoFactorOn => "Two-factor sign-in on",
            ActivityKind::TwoFactorOff => "Two-factor sign-in off",
            ActivityKind::TwoFactorRequirement => "Two-factor requirement changed",
            ActivityKind::PasswordResetRequested => "Password reset link sent",
            ActivityKind::PasswordReset => "Password reset",
            ActivityKind::EmailChanged => "Email address changed",
            ActivityKind::TenantSuspended => "Company suspended",
            ActivityKind::TenantReactivated => "Company reactivated",
            ActivityKind::SigningSecretRevealed => "Signing secret revealed",
            ActivityKind::SigningSecretRotated => "Signing secret rotated",
            ActivityKind::DeliveryFailing => "Delivery failing",
            ActivityKind::DeliveryRecovered => "Delivery recovered",
            ActivityKind::AlertEmailsChanged => "Alert emails changed",
        }
    }
}

/// One field's change; secrets are never given, only that they changed.
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Change {
    pub field: String,
    pub old: String,
    pub new: String,
}

#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ActivityEntry {
    pub id: i64,
    /// RFC 3339, UTC; the page shows it in the browser's zone.
    pub occurred_at: String,
    pub actor: String,
    pub source_ip: Option<String>,
    pub kind: ActivityKind,
    pub section: Option<EndpointKind>,
    pub summary: String,
    pub changes: Vec<Change>,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ActivityPage {
    pub tenant_name: String,
    pub admin_username: String,
    pub entries: Vec<ActivityEntry>,
    /// 1-based.
    pub page: u64,
    pub pages: u64,
    pub total: u64,
}
