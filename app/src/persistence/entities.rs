//! One sea-orm entity per table; the schema itself lives in `migrations/`.

pub mod activity;
pub mod api_token;
pub mod app_setting;
pub mod delivery_attempt;
pub mod delivery_hour;
pub mod endpoint;
pub mod event;
pub mod event_ref;
pub mod ingest_key;
pub mod ingest_key_tenant;
pub mod invitation;
pub mod mail_outbox;
pub mod operator;
pub mod operator_activity;
pub mod password_reset;
pub mod rate_limit_hit;
pub mod replay;
pub mod session;
pub mod sign_in_address;
pub mod tenant;
pub mod test_send;
pub mod user;
