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
    let app = spawn_app().await;
    app.create_tenant_with_admin("Acme", "alice").await;
    let browser = app.browser();
    let (status, body) = browser.server_fn("load_event_url", &[]).await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    assert_eq!(body, "SignInRequired");
    let (status, _) = browser
        .save_exactly(&[
            ("kind", "cdr"),
            ("auth_method", "disable"),
            ("url", "https://x.example"),
            ("version", "1"),
        ])
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
    ] {
        assert!(routes.iter().any(|r| r == page), "{page} not in {routes:?}");
    }
    assert!(app::paths::has_islands(app::paths::EVENT_URL));
    assert!(app::paths::has_islands(app::paths::ACTIVITY));
    assert!(!app::paths::has_islands(app::paths::LOGIN));
}
