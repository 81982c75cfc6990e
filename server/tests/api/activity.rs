//! The activity log: what is recorded, its redaction, the tenant's view of
//! it, and saves refused when someone else saved first.

use crate::helpers::*;
use reqwest::StatusCode;
use serde_json::Value;

const TOKEN: &str = "act-Token-5150-never-logged";
const PASSWORD_SECRET: &str = "act-Pw-8c1f-never-logged";

async fn activity(browser: &Browser, page: u64, section: &str, kind: &str) -> Value {
    let (status, value) = browser
        .server_fn(
            "list_activity",
            &[
                ("page", &page.to_string()),
                ("section", section),
                ("kind", kind),
            ],
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{value}");
    value
}

fn kinds(page: &Value) -> Vec<String> {
    page["entries"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["kind"].as_str().unwrap().to_owned())
        .collect()
}

#[tokio::test]
async fn changes_test_sends_and_sign_ins_are_recorded_without_secrets() {
    let app = spawn_acme().await;
    // A failed attempt first, then the sign-in.
    let browser = app.browser();
    browser.sign_in("alice", "not the password").await;
    let signing_in = app.browser();
    let response = signing_in.sign_in("alice", PASSWORD).await;
    let session_id = session_cookie(&response)
        .unwrap()
        .split(';')
        .next()
        .unwrap()
        .trim_start_matches("eventurl_session=")
        .to_owned();
    let browser = signing_in;

    let token = [("token", TOKEN), ("enabled", "on")];
    let one = "https://receiver.example/one";
    browser.save_ok(&fields("cdr", "bearer", one, &token)).await;
    let password = [("username", "pbx"), ("password", PASSWORD_SECRET)];
    let two = "https://receiver.example/two";
    browser
        .save_ok(&fields("cdr", "basic", two, &password))
        .await;
    let private = fields("extension", "disable", "http://10.0.0.1/x", &[]);
    browser.send_test(&private, "extension_call").await;

    let page = activity(&browser, 1, "", "").await;
    assert_eq!(
        kinds(&page),
        [
            "test_event_sent",
            "endpoint_saved",
            "endpoint_saved",
            "sign_in",
            "sign_in_failed"
        ]
    );
    let entries = page["entries"].as_array().unwrap();
    let second_save = &entries[1];
    assert_eq!(second_save["actor"], "alice");
    assert_eq!(second_save["section"], "cdr");
    assert_eq!(second_save["source_ip"], "127.0.0.1");
    let changes: Vec<(String, String, String)> = second_save["changes"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| {
            (
                c["field"].as_str().unwrap().to_owned(),
                c["old"].as_str().unwrap().to_owned(),
                c["new"].as_str().unwrap().to_owned(),
            )
        })
        .collect();
    assert_eq!(
        changes,
        [
            (
                "Authentication Method".into(),
                "Bearer Authentication".into(),
                "Basic Authentication".into()
            ),
            (
                "URL".into(),
                "https://receiver.example/one".into(),
                "https://receiver.example/two".into()
            ),
            ("Username".into(), "".into(), "pbx".into()),
            ("Enable".into(), "on".into(), "off".into()),
            ("Password".into(), "none".into(), "changed".into()),
        ]
    );
    assert!(entries[0]["summary"]
        .as_str()
        .unwrap()
        .starts_with("extension_call to 10.0.0.1: Not sent"));

    // No secret, hash or session id anywhere in the log.
    let text = page.to_string();
    for secret in [
        TOKEN,
        PASSWORD_SECRET,
        "not the password",
        PASSWORD,
        "$argon2",
        &session_id,
    ] {
        assert!(!text.contains(secret), "{secret} in the activity log");
    }
    assert!(!app.database_holds_in_activity(TOKEN).await);
    assert!(app.database_holds_in_activity("receiver.example/two").await);

    // Sign-out is recorded too.
    browser.post_form("/logout", &[]).await;
    let again = Browser::signed_in(&app, "alice").await;
    assert_eq!(
        kinds(&activity(&again, 1, "", "").await)[..2],
        ["sign_in", "sign_out"]
    );
}

#[tokio::test]
async fn the_log_is_the_tenants_own_paginated_and_filterable() {
    let (_app, alice, bob) = acme_and("Other").await;
    for n in 0..27 {
        let url = format!("https://receiver.example/{n}");
        let kind = if n % 3 == 0 { "extension" } else { "cdr" };
        alice.save_plain(kind, &url, false).await;
    }
    let first = activity(&alice, 1, "", "").await;
    assert_eq!(first["total"], 28); // 27 saves and the sign-in
    assert_eq!(first["pages"], 2);
    assert_eq!(first["entries"].as_array().unwrap().len(), 25);
    let second = activity(&alice, 2, "", "").await;
    assert_eq!(second["entries"].as_array().unwrap().len(), 3);
    let ids = |p: &Value| -> Vec<i64> {
        p["entries"]
            .as_array()
            .unwrap()
            .iter()
            .map(|e| e["id"].as_i64().unwrap())
            .collect()
    };
    let all: Vec<i64> = ids(&first).into_iter().chain(ids(&second)).collect();
    assert!(
        all.windows(2).all(|w| w[0] > w[1]),
        "newest first, no overlap"
    );

    let extension = activity(&alice, 1, "extension", "").await;
    assert_eq!(extension["total"], 9);
    assert!(extension["entries"]
        .as_array()
        .unwrap()
        .iter()
        .all(|e| e["section"] == "extension"));
    let sign_ins = activity(&alice, 1, "", "sign_in").await;
    assert_eq!(sign_ins["total"], 1);

    // Bob sees only his own sign-in.
    let theirs = activity(&bob, 1, "", "").await;
    assert_eq!(theirs["total"], 1);
    assert_eq!(theirs["entries"][0]["actor"], "bob");

    // The page itself, without JavaScript.
    let html = alice.text("/company/activity?page=2&section=&kind=").await;
    assert!(html.contains("28 entries · page 2 of 2"), "{html}");
    assert!(html.contains("← Newer"));
}

#[tokio::test]
async fn a_save_based_on_an_old_version_is_refused_naming_who_changed_what() {
    let (app, alice) = acme_with_alice().await;
    let (_, saved) = alice
        .save(&fields("cdr", "disable", "https://a.example/", &[]))
        .await;
    let loaded_version = saved["version"].as_i64().unwrap().to_string();
    let version = ("version", loaded_version.as_str());

    // A second admin of the tenant (a second session) saves in between.
    let other = Browser::signed_in(&app, "alice").await;
    let b = "https://b.example/";
    other
        .save_ok(&fields("cdr", "disable", b, &[("enabled", "on"), version]))
        .await;

    let mine = "https://mine.example/";
    let (status, error) = alice
        .save(&fields("cdr", "disable", mine, &[version]))
        .await;
    assert_eq!(status, StatusCode::CONFLICT, "{error}");
    let message = error["Conflict"].as_str().unwrap();
    assert!(
        message.contains("alice changed URL, Enable at"),
        "{message}"
    );
    // Nothing of the refused save was written.
    assert_eq!(alice.load().await["cdr"]["url"], "https://b.example/");

    // Without JavaScript the same refusal comes back as the page, with the
    // message, the typed URL kept and a link to reload the saved settings.
    let typed = fields("cdr", "disable", "https://typed.example/", &[version]);
    let page = alice.post_text("/company/event-url", &typed).await;
    assert!(page.contains("alice changed URL, Enable at"), "{page}");
    assert!(page.contains("https://typed.example/"));
    assert!(
        page.contains(r#"href="/company/event-url?reloaded=1#cdr""#),
        "no reload link"
    );
    assert_eq!(alice.load().await["cdr"]["url"], "https://b.example/");
}

#[tokio::test]
async fn of_two_saves_racing_on_one_version_exactly_one_wins() {
    let app = spawn_acme().await;
    let first = Browser::signed_in(&app, "alice").await;
    let second = Browser::signed_in(&app, "alice").await;
    let version = first.load().await["cdr"]["version"]
        .as_i64()
        .unwrap()
        .to_string();
    for round in 0..5 {
        let version = if round == 0 {
            version.clone()
        } else {
            first.load().await["cdr"]["version"]
                .as_i64()
                .unwrap()
                .to_string()
        };
        let a = format!("https://a{round}.example/");
        let b = format!("https://b{round}.example/");
        let version = [("version", version.as_str())];
        let fields_a = fields("cdr", "disable", &a, &version);
        let fields_b = fields("cdr", "disable", &b, &version);
        let (one, two) = tokio::join!(first.save(&fields_a), second.save(&fields_b));
        let statuses = [one.0, two.0];
        assert_eq!(
            statuses.iter().filter(|s| **s == StatusCode::OK).count(),
            1,
            "round {round}: {statuses:?}"
        );
        assert!(statuses.contains(&StatusCode::CONFLICT));
        let winner = if one.0 == StatusCode::OK { &a } else { &b };
        assert_eq!(&first.load().await["cdr"]["url"], winner.as_str());
    }
}

#[tokio::test]
async fn delivery_switches_in_one_step_and_enabling_checks_the_saved_settings() {
    let (_app, browser) = acme_with_alice().await;
    // Saved paused and incomplete: Bearer without a token.
    let url = "https://r.example/";
    let (_, saved) = browser.save(&fields("cdr", "bearer", url, &[])).await;
    let version = saved["version"].as_i64().unwrap().to_string();
    let (status, error) = browser.set_enabled("cdr", true, &version).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{error}");
    let message = error["Refused"].as_str().unwrap();
    assert!(
        message.contains("CDR Events cannot be enabled yet: no token is saved"),
        "{message}"
    );

    let (_, saved) = browser
        .save(&fields("cdr", "bearer", url, &[("token", "tok-1")]))
        .await;
    let version = saved["version"].as_i64().unwrap().to_string();
    let (status, on) = browser.set_enabled("cdr", true, &version).await;
    assert_eq!(status, StatusCode::OK, "{on}");
    assert_eq!(on["enabled"], true);
    assert!(on["enabled_since"].is_string());
    assert_eq!(on["url"], "https://r.example/", "nothing else changed");
    assert_eq!(on["secret"]["kind"], "token");

    // A switch from a stale page is refused like a stale save.
    let (status, _) = browser.set_enabled("cdr", false, &version).await;
    assert_eq!(status, StatusCode::CONFLICT);
    let current = on["version"].as_i64().unwrap().to_string();
    let (status, off) = browser.set_enabled("cdr", false, &current).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(off["enabled"], false);

    let log = activity(&browser, 1, "cdr", "").await;
    assert_eq!(kinds(&log)[..2], ["endpoint_disabled", "endpoint_enabled"]);
    assert!(log["entries"][0]["summary"]
        .as_str()
        .unwrap()
        .contains("delivery to https://r.example/ paused"));
}

#[tokio::test]
async fn the_delivery_switch_works_without_javascript_pausing_after_a_question() {
    let (_app, browser) = acme_with_alice().await;
    let url = "https://r.example/x";
    let (_, saved) = browser
        .save(&fields("extension", "disable", url, &[("enabled", "on")]))
        .await;
    let version = saved["version"].as_i64().unwrap().to_string();
    let fields = [
        ("kind", "extension"),
        ("enabled", "false"),
        ("version", version.as_str()),
    ];
    let page = browser
        .post_form("/company/event-url/switch", &fields)
        .await;
    assert_eq!(page.status(), StatusCode::OK);
    let html = page.text().await.unwrap();
    assert!(
        html.contains("The PBX will stop posting extension events to https://r.example/x"),
        "{html}"
    );
    assert_eq!(
        browser.load().await["extension"]["enabled"],
        true,
        "asked, not done"
    );

    let mut confirmed = fields.to_vec();
    confirmed.push(("confirmed", "yes"));
    let done = browser
        .post_form("/company/event-url/switch", &confirmed)
        .await;
    assert_eq!(done.status(), StatusCode::SEE_OTHER);
    assert_eq!(browser.load().await["extension"]["enabled"], false);
}

#[tokio::test]
async fn generated_secrets_are_strong_and_fresh_and_rotation_is_recorded_with_who() {
    let (app, browser) = acme_with_alice().await;
    let mut tokens = std::collections::HashSet::new();
    for _ in 0..20 {
        let (status, token) = browser
            .server_fn("generate_secret", &[("kind", "token")])
            .await;
        assert_eq!(status, StatusCode::OK);
        let token = token.as_str().unwrap().to_owned();
        assert_eq!(token.len(), 43, "256 bits in unpadded base64url: {token}");
        assert!(token
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_'));
        assert!(tokens.insert(token), "fresh every time");
    }
    let (_, password) = browser
        .server_fn("generate_secret", &[("kind", "password")])
        .await;
    let password = password.as_str().unwrap().to_owned();
    assert_eq!(password.len(), 24);
    assert!(password.chars().all(|c| c.is_ascii_alphanumeric()));
    let (status, _) = app
        .browser()
        .server_fn("generate_secret", &[("kind", "token")])
        .await;
    assert_eq!(
        status,
        StatusCode::UNAUTHORIZED,
        "only for signed-in admins"
    );

    // Saved once, then replaced: a rotation, by alice, never shown back.
    let token = tokens.iter().next().unwrap().clone();
    let other = tokens.iter().nth(1).unwrap().clone();
    for t in [&token, &other] {
        let url = "https://r.example/";
        let view = browser
            .save_ok(&fields("cdr", "bearer", url, &[("token", t)]))
            .await;
        assert_eq!(view["secret"]["changed_by"], "alice");
        assert_eq!(view["secret"]["age_days"], 0);
    }
    let log = activity(&browser, 1, "cdr", "credential_rotated").await;
    assert_eq!(log["total"], 1);
    assert_eq!(log["entries"][0]["summary"], "Bearer Token replaced");
    let everything =
        browser.load().await.to_string() + &activity(&browser, 1, "", "").await.to_string();
    assert!(!everything.contains(&token) && !everything.contains(&other));
}

#[tokio::test]
async fn a_secret_older_than_90_days_is_flagged_for_rotation() {
    use sea_orm::{sea_query::Expr, EntityTrait};
    // Its age is changed by SQL behind the app's back.
    let (app, browser) = acme_with_alice().await;
    let token = [("token", "old-token")];
    browser
        .save_ok(&fields("cdr", "bearer", "https://r.example/", &token))
        .await;
    let page = browser.text("/company/event-url").await;
    assert!(!page.contains("days old: rotate it"));

    // Pretend it was set 120 days ago.
    let db = server::connect(&app.config).await.unwrap();
    let long_ago = time::OffsetDateTime::now_utc() - time::Duration::days(120);
    app::persistence::entities::endpoint::Entity::update_many()
        .col_expr(
            app::persistence::entities::endpoint::Column::SecretChangedAt,
            Expr::value(long_ago),
        )
        .exec(&db)
        .await
        .unwrap();
    assert_eq!(browser.load().await["cdr"]["secret"]["age_days"], 120);
    let page = browser.text("/company/event-url").await;
    assert!(
        page.contains("This token is 120 days old: rotate it"),
        "flag shown"
    );
    assert!(page.contains("How to rotate the token without losing events"));
}
