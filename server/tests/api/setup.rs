use crate::helpers::*;
use reqwest::StatusCode;

#[tokio::test]
async fn an_empty_database_offers_a_setup_link_that_works_once() {
    let app = spawn_app().await;
    let token = app
        .setup_token
        .clone()
        .expect("a fresh database opens setup");
    let browser = app.browser();

    let page = browser.get(&format!("/setup?token={token}")).await;
    assert_eq!(page.status(), StatusCode::OK);
    assert!(page
        .text()
        .await
        .unwrap()
        .contains("Create tenant and sign in"));

    let response = browser
        .post_form(
            "/setup",
            &[
                ("token", &token),
                ("tenant", "Acme"),
                ("username", "alice"),
                ("password", PASSWORD),
            ],
        )
        .await;
    assert_eq!(response.status(), StatusCode::SEE_OTHER);
    assert_eq!(response.headers()["location"], "/company/event-url");
    // The new administrator is signed in.
    let data = browser.load().await;
    assert_eq!(data["tenant_name"], "Acme");
    assert_eq!(data["admin_username"], "alice");
    // Recorded in the new tenant's activity log.
    let (_, log) = browser
        .server_fn(
            "list_activity",
            &[("page", "1"), ("section", ""), ("kind", "setup_completed")],
        )
        .await;
    assert_eq!(log["total"], 1, "{log}");
    assert_eq!(log["entries"][0]["actor"], "alice");
    assert!(log["entries"][0]["summary"]
        .as_str()
        .unwrap()
        .contains("Acme"));

    // The link is dead now, for the form and for the page.
    let again = app
        .browser()
        .post_form(
            "/setup",
            &[
                ("token", &token),
                ("tenant", "Evil"),
                ("username", "mallory"),
                ("password", PASSWORD),
            ],
        )
        .await;
    assert_eq!(again.status(), StatusCode::NOT_FOUND);
    let page = app.browser().get(&format!("/setup?token={token}")).await;
    assert!(page
        .text()
        .await
        .unwrap()
        .contains("This setup link is not valid"));
    assert!(session_cookie(&app.browser().sign_in("mallory", PASSWORD).await).is_none());
}

#[tokio::test]
async fn a_wrong_setup_token_creates_nothing() {
    let app = spawn_app().await;
    let response = app
        .browser()
        .post_form(
            "/setup",
            &[
                ("token", "guessed"),
                ("tenant", "Acme"),
                ("username", "alice"),
                ("password", PASSWORD),
            ],
        )
        .await;
    assert_eq!(response.status(), StatusCode::NOT_FOUND);
    assert!(session_cookie(&app.browser().sign_in("alice", PASSWORD).await).is_none());
}

#[tokio::test]
async fn invalid_setup_input_is_explained_and_keeps_the_link_open() {
    let app = spawn_app().await;
    let token = app.setup_token.clone().unwrap();
    let browser = app.browser();
    let response = browser
        .post_form(
            &format!("/setup?token={token}"),
            &[
                ("token", &token),
                ("tenant", "Acme"),
                ("username", "alice"),
                ("password", "short"),
            ],
        )
        .await;
    assert_eq!(
        response.status(),
        StatusCode::OK,
        "the form again, with the message"
    );
    assert!(session_cookie(&response).is_none());
    let html = response.text().await.unwrap();
    assert!(html.contains("Use a password of 12 to 128 characters."));
    assert!(html.contains("value=\"Acme\""), "typed tenant name is kept");
    let retry = browser
        .post_form(
            &format!("/setup?token={token}"),
            &[
                ("token", &token),
                ("tenant", "Acme"),
                ("username", "alice"),
                ("password", PASSWORD),
            ],
        )
        .await;
    assert_eq!(retry.status(), StatusCode::SEE_OTHER);
}

#[tokio::test]
async fn a_database_with_a_tenant_offers_no_setup_link() {
    let app = spawn_app().await;
    app.create_tenant_with_admin("Acme", "alice").await;
    let restarted = spawn_with(tempfile::tempdir().unwrap(), app.config.clone()).await;
    assert!(restarted.setup_token.is_none());
}
