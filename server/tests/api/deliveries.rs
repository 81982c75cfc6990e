//! Company → Deliveries on the real server: events handed in by a PBX and
//! delivered to real receivers are listed, filtered, paged by cursor and
//! opened with their attempts; redelivery (one event, or a section's
//! given-up events) is confirmed, refused while paused, recorded in
//! Activity; and another tenant's events are not found.

use crate::{delivery::*, helpers::*, receivers::*};
use reqwest::StatusCode;
use serde_json::{json, Value};

async fn page(browser: &Browser, path: &str) -> String {
    let response = browser.get(path).await;
    assert_eq!(response.status(), StatusCode::OK, "{path}");
    assert_eq!(
        response.headers()["cache-control"],
        "no-store",
        "a private page: {path}"
    );
    response.text().await.unwrap()
}

async fn event_id(app: &TestApp, uid: &str) -> i64 {
    events(app)
        .await
        .into_iter()
        .find(|e| e.event_uid == uid)
        .unwrap_or_else(|| panic!("no event {uid}"))
        .id
}

async fn state_of(app: &TestApp, uid: &str) -> String {
    events(app)
        .await
        .into_iter()
        .find(|e| e.event_uid == uid)
        .map(|e| e.state)
        .unwrap_or_default()
}

fn call(id: &str, caller: &str) -> Value {
    json!({"event_type": "call_cdr", "event_id": id, "call_id": format!("call-{id}"),
           "caller": format!("sip:{caller}@test.io"), "callee": "sip:300@test.io"})
}

/// The first link of `html` whose target contains `part`.
fn link_with(html: &str, part: &str) -> Option<String> {
    html.split("href=\"").skip(1).find_map(|rest| {
        let href = &rest[..rest.find('"')?];
        href.contains(part).then(|| href.replace("&amp;", "&"))
    })
}

/// Where a redirect goes.
fn location(response: &reqwest::Response) -> String {
    response.headers()["location"].to_str().unwrap().to_owned()
}

#[tokio::test]
async fn the_tab_lists_filters_pages_and_opens_the_tenants_own_events_only() {
    let app = spawn_delivering("100ms").await;
    app.create_tenant_with_admin("Acme", "alice").await;
    app.create_tenant_with_admin("Globex", "bob").await;
    let tenant = tenant_id(&app, "Acme").await;
    let alice = Browser::signed_in(&app, "alice").await;
    let bob = Browser::signed_in(&app, "bob").await;
    let receiver = Receiver::start().await;
    // CDR events go to a receiver that answers 404 (given up at once),
    // with a Bearer token; extension events are delivered.
    let (status, _) = alice
        .save(&fields(
            "cdr",
            "bearer",
            &receiver.url("/missing"),
            &[("token", BEARER_TOKEN), ("enabled", "on")],
        ))
        .await;
    assert_eq!(status, StatusCode::OK);
    let (status, _) = alice
        .save(&fields(
            "extension",
            "disable",
            &receiver.url("/ok"),
            &[("enabled", "on")],
        ))
        .await;
    assert_eq!(status, StatusCode::OK);
    let pbx = Pbx::new(&app).await;
    let (status, _) = pbx
        .send(
            &tenant,
            &json!([call("c1", "101"), call("c2", "102"), call("c3", "101")]),
        )
        .await;
    assert_eq!(status, StatusCode::ACCEPTED);
    let presence: Vec<Value> = (0..60)
        .map(|n| json!({"event_type": "extension_presence", "event_id": format!("x{n:02}"), "extension": "sip:205@test.io"}))
        .collect();
    let (status, _) = pbx.send(&tenant, &json!(presence)).await;
    assert_eq!(status, StatusCode::ACCEPTED);
    wait_for("every event finished", async || {
        let all = events(&app).await;
        all.len() == 63
            && all
                .iter()
                .all(|e| e.state == "delivered" || e.state == "given_up")
    })
    .await;

    // The newest 50, then the rest by the "Older" cursor; "Newer" leads back.
    let first = page(&alice, "/company/deliveries").await;
    assert!(first.contains("Showing 50 events."), "{first}");
    // The presence events came last: the newest 50 are x59 … x10.
    let at = |text: &str, uid: &str| text.find(&format!(">{uid}<"));
    assert!(at(&first, "x59") < at(&first, "x10") && at(&first, "x10").is_some());
    assert!(at(&first, "x09").is_none() && at(&first, "c1").is_none());
    let older = link_with(&first, "before=").expect("an Older link");
    let second = page(&alice, &older).await;
    assert!(second.contains("Showing 13 events."), "{second}");
    assert!(at(&second, "x09") < at(&second, "c3") && at(&second, "c1").is_some());
    let mut seen = std::collections::HashSet::new();
    for text in [&first, &second] {
        for part in text.split("class=\"event-link\">").skip(1) {
            assert!(
                seen.insert(part[..part.find('<').unwrap()].to_owned()),
                "no event twice"
            );
        }
    }
    assert_eq!(seen.len(), 63, "every event once");
    assert!(second.contains("after="), "a Newer link");
    assert!(
        !second.contains("before="),
        "the last page has no Older link"
    );

    // Filters combine and stay in the URL.
    let given_up = page(&alice, "/company/deliveries?state=given_up").await;
    assert!(given_up.contains("Showing 3 events."), "{given_up}");
    assert!(!given_up.contains(">x01<"));
    let by_type = page(
        &alice,
        "/company/deliveries?section=extension&type=extension_presence",
    )
    .await;
    assert!(by_type.contains("Showing 50 events."));
    assert!(!by_type.contains(">c1<"));
    let by_call = page(&alice, "/company/deliveries?q=call-c2").await;
    assert!(
        by_call.contains("Showing 1 event.") && by_call.contains(">c2<"),
        "{by_call}"
    );
    let by_extension = page(&alice, "/company/deliveries?q=101&section=cdr").await;
    assert!(by_extension.contains("Showing 2 events."), "{by_extension}");
    assert!(by_extension.contains(">c1<") && by_extension.contains(">c3<"));
    let by_uri = page(
        &alice,
        "/company/deliveries?q=sip%3A205%40test.io&state=delivered",
    )
    .await;
    assert!(by_uri.contains("Showing 50 events."));
    let by_uid = page(&alice, "/company/deliveries?q=x07").await;
    assert!(by_uid.contains("Showing 1 event.") && by_uid.contains(">x07<"));
    let future = page(&alice, "/company/deliveries?from=2999-01-01T00%3A00").await;
    assert!(future.contains("No events match."));
    let bad = page(&alice, "/company/deliveries?from=yesterday&state=lost").await;
    assert!(bad.contains("From: write a date and time"), "{bad}");
    assert!(bad.contains("State: choose one of the listed states."));

    // One event: its body and attempt, the credential redacted.
    let c1 = event_id(&app, "c1").await;
    let detail = page(&alice, &format!("/company/deliveries/{c1}")).await;
    assert!(detail.contains("call-c1"), "the body: {detail}");
    assert!(detail.contains("Not delivered, given up: the receiver answered 404"));
    assert!(detail.contains("Bearer [redacted]"));
    assert!(!detail.contains(BEARER_TOKEN), "never the token");
    assert!(detail.contains("no such hook"), "the response body");
    assert!(detail.contains("Redeliver…"));

    // Another tenant: nothing of Acme's, and Acme's event is not found.
    let bobs = page(&bob, "/company/deliveries").await;
    assert!(bobs.contains("No events match."), "{bobs}");
    let response = bob.get(&format!("/company/deliveries/{c1}")).await;
    assert_eq!(response.status(), StatusCode::NOT_FOUND);
    assert!(!response.text().await.unwrap().contains("call-c1"));
    let (status, _) = bob
        .server_fn(
            "delivery_event",
            &[("id", &c1.to_string()), ("redelivered", "false")],
        )
        .await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    let response = bob.get(&format!("/company/redeliver?id={c1}")).await;
    assert_eq!(response.status(), StatusCode::NOT_FOUND);
    let response = bob
        .post_form("/company/redeliver", &[("id", &c1.to_string())])
        .await;
    assert_eq!(response.status(), StatusCode::NOT_FOUND, "not Bob's");
    assert_eq!(state_of(&app, "c1").await, "given_up", "left alone");
    assert!(!app.database_holds_in_activity("redeliver").await);
    // Signed out: no page.
    let anonymous = app.browser();
    let response = anonymous.get("/company/deliveries?state=given_up").await;
    assert_eq!(response.status(), StatusCode::SEE_OTHER);
    assert!(location(&response).starts_with("/login?next="));
}

#[tokio::test]
async fn a_given_up_event_is_redelivered_once_the_receiver_is_fixed_and_it_is_recorded() {
    let app = spawn_delivering("100ms").await;
    app.create_tenant_with_admin("Acme", "alice").await;
    let tenant = tenant_id(&app, "Acme").await;
    let alice = Browser::signed_in(&app, "alice").await;
    let receiver = Receiver::start().await;
    let save = |path: &'static str, enabled: bool| {
        let url = receiver.url(path);
        let alice = &alice;
        async move {
            let mut extra = vec![];
            if enabled {
                extra.push(("enabled", "on"));
            }
            let (status, body) = alice.save(&fields("cdr", "disable", &url, &extra)).await;
            assert_eq!(status, StatusCode::OK, "{body}");
        }
    };
    save("/missing", true).await;
    let pbx = Pbx::new(&app).await;
    let (status, _) = pbx
        .send(
            &tenant,
            &json!([call("e1", "101"), call("e2", "101"), call("e3", "101")]),
        )
        .await;
    assert_eq!(status, StatusCode::ACCEPTED);
    wait_for("given up", async || {
        events(&app).await.iter().all(|e| e.state == "given_up")
    })
    .await;
    let e1 = event_id(&app, "e1").await;

    // A redelivery is one attempt: failing (500), it is given up again, not
    // put back on the retry schedule.
    save("/boom", true).await;
    let response = alice
        .post_form("/company/redeliver", &[("id", &e1.to_string())])
        .await;
    assert_eq!(response.status(), StatusCode::SEE_OTHER);
    wait_for("the manual attempt", async || {
        events(&app)
            .await
            .iter()
            .any(|e| e.event_uid == "e1" && e.attempts == 2 && e.state == "given_up")
    })
    .await;
    tokio::time::sleep(std::time::Duration::from_millis(400)).await;
    assert_eq!(
        receiver.seen().iter().filter(|s| s.path == "/boom").count(),
        1,
        "no retry after a failed redelivery"
    );

    // Paused: refused with the reason, nothing changes.
    save("/ok", false).await;
    let confirm = page(&alice, &format!("/company/redeliver?id={e1}")).await;
    assert!(confirm.contains("delivery is paused"), "{confirm}");
    let response = alice
        .post_form("/company/redeliver", &[("id", &e1.to_string())])
        .await;
    assert_eq!(response.status(), StatusCode::SEE_OTHER);
    let back = location(&response);
    assert!(back.starts_with("/company/redeliver?id="), "{back}");
    assert!(page(&alice, &back).await.contains("delivery is paused"));
    assert_eq!(state_of(&app, "e1").await, "given_up");

    // Fixed and enabled: confirmed, sent again, marked manual, recorded.
    save("/ok", true).await;
    let confirm = page(&alice, &format!("/company/redeliver?id={e1}")).await;
    assert!(confirm.contains("Redeliver 1 event"), "{confirm}");
    let response = alice
        .post_form("/company/redeliver", &[("id", &e1.to_string())])
        .await;
    assert_eq!(response.status(), StatusCode::SEE_OTHER);
    assert_eq!(
        location(&response),
        format!("/company/deliveries/{e1}?redelivered=1")
    );
    wait_for("redelivered", async || {
        state_of(&app, "e1").await == "delivered"
    })
    .await;
    assert_eq!(
        receiver.seen().iter().filter(|s| s.path == "/ok").count(),
        1,
        "only e1 was sent again"
    );
    let detail = page(&alice, &format!("/company/deliveries/{e1}")).await;
    assert!(detail.contains("Attempt 3"), "{detail}");
    assert!(detail.contains("manual redelivery"));
    assert!(detail.contains("Delivered: the receiver answered 200 OK."));
    assert!(
        app.database_holds_in_activity("asked to redeliver event e1")
            .await
    );

    // The section's given-up events in a time range: counted, confirmed.
    let list = page(&alice, "/company/deliveries?section=cdr&state=given_up").await;
    assert!(list.contains("Redeliver the given-up events"), "{list}");
    let confirm = page(
        &alice,
        "/company/redeliver?section=cdr&from=2000-01-01T00%3A00",
    )
    .await;
    assert!(confirm.contains("Redeliver 2 events"), "{confirm}");
    let response = alice
        .post_form(
            "/company/redeliver",
            &[("section", "cdr"), ("from", "2000-01-01T00:00"), ("to", "")],
        )
        .await;
    assert_eq!(response.status(), StatusCode::SEE_OTHER);
    assert!(
        location(&response).contains("redelivered=2"),
        "{}",
        location(&response)
    );
    wait_for("all delivered", async || {
        events(&app).await.iter().all(|e| e.state == "delivered")
    })
    .await;
    assert_eq!(
        receiver.seen().iter().filter(|s| s.path == "/ok").count(),
        3
    );
    assert!(
        app.database_holds_in_activity("asked to redeliver 2 given-up events")
            .await
    );
    // None left: the confirmation says so and offers nothing.
    let confirm = page(&alice, "/company/redeliver?section=cdr").await;
    assert!(
        confirm.contains("There are no given-up events"),
        "{confirm}"
    );
    // A form that names no event is refused with a message, not a 500.
    let response = alice
        .post_form("/company/redeliver", &[("id", "not-a-number")])
        .await;
    assert_eq!(response.status(), StatusCode::BAD_REQUEST);
}

/// A server delivering to loopback receivers that flags a section as
/// failing after 2 failed attempts and pauses it after 3 given-up events.
async fn spawn_with_thresholds() -> TestApp {
    let dir = tempfile::tempdir().expect("temp dir");
    let mut config = test_config(&dir);
    config.allow_private_targets = "127.0.0.0/8".into();
    config.retry_schedule = "100ms".parse().unwrap();
    config.failing_after = 2;
    config.auto_pause_after = 3;
    spawn_with(dir, config).await
}

#[tokio::test]
async fn a_failing_section_is_flagged_on_every_page_then_paused_and_its_cdr_events_held() {
    let app = spawn_with_thresholds().await;
    app.create_tenant_with_admin("Acme", "alice").await;
    let tenant = tenant_id(&app, "Acme").await;
    let alice = Browser::signed_in(&app, "alice").await;
    let receiver = Receiver::start().await;
    // 404: each event is given up at its first attempt.
    let (status, _) = alice
        .save(&fields(
            "cdr",
            "disable",
            &receiver.url("/missing"),
            &[("enabled", "on")],
        ))
        .await;
    assert_eq!(status, StatusCode::OK);
    let pbx = Pbx::new(&app).await;
    let given_up = async |n: usize| {
        wait_for("given up", async || {
            events(&app)
                .await
                .iter()
                .filter(|e| e.state == "given_up")
                .count()
                == n
        })
        .await;
    };
    let (status, _) = pbx.send(&tenant, &call("g1", "101")).await;
    assert_eq!(status, StatusCode::ACCEPTED);
    given_up(1).await;
    let activity = page(&alice, "/company/activity").await;
    assert!(
        !activity.contains("Delivery problems"),
        "one failure is no alarm"
    );

    // Two failed attempts in a row: every page says so, and links to them.
    let (status, _) = pbx.send(&tenant, &call("g2", "101")).await;
    assert_eq!(status, StatusCode::ACCEPTED);
    given_up(2).await;
    for path in [
        "/company/activity",
        "/company/event-url",
        "/company/deliveries",
    ] {
        let text = page(&alice, path).await;
        assert!(
            text.contains("CDR Events deliveries are failing: the last 2 attempts"),
            "{path}: {text}"
        );
        assert!(
            text.contains("href=\"/company/deliveries?section=cdr\""),
            "{path}"
        );
    }
    let loaded_version = alice.load().await["cdr"]["version"].as_i64().unwrap();

    // Three given up in a row: paused automatically, said everywhere,
    // recorded; a form loaded before is refused, naming why.
    let (status, _) = pbx.send(&tenant, &call("g3", "101")).await;
    assert_eq!(status, StatusCode::ACCEPTED);
    given_up(3).await;
    let settings = alice.load().await;
    assert_eq!(settings["cdr"]["enabled"], false, "{settings}");
    assert_eq!(settings["cdr"]["alert"]["kind"], "AutoPaused");
    let event_url = page(&alice, "/company/event-url").await;
    assert!(event_url.contains(
        "CDR Events delivery was paused automatically: its last 3 events were all given up."
    ));
    assert!(
        event_url.contains("Paused automatically on "),
        "the section's header"
    );
    assert!(
        event_url.contains("CDR Events attempts, last 24 hours: 0 delivered, 3 failed."),
        "the chart's text"
    );
    assert!(event_url.contains("<svg"));
    assert!(
        app.database_holds_in_activity("paused automatically: its last 3 events were all given up")
            .await
    );
    let version = loaded_version.to_string();
    let (status, conflict) = alice
        .save(&fields(
            "cdr",
            "disable",
            &receiver.url("/missing"),
            &[("enabled", "on"), ("version", &version)],
        ))
        .await;
    assert_eq!(status, StatusCode::CONFLICT, "{conflict}");
    assert!(conflict.to_string().contains("eventurl"), "{conflict}");
    // Meanwhile CDR events are held.
    let (status, _) = pbx.send(&tenant, &call("h1", "101")).await;
    assert_eq!(status, StatusCode::ACCEPTED);
    assert_eq!(state_of(&app, "h1").await, "held");

    // Fixed and enabled in one save: the alert is gone, the held event
    // delivered, the chart counts it.
    let (status, body) = alice
        .save(&fields(
            "cdr",
            "disable",
            &receiver.url("/ok"),
            &[("enabled", "on")],
        ))
        .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    wait_for("the held event", async || {
        state_of(&app, "h1").await == "delivered"
    })
    .await;
    let event_url = page(&alice, "/company/event-url").await;
    assert!(!event_url.contains("Delivery problems"), "{event_url}");
    assert!(!event_url.contains("Paused automatically"));
    assert!(event_url.contains("CDR Events attempts, last 24 hours: 1 delivered, 3 failed."));
}
