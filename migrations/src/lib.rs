//! The database schema, for SQLite and PostgreSQL alike. Migrations run at
//! server start; running them again is harmless.

pub use sea_orm_migration::prelude::*;

mod m20261127_000001_initial;
mod m20261127_000002_test_sends;
mod m20261127_000003_sign_in_failures;
mod m20261127_000004_activity;
mod m20261127_000005_secret_changed_by;
mod m20261128_000006_session_user;
mod m20261128_000007_security_review;
mod m20261128_000008_deliveries;
mod m20261128_000009_due_index;
mod m20261128_000010_endpoint_due;
mod m20261128_000011_deliveries_tab;
mod m20261129_000012_lean_events;
mod m20261129_000013_api_tokens;
mod m20261129_000014_members;
mod m20261129_000015_two_factor;
mod m20261129_000016_email;
mod m20261129_000017_provider;
mod m20261207_000018_signing;
mod m20261207_000019_key_scope;
mod m20261207_000020_operator_two_factor;
mod m20261207_000021_email_confirmation;
mod m20261207_000022_custom_headers;
mod m20261207_000023_event_types;
mod m20261207_000024_endpoint_limits;
mod m20261207_000025_delivery_alerts;
mod m20261207_000026_replays;
mod m20261208_000027_section_counts;
mod m20261208_000028_queue_autovacuum;
mod steps;

pub struct Migrator;

#[async_trait::async_trait]
impl MigratorTrait for Migrator {
    fn migrations() -> Vec<Box<dyn MigrationTrait>> {
        vec![
            Box::new(m20261127_000001_initial::Migration),
            Box::new(m20261127_000002_test_sends::Migration),
            Box::new(m20261127_000003_sign_in_failures::Migration),
            Box::new(m20261127_000004_activity::Migration),
            Box::new(m20261127_000005_secret_changed_by::Migration),
            Box::new(m20261128_000006_session_user::Migration),
            Box::new(m20261128_000007_security_review::Migration),
            Box::new(m20261128_000008_deliveries::Migration),
            Box::new(m20261128_000009_due_index::Migration),
            Box::new(m20261128_000010_endpoint_due::Migration),
            Box::new(m20261128_000011_deliveries_tab::Migration),
            Box::new(m20261129_000012_lean_events::Migration),
            Box::new(m20261129_000013_api_tokens::Migration),
            Box::new(m20261129_000014_members::Migration),
            Box::new(m20261129_000015_two_factor::Migration),
            Box::new(m20261129_000016_email::Migration),
            Box::new(m20261129_000017_provider::Migration),
            Box::new(m20261207_000018_signing::Migration),
            Box::new(m20261207_000019_key_scope::Migration),
            Box::new(m20261207_000020_operator_two_factor::Migration),
            Box::new(m20261207_000021_email_confirmation::Migration),
            Box::new(m20261207_000022_custom_headers::Migration),
            Box::new(m20261207_000023_event_types::Migration),
            Box::new(m20261207_000024_endpoint_limits::Migration),
            Box::new(m20261207_000025_delivery_alerts::Migration),
            Box::new(m20261207_000026_replays::Migration),
            Box::new(m20261208_000027_section_counts::Migration),
            Box::new(m20261208_000028_queue_autovacuum::Migration),
        ]
    }
}
