//! A section's limits on its receiver, as the receiver sees them: never
//! more requests under way at once than `max_concurrency`, never more
//! started in any second than `max_per_second`, also with two instances
//! delivering from one database (SQLite file here, PostgreSQL in the
//! PostgreSQL pass); one tenant's hanging receiver and its backlog never
//! delay another tenant's events; out-of-range values are refused by the
//! field, in the API and the tab.

use axum::{extract::State, http::StatusCode as AxumStatus, routing::post, Router};
use reqwest::StatusCode;
use serde_json::{json, Value};
use std::{
    net::SocketAddr,
    sync::{
        atomic::{AtomicUsize, Ordering},
        Arc, Mutex,
    },
    time::{Duration, Instant},
};

use crate::{
    helpers::{another_instance, fields, Browser},
    pbx::{cdr, spawn_delivering, tenant_id, wait_for, Pbx},
    rest::{error_fields, Api},
};

/// A receiver that counts requests under way and when each arrived:
/// `/hold/{ms}` answers 200 after that long, `/hang` never answers.
#[derive(Clone, Default)]
struct Counting {
    under_way: Arc<AtomicUsize>,
    most: Arc<AtomicUsize>,
    arrivals: Arc<Mutex<Vec<(Instant, String, String)>>>,
}

impl Counting {
    async fn start() -> (Counting, SocketAddr) {
        let counting = Counting::default();
        let app = Router::new()
            .route("/{*path}", post(receive))
            .with_state(counting.clone());
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        tokio::spawn(async move {
            let _ = axum::serve(listener, app).await;
        });
        (counting, addr)
    }

    fn arrived(&self, path: &str) -> Vec<(Instant, String)> {
        self.arrivals
            .lock()
            .unwrap()
            .iter()
            .filter(|(_, p, _)| p == path)
            .map(|(at, _, id)| (*at, id.clone()))
            .collect()
    }

    fn reset_most(&self) {
        self.most.store(0, Ordering::SeqCst);
    }
}

async fn receive(
    State(counting): State<Counting>,
    uri: axum::http::Uri,
    headers: axum::http::HeaderMap,
) -> AxumStatus {
    let path = uri.path().to_owned();
    let id = headers
        .get("webhook-id")
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default()
        .to_owned();
    counting
        .arrivals
        .lock()
        .unwrap()
        .push((Instant::now(), path.clone(), id));
    let now = counting.under_way.fetch_add(1, Ordering::SeqCst) + 1;
    counting.most.fetch_max(now, Ordering::SeqCst);
    let hold = match path.strip_prefix("/hold/") {
        Some(ms) => Duration::from_millis(ms.parse().unwrap_or(0)),
        None if path == "/hang" => Duration::from_secs(3600),
        None => Duration::ZERO,
    };
    tokio::time::sleep(hold).await;
    counting.under_way.fetch_sub(1, Ordering::SeqCst);
    AxumStatus::OK
}

/// The most arrivals within any `window`.
fn most_within(arrivals: &[(Instant, String)], window: Duration) -> usize {
    let mut times: Vec<Instant> = arrivals.iter().map(|(at, _)| *at).collect();
    times.sort();
    (0..times.len())
        .map(|i| {
            times[i..]
                .iter()
                .take_while(|at| at.duration_since(times[i]) < window)
                .count()
        })
        .max()
        .unwrap_or(0)
}

async fn put_cdr(api: &Api, body: Value) -> (StatusCode, Value) {
    let (_, headers, _) = api.get("/api/v1/event-url/cdr").await;
    let etag = headers["etag"].to_str().unwrap().to_owned();
    let (status, _, answer) = api
        .put("/api/v1/event-url/cdr", &body.to_string(), Some(&etag))
        .await;
    (status, answer)
}

#[tokio::test]
async fn the_receiver_never_sees_more_than_the_sections_limits_across_instances() {
    let app = spawn_delivering("200ms").await;
    app.create_tenant_with_admin("Acme", "alice").await;
    let tenant = tenant_id(&app, "Acme").await;
    let (receiver, addr) = Counting::start().await;
    let api = Api::with_token(&app, "Acme", "ci", "write", None);
    let held = format!("http://{addr}/hold/150");
    let (status, saved) = put_cdr(
        &api,
        json!({"auth": "DISABLE", "url": held, "enabled": true, "max_concurrency": 3}),
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{saved}");
    assert_eq!(saved["max_concurrency"], 3);
    assert_eq!(saved["max_per_second"], Value::Null);

    // Two instances deliver from the one database; events handed in to
    // both, so both claim.
    let second = another_instance(&app).await;
    let pbx = Pbx::new(&app).await;
    let other = Pbx::on(&pbx, second);
    for n in 0..6 {
        let batch: Vec<Value> = (0..10).map(|i| cdr(&format!("c-{n}-{i}"))).collect();
        let to = if n % 2 == 0 { &pbx } else { &other };
        to.hand_in(&tenant, &json!(batch)).await;
    }
    wait_for("60 events received", async || {
        receiver.arrived("/hold/150").len() >= 60
    })
    .await;
    let most = receiver.most.load(Ordering::SeqCst);
    assert_eq!(
        most, 3,
        "at most 3 under way at once, and the limit used, not fewer"
    );

    // A rate: 4 a second, however fast the receiver answers.
    let fast = format!("http://{addr}/hold/0");
    let (status, saved) = put_cdr(
        &api,
        json!({"auth": "DISABLE", "url": fast, "enabled": true, "max_per_second": 4}),
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{saved}");
    assert_eq!(
        saved["max_concurrency"], 8,
        "left out of a PUT: the default"
    );
    assert_eq!(saved["max_per_second"], 4);
    receiver.reset_most();
    let batch: Vec<Value> = (0..6).map(|i| cdr(&format!("r-a-{i}"))).collect();
    pbx.hand_in(&tenant, &json!(batch)).await;
    let batch: Vec<Value> = (0..6).map(|i| cdr(&format!("r-b-{i}"))).collect();
    other.hand_in(&tenant, &json!(batch)).await;
    wait_for("12 events received", async || {
        receiver.arrived("/hold/0").len() >= 12
    })
    .await;
    let arrivals = receiver.arrived("/hold/0");
    let within_a_second = most_within(&arrivals, Duration::from_secs(1));
    assert!(
        within_a_second <= 4,
        "{within_a_second} requests within one second, the limit is 4"
    );
    let first = arrivals.iter().map(|(at, _)| *at).min().unwrap();
    let last = arrivals.iter().map(|(at, _)| *at).max().unwrap();
    assert!(
        last.duration_since(first) >= Duration::from_secs(2),
        "12 at 4 a second take over 2 s: {:?}",
        last.duration_since(first)
    );
    let mut ids: Vec<String> = arrivals.iter().map(|(_, id)| id.clone()).collect();
    ids.sort();
    ids.dedup();
    assert_eq!(ids.len(), 12, "each once");

    // Activity says what changed.
    let alice = Browser::signed_in(&app, "alice").await;
    let log = alice.private_page("/company/activity").await;
    assert!(
        log.contains("Limits: 8 at once, no rate limit → 3 at once, no rate limit"),
        "{log}"
    );
}

#[tokio::test]
async fn a_hanging_receiver_and_its_backlog_do_not_delay_another_tenant() {
    let app = spawn_delivering("200ms").await;
    app.create_tenant_with_admin("Slowco", "sam").await;
    app.create_tenant_with_admin("Acme", "alice").await;
    let slow = tenant_id(&app, "Slowco").await;
    let quick = tenant_id(&app, "Acme").await;
    let (receiver, addr) = Counting::start().await;
    let sam = Browser::signed_in(&app, "sam").await;
    sam.save_plain("cdr", &format!("http://{addr}/hang"), true)
        .await;
    let alice = Browser::signed_in(&app, "alice").await;
    alice
        .save_plain("cdr", &format!("http://{addr}/hold/0"), true)
        .await;
    let pbx = Pbx::new(&app).await;
    // A backlog of 3,000 due events for the receiver that never answers.
    for n in 0..30 {
        let batch: Vec<Value> = (0..100).map(|i| cdr(&format!("s-{n}-{i}"))).collect();
        pbx.hand_in(&slow, &json!(batch)).await;
    }
    wait_for("the hanging receiver's attempts", async || {
        !receiver.arrived("/hang").is_empty()
    })
    .await;
    // Another tenant's events, 20 a second: each arrives promptly.
    let mut handed = Vec::new();
    for n in 0..40 {
        let id = format!("q-{n}");
        handed.push((Instant::now(), id.clone()));
        pbx.hand_in(&quick, &cdr(&id)).await;
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    wait_for("the other tenant's 40 events", async || {
        receiver.arrived("/hold/0").len() >= 40
    })
    .await;
    let arrived = receiver.arrived("/hold/0");
    for (sent, id) in handed {
        let (at, _) = arrived
            .iter()
            .find(|(_, got)| *got == id || got.ends_with(&id))
            .unwrap_or_else(|| panic!("{id} received"));
        let took = at.duration_since(sent);
        assert!(
            took < Duration::from_secs(2),
            "{id} took {took:?} with another tenant's receiver hanging"
        );
    }
    let hanging = receiver.arrived("/hang").len();
    assert!(
        hanging <= 8,
        "{hanging} requests to the hanging receiver: its section's 8 at most"
    );
}

#[tokio::test]
async fn out_of_range_limits_are_refused_by_the_field() {
    let app = spawn_delivering("200ms").await;
    app.create_tenant_with_admin("Acme", "alice").await;
    let api = Api::with_token(&app, "Acme", "ci", "write", None);
    let (_, _, read) = api.get("/api/v1/event-url/cdr").await;
    assert_eq!(read["max_concurrency"], 8, "{read}");
    assert_eq!(read["max_per_second"], Value::Null);
    let url = "https://receiver.example/cdr";
    for (body, field) in [
        (json!({"max_concurrency": 0}), "max_concurrency"),
        (json!({"max_concurrency": 65}), "max_concurrency"),
        (json!({"max_per_second": 0}), "max_per_second"),
        (json!({"max_per_second": 10001}), "max_per_second"),
    ] {
        let mut sent = json!({"auth": "DISABLE", "url": url});
        sent.as_object_mut()
            .unwrap()
            .extend(body.as_object().unwrap().clone());
        let (status, problem) = put_cdr(&api, sent).await;
        assert_eq!(
            status,
            StatusCode::UNPROCESSABLE_ENTITY,
            "{body}: {problem}"
        );
        assert_eq!(error_fields(&problem), vec![field], "{problem}");
    }
    let (status, saved) = put_cdr(
        &api,
        json!({"auth": "DISABLE", "url": url, "max_concurrency": 64, "max_per_second": 10000}),
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{saved}");
    // PortSIP's object leaves them as they are.
    let (status, _, _) = api
        .post(
            "/api/tenant",
            Some(&json!({"cdr_event": {"enabled": false}}).to_string()),
        )
        .await;
    assert_eq!(status, StatusCode::OK);
    let (_, _, kept) = api.get("/api/v1/event-url/cdr").await;
    assert_eq!(
        (
            kept["max_concurrency"].clone(),
            kept["max_per_second"].clone()
        ),
        (json!(64), json!(10000))
    );

    // The tab: by the field, nothing saved.
    let alice = Browser::signed_in(&app, "alice").await;
    let (status, body) = alice
        .save(&fields(
            "cdr",
            "disable",
            url,
            &[("max_concurrency", "100"), ("max_per_second", "fast")],
        ))
        .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{body}");
    assert_eq!(body["Invalid"][0][0], "max_concurrency", "{body}");
    assert_eq!(body["Invalid"][1][0], "max_per_second", "{body}");
    let (_, _, after) = api.get("/api/v1/event-url/cdr").await;
    assert_eq!(after["max_concurrency"], 64, "nothing half-saved");
}

#[tokio::test]
async fn one_at_a_time_held_events_reach_the_receiver_strictly_oldest_first() {
    let app = spawn_delivering("200ms").await;
    app.create_tenant_with_admin("Acme", "alice").await;
    let tenant = tenant_id(&app, "Acme").await;
    let (receiver, addr) = Counting::start().await;
    let api = Api::with_token(&app, "Acme", "ci", "write", None);
    let url = format!("http://{addr}/hold/5");
    let (status, saved) = put_cdr(
        &api,
        json!({"auth": "DISABLE", "url": url, "enabled": false, "max_concurrency": 1}),
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{saved}");
    let pbx = Pbx::new(&app).await;
    let mut expected = Vec::new();
    for n in 0..3 {
        let batch: Vec<Value> = (0..40)
            .map(|i| {
                let id = format!("o-{:03}", n * 40 + i);
                expected.push(id.clone());
                cdr(&id)
            })
            .collect();
        pbx.hand_in(&tenant, &json!(batch)).await;
    }
    let (status, _, _) = api.post("/api/v1/event-url/cdr/enable", None).await;
    assert_eq!(status, StatusCode::OK);
    wait_for("120 held events received", async || {
        receiver.arrived("/hold/5").len() >= 120
    })
    .await;
    let order: Vec<String> = receiver
        .arrived("/hold/5")
        .into_iter()
        .map(|(_, id)| id)
        .collect();
    assert_eq!(order, expected, "strictly oldest first");
    assert_eq!(receiver.most.load(Ordering::SeqCst), 1, "one at a time");
}
