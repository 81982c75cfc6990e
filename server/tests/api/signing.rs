//! Standard Webhooks signatures on every delivery attempt and test event,
//! checked with the official JavaScript library (npm `standardwebhooks`,
//! run by node), not with eventurl's own signing: a delivery and its
//! retries, a test event, both signatures during a rotation's grace, the
//! old one gone after a rotation without grace; the secret revealed and
//! rotated in the tab and over the API, each time in Activity, never
//! stored in clear, never to a viewer.

use std::{
    io::Write,
    process::{Command, Stdio},
};

use app::persistence::entities::activity;
use reqwest::StatusCode;
use sea_orm::EntityTrait;
use serde_json::json;

use crate::{
    helpers::{fields, Browser},
    pbx::{acme_delivering, spawn_delivering, wait_for, Pbx},
    receivers::Seen,
    rest::Api,
};

/// What the official library says of `seen` under `secret`: Ok, or its
/// refusal.
fn official_verdict(secret: &str, seen: &Seen) -> Result<(), String> {
    let headers: serde_json::Map<String, serde_json::Value> = seen
        .headers
        .iter()
        .map(|(name, value)| {
            (
                name.as_str().to_owned(),
                json!(value.to_str().expect("an ASCII header")),
            )
        })
        .collect();
    let input = json!({"secret": secret, "headers": headers, "body": seen.body});
    let script = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/tests/verify/standard-webhooks.cjs"
    );
    let mut node = Command::new("node")
        .arg(script)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("node runs (Node.js is on this machine kind)");
    node.stdin
        .take()
        .expect("stdin")
        .write_all(input.to_string().as_bytes())
        .expect("written");
    let out = node.wait_with_output().expect("node finished");
    if out.status.success() {
        Ok(())
    } else {
        Err(String::from_utf8_lossy(&out.stderr).trim().to_owned())
    }
}

/// The `whsec_…` secret a page shows (in its read-only field; hidden, the
/// page shows only `whsec_` and dots).
fn shown_secret(page: &str) -> String {
    let at = page.find("value=\"whsec_").expect("a secret on the page") + 7;
    let secret: String = page[at..]
        .chars()
        .take_while(|c| c.is_ascii_alphanumeric() || "_+/=".contains(*c))
        .collect();
    assert_eq!(
        secret.len(),
        6 + 44,
        "whsec_ and 32 bytes in base64: {secret}"
    );
    secret
}

async fn reveal(alice: &Browser) -> String {
    let page = alice
        .post_text(
            "/company/event-url/signing-secret/reveal",
            &[("kind", "cdr")],
        )
        .await;
    shown_secret(&page)
}

async fn rotate(alice: &Browser, grace: &str) -> String {
    let asked = alice
        .post_text(
            "/company/event-url/signing-secret/rotate",
            &[("kind", "cdr"), ("grace", grace)],
        )
        .await;
    assert!(
        asked.contains("Rotate the signing secret of CDR Events?"),
        "asked first"
    );
    assert!(
        !asked.contains("value=\"whsec_"),
        "nothing rotated before it is confirmed"
    );
    let page = alice
        .post_text(
            "/company/event-url/signing-secret/rotate",
            &[("kind", "cdr"), ("grace", grace), ("confirmed", "yes")],
        )
        .await;
    assert!(page.contains("New signing secret"), "{page}");
    shown_secret(&page)
}

#[tokio::test]
async fn every_attempt_and_test_event_verifies_with_the_official_library_through_rotations() {
    let app = spawn_delivering("200ms,200ms").await;
    let (tenant, alice, receiver) = acme_delivering(&app).await;
    alice.save_plain("cdr", &receiver.url("/flaky"), true).await;
    let first = reveal(&alice).await;
    assert_eq!(reveal(&alice).await, first, "the same secret until rotated");
    let pbx = Pbx::new(&app).await;

    // A delivery and its two retries: one id, each attempt its own time.
    pbx.hand_in(
        &tenant,
        &json!([{"event_type": "call_cdr", "event_id": "evt-1"}]),
    )
    .await;
    wait_for("three attempts", async || receiver.seen().len() == 3).await;
    for seen in receiver.seen() {
        assert_eq!(seen.headers["webhook-id"], "evt-1");
        official_verdict(&first, &seen).expect("each attempt verifies");
        let another = app::sender::signing::SigningSecret::generate();
        assert!(
            official_verdict(another.expose(), &seen).is_err(),
            "another secret does not verify it"
        );
        let signatures = seen.headers["webhook-signature"].to_str().unwrap();
        assert_eq!(
            signatures.split(' ').count(),
            1,
            "one signature: {signatures}"
        );
    }
    // A changed body does not verify.
    let mut forged = receiver.seen()[0].clone();
    forged.body = forged.body.replace("call_cdr", "call_start");
    assert!(official_verdict(&first, &forged).is_err());

    // A test event is signed the same way, with an id of its own.
    let url = receiver.url("/ok");
    let (status, report) = alice
        .send_test(&fields("cdr", "disable", &url, &[]), "call_cdr")
        .await;
    assert_eq!(status, StatusCode::OK, "{report}");
    let test = receiver.seen().last().cloned().expect("the test event");
    assert!(test.headers["webhook-id"]
        .to_str()
        .unwrap()
        .starts_with("test_"));
    official_verdict(&first, &test).expect("the test event verifies");

    // Rotated with a grace: both secrets verify each request meanwhile.
    alice.save_plain("cdr", &receiver.url("/ok"), true).await;
    let second = rotate(&alice, "3600").await;
    assert_ne!(second, first);
    let page = alice.private_page("/company/event-url").await;
    assert!(
        page.contains("The previous secret also signs until"),
        "the grace shows"
    );
    pbx.hand_in(
        &tenant,
        &json!([{"event_type": "call_cdr", "event_id": "evt-2"}]),
    )
    .await;
    wait_for("evt-2", async || receiver.seen().len() == 5).await;
    let during = receiver.seen()[4].clone();
    assert_eq!(during.headers["webhook-id"], "evt-2");
    let signatures = during.headers["webhook-signature"]
        .to_str()
        .unwrap()
        .to_owned();
    assert_eq!(
        signatures.split(' ').count(),
        2,
        "new and old: {signatures}"
    );
    official_verdict(&second, &during).expect("the new secret verifies");
    official_verdict(&first, &during).expect("the old one too, during the grace");

    // Rotated without a grace: only the newest signs.
    let third = rotate(&alice, "0").await;
    pbx.hand_in(
        &tenant,
        &json!([{"event_type": "call_cdr", "event_id": "evt-3"}]),
    )
    .await;
    wait_for("evt-3", async || receiver.seen().len() == 6).await;
    let after = receiver.seen()[5].clone();
    official_verdict(&third, &after).expect("the newest verifies");
    assert!(
        official_verdict(&second, &after).is_err(),
        "the one before stopped at once"
    );
    assert!(official_verdict(&first, &after).is_err());

    // Each reveal and rotation is in Activity (the tab lists them; the
    // table holds one entry each); no secret is stored in clear.
    let activity = alice.private_page("/company/activity").await;
    assert!(activity.contains("signing secret rotated; the previous one also signs until"));
    let db = server::connect(&app.config).await.unwrap();
    let kinds: Vec<String> = activity::Entity::find()
        .all(&db)
        .await
        .unwrap()
        .into_iter()
        .map(|entry| entry.kind)
        .collect();
    let count = |kind: &str| kinds.iter().filter(|k| *k == kind).count();
    assert_eq!(count("signing_secret_revealed"), 2, "two reveals");
    assert_eq!(count("signing_secret_rotated"), 2, "two rotations");
    for secret in [&first, &second, &third] {
        assert!(!app.database_holds(secret), "sealed, not in clear");
    }
}

#[tokio::test]
async fn the_api_reads_and_rotates_the_secret_with_a_write_token_only() {
    let app = spawn_delivering("200ms").await;
    let (_tenant, alice, _receiver) = acme_delivering(&app).await;
    let shown = reveal(&alice).await;
    let writer = Api::with_token(&app, "Acme", "ci", "write", None);
    let reader = Api::with_token(&app, "Acme", "ro", "read", None);

    let (status, headers, body) = writer.get("/api/v1/event-url/cdr/signing-secret").await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(body["secret"], shown.as_str());
    assert_eq!(body["previous_until"], serde_json::Value::Null);
    assert_eq!(headers["cache-control"], "no-store");
    let (status, _, problem) = reader.get("/api/v1/event-url/cdr/signing-secret").await;
    assert_eq!(status, StatusCode::FORBIDDEN, "{problem}");
    let (status, _, problem) = writer.get("/api/v1/event-url/sms/signing-secret").await;
    assert_eq!(status, StatusCode::NOT_FOUND, "{problem}");

    for bad in [
        r#"{"grace_seconds": 604801}"#,
        r#"{"grace_seconds": -1}"#,
        r#"{"grace_seconds": 1.5}"#,
        r#"{"grace_seconds": "3600"}"#,
    ] {
        let (status, _, problem) = writer
            .post("/api/v1/event-url/cdr/signing-secret/rotate", Some(bad))
            .await;
        assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{problem}");
        assert_eq!(problem["errors"][0]["field"], "grace_seconds", "{problem}");
    }
    let (status, _, problem) = writer
        .post(
            "/api/v1/event-url/cdr/signing-secret/rotate",
            Some(r#"{"grace": 1}"#),
        )
        .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{problem}");
    let (status, _, problem) = reader
        .post(
            "/api/v1/event-url/cdr/signing-secret/rotate",
            Some(r#"{"grace_seconds": 0}"#),
        )
        .await;
    assert_eq!(status, StatusCode::FORBIDDEN, "{problem}");
    let (_, _, unchanged) = writer.get("/api/v1/event-url/cdr/signing-secret").await;
    assert_eq!(
        unchanged["secret"],
        shown.as_str(),
        "refused rotations changed nothing"
    );

    // 510509.0 is a JSON integer, as the schema says (schemathesis sent it).
    let (status, _, rotated) = writer
        .post(
            "/api/v1/event-url/cdr/signing-secret/rotate",
            Some(r#"{"grace_seconds": 510509.0}"#),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{rotated}");
    let (status, _, rotated) = writer
        .post(
            "/api/v1/event-url/cdr/signing-secret/rotate",
            Some(r#"{"grace_seconds": 604800}"#),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{rotated}");
    let new = rotated["secret"].as_str().unwrap().to_owned();
    assert!(new.starts_with("whsec_") && new != shown);
    let until = rotated["previous_until"]
        .as_str()
        .expect("an end")
        .to_owned();
    let until = time::OffsetDateTime::parse(&until, &time::format_description::well_known::Rfc3339)
        .unwrap();
    let days = (until - time::OffsetDateTime::now_utc()).whole_hours();
    assert!((167..=168).contains(&days), "7 days from now: {days} h");
    let (_, _, now) = writer.get("/api/v1/event-url/cdr/signing-secret").await;
    assert_eq!(now["secret"], new.as_str());
    assert_eq!(now["previous_until"], rotated["previous_until"]);
    // The extension section's secret is its own, and was not touched.
    let (_, _, other) = writer
        .get("/api/v1/event-url/extension/signing-secret")
        .await;
    assert!(other["secret"] != now["secret"] && other["secret"] != shown.as_str());
}

#[tokio::test]
async fn a_viewer_sees_that_requests_are_signed_but_cannot_reveal_or_rotate() {
    let app = spawn_delivering("200ms").await;
    let (_tenant, alice, _receiver) = acme_delivering(&app).await;
    let shown = reveal(&alice).await;
    app.create_member("Acme", "victor", app::domain::Role::Viewer)
        .await;
    let victor = Browser::signed_in(&app, "victor").await;
    let page = victor.private_page("/company/event-url").await;
    assert!(page.contains("Signing secret"), "the panel shows");
    assert!(
        !page.contains("signing-secret/reveal"),
        "no Reveal for a viewer"
    );
    for path in [
        "/company/event-url/signing-secret/reveal",
        "/company/event-url/signing-secret/rotate",
    ] {
        let response = victor
            .post_form(
                path,
                &[("kind", "cdr"), ("grace", "0"), ("confirmed", "yes")],
            )
            .await;
        let status = response.status();
        let text = response.text().await.unwrap();
        assert!(!text.contains("value=\"whsec_"), "{path}: {status}");
        assert_eq!(status, StatusCode::FORBIDDEN, "{path}");
    }
    assert_eq!(reveal(&alice).await, shown, "nothing rotated");
}
