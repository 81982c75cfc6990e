use reqwest::{header, redirect::Policy, Client, Response, StatusCode};
use secrecy::ExposeSecret;
use serde_json::Value;
use server::Config;
use std::net::SocketAddr;
use tempfile::TempDir;

pub const PASSWORD: &str = "correct horse battery staple";

pub struct TestApp {
    pub addr: SocketAddr,
    pub setup_token: Option<String>,
    /// Holds the data folder (key file, SQLite file) for the test's life.
    pub _dir: TempDir,
    pub config: Config,
}

pub fn test_config(dir: &TempDir) -> Config {
    Config {
        database_url: Some(crate::database::database_url_for(dir.path())),
        site_addr: "127.0.0.1:0".parse().expect("valid address"),
        data_dir: dir.path().to_path_buf(),
        secret_key: Some(
            app::persistence::crypto::SecretCipher::generate_key()
                .expose_secret()
                .to_owned(),
        ),
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
        client_ip_header: None,
        log_format: server::config::LogFormat::Human,
        shutdown_grace_secs: 2,
        retry_schedule: "200ms,200ms,200ms".parse().expect("a schedule"),
        max_in_flight_per_endpoint: 8,
        delivery_retention_days: 7,
        auto_pause_after: 50,
        failing_after: 5,
        delivery_lease_secs: 11,
        no_deliver: false,
        metrics_token: None,
        smtp_url: None,
        smtp_from: "eventurl <eventurl@example.test>".into(),
    }
}

pub async fn spawn_app() -> TestApp {
    let dir = tempfile::tempdir().expect("temp dir");
    let config = test_config(&dir);
    spawn_with(dir, config).await
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
        app::accounts::create_admin(
            &db,
            tenant,
            app::accounts::NewAdmin {
                username: username.into(),
                password: PASSWORD.to_owned().into(),
                role,
            },
        )
        .await
        .expect("member created");
    }

    pub async fn create_tenant_with_admin(&self, tenant: &str, username: &str) {
        let db = server::connect(&self.config).await.expect("db");
        app::accounts::create_tenant(
            &db,
            app::accounts::NewTenant {
                name: tenant.into(),
            },
        )
        .await
        .expect("tenant created");
        app::accounts::create_admin(
            &db,
            tenant,
            app::accounts::NewAdmin {
                username: username.into(),
                password: PASSWORD.to_owned().into(),
                role: app::domain::Role::Administrator,
            },
        )
        .await
        .expect("admin created");
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
            .expect("request sent")
    }

    pub async fn post_form(&self, path: &str, form: &[(&str, &str)]) -> Response {
        self.client
            .post(format!("{}{}", self.base, path))
            .header(header::ORIGIN, &self.base)
            .header(header::ACCEPT, "text/html")
            .form(form)
            .send()
            .await
            .expect("request sent")
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
        let browser = app.browser();
        let response = browser.sign_in(username, PASSWORD).await;
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
            .expect("request sent");
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

    /// Saves exactly these fields (no version added).
    pub async fn save_exactly(&self, fields: &[(&str, &str)]) -> (StatusCode, Value) {
        let form: Vec<(String, &str)> = fields
            .iter()
            .map(|(k, v)| (format!("form[{k}]"), *v))
            .collect();
        let form: Vec<(&str, &str)> = form.iter().map(|(k, v)| (k.as_str(), *v)).collect();
        self.server_fn("save_endpoint", &form).await
    }

    /// Clicks **Send test event** with these form fields.
    pub async fn send_test(
        &self,
        fields: &[(&str, &str)],
        sample_event: &str,
    ) -> (StatusCode, Value) {
        let mut form: Vec<(String, &str)> = fields
            .iter()
            .map(|(k, v)| (format!("form[{k}]"), *v))
            .collect();
        form.push(("sample_event".to_owned(), sample_event));
        let form: Vec<(&str, &str)> = form.iter().map(|(k, v)| (k.as_str(), *v)).collect();
        self.server_fn("send_test_event", &form).await
    }

    pub async fn send_again(&self, id: i64) -> (StatusCode, Value) {
        self.server_fn("send_test_event_again", &[("id", &id.to_string())])
            .await
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
