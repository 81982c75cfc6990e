use crate::helpers::*;
use reqwest::StatusCode;

#[tokio::test]
async fn anonymous_page_visits_go_to_login_and_remember_the_target() {
    let app = spawn_app().await;
    let response = app.browser().get("/company/event-url?tab=1").await;
    assert_eq!(response.status(), StatusCode::SEE_OTHER);
    assert_eq!(
        response.headers()["location"],
        "/login?next=/company/event-url%3Ftab%3D1"
    );
    let unknown = app.browser().get("/somewhere/else").await;
    assert_eq!(unknown.status(), StatusCode::SEE_OTHER);
}

#[tokio::test]
async fn anonymous_api_calls_and_form_posts_are_refused() {
    let app = spawn_acme().await;
    let browser = app.browser();
    let (status, body) = browser.server_fn("load_event_url", &[]).await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    assert_eq!(body, "SignInRequired");
    let url = "https://x.example";
    let (status, _) = browser
        .save_exactly(&fields("cdr", "disable", url, &[("version", "1")]))
        .await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    let post = browser
        .post_form(
            "/company/event-url",
            &[("kind", "cdr"), ("auth_method", "disable")],
        )
        .await;
    assert_eq!(post.status(), StatusCode::UNAUTHORIZED);

    // Nothing was written.
    let signed_in = Browser::signed_in(&app, "alice").await;
    assert_eq!(signed_in.load().await["cdr"]["version"], 1);
}

#[tokio::test]
async fn login_page_health_and_assets_are_public() {
    let app = spawn_app().await;
    let browser = app.browser();
    assert_eq!(browser.get("/login").await.status(), StatusCode::OK);
    assert_eq!(browser.get("/healthz").await.status(), StatusCode::OK);
    assert_eq!(browser.get("/readyz").await.status(), StatusCode::OK);
}

/// Paths are named once (`app::paths`); the Leptos routes spell the pages
/// with `path!` literals, so they are checked against those names here.
#[tokio::test]
async fn every_page_path_is_a_route_of_the_app() {
    let routes: Vec<String> = leptos_axum::generate_route_list(app::App)
        .iter()
        .map(|route| route.path().to_owned())
        .collect();
    for page in [
        app::paths::LOGIN,
        app::paths::SETUP,
        app::paths::EVENT_URL,
        app::paths::ACTIVITY,
        app::paths::DELIVERIES,
        app::paths::REDELIVER,
        app::paths::ACCOUNT,
        app::paths::LOGIN_RESET,
        app::paths::EMAIL_CONFIRM,
    ] {
        assert!(routes.iter().any(|r| r == page), "{page} not in {routes:?}");
    }
    let event_page = format!("{}/{{id}}", app::paths::DELIVERIES);
    assert!(
        routes.contains(&event_page),
        "{event_page} not in {routes:?}"
    );
    assert!(app::paths::has_islands(app::paths::EVENT_URL));
    assert!(app::paths::has_islands(app::paths::ACTIVITY));
    assert!(!app::paths::has_islands(app::paths::LOGIN));
}

/// Bad input to a server function is the client's mistake: 4xx with a
/// readable answer, never 500; signed in or not.
#[tokio::test]
async fn bad_input_to_server_functions_is_a_4xx_never_a_500() {
    let app = spawn_acme().await;
    let alice = Browser::signed_in(&app, "alice").await;
    let anonymous = app.browser();
    let cases: [(&str, Vec<(&str, &str)>); 5] = [
        ("send_test_event_again", vec![("id", "not-a-number")]),
        ("send_test_event_again", vec![]),
        (
            "set_enabled",
            vec![("kind", "nope"), ("enabled", "true"), ("version", "1")],
        ),
        ("set_enabled", vec![("kind", "cdr"), ("enabled", "perhaps")]),
        ("list_activity", vec![("page", "-3")]),
    ];
    for (name, form) in &cases {
        let (status, body) = alice.server_fn(name, form).await;
        assert_eq!(status, StatusCode::BAD_REQUEST, "{name} {form:?}: {body}");
        assert!(
            body.to_string().contains("could not be read"),
            "{name}: {body}"
        );
        let (status, _) = anonymous.server_fn(name, form).await;
        assert!(status.is_client_error(), "anonymous {name}: {status}");
    }
    // A 3 MB body is refused whole, before anything reads it.
    let big = "x".repeat(3 << 20);
    for browser in [&alice, &anonymous] {
        let (status, _) = browser
            .server_fn("save_endpoint", &[("form[url]", big.as_str())])
            .await;
        assert_eq!(status, StatusCode::PAYLOAD_TOO_LARGE);
    }
}
