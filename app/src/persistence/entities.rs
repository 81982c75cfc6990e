//! One sea-orm entity per table; the schema itself lives in `migrations/`.

pub mod activity;
pub mod app_setting;
pub mod endpoint;
pub mod session;
pub mod sign_in_failure;
pub mod tenant;
pub mod test_send;
pub mod user;
