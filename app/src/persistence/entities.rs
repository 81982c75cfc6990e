//! One sea-orm entity per table; the schema itself lives in `migrations/`.

pub mod activity;
pub mod app_setting;
pub mod endpoint;
pub mod rate_limit_hit;
pub mod session;
pub mod sign_in_address;
pub mod tenant;
pub mod test_send;
pub mod user;
