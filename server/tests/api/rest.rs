// Over 500 lines: nine whole scenarios of one contract (the REST API), each against the real server; split by topic they would share most of their set-up.
//! The REST API (`/api/`) with API tokens: scopes, token states, versions
//! (`ETag` / `If-Match`), problem documents, tenant isolation, PortSIP's
//! `/api/tenant` fields, and `eventurl api-token create`.

use reqwest::{header, Client, StatusCode};
use sea_orm::{ColumnTrait, EntityTrait, QueryFilter};
use serde_json::{json, Value};

use crate::helpers::{spawn_acme, spawn_app, Browser, TestApp};

/// A new token of `tenant`, made by the real binary as a script would.
pub(crate) fn cli_token(
    app: &TestApp,
    tenant: &str,
    name: &str,
    scope: &str,
    admin: Option<&str>,
) -> String {
    let mut command = crate::cli::binary(app._dir.path());
    command
        .env(
            "DATABASE_URL",
            app.config.database_url.clone().unwrap_or_default(),
        )
        .args([
            "api-token",
            "create",
            "--tenant",
            tenant,
            "--name",
            name,
            "--scope",
            scope,
        ]);
    if let Some(admin) = admin {
        command.args(["--admin", admin]);
    }
    let out = command.output().unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let token = String::from_utf8(out.stdout).unwrap().trim().to_owned();
    assert!(token.starts_with("eut_"), "{token}");
    token
}

pub(crate) struct Api {
    client: Client,
    base: String,
    token: Option<String>,
}

impl Api {
    pub(crate) fn new(app: &TestApp, token: Option<&str>) -> Self {
        Self {
            client: Client::builder()
                .timeout(crate::helpers::ANSWER_WITHIN)
                .build()
                .expect("client"),
            base: app.url(""),
            token: token.map(str::to_owned),
        }
    }

    pub(crate) async fn call(
        &self,
        method: reqwest::Method,
        path: &str,
        body: Option<&str>,
        if_match: Option<&str>,
    ) -> (StatusCode, reqwest::header::HeaderMap, Value) {
        let mut request = self.client.request(method, format!("{}{path}", self.base));
        if let Some(token) = &self.token {
            request = request.bearer_auth(token);
        }
        if let Some(body) = body {
            request = request
                .header(header::CONTENT_TYPE, "application/json")
                .body(body.to_owned());
        }
        if let Some(version) = if_match {
            request = request.header(header::IF_MATCH, version);
        }
        let response = request.send().await.unwrap();
        let status = response.status();
        let headers = response.headers().clone();
        let text = response.text().await.unwrap();
        let value = serde_json::from_str(&text).unwrap_or(Value::String(text));
        (status, headers, value)
    }

    /// An `Api` with a new token made by the CLI (see `cli_token`).
    pub(crate) fn with_token(
        app: &TestApp,
        tenant: &str,
        name: &str,
        scope: &str,
        admin: Option<&str>,
    ) -> Self {
        Self::new(app, Some(&cli_token(app, tenant, name, scope, admin)))
    }

    pub(crate) async fn get(&self, path: &str) -> (StatusCode, reqwest::header::HeaderMap, Value) {
        self.call(reqwest::Method::GET, path, None, None).await
    }

    pub(crate) async fn put(
        &self,
        path: &str,
        body: &str,
        if_match: Option<&str>,
    ) -> (StatusCode, reqwest::header::HeaderMap, Value) {
        self.call(reqwest::Method::PUT, path, Some(body), if_match)
            .await
    }

    pub(crate) async fn post(
        &self,
        path: &str,
        body: Option<&str>,
    ) -> (StatusCode, reqwest::header::HeaderMap, Value) {
        self.call(reqwest::Method::POST, path, body, None).await
    }
}

/// The fields a problem document's errors name, in its order.
pub(crate) fn error_fields(body: &Value) -> Vec<&str> {
    body["errors"]
        .as_array()
        .expect("a list of errors")
        .iter()
        .map(|e| e["field"].as_str().expect("a field name"))
        .collect()
}

pub(crate) fn is_problem(headers: &reqwest::header::HeaderMap) -> bool {
    headers
        .get(header::CONTENT_TYPE)
        .is_some_and(|v| v == "application/problem+json")
}

#[tokio::test]
async fn a_token_reads_and_replaces_settings_by_version_within_its_scope_and_tenant() {
    let app = spawn_acme().await;
    app.create_tenant_with_admin("Other", "bob").await;
    let writer = Api::with_token(&app, "Acme", "ci", "write", None);
    let reader = Api::with_token(&app, "Acme", "dashboard", "read", None);
    let bob = Api::with_token(&app, "Other", "ci", "write", None);

    // No token, a wrong one, or only a signed-in browser's cookie: 401.
    let alice = Browser::signed_in(&app, "alice").await;
    let with_cookie = alice
        .client
        .get(app.url("/api/v1/event-url"))
        .send()
        .await
        .unwrap();
    assert_eq!(with_cookie.status(), StatusCode::UNAUTHORIZED);
    for api in [Api::new(&app, None), Api::new(&app, Some("eut_nottoken"))] {
        let (status, headers, body) = api.get("/api/v1/event-url").await;
        assert_eq!(status, StatusCode::UNAUTHORIZED);
        assert!(is_problem(&headers), "{headers:?}");
        assert!(headers.contains_key(header::WWW_AUTHENTICATE));
        assert_eq!(body["status"], 401);
    }

    // Both sections, in PortSIP's words; one with its version as ETag.
    let (status, _, both) = reader.get("/api/v1/event-url").await;
    assert_eq!(status, StatusCode::OK, "{both}");
    assert_eq!(both["cdr"]["auth"], "DISABLE");
    assert_eq!(both["extension"]["enabled"], false);
    let (status, headers, cdr) = reader.get("/api/v1/event-url/cdr").await;
    assert_eq!(status, StatusCode::OK);
    let version = cdr["version"].as_i64().unwrap();
    assert_eq!(headers[header::ETAG], format!("\"{version}\""));
    let (status, headers, _) = reader.get("/api/v1/event-url/billing").await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    assert!(is_problem(&headers));

    let settings = json!({
        "enabled": true,
        "auth": "BEARER",
        "url": "https://receiver.example/cdr",
        "token": "a-bearer-token-of-the-receiver",
    })
    .to_string();
    let etag = format!("\"{version}\"");
    // A read token may not write; a replacement needs If-Match.
    let (status, _, body) = reader
        .put("/api/v1/event-url/cdr", &settings, Some(&etag))
        .await;
    assert_eq!(status, StatusCode::FORBIDDEN, "{body}");
    let (status, headers, body) = writer.put("/api/v1/event-url/cdr", &settings, None).await;
    assert_eq!(status, StatusCode::PRECONDITION_REQUIRED, "{body}");
    assert!(is_problem(&headers));

    // Bad input: each field's message in the form's words, nothing saved.
    let bad = json!({"enabled": true, "auth": "BASIC", "url": "ftp://x"}).to_string();
    let (status, _, body) = writer.put("/api/v1/event-url/cdr", &bad, Some(&etag)).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{body}");
    let fields = error_fields(&body);
    assert!(
        fields.contains(&"url") && fields.contains(&"username"),
        "{body}"
    );
    assert!(
        body.to_string()
            .contains("Use a URL that starts with https://"),
        "{body}"
    );
    for (text, expected) in [
        ("{not json", StatusCode::BAD_REQUEST),
        (r#"{"enabled": "yes"}"#, StatusCode::UNPROCESSABLE_ENTITY),
        (r#"{"colour": "blue"}"#, StatusCode::UNPROCESSABLE_ENTITY),
    ] {
        let (status, headers, body) = writer.put("/api/v1/event-url/cdr", text, Some(&etag)).await;
        assert_eq!(status, expected, "{text}: {body}");
        assert!(is_problem(&headers));
    }
    let (_, _, unchanged) = reader.get("/api/v1/event-url/cdr").await;
    assert_eq!(unchanged["version"], version, "nothing was saved");

    // Replaced: a new version; the token is stored encrypted, never shown.
    let (status, headers, saved) = writer
        .put("/api/v1/event-url/cdr", &settings, Some(&etag))
        .await;
    assert_eq!(status, StatusCode::OK, "{saved}");
    assert_eq!(saved["auth"], "BEARER");
    assert_eq!(saved["token_set"], true);
    assert_eq!(saved["updated_by"], "alice");
    assert!(!saved.to_string().contains("a-bearer-token-of-the-receiver"));
    let new_version = saved["version"].as_i64().unwrap();
    assert_eq!(new_version, version + 1);
    assert_eq!(headers[header::ETAG], format!("\"{new_version}\""));
    assert!(!app.database_holds("a-bearer-token-of-the-receiver"));
    // In Activity, in alice's name, saying which token did it.
    assert!(app.database_holds_in_activity("with API token").await);

    // The same replacement on the old version: 412, saying who changed what.
    let (status, _, body) = writer
        .put("/api/v1/event-url/cdr", &settings, Some(&etag))
        .await;
    assert_eq!(status, StatusCode::PRECONDITION_FAILED, "{body}");
    assert!(body["detail"].as_str().unwrap().contains("alice"), "{body}");

    // The secret is kept when left out (a replacement without it).
    let keep =
        json!({"enabled": true, "auth": "BEARER", "url": "https://receiver.example/cdr?copy=2"});
    let (status, _, kept) = writer
        .put(
            "/api/v1/event-url/cdr",
            &keep.to_string(),
            Some(&format!("\"{new_version}\"")),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{kept}");
    assert_eq!(kept["token_set"], true);

    // Pause and enable, as the switch does.
    let (status, _, paused) = writer.post("/api/v1/event-url/cdr/pause", None).await;
    assert_eq!(status, StatusCode::OK, "{paused}");
    assert_eq!(paused["enabled"], false);
    let (status, _, body) = reader.post("/api/v1/event-url/cdr/enable", None).await;
    assert_eq!(status, StatusCode::FORBIDDEN, "{body}");
    let (status, _, enabled) = writer.post("/api/v1/event-url/cdr/enable", None).await;
    assert_eq!(status, StatusCode::OK, "{enabled}");
    assert_eq!(enabled["enabled"], true);
    // The Extension section has no URL: enabling it is refused, said why.
    let (status, _, body) = writer
        .post("/api/v1/event-url/extension/enable", None)
        .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{body}");

    // Another tenant's token sees and changes only its own.
    let (_, _, theirs) = bob.get("/api/v1/event-url/cdr").await;
    assert_eq!(theirs["auth"], "DISABLE");
    assert_eq!(theirs["url"], "");

    // Any other path under /api is a problem document, not a page.
    let (status, headers, _) = reader.get("/api/v1/nothing-here").await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    assert!(is_problem(&headers));
}

#[tokio::test]
async fn revoked_and_expired_tokens_are_refused_at_once_and_use_is_noted() {
    use app::persistence::entities::api_token;
    let app = spawn_acme().await;
    let token = cli_token(&app, "Acme", "ci", "read", None);
    let api = Api::new(&app, Some(&token));
    assert_eq!(api.get("/api/v1/event-url").await.0, StatusCode::OK);

    let db = server::connect(&app.config).await.unwrap();
    let tenant_id = app::persistence::entities::tenant::Entity::find()
        .filter(app::persistence::entities::tenant::Column::Name.eq("Acme"))
        .one(&db)
        .await
        .unwrap()
        .unwrap()
        .id;
    let listed = app::api_tokens::service::list(&db, tenant_id)
        .await
        .unwrap();
    assert_eq!(listed.len(), 1);
    assert_eq!(listed[0].created_by.as_deref(), Some("alice"));
    assert_eq!(listed[0].last_used_ip.as_deref(), Some("127.0.0.1"));
    assert!(listed[0].last_used_at.is_some());

    // Expired: refused on the next call.
    api_token::Entity::update_many()
        .col_expr(
            api_token::Column::ExpiresAt,
            sea_orm::sea_query::Expr::value(
                time::OffsetDateTime::now_utc() - time::Duration::SECOND,
            ),
        )
        .filter(api_token::Column::Id.eq(listed[0].id))
        .exec(&db)
        .await
        .unwrap();
    assert_eq!(
        api.get("/api/v1/event-url").await.0,
        StatusCode::UNAUTHORIZED
    );

    // Revoked (by the tenant's administrator): refused at once.
    let second = cli_token(&app, "Acme", "deploy", "write", Some("alice"));
    let api = Api::new(&app, Some(&second));
    assert_eq!(api.get("/api/tenant").await.0, StatusCode::OK);
    let id = app::api_tokens::service::list(&db, tenant_id)
        .await
        .unwrap()[0]
        .id;
    let alice = app::auth::CurrentAdmin {
        user_id: app::persistence::entities::user::Entity::find()
            .one(&db)
            .await
            .unwrap()
            .unwrap()
            .id,
        username: "alice".into(),
        tenant_id,
        tenant_name: "Acme".into(),
        role: app::domain::Role::Administrator,
        must_enrol: false,
        ip: None,
        alerts: Vec::new(),
        via_token: None,
    }
    .administrator()
    .unwrap();
    let writes = app::persistence::write_gate::WriteGate::for_backend(
        sea_orm::ConnectionTrait::get_database_backend(&db),
    );
    let revoked = app::api_tokens::service::revoke(&db, &writes, &alice, id)
        .await
        .unwrap();
    assert!(revoked.revoked_at.is_some());
    assert_eq!(api.get("/api/tenant").await.0, StatusCode::UNAUTHORIZED);
    assert!(app.database_holds_in_activity("revoked API token").await);
    assert!(app.database_holds_in_activity("created API token").await);
    // Only hashes are stored.
    assert!(!app.database_holds(&second));
}

#[tokio::test]
async fn portsip_tenant_fields_are_read_and_changed_as_portsip_names_them() {
    let app = spawn_acme().await;
    let api = Api::with_token(&app, "Acme", "provisioning", "write", None);
    let (status, _, tenant) = api.get("/api/tenant").await;
    assert_eq!(status, StatusCode::OK, "{tenant}");
    assert_eq!(
        tenant,
        json!({
            "cdr_event": {"enabled": false, "auth": "DISABLE", "username": "", "url": ""},
            "extension_event": {"enabled": false, "auth": "DISABLE", "username": "", "url": ""},
        })
    );

    // A PortSIP script's update: the password is taken, never returned.
    let update = json!({
        "cdr_event": {
            "enabled": true,
            "auth": "BASIC",
            "username": "pbxhooks",
            "password": "receiver-password-1",
            "url": "https://receiver.example/cdr",
        }
    });
    let (status, _, changed) = api.post("/api/tenant", Some(&update.to_string())).await;
    assert_eq!(status, StatusCode::OK, "{changed}");
    assert_eq!(
        changed["cdr_event"],
        json!({"enabled": true, "auth": "BASIC", "username": "pbxhooks", "url": "https://receiver.example/cdr"})
    );
    assert!(!changed.to_string().contains("receiver-password-1"));
    assert!(!app.database_holds("receiver-password-1"));

    // Only the fields sent change; a mistake in one object saves neither.
    let update = json!({
        "cdr_event": {"url": "https://receiver.example/cdr?copy=2"},
        "extension_event": {"enabled": true, "auth": "BEARER", "url": "not a url"},
    });
    let (status, headers, body) = api.post("/api/tenant", Some(&update.to_string())).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{body}");
    assert!(is_problem(&headers));
    let fields = error_fields(&body);
    assert!(fields.contains(&"extension_event.url"), "{body}");
    let (_, _, now) = api.get("/api/tenant").await;
    assert_eq!(now["cdr_event"]["url"], "https://receiver.example/cdr");

    let update = json!({"cdr_event": {"url": "https://receiver.example/cdr?copy=2"}});
    let (status, _, changed) = api.post("/api/tenant", Some(&update.to_string())).await;
    assert_eq!(status, StatusCode::OK, "{changed}");
    assert_eq!(
        changed["cdr_event"]["url"],
        "https://receiver.example/cdr?copy=2"
    );
    assert_eq!(changed["cdr_event"]["auth"], "BASIC", "kept as saved");

    // Both objects wrong: every mistake is told at once, each placed.
    let update = json!({
        "cdr_event": {"enabled": true, "url": "ftp://x"},
        "extension_event": {"enabled": true, "auth": "BEARER", "url": "not a url"},
    });
    let (status, _, body) = api.post("/api/tenant", Some(&update.to_string())).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{body}");
    let fields = error_fields(&body);
    assert!(
        fields.contains(&"cdr_event.url") && fields.contains(&"extension_event.url"),
        "{body}"
    );

    // A read token changes nothing here either.
    let reader = Api::with_token(&app, "Acme", "audit", "read", None);
    let (status, _, body) = reader.post("/api/tenant", Some(&update.to_string())).await;
    assert_eq!(status, StatusCode::FORBIDDEN, "{body}");
    let (status, _, body) = reader.post("/api/v1/event-url/cdr/pause", None).await;
    assert_eq!(status, StatusCode::FORBIDDEN, "{body}");

    // A PUT names its method: left out, the stored password would go with
    // an implied Disable; refused instead, the password kept.
    let (_, headers, _) = api.get("/api/v1/event-url/cdr").await;
    let etag = headers[header::ETAG].to_str().unwrap().to_owned();
    let (status, _, body) = api
        .put(
            "/api/v1/event-url/cdr",
            r#"{"enabled": true, "url": "https://receiver.example/cdr-3"}"#,
            Some(&etag),
        )
        .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{body}");
    assert_eq!(body["errors"][0]["field"], "auth", "{body}");
    let (_, _, cdr) = api.get("/api/v1/event-url/cdr").await;
    assert_eq!(cdr["password_set"], true, "{cdr}");

    // PortSIP's other tenant fields are not this product's: said, not ignored.
    let (status, _, body) = api.post("/api/tenant", Some(r#"{"name": "Acme"}"#)).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{body}");
}

#[test]
fn a_token_for_a_tenant_with_several_admins_needs_to_say_whose() {
    let dir = tempfile::tempdir().unwrap();
    let run = |args: &[&str], stdin: &str| crate::cli::eventurl(dir.path(), args, stdin);
    let password = format!("{}\n", crate::helpers::PASSWORD);
    assert!(run(&["tenant", "create", "--name", "Acme"], "")
        .status
        .success());
    let create = ["api-token", "create", "--tenant", "Acme", "--name", "ci"];
    let none = run(&create, "");
    assert!(!none.status.success());
    assert!(
        String::from_utf8_lossy(&none.stderr).contains("has no administrator yet"),
        "{}",
        String::from_utf8_lossy(&none.stderr)
    );
    for admin in ["alice", "carol"] {
        let made = run(
            &["admin", "create", "--tenant", "Acme", "--username", admin],
            &password,
        );
        assert!(
            made.status.success(),
            "{}",
            String::from_utf8_lossy(&made.stderr)
        );
    }
    let which = run(&create, "");
    assert!(
        String::from_utf8_lossy(&which.stderr).contains("--admin"),
        "{}",
        String::from_utf8_lossy(&which.stderr)
    );
    let bad = run(&[&create[..], &["--scope", "admin"]].concat(), "");
    assert!(String::from_utf8_lossy(&bad.stderr).contains("Read, or Read and write"));
    let made = run(
        &[&create[..], &["--admin", "carol", "--expires", "30"]].concat(),
        "",
    );
    assert!(
        made.status.success(),
        "{}",
        String::from_utf8_lossy(&made.stderr)
    );
    assert!(String::from_utf8_lossy(&made.stdout)
        .trim()
        .starts_with("eut_"));
}

#[tokio::test]
async fn each_token_is_rate_limited_with_retry_after() {
    let app = crate::helpers::spawn_configured(|config| config.api_requests_per_minute = 3).await;
    app.create_tenant_with_admin("Acme", "alice").await;
    let busy = Api::with_token(&app, "Acme", "busy", "read", None);
    let other = Api::with_token(&app, "Acme", "other", "read", None);
    for _ in 0..3 {
        assert_eq!(busy.get("/api/tenant").await.0, StatusCode::OK);
    }
    let (status, headers, body) = busy.get("/api/tenant").await;
    assert_eq!(status, StatusCode::TOO_MANY_REQUESTS, "{body}");
    assert!(is_problem(&headers));
    let wait: u64 = headers[header::RETRY_AFTER]
        .to_str()
        .unwrap()
        .parse()
        .unwrap();
    assert!((1..=20).contains(&wait), "{wait}");
    assert!(body["detail"]
        .as_str()
        .unwrap()
        .contains("3 requests a minute"));
    // Counted per token: another is not held back.
    assert_eq!(other.get("/api/tenant").await.0, StatusCode::OK);
}

#[tokio::test]
async fn a_test_event_goes_to_the_saved_url_with_the_saved_secret_within_the_rate_limit() {
    use crate::receivers::{Receiver, BEARER_TOKEN};
    let app = crate::helpers::spawn_allowing_loopback(2).await;
    app.create_tenant_with_admin("Acme", "alice").await;
    let receiver = Receiver::start().await;
    let api = Api::with_token(&app, "Acme", "ci", "write", None);
    let reader = Api::with_token(&app, "Acme", "ro", "read", Some("alice"));
    let (_, _, cdr) = api.get("/api/v1/event-url/cdr").await;
    let settings = json!({
        "enabled": false,
        "auth": "BEARER",
        "url": receiver.url("/bearer"),
        "token": BEARER_TOKEN,
    });
    let (status, _, body) = api
        .put(
            "/api/v1/event-url/cdr",
            &settings.to_string(),
            Some(&format!("\"{}\"", cdr["version"])),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{body}");

    let path = "/api/v1/event-url/cdr/test-event";
    let (status, _, _) = reader.post(path, None).await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    // The report as the tab shows it: the saved token was used.
    let (status, _, report) = api.post(path, None).await;
    assert_eq!(status, StatusCode::OK, "{report}");
    assert_eq!(report["verdict"], "delivered", "{report}");
    assert_eq!(report["event"], "call_cdr");
    assert!(!report.to_string().contains(BEARER_TOKEN), "redacted");
    assert_eq!(receiver.seen().len(), 1);

    // A sample of the other section is refused by its field.
    let (status, _, body) = api
        .post(path, Some(r#"{"sample_event": "queue_status"}"#))
        .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{body}");
    assert_eq!(body["errors"][0]["field"], "sample_event", "{body}");

    // The tenant's test sends per minute (2 here) hold for the API too.
    let (status, _, _) = api
        .post(path, Some(r#"{"sample_event": "call_start"}"#))
        .await;
    assert_eq!(status, StatusCode::OK);
    let (status, headers, body) = api.post(path, None).await;
    assert_eq!(status, StatusCode::TOO_MANY_REQUESTS, "{body}");
    assert!(headers.contains_key(header::RETRY_AFTER));
    assert_eq!(receiver.seen().len(), 2);
}

#[tokio::test]
async fn deliveries_and_activity_are_read_and_an_event_redelivered_over_the_api() {
    use crate::pbx::{acme_delivering_beside, cdr, spawn_delivering, wait_for, Pbx};
    let app = spawn_delivering("200ms").await;
    let (tenant, alice, receiver) = acme_delivering_beside(&app, &[("Other", "bob")]).await;
    alice.save_plain("cdr", &receiver.url("/ok"), true).await;
    let pbx = Pbx::new(&app).await;
    pbx.hand_in(&tenant, &json!([cdr("e1"), cdr("e2"), cdr("e3")]))
        .await;
    wait_for("the deliveries", async || receiver.seen().len() == 3).await;
    let api = Api::with_token(&app, "Acme", "ci", "write", None);
    let reader = Api::with_token(&app, "Acme", "ro", "read", Some("alice"));
    let bob = Api::with_token(&app, "Other", "ci", "write", None);

    // The list, newest first, with the tab's filters; bad ones are named.
    let mut delivered = Value::Null;
    wait_for("their records", async || {
        delivered = reader
            .get("/api/v1/deliveries?section=cdr&state=delivered")
            .await
            .2;
        delivered["events"].as_array().is_some_and(|e| e.len() == 3)
    })
    .await;
    let uids: Vec<&str> = delivered["events"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["uid"].as_str().unwrap())
        .collect();
    assert_eq!(uids, ["e3", "e2", "e1"]);
    assert_eq!(delivered["older"], Value::Null, "one page");
    for (query, field) in [
        ("state=sideways", "filters"),
        ("before=not-a-cursor", "before"),
        ("colour=blue", "query"),
    ] {
        let (status, headers, body) = reader.get(&format!("/api/v1/deliveries?{query}")).await;
        assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{query}: {body}");
        assert!(is_problem(&headers));
        assert_eq!(body["errors"][0]["field"], field, "{query}: {body}");
    }

    // One event: its body as JSON and its attempt; another tenant's: 404.
    let id = delivered["events"][0]["id"].as_i64().unwrap();
    let (status, _, event) = reader.get(&format!("/api/v1/deliveries/{id}")).await;
    assert_eq!(status, StatusCode::OK, "{event}");
    assert_eq!(event["body"]["event_id"], "e3");
    assert_eq!(event["attempts"].as_array().unwrap().len(), 1);
    assert_eq!(event["attempts"][0]["status"], 200);
    let (status, headers, _) = bob.get(&format!("/api/v1/deliveries/{id}")).await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    assert!(is_problem(&headers));

    // Redelivered: a read token may not; a write token queues one attempt.
    let path = format!("/api/v1/deliveries/{id}/redeliver");
    let (status, _, _) = reader.post(&path, None).await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    let (status, _, _) = bob.post(&path, None).await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    let (status, _, queued) = api.post(&path, None).await;
    assert_eq!(status, StatusCode::ACCEPTED, "{queued}");
    assert_eq!(queued["queued"], 1);
    assert_eq!(queued["event_id"], "e3");
    wait_for("the redelivery", async || receiver.seen().len() == 4).await;

    // Activity, filtered as the tab does.
    let (status, _, log) = reader.get("/api/v1/activity?kind=redelivered").await;
    assert_eq!(status, StatusCode::OK, "{log}");
    assert_eq!(log["total"], 1, "{log}");
    assert!(
        log["entries"][0]["summary"]
            .as_str()
            .unwrap()
            .contains("with API token \"ci\""),
        "{log}"
    );
    let (status, _, body) = reader.get("/api/v1/activity?kind=nothing&page=0").await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    let named = error_fields(&body);
    assert_eq!(named, ["page", "kind"]);
    let (_, _, theirs) = bob.get("/api/v1/activity?kind=redelivered").await;
    assert_eq!(theirs["total"], 0, "another tenant's log: {theirs}");
}

#[tokio::test]
async fn every_api_error_is_a_problem_and_no_sent_value_is_echoed() {
    let app = spawn_acme().await;
    let token = cli_token(&app, "Acme", "ci", "write", None);
    let api = Api::new(&app, Some(&token));
    let client = Client::new();

    // A method the resource does not take, a body over the limit.
    let (status, headers, _) = api
        .call(reqwest::Method::DELETE, "/api/v1/event-url/cdr", None, None)
        .await;
    assert_eq!(status, StatusCode::METHOD_NOT_ALLOWED);
    assert!(is_problem(&headers), "{headers:?}");
    assert!(headers[header::ALLOW].to_str().unwrap().contains("PUT"));
    let big = format!(r#"{{"url": "{}"}}"#, "x".repeat(70 * 1024));
    let (status, headers, _) = api.put("/api/v1/event-url/cdr", &big, Some("\"1\"")).await;
    assert_eq!(status, StatusCode::PAYLOAD_TOO_LARGE);
    assert!(is_problem(&headers), "{headers:?}");

    // A wrong type is placed, its value not repeated (it may be a secret).
    let (status, _, body) = api
        .put(
            "/api/v1/event-url/cdr",
            r#"{"auth": "BASIC", "password": 987654321}"#,
            Some("\"1\""),
        )
        .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{body}");
    assert!(!body.to_string().contains("987654321"), "{body}");

    // If-Match compares strongly: a weak tag of the current version is
    // stale. A list holding the current version matches. A bare number is
    // read as the version (a hand-written curl line).
    let paused = r#"{"enabled": false, "auth": "DISABLE", "url": ""}"#;
    for (if_match, expected) in [
        ("W/\"1\"", StatusCode::PRECONDITION_FAILED),
        ("\"0\", \"1\"", StatusCode::OK),
        ("2", StatusCode::OK),
    ] {
        let (status, _, body) = api
            .put("/api/v1/event-url/cdr", paused, Some(if_match))
            .await;
        assert_eq!(status, expected, "If-Match {if_match}: {body}");
    }
    // An If-Match that is no version at all is 400.
    let (status, _, body) = api
        .call(
            reqwest::Method::POST,
            "/api/v1/event-url/cdr/pause",
            None,
            Some("null"),
        )
        .await;
    assert_eq!(status, StatusCode::BAD_REQUEST, "{body}");
    // Settings that could not be saved on any version are 422 even on a
    // stale one: fixing the version would not help.
    let (status, _, body) = api
        .put(
            "/api/v1/event-url/cdr",
            r#"{"enabled": true, "auth": "SIDEWAYS", "url": "https://a.example/x"}"#,
            Some("\"1\""),
        )
        .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{body}");
    assert_eq!(body["errors"][0]["field"], "auth", "{body}");
    // A query parameter given empty is not "left out": each is named.
    let (status, _, body) = api.get("/api/v1/deliveries?to=&state=").await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{body}");
    let named = error_fields(&body);
    assert_eq!(named, ["state", "to"], "{body}");
    let (status, _, body) = api.get("/api/v1/activity?page=&kind=").await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{body}");
    assert_eq!(body["errors"].as_array().unwrap().len(), 2, "{body}");

    // The scheme's name in any case; a foreign Origin does not matter to a
    // token (no cookie is ever read here).
    let response = client
        .post(app.url("/api/v1/event-url/cdr/pause"))
        .header(header::AUTHORIZATION, format!("bearer {token}"))
        .header(header::ORIGIN, "https://elsewhere.example")
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::OK);
}

/// The media type's example, or its schema's (following a `$ref` and an
/// optional body's `oneOf`), if it has one.
fn example_of(doc: &Value, media: &Value) -> Option<Value> {
    if let Some(example) = media.get("example") {
        return Some(example.clone());
    }
    let mut schema = media.get("schema")?.clone();
    for _ in 0..4 {
        if let Some(examples) = schema.get("examples").and_then(Value::as_array) {
            return examples.first().cloned();
        }
        if let Some(example) = schema.get("example") {
            return Some(example.clone());
        }
        schema = if let Some(reference) = schema.get("$ref").and_then(Value::as_str) {
            let name = reference.strip_prefix("#/components/schemas/")?;
            doc["components"]["schemas"][name].clone()
        } else {
            schema
                .get("oneOf")
                .and_then(Value::as_array)?
                .iter()
                .find(|s| s.get("$ref").is_some())?
                .clone()
        };
    }
    None
}

#[tokio::test]
async fn the_openapi_document_describes_every_operation_with_examples() {
    let app = spawn_app().await;
    // No token needed: it holds no tenant's data.
    let (status, headers, doc) = Api::new(&app, None).get("/api/v1/openapi.json").await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(headers[header::CONTENT_TYPE], "application/json");
    assert!(
        doc["openapi"].as_str().unwrap().starts_with("3.1"),
        "{}",
        doc["openapi"]
    );
    assert_eq!(
        doc["components"]["securitySchemes"]["token"]["scheme"],
        "bearer"
    );

    // Every route the API serves, and nothing it does not.
    let mut operations = Vec::new();
    for (path, item) in doc["paths"].as_object().unwrap() {
        for (method, operation) in item.as_object().unwrap() {
            operations.push(format!("{} {path}", method.to_uppercase()));
            // Every request and response body has an example.
            if let Some(content) = operation["requestBody"]["content"].as_object() {
                for (media_type, media) in content {
                    assert!(
                        example_of(&doc, media).is_some(),
                        "{method} {path}: request {media_type} has no example"
                    );
                }
            }
            for (status, response) in operation["responses"].as_object().unwrap() {
                let response = match response.get("$ref") {
                    Some(_) => continue,
                    None => response,
                };
                for (media_type, media) in response["content"].as_object().into_iter().flatten() {
                    assert!(
                        example_of(&doc, media).is_some(),
                        "{method} {path}: {status} {media_type} has no example"
                    );
                }
            }
            // Every operation says how a missing token is answered.
            assert!(
                operation["responses"].get("401").is_some(),
                "{method} {path}: no 401"
            );
            // Every write (and the read of a secret) says a read-only
            // token is refused; every operation on a section, that a name
            // not a section is.
            if method != "get" || path.ends_with("/signing-secret") {
                let forbidden = operation["responses"]["403"]["description"].as_str();
                assert!(
                    forbidden.is_some_and(|d| d.starts_with("A read-only token")),
                    "{method} {path}: 403 {forbidden:?}"
                );
            }
            if path.contains("{section}") {
                assert_eq!(
                    operation["responses"]["404"]["description"], "Not a section.",
                    "{method} {path}"
                );
            }
        }
    }
    operations.sort();
    assert_eq!(
        operations,
        [
            "GET /api/tenant",
            "GET /api/v1/activity",
            "GET /api/v1/deliveries",
            "GET /api/v1/deliveries/{id}",
            "GET /api/v1/event-url",
            "GET /api/v1/event-url/{section}",
            "GET /api/v1/event-url/{section}/signing-secret",
            "GET /api/v1/replays/{id}",
            "POST /api/tenant",
            "POST /api/v1/deliveries/redeliver",
            "POST /api/v1/deliveries/{id}/redeliver",
            "POST /api/v1/event-url/{section}/enable",
            "POST /api/v1/event-url/{section}/pause",
            "POST /api/v1/event-url/{section}/signing-secret/rotate",
            "POST /api/v1/event-url/{section}/test-event",
            "PUT /api/v1/event-url/{section}",
        ]
    );
    // A section's read links to its replacement with the version.
    let links = &doc["paths"]["/api/v1/event-url/{section}"]["get"]["responses"]["200"]["links"];
    assert_eq!(links["replace"]["operationId"], "replaceEventUrlSection");
    assert_eq!(
        links["replace"]["parameters"]["header.If-Match"],
        "$response.header.ETag"
    );
}

/// Unknown tokens are counted per client address like failed sign-ins (20
/// in 5 minutes): then 429 with Retry-After, and no token from that address
/// is looked up until the wait is over, a live one included; another
/// instance refuses the address at its next unknown token (the count is
/// in the database).
#[tokio::test]
async fn unknown_api_tokens_are_rate_limited_per_client_address() {
    let app = spawn_acme().await;
    let live = Api::with_token(&app, "Acme", "ci", "read", None);
    assert_eq!(live.get("/api/v1/event-url").await.0, StatusCode::OK);
    for n in 0..20 {
        let guess = Api::new(&app, Some(&format!("eut_guess{n:04}")));
        let (status, _, body) = guess.get("/api/v1/event-url").await;
        assert_eq!(status, StatusCode::UNAUTHORIZED, "guess {n}: {body}");
    }
    let guess = Api::new(&app, Some("eut_guess0020"));
    let (status, headers, body) = guess.get("/api/v1/event-url").await;
    assert_eq!(status, StatusCode::TOO_MANY_REQUESTS, "{body}");
    assert_eq!(headers[header::CONTENT_TYPE], "application/problem+json");
    let wait: u64 = headers[header::RETRY_AFTER]
        .to_str()
        .unwrap()
        .parse()
        .unwrap();
    assert!((1..=301).contains(&wait), "{wait}");
    assert_eq!(body["title"], "Too many unknown tokens");
    // Meanwhile even a live token from this address is not tried.
    assert_eq!(
        live.get("/api/v1/event-url").await.0,
        StatusCode::TOO_MANY_REQUESTS
    );
    // Another instance: its first unknown token from here is refused too.
    let other = crate::helpers::another_instance(&app).await;
    let elsewhere = Api {
        client: Client::new(),
        base: format!("http://{other}"),
        token: Some("eut_guess0021".to_owned()),
    };
    assert_eq!(
        elsewhere.get("/api/v1/event-url").await.0,
        StatusCode::TOO_MANY_REQUESTS
    );
}
