//! Bulk replays as jobs over the API: 10,000 skipped events re-queued
//! and delivered exactly once each, oldest first, while a second replay of
//! the section is refused (409, naming the first); progress read until
//! done; filtered events replayed too; what cannot be replayed is refused.

use reqwest::StatusCode;
use serde_json::{json, Value};
use std::{
    collections::HashMap,
    sync::{Arc, Mutex},
    time::Duration,
};

use crate::{
    pbx::{spawn_delivering, tenant_id, wait_for, Pbx},
    receivers::Receiver,
    rest::Api,
};

/// A receiver that answers 200 and counts each `webhook-id` it got (the
/// shared test receiver keeps every request, too much for 10,000).
async fn counting_receiver() -> (String, Arc<Mutex<HashMap<String, usize>>>) {
    let seen: Arc<Mutex<HashMap<String, usize>>> = Arc::default();
    let counted = seen.clone();
    let app = axum::Router::new().route(
        "/ok",
        axum::routing::post(move |headers: axum::http::HeaderMap| {
            let counted = counted.clone();
            async move {
                let id = headers
                    .get("webhook-id")
                    .and_then(|v| v.to_str().ok())
                    .unwrap_or_default()
                    .to_owned();
                *counted.lock().unwrap().entry(id).or_default() += 1;
                "thanks"
            }
        }),
    );
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move {
        let _ = axum::serve(listener, app).await;
    });
    (format!("http://{addr}/ok"), seen)
}

async fn count_in_state(app: &crate::helpers::TestApp, state: &str) -> usize {
    crate::pbx::events(app)
        .await
        .iter()
        .filter(|e| e.state == state)
        .count()
}

async fn put_cdr(api: &Api, body: Value) {
    let (_, headers, _) = api.get("/api/v1/event-url/cdr").await;
    let etag = headers["etag"].to_str().unwrap().to_owned();
    let (status, _, answer) = api
        .put("/api/v1/event-url/cdr", &body.to_string(), Some(&etag))
        .await;
    assert_eq!(status, StatusCode::OK, "{answer}");
}

/// Acme's CDR section, enabled to a path of a test receiver that answers
/// 404, and `n` CDR events (`{prefix}-00`, …) handed in for it.
async fn failing_section(app: &crate::helpers::TestApp, n: usize, prefix: &str) -> (Receiver, Api) {
    app.create_tenant_with_admin("Acme", "alice").await;
    let tenant = tenant_id(app, "Acme").await;
    let receiver = Receiver::start().await;
    let api = Api::with_token(app, "Acme", "ci", "write", None);
    put_cdr(
        &api,
        json!({"auth": "DISABLE", "url": receiver.url("/missing"), "enabled": true}),
    )
    .await;
    let batch: Vec<Value> = (0..n)
        .map(|i| json!({"event_type": "call_cdr", "event_id": format!("{prefix}-{i:02}")}))
        .collect();
    Pbx::new(app).await.hand_in(&tenant, &json!(batch)).await;
    (receiver, api)
}

/// Starts a replay (202 asserted) and waits until it is done: the replay
/// as started and as it ended.
async fn replay_to_the_end(api: &Api, body: Value) -> (Value, Value) {
    let (status, headers, started) = api
        .post("/api/v1/deliveries/redeliver", Some(&body.to_string()))
        .await;
    assert_eq!(status, StatusCode::ACCEPTED, "{started}");
    let location = headers["location"].to_str().unwrap().to_owned();
    wait_for("the replay done", async || {
        api.get(&location).await.2["done"] == true
    })
    .await;
    (started, api.get(&location).await.2)
}

#[tokio::test]
async fn a_replay_of_ten_thousand_events_delivers_each_exactly_once() {
    let app = spawn_delivering("200ms").await;
    app.create_tenant_with_admin("Acme", "alice").await;
    let tenant = tenant_id(&app, "Acme").await;
    let (receiver_url, counted) = counting_receiver().await;
    let api = Api::with_token(&app, "Acme", "ci", "write", None);
    // 10,000 events handed in while the section has no URL: skipped.
    let pbx = Pbx::new(&app).await;
    for n in 0..100 {
        let batch: Vec<Value> = (0..100)
            .map(|i| json!({"event_type": "call_cdr", "event_id": format!("r-{:05}", n * 100 + i)}))
            .collect();
        pbx.hand_in(&tenant, &json!(batch)).await;
    }
    assert_eq!(count_in_state(&app, "skipped").await, 10_000);

    // A URL now: the section's skipped events replayed as one job (32 at
    // once: the receiver answers at once).
    put_cdr(
        &api,
        json!({"auth": "DISABLE", "url": receiver_url, "enabled": true, "max_concurrency": 32}),
    )
    .await;
    let (status, headers, replay) = api
        .post(
            "/api/v1/deliveries/redeliver",
            Some(&json!({"section": "cdr", "state": "skipped"}).to_string()),
        )
        .await;
    assert_eq!(status, StatusCode::ACCEPTED, "{replay}");
    assert_eq!(replay["total"], 10_000, "{replay}");
    let location = headers["location"].to_str().unwrap().to_owned();
    assert_eq!(location, format!("/api/v1/replays/{}", replay["id"]));

    // One replay per section at a time.
    let (status, _, refused) = api
        .post(
            "/api/v1/deliveries/redeliver",
            Some(&json!({"section": "cdr", "state": "skipped"}).to_string()),
        )
        .await;
    assert_eq!(status, StatusCode::CONFLICT, "{refused}");
    assert!(
        refused["detail"].as_str().unwrap().contains(&format!(
            "Replay {} of CDR Events is still running",
            replay["id"]
        )),
        "{refused}"
    );

    // Its progress, until done.
    let started = std::time::Instant::now();
    let done = loop {
        let (status, _, progress) = api.get(&location).await;
        assert_eq!(status, StatusCode::OK, "{progress}");
        assert_eq!(
            progress["sent"].as_u64().unwrap() + progress["waiting"].as_u64().unwrap(),
            10_000,
            "{progress}"
        );
        if progress["done"] == true {
            break progress;
        }
        assert!(started.elapsed() < Duration::from_secs(180), "{progress}");
        tokio::time::sleep(Duration::from_millis(500)).await;
    };
    assert_eq!(done["delivered"], 10_000, "{done}");
    assert_eq!(done["failed"], 0, "{done}");
    assert_eq!(done["created_by"], "alice");

    // Each exactly once, as the receiver saw them.
    let seen = counted.lock().unwrap().clone();
    assert_eq!(seen.len(), 10_000, "every event received");
    assert!(seen.values().all(|n| *n == 1), "none twice");
    assert_eq!(count_in_state(&app, "delivered").await, 10_000);

    // Nothing left to replay: refused, saying so; a state a replay does not
    // take, or no such section: refused too.
    let (status, _, none) = api
        .post(
            "/api/v1/deliveries/redeliver",
            Some(&json!({"section": "cdr"}).to_string()),
        )
        .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{none}");
    assert!(
        none["detail"]
            .as_str()
            .unwrap()
            .contains("no given-up events"),
        "{none}"
    );
    for body in [
        json!({"section": "cdr", "state": "delivered"}),
        json!({"section": "queue"}),
    ] {
        let (status, _, refused) = api
            .post("/api/v1/deliveries/redeliver", Some(&body.to_string()))
            .await;
        assert_eq!(status, StatusCode::BAD_REQUEST, "{body}: {refused}");
    }
    let (status, _, _) = api.get("/api/v1/replays/999999").await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    assert!(
        app.database_holds_in_activity("10000 skipped events handed in before")
            .await
    );
}

#[tokio::test]
async fn filtered_events_are_replayed_oldest_first_one_at_a_time() {
    let app = spawn_delivering("200ms").await;
    app.create_tenant_with_admin("Acme", "alice").await;
    let tenant = tenant_id(&app, "Acme").await;
    let receiver = Receiver::start().await;
    let api = Api::with_token(&app, "Acme", "ci", "write", None);
    put_cdr(
        &api,
        json!({"auth": "DISABLE", "url": receiver.url("/ok"), "enabled": true,
               "event_types": ["call_cdr"], "max_concurrency": 1}),
    )
    .await;
    let pbx = Pbx::new(&app).await;
    let batch: Vec<Value> = (0..30)
        .map(|i| json!({"event_type": "call_start", "event_id": format!("s-{i:02}")}))
        .collect();
    pbx.hand_in(&tenant, &json!(batch)).await;
    wait_for("30 filtered", async || {
        count_in_state(&app, "filtered").await == 30
    })
    .await;
    assert!(receiver.seen().is_empty(), "filtered: never sent");

    let (replay, done) = replay_to_the_end(
        &api,
        json!({"section": "cdr", "state": "filtered", "from": "2000-01-01T00:00:00Z"}),
    )
    .await;
    assert_eq!(replay["total"], 30);
    let order: Vec<String> = receiver
        .seen()
        .iter()
        .map(|s| s.headers["webhook-id"].to_str().unwrap().to_owned())
        .collect();
    let expected: Vec<String> = (0..30).map(|i| format!("s-{i:02}")).collect();
    assert_eq!(order, expected, "oldest first, each once");
    assert_eq!(
        (done["delivered"].clone(), done["state"].clone()),
        (json!(30), json!("filtered"))
    );
}

#[tokio::test]
async fn a_replay_to_a_receiver_still_failing_ends_with_each_failed_again() {
    let app = spawn_delivering("200ms").await;
    let (receiver, api) = failing_section(&app, 20, "m").await;
    wait_for("20 given up", async || {
        count_in_state(&app, "given_up").await == 20
    })
    .await;
    let (_, done) = replay_to_the_end(&api, json!({"section": "cdr"})).await;
    assert_eq!(
        (done["delivered"].clone(), done["failed"].clone()),
        (json!(0), json!(20))
    );
    assert_eq!(
        receiver
            .seen()
            .iter()
            .filter(|s| s.path == "/missing")
            .count(),
        40,
        "each once more"
    );
}

#[tokio::test]
async fn a_section_paused_automatically_then_enabled_replays_its_given_up_events() {
    let dir = tempfile::tempdir().expect("temp dir");
    let mut config = crate::helpers::test_config(&dir);
    config.allow_private_targets = "127.0.0.0/8".into();
    config.retry_schedule = "200ms".parse().unwrap();
    config.auto_pause_after = 10;
    let app = crate::helpers::spawn_with(dir, config).await;
    let (_receiver, api) = failing_section(&app, 10, "p").await;
    wait_for("paused automatically", async || {
        api.get("/api/v1/event-url/cdr").await.2["enabled"] == false
    })
    .await;
    let (status, _, _) = api.post("/api/v1/event-url/cdr/enable", None).await;
    assert_eq!(status, StatusCode::OK);
    let (replay, done) = replay_to_the_end(&api, json!({"section": "cdr"})).await;
    assert_eq!(replay["total"], 10);
    assert_eq!(done["failed"], 10, "{done}");
}
