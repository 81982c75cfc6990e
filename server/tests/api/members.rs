//! People of a tenant: roles enforced on every write (server functions,
//! form posts, the REST API), the Administrators tab, invitations (once,
//! 72 hours, revocable), role changes that hold at once, removals that end
//! sessions at once, and the last administrator kept.

use app::domain::Role;
use reqwest::{header, Method, StatusCode};

use crate::{
    helpers::{
        acme_with_viewer, assert_page, fields, private_body, spawn_acme, Browser, TestApp, PASSWORD,
    },
    rest::{cli_token, is_problem, Api},
};

const ROLE: &str = "/company/administrators/role";
const INVITE: &str = "/company/administrators/invite";

fn invitation_in(page: &str) -> Option<String> {
    let at = page.find("/invitation?token=euinv_")?;
    let link: String = page[at..]
        .chars()
        .take_while(|c| c.is_ascii_alphanumeric() || "/?=_-".contains(*c))
        .collect();
    Some(link)
}

/// The database id of `username`.
async fn member_id(app: &TestApp, username: &str) -> i32 {
    use sea_orm::{ColumnTrait, EntityTrait, QueryFilter};
    let db = server::connect(&app.config).await.unwrap();
    app::persistence::entities::user::Entity::find()
        .filter(app::persistence::entities::user::Column::Username.eq(username))
        .one(&db)
        .await
        .unwrap()
        .expect("the member exists")
        .id
}

/// Every route that changes something, as a browser (no JavaScript, and
/// the page's server functions) would call it.
async fn every_browser_write(browser: &Browser) -> Vec<(String, StatusCode, String)> {
    let mut answers = Vec::new();
    let save = [
        ("form[kind]", "cdr"),
        ("form[auth_method]", "disable"),
        ("form[url]", "https://example.com/cdr"),
        ("form[username]", ""),
        ("form[password]", ""),
        ("form[token]", ""),
        ("form[version]", "1"),
    ];
    let mut test = save.to_vec();
    test.push(("sample_event", "call_end"));
    for (name, form) in [
        ("save_endpoint", save.to_vec()),
        (
            "set_enabled",
            vec![("kind", "cdr"), ("enabled", "true"), ("version", "1")],
        ),
        ("generate_secret", vec![("kind", "token")]),
        ("send_test_event", test),
        ("send_test_event_again", vec![("id", "1")]),
    ] {
        let (status, body) = browser.server_fn(name, &form).await;
        answers.push((format!("rpc {name}"), status, body.to_string()));
    }
    let plain = [
        "kind=cdr",
        "auth_method=disable",
        "url=https://example.com/cdr",
        "version=1",
    ];
    for (path, form) in [
        ("/company/event-url", plain.to_vec()),
        (
            "/company/event-url/switch",
            vec!["kind=cdr", "enabled=true", "version=1"],
        ),
        ("/company/event-url/test-event", plain.to_vec()),
        ("/company/event-url/discard-held", vec!["kind=cdr"]),
        ("/company/redeliver", vec!["id=1"]),
        (
            "/company/api-tokens",
            vec!["name=ci", "scope=write", "expiry=90"],
        ),
        ("/company/api-tokens/revoke", vec!["id=1"]),
        ("/company/administrators/invite", vec!["role=administrator"]),
        ("/company/administrators/revoke-invitation", vec!["id=1"]),
        ("/company/administrators/role", vec!["id=1", "role=viewer"]),
        ("/company/administrators/remove", vec!["id=1"]),
        ("/company/administrators/two-factor", vec!["required=on"]),
    ] {
        let form: Vec<(&str, &str)> = form
            .iter()
            .map(|pair| pair.split_once('=').unwrap())
            .collect();
        let response = browser.post_form(path, &form).await;
        let status = response.status();
        answers.push((path.to_owned(), status, response.text().await.unwrap()));
    }
    answers
}

#[tokio::test]
async fn a_viewer_sees_everything_and_every_write_is_refused_403_until_made_administrator() {
    let app = acme_with_viewer().await;
    let alice = Browser::signed_in(&app, "alice").await;
    let victor = Browser::signed_in(&app, "victor").await;
    let viewers_token = cli_token(&app, "Acme", "viewer-ci", "write", Some("victor"));

    // Reads: every tab, with no control a viewer cannot use.
    for (path, has, lacks) in [
        (
            "/company/event-url",
            "Your role is Viewer",
            "action=\"/company/event-url\"",
        ),
        (
            "/company/deliveries",
            "Deliveries",
            "Redeliver the given-up",
        ),
        (
            "/company/activity",
            "Activity",
            "<form method=\"post\" action=\"/company/",
        ),
        (
            "/company/api-tokens",
            "an administrator creates and revokes tokens",
            "Create a token",
        ),
        (
            "/company/administrators",
            "Your role is Viewer",
            "Invite someone",
        ),
    ] {
        let page = victor.private_page(path).await;
        assert!(page.contains(has), "{path} lacks {has:?}");
        assert!(!page.contains(lacks), "{path} offers {lacks:?}");
    }
    assert_eq!(victor.load().await["cdr"]["version"], 1);

    // Every write, by every route: 403 with the reason.
    let answers = every_browser_write(&victor).await;
    assert_eq!(answers.len(), 17);
    for (route, status, body) in &answers {
        assert_eq!(*status, StatusCode::FORBIDDEN, "{route}: {body}");
        assert!(body.contains("Your role is Viewer"), "{route}: {body}");
    }
    let api = Api::new(&app, Some(&viewers_token));
    let (status, _, _) = api.get("/api/v1/event-url").await;
    assert_eq!(status, StatusCode::OK, "a viewer's token reads");
    let put = r#"{"auth":"DISABLE","url":"https://example.com/x","enabled":false}"#;
    for (method, path, body) in [
        (Method::PUT, "/api/v1/event-url/cdr", Some(put)),
        (Method::POST, "/api/v1/event-url/cdr/pause", None),
        (Method::POST, "/api/v1/event-url/cdr/enable", None),
        (Method::POST, "/api/v1/event-url/cdr/test-event", None),
        (Method::POST, "/api/v1/deliveries/1/redeliver", None),
        (
            Method::POST,
            "/api/tenant",
            Some(r#"{"cdr_event":{"url":"https://example.com/y"}}"#),
        ),
    ] {
        let (status, headers, problem) = api.call(method, path, body, Some("\"1\"")).await;
        assert_eq!(status, StatusCode::FORBIDDEN, "{path}: {problem}");
        assert!(is_problem(&headers), "{path}");
        assert!(
            problem["detail"].as_str().unwrap().contains("Viewer"),
            "{path}: {problem}"
        );
    }
    // Nothing was written.
    let loaded = alice.load().await;
    assert_eq!(loaded["cdr"]["version"], 1);
    assert_eq!(loaded["cdr"]["url"], "");

    // Made an administrator: the same session and token write at once.
    let victor_id = member_id(&app, "victor").await.to_string();
    let changed = alice
        .post_form(ROLE, &[("id", &victor_id), ("role", "administrator")])
        .await;
    assert_eq!(changed.status(), StatusCode::SEE_OTHER);
    let (status, body) = victor
        .save(&fields("cdr", "disable", "https://example.com/cdr", &[]))
        .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    let (status, _, problem) = api.post("/api/v1/event-url/cdr/enable", None).await;
    assert_eq!(status, StatusCode::OK, "{problem}");
    // And back to viewer: refused again from the next request on.
    alice
        .post_form(ROLE, &[("id", &victor_id), ("role", "viewer")])
        .await;
    let (status, _) = victor.set_enabled("cdr", false, "3").await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    let activity = alice.text("/company/activity").await;
    assert!(
        activity.contains("changed victor&#x27;s role from Viewer to Administrator")
            || activity.contains("changed victor's role from Viewer to Administrator"),
        "{activity}"
    );
}

#[tokio::test]
async fn an_invitation_link_works_once_within_72_hours_and_can_be_revoked() {
    let app = spawn_acme().await;
    app.create_tenant_with_admin("Other", "bob").await;
    let alice = Browser::signed_in(&app, "alice").await;

    let tab = alice.text("/company/administrators").await;
    assert!(tab.contains("alice (you)"), "{tab}");
    assert!(tab.contains("No open invitations."), "{tab}");
    assert!(
        !tab.contains(">bob<"),
        "another tenant's member is not listed"
    );

    let created = alice.post_form(INVITE, &[("role", "viewer")]).await;
    let created = private_body(created, "the new invitation").await;
    let link = invitation_in(&created).expect("the link is shown");
    let token = link.split_once("token=").unwrap().1.to_owned();
    assert!(!app.database_holds(&token), "only its hash is stored");
    let listed = alice.text("/company/administrators").await;
    assert!(invitation_in(&listed).is_none(), "shown only once");
    assert!(listed.contains("Open invitations"), "{listed}");

    // The invitee's page: public, says who invited them to what.
    let invitee = app.browser();
    let page = invitee.get(&link).await;
    let page = assert_page(page, StatusCode::OK, "alice invited you to Acme as Viewer").await;
    assert!(
        !page.contains(".wasm") && !page.contains(r#"type="module""#),
        "the page loads no wasm"
    );

    // A weak password is refused with the reason; what was typed is kept.
    let weak = invitee
        .post_form(&link, &[("username", "vera"), ("password", "password1234")])
        .await;
    let weak = assert_page(weak, StatusCode::OK, "Choose a stronger password").await;
    assert!(weak.contains("value=\"vera\""), "{weak}");
    // A taken username too, and the link still works after both.
    let taken = invitee
        .post_text(&link, &[("username", "bob"), ("password", PASSWORD)])
        .await;
    assert!(taken.contains("is taken"), "{taken}");

    let joined = invitee
        .post_form(&link, &[("username", "vera"), ("password", PASSWORD)])
        .await;
    assert_eq!(joined.status(), StatusCode::SEE_OTHER);
    assert_eq!(joined.headers()[header::LOCATION], "/company/event-url");
    let signed_in = invitee.get("/company/event-url").await;
    assert_eq!(signed_in.status(), StatusCode::OK, "signed in at once");
    let signed_in = signed_in.text().await.unwrap();
    assert!(
        signed_in.contains("Your role is Viewer"),
        "joined as viewer"
    );

    // Used: the link no longer works, the same way for every reason.
    let again = app.browser();
    let closed = again.text(&link).await;
    assert!(closed.contains("no longer works"), "{closed}");
    let second = again
        .post_text(&link, &[("username", "mallory"), ("password", PASSWORD)])
        .await;
    assert!(second.contains("no longer works"), "{second}");
    assert!(app.sign_in_status("mallory", PASSWORD).await == StatusCode::OK);

    // Revoked before use: closed at once.
    let created = alice.post_text(INVITE, &[("role", "administrator")]).await;
    let link = invitation_in(&created).unwrap();
    let tab = alice.text("/company/administrators").await;
    let id_at = tab.find("Revoke link ").expect("revocable");
    let id: String = tab[id_at + 12..]
        .chars()
        .take_while(char::is_ascii_digit)
        .collect();
    // Another tenant cannot revoke it.
    let bob = Browser::signed_in(&app, "bob").await;
    let foreign = bob
        .post_text("/company/administrators/revoke-invitation", &[("id", &id)])
        .await;
    assert!(foreign.contains("no longer open"), "{foreign}");
    assert!(app.browser().text(&link).await.contains("Join"));
    let revoked = alice
        .post_form("/company/administrators/revoke-invitation", &[("id", &id)])
        .await;
    assert_eq!(revoked.status(), StatusCode::SEE_OTHER);
    let closed = app.browser().text(&link).await;
    assert!(closed.contains("no longer works"), "{closed}");

    // Expired (73 hours old): closed.
    let created = alice.post_text(INVITE, &[("role", "viewer")]).await;
    let link = invitation_in(&created).unwrap();
    {
        use sea_orm::{sea_query::Expr, EntityTrait};
        let db = server::connect(&app.config).await.unwrap();
        app::persistence::entities::invitation::Entity::update_many()
            .col_expr(
                app::persistence::entities::invitation::Column::ExpiresAt,
                Expr::value(time::OffsetDateTime::now_utc() - time::Duration::hours(1)),
            )
            .exec(&db)
            .await
            .unwrap();
    }
    let expired = app
        .browser()
        .post_text(&link, &[("username", "late"), ("password", PASSWORD)])
        .await;
    assert!(expired.contains("no longer works"), "{expired}");

    // All in Activity, with who and from where; no token anywhere.
    let logged = [
        "invited a new viewer",
        "joined as viewer (invited by alice",
        "revoked invitation link",
    ];
    alice.page_holding("/company/activity", &logged).await;
    assert!(!app.database_holds_in_activity("euinv_").await);
}

#[tokio::test]
async fn a_removed_member_is_signed_out_at_once_and_the_last_administrator_stays() {
    let app = spawn_acme().await;
    app.create_member("Acme", "carol", Role::Administrator)
        .await;
    app.create_tenant_with_admin("Other", "bob").await;
    let alice = Browser::signed_in(&app, "alice").await;
    let carol = Browser::signed_in(&app, "carol").await;
    let carols_token = cli_token(&app, "Acme", "carol-ci", "read", Some("carol"));
    let alice_id = member_id(&app, "alice").await.to_string();
    let carol_id = member_id(&app, "carol").await.to_string();

    // Not yourself; not another tenant's member.
    let remove = "/company/administrators/remove";
    let own = alice.post_text(remove, &[("id", &alice_id)]).await;
    assert!(own.contains("You cannot remove yourself"), "{own}");
    let bob = Browser::signed_in(&app, "bob").await;
    let foreign = bob.post_text(remove, &[("id", &carol_id)]).await;
    assert!(foreign.contains("no such member"), "{foreign}");
    assert_eq!(
        carol.get("/company/event-url").await.status(),
        StatusCode::OK
    );

    // Removed: her open session and her token are refused at once.
    let removed = alice.post_form(remove, &[("id", &carol_id)]).await;
    assert_eq!(removed.status(), StatusCode::SEE_OTHER);
    let after = carol.get("/company/event-url").await;
    assert_eq!(after.status(), StatusCode::SEE_OTHER, "to the sign-in page");
    let (status, _) = carol.server_fn("load_event_url", &[]).await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    let (status, _, _) = Api::new(&app, Some(&carols_token))
        .get("/api/v1/event-url")
        .await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    let gone = app.sign_in_status("carol", PASSWORD).await;
    assert_eq!(
        gone,
        StatusCode::OK,
        "the sign-in page again: the account is gone"
    );

    // Not your own role either.
    let own = alice
        .post_text(ROLE, &[("id", &alice_id), ("role", "viewer")])
        .await;
    assert!(
        own.contains("You cannot change the role of yourself"),
        "{own}"
    );

    // Two administrators demoting each other at the same moment: one
    // wins, the other is told, and the company keeps an administrator.
    app.create_member("Acme", "dave", Role::Administrator).await;
    let dave = Browser::signed_in(&app, "dave").await;
    let dave_id = member_id(&app, "dave").await.to_string();
    let demote_dave = [("id", dave_id.as_str()), ("role", "viewer")];
    let demote_alice = [("id", alice_id.as_str()), ("role", "viewer")];
    let (by_alice, by_dave) = tokio::join!(
        alice.post_form(ROLE, &demote_dave),
        dave.post_form(ROLE, &demote_alice),
    );
    let statuses = [by_alice.status(), by_dave.status()];
    let texts = [
        by_alice.text().await.unwrap(),
        by_dave.text().await.unwrap(),
    ];
    let won = statuses
        .iter()
        .filter(|s| **s == StatusCode::SEE_OTHER)
        .count();
    assert_eq!(won, 1, "{statuses:?} {texts:?}");
    assert!(
        texts
            .iter()
            .any(|t| t.contains("last administrator") || t.contains("Your role is Viewer")),
        "{texts:?}"
    );
    let administrators = {
        use app::persistence::entities::user;
        use sea_orm::{ColumnTrait, EntityTrait, PaginatorTrait, QueryFilter};
        let db = server::connect(&app.config).await.unwrap();
        user::Entity::find()
            .filter(user::Column::Role.eq("administrator"))
            .filter(user::Column::Username.is_in(["alice", "dave"]))
            .count(&db)
            .await
            .unwrap()
    };
    assert_eq!(administrators, 1);

    let activity = alice.text("/company/activity").await;
    assert!(
        activity.contains("removed carol (Administrator)"),
        "{activity}"
    );
}
