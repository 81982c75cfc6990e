//! Company → Deliveries on the real server: events handed in by a PBX and
//! delivered to real receivers are listed, filtered, paged by cursor and
//! opened with their attempts; redelivery (one event, or a section's
//! given-up events) is confirmed, refused while paused, recorded in
//! Activity; and another tenant's events are not found.

use crate::{helpers::*, pbx::*, receivers::*};
use reqwest::StatusCode;
use serde_json::{json, Value};

async fn event_id(app: &TestApp, uid: &str) -> i64 {
    event(app, uid)
        .await
        .unwrap_or_else(|| panic!("no event {uid}"))
        .id
}

async fn state_of(app: &TestApp, uid: &str) -> String {
    event(app, uid).await.map(|e| e.state).unwrap_or_default()
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
    let (tenant, alice, receiver) = acme_delivering_beside(&app, &[("Globex", "bob")]).await;
    let bob = Browser::signed_in(&app, "bob").await;
    // CDR events go to a receiver that answers 404 (given up at once),
    // with a Bearer token; extension events are delivered.
    let missing = receiver.url("/missing");
    let bearer = [("token", BEARER_TOKEN), ("enabled", "on")];
    alice
        .save_ok(&fields("cdr", "bearer", &missing, &bearer))
        .await;
    alice
        .save_plain("extension", &receiver.url("/ok"), true)
        .await;
    let pbx = Pbx::new(&app).await;
    let calls = json!([call("c1", "101"), call("c2", "102"), call("c3", "101")]);
    pbx.hand_in(&tenant, &calls).await;
    let presence: Vec<Value> = (0..60)
        .map(|n| json!({"event_type": "extension_presence", "event_id": format!("x{n:02}"), "extension": "sip:205@test.io"}))
        .collect();
    pbx.hand_in(&tenant, &json!(presence)).await;
    wait_for("every event finished", async || {
        let all = events(&app).await;
        all.len() == 63
            && all
                .iter()
                .all(|e| e.state == "delivered" || e.state == "given_up")
    })
    .await;

    // The newest 50, then the rest by the "Older" cursor; "Newer" leads back.
    let first = alice.private_page("/company/deliveries").await;
    assert!(first.contains("Showing 50 events."), "{first}");
    // The presence events came last: the newest 50 are x59 … x10.
    let at = |text: &str, uid: &str| text.find(&format!(">{uid}<"));
    assert!(at(&first, "x59") < at(&first, "x10") && at(&first, "x10").is_some());
    assert!(at(&first, "x09").is_none() && at(&first, "c1").is_none());
    let older = link_with(&first, "before=").expect("an Older link");
    let second = alice.private_page(&older).await;
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
    let given_up = alice
        .private_page("/company/deliveries?state=given_up")
        .await;
    assert!(given_up.contains("Showing 3 events."), "{given_up}");
    assert!(!given_up.contains(">x01<"));
    let by_type = alice
        .private_page("/company/deliveries?section=extension&type=extension_presence")
        .await;
    assert!(by_type.contains("Showing 50 events."));
    assert!(!by_type.contains(">c1<"));
    let by_call = alice.private_page("/company/deliveries?q=call-c2").await;
    assert!(
        by_call.contains("Showing 1 event.") && by_call.contains(">c2<"),
        "{by_call}"
    );
    let by_extension = alice
        .private_page("/company/deliveries?q=101&section=cdr")
        .await;
    assert!(by_extension.contains("Showing 2 events."), "{by_extension}");
    assert!(by_extension.contains(">c1<") && by_extension.contains(">c3<"));
    let by_uri = alice
        .private_page("/company/deliveries?q=sip%3A205%40test.io&state=delivered")
        .await;
    assert!(by_uri.contains("Showing 50 events."));
    let by_uid = alice.private_page("/company/deliveries?q=x07").await;
    assert!(by_uid.contains("Showing 1 event.") && by_uid.contains(">x07<"));
    let future = alice
        .private_page("/company/deliveries?from=2999-01-01T00%3A00")
        .await;
    assert!(future.contains("No events match."));
    let bad = alice
        .private_page("/company/deliveries?from=yesterday&state=lost")
        .await;
    assert!(bad.contains("From: write a date and time"), "{bad}");
    assert!(bad.contains("State: choose one of the listed states."));

    // One event: its body and attempt, the credential redacted.
    let c1 = event_id(&app, "c1").await;
    let detail = alice
        .private_page(&format!("/company/deliveries/{c1}"))
        .await;
    assert!(detail.contains("call-c1"), "the body: {detail}");
    assert!(detail.contains("Not delivered, given up: the receiver answered 404"));
    assert!(detail.contains("Bearer [redacted]"));
    assert!(!detail.contains(BEARER_TOKEN), "never the token");
    assert!(detail.contains("no such hook"), "the response body");
    assert!(detail.contains("Redeliver…"));

    // Another tenant: nothing of Acme's, and Acme's event is not found.
    let bobs = bob.private_page("/company/deliveries").await;
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
    let (tenant, alice, receiver) = acme_delivering(&app).await;
    let save = async |path: &str, enabled: bool| {
        alice.save_plain("cdr", &receiver.url(path), enabled).await;
    };
    save("/missing", true).await;
    let pbx = Pbx::new(&app).await;
    let calls = json!([call("e1", "101"), call("e2", "101"), call("e3", "101")]);
    pbx.hand_in(&tenant, &calls).await;
    wait_for("given up", async || {
        events(&app).await.iter().all(|e| e.state == "given_up")
    })
    .await;
    let e1 = event_id(&app, "e1").await;
    let e1_id = e1.to_string();
    let redeliver_e1 = async || {
        alice
            .post_form("/company/redeliver", &[("id", &e1_id)])
            .await
    };
    let confirm_e1 = format!("/company/redeliver?id={e1}");

    // A redelivery is one attempt: failing (500), it is given up again, not
    // put back on the retry schedule.
    save("/boom", true).await;
    let response = redeliver_e1().await;
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
    let confirm = alice.private_page(&confirm_e1).await;
    assert!(confirm.contains("delivery is paused"), "{confirm}");
    let response = redeliver_e1().await;
    assert_eq!(response.status(), StatusCode::SEE_OTHER);
    let back = location(&response);
    assert!(back.starts_with("/company/redeliver?id="), "{back}");
    assert!(alice
        .private_page(&back)
        .await
        .contains("delivery is paused"));
    assert_eq!(state_of(&app, "e1").await, "given_up");

    // Fixed and enabled: confirmed, sent again, marked manual, recorded.
    save("/ok", true).await;
    let confirm = alice.private_page(&confirm_e1).await;
    assert!(confirm.contains("Redeliver 1 event"), "{confirm}");
    let response = redeliver_e1().await;
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
    let detail = alice
        .private_page(&format!("/company/deliveries/{e1}"))
        .await;
    assert!(detail.contains("Attempt 3"), "{detail}");
    assert!(detail.contains("manual redelivery"));
    assert!(detail.contains("Delivered: the receiver answered 200 OK."));
    assert!(
        app.database_holds_in_activity("asked to redeliver event e1")
            .await
    );

    // The section's given-up events in a time range: counted, confirmed,
    // replayed as a job whose page says how far it is.
    let list = alice
        .private_page("/company/deliveries?section=cdr&state=given_up")
        .await;
    assert!(list.contains("Replay the given-up events"), "{list}");
    let confirm = alice
        .private_page("/company/redeliver?section=cdr&state=given_up&from=2000-01-01T00%3A00")
        .await;
    assert!(confirm.contains("Replay 2 events"), "{confirm}");
    assert!(
        confirm.contains("given-up events of CDR Events"),
        "{confirm}"
    );
    let response = alice
        .post_form(
            "/company/redeliver",
            &[
                ("section", "cdr"),
                ("state", "given_up"),
                ("from", "2000-01-01T00:00"),
                ("to", ""),
            ],
        )
        .await;
    assert_eq!(response.status(), StatusCode::SEE_OTHER);
    let replay_page = location(&response);
    assert!(
        replay_page.starts_with("/company/deliveries/replays/"),
        "{replay_page}"
    );
    wait_for("all delivered", async || {
        events(&app).await.iter().all(|e| e.state == "delivered")
    })
    .await;
    assert_eq!(
        receiver.seen().iter().filter(|s| s.path == "/ok").count(),
        3
    );
    let progress = alice.private_page(&replay_page).await;
    assert!(
        progress.contains("Done: 2 delivered, 0 failed of 2."),
        "{progress}"
    );
    assert!(
        app.database_holds_in_activity("2 given-up events handed in from")
            .await
    );
    // None left: the confirmation says so and offers nothing.
    let confirm = alice.private_page("/company/redeliver?section=cdr").await;
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
    spawn_configured(|config| {
        config.allow_private_targets = "127.0.0.0/8".into();
        config.retry_schedule = "100ms".parse().unwrap();
        config.failing_after = 2;
        config.auto_pause_after = 3;
    })
    .await
}

#[tokio::test]
async fn a_failing_section_is_flagged_on_every_page_then_paused_and_its_cdr_events_held() {
    let app = spawn_with_thresholds().await;
    let (tenant, alice, receiver) = acme_delivering(&app).await;
    // 404: each event is given up at its first attempt.
    alice
        .save_plain("cdr", &receiver.url("/missing"), true)
        .await;
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
    pbx.hand_in(&tenant, &call("g1", "101")).await;
    given_up(1).await;
    let activity = alice.private_page("/company/activity").await;
    assert!(
        !activity.contains("Delivery problems"),
        "one failure is no alarm"
    );

    // Two failed attempts in a row: every page says so, and links to them.
    pbx.hand_in(&tenant, &call("g2", "101")).await;
    given_up(2).await;
    for path in [
        "/company/activity",
        "/company/event-url",
        "/company/deliveries",
    ] {
        let text = alice.private_page(path).await;
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
    pbx.hand_in(&tenant, &call("g3", "101")).await;
    given_up(3).await;
    let settings = alice.load().await;
    assert_eq!(settings["cdr"]["enabled"], false, "{settings}");
    assert_eq!(settings["cdr"]["alert"]["kind"], "AutoPaused");
    let event_url = alice.private_page("/company/event-url").await;
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
    let stale = [("enabled", "on"), ("version", &version)];
    let (status, conflict) = alice
        .save(&fields("cdr", "disable", &receiver.url("/missing"), &stale))
        .await;
    assert_eq!(status, StatusCode::CONFLICT, "{conflict}");
    assert!(conflict.to_string().contains("eventurl"), "{conflict}");
    // Meanwhile CDR events are held.
    pbx.hand_in(&tenant, &call("h1", "101")).await;
    assert_eq!(state_of(&app, "h1").await, "held");

    // Fixed and enabled in one save: the alert is gone, the held event
    // delivered, the chart counts it.
    alice.save_plain("cdr", &receiver.url("/ok"), true).await;
    wait_for("the held event", async || {
        state_of(&app, "h1").await == "delivered"
    })
    .await;
    let event_url = alice.private_page("/company/event-url").await;
    assert!(!event_url.contains("Delivery problems"), "{event_url}");
    assert!(!event_url.contains("Paused automatically"));
    assert!(event_url.contains("CDR Events attempts, last 24 hours: 1 delivered, 3 failed."));
}
