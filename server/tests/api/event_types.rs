//! A section's event-type filter: an event of a type it does not deliver
//! is *filtered* (recorded, never attempted, never received), counted in
//! the section's summary and found by the Deliveries state filter; a
//! change applies to events handed in after it; the form and the API
//! refuse a type of the other section, or none, by the field.

use reqwest::StatusCode;
use serde_json::json;

use crate::{
    helpers::fields,
    pbx::{acme_delivering, event_in_state, spawn_delivering, wait_for, Pbx},
    rest::{error_fields, Api},
};

#[tokio::test]
async fn events_of_types_left_out_are_filtered_never_received_and_found_as_such() {
    let app = spawn_delivering("200ms").await;
    let (tenant, alice, receiver) = acme_delivering(&app).await;
    let url = receiver.url("/ok");
    let only_cdr = [
        ("enabled", "on"),
        ("event_filter", "some"),
        ("event_types[call_cdr]", "on"),
    ];
    let saved = alice
        .save_ok(&fields("cdr", "disable", &url, &only_cdr))
        .await;
    assert_eq!(saved["event_types"], json!(["call_cdr"]));
    let pbx = Pbx::new(&app).await;
    pbx.hand_in(
        &tenant,
        &json!([
            {"event_type": "call_start", "event_id": "f-start"},
            {"event_type": "cdr_target_add", "event_id": "f-target"},
            {"event_type": "call_cdr", "event_id": "f-cdr"}
        ]),
    )
    .await;
    event_in_state(&app, "f-cdr", "delivered").await;
    let filtered = event_in_state(&app, "f-start", "filtered").await;
    assert_eq!(filtered.attempts, 0, "never attempted");
    event_in_state(&app, "f-target", "filtered").await;
    let seen: Vec<String> = receiver.seen().iter().map(|s| s.body.clone()).collect();
    assert_eq!(
        seen.len(),
        1,
        "only the delivered type reached the receiver"
    );
    assert!(seen[0].contains("f-cdr"));

    // Counted in the section's summary; the Deliveries filter finds them.
    let data = alice.load().await;
    assert_eq!(data["cdr_deliveries"]["filtered_24h"], 2, "{data}");
    let page = alice.private_page("/company/event-url").await;
    assert!(page.contains("2 filtered"), "the section's header says so");
    let api = Api::with_token(&app, "Acme", "ci", "write", None);
    let (status, _, list) = api.get("/api/v1/deliveries?state=filtered").await;
    assert_eq!(status, StatusCode::OK, "{list}");
    let uids: Vec<&str> = list["events"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["uid"].as_str().unwrap())
        .collect();
    assert_eq!(uids, ["f-target", "f-start"]);
    assert_eq!(list["events"][0]["state"], "filtered");
    let tab = alice
        .private_page("/company/deliveries?state=filtered")
        .await;
    assert!(
        tab.contains("f-start") && !tab.contains("f-cdr"),
        "the tab's filter"
    );

    // Paused, a type left out is still filtered, not held.
    let (status, _) = alice
        .save(&fields(
            "cdr",
            "disable",
            &url,
            &[("event_filter", "some"), ("event_types[call_cdr]", "on")],
        ))
        .await;
    assert_eq!(status, StatusCode::OK);
    pbx.hand_in(
        &tenant,
        &json!([{"event_type": "call_start", "event_id": "f-paused"}]),
    )
    .await;
    event_in_state(&app, "f-paused", "filtered").await;

    // Back to all types: later events go, the filtered ones stay so.
    alice.save_plain("cdr", &url, true).await;
    pbx.hand_in(
        &tenant,
        &json!([{"event_type": "call_start", "event_id": "f-later"}]),
    )
    .await;
    event_in_state(&app, "f-later", "delivered").await;
    event_in_state(&app, "f-start", "filtered").await;
    wait_for("the later one received", async || {
        receiver.seen().len() == 2
    })
    .await;

    // Activity says what changed.
    let log = alice.private_page("/company/activity").await;
    assert!(log.contains("Event types: all → call_cdr"), "{log}");
    assert!(log.contains("Event types: call_cdr → all"), "{log}");
}

#[tokio::test]
async fn a_type_of_the_other_section_or_none_is_refused_by_the_field() {
    let app = spawn_delivering("200ms").await;
    let (_tenant, alice, _receiver) = acme_delivering(&app).await;
    let url = "https://receiver.example/cdr";
    for ticked in [vec![], vec!["event_types[queue_status]"]] {
        let mut extra = vec![("event_filter", "some")];
        extra.extend(ticked.iter().map(|t| (*t, "on")));
        let (status, body) = alice.save(&fields("cdr", "disable", url, &extra)).await;
        assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{body}");
        assert_eq!(body["Invalid"][0][0], "event_types", "{body}");
    }

    let api = Api::with_token(&app, "Acme", "ci", "write", None);
    let (_, headers, _) = api.get("/api/v1/event-url/extension").await;
    let etag = headers["etag"].to_str().unwrap().to_owned();
    for types in [
        json!([]),
        json!(["call_cdr"]),
        json!(["extension_presense"]),
    ] {
        let body = json!({"auth": "DISABLE", "url": url, "event_types": types});
        let (status, _, problem) = api
            .put(
                "/api/v1/event-url/extension",
                &body.to_string(),
                Some(&etag),
            )
            .await;
        assert_eq!(
            status,
            StatusCode::UNPROCESSABLE_ENTITY,
            "{types}: {problem}"
        );
        assert_eq!(error_fields(&problem), vec!["event_types"], "{problem}");
    }
    let body = json!({"auth": "DISABLE", "url": url,
        "event_types": ["queue_status", "extension_presence"]});
    let (status, _, saved) = api
        .put(
            "/api/v1/event-url/extension",
            &body.to_string(),
            Some(&etag),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{saved}");
    assert_eq!(
        saved["event_types"],
        json!(["extension_presence", "queue_status"]),
        "in PortSIP's order"
    );
    // PortSIP's object leaves it as it is; null is all again.
    let (status, _, _) = api
        .post(
            "/api/tenant",
            Some(&json!({"extension_event": {"enabled": false}}).to_string()),
        )
        .await;
    assert_eq!(status, StatusCode::OK);
    let (_, headers, kept) = api.get("/api/v1/event-url/extension").await;
    assert_eq!(kept["event_types"], saved["event_types"]);
    let etag = headers["etag"].to_str().unwrap().to_owned();
    let body = json!({"auth": "DISABLE", "url": url, "event_types": null});
    let (status, _, all) = api
        .put(
            "/api/v1/event-url/extension",
            &body.to_string(),
            Some(&etag),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{all}");
    assert_eq!(all["event_types"], json!(null));
}
