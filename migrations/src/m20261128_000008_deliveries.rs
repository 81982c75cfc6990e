//! Delivering the PBX's events: the keys the PBX hands events in with, the
//! durable queue of events (bodies encrypted, like the secrets), and each
//! attempt made.

use sea_orm_migration::{prelude::*, schema::*};

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

#[derive(DeriveIden)]
enum Tenants {
    Table,
    Id,
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table(IngestKeys::Table)
                    .if_not_exists()
                    .col(pk_auto(IngestKeys::Id))
                    .col(string_len_uniq(IngestKeys::Name, 64))
                    // SHA-256 of the key, hex: the key itself is shown once.
                    .col(string_len_uniq(IngestKeys::KeyHash, 64))
                    .col(timestamp_with_time_zone(IngestKeys::CreatedAt))
                    .col(timestamp_with_time_zone_null(IngestKeys::LastUsedAt))
                    .col(timestamp_with_time_zone_null(IngestKeys::RevokedAt))
                    .to_owned(),
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table(Events::Table)
                    .if_not_exists()
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
                    .foreign_key(
                        ForeignKey::create()
                            .from(Events::Table, Events::TenantId)
                            .to(Tenants::Table, Tenants::Id)
                            .on_delete(ForeignKeyAction::Cascade),
                    )
                    .to_owned(),
            )
            .await?;
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
            let mut index = Index::create();
            index.if_not_exists().name(name).table(Events::Table);
            if name == "idx_events_tenant_uid" {
                index.unique();
            }
            for column in columns {
                index.col(column);
            }
            manager.create_index(index.to_owned()).await?;
        }
        manager
            .create_table(
                Table::create()
                    .table(DeliveryAttempts::Table)
                    .if_not_exists()
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
                    .foreign_key(
                        ForeignKey::create()
                            .from(DeliveryAttempts::Table, DeliveryAttempts::EventId)
                            .to(Events::Table, Events::Id)
                            .on_delete(ForeignKeyAction::Cascade),
                    )
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .if_not_exists()
                    .name("idx_delivery_attempts_event")
                    .table(DeliveryAttempts::Table)
                    .col(DeliveryAttempts::EventId)
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        for table in [
            DeliveryAttempts::Table.into_iden(),
            Events::Table.into_iden(),
            IngestKeys::Table.into_iden(),
        ] {
            manager
                .drop_table(Table::drop().table(table).if_exists().to_owned())
                .await?;
        }
        Ok(())
    }
}
