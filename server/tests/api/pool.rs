//! The connection pool as the server opens it: a connection given back
//! after a cancelled query or a dropped transaction serves the next user
//! cleanly, on a pool of one connection reused at once (upstream sqlx: a
//! released connection is tested before it goes back to the pool; see
//! docs/upstream/sqlx-test-on-release.md for what that costs on SQLite).

use crate::helpers::*;
use sea_orm::{ConnectionTrait, DatabaseBackend, Statement, TransactionTrait};
use std::time::Duration;

fn statement(backend: DatabaseBackend, sql: &str) -> Statement {
    Statement::from_string(backend, sql.to_owned())
}

/// The integer column `n` of the one row `sql` reads.
async fn read_n(db: &impl ConnectionTrait, sql: &str) -> i32 {
    db.query_one_raw(statement(db.get_database_backend(), sql))
        .await
        .expect("the connection answers")
        .expect("one row")
        .try_get("", "n")
        .expect("an integer")
}

#[tokio::test]
async fn a_connection_left_by_a_cancelled_query_or_a_dropped_transaction_serves_the_next_user_cleanly(
) {
    let dir = tempfile::tempdir().expect("temp dir");
    let mut config = test_config(&dir);
    config.db_max_connections = 1;
    config.db_acquire_timeout_secs = 30;
    let db = server::connect(&config).await.expect("the database opens");
    let backend = db.get_database_backend();

    // A query cancelled while the database still works on it: its result
    // must never reach the next query on the same connection.
    let slow = match backend {
        DatabaseBackend::Postgres => "SELECT 1 AS n FROM pg_sleep(0.5)",
        _ => {
            "WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM c WHERE x < 3000000) \
             SELECT count(*) AS n FROM c"
        }
    };
    let cancelled = tokio::time::timeout(
        Duration::from_millis(10),
        db.query_one_raw(statement(backend, slow)),
    )
    .await;
    assert!(cancelled.is_err(), "the slow query was cancelled");
    assert_eq!(
        read_n(&db, "SELECT 7 AS n").await,
        7,
        "the next query gets its own answer"
    );

    // A transaction dropped without commit: its rollback is sent at once,
    // not when the connection is next used. It holds a row lock; another
    // pool's write to that row goes through while this pool sits idle.
    db.execute_raw(statement(backend, "CREATE TABLE pool_probe (x INTEGER)"))
        .await
        .expect("table created");
    db.execute_raw(statement(backend, "INSERT INTO pool_probe (x) VALUES (1)"))
        .await
        .expect("row inserted");
    let txn = db.begin().await.expect("a transaction");
    txn.execute_raw(statement(backend, "UPDATE pool_probe SET x = 2"))
        .await
        .expect("updated");
    drop(txn);
    let other = server::connect(&config).await.expect("a second pool");
    tokio::time::timeout(
        Duration::from_secs(10),
        other.execute_raw(statement(backend, "UPDATE pool_probe SET x = 3")),
    )
    .await
    .expect("the dropped transaction's lock was released without this pool's next use")
    .expect("updated by the other pool");

    // The connection's next user starts clean: its own transaction, and
    // the dropped one's write is gone.
    let txn = db
        .begin()
        .await
        .expect("a new transaction begins on the same connection");
    assert_eq!(
        read_n(&txn, "SELECT x AS n FROM pool_probe").await,
        3,
        "the dropped transaction's update was rolled back"
    );
    txn.commit().await.expect("committed");
}

/// The pool as the server opens it on upstream sqlx: a SQLite connection
/// is not pinged before each use (a file cannot be cut; the ping would be a
/// round trip to its worker thread) and keeps sqlx's default lifetime, a
/// file database and an in-memory one alike (the latter would vanish with
/// its last connection, so it must not be replaced early).
/// Asserts `db`'s pool keeps sqlx's default lifetime and pings no
/// connection before use.
fn assert_sqlx_defaults_but_the_ping(db: &sea_orm::DatabaseConnection, what: &str) {
    let default = sea_orm::sqlx::pool::PoolOptions::<sea_orm::sqlx::Sqlite>::new();
    let options = db.get_sqlite_connection_pool().options();
    assert_eq!(
        options.get_max_lifetime(),
        default.get_max_lifetime(),
        "{what}"
    );
    assert!(!options.get_test_before_acquire(), "{what}");
}

#[tokio::test]
async fn sqlite_pools_keep_sqlx_defaults_but_the_ping_before_use() {
    let dir = tempfile::tempdir().expect("temp dir");
    let mut config = test_config(&dir);
    config.database_url = Some(format!("sqlite://{}", dir.path().join("file.db").display()));
    let file = server::connect(&config)
        .await
        .expect("a file database opens");
    assert_sqlx_defaults_but_the_ping(&file, "a file database");

    config.database_url = Some("sqlite::memory:".to_owned());
    let memory = server::connect(&config)
        .await
        .expect("an in-memory database opens");
    assert_sqlx_defaults_but_the_ping(&memory, "an in-memory database");
}
