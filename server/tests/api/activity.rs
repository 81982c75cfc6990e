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
    let app = spawn_app().await;
    app.create_tenant_with_admin("Acme", "alice").await;
    // A failed attempt first, then the sign-in.
    let browser = app.browser();
    browser.sign_in("alice", "not the password").await;
    let browser = Browser::signed_in(&app, "alice").await;

    let (status, _) = browser
        .save(&[
            ("kind", "cdr"),
            ("auth_method", "bearer"),
            ("url", "https://receiver.example/one"),
            ("token", TOKEN),
            ("enabled", "on"),
        ])
        .await;
    assert_eq!(status, StatusCode::OK);
    let (status, _) = browser
        .save(&[
            ("kind", "cdr"),
            ("auth_method", "basic"),
            ("url", "https://receiver.example/two"),
            ("username", "pbx"),
            ("password", PASSWORD_SECRET),
        ])
        .await;
    assert_eq!(status, StatusCode::OK);
    browser
        .send_test(
            &[
                ("kind", "extension"),
                ("auth_method", "disable"),
                ("url", "http://10.0.0.1/x"),
            ],
            "extension_call",
        )
        .await;

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
    let app = spawn_app().await;
    app.create_tenant_with_admin("Acme", "alice").await;
    app.create_tenant_with_admin("Other", "bob").await;
    let alice = Browser::signed_in(&app, "alice").await;
    let bob = Browser::signed_in(&app, "bob").await;
    for n in 0..27 {
        let url = format!("https://receiver.example/{n}");
        let kind = if n % 3 == 0 { "extension" } else { "cdr" };
        let (status, _) = alice
            .save(&[("kind", kind), ("auth_method", "disable"), ("url", &url)])
            .await;
        assert_eq!(status, StatusCode::OK);
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
    let html = alice
        .get("/company/activity?page=2&section=&kind=")
        .await
        .text()
        .await
        .unwrap();
    assert!(html.contains("28 entries · page 2 of 2"), "{html}");
    assert!(html.contains("← Newer"));
}

#[tokio::test]
async fn a_save_based_on_an_old_version_is_refused_naming_who_changed_what() {
    let app = spawn_app().await;
    app.create_tenant_with_admin("Acme", "alice").await;
    let alice = Browser::signed_in(&app, "alice").await;
    let (_, saved) = alice
        .save(&[
            ("kind", "cdr"),
            ("auth_method", "disable"),
            ("url", "https://a.example/"),
        ])
        .await;
    let loaded_version = saved["version"].as_i64().unwrap().to_string();

    // A second admin of the tenant (a second session) saves in between.
    let other = Browser::signed_in(&app, "alice").await;
    let (status, _) = other
        .save(&[
            ("kind", "cdr"),
            ("auth_method", "disable"),
            ("url", "https://b.example/"),
            ("enabled", "on"),
            ("version", &loaded_version),
        ])
        .await;
    assert_eq!(status, StatusCode::OK);

    let (status, error) = alice
        .save(&[
            ("kind", "cdr"),
            ("auth_method", "disable"),
            ("url", "https://mine.example/"),
            ("version", &loaded_version),
        ])
        .await;
    assert_eq!(status, StatusCode::CONFLICT, "{error}");
    let message = error["Conflict"].as_str().unwrap();
    assert!(
        message.contains("alice changed URL, Enable at"),
        "{message}"
    );
    // Nothing of the refused save was written.
    assert_eq!(alice.load().await["cdr"]["url"], "https://b.example/");
}

#[tokio::test]
async fn of_two_saves_racing_on_one_version_exactly_one_wins() {
    let app = spawn_app().await;
    app.create_tenant_with_admin("Acme", "alice").await;
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
        let fields_a = [
            ("kind", "cdr"),
            ("auth_method", "disable"),
            ("url", a.as_str()),
            ("version", version.as_str()),
        ];
        let fields_b = [
            ("kind", "cdr"),
            ("auth_method", "disable"),
            ("url", b.as_str()),
            ("version", version.as_str()),
        ];
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
