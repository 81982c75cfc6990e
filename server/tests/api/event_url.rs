use crate::helpers::*;
use reqwest::StatusCode;
use serde_json::Value;

const SECRET_PASSWORD: &str = "pw-Zq8vT3-never-shown";
const SECRET_TOKEN: &str = "tok-Xr4k9LmN2-never-shown";

#[tokio::test]
async fn each_auth_method_saves_and_reads_back() {
    let (_app, browser) = acme_with_alice().await;

    type Case<'a> = (&'a str, &'a str, &'a [(&'a str, &'a str)]);
    let cases: [Case; 4] = [
        ("cdr", "disable", &[]),
        (
            "extension",
            "basic",
            &[("username", "pbx-user"), ("password", SECRET_PASSWORD)],
        ),
        (
            "cdr",
            "digest",
            &[("username", "digest:user"), ("password", SECRET_PASSWORD)],
        ),
        ("extension", "bearer", &[("token", SECRET_TOKEN)]),
    ];
    for (kind, method, credentials) in cases {
        let url = format!("https://receiver.example/{kind}/{method}");
        let mut fields = fields(kind, method, &url, &[("enabled", "on")]);
        fields.extend_from_slice(credentials);
        let (status, saved) = browser.save(&fields).await;
        assert_eq!(status, StatusCode::OK, "{method}: {saved}");

        let data = browser.load().await;
        let view = &data[kind];
        assert_eq!(view, &saved, "{method}: what was saved is what loads");
        assert_eq!(view["auth_method"], method);
        assert_eq!(view["url"], url);
        assert_eq!(view["enabled"], true);
        assert_eq!(view["updated_by"], "alice");
        match method {
            "basic" | "digest" => {
                assert_eq!(view["secret"]["kind"], "password");
                assert_eq!(view["username"], credentials[0].1);
            }
            "bearer" => assert_eq!(view["secret"]["kind"], "token"),
            _ => assert_eq!(view["secret"], Value::Null),
        }
    }
}

#[tokio::test]
async fn secrets_never_come_back_and_are_encrypted_at_rest() {
    let (app, browser) = acme_with_alice().await;
    let password = [
        ("username", "pbx"),
        ("password", SECRET_PASSWORD),
        ("enabled", "on"),
    ];
    let cdr_url = "https://receiver.example/cdr";
    let saved = browser
        .save_ok(&fields("cdr", "basic", cdr_url, &password))
        .await;
    let token = [("token", SECRET_TOKEN), ("enabled", "on")];
    let ext_url = "https://receiver.example/ext";
    browser
        .save_ok(&fields("extension", "bearer", ext_url, &token))
        .await;

    let page = browser.text("/company/event-url").await;
    let api = browser.load().await.to_string();
    for body in [saved.to_string(), page.clone(), api] {
        assert!(!body.contains(SECRET_PASSWORD));
        assert!(!body.contains(SECRET_TOKEN));
    }
    assert!(page.contains("A password is set (changed"));
    assert!(page.contains("A token is set (changed"));

    assert!(
        !app.database_holds(SECRET_PASSWORD),
        "password stored in plain text"
    );
    assert!(
        !app.database_holds(SECRET_TOKEN),
        "token stored in plain text"
    );
    assert!(
        app.database_holds("https://receiver.example/cdr"),
        "the search itself works"
    );
}

#[tokio::test]
async fn an_empty_secret_field_keeps_the_stored_secret() {
    let (_app, browser) = acme_with_alice().await;
    let url = "https://receiver.example/cdr";
    let username = [("username", "pbx"), ("enabled", "on")];
    let base = fields("cdr", "digest", url, &username);
    let mut first = base.clone();
    first.push(("password", SECRET_PASSWORD));
    let (_, saved) = browser.save(&first).await;
    let changed_at = saved["secret"]["changed_at"].clone();

    let (status, again) = browser.save(&base).await;
    assert_eq!(status, StatusCode::OK, "{again}");
    assert_eq!(again["secret"]["kind"], "password");
    assert_eq!(again["secret"]["changed_at"], changed_at);
    assert_eq!(again["version"], saved["version"].as_i64().unwrap() + 1);

    // Switching to a method that needs another kind of secret drops it.
    let bearer = browser.save_ok(&fields("cdr", "bearer", url, &[])).await;
    assert_eq!(bearer["secret"], Value::Null);
    assert_eq!(bearer["username"], "");
}

#[tokio::test]
async fn invalid_input_is_refused_per_field_and_nothing_is_written() {
    let (_app, browser) = acme_with_alice().await;
    let before = browser.load().await;
    let url = "https://user:pass@receiver.example/";
    let extra = [("username", "a:b"), ("enabled", "on")];
    let (status, body) = browser.save(&fields("cdr", "basic", url, &extra)).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    let errors = body["Invalid"].as_array().expect("field errors").clone();
    let fields: Vec<&str> = errors.iter().map(|e| e[0].as_str().unwrap()).collect();
    assert!(
        fields.contains(&"url") && fields.contains(&"username") && fields.contains(&"password"),
        "{body}"
    );
    assert!(
        body.to_string()
            .contains("use the Authentication Method instead")
            || body
                .to_string()
                .contains("choose them under Authentication Method")
    );
    assert_eq!(browser.load().await, before, "nothing half-saved");

    // No section of that name: not a form the page could have sent.
    let (status, _) = browser
        .save(&[
            ("kind", "voicemail"),
            ("auth_method", "disable"),
            ("version", "1"),
        ])
        .await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    let (status, _) = browser
        .save(&[("kind", "cdr"), ("auth_method", "ntlm")])
        .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(browser.load().await, before);
}

#[tokio::test]
async fn a_disabled_section_can_be_saved_incomplete() {
    let (_app, browser) = acme_with_alice().await;
    let (status, saved) = browser
        .save(&[("kind", "extension"), ("auth_method", "bearer")])
        .await;
    assert_eq!(status, StatusCode::OK, "{saved}");
    assert_eq!(saved["enabled"], false);
    assert_eq!(saved["auth_method"], "bearer");
}

#[tokio::test]
async fn the_no_javascript_form_saves_and_explains_errors() {
    let (_app, browser) = acme_with_alice().await;
    let url = "http://receiver.example/ext";
    let extra = [("enabled", "on"), ("version", "1")];
    let form = fields("extension", "disable", url, &extra);
    let ok = browser.post_form("/company/event-url", &form).await;
    assert_eq!(ok.status(), StatusCode::SEE_OTHER);
    assert_eq!(
        ok.headers()["location"],
        "/company/event-url?saved=extension#extension"
    );
    let page = browser.text("/company/event-url?saved=extension").await;
    assert!(page.contains("Saved at"));
    assert!(page.contains("HTTPS is strongly recommended"));

    let extra = [
        ("token", "has spaces in it"),
        ("enabled", "on"),
        ("version", "1"),
    ];
    let form = fields("cdr", "bearer", "receiver.example/cdr", &extra);
    let bad = browser.post_form("/company/event-url", &form).await;
    assert_eq!(
        bad.status(),
        StatusCode::OK,
        "the page again, with the messages"
    );
    let html = bad.text().await.unwrap();
    assert!(html.contains("Enter a full URL starting with https://"));
    assert!(html.contains("A bearer token may only contain"));
    assert!(
        html.contains("value=\"receiver.example/cdr\""),
        "typed URL is kept"
    );
    assert!(
        !html.contains("has spaces in it"),
        "typed secrets are not echoed"
    );
    assert!(
        html.contains(r#"<option value="bearer" selected"#),
        "chosen method is kept"
    );
    assert_eq!(
        browser.load().await["cdr"]["version"],
        1,
        "nothing was saved"
    );
}

#[tokio::test]
async fn tenants_never_see_or_change_each_others_endpoints() {
    let (_app, alice, bob) = acme_and("Globex").await;

    alice
        .save_plain("cdr", "https://acme.example/cdr", true)
        .await;
    let alice_before = alice.load().await;

    // Bob saves "cdr", and tries to smuggle in Acme's tenant and endpoint ids.
    let smuggled = [("tenant_id", "1"), ("id", "1")];
    let url = "https://globex.example/cdr";
    bob.save_ok(&fields("cdr", "disable", url, &smuggled)).await;
    let smuggled = [("tenant_id", "1"), ("version", "2")];
    let url = "https://globex.example/x";
    let form = fields("cdr", "disable", url, &smuggled);
    let posted = bob.post_form("/company/event-url", &form).await;
    assert_eq!(posted.status(), StatusCode::SEE_OTHER);

    let bob_data = bob.load().await;
    assert_eq!(bob_data["tenant_name"], "Globex");
    assert_eq!(bob_data["cdr"]["url"], "https://globex.example/x");
    let bob_page = bob.text("/company/event-url").await;
    assert!(!bob_page.contains("acme.example") && !bob_page.contains("Acme"));
    assert_eq!(alice.load().await, alice_before, "Acme is untouched");
}
