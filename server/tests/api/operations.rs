//! The server as operations meet it: the real binary killed with SIGKILL
//! under load loses nothing accepted; another process on the SQLite file
//! corrupts nothing; a stop releases attempts after its grace; metrics
//! only with the operators' token; finished events purged after the
//! retention time.

use crate::{helpers::*, pbx::*, receivers::*};
use reqwest::StatusCode;
use sea_orm::{ColumnTrait, EntityTrait, QueryFilter};
use serde_json::{json, Value};
use std::time::Duration;

/// SIGKILL of the real binary while the PBX hands events in and they are
/// being delivered: every event answered 202 is delivered once the
/// service is back (attempts cut short are made again after their lease).
#[tokio::test]
async fn no_accepted_event_is_lost_when_the_process_is_killed() {
    let dir = tempfile::tempdir().unwrap();
    let receiver = Receiver::start().await;
    let start = || {
        let mut command = std::process::Command::new(env!("CARGO_BIN_EXE_eventurl"));
        command
            .env_remove("DATABASE_URL")
            .env_remove("EVENTURL_SECRET_KEY")
            .env_remove("RUST_LOG")
            .env("RUST_LOG", "warn,eventurl=info,server=info")
            .env("EVENTURL_DATA_DIR", dir.path())
            .env("LEPTOS_SITE_ADDR", "127.0.0.1:0")
            .env("LEPTOS_SITE_ROOT", "target/site")
            .env("EVENTURL_ALLOW_PRIVATE_TARGETS", "127.0.0.0/8")
            .env("EVENTURL_RETRY_SCHEDULE", "200ms,200ms,200ms")
            .env("EVENTURL_DELIVERY_LEASE_SECS", "11");
        if crate::database::on_postgres() {
            command.env(
                "DATABASE_URL",
                crate::database::postgres_database_for(dir.path()),
            );
        }
        crate::process::Running::start(command)
    };
    let first = start();
    // The tenant, its enabled CDR endpoint and a key, in the same database.
    let mut config = test_config(&dir);
    config.database_url = if crate::database::on_postgres() {
        Some(crate::database::postgres_database_for(dir.path()))
    } else {
        None
    };
    config.secret_key = None;
    let db = server::connect(&config).await.unwrap();
    let cipher = server::load_cipher(&config).unwrap();
    let (tenant, key) = tenant_delivering_to(&db, &cipher, &receiver.url("/ok")).await;
    let client = reqwest::Client::new();
    let post = |base: String, n: usize| {
        let client = client.clone();
        let key = key.clone();
        async move {
            let batch: Vec<Value> = (0..50).map(|i| cdr(&format!("k-{n}-{i}"))).collect();
            let answer = client
                .post(format!("{base}/ingest/v1/tenants/{tenant}/events"))
                .bearer_auth(&key)
                .json(&batch)
                .timeout(Duration::from_secs(10))
                .send()
                .await;
            match answer {
                Ok(r) if r.status() == StatusCode::ACCEPTED => {
                    let ids: Value = r.json().await.unwrap();
                    ids["ids"]
                        .as_array()
                        .unwrap()
                        .iter()
                        .map(|v| v.as_str().unwrap().to_owned())
                        .collect()
                }
                Ok(r) => {
                    eprintln!(
                        "batch {n}: {} {}",
                        r.status(),
                        r.text().await.unwrap_or_default()
                    );
                    Vec::new()
                }
                Err(e) => {
                    eprintln!("batch {n}: {e}");
                    Vec::new()
                }
            }
        }
    };
    let mut accepted = std::collections::BTreeSet::new();
    let base = first.url("");
    for n in 0..30 {
        accepted.extend(post(base.clone(), n).await);
    }
    // Killed while delivering (and while another batch is being handed in).
    wait_for("deliveries under way", async || {
        receiver.seen().len() >= 100
    })
    .await;
    let in_flight = tokio::spawn(post(base.clone(), 30));
    let log = first.stop();
    for line in log
        .lines()
        .filter(|l| l.contains("ERROR") || l.contains("WARN"))
        .take(5)
    {
        eprintln!("{line}");
    }
    accepted.extend(in_flight.await.unwrap());
    assert!(accepted.len() >= 1500, "{}", accepted.len());

    let second = start();
    let base = second.url("");
    for n in 31..40 {
        accepted.extend(post(base.clone(), n).await);
    }
    let delivered = || {
        receiver
            .seen()
            .iter()
            .filter_map(|s| {
                s.headers
                    .get("webhook-id")
                    .map(|v| v.to_str().unwrap().to_owned())
            })
            .collect::<Vec<_>>()
    };
    wait_all_delivered(&accepted, || delivered().into_iter().collect()).await;
    let all = delivered();
    let unique: std::collections::BTreeSet<&String> = all.iter().collect();
    println!(
        "kill -9: {} accepted, all delivered; {} duplicate deliveries (attempts in flight at the kill, made again after their lease)",
        accepted.len(),
        all.len() - unique.len()
    );
    // The kept counts (written by triggers in each change's transaction)
    // survived the kill: once every event has finished, none is counted.
    wait_for("every event recorded as finished", async || {
        crate::pbx::events_in(&db)
            .await
            .iter()
            .all(|e| e.state == "delivered")
    })
    .await;
    assert!(crate::pbx::kept_counts_match_in(&db).await.is_empty());
    drop(second);
}

/// Another process opening and closing the SQLite database while the
/// server is busy (the CLI, a backup, `sqlite3`) leaves it whole. The
/// server once opened and closed the database file itself after its pool
/// was up, which dropped its SQLite locks: the next process to close the
/// database took it as its own and deleted the write-ahead log under the
/// server ("database disk image is malformed", events answered 202 lost).
/// On SQLite in both suites: the locks are SQLite's.
#[tokio::test]
async fn another_process_using_the_sqlite_file_beside_a_busy_server_corrupts_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let receiver = Receiver::start().await;
    let mut command = std::process::Command::new(env!("CARGO_BIN_EXE_eventurl"));
    command
        .env_remove("DATABASE_URL")
        .env_remove("EVENTURL_SECRET_KEY")
        .env("RUST_LOG", "warn,server=info")
        .env("EVENTURL_DATA_DIR", dir.path())
        .env("LEPTOS_SITE_ADDR", "127.0.0.1:0")
        .env("LEPTOS_SITE_ROOT", "target/site")
        .env("EVENTURL_ALLOW_PRIVATE_TARGETS", "127.0.0.0/8");
    let server = crate::process::Running::start(command);
    let mut config = test_config(&dir);
    config.database_url = None;
    config.secret_key = None;
    let setup = server::connect(&config).await.unwrap();
    let cipher = server::load_cipher(&config).unwrap();
    let (tenant, key) = tenant_delivering_to(&setup, &cipher, &receiver.url("/ok")).await;
    setup.close().await.unwrap();

    let client = reqwest::Client::new();
    let base = server.url("");
    let mut load = tokio::task::JoinSet::new();
    for n in 0..20 {
        let (client, key, base) = (client.clone(), key.clone(), base.clone());
        load.spawn(async move {
            let batch: Vec<Value> = (0..50).map(|i| cdr(&format!("c-{n}-{i}"))).collect();
            let answer = client
                .post(format!("{base}/ingest/v1/tenants/{tenant}/events"))
                .bearer_auth(&key)
                .json(&batch)
                .send()
                .await
                .unwrap();
            (answer.status(), answer.text().await.unwrap())
        });
    }
    // Meanwhile, another process opens the file, reads and closes it, again
    // and again, as an operator's `sqlite3` or backup script would (Python's
    // SQLite: on this machine kind, as the benchmark uses; the last
    // connection to close check-points and removes the write-ahead log if
    // it can lock the file for itself).
    let file = dir.path().join("eventurl.db");
    let visitor = async {
        for _ in 0..20 {
            let file = file.clone();
            let read = tokio::task::spawn_blocking(move || {
                std::process::Command::new("python3")
                    .arg("-c")
                    .arg(
                        "import sqlite3, sys; c = sqlite3.connect(sys.argv[1], timeout=30); \
                          c.execute('SELECT COUNT(*) FROM events').fetchone(); c.close()",
                    )
                    .arg(&file)
                    .status()
                    .expect("python3 runs")
            })
            .await
            .unwrap();
            assert!(read.success());
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
    };
    let (answers, ()) = tokio::join!(load.join_all(), visitor);
    for (status, body) in &answers {
        assert_eq!(*status, StatusCode::ACCEPTED, "{body}");
    }
    let db = server::connect(&config).await.unwrap();
    let delivered = async || {
        app::persistence::entities::event::Entity::find()
            .filter(app::persistence::entities::event::Column::State.eq("delivered"))
            .all(&db)
            .await
            .unwrap()
            .len()
    };
    wait_for("all 1000 recorded as delivered", async || {
        delivered().await >= 1000
    })
    .await;
    assert_eq!(delivered().await, 1000);
    let check: Vec<String> = {
        use sea_orm::{ConnectionTrait, Statement};
        db.query_all_raw(Statement::from_string(
            sea_orm::DatabaseBackend::Sqlite,
            "PRAGMA integrity_check",
        ))
        .await
        .unwrap()
        .into_iter()
        .map(|row| row.try_get_by_index::<String>(0).unwrap())
        .collect()
    };
    assert_eq!(check, vec!["ok".to_owned()]);
    let log = server.stop();
    assert!(
        !log.contains("malformed") && !log.contains("not a database"),
        "{log}"
    );
}

/// `/metrics` for the operator: only with the token, Prometheus text with
/// this instance's counts and the queue as the database has it.
#[tokio::test]
async fn metrics_are_served_only_with_the_operators_token() {
    let off = spawn_delivering("200ms").await;
    assert_eq!(
        off.browser().get("/metrics").await.status(),
        StatusCode::NOT_FOUND
    );

    let app = spawn_configured(|config| {
        config.allow_private_targets = "127.0.0.0/8".into();
        config.metrics_token = Some("metrics-token-0123456789abcdef0123456789".into());
    })
    .await;
    let (tenant, alice, receiver) = acme_delivering(&app).await;
    alice.save_plain("cdr", &receiver.url("/ok"), true).await;
    let pbx = Pbx::new(&app).await;
    let batch = json!([cdr("m1"), cdr("m2"), {"event_type": "queue_status"}]);
    pbx.hand_in(&tenant, &batch).await;
    wait_for("the deliveries", async || receiver.seen().len() == 2).await;

    let client = reqwest::Client::new();
    let anonymous = client.get(app.url("/metrics")).send().await.unwrap();
    assert_eq!(anonymous.status(), StatusCode::UNAUTHORIZED);
    // Signed in to the app is not enough either.
    assert_eq!(
        alice.get("/metrics").await.status(),
        StatusCode::UNAUTHORIZED
    );
    let text = || async {
        client
            .get(app.url("/metrics"))
            .bearer_auth("metrics-token-0123456789abcdef0123456789")
            .send()
            .await
            .unwrap()
            .text()
            .await
            .unwrap()
    };
    wait_for("the counts", async || {
        text()
            .await
            .contains("eventurl_delivery_attempts_total{outcome=\"delivered\"} 2")
    })
    .await;
    let text = text().await;
    for line in [
        "eventurl_events_accepted_total 3",
        "eventurl_events_total{outcome=\"delivered\"} 2",
        "eventurl_events_total{outcome=\"skipped\"} 1",
        "eventurl_queue_depth 0",
        "eventurl_delivery_attempt_seconds_count 2",
    ] {
        assert!(text.contains(line), "{line} missing from\n{text}");
    }
}

/// SIGTERM: no more claims; an attempt still under way after the grace
/// period is cut and its event released to the queue at once (not after
/// its lease), unattempted as far as the rules count.
#[tokio::test]
async fn a_stop_releases_attempts_still_under_way_after_the_grace_period() {
    let dir = tempfile::tempdir().unwrap();
    let receiver = Receiver::start().await;
    let mut command = crate::cli::binary(dir.path());
    command
        .args(["serve", "--site-addr", "127.0.0.1:0"])
        .env("EVENTURL_ALLOW_PRIVATE_TARGETS", "127.0.0.0/8")
        .env("EVENTURL_SHUTDOWN_GRACE_SECS", "1");
    let server = crate::process::Running::start(command);
    let mut config = test_config(&dir);
    config.database_url =
        crate::database::on_postgres().then(|| crate::database::postgres_database_for(dir.path()));
    config.secret_key = None;
    let db = server::connect(&config).await.unwrap();
    let cipher = server::load_cipher(&config).unwrap();
    let (tenant, key) = tenant_delivering_to(&db, &cipher, &receiver.url("/slow")).await;
    let answer = reqwest::Client::new()
        .post(server.url(&format!("/ingest/v1/tenants/{tenant}/events")))
        .bearer_auth(&key)
        .json(&cdr("slow-1"))
        .send()
        .await
        .unwrap();
    assert_eq!(answer.status(), StatusCode::ACCEPTED);
    wait_for("the attempt to start", async || receiver.seen().len() == 1).await;

    let (status, took, log) = server.terminate();
    assert!(status.success(), "{log}");
    assert!(took < Duration::from_secs(6), "stopped in {took:?}");
    assert!(log.contains("back in the queue"), "{log}");
    let event = app::persistence::entities::event::Entity::find()
        .all(&db)
        .await
        .unwrap()
        .pop()
        .unwrap();
    assert_eq!(event.state, "pending");
    assert_eq!(event.lease_until, None, "released, not left to its lease");
    assert_eq!(event.attempts, 0);
}

/// Finished events older than the retention time are deleted, in batches;
/// held and pending ones stay whatever their age.
#[tokio::test]
async fn finished_events_are_deleted_after_the_retention_time() {
    let app = spawn_delivering("200ms").await;
    let (tenant, alice, receiver) = acme_delivering(&app).await;
    alice.save_plain("cdr", &receiver.url("/ok"), false).await;
    let pbx = Pbx::new(&app).await;
    // Held (CDR, paused) and skipped (extension, no URL).
    let batch = json!([cdr("kept"), {"event_type": "extension_call", "event_id": "gone", "extension": "sip:101@t"}]);
    pbx.hand_in(&tenant, &batch).await;
    // 30 more skipped, so the purge takes several batches.
    let more: Vec<Value> = (0..30)
        .map(|n| json!({"event_type": "extension_presence", "event_id": format!("old-{n}")}))
        .collect();
    pbx.hand_in(&tenant, &json!(more)).await;
    let db = server::connect(&app.config).await.unwrap();
    {
        use app::persistence::entities::event;
        use sea_orm::sea_query::Expr;
        let long_ago = time::OffsetDateTime::now_utc() - time::Duration::days(30);
        event::Entity::update_many()
            .col_expr(event::Column::CreatedAt, Expr::value(long_ago))
            .col_expr(event::Column::NextAttemptAt, Expr::value(long_ago))
            .col_expr(event::Column::FinishedAt, Expr::value(Some(long_ago)))
            .filter(event::Column::State.eq("skipped"))
            .exec(&db)
            .await
            .unwrap();
        // The held one as old: it stays, however old.
        event::Entity::update_many()
            .col_expr(event::Column::CreatedAt, Expr::value(long_ago))
            .col_expr(event::Column::NextAttemptAt, Expr::value(long_ago))
            .filter(event::Column::State.eq("held"))
            .exec(&db)
            .await
            .unwrap();
    }
    // In batches (the first of 7 here), each its own turn at the write
    // gate, until one comes back short.
    let writes = app::persistence::write_gate::WriteGate::for_backend(db.get_database_backend());
    let purged = app::delivery::retention::purge_expired(
        &db,
        &writes,
        time::Duration::days(7),
        time::OffsetDateTime::now_utc(),
        app::delivery::retention::BatchSize::starting_at(7),
    )
    .await
    .unwrap();
    assert_eq!(purged.deleted, 31);
    assert!(purged.batches >= 2, "{purged:?}");
    // A second purge finds nothing, in one batch.
    let again = app::delivery::retention::purge_expired(
        &db,
        &writes,
        time::Duration::days(7),
        time::OffsetDateTime::now_utc(),
        app::delivery::retention::BatchSize::first(),
    )
    .await
    .unwrap();
    assert_eq!((again.deleted, again.batches), (0, 1));
    let left: Vec<String> = events(&app)
        .await
        .into_iter()
        .map(|e| e.event_uid)
        .collect();
    assert_eq!(left, ["kept"]);
    // The deleted event's search terms went with it; the kept one's stay.
    let refs = app::persistence::entities::event_ref::Entity::find()
        .all(&db)
        .await
        .unwrap();
    assert_eq!(refs.len(), 1, "only kept's call id: {refs:?}");

    // The chart's hourly counts are kept two days, but a section's newest
    // hour stays however old: it holds the section's last attempt.
    use app::persistence::entities::delivery_hour;
    use sea_orm::{ActiveModelTrait, Set};
    let now = time::OffsetDateTime::now_utc();
    let old = now - time::Duration::days(3);
    for (section, hour) in [("cdr", old), ("cdr", now), ("extension", old)] {
        delivery_hour::ActiveModel {
            tenant_id: Set(tenant.parse().unwrap()),
            section: Set(section.into()),
            hour: Set(app::delivery::health::hour_of(hour)),
            delivered: Set(1),
            failed: Set(0),
            last_at: Set(Some(hour)),
            last_status: Set(Some(200)),
        }
        .insert(&db)
        .await
        .unwrap();
    }
    let deleted = app::delivery::health::purge_hours(&db, now).await.unwrap();
    assert_eq!(deleted, 1, "only the cdr section's older hour");
    let kept: Vec<(String, bool)> = delivery_hour::Entity::find()
        .all(&db)
        .await
        .unwrap()
        .into_iter()
        .filter(|h| h.tenant_id.to_string() == tenant)
        .map(|h| (h.section, h.hour < now - time::Duration::days(2)))
        .collect();
    assert_eq!(
        kept,
        [("cdr".to_owned(), false), ("extension".to_owned(), true)],
        "the extension section's only (old) hour is kept"
    );
}
