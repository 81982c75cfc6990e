//! Every page shows the truth at once, on every instance: nothing a
//! request shows (its session, its administrator, the settings) comes
//! from a copy in memory. Two instances on one database (SQLite file or
//! PostgreSQL), as behind a load balancer.

use crate::helpers::*;
use reqwest::StatusCode;
use sea_orm::{sea_query::Expr, ColumnTrait, EntityTrait, QueryFilter};

/// The hidden version field of a section's Save form on the page.
fn form_version(page: &str, kind: &str) -> String {
    let form = page
        .split(&format!(r#"name="kind" value="{kind}""#))
        .nth(1)
        .expect("the section's form");
    form.split(r#"name="version" value=""#)
        .nth(1)
        .and_then(|rest| rest.split('"').next())
        .expect("a version field")
        .to_owned()
}

#[tokio::test]
async fn a_save_through_one_instance_shows_on_another_at_once() {
    let app = spawn_acme().await;
    let on_a = Browser::signed_in(&app, "alice").await;
    let on_b = on_a.on(another_instance(&app).await);
    // B has shown the tab before the save.
    let before = on_b.text("/company/event-url").await;
    assert_eq!(form_version(&before, "cdr"), "1");

    let url = "https://first.example/cdr";
    let first = fields("cdr", "disable", url, &[("version", "1")]);
    let saved = on_a.post_form("/company/event-url", &first).await;
    assert_eq!(saved.status(), StatusCode::SEE_OTHER);

    // The redirect's GET lands on B: "Saved" over the new values and version.
    let page = on_b.text("/company/event-url?saved=cdr").await;
    assert!(page.contains("Saved at"), "saved notice");
    assert!(page.contains("https://first.example/cdr"), "the new URL");
    assert_eq!(form_version(&page, "cdr"), "2");

    // The admin's next save, through B, is not refused as a conflict.
    let url = "https://second.example/cdr";
    let second = fields("cdr", "disable", url, &[("version", "2")]);
    let next = on_b.post_form("/company/event-url", &second).await;
    assert_eq!(next.status(), StatusCode::SEE_OTHER, "no conflict");
    assert_eq!(
        on_a.load().await["cdr"]["url"],
        "https://second.example/cdr"
    );
}

#[tokio::test]
async fn signing_out_on_one_instance_ends_the_session_on_every_instance_at_once() {
    let app = spawn_acme().await;
    let on_a = Browser::signed_in(&app, "alice").await;
    let b = another_instance(&app).await;
    let on_b = on_a.on(b);
    assert_eq!(
        on_b.get("/company/event-url").await.status(),
        StatusCode::OK
    );
    let cookie = cookie_pair(
        &session_cookie(&on_a.sign_in("alice", PASSWORD).await).expect("a session cookie"),
    );
    // Both instances have just served this session.
    let replay = async |base: String| replayed(&format!("{base}/company/event-url"), &cookie).await;
    assert_eq!(replay(on_a.base.clone()).await, StatusCode::OK);
    assert_eq!(replay(on_b.base.clone()).await, StatusCode::OK);

    let out = on_b.post_form("/logout", &[]).await;
    assert_eq!(out.status(), StatusCode::SEE_OTHER);
    // The old cookie, replayed on A as a thief would, right away.
    assert_eq!(replay(on_a.base.clone()).await, StatusCode::SEE_OTHER);
    assert_eq!(replay(on_b.base.clone()).await, StatusCode::SEE_OTHER);
}

#[tokio::test]
async fn a_renamed_tenant_or_removed_administrator_is_seen_on_the_next_request() {
    use app::persistence::entities::{tenant, user};
    let (app, browser) = acme_with_alice().await;
    assert_eq!(browser.load().await["tenant_name"], "Acme");
    let db = server::connect(&app.config).await.unwrap();

    // Changed behind the app's back (SQL, another tool): shown at once.
    tenant::Entity::update_many()
        .col_expr(tenant::Column::Name, Expr::value("Acme Corp"))
        .filter(tenant::Column::Name.eq("Acme"))
        .exec(&db)
        .await
        .unwrap();
    assert_eq!(browser.load().await["tenant_name"], "Acme Corp");
    let page = browser.text("/company/event-url").await;
    assert!(page.contains("Acme Corp"));

    // The administrator removed: the very next page and call are refused.
    user::Entity::delete_many()
        .filter(user::Column::Username.eq("alice"))
        .exec(&db)
        .await
        .unwrap();
    let page = browser.get("/company/event-url").await;
    assert_eq!(page.status(), StatusCode::SEE_OTHER);
    assert!(page.headers()["location"]
        .to_str()
        .unwrap()
        .starts_with("/login"));
    let (status, _) = browser.server_fn("load_event_url", &[]).await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
}
