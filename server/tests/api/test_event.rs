// Over 500 lines: 21 short tests of one button against real receivers (axum, Apache httpd), sharing their receivers and helpers.
//! Send test event, end to end: the real server posts to real receivers
//! (an axum server, Apache httpd with mod_auth_digest/mod_auth_basic) and
//! reports in the PBX's terms.

use crate::{helpers::*, receivers::*};
use reqwest::StatusCode;
use serde_json::Value;

/// The Apache receivers' username and password, as the form's fields.
const APACHE_LOGIN: [(&str, &str); 2] = [("username", APACHE_USER), ("password", APACHE_PASSWORD)];

async fn signed_in_app(per_minute: u32) -> (TestApp, Browser) {
    let app = spawn_allowing_loopback(per_minute).await;
    app.create_tenant_with_admin("Acme Corp", "alice").await;
    let browser = Browser::signed_in(&app, "alice").await;
    (app, browser)
}

/// Sends `event` to `url` without authentication, as the `kind` section.
async fn send_plain(browser: &Browser, kind: &str, url: &str, event: &str) -> (StatusCode, Value) {
    browser
        .send_test(&fields(kind, "disable", url, &[]), event)
        .await
}

/// The report's summary.
fn summary(report: &Value) -> &str {
    report["summary"].as_str().expect("a summary")
}

/// The report's first line of help.
fn help(report: &Value) -> &str {
    report["help"][0].as_str().expect("a line of help")
}

fn header<'a>(report: &'a Value, part: &str, name: &str) -> Option<&'a str> {
    report[part]["headers"]
        .as_array()?
        .iter()
        .find(|h| h[0].as_str().is_some_and(|n| n.eq_ignore_ascii_case(name)))
        .and_then(|h| h[1].as_str())
}

#[tokio::test]
async fn bearer_send_delivers_a_documented_cdr_event_and_redacts_the_token() {
    let (app, browser) = signed_in_app(100).await;
    let receiver = Receiver::start().await;
    let url = receiver.url("/bearer");

    let bearer = fields("cdr", "bearer", &url, &[("token", BEARER_TOKEN)]);
    let (status, report) = browser.send_test(&bearer, "call_cdr").await;
    assert_eq!(status, StatusCode::OK, "{report}");
    assert_eq!(report["verdict"], "delivered", "{report}");
    assert_eq!(report["response"]["status"], 200);
    assert_eq!(report["response"]["body"], "token accepted");
    assert!(summary(&report).contains("counts as delivered"));

    // What the receiver got: one POST of PortSIP-shaped JSON.
    let seen = receiver.seen();
    assert_eq!(seen.len(), 1);
    let got = &seen[0];
    assert_eq!(
        got.headers["content-type"],
        "application/json; charset=utf-8"
    );
    assert!(got.headers["user-agent"]
        .to_str()
        .unwrap()
        .starts_with("eventurl/"));
    assert_eq!(
        got.headers["authorization"],
        format!("Bearer {BEARER_TOKEN}").as_str()
    );
    let event: Value = serde_json::from_str(&got.body).unwrap();
    assert_eq!(event["event_type"], "call_cdr");
    assert_eq!(event["tenant_name"], "Acme Corp");
    assert!(event["tenant_id"].as_str().unwrap().parse::<u64>().is_ok());
    assert!(!event["call_targets"].as_array().unwrap().is_empty());

    // The report shows the request, but not the token.
    assert_eq!(
        header(&report, "request", "authorization"),
        Some("Bearer [redacted]")
    );
    assert!(report["request"]["body"]
        .as_str()
        .unwrap()
        .contains("\"event_type\": \"call_cdr\""));
    let everything = report.to_string() + &browser.load().await.to_string();
    assert!(!everything.contains(BEARER_TOKEN));
    assert!(!app.database_holds(BEARER_TOKEN));
}

#[tokio::test]
async fn an_empty_secret_field_sends_the_stored_secret_and_nothing_is_saved() {
    let (_app, browser) = signed_in_app(100).await;
    let receiver = Receiver::start().await;
    // Saved for the receiver's URL; the test goes there, with a query of
    // its own (the query is not part of where a secret may go).
    let saved_url = receiver.url("/bearer?saved=1");
    let saved_url = saved_url.as_str();
    let token = [("token", BEARER_TOKEN), ("enabled", "on")];
    browser
        .save_ok(&fields("extension", "bearer", saved_url, &token))
        .await;

    // The typed URL (not saved) and the stored token.
    let url = receiver.url("/bearer?from=test");
    let (status, report) = browser
        .send_test(&fields("extension", "bearer", &url, &[]), "queue_status")
        .await;
    assert_eq!(status, StatusCode::OK, "{report}");
    assert_eq!(report["verdict"], "delivered", "{report}");
    let event: Value = serde_json::from_str(&receiver.seen()[0].body).unwrap();
    assert_eq!(event["event_type"], "queue_status");

    // Testing did not save the typed URL.
    assert_eq!(browser.load().await["extension"]["url"], saved_url);
}

#[tokio::test]
async fn digest_authentication_passes_apache_mod_auth_digest() {
    let (app, browser) = signed_in_app(100).await;
    let apache = Apache::start().await;
    let url = apache.url("/digest/hook?tenant=acme");

    let (status, report) = browser
        .send_test(&fields("cdr", "digest", &url, &APACHE_LOGIN), "call_start")
        .await;
    assert_eq!(status, StatusCode::OK, "{report}");
    assert_eq!(report["verdict"], "delivered", "{report}");
    // The CGI behind Apache echoes the body it received.
    let echoed: Value = serde_json::from_str(report["response"]["body"].as_str().unwrap()).unwrap();
    assert_eq!(echoed["event_type"], "call_start");
    assert!(report["digest_ms"].is_u64(), "{report}");
    let note = report["digest_note"].as_str().unwrap();
    assert!(
        note.contains("MD5") && note.contains(APACHE_REALM),
        "{note}"
    );
    let authorization = header(&report, "request", "authorization").unwrap();
    assert!(authorization.starts_with("Digest "), "{authorization}");
    assert!(
        authorization.contains("uri=\"/digest/hook?tenant=acme\""),
        "{authorization}"
    );
    assert!(
        authorization.contains("response=\"[redacted]\""),
        "{authorization}"
    );
    assert!(!report.to_string().contains(APACHE_PASSWORD));

    // The same with a wrong password: rejected, and said so.
    let wrong = [("username", APACHE_USER), ("password", "not-the-password")];
    let (status, report) = browser
        .send_test(&fields("cdr", "digest", &url, &wrong), "call_cdr")
        .await;
    assert_eq!(status, StatusCode::OK, "{report}");
    assert_eq!(report["verdict"], "retry");
    assert_eq!(report["response"]["status"], 401);
    let help = help(&report);
    assert!(
        help.contains("rejected our answer to its MD5 challenge"),
        "{help}"
    );
    assert!(!app.database_holds(APACHE_PASSWORD));
}

#[tokio::test]
async fn digest_answers_the_strongest_challenge_and_retries_once_on_a_stale_nonce() {
    let (_app, browser) = signed_in_app(100).await;
    let receiver = Receiver::start().await;
    let url = receiver.url("/digest-stale");
    let login = [("username", DIGEST_USER), ("password", DIGEST_PASSWORD)];
    let (_, report) = browser
        .send_test(&fields("cdr", "digest", &url, &login), "call_cdr")
        .await;
    assert_eq!(report["verdict"], "delivered", "{report}");
    let note = report["digest_note"].as_str().unwrap();
    assert!(note.contains("SHA-256") && note.contains("stale"), "{note}");
    // Unauthenticated, then the expired nonce, then the fresh one.
    assert_eq!(receiver.seen().len(), 3);
}

#[tokio::test]
async fn basic_authentication_passes_apache_mod_auth_basic() {
    let (_app, browser) = signed_in_app(100).await;
    let apache = Apache::start().await;
    let url = apache.url("/basic/hook");
    let basic = |login| fields("extension", "basic", &url, login);
    let (_, report) = browser
        .send_test(&basic(&APACHE_LOGIN), "extension_presence")
        .await;
    assert_eq!(report["verdict"], "delivered", "{report}");
    assert_eq!(
        header(&report, "request", "authorization"),
        Some("Basic [redacted]")
    );
    let wrong = [("username", APACHE_USER), ("password", "wrong")];
    let (_, report) = browser
        .send_test(&basic(&wrong), "extension_presence")
        .await;
    assert_eq!(report["verdict"], "retry");
    assert_eq!(report["response"]["status"], 401);
    assert!(help(&report).contains("Check the username and password"));
}

#[tokio::test]
async fn answers_are_judged_as_the_pbx_would() {
    let (_app, browser) = signed_in_app(100).await;
    let receiver = Receiver::start().await;
    // (path, verdict, status, words the summary or help must contain)
    let cases = [
        ("/ok", "delivered", 200, "counts as delivered"),
        ("/no-content", "retry", 204, "only 200"),
        ("/missing", "stop_retrying", 404, "stop retrying"),
        ("/boom", "retry", 500, "server error"),
        ("/moved", "retry", 302, "https://hooks.example.net/final"),
    ];
    for (path, verdict, status, words) in cases {
        let (code, report) = send_plain(&browser, "cdr", &receiver.url(path), "call_cdr").await;
        assert_eq!(code, StatusCode::OK, "{path}: {report}");
        assert_eq!(report["verdict"], verdict, "{path}: {report}");
        assert_eq!(report["response"]["status"], status, "{path}");
        let text = format!("{} {}", report["summary"], report["help"]);
        assert!(text.contains(words), "{path}: {text}");
    }
    // The redirect was not followed.
    assert!(!receiver.seen().iter().any(|s| s.path == "/final"));
    assert_eq!(receiver.seen().len(), cases.len());

    // Digest chosen, but the receiver never asked: delivered, and said so.
    let login = [("username", "pbx"), ("password", "pw")];
    let (_, report) = browser
        .send_test(
            &fields("cdr", "digest", &receiver.url("/ok"), &login),
            "call_cdr",
        )
        .await;
    assert_eq!(report["verdict"], "delivered");
    assert!(report["digest_note"]
        .as_str()
        .unwrap()
        .contains("did not ask for credentials"));
    assert!(header(&report, "request", "authorization").is_none());
}

#[tokio::test]
async fn no_answer_is_explained_refused_port_and_time_out() {
    let (_app, browser) = signed_in_app(100).await;
    let receiver = Receiver::start().await;

    let refused = format!("http://127.0.0.1:{}/hook", closed_port());
    let (_, report) = send_plain(&browser, "cdr", &refused, "call_cdr").await;
    assert_eq!(report["verdict"], "retry", "{report}");
    assert_eq!(report["response"], Value::Null);
    assert!(summary(&report).contains("refused the connection"));

    let started = std::time::Instant::now();
    let (_, report) = send_plain(&browser, "cdr", &receiver.url("/slow"), "call_cdr").await;
    assert_eq!(report["verdict"], "retry", "{report}");
    assert!(summary(&report).contains("no answer within 10 s"));
    let waited = started.elapsed().as_secs_f64();
    assert!((9.5..14.0).contains(&waited), "gave up after {waited} s");

    let unknown = "https://no-such-host.invalid/hook";
    let (_, report) = send_plain(&browser, "cdr", unknown, "call_cdr").await;
    assert_eq!(report["verdict"], "retry", "{report}");
    assert!(summary(&report).contains("not found in DNS"));
}

#[tokio::test]
async fn an_untrusted_certificate_is_explained() {
    let (_app, browser) = signed_in_app(100).await;
    let apache = Apache::start().await;
    let url = format!("https://localhost:{}/basic/hook", apache.tls_port);
    let (_, report) = browser
        .send_test(&fields("cdr", "basic", &url, &APACHE_LOGIN), "call_cdr")
        .await;
    assert_eq!(report["verdict"], "retry", "{report}");
    assert_eq!(report["response"], Value::Null);
    let summary = summary(&report);
    assert!(
        summary.contains("not signed by a trusted authority"),
        "{summary}"
    );
    assert!(help(&report).contains("public certificate authority"));
}

#[tokio::test]
async fn private_targets_are_refused_unless_the_operator_allows_them() {
    let app = spawn_app().await; // default: public addresses only
    app.create_tenant_with_admin("Acme", "alice").await;
    let browser = Browser::signed_in(&app, "alice").await;
    let receiver = Receiver::start().await;
    let port = receiver.addr.port();
    for url in [
        format!("http://127.0.0.1:{port}/ok"),
        format!("http://localhost:{port}/ok"),
        format!("http://[::ffff:127.0.0.1]:{port}/ok"),
        format!("http://[::1]:{port}/ok"),
        "http://169.254.169.254/latest/meta-data/".to_owned(),
        "http://10.0.0.1/hook".to_owned(),
    ] {
        let (status, report) = send_plain(&browser, "cdr", &url, "call_cdr").await;
        assert_eq!(status, StatusCode::OK, "{url}: {report}");
        assert_eq!(report["verdict"], "not_sent", "{url}: {report}");
        // A name's resolved address is not the tenant's to learn (it maps
        // the provider's internal DNS); a typed address may be judged.
        let summary = summary(&report);
        if url.contains("localhost") {
            assert!(
                summary.contains("points to a private or special-purpose address")
                    && !summary.contains("127.0.0.1")
                    && !summary.contains("::1")
                    && !summary.contains("loopback"),
                "{summary}"
            );
        }
        assert!(help(&report).contains("EVENTURL_ALLOW_PRIVATE_TARGETS"));
    }
    assert!(receiver.seen().is_empty(), "nothing reached the receiver");

    // Allowed by the operator: delivered.
    let (_allowed, browser) = signed_in_app(100).await;
    let by_name = format!("http://localhost:{port}/ok");
    let (_, report) = send_plain(&browser, "cdr", &by_name, "call_cdr").await;
    assert_eq!(report["verdict"], "delivered", "{report}");
}

#[tokio::test]
async fn test_sends_are_rate_limited_per_tenant() {
    let (app, browser) = signed_in_app(3).await;
    let receiver = Receiver::start().await;
    let url = receiver.url("/ok");
    for _ in 0..3 {
        let (status, report) = send_plain(&browser, "cdr", &url, "call_cdr").await;
        assert_eq!(status, StatusCode::OK, "{report}");
    }
    let (status, error) = send_plain(&browser, "extension", &url, "extension_call").await;
    assert_eq!(status, StatusCode::TOO_MANY_REQUESTS, "{error}");
    assert_eq!(error["RateLimited"]["limit"], 3, "{error}");
    let wait = error["RateLimited"]["retry_after_secs"].as_u64().unwrap();
    assert!((1..=60).contains(&wait), "{error}");
    assert_eq!(receiver.seen().len(), 3);

    // Another tenant has its own allowance.
    app.create_tenant_with_admin("Other", "bob").await;
    let bob = Browser::signed_in(&app, "bob").await;
    let (status, _) = send_plain(&bob, "cdr", &url, "call_cdr").await;
    assert_eq!(status, StatusCode::OK);
}

#[tokio::test]
async fn history_keeps_the_last_20_per_section_and_can_send_again() {
    let (app, browser) = signed_in_app(100).await;
    let receiver = Receiver::start().await;
    let url = receiver.url("/ok");
    let mut ids = Vec::new();
    for _ in 0..22 {
        let (_, report) = send_plain(&browser, "cdr", &url, "call_cdr").await;
        ids.push(report["id"].as_i64().unwrap());
    }
    let (_, other) = send_plain(&browser, "extension", &url, "extension_status").await;

    let data = browser.load().await;
    let cdr: Vec<i64> = data["cdr_tests"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["id"].as_i64().unwrap())
        .collect();
    let newest_first: Vec<i64> = ids.iter().rev().take(20).copied().collect();
    assert_eq!(cdr, newest_first);
    assert_eq!(data["extension_tests"].as_array().unwrap().len(), 1);
    assert_eq!(data["cdr_tests"][0]["sent_by"], "alice");

    // Send again: the same event body, to the same URL.
    let (status, again) = browser.send_again(other["id"].as_i64().unwrap()).await;
    assert_eq!(status, StatusCode::OK, "{again}");
    assert_eq!(again["verdict"], "delivered");
    assert_eq!(again["event"], "extension_status");
    let seen = receiver.seen();
    assert_eq!(seen[seen.len() - 1].body, seen[seen.len() - 2].body);

    // An entry that fell out of the history, and another tenant's entry.
    let (status, error) = browser.send_again(ids[0]).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{error}");
    app.create_tenant_with_admin("Other", "bob").await;
    let bob = Browser::signed_in(&app, "bob").await;
    let (status, error) = bob.send_again(ids[21]).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{error}");
    assert!(error.to_string().contains("no longer in the history"));
    assert!(bob.load().await["cdr_tests"].as_array().unwrap().is_empty());
}

#[tokio::test]
async fn send_again_uses_the_secret_saved_now() {
    let (_app, browser) = signed_in_app(100).await;
    let receiver = Receiver::start().await;
    let url = receiver.url("/bearer");
    // Tested with a typed token, never saved: it cannot be sent again.
    let bearer = fields("cdr", "bearer", &url, &[("token", BEARER_TOKEN)]);
    let (_, first) = browser.send_test(&bearer, "call_cdr").await;
    let (status, error) = browser.send_again(first["id"].as_i64().unwrap()).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(
        error.to_string().contains("No bearer token is saved"),
        "{error}"
    );
    // Once saved, it can.
    browser.save_ok(&bearer).await;
    let (status, again) = browser.send_again(first["id"].as_i64().unwrap()).await;
    assert_eq!(status, StatusCode::OK, "{again}");
    assert_eq!(again["verdict"], "delivered");
}

#[tokio::test]
async fn incomplete_forms_are_refused_per_field_and_nothing_is_sent() {
    let (_app, browser) = signed_in_app(100).await;
    let (status, error) = browser
        .send_test(&fields("cdr", "basic", "", &[]), "call_cdr")
        .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{error}");
    let errors = error.to_string();
    for part in ["url", "username", "password", "to send a test event"] {
        assert!(errors.contains(part), "{part}: {errors}");
    }
    let url = "https://receiver.example/x";
    let (status, error) = send_plain(&browser, "cdr", url, "queue_status").await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(error.to_string().contains("sample_event"), "{error}");
    assert!(browser.load().await["cdr_tests"]
        .as_array()
        .unwrap()
        .is_empty());
}

#[tokio::test]
async fn the_response_body_is_cut_at_4_kb_and_shown_as_text() {
    let (_app, browser) = signed_in_app(100).await;
    let receiver = Receiver::start().await;
    let (_, report) = send_plain(&browser, "cdr", &receiver.url("/big"), "call_cdr").await;
    assert_eq!(report["response"]["body"].as_str().unwrap().len(), 4096);
    assert_eq!(report["response"]["body_truncated"], true);
    // On the page, the body is escaped text, never markup.
    let page = browser.text("/company/event-url").await;
    assert!(page.contains("&lt;script&gt;alert(1)&lt;/script&gt;"));
    assert!(!page.contains("<script>alert(1)</script>"));
}

#[tokio::test]
async fn the_no_javascript_form_sends_and_shows_the_verdict() {
    let (_app, browser) = signed_in_app(100).await;
    let receiver = Receiver::start().await;
    let url = receiver.url("/ok");
    let sample = [("sample_event", "extension_call")];
    let response = browser
        .post_form(
            "/company/event-url/test-event",
            &fields("extension", "disable", &url, &sample),
        )
        .await;
    assert_eq!(response.status(), StatusCode::OK);
    let page = response.text().await.unwrap();
    assert!(page.contains("Delivered"), "verdict shown");
    assert!(page.contains(&url), "the typed URL is kept in the form");
    assert_eq!(receiver.seen().len(), 1);

    // Refused: the messages, and the form as typed.
    let no_token = fields("extension", "bearer", &url, &sample);
    let page = browser
        .post_text("/company/event-url/test-event", &no_token)
        .await;
    assert!(page.contains("Enter the bearer token to send a test event."));
    assert_eq!(receiver.seen().len(), 1);
}

#[tokio::test]
async fn sending_requires_sign_in() {
    let app = spawn_app().await;
    let (status, _) = send_plain(&app.browser(), "cdr", "https://x.example", "call_cdr").await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
}

/// A stored secret goes only to the URL (scheme, host, port and path) it
/// was saved for: not to another path of the same host, not to another
/// receiver typed in the form, not through a save that moves the URL, not
/// through Send again. Typed again, it goes.
#[tokio::test]
async fn a_stored_secret_is_only_ever_sent_to_the_url_it_was_saved_for() {
    let (_app, browser) = signed_in_app(100).await;
    let saved_at = Receiver::start().await;
    let elsewhere = Receiver::start().await; // same host, another port
    let token = [("token", BEARER_TOKEN), ("enabled", "on")];
    browser
        .save_ok(&fields("cdr", "bearer", &saved_at.url("/bearer"), &token))
        .await;
    let (_, first) = browser
        .send_test(
            &fields("cdr", "bearer", &saved_at.url("/bearer"), &[]),
            "call_cdr",
        )
        .await;
    assert_eq!(first["verdict"], "delivered", "{first}");

    // Another path of the same host (which may echo what it is sent).
    let (status, error) = browser
        .send_test(
            &fields("cdr", "bearer", &saved_at.url("/echo"), &[]),
            "call_cdr",
        )
        .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{error}");
    let expected = format!("only ever sent to {}", saved_at.url("/bearer"));
    assert!(error.to_string().contains(&expected), "{error}");
    // Typed again, it goes there.
    let typed = [("token", BEARER_TOKEN)];
    let (_, typed_again) = browser
        .send_test(
            &fields("cdr", "bearer", &saved_at.url("/echo"), &typed),
            "call_cdr",
        )
        .await;
    assert_eq!(typed_again["verdict"], "delivered", "{typed_again}");

    // A test send to another origin with the token field empty.
    let moved = elsewhere.url("/echo");
    let (status, error) = browser
        .send_test(&fields("cdr", "bearer", &moved, &[]), "call_cdr")
        .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{error}");
    let message = error["NotSent"]["token"]
        .as_str()
        .unwrap_or_default()
        .to_owned()
        + &error.to_string();
    assert!(
        message.contains("only ever sent to http://127.0.0.1:"),
        "{error}"
    );
    assert!(
        elsewhere.seen().is_empty(),
        "nothing went to the other origin"
    );

    // A save that moves the URL to another origin keeps nothing silently.
    let before = browser.load().await;
    let (status, error) = browser
        .save(&fields("cdr", "bearer", &moved, &[("enabled", "on")]))
        .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{error}");
    assert!(error.to_string().contains("Type it again"), "{error}");
    assert_eq!(
        browser.load().await["cdr"],
        before["cdr"],
        "nothing changed"
    );
    // Paused, too.
    let (status, _) = browser.save(&fields("cdr", "bearer", &moved, &[])).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);

    // Send again of a test that went to the saved origin, after the URL
    // moved elsewhere with a new token: refused, the old test's origin is
    // not the saved one any more.
    let token = [("token", "another-token-typed-again"), ("enabled", "on")];
    browser
        .save_ok(&fields("cdr", "bearer", &elsewhere.url("/bearer"), &token))
        .await;
    let (status, error) = browser.send_again(first["id"].as_i64().unwrap()).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{error}");
    assert!(error.to_string().contains("only ever sent to"), "{error}");
    assert!(elsewhere.seen().is_empty());
    assert_eq!(
        saved_at.seen().len(),
        2,
        "only the first test and the one with the token typed again reached it"
    );
}

/// A receiver that echoes the request (its headers in the body, the
/// `Authorization` in a header) does not make the credential readable in
/// the report or the history.
#[tokio::test]
async fn an_echoed_credential_is_redacted_from_the_report_and_the_history() {
    let (app, browser) = signed_in_app(100).await;
    let receiver = Receiver::start().await;
    for (method, extra, secret) in [
        (
            "bearer",
            vec![("token", BEARER_TOKEN)],
            BEARER_TOKEN.to_owned(),
        ),
        (
            "basic",
            vec![("username", "pbx"), ("password", "echo-me-not-42")],
            "echo-me-not-42".to_owned(),
        ),
    ] {
        let url = receiver.url("/echo");
        let echo = fields("cdr", method, &url, &extra);
        let (status, report) = browser.send_test(&echo, "call_cdr").await;
        assert_eq!(status, StatusCode::OK, "{report}");
        assert_eq!(report["verdict"], "delivered", "{report}");
        let body = report["response"]["body"].as_str().unwrap();
        assert!(
            body.contains("authorization: "),
            "the echo is shown: {body}"
        );
        assert!(body.contains("[redacted]"), "{body}");
        let everything = report.to_string() + &browser.load().await.to_string();
        assert!(!everything.contains(&secret), "{method}: {everything}");
        // Basic's header value is the base64 of user:password.
        assert!(
            !everything.contains("cGJ4OmVjaG8tbWUtbm90LTQy"),
            "{everything}"
        );
        assert!(!app.database_holds(&secret), "{method}");
        assert!(!app.database_holds("cGJ4OmVjaG8tbWUtbm90LTQy"));
    }
}

/// A `WWW-Authenticate` that once panicked the request (a non-ASCII
/// parameter name) is explained like any unusable challenge, and the send
/// is in the history, finished.
#[tokio::test]
async fn a_hostile_digest_challenge_is_explained_not_a_dropped_connection() {
    let (_app, browser) = signed_in_app(100).await;
    let receiver = Receiver::start().await;
    let login = [("username", "pbx"), ("password", "whatever-1")];
    let url = receiver.url("/digest-hostile");
    let hostile = fields("cdr", "digest", &url, &login);
    let (status, report) = browser.send_test(&hostile, "call_cdr").await;
    assert_eq!(status, StatusCode::OK, "{report}");
    assert_ne!(report["verdict"], "delivered", "{report}");
    assert!(report.to_string().contains("could not be used"), "{report}");
    let history = browser.load().await;
    assert_eq!(history["cdr_tests"][0]["id"], report["id"]);
    assert_eq!(history["cdr_tests"][0]["verdict"], report["verdict"]);
}

/// The limit counts sends, not the history rows kept (20 a section), so it
/// holds above 40 a minute.
#[tokio::test]
async fn the_rate_limit_counts_sends_not_the_history_kept() {
    let (_app, browser) = signed_in_app(45).await;
    let receiver = Receiver::start().await;
    let url = receiver.url("/ok");
    for n in 0..45 {
        let (kind, event) = if n % 2 == 0 {
            ("cdr", "call_cdr")
        } else {
            ("extension", "extension_call")
        };
        let (status, report) = send_plain(&browser, kind, &url, event).await;
        assert_eq!(status, StatusCode::OK, "send {n}: {report}");
    }
    let (status, error) = send_plain(&browser, "cdr", &url, "call_cdr").await;
    assert_eq!(status, StatusCode::TOO_MANY_REQUESTS, "{error}");
    assert_eq!(receiver.seen().len(), 45);
}

/// Concurrent sends cannot slip past the limit together.
#[tokio::test]
async fn concurrent_test_sends_do_not_get_past_the_limit() {
    let (_app, browser) = signed_in_app(5).await;
    let receiver = Receiver::start().await;
    let url = receiver.url("/ok");
    let mut sends = tokio::task::JoinSet::new();
    for _ in 0..20 {
        let browser = browser.clone();
        let url = url.clone();
        sends.spawn(async move { send_plain(&browser, "cdr", &url, "call_cdr").await.0 });
    }
    let statuses = sends.join_all().await;
    let mut sent = statuses.iter().filter(|s| **s == StatusCode::OK).count();
    assert!(sent <= 5, "{statuses:?}");
    // One by one, the rest of the five go, then the limit holds.
    while send_plain(&browser, "cdr", &url, "call_cdr").await.0 == StatusCode::OK {
        sent += 1;
        assert!(sent <= 5);
    }
    assert_eq!(sent, 5);
    assert_eq!(receiver.seen().len(), 5);
}
