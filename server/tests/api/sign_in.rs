use crate::helpers::*;
use reqwest::StatusCode;

#[tokio::test]
async fn signing_in_sets_a_protected_session_cookie_and_follows_next() {
    let app = spawn_acme().await;
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
    let app = spawn_acme().await;
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
    let app = spawn_acme().await;
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
    let app = spawn_acme().await;
    let browser = app.browser();
    let first = session_cookie(&browser.sign_in("alice", PASSWORD).await).unwrap();
    let second = session_cookie(&browser.sign_in("alice", PASSWORD).await).unwrap();
    let id = |c: &str| c.split(';').next().unwrap().to_owned();
    assert_ne!(id(&first), id(&second));

    // The old id no longer opens anything.
    let stale = replayed(&app.url("/company/event-url"), &id(&first)).await;
    assert_eq!(stale, StatusCode::SEE_OTHER);
}

#[tokio::test]
async fn signing_out_ends_the_session_on_the_server() {
    let app = spawn_acme().await;
    let browser = app.browser();
    let cookie = session_cookie(&browser.sign_in("alice", PASSWORD).await).unwrap();
    let out = browser.post_form("/logout", &[]).await;
    assert_eq!(out.status(), StatusCode::SEE_OTHER);
    assert_eq!(out.headers()["location"], "/login?signed_out=1");
    // Replaying the old cookie does not work: the record is gone.
    let replay = bare_client()
        .post(app.url("/rpc/load_event_url"))
        .header("cookie", cookie_pair(&cookie))
        .send()
        .await
        .unwrap();
    assert_eq!(replay.status(), StatusCode::UNAUTHORIZED);
}

#[tokio::test]
async fn an_https_public_origin_makes_the_cookie_secure() {
    let app = spawn_configured(|config| {
        config.public_origin = Some("https://hooks.example.com".into());
    })
    .await;
    app.create_tenant_with_admin("Acme", "alice").await;
    // As a browser behind the TLS-terminating proxy posts it.
    let response = app
        .browser()
        .client
        .post(app.url("/login"))
        .header("origin", "https://hooks.example.com")
        .form(&[("username", "alice"), ("password", PASSWORD)])
        .send()
        .await
        .unwrap();
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
    let app = spawn_acme().await;
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
    // Another spelling is another name, which signs nobody in; another
    // account is not affected.
    let page = browser.sign_in("ALICE", PASSWORD).await;
    assert_eq!(page.status(), StatusCode::OK, "ALICE is not alice");
    assert_eq!(
        browser.sign_in("bob", PASSWORD).await.status(),
        StatusCode::SEE_OTHER
    );
}

#[tokio::test]
async fn a_success_forgives_the_accounts_earlier_failures() {
    let app = spawn_acme().await;
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
    let app = spawn_acme().await;
    let browser = app.browser();
    for n in 0..20 {
        let text = fail(&browser, &format!("guess{n}")).await;
        assert!(!text.contains("Too many"), "attempt {n}");
    }
    let page = browser.sign_in("alice", PASSWORD).await;
    assert_page(page, StatusCode::OK, "Too many failed sign-in attempts").await;
}

#[tokio::test]
async fn behind_a_proxy_the_configured_header_names_the_client() {
    let app = spawn_behind_proxy().await;
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

/// 30 wrong passwords at once: each attempt is counted before its password
/// is checked, so at most 5 are checked (answered "not right"); the rest
/// are refused at once, and the account stays locked for the right one.
#[tokio::test]
async fn a_concurrent_burst_gets_no_more_checks_than_the_limit() {
    let app = spawn_acme().await;
    let mut attempts = tokio::task::JoinSet::new();
    for _ in 0..30 {
        let browser = app.browser();
        attempts.spawn(async move { fail(&browser, "alice").await });
    }
    let pages = attempts.join_all().await;
    let mut checked = pages
        .iter()
        .filter(|p| p.contains("The username or password is not right"))
        .count();
    let refused = pages.iter().filter(|p| p.contains("Too many")).count();
    assert!(checked <= 5, "{checked} passwords checked");
    assert_eq!(checked + refused, 30);
    // (A burst may be refused more than it must, never less.) One by one,
    // the rest of the five are checked, then the account is locked.
    while !fail(&app.browser(), "alice").await.contains("Too many") {
        checked += 1;
        assert!(checked <= 5, "{checked} passwords checked");
    }
    assert_eq!(checked, 5);
    let page = app.browser().sign_in("alice", PASSWORD).await;
    assert_eq!(page.status(), StatusCode::OK, "still locked");
}

fn behind_proxy(app: &TestApp, client: &str) -> Browser {
    let browser = app.browser();
    let mut headers = reqwest::header::HeaderMap::new();
    headers.insert("x-forwarded-for", client.parse().unwrap());
    Browser {
        client: reqwest::Client::builder()
            .cookie_store(true)
            .redirect(reqwest::redirect::Policy::none())
            .default_headers(headers)
            .build()
            .unwrap(),
        base: browser.base,
    }
}

async fn spawn_behind_proxy() -> TestApp {
    spawn_configured(|config| config.client_ip_header = Some("X-Forwarded-For".into())).await
}

/// A sign-in as `username` with the right password, from `client`.
async fn right_password_from(app: &TestApp, client: &str, username: &str) -> reqwest::Response {
    behind_proxy(app, client).sign_in(username, PASSWORD).await
}

/// Five wrong passwords for `username` from `client`; the next attempt
/// from there is refused.
async fn lock_out_from(app: &TestApp, client: &str, username: &str) {
    let attacker = behind_proxy(app, client);
    for _ in 0..5 {
        fail(&attacker, username).await;
    }
    let refused = fail(&attacker, username).await;
    assert!(
        refused.contains("Too many"),
        "{username} from {client}: {refused}"
    );
}

/// Strangers who use up an account's attempts do not lock its owner out:
/// from a network the owner has signed in from before, the owner's own
/// attempts are counted apart.
#[tokio::test]
async fn strangers_cannot_lock_an_administrator_out_of_their_usual_network() {
    let app = spawn_behind_proxy().await;
    app.create_tenant_with_admin("Acme", "alice").await;
    let home = "198.51.100.7";
    let at_home = right_password_from(&app, home, "alice").await;
    assert_eq!(at_home.status(), StatusCode::SEE_OTHER);
    lock_out_from(&app, "203.0.113.50", "alice").await;
    // Even the right password, from a network alice never used, waits.
    let page = right_password_from(&app, "192.0.2.99", "alice").await;
    assert_page(page, StatusCode::OK, "Too many").await;
    // From her usual network, alice signs in.
    let at_home = right_password_from(&app, home, "alice").await;
    assert_eq!(at_home.status(), StatusCode::SEE_OTHER);
}

/// The same for a provider operator: their last network keeps its own
/// bucket.
#[tokio::test]
async fn strangers_cannot_lock_an_operator_out_of_their_last_network() {
    let app = spawn_behind_proxy().await;
    let db = server::connect(&app.config).await.unwrap();
    app::accounts::create_operator(&db, "olivia", PASSWORD.to_owned().into())
        .await
        .unwrap();
    let home = "198.51.100.8";
    let signed_in = right_password_from(&app, home, "olivia").await;
    assert_eq!(signed_in.status(), StatusCode::SEE_OTHER);
    assert_eq!(signed_in.headers()["location"], "/provider/tenants");
    lock_out_from(&app, "203.0.113.51", "olivia").await;
    let elsewhere = right_password_from(&app, "192.0.2.98", "olivia").await;
    assert!(elsewhere.text().await.unwrap().contains("Too many"));
    let at_home = right_password_from(&app, home, "olivia").await;
    assert_eq!(at_home.status(), StatusCode::SEE_OTHER);
}

/// One IPv6 client can use any address of its /64: they count as one.
#[tokio::test]
async fn ipv6_clients_are_counted_per_64() {
    let app = spawn_behind_proxy().await;
    app.create_tenant_with_admin("Acme", "alice").await;
    for n in 1..=20 {
        let text = fail(
            &behind_proxy(&app, &format!("2001:db8:5:6::{n:x}")),
            &format!("guess{n}"),
        )
        .await;
        assert!(!text.contains("Too many"), "attempt {n}");
    }
    let same_64 = behind_proxy(&app, "2001:db8:5:6:ffff::1");
    assert!(fail(&same_64, "another").await.contains("Too many"));
    let next_64 = behind_proxy(&app, "2001:db8:5:7::1");
    assert!(!fail(&next_64, "another").await.contains("Too many"));
}

/// Input no account could match is refused at the edge: nothing looked
/// up, counted or logged; a body over the limit is refused whole.
#[tokio::test]
async fn implausible_sign_in_input_is_refused_at_the_edge_and_nothing_is_stored() {
    let app = spawn_acme().await;
    let browser = app.browser();
    let long_name = "n".repeat(65);
    for (username, password) in [
        (long_name.as_str(), "whatever"),
        ("ali\u{0}ce", "whatever"),
        ("alice", &*"p".repeat(1025)),
    ] {
        let page = browser.sign_in(username, password).await;
        assert_page(
            page,
            StatusCode::OK,
            "The username or password is not right",
        )
        .await;
    }
    assert!(!app.database_holds(&long_name));
    assert!(!app.database_holds_in_activity(&long_name).await);
    // None of those counted against alice.
    assert_eq!(
        browser.sign_in("alice", PASSWORD).await.status(),
        StatusCode::SEE_OTHER
    );
    // A megabyte of username never reaches the handler.
    let page = app.browser().sign_in(&"n".repeat(1 << 20), "x").await;
    assert_eq!(page.status(), StatusCode::PAYLOAD_TOO_LARGE);
}

/// Two accounts whose names differ only in case are two accounts: one's
/// successful sign-ins do not forgive the other's failures (which would
/// give an attacker holding one endless guesses at the other).
#[tokio::test]
async fn one_accounts_success_does_not_clear_anothers_failures() {
    let app = spawn_app().await;
    app.create_tenant_with_admin("Acme", "Admin").await;
    // Two names that differ only in case are refused as look-alikes now;
    // a database from before may still hold such a pair.
    app.create_tenant_with_admin("Other", "other-admin").await;
    {
        use sea_orm::{sea_query::Expr, ColumnTrait, EntityTrait, QueryFilter};
        let db = server::connect(&app.config).await.unwrap();
        app::persistence::entities::user::Entity::update_many()
            .col_expr(
                app::persistence::entities::user::Column::Username,
                Expr::value("admin"),
            )
            .filter(app::persistence::entities::user::Column::Username.eq("other-admin"))
            .exec(&db)
            .await
            .unwrap();
    }
    let attacker = app.browser();
    for round in 0..2 {
        for _ in 0..3 {
            let text = fail(&attacker, "admin").await;
            if round == 1 {
                // 3 + the first of these 3 reach 5 failures in all.
                continue;
            }
            assert!(text.contains("not right"), "{text}");
        }
        assert_eq!(
            attacker.sign_in("Admin", PASSWORD).await.status(),
            StatusCode::SEE_OTHER
        );
    }
    assert!(fail(&attacker, "admin").await.contains("Too many"));
}
