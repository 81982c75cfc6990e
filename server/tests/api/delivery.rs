//! Delivering the PBX's events, end to end: the real server ingests them,
//! queues them in the database and posts them to real receivers by
//! PortSIP's rules (shortened schedules); the real binary is killed with
//! SIGKILL under load and nothing accepted is lost.

use crate::{helpers::*, receivers::*};
use reqwest::StatusCode;
use sea_orm::{ColumnTrait, EntityTrait, QueryFilter, QueryOrder};
use serde_json::{json, Value};
use std::time::Duration;

/// A server whose deliveries may reach loopback receivers, with `schedule`.
pub async fn spawn_delivering(schedule: &str) -> TestApp {
    spawn_delivering_with(schedule, 8).await
}

pub async fn spawn_delivering_with(schedule: &str, per_endpoint: u32) -> TestApp {
    let dir = tempfile::tempdir().expect("temp dir");
    let mut config = test_config(&dir);
    config.allow_private_targets = "127.0.0.0/8".into();
    config.retry_schedule = schedule.parse().expect("a schedule");
    config.max_in_flight_per_endpoint = per_endpoint;
    spawn_with(dir, config).await
}

pub struct Pbx {
    client: reqwest::Client,
    pub key: String,
    base: String,
}

impl Pbx {
    /// The same PBX (its key) handing in to another instance at `addr`.
    pub fn on(pbx: &Pbx, addr: std::net::SocketAddr) -> Pbx {
        Pbx {
            client: pbx.client.clone(),
            key: pbx.key.clone(),
            base: format!("http://{addr}"),
        }
    }

    pub async fn new(app: &TestApp) -> Pbx {
        let db = server::connect(&app.config).await.unwrap();
        let scope = app::delivery::keys::KeyScope::AllTenants;
        let key = app::delivery::keys::create(&db, "pbx-1", &scope)
            .await
            .unwrap();
        Pbx {
            client: reqwest::Client::new(),
            key,
            base: app.url(""),
        }
    }

    pub async fn send(&self, tenant: &str, body: &Value) -> (StatusCode, Value) {
        self.send_raw(tenant, body.to_string(), Some(&self.key))
            .await
    }

    /// Hands `body` in for `tenant`, asserting it was accepted (202): the
    /// answer.
    pub async fn hand_in(&self, tenant: &str, body: &Value) -> Value {
        let (status, answer) = self.send(tenant, body).await;
        assert_eq!(status, StatusCode::ACCEPTED, "hand-in refused: {answer}");
        answer
    }

    async fn send_raw(&self, tenant: &str, body: String, key: Option<&str>) -> (StatusCode, Value) {
        let mut request = self
            .client
            .post(format!("{}/ingest/v1/tenants/{tenant}/events", self.base))
            .header("content-type", "application/json")
            .body(body);
        if let Some(key) = key {
            request = request.bearer_auth(key);
        }
        let response = request.send().await.unwrap();
        let status = response.status();
        let kind = response
            .headers()
            .get("content-type")
            .map(|v| v.to_str().unwrap().to_owned())
            .unwrap_or_default();
        let text = response.text().await.unwrap();
        if !status.is_success() {
            assert_eq!(kind, "application/problem+json", "{status}: {text}");
        }
        (
            status,
            serde_json::from_str(&text).unwrap_or(Value::String(text)),
        )
    }
}

/// A tenant "Acme" whose two sections deliver, without authentication, to
/// `url`, and an ingest key: what a PBX needs, set up in the database
/// directly (for tests that run the real binary).
pub async fn tenant_delivering_to(
    db: &sea_orm::DatabaseConnection,
    cipher: &app::persistence::crypto::SecretCipher,
    url: &str,
) -> (i32, String) {
    use app::persistence::entities::endpoint;
    use sea_orm::sea_query::Expr;
    let tenant = app::accounts::create_tenant(
        db,
        cipher,
        app::accounts::NewTenant {
            name: "Acme".into(),
        },
    )
    .await
    .unwrap();
    endpoint::Entity::update_many()
        .col_expr(endpoint::Column::Url, Expr::value(url))
        .col_expr(endpoint::Column::Enabled, Expr::value(true))
        .filter(endpoint::Column::TenantId.eq(tenant.id))
        .exec(db)
        .await
        .unwrap();
    let scope = app::delivery::keys::KeyScope::Tenants(vec!["Acme".into()]);
    let key = app::delivery::keys::create(db, "pbx-1", &scope)
        .await
        .unwrap();
    (tenant.id, key)
}

pub async fn tenant_id(app: &TestApp, name: &str) -> String {
    let db = server::connect(&app.config).await.unwrap();
    app::persistence::entities::tenant::Entity::find()
        .filter(app::persistence::entities::tenant::Column::Name.eq(name))
        .all(&db)
        .await
        .unwrap()[0]
        .id
        .to_string()
}

pub async fn events(app: &TestApp) -> Vec<app::persistence::entities::event::Model> {
    let db = server::connect(&app.config).await.unwrap();
    app::persistence::entities::event::Entity::find()
        .order_by_asc(app::persistence::entities::event::Column::Id)
        .all(&db)
        .await
        .unwrap()
}

/// Acme and its alice on `app`: the tenant's id, alice signed in, and a
/// receiver to deliver to.
pub async fn acme_delivering(app: &TestApp) -> (String, Browser, Receiver) {
    acme_delivering_beside(app, &[]).await
}

/// As `acme_delivering`, with the `others` (tenant, administrator) made
/// after Acme.
pub async fn acme_delivering_beside(
    app: &TestApp,
    others: &[(&str, &str)],
) -> (String, Browser, Receiver) {
    app.create_tenant_with_admin("Acme", "alice").await;
    for (other, admin) in others {
        app.create_tenant_with_admin(other, admin).await;
    }
    let tenant = tenant_id(app, "Acme").await;
    let alice = Browser::signed_in(app, "alice").await;
    (tenant, alice, Receiver::start().await)
}

/// The stored event whose id is `uid`, if there is one.
pub async fn event(app: &TestApp, uid: &str) -> Option<app::persistence::entities::event::Model> {
    events(app).await.into_iter().find(|e| e.event_uid == uid)
}

/// Waits until the event `uid` is in `state`: then the event.
pub async fn event_in_state(
    app: &TestApp,
    uid: &str,
    state: &str,
) -> app::persistence::entities::event::Model {
    wait_for(&format!("{uid} to be {state}"), async || {
        event(app, uid).await.is_some_and(|e| e.state == state)
    })
    .await;
    event(app, uid).await.expect("the event")
}

/// Waits (a minute at most, looking every 200 ms) until every id in
/// `accepted` is among the ids `delivered` gives.
pub async fn wait_all_delivered(
    accepted: &std::collections::BTreeSet<String>,
    delivered: impl Fn() -> std::collections::BTreeSet<String>,
) {
    let started = std::time::Instant::now();
    loop {
        let unique = delivered();
        if accepted.is_subset(&unique) {
            break;
        }
        assert!(
            started.elapsed() < Duration::from_secs(60),
            "{} of {} accepted events delivered",
            accepted.iter().filter(|id| unique.contains(*id)).count(),
            accepted.len()
        );
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
}

pub async fn wait_for(what: &str, mut done: impl AsyncFnMut() -> bool) {
    let started = std::time::Instant::now();
    while !done().await {
        assert!(
            started.elapsed() < Duration::from_secs(30),
            "timed out waiting for {what}"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

pub fn cdr(id: &str) -> Value {
    json!({"event_type": "call_cdr", "event_id": id, "call_id": format!("call-{id}"), "tenant_id": "1"})
}

#[tokio::test]
async fn bad_input_is_refused_with_problem_details_and_nothing_is_stored() {
    let app = spawn_delivering("200ms").await;
    app.create_tenant_with_admin("Acme", "alice").await;
    let tenant = tenant_id(&app, "Acme").await;
    let pbx = Pbx::new(&app).await;
    let event = cdr("e1").to_string();

    for (key, status) in [
        (None, StatusCode::UNAUTHORIZED),
        (Some("eui_not-a-real-key"), StatusCode::UNAUTHORIZED),
        (Some("Basic abc"), StatusCode::UNAUTHORIZED),
    ] {
        let (got, body) = pbx.send_raw(&tenant, event.clone(), key).await;
        assert_eq!(got, status, "{key:?}: {body}");
    }
    for unknown in ["999999", "acme", "-1"] {
        let (got, body) = pbx.send(unknown, &cdr("e1")).await;
        assert_eq!(got, StatusCode::NOT_FOUND, "{unknown}: {body}");
    }
    let many: Vec<Value> = (0..1001).map(|n| cdr(&n.to_string())).collect();
    for (body, status) in [
        ("not json".to_owned(), StatusCode::BAD_REQUEST),
        ("42".to_owned(), StatusCode::BAD_REQUEST),
        ("[]".to_owned(), StatusCode::BAD_REQUEST),
        ("[1]".to_owned(), StatusCode::BAD_REQUEST),
        (json!({"call_id": "x"}).to_string(), StatusCode::BAD_REQUEST),
        (
            json!({"event_type": 7}).to_string(),
            StatusCode::BAD_REQUEST,
        ),
        (
            json!({"event_type": "call_cdr", "event_id": 5}).to_string(),
            StatusCode::BAD_REQUEST,
        ),
        (
            json!({"event_type": "sms_received"}).to_string(),
            StatusCode::UNPROCESSABLE_ENTITY,
        ),
        // One bad event refuses the whole batch.
        (
            json!([cdr("ok-1"), {"event_type": "nope"}]).to_string(),
            StatusCode::UNPROCESSABLE_ENTITY,
        ),
        (json!(many).to_string(), StatusCode::PAYLOAD_TOO_LARGE),
        (
            format!(
                "{{\"event_type\":\"call_cdr\",\"pad\":\"{}\"}}",
                "x".repeat(2 * 1024 * 1024 + 1)
            ),
            StatusCode::PAYLOAD_TOO_LARGE,
        ),
    ] {
        let (got, problem) = pbx.send_raw(&tenant, body.clone(), Some(&pbx.key)).await;
        assert_eq!(got, status, "{}: {problem}", &body[..body.len().min(80)]);
        assert_eq!(problem["status"], status.as_u16(), "{problem}");
        assert!(
            problem["detail"].as_str().is_some_and(|d| !d.is_empty()),
            "{problem}"
        );
    }
    assert!(events(&app).await.is_empty(), "nothing stored");

    // A revoked key stops at once.
    let db = server::connect(&app.config).await.unwrap();
    app::delivery::keys::revoke(&db, "pbx-1").await.unwrap();
    let (got, _) = pbx.send(&tenant, &cdr("e2")).await;
    assert_eq!(got, StatusCode::UNAUTHORIZED);
}

#[tokio::test]
async fn an_event_is_delivered_once_as_sent_with_its_id_and_the_sections_credentials() {
    let app = spawn_delivering("200ms,200ms").await;
    let (tenant, alice, receiver) = acme_delivering(&app).await;
    let url = receiver.url("/bearer");
    let token = [("token", BEARER_TOKEN), ("enabled", "on")];
    alice.save_ok(&fields("cdr", "bearer", &url, &token)).await;
    let pbx = Pbx::new(&app).await;

    let body = r#"{"event_type":"call_cdr","event_id":"evt-1","talk_duration":21,"caller":"sip:101@test.io"}"#;
    let (status, answer) = pbx.send_raw(&tenant, body.to_owned(), Some(&pbx.key)).await;
    assert_eq!(status, StatusCode::ACCEPTED, "{answer}");
    assert_eq!(answer["ids"], json!(["evt-1"]));
    wait_for("the delivery", async || receiver.seen().len() == 1).await;
    let got = &receiver.seen()[0];
    assert_eq!(got.body, body, "the body exactly as sent");
    assert_eq!(got.headers["webhook-id"], "evt-1");
    assert_eq!(
        got.headers["authorization"],
        format!("Bearer {BEARER_TOKEN}").as_str()
    );
    wait_for("the record", async || {
        events(&app).await[0].state == "delivered"
    })
    .await;
    assert_eq!(events(&app).await[0].attempts, 1);

    // Handed in again (the PBX retrying its hand-off): accepted, same id,
    // not delivered again. Without an id, eventurl gives one.
    let (status, again) = pbx.send_raw(&tenant, body.to_owned(), Some(&pbx.key)).await;
    assert_eq!(status, StatusCode::ACCEPTED);
    assert_eq!(again["ids"], json!(["evt-1"]));
    let fresh = pbx
        .hand_in(&tenant, &json!([{"event_type": "cdr_target_add"}]))
        .await;
    let given = fresh["ids"][0].as_str().unwrap().to_owned();
    assert_eq!(given.len(), 36, "a UUID: {given}");
    wait_for("the second delivery", async || receiver.seen().len() == 2).await;
    tokio::time::sleep(Duration::from_millis(700)).await;
    assert_eq!(receiver.seen().len(), 2, "evt-1 once, the new one once");
    assert_eq!(receiver.seen()[1].headers["webhook-id"], given.as_str());
    // Bodies are stored encrypted.
    assert!(!app.database_holds("sip:101@test.io"));
}

#[tokio::test]
async fn only_200_delivers_404_gives_up_at_once_and_the_rest_is_retried_on_the_schedule() {
    let app = spawn_delivering("200ms,200ms,200ms").await;
    let (tenant, alice, receiver) = acme_delivering(&app).await;
    let pbx = Pbx::new(&app).await;
    for (path, expected_state, expected_attempts) in [
        ("/flaky", "delivered", 3),
        ("/missing", "given_up", 1),
        ("/boom", "given_up", 4),
        ("/no-content", "given_up", 4),
    ] {
        alice.save_plain("cdr", &receiver.url(path), true).await;
        let id = format!("evt{path}");
        pbx.hand_in(&tenant, &cdr(&id)).await;
        let event = event_in_state(&app, &id, expected_state).await;
        assert_eq!(event.attempts, expected_attempts, "{path}");
        let tries = receiver.seen().iter().filter(|s| s.path == path).count();
        assert_eq!(tries, expected_attempts as usize, "{path}");
        // The section's header names this event's last attempt, in the same
        // commit as the event's state.
        assert_eq!(
            alice.load().await["cdr_deliveries"]["last_status"],
            json!(event.last_status),
            "{path}"
        );
    }
}

#[tokio::test]
async fn paused_cdr_events_are_held_then_delivered_in_order_and_extension_events_skipped() {
    // One at a time, so the order they are attempted in is the order they
    // arrive in (with more in flight, arrival order is not guaranteed).
    let app = spawn_delivering_with("200ms", 1).await;
    let (tenant, alice, receiver) = acme_delivering(&app).await;
    for kind in ["cdr", "extension"] {
        alice.save_plain(kind, &receiver.url("/ok"), false).await;
    }
    let pbx = Pbx::new(&app).await;
    let batch: Vec<Value> = (1..=5).map(|n| cdr(&format!("held-{n}"))).collect();
    pbx.hand_in(&tenant, &json!(batch)).await;
    let presence = json!({"event_type": "extension_presence", "event_id": "p1"});
    pbx.hand_in(&tenant, &presence).await;
    tokio::time::sleep(Duration::from_millis(600)).await;
    assert!(receiver.seen().is_empty(), "nothing attempted while paused");
    let states: Vec<String> = events(&app).await.iter().map(|e| e.state.clone()).collect();
    assert_eq!(states, ["held", "held", "held", "held", "held", "skipped"]);

    // Enabled: the held events go, oldest first.
    let (status, body) = alice.enable("cdr").await;
    assert_eq!(status, StatusCode::OK, "{body}");
    wait_for("the held events", async || receiver.seen().len() == 5).await;
    let order: Vec<String> = receiver
        .seen()
        .iter()
        .map(|s| s.headers["webhook-id"].to_str().unwrap().to_owned())
        .collect();
    assert_eq!(order, ["held-1", "held-2", "held-3", "held-4", "held-5"]);
}

#[tokio::test]
async fn a_rotated_secret_is_used_from_the_next_attempt_on() {
    let app = spawn_delivering("1s,1s,1s,1s").await;
    let (tenant, alice, receiver) = acme_delivering(&app).await;
    let url = receiver.url("/bearer");
    let bearer = |token: &'static str| {
        fields(
            "cdr",
            "bearer",
            &url,
            &[("token", token), ("enabled", "on")],
        )
    };
    alice.save_ok(&bearer("the-old-token-0")).await;
    let pbx = Pbx::new(&app).await;
    pbx.hand_in(&tenant, &cdr("rot-1")).await;
    wait_for("the first attempt", async || receiver.seen().len() == 1).await;
    assert_eq!(
        receiver.seen()[0].headers["authorization"],
        "Bearer the-old-token-0"
    );
    alice.save_ok(&bearer(BEARER_TOKEN)).await;
    wait_for("the delivery", async || {
        events(&app).await[0].state == "delivered"
    })
    .await;
    let seen = receiver.seen();
    assert_eq!(seen.len(), 2);
    assert_eq!(
        seen[1].headers["authorization"],
        format!("Bearer {BEARER_TOKEN}").as_str()
    );
}

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

/// The section header says what happened lately; held events can be
/// discarded (confirmed, recorded in Activity) and are then not delivered.
#[tokio::test]
async fn the_tab_shows_recent_deliveries_and_held_events_can_be_discarded() {
    let app = spawn_delivering("200ms").await;
    let (tenant, alice, receiver) = acme_delivering(&app).await;
    alice
        .save_plain("extension", &receiver.url("/ok"), true)
        .await;
    alice.save_plain("cdr", &receiver.url("/ok"), false).await;
    let pbx = Pbx::new(&app).await;
    let presence: Vec<Value> = (0..3)
        .map(|n| json!({"event_type": "extension_presence", "event_id": format!("p{n}")}))
        .collect();
    pbx.hand_in(&tenant, &json!(presence)).await;
    let held: Vec<Value> = (0..4).map(|n| cdr(&format!("h{n}"))).collect();
    pbx.hand_in(&tenant, &json!(held)).await;
    wait_for("the deliveries", async || receiver.seen().len() == 3).await;
    wait_for("their records", async || {
        alice.load().await["extension_deliveries"]["delivered_24h"] == 3
    })
    .await;

    let data = alice.load().await;
    assert_eq!(data["extension_deliveries"]["last_status"], 200);
    assert_eq!(data["cdr_deliveries"]["held"], 4);
    let page = alice.text("/company/event-url").await;
    assert!(
        page.contains("Last 24 hours: 3 delivered, 0 given up"),
        "{page}"
    );
    assert!(page.contains("4 CDR events held while paused"), "{page}");
    // Each section's last attempt (kept with its newest hour's counts).
    assert!(
        data["extension_deliveries"]["last_attempt_at"].is_string(),
        "{data}"
    );
    assert_eq!(data["cdr_deliveries"]["last_attempt_at"], Value::Null);
    assert!(page.contains(": delivered (200)."), "{page}");
    assert!(page.contains("No event delivered yet."), "{page}");
    // The chart: this hour's three attempts, all delivered.
    let hourly: u64 = data["extension_hours"]
        .as_array()
        .expect("the hours")
        .iter()
        .map(|h| h["delivered"].as_u64().expect("a count"))
        .sum();
    assert_eq!(hourly, 3, "{data}");
    assert_eq!(data["extension_hours"].as_array().map(Vec::len), Some(24));
    assert!(
        page.contains("Extension Events attempts, last 24 hours: 3 delivered, 0 failed."),
        "{page}"
    );
    assert!(page.contains("Discard 4 held events"), "{page}");

    // Discarded (the form post, as without JavaScript), then enabling
    // delivers nothing of them.
    let response = alice
        .post_form("/company/event-url/discard-held", &[("kind", "cdr")])
        .await;
    assert_eq!(response.status(), StatusCode::SEE_OTHER);
    assert_eq!(alice.load().await["cdr_deliveries"]["held"], 0);
    assert!(
        app.database_holds_in_activity("discarded 4 held events")
            .await
    );
    let (status, _) = alice.enable("cdr").await;
    assert_eq!(status, StatusCode::OK);
    tokio::time::sleep(Duration::from_millis(700)).await;
    assert_eq!(
        receiver.seen().len(),
        3,
        "the discarded events were not delivered"
    );
    // Another tenant cannot discard Acme's, nor see its counts.
    app.create_tenant_with_admin("Other", "bob").await;
    let bob = Browser::signed_in(&app, "bob").await;
    assert_eq!(bob.load().await["extension_deliveries"]["delivered_24h"], 0);
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

/// The stored password, through Digest and Basic, at Apache httpd's
/// mod_auth_digest and mod_auth_basic (with one Apache for both).
#[tokio::test]
async fn events_are_delivered_through_apache_digest_and_basic() {
    let app = spawn_delivering("200ms,200ms").await;
    app.create_tenant_with_admin("Acme", "alice").await;
    let tenant = tenant_id(&app, "Acme").await;
    let alice = Browser::signed_in(&app, "alice").await;
    let apache = Apache::start().await;
    let pbx = Pbx::new(&app).await;
    for (method, path, id) in [
        ("digest", "/digest/hook?tenant=acme", "via-digest"),
        ("basic", "/basic/hook", "via-basic"),
    ] {
        let credentials = [
            ("username", APACHE_USER),
            ("password", APACHE_PASSWORD),
            ("enabled", "on"),
        ];
        alice
            .save_ok(&fields("cdr", method, &apache.url(path), &credentials))
            .await;
        pbx.hand_in(&tenant, &cdr(id)).await;
        let event = event_in_state(&app, id, "delivered").await;
        assert_eq!(
            event.attempts, 1,
            "{method}: one attempt (its challenge round inside)"
        );
        assert_eq!(event.last_status, Some(200));
    }
}

/// A 503 with `Retry-After` within the schedule's longest step is honoured
/// (here 1 s instead of the 200 ms step); the schedule still ends it.
#[tokio::test]
async fn retry_after_is_honoured_within_the_schedules_longest_step() {
    let app = spawn_delivering("200ms,2s").await;
    let (tenant, alice, receiver) = acme_delivering(&app).await;
    alice.save_plain("cdr", &receiver.url("/busy"), true).await;
    let pbx = Pbx::new(&app).await;
    pbx.hand_in(&tenant, &cdr("busy-1")).await;
    wait_for("the first attempt", async || receiver.seen().len() == 1).await;
    let first = std::time::Instant::now();
    wait_for("the second attempt", async || receiver.seen().len() == 2).await;
    let gap = first.elapsed();
    assert!(
        gap >= Duration::from_millis(800),
        "waited {gap:?}, not the 200 ms step"
    );
    wait_for("giving up", async || {
        events(&app).await[0].state == "given_up"
    })
    .await;
    assert_eq!(events(&app).await[0].attempts, 3);
}

/// A receiver that hangs delays nobody else: its endpoint gets at most its
/// share of attempts in flight, and another tenant's events go at once.
#[tokio::test]
async fn a_hanging_receiver_does_not_delay_other_tenants() {
    let app = spawn_delivering_with("200ms", 2).await;
    app.create_tenant_with_admin("Slowco", "sam").await;
    app.create_tenant_with_admin("Acme", "alice").await;
    let slow_tenant = tenant_id(&app, "Slowco").await;
    let tenant = tenant_id(&app, "Acme").await;
    let receiver = Receiver::start().await;
    let sam = Browser::signed_in(&app, "sam").await;
    sam.save_plain("cdr", &receiver.url("/slow"), true).await;
    let alice = Browser::signed_in(&app, "alice").await;
    alice.save_plain("cdr", &receiver.url("/ok"), true).await;
    let pbx = Pbx::new(&app).await;
    let stuck: Vec<Value> = (0..20).map(|n| cdr(&format!("slow-{n}"))).collect();
    pbx.hand_in(&slow_tenant, &json!(stuck)).await;
    wait_for("the slow receiver's attempts", async || {
        receiver.seen().iter().any(|s| s.path == "/slow")
    })
    .await;
    let started = std::time::Instant::now();
    pbx.hand_in(&tenant, &cdr("quick-1")).await;
    wait_for("the other tenant's delivery", async || {
        receiver.seen().iter().any(|s| s.path == "/ok")
    })
    .await;
    assert!(
        started.elapsed() < Duration::from_secs(2),
        "{:?}",
        started.elapsed()
    );
    let hanging = receiver.seen().iter().filter(|s| s.path == "/slow").count();
    assert!(hanging <= 2, "{hanging} attempts in flight to one endpoint");
}

/// Finished events older than the retention time are deleted; held and
/// pending ones stay whatever their age.
#[tokio::test]
async fn finished_events_are_deleted_after_the_retention_time() {
    let app = spawn_delivering("200ms").await;
    let (tenant, alice, receiver) = acme_delivering(&app).await;
    alice.save_plain("cdr", &receiver.url("/ok"), false).await;
    let pbx = Pbx::new(&app).await;
    // Held (CDR, paused) and skipped (extension, no URL).
    let batch = json!([cdr("kept"), {"event_type": "extension_call", "event_id": "gone", "extension": "sip:101@t"}]);
    pbx.hand_in(&tenant, &batch).await;
    let db = server::connect(&app.config).await.unwrap();
    {
        use app::persistence::entities::event;
        use sea_orm::sea_query::Expr;
        let long_ago = time::OffsetDateTime::now_utc() - time::Duration::days(30);
        event::Entity::update_many()
            .col_expr(event::Column::CreatedAt, Expr::value(long_ago))
            .col_expr(event::Column::FinishedAt, Expr::value(Some(long_ago)))
            .filter(event::Column::State.eq("skipped"))
            .exec(&db)
            .await
            .unwrap();
    }
    let deleted = app::delivery::queue::purge(&db, time::Duration::days(7))
        .await
        .unwrap();
    assert_eq!(deleted, 1);
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
