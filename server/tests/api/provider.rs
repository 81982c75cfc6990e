//! The provider's console: operators (made by the CLI) sign in at /login,
//! see every tenant and nothing inside one, create a tenant with its first
//! administrator's invitation, suspend it (its people signed out at once
//! and refused, its API tokens refused, its CDR events held) and
//! reactivate it (the held events delivered); all in both activity logs.

use crate::{helpers::*, pbx::*, rest::*};
use reqwest::StatusCode;
use std::io::Write;

/// `eventurl provider-admin create` run by the real binary, as the
/// provider would: its output.
pub fn run_create_operator(app: &TestApp, username: &str) -> std::process::Output {
    let mut child = crate::cli::binary(app._dir.path())
        .env(
            "DATABASE_URL",
            app.config.database_url.clone().unwrap_or_default(),
        )
        .args(["provider-admin", "create", "--username", username])
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    writeln!(child.stdin.take().unwrap(), "{PASSWORD}").unwrap();
    child.wait_with_output().unwrap()
}

/// An operator made by the real binary, as the provider would.
pub fn create_operator(app: &TestApp, username: &str) {
    let out = run_create_operator(app, username);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
}

pub async fn operator(app: &TestApp, username: &str) -> Browser {
    create_operator(app, username);
    let browser = app.browser();
    let response = browser.sign_in(username, PASSWORD).await;
    assert_eq!(response.status(), StatusCode::SEE_OTHER);
    assert_eq!(response.headers()["location"], "/provider/tenants");
    browser
}

async fn text(response: reqwest::Response) -> String {
    response.text().await.unwrap()
}

#[tokio::test]
async fn operators_see_every_tenant_create_one_and_never_enter_one() {
    let app = spawn_acme().await;
    let olivia = operator(&app, "olivia").await;
    // A member's name is taken for operators, and the other way round.
    let out = run_create_operator(&app, "alice");
    assert!(!out.status.success());
    let said = String::from_utf8_lossy(&out.stderr);
    assert!(said.contains("is taken"), "{said}");
    let db = server::connect(&app.config).await.unwrap();
    let member_named_olivia = app::accounts::create_admin(
        &db,
        "Acme",
        app::accounts::NewAdmin {
            username: "olivia".into(),
            password: PASSWORD.to_owned().into(),
            role: app::domain::Role::Viewer,
        },
    )
    .await;
    assert!(matches!(
        member_named_olivia,
        Err(app::accounts::AccountError::UsernameTaken(_))
    ));

    let page = olivia.text("/provider/tenants").await;
    assert!(page.contains("Acme"), "{page}");
    assert!(page.contains("Not set up"), "{page}");
    assert!(page.contains("alice"), "{page}");
    assert!(page.contains("Suspend Acme"), "{page}");
    // No tenant's page, form or call.
    let elsewhere = olivia.get("/company/event-url").await;
    assert_eq!(elsewhere.status(), StatusCode::SEE_OTHER);
    assert_eq!(elsewhere.headers()["location"], "/provider/tenants");
    let post = olivia
        .post_form("/company/event-url", &[("kind", "cdr")])
        .await;
    assert_eq!(post.status(), StatusCode::FORBIDDEN);
    let (status, _) = olivia.server_fn("load_event_url", &[]).await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    // And no member opens the console.
    let alice = Browser::signed_in(&app, "alice").await;
    assert_eq!(
        alice.get("/provider/tenants").await.status(),
        StatusCode::FORBIDDEN
    );
    let (status, _) = alice.server_fn("list_tenants", &[]).await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);

    // A new tenant with a one-time link for its first administrator.
    let taken = olivia
        .post_form("/provider/tenants", &[("name", "Acme")])
        .await;
    assert!(text(taken).await.contains("already exists"));
    let created = olivia
        .post_text("/provider/tenants", &[("name", "Globex")])
        .await;
    assert!(created.contains("Globex created"), "{created}");
    let start = created.find("/invitation?token=euinv_").unwrap();
    let path: String = created[start..].chars().take_while(|c| *c != '"').collect();
    let hank = app.browser();
    let joined = hank
        .post_form(&path, &[("username", "hank"), ("password", PASSWORD)])
        .await;
    assert_eq!(joined.status(), StatusCode::SEE_OTHER);
    let members = hank.text("/company/administrators").await;
    assert!(members.contains("Globex"), "{members}");
    assert!(members.contains("Invite someone"), "an administrator");

    let logged = ["Tenant created", "Signed in", "Globex"];
    olivia.page_holding("/provider/activity", &logged).await;
    assert!(
        app.database_holds_in_activity("created the company and invited its first administrator")
            .await
    );
    // Signing out is logged too, and ends the console.
    let out = olivia.post_form("/logout", &[]).await;
    assert_eq!(out.status(), StatusCode::SEE_OTHER);
    assert_eq!(
        olivia.get("/provider/tenants").await.status(),
        StatusCode::SEE_OTHER
    );
}

#[tokio::test]
async fn a_suspended_tenant_is_signed_out_refused_and_its_cdr_events_held_until_reactivated() {
    let app = spawn_delivering("100ms").await;
    let (tenant, alice, receiver) = acme_delivering_beside(&app, &[("Other", "otto")]).await;
    let otto = Browser::signed_in(&app, "otto").await;
    alice.save_plain("cdr", &receiver.url("/ok"), true).await;
    let api = Api::with_token(&app, "Acme", "ci", "read", None);
    assert_eq!(api.get("/api/v1/event-url").await.0, StatusCode::OK);
    let pbx = Pbx::new(&app).await;
    let invited = alice
        .post_text("/company/administrators/invite", &[("role", "viewer")])
        .await;
    let start = invited.find("/invitation?token=euinv_").unwrap();
    let invitation: String = invited[start..].chars().take_while(|c| *c != '"').collect();

    let olivia = operator(&app, "olivia").await;
    let page = olivia.text("/provider/tenants").await;
    let acme = [("id", tenant.as_str())];
    let suspended = olivia.post_form("/provider/tenants/suspend", &acme).await;
    assert_eq!(suspended.status(), StatusCode::SEE_OTHER);
    assert!(page.contains("Delivering"), "{page}");

    // Alice's open session is gone at once; signing in is refused, saying why.
    let after = alice.get("/company/event-url").await;
    assert_eq!(after.status(), StatusCode::SEE_OTHER);
    let refused = text(app.browser().sign_in("alice", PASSWORD).await).await;
    assert!(
        refused.contains("access to eventurl is suspended"),
        "{refused}"
    );
    assert_eq!(
        api.get("/api/v1/event-url").await.0,
        StatusCode::UNAUTHORIZED
    );
    // Nobody joins it meanwhile.
    let join = app
        .browser()
        .post_form(&invitation, &[("username", "vic"), ("password", PASSWORD)])
        .await;
    assert!(text(join).await.contains("suspended"));
    // Another company is untouched.
    assert_eq!(
        otto.get("/company/event-url").await.status(),
        StatusCode::OK
    );
    // Its CDR events are accepted and held, not delivered.
    let (status, _) = pbx.send(&tenant, &cdr("held-1")).await;
    assert_eq!(status, StatusCode::ACCEPTED);
    tokio::time::sleep(std::time::Duration::from_millis(500)).await;
    assert_eq!(events(&app).await[0].state, "held");
    assert!(receiver.seen().is_empty());
    let held = kept_counts_match(&app).await;
    assert_eq!(held.iter().map(|c| c.2).sum::<i64>(), 1, "{held:?}");
    let page = olivia.text("/provider/tenants").await;
    assert!(page.contains("Held (suspended)"), "{page}");
    assert!(page.contains("Reactivate Acme"), "{page}");
    assert!(!page.contains("Suspend Acme"), "{page}");
    // Twice is refused plainly.
    let again = olivia.post_form("/provider/tenants/suspend", &acme).await;
    assert_eq!(again.status(), StatusCode::NOT_FOUND);

    let reactivated = olivia
        .post_form("/provider/tenants/reactivate", &acme)
        .await;
    assert_eq!(reactivated.status(), StatusCode::SEE_OTHER);
    wait_for("the held event delivered", async || {
        receiver.seen().len() == 1
    })
    .await;
    assert!(receiver.seen()[0].body.contains("held-1"));
    let alice = Browser::signed_in(&app, "alice").await;
    assert_eq!(api.get("/api/v1/event-url").await.0, StatusCode::OK);
    let activity = alice.text("/company/activity").await;
    assert!(activity.contains("suspended the company"), "{activity}");
    assert!(activity.contains("reactivated the company"), "{activity}");
    let log = olivia.text("/provider/activity").await;
    assert!(log.contains("Tenant suspended") && log.contains("Tenant reactivated"));
}
