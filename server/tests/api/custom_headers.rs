//! A section's custom headers: received by a real receiver as set, on
//! every delivery attempt and test event; a secret one write-only (never
//! read back, never stored or recorded in clear, kept when left empty,
//! never carried to another URL); eventurl's own headers refused per
//! field in the tab, the plain form and the REST API; Activity naming
//! the headers that changed, never a secret value.

use reqwest::StatusCode;
use serde_json::{json, Value};

use crate::{
    helpers::{acme_with_alice, fields},
    pbx::{acme_delivering, spawn_delivering, wait_for, Pbx},
    rest::{error_fields, Api},
};

const SECRET: &str = "k-2026-secret-value-77";

/// The field a save's refusal names first, as `[row, part]` for a header.
fn refused_fields(body: &Value) -> Vec<Value> {
    body["Invalid"]
        .as_array()
        .unwrap_or_else(|| panic!("field errors: {body}"))
        .iter()
        .map(|e| e[0].clone())
        .collect()
}

#[tokio::test]
async fn headers_reach_the_receiver_on_every_attempt_and_test_event_and_a_secret_stays_secret() {
    let app = spawn_delivering("200ms,200ms").await;
    let (tenant, alice, receiver) = acme_delivering(&app).await;
    let url = receiver.url("/flaky");
    let saved = alice
        .save_ok(&fields(
            "cdr",
            "disable",
            &url,
            &[
                ("enabled", "on"),
                ("headers[0][name]", "X-Env"),
                ("headers[0][value]", "prod eu"),
                ("headers[1][name]", "X-Api-Key"),
                ("headers[1][value]", SECRET),
                ("headers[1][secret]", "on"),
                // The blank row the form offers is no header.
                ("headers[2][name]", ""),
                ("headers[2][value]", ""),
            ],
        ))
        .await;
    assert_eq!(
        saved["headers"],
        json!([{"name": "X-Env", "value": "prod eu"}, {"name": "X-Api-Key", "secret": true}]),
        "a secret header is read back without its value"
    );
    let page = alice.private_page("/company/event-url").await;
    assert!(page.contains("X-Api-Key") && page.contains("prod eu"));
    assert!(!page.contains(SECRET), "never on the page");

    // A delivery and its two retries carry both, as set.
    let pbx = Pbx::new(&app).await;
    pbx.hand_in(
        &tenant,
        &json!([{"event_type": "call_cdr", "event_id": "evt-h1"}]),
    )
    .await;
    wait_for("three attempts", async || receiver.seen().len() == 3).await;
    for seen in receiver.seen() {
        assert_eq!(seen.headers["x-env"], "prod eu");
        assert_eq!(seen.headers["x-api-key"], SECRET);
        assert_eq!(seen.headers.get_all("x-api-key").iter().count(), 1);
    }

    // A test event from the form as it stands, the secret field empty:
    // the saved value goes; the report shows it redacted.
    let test_url = receiver.url("/echo");
    let moved = fields(
        "cdr",
        "disable",
        &test_url,
        &[
            ("headers[0][name]", "X-Env"),
            ("headers[0][value]", "staging"),
            ("headers[1][name]", "X-Api-Key"),
            ("headers[1][value]", ""),
            ("headers[1][secret]", "on"),
        ],
    );
    // Another path of the receiver is another URL: the saved value is not
    // carried there unless typed again.
    let (status, body) = alice.send_test(&moved, "call_cdr").await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{body}");
    assert!(body.to_string().contains("only ever sent to"), "{body}");
    let same_url = fields(
        "cdr",
        "disable",
        &url,
        &[
            ("headers[0][name]", "X-Env"),
            ("headers[0][value]", "staging"),
            ("headers[1][name]", "X-Api-Key"),
            ("headers[1][value]", ""),
            ("headers[1][secret]", "on"),
        ],
    );
    let (status, report) = alice.send_test(&same_url, "call_cdr").await;
    assert_eq!(status, StatusCode::OK, "{report}");
    let test = receiver.seen().last().cloned().expect("the test event");
    assert!(test.headers["webhook-id"]
        .to_str()
        .unwrap()
        .starts_with("test_"));
    assert_eq!(
        test.headers["x-env"], "staging",
        "the form's value, unsaved"
    );
    assert_eq!(test.headers["x-api-key"], SECRET, "the saved secret value");
    let shown = report["request"]["headers"].to_string();
    assert!(
        shown.contains("X-Api-Key") && shown.contains("[redacted]"),
        "{shown}"
    );
    assert!(!report.to_string().contains(SECRET), "{report}");

    // Saving again with the secret field empty keeps it; moving the URL
    // without typing it again is refused by that field.
    let kept = alice
        .save_ok(&fields(
            "cdr",
            "disable",
            &url,
            &[
                ("enabled", "on"),
                ("headers[0][name]", "X-Api-Key"),
                ("headers[0][secret]", "on"),
            ],
        ))
        .await;
    assert_eq!(
        kept["headers"],
        json!([{"name": "X-Api-Key", "secret": true}])
    );
    let (status, body) = alice
        .save(&fields(
            "cdr",
            "disable",
            &test_url,
            &[
                ("headers[0][name]", "X-Api-Key"),
                ("headers[0][secret]", "on"),
            ],
        ))
        .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(refused_fields(&body), vec![json!({"header": [0, "value"]})]);
    pbx.hand_in(
        &tenant,
        &json!([{"event_type": "call_cdr", "event_id": "evt-h2"}]),
    )
    .await;
    wait_for("evt-h2's attempts", async || {
        receiver
            .seen()
            .iter()
            .filter(|s| s.body.contains("evt-h2"))
            .count()
            == 3
    })
    .await;
    for seen in receiver.seen().iter().filter(|s| s.body.contains("evt-h2")) {
        assert_eq!(seen.headers["x-api-key"], SECRET, "kept");
        assert!(seen.headers.get("x-env").is_none(), "removed");
    }

    // A receiver that echoes the request gets the value, but what is kept
    // of its answer shows it redacted.
    let echo = receiver.url("/echo");
    alice
        .save_ok(&fields(
            "cdr",
            "disable",
            &echo,
            &[
                ("headers[0][name]", "X-Api-Key"),
                ("headers[0][value]", SECRET),
                ("headers[0][secret]", "on"),
            ],
        ))
        .await;
    let (status, report) = alice
        .send_test(
            &fields(
                "cdr",
                "disable",
                &echo,
                &[
                    ("headers[0][name]", "X-Api-Key"),
                    ("headers[0][secret]", "on"),
                ],
            ),
            "call_cdr",
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{report}");
    assert_eq!(receiver.seen().last().unwrap().headers["x-api-key"], SECRET);
    let answer = report["response"].to_string();
    assert!(
        answer.contains("x-api-key") && answer.contains("[redacted]"),
        "{answer}"
    );
    assert!(!report.to_string().contains(SECRET), "{report}");

    // Activity names the headers that changed, never the secret value.
    let log = alice.private_page("/company/activity").await;
    assert!(
        log.contains("Header X-Env") && log.contains("Header X-Api-Key"),
        "{log}"
    );
    assert!(!log.contains(SECRET));
    assert!(!app.database_holds_in_activity(SECRET).await);
    assert!(!app.database_holds(SECRET), "stored encrypted only");
}

#[tokio::test]
async fn eventurls_own_headers_and_bad_values_are_refused_per_field_everywhere() {
    let (app, alice) = acme_with_alice().await;
    let before = alice.load().await;
    let url = "https://receiver.example/cdr";
    for (name, value, expected) in [
        ("Host", "x", json!({"header": [0, "name"]})),
        ("webhook-signature", "x", json!({"header": [0, "name"]})),
        ("Content-Type", "text/plain", json!({"header": [0, "name"]})),
        (
            "Transfer-Encoding",
            "chunked",
            json!({"header": [0, "name"]}),
        ),
        ("X Bad", "x", json!({"header": [0, "name"]})),
        (
            "X-Ok",
            "a\r\nX-Injected: 1",
            json!({"header": [0, "value"]}),
        ),
    ] {
        let (status, body) = alice
            .save(&fields(
                "cdr",
                "disable",
                url,
                &[("headers[0][name]", name), ("headers[0][value]", value)],
            ))
            .await;
        assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{name}: {body}");
        assert_eq!(refused_fields(&body), vec![expected], "{name}");
    }
    // Authorization is the method's while one is set; with Disable it may
    // be a header of the section's own.
    let (status, body) = alice
        .save(&fields(
            "cdr",
            "bearer",
            url,
            &[
                ("token", "t0ken-for-the-receiver"),
                ("headers[0][name]", "Authorization"),
                ("headers[0][value]", "Token abc"),
            ],
        ))
        .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(body.to_string().contains("authentication method"), "{body}");
    assert_eq!(alice.load().await, before, "nothing half-saved");

    // The plain form (no JavaScript) posts its rows the same way.
    let form = fields(
        "cdr",
        "disable",
        url,
        &[
            ("version", "1"),
            ("headers[0][name]", "X-Env"),
            ("headers[0][value]", "prod"),
            ("headers[1][name]", "Host"),
            ("headers[1][value]", "evil.example"),
            ("headers[1][secret]", "on"),
        ],
    );
    let refused = alice.post_form("/company/event-url", &form).await;
    assert_eq!(refused.status(), StatusCode::OK);
    let page = refused.text().await.unwrap();
    assert!(
        page.contains("Host is set by eventurl"),
        "the message by its field"
    );
    assert!(
        page.contains("value=\"X-Env\""),
        "what was typed, shown again"
    );
    assert!(
        !page.contains("evil.example"),
        "a secret value is not sent back"
    );
    let saved = alice
        .post_form("/company/event-url", &form[..form.len() - 3])
        .await;
    assert_eq!(saved.status(), StatusCode::SEE_OTHER);
    assert_eq!(
        alice.load().await["cdr"]["headers"],
        json!([{"name": "X-Env", "value": "prod"}])
    );

    // The REST API names the field as its objects do.
    let api = Api::with_token(&app, "Acme", "ci", "write", None);
    let (_, etag_headers, _) = api.get("/api/v1/event-url/cdr").await;
    let etag = etag_headers["etag"].to_str().unwrap().to_owned();
    let eleven: Vec<Value> = (0..11)
        .map(|i| json!({"name": format!("X-{i}"), "value": "v"}))
        .collect();
    for (headers, field) in [
        (
            json!([{"name": "webhook-id", "value": "x"}]),
            "headers[0].name",
        ),
        (
            json!([{"name": "X-A", "value": "1"}, {"name": "X-B", "value": "a\nb"}]),
            "headers[1].value",
        ),
        (
            json!([{"name": "X-Key", "secret": true}]),
            "headers[0].value",
        ),
        (Value::Array(eleven), "headers"),
    ] {
        let body = json!({"auth": "DISABLE", "url": url, "headers": headers});
        let (status, _, problem) = api
            .put("/api/v1/event-url/cdr", &body.to_string(), Some(&etag))
            .await;
        assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{problem}");
        assert_eq!(error_fields(&problem), vec![field], "{problem}");
    }
}

#[tokio::test]
async fn the_api_reads_a_secret_header_as_null_and_a_put_without_its_value_keeps_it() {
    let app = spawn_delivering("200ms").await;
    let (_tenant, _alice, receiver) = acme_delivering(&app).await;
    let api = Api::with_token(&app, "Acme", "ci", "write", None);
    let url = receiver.url("/ok");
    let (_, headers, _) = api.get("/api/v1/event-url/cdr").await;
    let etag = headers["etag"].to_str().unwrap().to_owned();
    let body = json!({
        "auth": "DISABLE", "url": url, "enabled": true,
        "headers": [
            {"name": "X-Env", "value": "prod", "secret": false},
            {"name": "X-Api-Key", "value": SECRET, "secret": true}
        ]
    });
    let (status, headers, saved) = api
        .put("/api/v1/event-url/cdr", &body.to_string(), Some(&etag))
        .await;
    assert_eq!(status, StatusCode::OK, "{saved}");
    assert_eq!(
        saved["headers"],
        json!([
            {"name": "X-Env", "value": "prod", "secret": false},
            {"name": "X-Api-Key", "value": null, "secret": true}
        ])
    );
    // What was read, sent back as it is, keeps the secret value.
    let etag = headers["etag"].to_str().unwrap().to_owned();
    let again =
        json!({"auth": "DISABLE", "url": url, "enabled": true, "headers": saved["headers"]});
    let (status, _, resaved) = api
        .put("/api/v1/event-url/cdr", &again.to_string(), Some(&etag))
        .await;
    assert_eq!(status, StatusCode::OK, "{resaved}");
    let (status, _, report) = api.post("/api/v1/event-url/cdr/test-event", None).await;
    assert_eq!(status, StatusCode::OK, "{report}");
    let seen = receiver.seen().last().cloned().expect("the test event");
    assert_eq!(seen.headers["x-env"], "prod");
    assert_eq!(seen.headers["x-api-key"], SECRET);
    // PortSIP's tenant object shows them too, and keeps them when left out.
    let (status, _, tenant) = api
        .post(
            "/api/tenant",
            Some(&json!({"cdr_event": {"enabled": false}}).to_string()),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{tenant}");
    let (_, _, cdr) = api.get("/api/v1/event-url/cdr").await;
    assert_eq!(cdr["headers"], saved["headers"], "left out, kept");
    let (_, _, doc) = api.get("/api/v1/openapi.json").await;
    let schema = &doc["components"]["schemas"]["SectionIn"]["properties"]["headers"];
    assert!(!schema.is_null(), "in the OpenAPI document");
}
