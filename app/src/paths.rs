//! Every path the app serves or links, named once. (The Leptos routes in
//! `lib.rs` spell the page paths with `path!`, which takes literals; a
//! server test checks that they match these.)

pub const LOGIN: &str = "/login";
pub const LOGOUT: &str = "/logout";
/// Signing in, second step: the two-factor code (GET the page, POST it).
pub const LOGIN_TWO_FACTOR: &str = "/login/two-factor";
/// Forgot password: ask for a reset link by email (GET the page, POST it).
pub const LOGIN_FORGOT: &str = "/login/forgot";
/// A reset link (`?token=…`): the page (GET) and the new password (POST).
pub const LOGIN_RESET: &str = "/login/reset";
pub const SETUP: &str = "/setup";
/// Company → Event URL; also where Save posts without JavaScript.
pub const EVENT_URL: &str = "/company/event-url";
/// The Enable / Pause switch without JavaScript.
pub const EVENT_URL_SWITCH: &str = "/company/event-url/switch";
/// Send test event without JavaScript.
pub const EVENT_URL_TEST_EVENT: &str = "/company/event-url/test-event";
/// Discard a section's held events (a confirmed form post).
pub const EVENT_URL_DISCARD_HELD: &str = "/company/event-url/discard-held";
/// Shows a section's signing secret (a form post: each reveal is recorded).
pub const EVENT_URL_SIGNING_REVEAL: &str = "/company/event-url/signing-secret/reveal";
/// Rotates a section's signing secret, with a grace period.
pub const EVENT_URL_SIGNING_ROTATE: &str = "/company/event-url/signing-secret/rotate";
pub const ACTIVITY: &str = "/company/activity";
/// Company → Deliveries; one event at `/company/deliveries/{id}`.
pub const DELIVERIES: &str = "/company/deliveries";
/// A redelivery: its confirmation page (GET) and the confirmed form (POST).
pub const REDELIVER: &str = "/company/redeliver";
/// A replay's progress: `/company/deliveries/replays/{id}`.
pub const REPLAYS: &str = "/company/deliveries/replays";
/// Company → API tokens: the list and the create form (POST).
pub const API_TOKENS: &str = "/company/api-tokens";
/// Revoking a token (POST).
pub const API_TOKENS_REVOKE: &str = "/company/api-tokens/revoke";
/// Company → Administrators: the tenant's people and open invitations.
pub const MEMBERS: &str = "/company/administrators";
/// Creating an invitation link (POST).
pub const MEMBERS_INVITE: &str = "/company/administrators/invite";
/// Revoking an open invitation (POST).
pub const MEMBERS_REVOKE_INVITATION: &str = "/company/administrators/revoke-invitation";
/// Changing a member's role (POST).
pub const MEMBERS_ROLE: &str = "/company/administrators/role";
/// Removing a member (POST).
pub const MEMBERS_REMOVE: &str = "/company/administrators/remove";
/// An invitation link (`?token=…`): the page to join (GET) and joining
/// (POST). Public: the token is the invitee's key.
pub const INVITATION: &str = "/invitation";
/// My account: password and sessions.
pub const ACCOUNT: &str = "/account";
/// Changing one's email address (POST): a link to confirm it is emailed.
pub const ACCOUNT_EMAIL: &str = "/account/email";
/// Cancelling an email change waiting for confirmation (POST).
pub const ACCOUNT_EMAIL_CANCEL: &str = "/account/email/cancel";
/// An emailed confirmation link (`?token=…`): its page (GET) and the
/// confirmation (POST), signed in as the link's account.
pub const EMAIL_CONFIRM: &str = "/email/confirm";
/// Changing one's password (POST).
pub const ACCOUNT_PASSWORD: &str = "/account/password";
/// Two-factor sign-in in My account: start setting it up, confirm it with
/// a code, turn it off (POSTs).
pub const ACCOUNT_TWO_FACTOR_START: &str = "/account/two-factor/start";
pub const ACCOUNT_TWO_FACTOR_CONFIRM: &str = "/account/two-factor/confirm";
pub const ACCOUNT_TWO_FACTOR_OFF: &str = "/account/two-factor/off";
/// The company's "require two-factor sign-in for everyone" (POST).
pub const MEMBERS_REQUIRE_TWO_FACTOR: &str = "/company/administrators/two-factor";
/// Switching one's delivery alert emails on or off (POST).
pub const ACCOUNT_ALERTS: &str = "/account/alerts";
/// Signing out one's other sessions (POST).
pub const ACCOUNT_SIGN_OUT_OTHERS: &str = "/account/sign-out-others";
/// The provider's console: every tenant (GET) and creating one (POST).
pub const PROVIDER_TENANTS: &str = "/provider/tenants";
/// Suspending and reactivating a tenant (POSTs).
pub const PROVIDER_SUSPEND: &str = "/provider/tenants/suspend";
pub const PROVIDER_REACTIVATE: &str = "/provider/tenants/reactivate";
/// The provider's own activity log.
pub const PROVIDER_ACTIVITY: &str = "/provider/activity";
/// The operator's own account: password, two-factor sign-in.
pub const PROVIDER_ACCOUNT: &str = "/provider/account";
pub const PROVIDER_ACCOUNT_PASSWORD: &str = "/provider/account/password";
pub const PROVIDER_TWO_FACTOR_START: &str = "/provider/account/two-factor/start";
pub const PROVIDER_TWO_FACTOR_CONFIRM: &str = "/provider/account/two-factor/confirm";
pub const PROVIDER_TWO_FACTOR_OFF: &str = "/provider/account/two-factor/off";
/// Every provider path starts so (only operators may open them).
pub const PROVIDER_PREFIX: &str = "/provider/";
/// The Company tabs: the pages with interactive islands.
pub const COMPANY_PREFIX: &str = "/company/";
/// Server functions, the page's own calls (`/api/` is the public API).
pub const RPC_PREFIX: &str = "/rpc/";
/// The built bundle (wasm, JS, CSS).
pub const PKG_PREFIX: &str = "/pkg/";
pub const HEALTHZ: &str = "/healthz";
pub const READYZ: &str = "/readyz";
/// Prometheus metrics, for the operator's token only.
pub const METRICS: &str = "/metrics";

/// Where to go after signing in, if `next` is not a safe local path.
pub const HOME: &str = EVENT_URL;

/// Whether the page at `path` has islands and so loads the wasm bundle;
/// the others (sign-in, setup, not found) are plain HTML and CSS.
pub fn has_islands(path: &str) -> bool {
    path.starts_with(COMPANY_PREFIX) || path == ACCOUNT || path.starts_with(PROVIDER_PREFIX)
}
