//! `section_counts`: how many of a section's events are held and how many
//! wait to be retried (pending after an attempt), kept by triggers on
//! `events` in the transaction of each change, so the tab's summary reads a
//! few rows instead of counting a million held events (ADR 0019).
//!
//! A count is the sum of a section's rows. SQLite (one writer) keeps one row
//! a section; PostgreSQL spreads each change over 16 rows by the writing
//! connection, so that concurrent hand-ins to one paused section do not wait
//! on one row's lock until each other's commit. No foreign key: a tenant's
//! deletion deletes its events, whose triggers bring its rows to zero.

use sea_orm_migration::{prelude::*, sea_orm::DatabaseBackend};

#[derive(DeriveMigrationName)]
pub struct Migration;

/// The predicates the counts keep, one place for both databases.
const HELD: &str = "state = 'held'";
const RETRYING: &str = "state = 'pending' AND attempts > 0";

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    fn use_transaction(&self) -> Option<bool> {
        Some(true)
    }

    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        let db = manager.get_connection();
        db.execute_unprepared(
            "CREATE TABLE IF NOT EXISTS section_counts (\
             tenant_id INTEGER NOT NULL, section VARCHAR(16) NOT NULL, shard INTEGER NOT NULL, \
             held BIGINT NOT NULL DEFAULT 0, retrying BIGINT NOT NULL DEFAULT 0, \
             PRIMARY KEY (tenant_id, section, shard))",
        )
        .await?;
        // What is there already, counted once. On PostgreSQL another
        // instance may still be writing (a rolling upgrade): its changes
        // wait until the triggers exist, so none falls between the count
        // and them (SQLite's one writer is this migration already).
        if manager.get_database_backend() == DatabaseBackend::Postgres {
            db.execute_unprepared("LOCK TABLE events IN SHARE ROW EXCLUSIVE MODE")
                .await?;
        }
        db.execute_unprepared(&format!(
            "INSERT INTO section_counts (tenant_id, section, shard, held, retrying) \
             SELECT tenant_id, section, 0, \
             SUM(CASE WHEN {HELD} THEN 1 ELSE 0 END), \
             SUM(CASE WHEN {RETRYING} THEN 1 ELSE 0 END) \
             FROM events WHERE {HELD} OR ({RETRYING}) GROUP BY tenant_id, section"
        ))
        .await?;
        let statements = match manager.get_database_backend() {
            DatabaseBackend::Postgres => postgres(),
            _ => sqlite(),
        };
        for statement in statements {
            db.execute_unprepared(&statement).await?;
        }
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        let db = manager.get_connection();
        let statements: &[&str] = match manager.get_database_backend() {
            DatabaseBackend::Postgres => &[
                "DROP TRIGGER IF EXISTS events_counts_insert ON events",
                "DROP TRIGGER IF EXISTS events_counts_update ON events",
                "DROP TRIGGER IF EXISTS events_counts_delete ON events",
                "DROP FUNCTION IF EXISTS events_section_counts()",
            ],
            _ => &[
                "DROP TRIGGER IF EXISTS events_counts_insert",
                "DROP TRIGGER IF EXISTS events_counts_update",
                "DROP TRIGGER IF EXISTS events_counts_delete",
            ],
        };
        for statement in statements {
            db.execute_unprepared(statement).await?;
        }
        db.execute_unprepared("DROP TABLE IF EXISTS section_counts")
            .await?;
        Ok(())
    }
}

/// 1 when `predicate` holds of the row named `row` (`NEW`, `OLD`, or a
/// transition table's alias), else 0.
fn one_if(predicate: &str, row: &str) -> String {
    let predicate = predicate
        .replace("state", &format!("{row}.state"))
        .replace("attempts", &format!("{row}.attempts"));
    format!("(CASE WHEN {predicate} THEN 1 ELSE 0 END)")
}

/// Adds `held` and `retrying` (SQL expressions) to the row of `tenant` and
/// `section` in `shard`.
fn add(tenant: &str, section: &str, shard: &str, held: &str, retrying: &str) -> String {
    format!(
        "INSERT INTO section_counts (tenant_id, section, shard, held, retrying) \
         VALUES ({tenant}, {section}, {shard}, {held}, {retrying}) \
         ON CONFLICT (tenant_id, section, shard) DO UPDATE SET \
         held = section_counts.held + excluded.held, \
         retrying = section_counts.retrying + excluded.retrying"
    )
}

/// Row triggers (SQLite has no others), each firing only for a row whose
/// counts change: an ordinary hand-in or delivery runs none.
fn sqlite() -> Vec<String> {
    let (insert, update, delete) = when();
    let delta = |predicate: &str| {
        format!(
            "{} - {}",
            one_if(predicate, "NEW"),
            one_if(predicate, "OLD")
        )
    };
    let negative = |predicate: &str| format!("-{}", one_if(predicate, "OLD"));
    vec![
        format!(
            "CREATE TRIGGER IF NOT EXISTS events_counts_insert AFTER INSERT ON events \
             WHEN {insert} BEGIN {}; END",
            add(
                "NEW.tenant_id",
                "NEW.section",
                "0",
                &one_if(HELD, "NEW"),
                &one_if(RETRYING, "NEW")
            )
        ),
        format!(
            "CREATE TRIGGER IF NOT EXISTS events_counts_update AFTER UPDATE OF state, attempts \
             ON events WHEN {update} BEGIN {}; END",
            add(
                "NEW.tenant_id",
                "NEW.section",
                "0",
                &delta(HELD),
                &delta(RETRYING)
            )
        ),
        format!(
            "CREATE TRIGGER IF NOT EXISTS events_counts_delete AFTER DELETE ON events \
             WHEN {delete} BEGIN {}; END",
            add(
                "OLD.tenant_id",
                "OLD.section",
                "0",
                &negative(HELD),
                &negative(RETRYING)
            )
        ),
    ]
}

/// Row triggers, as on SQLite, firing only for a row whose counts change;
/// one function for the three. (Statement triggers would copy every changed
/// row, bodies included, into transition tables on every hand-in and every
/// recorded attempt.)
fn postgres() -> Vec<String> {
    let function = format!(
        "CREATE OR REPLACE FUNCTION events_section_counts() RETURNS trigger LANGUAGE plpgsql AS $$ \
         DECLARE d_held BIGINT := 0; d_retrying BIGINT := 0; d_tenant INTEGER; d_section VARCHAR; \
         BEGIN \
         IF TG_OP <> 'INSERT' THEN \
         d_held := d_held - {old_held}; d_retrying := d_retrying - {old_retrying}; \
         d_tenant := OLD.tenant_id; d_section := OLD.section; \
         END IF; \
         IF TG_OP <> 'DELETE' THEN \
         d_held := d_held + {new_held}; d_retrying := d_retrying + {new_retrying}; \
         d_tenant := NEW.tenant_id; d_section := NEW.section; \
         END IF; \
         {upsert}; \
         RETURN NULL; END $$",
        old_held = one_if(HELD, "OLD"),
        old_retrying = one_if(RETRYING, "OLD"),
        new_held = one_if(HELD, "NEW"),
        new_retrying = one_if(RETRYING, "NEW"),
        upsert = add(
            "d_tenant",
            "d_section",
            "pg_backend_pid() % 16",
            "d_held",
            "d_retrying",
        ),
    );
    let (insert, update, delete) = when();
    let trigger = |name: &str, on: &str, when: &str| {
        [
            format!("DROP TRIGGER IF EXISTS {name} ON events"),
            format!(
                "CREATE TRIGGER {name} AFTER {on} ON events FOR EACH ROW WHEN ({when}) \
                 EXECUTE FUNCTION events_section_counts()"
            ),
        ]
    };
    let mut statements = vec![function];
    statements.extend(trigger("events_counts_insert", "INSERT", &insert));
    statements.extend(trigger("events_counts_update", "UPDATE", &update));
    statements.extend(trigger("events_counts_delete", "DELETE", &delete));
    statements
}

/// When each trigger fires (both databases): a row inserted or deleted
/// that is counted, a row updated whose counts change.
fn when() -> (String, String, String) {
    let counted = |row: &str| format!("({} + {}) > 0", one_if(HELD, row), one_if(RETRYING, row));
    let delta = |predicate: &str| {
        format!(
            "{} <> {}",
            one_if(predicate, "NEW"),
            one_if(predicate, "OLD")
        )
    };
    (
        counted("NEW"),
        format!("{} OR {}", delta(HELD), delta(RETRYING)),
        counted("OLD"),
    )
}

#[cfg(test)]
mod tests {
    use super::{one_if, HELD, RETRYING};

    #[test]
    fn a_predicate_is_read_of_the_named_row() {
        assert_eq!(
            one_if(HELD, "NEW"),
            "(CASE WHEN NEW.state = 'held' THEN 1 ELSE 0 END)"
        );
        assert_eq!(
            one_if(RETRYING, "o"),
            "(CASE WHEN o.state = 'pending' AND o.attempts > 0 THEN 1 ELSE 0 END)"
        );
    }
}
