use crate::helpers::*;
use reqwest::StatusCode;

#[tokio::test]
async fn signing_in_sets_a_protected_session_cookie_and_follows_next() {
    let app = spawn_app().await;
    app.create_tenant_with_admin("Acme", "alice").await;
    let browser = app.browser();
    let response = browser
        .post_form(
            "/login",
            &[
                ("username", "alice"),
                ("password", PASSWORD),
                ("next", "/company/event-url?x=1"),
            ],
        )
        .await;
    assert_eq!(response.status(), StatusCode::SEE_OTHER);
    assert_eq!(response.headers()["location"], "/company/event-url?x=1");
    let cookie = session_cookie(&response).expect("session cookie");
    assert!(cookie.contains("HttpOnly"), "{cookie}");
    assert!(cookie.contains("SameSite=Lax"), "{cookie}");
    assert!(cookie.contains("Max-Age="), "idle expiry: {cookie}");
    assert!(
        !cookie.contains("Secure"),
        "plain HTTP by default: {cookie}"
    );
    assert_eq!(
        browser.get("/company/event-url").await.status(),
        StatusCode::OK
    );
}

#[tokio::test]
async fn an_offsite_next_is_not_followed() {
    let app = spawn_app().await;
    app.create_tenant_with_admin("Acme", "alice").await;
    let response = app
        .browser()
        .post_form(
            "/login",
            &[
                ("username", "alice"),
                ("password", PASSWORD),
                ("next", "//evil.example/"),
            ],
        )
        .await;
    assert_eq!(response.headers()["location"], "/company/event-url");
}

#[tokio::test]
async fn wrong_password_and_unknown_user_get_the_same_answer() {
    let app = spawn_app().await;
    app.create_tenant_with_admin("Acme", "alice").await;
    let wrong = app.browser().sign_in("alice", "not the password").await;
    let unknown = app.browser().sign_in("nobody", "not the password").await;
    // The form re-renders (200, the message on the page), without a session.
    assert_eq!(wrong.status(), StatusCode::OK);
    assert_eq!(unknown.status(), StatusCode::OK);
    assert!(session_cookie(&wrong).is_none());
    let wrong = wrong.text().await.unwrap();
    let unknown = unknown.text().await.unwrap();
    assert!(wrong.contains("The username or password is not right."));
    assert!(unknown.contains("The username or password is not right."));
    assert!(
        wrong.contains("value=\"alice\""),
        "the typed username is kept"
    );
    assert!(
        wrong.contains(r#"action="/login?next=/company/event-url""#),
        "the retry still goes where the visitor was heading"
    );
}

#[tokio::test]
async fn signing_in_renews_the_session_id() {
    let app = spawn_app().await;
    app.create_tenant_with_admin("Acme", "alice").await;
    let browser = app.browser();
    let first = session_cookie(&browser.sign_in("alice", PASSWORD).await).unwrap();
    let second = session_cookie(&browser.sign_in("alice", PASSWORD).await).unwrap();
    let id = |c: &str| c.split(';').next().unwrap().to_owned();
    assert_ne!(id(&first), id(&second));

    // The old id no longer opens anything.
    let stale = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap()
        .get(app.url("/company/event-url"))
        .header("cookie", id(&first))
        .send()
        .await
        .unwrap();
    assert_eq!(stale.status(), StatusCode::SEE_OTHER);
}

#[tokio::test]
async fn signing_out_ends_the_session_on_the_server() {
    let app = spawn_app().await;
    app.create_tenant_with_admin("Acme", "alice").await;
    let browser = app.browser();
    let cookie = session_cookie(&browser.sign_in("alice", PASSWORD).await).unwrap();
    let out = browser.post_form("/logout", &[]).await;
    assert_eq!(out.status(), StatusCode::SEE_OTHER);
    assert_eq!(out.headers()["location"], "/login?signed_out=1");
    // Replaying the old cookie does not work: the record is gone.
    let replay = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap()
        .post(app.url("/api/load_event_url"))
        .header("cookie", cookie.split(';').next().unwrap())
        .send()
        .await
        .unwrap();
    assert_eq!(replay.status(), StatusCode::UNAUTHORIZED);
}

#[tokio::test]
async fn an_https_public_origin_makes_the_cookie_secure() {
    let dir = tempfile::tempdir().unwrap();
    let mut config = test_config(&dir);
    config.public_origin = Some("https://hooks.example.com".into());
    let app = spawn_with(dir, config).await;
    app.create_tenant_with_admin("Acme", "alice").await;
    let response = app.browser().sign_in("alice", PASSWORD).await;
    let cookie = session_cookie(&response).expect("session cookie");
    assert!(cookie.contains("Secure"), "{cookie}");
}

async fn fail(browser: &Browser, username: &str) -> String {
    let page = browser.sign_in(username, "wrong password, sorry").await;
    assert_eq!(page.status(), StatusCode::OK);
    page.text().await.unwrap()
}

#[tokio::test]
async fn repeated_failures_lock_the_account_for_a_while_even_with_the_right_password() {
    let app = spawn_app().await;
    app.create_tenant_with_admin("Acme", "alice").await;
    app.create_tenant_with_admin("Other", "bob").await;
    let browser = app.browser();
    for _ in 0..5 {
        assert!(fail(&browser, "alice")
            .await
            .contains("The username or password is not right"));
    }
    let page = browser.sign_in("alice", PASSWORD).await;
    assert_eq!(page.status(), StatusCode::OK, "not signed in");
    let text = page.text().await.unwrap();
    assert!(
        text.contains("Too many failed sign-in attempts. Try again in"),
        "{text}"
    );
    let seconds: u64 = text
        .split("Try again in ")
        .nth(1)
        .and_then(|rest| rest.split(' ').next())
        .and_then(|n| n.parse().ok())
        .unwrap();
    assert!((1..=300).contains(&seconds), "{seconds}");
    // Case does not get around it; another account is not affected.
    assert!(fail(&browser, "ALICE").await.contains("Too many failed"));
    assert_eq!(
        browser.sign_in("bob", PASSWORD).await.status(),
        StatusCode::SEE_OTHER
    );
}

#[tokio::test]
async fn a_success_forgives_the_accounts_earlier_failures() {
    let app = spawn_app().await;
    app.create_tenant_with_admin("Acme", "alice").await;
    let browser = app.browser();
    for _ in 0..4 {
        fail(&browser, "alice").await;
    }
    assert_eq!(
        browser.sign_in("alice", PASSWORD).await.status(),
        StatusCode::SEE_OTHER
    );
    for _ in 0..4 {
        assert!(!fail(&app.browser(), "alice").await.contains("Too many"));
    }
}

#[tokio::test]
async fn one_address_trying_many_accounts_is_throttled() {
    let app = spawn_app().await;
    app.create_tenant_with_admin("Acme", "alice").await;
    let browser = app.browser();
    for n in 0..20 {
        let text = fail(&browser, &format!("guess{n}")).await;
        assert!(!text.contains("Too many"), "attempt {n}");
    }
    let page = browser.sign_in("alice", PASSWORD).await;
    assert_eq!(page.status(), StatusCode::OK);
    assert!(page
        .text()
        .await
        .unwrap()
        .contains("Too many failed sign-in attempts"));
}

#[tokio::test]
async fn behind_a_proxy_the_configured_header_names_the_client() {
    let dir = tempfile::tempdir().unwrap();
    let mut config = test_config(&dir);
    config.client_ip_header = Some("X-Forwarded-For".into());
    let app = spawn_with(dir, config).await;
    app.create_tenant_with_admin("Acme", "alice").await;
    let attempt = |client: &'static str, user: String| {
        let browser = app.browser();
        async move {
            browser
                .client
                .post(format!("{}/login", browser.base))
                .header("x-forwarded-for", format!("203.0.113.9, {client}"))
                .form(&[("username", user.as_str()), ("password", "nope")])
                .send()
                .await
                .unwrap()
                .text()
                .await
                .unwrap()
        }
    };
    for n in 0..20 {
        attempt("198.51.100.1", format!("guess{n}")).await;
    }
    assert!(attempt("198.51.100.1", "another".into())
        .await
        .contains("Too many"));
    // Another client behind the same proxy is not affected.
    assert!(!attempt("198.51.100.2", "another".into())
        .await
        .contains("Too many"));
}
