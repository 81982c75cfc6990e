//! The PBX's side of the delivery tests: a server that may deliver to
//! loopback receivers, a PBX handing in events with its ingest key, and
//! waiting for the events' states in the database.

use crate::{helpers::*, receivers::*};
use reqwest::StatusCode;
use sea_orm::{ColumnTrait, EntityTrait, FromQueryResult, QueryFilter, QueryOrder};
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

    pub async fn send_raw(
        &self,
        tenant: &str,
        body: String,
        key: Option<&str>,
    ) -> (StatusCode, Value) {
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
    events_in(&db).await
}

pub async fn events_in(
    db: &sea_orm::DatabaseConnection,
) -> Vec<app::persistence::entities::event::Model> {
    app::persistence::entities::event::Entity::find()
        .order_by_asc(app::persistence::entities::event::Column::Id)
        .all(db)
        .await
        .unwrap()
}

/// The kept counts of held and waiting-to-be-retried events
/// (`section_counts`, kept by triggers) against a count of the events
/// themselves, each section of each tenant, read in one statement (one
/// snapshot): equal, and returned as (tenant, section, held, retrying),
/// sections with none left out.
pub async fn kept_counts_match(app: &TestApp) -> Vec<(i32, String, i64, i64)> {
    let db = server::connect(&app.config).await.unwrap();
    kept_counts_match_in(&db).await
}

pub async fn kept_counts_match_in(
    db: &sea_orm::DatabaseConnection,
) -> Vec<(i32, String, i64, i64)> {
    #[derive(sea_orm::FromQueryResult)]
    struct Counts {
        source: String,
        tenant_id: i32,
        section: String,
        held: i64,
        retrying: i64,
    }
    let rows = Counts::find_by_statement(sea_orm::Statement::from_string(
        db.get_database_backend(),
        "SELECT 'kept' AS source, tenant_id, section, CAST(SUM(held) AS BIGINT) AS held, \
         CAST(SUM(retrying) AS BIGINT) AS retrying FROM section_counts \
         GROUP BY tenant_id, section HAVING SUM(held) <> 0 OR SUM(retrying) <> 0 \
         UNION ALL \
         SELECT 'events' AS source, tenant_id, section, \
         CAST(SUM(CASE WHEN state = 'held' THEN 1 ELSE 0 END) AS BIGINT) AS held, \
         CAST(SUM(CASE WHEN state = 'pending' AND attempts > 0 THEN 1 ELSE 0 END) AS BIGINT) \
         AS retrying FROM events GROUP BY tenant_id, section \
         HAVING SUM(CASE WHEN state = 'held' OR (state = 'pending' AND attempts > 0) \
         THEN 1 ELSE 0 END) > 0 \
         ORDER BY source, tenant_id, section",
    ))
    .all(db)
    .await
    .unwrap();
    let of = |source: &str| -> Vec<(i32, String, i64, i64)> {
        rows.iter()
            .filter(|r| r.source == source)
            .map(|r| (r.tenant_id, r.section.clone(), r.held, r.retrying))
            .collect()
    };
    let kept = of("kept");
    assert_eq!(kept, of("events"), "the kept counts against the events");
    kept
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
