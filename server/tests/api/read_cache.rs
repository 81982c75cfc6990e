//! The read cache (`EVENTURL_READ_CACHE_MS`): a signed-in page reads its
//! session, administrator and settings from memory while they are fresh.
//! What changes through this instance shows on its next request; what
//! changes behind its back (SQL, another instance, the CLI) shows once the
//! lifetime has passed; a lifetime of 0 reads the database every time.

use crate::helpers::*;
use reqwest::StatusCode;
use sea_orm::{sea_query::Expr, ColumnTrait, EntityTrait, QueryFilter};
use std::time::{Duration, Instant};

async fn spawn_caching_for(ms: u64) -> TestApp {
    let dir = tempfile::tempdir().unwrap();
    let mut config = test_config(&dir);
    config.read_cache_ms = ms;
    spawn_with(dir, config).await
}

/// Sets the CDR URL in the database directly, as an operator's SQL would.
async fn set_url_by_hand(app: &TestApp, url: &str) {
    use app::persistence::entities::endpoint;
    let db = server::connect(&app.config).await.unwrap();
    let changed = endpoint::Entity::update_many()
        .col_expr(endpoint::Column::Url, Expr::value(url))
        .filter(endpoint::Column::Kind.eq("cdr"))
        .exec(&db)
        .await
        .unwrap();
    assert_eq!(changed.rows_affected, 1);
}

async fn cdr_url(browser: &Browser) -> String {
    browser.load().await["cdr"]["url"]
        .as_str()
        .unwrap()
        .to_owned()
}

async fn save_url(browser: &Browser, url: &str) {
    let (status, saved) = browser
        .save(&[("kind", "cdr"), ("auth_method", "disable"), ("url", url)])
        .await;
    assert_eq!(status, StatusCode::OK, "{saved}");
}

#[tokio::test]
async fn saves_through_the_app_show_at_once_while_the_page_is_read_from_memory() {
    let app = spawn_caching_for(60_000).await;
    app.create_tenant_with_admin("Acme", "alice").await;
    let alice = Browser::signed_in(&app, "alice").await;
    save_url(&alice, "https://one.example/").await;
    assert_eq!(cdr_url(&alice).await, "https://one.example/");

    // Behind the app's back: this instance still serves what it read.
    set_url_by_hand(&app, "https://by-hand.example/").await;
    assert_eq!(cdr_url(&alice).await, "https://one.example/");

    // Through the app: shown on the very next request, also to another
    // administrator of the tenant and on the server-rendered page.
    save_url(&alice, "https://two.example/").await;
    assert_eq!(cdr_url(&alice).await, "https://two.example/");
    let page = alice.get("/company/event-url").await.text().await.unwrap();
    assert!(page.contains("https://two.example/"));
}

#[tokio::test]
async fn a_change_behind_the_apps_back_shows_once_the_lifetime_has_passed() {
    let app = spawn_caching_for(300).await;
    app.create_tenant_with_admin("Acme", "alice").await;
    let alice = Browser::signed_in(&app, "alice").await;
    save_url(&alice, "https://one.example/").await;
    assert_eq!(cdr_url(&alice).await, "https://one.example/");

    set_url_by_hand(&app, "https://by-hand.example/").await;
    let changed = Instant::now();
    while cdr_url(&alice).await != "https://by-hand.example/" {
        assert!(
            changed.elapsed() < Duration::from_secs(3),
            "the change by hand never showed"
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

#[tokio::test]
async fn with_a_lifetime_of_zero_every_request_reads_the_database() {
    let app = spawn_caching_for(0).await;
    app.create_tenant_with_admin("Acme", "alice").await;
    let alice = Browser::signed_in(&app, "alice").await;
    save_url(&alice, "https://one.example/").await;
    assert_eq!(cdr_url(&alice).await, "https://one.example/");
    set_url_by_hand(&app, "https://by-hand.example/").await;
    assert_eq!(cdr_url(&alice).await, "https://by-hand.example/");
}

#[tokio::test]
async fn a_session_deleted_behind_the_apps_back_ends_within_the_lifetime() {
    let app = spawn_caching_for(300).await;
    app.create_tenant_with_admin("Acme", "alice").await;
    let alice = Browser::signed_in(&app, "alice").await;
    assert_eq!(
        alice.get("/company/event-url").await.status(),
        StatusCode::OK
    );
    let db = server::connect(&app.config).await.unwrap();
    app::persistence::entities::session::Entity::delete_many()
        .exec(&db)
        .await
        .unwrap();
    let deleted = Instant::now();
    loop {
        let status = alice.get("/company/event-url").await.status();
        if status == StatusCode::SEE_OTHER {
            break;
        }
        assert_eq!(status, StatusCode::OK);
        assert!(
            deleted.elapsed() < Duration::from_secs(3),
            "the deleted session still works"
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

/// The page's nonce (from its policy) and its body with that nonce blanked.
async fn page_and_nonce(browser: &Browser) -> (String, String) {
    let response = browser.get("/company/event-url").await;
    assert_eq!(response.status(), StatusCode::OK);
    let csp = response.headers()["content-security-policy"]
        .to_str()
        .unwrap()
        .to_owned();
    let html = response.text().await.unwrap();
    let nonce = csp_nonce(&csp);
    assert!(
        html.contains(&format!("<script type=\"module\" nonce=\"{nonce}\"")),
        "the scripts carry the policy's nonce"
    );
    (html.replace(&nonce, "NONCE"), nonce)
}

#[tokio::test]
async fn a_kept_page_gets_a_new_nonce_each_time_and_goes_with_its_settings() {
    let app = spawn_caching_for(60_000).await;
    app.create_tenant_with_admin("Acme", "alice").await;
    let alice = Browser::signed_in(&app, "alice").await;
    save_url(&alice, "https://one.example/").await;

    // Rendered, then kept, then served kept: the same page, new nonces.
    let mut nonces = std::collections::HashSet::new();
    let (first, nonce) = page_and_nonce(&alice).await;
    nonces.insert(nonce);
    for _ in 0..3 {
        let (page, nonce) = page_and_nonce(&alice).await;
        assert_eq!(page, first);
        assert!(nonces.insert(nonce), "a nonce served twice");
    }
    assert!(first.contains("https://one.example/"));

    // A save drops the kept page with the settings.
    save_url(&alice, "https://two.example/").await;
    for _ in 0..3 {
        let (page, _) = page_and_nonce(&alice).await;
        assert!(page.contains("https://two.example/"));
        assert!(!page.contains("https://one.example/"));
    }
}

#[tokio::test]
async fn each_administrator_gets_the_page_rendered_for_them() {
    let app = spawn_caching_for(60_000).await;
    app.create_tenant_with_admin("Acme", "alice").await;
    let db = server::connect(&app.config).await.unwrap();
    app::accounts::create_admin(
        &db,
        "Acme",
        app::accounts::NewAdmin {
            username: "bob".into(),
            password: PASSWORD.to_owned().into(),
        },
    )
    .await
    .unwrap();
    let alice = Browser::signed_in(&app, "alice").await;
    let bob = Browser::signed_in(&app, "bob").await;
    for _ in 0..3 {
        let (page, _) = page_and_nonce(&alice).await;
        assert!(page.contains(">alice<"), "alice's name in her page");
        let (page, _) = page_and_nonce(&bob).await;
        assert!(page.contains(">bob<") && !page.contains(">alice<"));
    }
}
