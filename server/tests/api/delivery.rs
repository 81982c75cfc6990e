//! Delivering the PBX's events, end to end: the real server ingests them,
//! queues them in the database and posts them to real receivers by
//! PortSIP's rules (shortened schedules). What operations meet (a kill,
//! a stop, metrics, retention) is in `operations.rs`.

use crate::{helpers::*, pbx::*, receivers::*};
use reqwest::StatusCode;
use serde_json::{json, Value};
use std::time::Duration;

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
    let held = kept_counts_match(&app).await;
    assert_eq!(held.len(), 1, "{held:?}");
    assert_eq!((held[0].1.as_str(), held[0].2), ("cdr", 5));

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
    wait_for("their records", async || {
        events(&app).await.iter().all(|e| e.state != "pending")
    })
    .await;
    assert!(
        kept_counts_match(&app).await.is_empty(),
        "none held any more"
    );
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
    assert!(kept_counts_match(&app).await.is_empty());
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
    // Between its attempts it waits to be retried, and the tab counts it so.
    wait_for("the first attempt recorded", async || {
        events(&app).await[0].attempts == 1
    })
    .await;
    let waiting = kept_counts_match(&app).await;
    assert_eq!(
        waiting.iter().map(|c| (c.2, c.3)).collect::<Vec<_>>(),
        [(0, 1)],
        "{waiting:?}"
    );
    assert_eq!(alice.load().await["cdr_deliveries"]["retrying"], 1);
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
    assert!(
        kept_counts_match(&app).await.is_empty(),
        "given up: none waiting"
    );
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
