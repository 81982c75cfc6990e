// Over 500 lines: the one fixture set every test file uses (the server on port 0, its browser and form helpers), kept together so a test reads one place.
use reqwest::{header, redirect::Policy, Client, Response, StatusCode};
use secrecy::ExposeSecret;
use serde_json::Value;
use server::Config;
use std::{net::SocketAddr, time::Duration};
use tempfile::TempDir;

pub const PASSWORD: &str = "correct horse battery staple";

pub struct TestApp {
    pub addr: SocketAddr,
    pub setup_token: Option<String>,
    /// Holds the data folder (key file, SQLite file) for the test's life.
    pub _dir: TempDir,
    pub config: Config,
}

/// A fresh key for stored secrets, as `EVENTURL_SECRET_KEY` takes it.
pub fn new_secret_key() -> String {
    app::persistence::crypto::SecretCipher::generate_key()
        .expose_secret()
        .to_owned()
}

pub fn test_config(dir: &TempDir) -> Config {
    Config {
        database_url: Some(crate::database::database_url_for(dir.path())),
        site_addr: "127.0.0.1:0".parse().expect("valid address"),
        data_dir: dir.path().to_path_buf(),
        secret_key: Some(new_secret_key()),
        secure_cookie: false,
        session_idle_minutes: 60,
        public_origin: None,
        site_root: "target/site".into(),
        db_max_connections: 5,
        db_acquire_timeout_secs: 2,
        db_connect_timeout_secs: 2,
        db_start_timeout_secs: 10,
        allow_private_targets: String::new(),
        test_events_per_minute: 100,
        api_requests_per_minute: 600,
        ingest_events_per_second: 50_000,
        client_ip_header: None,
        log_format: server::config::LogFormat::Human,
        shutdown_grace_secs: 2,
        retry_schedule: "200ms,200ms,200ms".parse().expect("a schedule"),
        max_in_flight_per_endpoint: 8,
        delivery_retention_days: 7,
        auto_pause_after: 50,
        failing_after: 5,
        alert_after_seconds: 900,
        delivery_lease_secs: 11,
        no_deliver: false,
        metrics_token: None,
        operator_two_factor: server::config::OperatorTwoFactor::Optional,
        smtp_url: None,
        smtp_from: "eventurl <eventurl@example.test>".into(),
    }
}

pub async fn spawn_app() -> TestApp {
    let dir = tempfile::tempdir().expect("temp dir");
    let config = test_config(&dir);
    spawn_with(dir, config).await
}

/// A fresh server with the tenant "Acme" and its administrator alice.
pub async fn spawn_acme() -> TestApp {
    let app = spawn_app().await;
    app.create_tenant_with_admin("Acme", "alice").await;
    app
}

/// A fresh server with the tenant "Acme" and its administrator alice,
/// signed in.
pub async fn acme_with_alice() -> (TestApp, Browser) {
    let app = spawn_acme().await;
    let alice = Browser::signed_in(&app, "alice").await;
    (app, alice)
}

/// A fresh server with "Acme", its administrator alice and its viewer
/// victor (no one signed in).
pub async fn acme_with_viewer() -> TestApp {
    let app = spawn_acme().await;
    app.create_member("Acme", "victor", app::domain::Role::Viewer)
        .await;
    app
}

/// A fresh server with two tenants, "Acme" with alice and `other` with
/// bob, both signed in.
pub async fn acme_and(other: &str) -> (TestApp, Browser, Browser) {
    let app = spawn_acme().await;
    app.create_tenant_with_admin(other, "bob").await;
    let alice = Browser::signed_in(&app, "alice").await;
    let bob = Browser::signed_in(&app, "bob").await;
    (app, alice, bob)
}

/// A server configured by `change`, on a fresh data folder.
pub async fn spawn_configured(change: impl FnOnce(&mut Config)) -> TestApp {
    let dir = tempfile::tempdir().expect("temp dir");
    let mut config = test_config(&dir);
    change(&mut config);
    spawn_with(dir, config).await
}

/// A section's form as the page sends it: its kind, authentication
/// method and URL, then `extra`.
pub fn fields<'a>(
    kind: &'a str,
    method: &'a str,
    url: &'a str,
    extra: &[(&'a str, &'a str)],
) -> Vec<(&'a str, &'a str)> {
    let mut f = vec![("kind", kind), ("auth_method", method), ("url", url)];
    f.extend_from_slice(extra);
    f
}

/// How long a test waits for one answer: a request that hangs fails the
/// test, naming its URL, instead of holding the run until CI's limit.
pub const ANSWER_WITHIN: Duration = Duration::from_secs(60);

/// A client that keeps no cookies and follows no redirects: a bare
/// request, as a thief replaying a cookie would send it.
pub fn bare_client() -> Client {
    Client::builder()
        .redirect(Policy::none())
        .timeout(ANSWER_WITHIN)
        .build()
        .expect("client")
}

/// `url` fetched by a bare client presenting only `cookie`: its status.
pub async fn replayed(url: &str, cookie: &str) -> StatusCode {
    bare_client()
        .get(url)
        .header(header::COOKIE, cookie)
        .send()
        .await
        .unwrap_or_else(|e| panic!("no answer: {e}"))
        .status()
}

/// Asserts that `response` has `status` and that its body holds `part`:
/// the body.
pub async fn assert_page(response: Response, status: StatusCode, part: &str) -> String {
    let got = response.status();
    let body = response.text().await.expect("body");
    assert_eq!(got, status, "{body}");
    assert!(body.contains(part), "{part:?} missing from {body}");
    body
}

/// Asserts that `response` is a private page (200, never stored by a
/// browser or proxy): its body. `what` names it in a failure.
pub async fn private_body(response: Response, what: &str) -> String {
    assert_eq!(response.status(), StatusCode::OK, "{what}");
    assert_eq!(
        response.headers()[header::CACHE_CONTROL],
        "no-store",
        "a private page: {what}"
    );
    response.text().await.expect("body")
}

/// The `name=value` part of a `Set-Cookie` header value.
pub fn cookie_pair(set_cookie: &str) -> String {
    set_cookie.split(';').next().expect("a cookie").to_owned()
}

/// A server whose test sends may reach loopback receivers, as an operator
/// would allow a LAN with `EVENTURL_ALLOW_PRIVATE_TARGETS`.
pub async fn spawn_allowing_loopback(test_events_per_minute: u32) -> TestApp {
    let dir = tempfile::tempdir().expect("temp dir");
    let mut config = test_config(&dir);
    config.allow_private_targets = "127.0.0.0/8, ::1/128".into();
    config.test_events_per_minute = test_events_per_minute;
    spawn_with(dir, config).await
}

/// Another instance on the same database and key, as a second server
/// behind a load balancer would be.
pub async fn another_instance(app: &TestApp) -> SocketAddr {
    server::prepare(app.config.clone())
        .await
        .expect("second instance starts")
        .spawn()
}

pub async fn spawn_with(dir: TempDir, config: Config) -> TestApp {
    let prepared = server::prepare(config.clone())
        .await
        .expect("server starts");
    let setup_token = prepared.setup_token.clone();
    let addr = prepared.spawn();
    TestApp {
        addr,
        setup_token,
        _dir: dir,
        config,
    }
}

/// Adds `username` (with the suite's password) to `tenant` as `role`;
/// `what` names it in a failure.
async fn add_member(
    db: &sea_orm::DatabaseConnection,
    tenant: &str,
    username: &str,
    role: app::domain::Role,
    what: &str,
) {
    let admin = app::accounts::NewAdmin {
        username: username.into(),
        password: PASSWORD.to_owned().into(),
        role,
    };
    app::accounts::create_admin(db, tenant, admin)
        .await
        .expect(what);
}

/// A browser-like client: keeps cookies, does not follow redirects, and
/// sends its own origin on posts. A clone shares the cookies.
#[derive(Clone)]
pub struct Browser {
    pub client: Client,
    pub base: String,
}

impl TestApp {
    pub fn url(&self, path: &str) -> String {
        format!("http://{}{}", self.addr, path)
    }

    pub fn browser(&self) -> Browser {
        let base = format!("http://{}", self.addr);
        let mut headers = header::HeaderMap::new();
        headers.insert(header::ORIGIN, base.parse().expect("origin header"));
        Browser {
            client: Client::builder()
                .cookie_store(true)
                .redirect(Policy::none())
                .timeout(ANSWER_WITHIN)
                .default_headers(headers)
                .build()
                .expect("client"),
            base,
        }
    }

    /// Adds a member with `role` to an existing tenant (the operator's
    /// CLI path).
    pub async fn create_member(&self, tenant: &str, username: &str, role: app::domain::Role) {
        let db = server::connect(&self.config).await.expect("db");
        add_member(&db, tenant, username, role, "member created").await;
    }

    pub async fn create_tenant_with_admin(&self, tenant: &str, username: &str) {
        let db = server::connect(&self.config).await.expect("db");
        let cipher = server::load_cipher(&self.config).expect("the server's key");
        app::accounts::create_tenant(
            &db,
            &cipher,
            app::accounts::NewTenant {
                name: tenant.into(),
            },
        )
        .await
        .expect("tenant created");
        let role = app::domain::Role::Administrator;
        add_member(&db, tenant, username, role, "admin created").await;
    }

    /// How a new browser's sign-in as `username` is answered.
    pub async fn sign_in_status(&self, username: &str, password: &str) -> StatusCode {
        self.browser().sign_in(username, password).await.status()
    }

    /// Whether any activity-log entry holds `text`.
    pub async fn database_holds_in_activity(&self, text: &str) -> bool {
        use sea_orm::EntityTrait;
        let db = server::connect(&self.config).await.unwrap();
        app::persistence::entities::activity::Entity::find()
            .all(&db)
            .await
            .unwrap()
            .iter()
            .any(|row| format!("{row:?}").contains(text))
    }

    /// Whether the database stores `secret` anywhere, as text or hex.
    pub fn database_holds(&self, secret: &str) -> bool {
        let url = self.config.database_url.clone().unwrap_or_default();
        crate::database::holds(&crate::database::stored_bytes(&url), secret)
    }
}

impl Browser {
    pub async fn get(&self, path: &str) -> Response {
        self.client
            .get(format!("{}{}", self.base, path))
            .send()
            .await
            .unwrap_or_else(|e| panic!("no answer: {e}"))
    }

    /// The body of the page at `path`, whatever its status.
    pub async fn text(&self, path: &str) -> String {
        self.get(path).await.text().await.expect("body")
    }

    /// The private page at `path` (200, never stored): its body.
    pub async fn private_page(&self, path: &str) -> String {
        private_body(self.get(path).await, path).await
    }

    /// The page at `path`, asserted to hold each of `parts`.
    pub async fn page_holding(&self, path: &str, parts: &[&str]) -> String {
        let page = self.text(path).await;
        for part in parts {
            assert!(page.contains(part), "{part:?} missing from {path}: {page}");
        }
        page
    }

    /// The body of the answer to a form post.
    pub async fn post_text(&self, path: &str, form: &[(&str, &str)]) -> String {
        self.post_form(path, form).await.text().await.expect("body")
    }

    pub async fn post_form(&self, path: &str, form: &[(&str, &str)]) -> Response {
        self.client
            .post(format!("{}{}", self.base, path))
            .header(header::ORIGIN, &self.base)
            .header(header::ACCEPT, "text/html")
            .form(form)
            .send()
            .await
            .unwrap_or_else(|e| panic!("no answer: {e}"))
    }

    pub async fn sign_in(&self, username: &str, password: &str) -> Response {
        // As the login form does: `next` in its action and in a hidden field.
        self.post_form(
            "/login?next=/company/event-url",
            &[
                ("username", username),
                ("password", password),
                ("next", "/company/event-url"),
            ],
        )
        .await
    }

    /// The same browser (its cookies) talking to another instance, as
    /// behind a load balancer.
    pub fn on(&self, addr: SocketAddr) -> Browser {
        Browser {
            client: self.client.clone(),
            base: format!("http://{addr}"),
        }
    }

    pub async fn signed_in(app: &TestApp, username: &str) -> Browser {
        Self::signed_in_with(app, username, PASSWORD).await
    }

    pub async fn signed_in_with(app: &TestApp, username: &str, password: &str) -> Browser {
        let browser = app.browser();
        let response = browser.sign_in(username, password).await;
        assert_eq!(
            response.status(),
            StatusCode::SEE_OTHER,
            "sign-in should succeed"
        );
        browser
    }

    /// Calls a server function the way the hydrated page does.
    pub async fn server_fn(&self, name: &str, form: &[(&str, &str)]) -> (StatusCode, Value) {
        let response = self
            .client
            .post(format!("{}/rpc/{name}", self.base))
            .header(header::ORIGIN, &self.base)
            .form(form)
            .send()
            .await
            .unwrap_or_else(|e| panic!("no answer: {e}"));
        let status = response.status();
        let body = response.text().await.expect("body");
        let value = serde_json::from_str(&body).unwrap_or(Value::String(body));
        (status, value)
    }

    pub async fn load(&self) -> Value {
        let (status, value) = self.server_fn("load_event_url", &[]).await;
        assert_eq!(status, StatusCode::OK, "{value}");
        value
    }

    /// Saves as the page does: with the section's version as loaded now,
    /// unless `fields` give one.
    pub async fn save(&self, fields: &[(&str, &str)]) -> (StatusCode, Value) {
        let mut fields = fields.to_vec();
        let version;
        if !fields.iter().any(|(k, _)| *k == "version") {
            let kind = fields
                .iter()
                .find(|(k, _)| *k == "kind")
                .map_or("cdr", |(_, v)| *v);
            let loaded = self.load().await;
            version = loaded[kind]["version"].to_string();
            fields.push(("version", &version));
        }
        self.save_exactly(&fields).await
    }

    /// Saves as `save` does, asserting it was saved: the section as saved.
    pub async fn save_ok(&self, fields: &[(&str, &str)]) -> Value {
        let (status, saved) = self.save(fields).await;
        assert_eq!(status, StatusCode::OK, "save {fields:?}: {saved}");
        saved
    }

    /// Saves the `kind` section posting to `url` without authentication,
    /// enabled or paused; asserts it was saved.
    pub async fn save_plain(&self, kind: &str, url: &str, enabled: bool) -> Value {
        let extra: &[(&str, &str)] = if enabled { &[("enabled", "on")] } else { &[] };
        self.save_ok(&fields(kind, "disable", url, extra)).await
    }

    /// Flips the `kind` section's delivery switch, based on `version`.
    pub async fn set_enabled(
        &self,
        kind: &str,
        enabled: bool,
        version: &str,
    ) -> (StatusCode, Value) {
        let enabled = if enabled { "true" } else { "false" };
        self.server_fn(
            "set_enabled",
            &[("kind", kind), ("enabled", enabled), ("version", version)],
        )
        .await
    }

    /// Enables the `kind` section based on its version as loaded now.
    pub async fn enable(&self, kind: &str) -> (StatusCode, Value) {
        let version = self.load().await[kind]["version"].to_string();
        self.set_enabled(kind, true, &version).await
    }

    /// Saves exactly these fields (no version added).
    pub async fn save_exactly(&self, fields: &[(&str, &str)]) -> (StatusCode, Value) {
        let form: Vec<(String, &str)> = fields.iter().map(|(k, v)| (in_form(k), *v)).collect();
        let form: Vec<(&str, &str)> = form.iter().map(|(k, v)| (k.as_str(), *v)).collect();
        self.server_fn("save_endpoint", &form).await
    }

    /// Clicks **Send test event** with these form fields.
    pub async fn send_test(
        &self,
        fields: &[(&str, &str)],
        sample_event: &str,
    ) -> (StatusCode, Value) {
        let mut form: Vec<(String, &str)> = fields.iter().map(|(k, v)| (in_form(k), *v)).collect();
        form.push(("sample_event".to_owned(), sample_event));
        let form: Vec<(&str, &str)> = form.iter().map(|(k, v)| (k.as_str(), *v)).collect();
        self.server_fn("send_test_event", &form).await
    }

    pub async fn send_again(&self, id: i64) -> (StatusCode, Value) {
        self.server_fn("send_test_event_again", &[("id", &id.to_string())])
            .await
    }
}

/// A form field's name as a server function's `form` argument: `url` is
/// `form[url]`, a header row's `headers[0][name]` is
/// `form[headers][0][name]`.
fn in_form(field: &str) -> String {
    match field.split_once('[') {
        Some((outer, rest)) => format!("form[{outer}][{rest}"),
        None => format!("form[{field}]"),
    }
}

pub fn session_cookie(response: &Response) -> Option<String> {
    response
        .headers()
        .get_all(header::SET_COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .find(|v| v.starts_with("eventurl_session="))
        .map(str::to_owned)
}

/// The nonce a Content-Security-Policy allows scripts with.
pub fn csp_nonce(policy: &str) -> String {
    policy
        .split("'nonce-")
        .nth(1)
        .and_then(|rest| rest.split('\'').next())
        .expect("a nonce in the policy")
        .to_owned()
}
