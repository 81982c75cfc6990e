//! Delivering the PBX's events: the keys the PBX hands events in with, the
//! durable queue of events (bodies encrypted, like the secrets), and each
//! attempt made.

use sea_orm_migration::{prelude::*, schema::*};

use crate::steps::{cascade, create_index, drop_tables_if_exist, index, new_table};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum IngestKeys {
    Table,
    Id,
    Name,
    KeyHash,
    CreatedAt,
    LastUsedAt,
    RevokedAt,
}

#[derive(DeriveIden)]
enum Events {
    Table,
    Id,
    TenantId,
    EventUid,
    Section,
    EventType,
    Body,
    State,
    Attempts,
    NextAttemptAt,
    LeaseUntil,
    LastStatus,
    LastError,
    LastAttemptAt,
    CreatedAt,
    FinishedAt,
}

#[derive(DeriveIden)]
enum DeliveryAttempts {
    Table,
    Id,
    EventId,
    AttemptedAt,
    Url,
    AuthMethod,
    DurationMs,
    Status,
    Outcome,
    Error,
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        let ingest_keys = new_table(IngestKeys::Table)
            .col(pk_auto(IngestKeys::Id))
            .col(string_len_uniq(IngestKeys::Name, 64))
            // SHA-256 of the key, hex: the key itself is shown once.
            .col(string_len_uniq(IngestKeys::KeyHash, 64))
            .col(timestamp_with_time_zone(IngestKeys::CreatedAt))
            .col(timestamp_with_time_zone_null(IngestKeys::LastUsedAt))
            .col(timestamp_with_time_zone_null(IngestKeys::RevokedAt))
            .to_owned();
        manager.create_table(ingest_keys).await?;
        let events = new_table(Events::Table)
            .col(big_pk_auto(Events::Id))
            .col(integer(Events::TenantId))
            // The PBX's `event_id`, or a UUID given at ingest.
            .col(string_len(Events::EventUid, 128))
            // `cdr` or `extension`: which endpoint it goes to.
            .col(string_len(Events::Section, 16))
            .col(string_len(Events::EventType, 64))
            // The JSON as the PBX sent it, AEAD-encrypted.
            .col(blob(Events::Body))
            // pending | held | delivered | given_up | skipped | discarded
            .col(string_len(Events::State, 16))
            .col(integer(Events::Attempts).default(0))
            .col(timestamp_with_time_zone(Events::NextAttemptAt))
            // A worker's claim; a crashed worker's claim runs out.
            .col(timestamp_with_time_zone_null(Events::LeaseUntil))
            .col(integer_null(Events::LastStatus))
            .col(text_null(Events::LastError))
            .col(timestamp_with_time_zone_null(Events::LastAttemptAt))
            .col(timestamp_with_time_zone(Events::CreatedAt))
            .col(timestamp_with_time_zone_null(Events::FinishedAt))
            .foreign_key(&mut cascade(Events::TenantId, "tenants"))
            .to_owned();
        manager.create_table(events).await?;
        for (name, columns) in [
            (
                "idx_events_tenant_uid",
                vec![Events::TenantId, Events::EventUid],
            ),
            ("idx_events_due", vec![Events::State, Events::NextAttemptAt]),
            (
                "idx_events_section_state",
                vec![Events::TenantId, Events::Section, Events::State],
            ),
            (
                "idx_events_last_attempt",
                vec![Events::TenantId, Events::Section, Events::LastAttemptAt],
            ),
        ] {
            let mut statement = index(name, Events::Table, columns);
            if name == "idx_events_tenant_uid" {
                statement.unique();
            }
            manager.create_index(statement).await?;
        }
        let delivery_attempts = new_table(DeliveryAttempts::Table)
            .col(big_pk_auto(DeliveryAttempts::Id))
            .col(big_integer(DeliveryAttempts::EventId))
            .col(timestamp_with_time_zone(DeliveryAttempts::AttemptedAt))
            .col(text(DeliveryAttempts::Url))
            .col(string_len(DeliveryAttempts::AuthMethod, 16))
            .col(big_integer(DeliveryAttempts::DurationMs))
            .col(integer_null(DeliveryAttempts::Status))
            // delivered | retry | given_up
            .col(string_len(DeliveryAttempts::Outcome, 16))
            .col(text_null(DeliveryAttempts::Error))
            .foreign_key(&mut cascade(DeliveryAttempts::EventId, Events::Table))
            .to_owned();
        manager.create_table(delivery_attempts).await?;
        create_index(
            manager,
            "idx_delivery_attempts_event",
            DeliveryAttempts::Table,
            [DeliveryAttempts::EventId],
        )
        .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        drop_tables_if_exist(
            manager,
            [
                DeliveryAttempts::Table.into_iden(),
                Events::Table.into_iden(),
                IngestKeys::Table.into_iden(),
            ],
        )
        .await
    }
}
