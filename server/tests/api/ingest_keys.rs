//! Ingest keys bound to tenants and their rate limit: a key posting for a
//! tenant outside its scope is answered exactly as for a tenant that does
//! not exist; a bad key is refused before any tenant is looked up; over
//! the per-key rate, 429 with `Retry-After` and nothing stored; a batch
//! over 1,000 events is told so.

use reqwest::StatusCode;
use serde_json::json;

use crate::{
    helpers::{spawn_configured, TestApp},
    pbx::{events, tenant_id},
};

async fn key_for(app: &TestApp, name: &str, tenants: &[&str]) -> String {
    let db = server::connect(&app.config).await.unwrap();
    let scope = if tenants.is_empty() {
        app::delivery::keys::KeyScope::AllTenants
    } else {
        app::delivery::keys::KeyScope::Tenants(tenants.iter().map(|t| (*t).to_owned()).collect())
    };
    app::delivery::keys::create(&db, name, &scope)
        .await
        .unwrap()
}

/// Status, `Retry-After` and body text of a hand-in.
async fn hand_in(
    app: &TestApp,
    tenant: &str,
    key: &str,
    body: String,
) -> (StatusCode, Option<String>, String) {
    let response = reqwest::Client::new()
        .post(app.url(&format!("/ingest/v1/tenants/{tenant}/events")))
        .bearer_auth(key)
        .header("content-type", "application/json")
        .body(body)
        .send()
        .await
        .unwrap();
    let status = response.status();
    let retry_after = response
        .headers()
        .get("retry-after")
        .map(|v| v.to_str().unwrap().to_owned());
    (status, retry_after, response.text().await.unwrap())
}

fn event(id: &str) -> String {
    json!({"event_type": "call_cdr", "event_id": id}).to_string()
}

#[tokio::test]
async fn a_key_posts_only_for_its_tenants_and_others_look_like_no_tenant_at_all() {
    let app = spawn_configured(|_| {}).await;
    app.create_tenant_with_admin("Acme", "alice").await;
    app.create_tenant_with_admin("Globex", "gina").await;
    let (acme, globex) = (
        tenant_id(&app, "Acme").await,
        tenant_id(&app, "Globex").await,
    );
    let acme_key = key_for(&app, "pbx-acme", &["Acme"]).await;
    let shared = key_for(&app, "pbx-shared", &[]).await;

    let (status, _, body) = hand_in(&app, &acme, &acme_key, event("a-1")).await;
    assert_eq!(status, StatusCode::ACCEPTED, "{body}");
    let (status, _, body) = hand_in(&app, &globex, &shared, event("g-1")).await;
    assert_eq!(status, StatusCode::ACCEPTED, "an all-tenant key: {body}");

    // Globex exists but is not Acme's key's: the same answer, to the byte,
    // as a tenant id that no tenant has.
    let outside = hand_in(&app, &globex, &acme_key, event("g-2")).await;
    let unknown = hand_in(&app, "987654", &acme_key, event("g-2")).await;
    assert_eq!(outside.0, StatusCode::NOT_FOUND, "{}", outside.2);
    assert_eq!(
        outside, unknown,
        "nothing tells a tenant outside the scope from none"
    );

    // A bad key is refused before any tenant is looked up: the same 401
    // for a tenant that exists and one that does not.
    let bad = "eui_".to_owned() + &"x".repeat(43);
    let on_real = hand_in(&app, &acme, &bad, event("x")).await;
    let on_none = hand_in(&app, "987654", &bad, event("x")).await;
    assert_eq!(on_real.0, StatusCode::UNAUTHORIZED);
    assert_eq!(on_real, on_none);

    let uids: Vec<String> = events(&app)
        .await
        .into_iter()
        .map(|e| e.event_uid)
        .collect();
    assert_eq!(uids, ["a-1", "g-1"], "only what the scopes allowed");
}

#[tokio::test]
async fn over_its_rate_a_key_is_told_when_to_come_back_and_nothing_is_stored() {
    let app = spawn_configured(|c| c.ingest_events_per_second = 5).await;
    app.create_tenant_with_admin("Acme", "alice").await;
    let acme = tenant_id(&app, "Acme").await;
    let key = key_for(&app, "pbx-1", &["Acme"]).await;
    let other = key_for(&app, "pbx-2", &["Acme"]).await;

    // A full batch passes (the burst is at least one batch) and uses it up.
    let batch: Vec<serde_json::Value> = (0..1000)
        .map(|n| json!({"event_type": "call_cdr", "event_id": format!("b-{n}")}))
        .collect();
    let (status, _, body) = hand_in(&app, &acme, &key, json!(batch).to_string()).await;
    assert_eq!(status, StatusCode::ACCEPTED, "{body}");
    // The next batch needs 20 s of refill (at 5 a second): refused, however
    // slowly the machine answered the first. (A batch of two passed on a
    // busy CI machine: its 0.4 s had refilled by then.)
    let late: Vec<serde_json::Value> = (0..100)
        .map(|n| json!({"event_type": "call_cdr", "event_id": format!("late-{n}")}))
        .collect();
    let (status, retry_after, body) = hand_in(&app, &acme, &key, json!(late).to_string()).await;
    assert_eq!(status, StatusCode::TOO_MANY_REQUESTS, "{body}");
    let wait: u64 = retry_after.expect("Retry-After").parse().unwrap();
    assert!((1..=200).contains(&wait), "{wait}");
    let problem: serde_json::Value = serde_json::from_str(&body).unwrap();
    assert_eq!(problem["status"], 429);
    assert!(
        problem["detail"]
            .as_str()
            .unwrap()
            .contains("5 events a second"),
        "{problem}"
    );
    // Another key of the same tenant has its own count.
    let (status, _, body) = hand_in(&app, &acme, &other, event("o-1")).await;
    assert_eq!(status, StatusCode::ACCEPTED, "{body}");

    let stored = events(&app).await;
    assert_eq!(stored.len(), 1001, "the batch and o-1");
    assert!(
        stored.iter().all(|e| !e.event_uid.starts_with("late-")),
        "nothing of the refused batch"
    );
}

#[tokio::test]
async fn a_batch_over_1000_events_is_told_the_limit_is_1000_events() {
    let app = spawn_configured(|_| {}).await;
    app.create_tenant_with_admin("Acme", "alice").await;
    let acme = tenant_id(&app, "Acme").await;
    let key = key_for(&app, "pbx-1", &["Acme"]).await;
    // Realistic CDRs: 1,001 of them are well over the old 256 KB body.
    let cdr = |n: usize| {
        json!({
            "event_type": "call_cdr", "event_id": format!("c-{n}"),
            "call_id": format!("Q0sXYzM4ZTQ{n:08}"), "caller": "sip:101@pbx.example.com",
            "callee": "sip:+4930123456789@pbx.example.com", "talk_duration": 180,
            "ring_duration": 7, "start_time": "2026-12-07 10:15:00", "end_time": "2026-12-07 10:18:07",
            "direction": "outbound", "status": "ANSWERED", "trunk": "trunk-eu-1",
            "recording_url": format!("https://pbx.example.com/recordings/2026/12/07/{n:08}.wav"),
        })
    };
    let batch: Vec<serde_json::Value> = (0..1001).map(cdr).collect();
    let body = json!(batch).to_string();
    assert!(body.len() > 256 * 1024, "{} bytes", body.len());
    let (status, _, text) = hand_in(&app, &acme, &key, body).await;
    assert_eq!(status, StatusCode::PAYLOAD_TOO_LARGE, "{text}");
    assert!(text.contains("at most 1,000 events"), "{text}");
    assert!(events(&app).await.is_empty());
    let batch: Vec<serde_json::Value> = (0..1000).map(cdr).collect();
    let (status, _, text) = hand_in(&app, &acme, &key, json!(batch).to_string()).await;
    assert_eq!(
        status,
        StatusCode::ACCEPTED,
        "1,000 such events are taken: {text}"
    );
}
