//! PostgreSQL in production shape, whatever database the rest of the suite
//! runs on: outages while running, a late database at start, and two
//! instances sharing one database.

use crate::{
    cli::binary,
    database::{postgres_admin_url, postgres_database_for},
    helpers::*,
    process::{Proxy, Running},
};
use reqwest::StatusCode;
use std::{net::SocketAddr, time::Duration};

/// The PostgreSQL server's address, from `TEST_DATABASE_URL`.
async fn postgres_addr() -> SocketAddr {
    let url = reqwest::Url::parse(&postgres_admin_url()).unwrap();
    let host = url.host_str().unwrap_or("127.0.0.1").to_owned();
    let port = url.port().unwrap_or(5432);
    tokio::net::lookup_host((host, port))
        .await
        .unwrap()
        .next()
        .unwrap()
}

/// `database_url` with its host and port replaced by the proxy's.
fn through(proxy: &Proxy, database_url: &str) -> String {
    let mut url = reqwest::Url::parse(database_url).unwrap();
    url.set_host(Some("127.0.0.1")).unwrap();
    url.set_port(Some(proxy.port)).unwrap();
    url.to_string()
}

/// The suite's configuration for `dir`, its database reached through
/// `proxy`.
fn config_through(proxy: &Proxy, dir: &tempfile::TempDir) -> server::Config {
    let mut config = test_config(dir);
    config.database_url = Some(through(proxy, &postgres_database_for(dir.path())));
    config
}

async fn wait_ready(browser: &Browser) {
    for _ in 0..100 {
        if browser.get("/readyz").await.status() == StatusCode::OK {
            return;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    panic!("not ready again within 10 s");
}

#[tokio::test]
async fn a_lost_database_gives_clear_errors_and_recovers_without_a_restart() {
    let proxy = Proxy::start(postgres_addr().await).await;
    let dir = tempfile::tempdir().unwrap();
    let config = config_through(&proxy, &dir);
    let app = spawn_with(dir, config).await;
    app.create_tenant_with_admin("Acme", "alice").await;
    let browser = Browser::signed_in(&app, "alice").await;
    assert_eq!(browser.get("/readyz").await.status(), StatusCode::OK);

    proxy.set_up(false);
    let (status, error) = browser.server_fn("load_event_url", &[]).await;
    assert_eq!(status, StatusCode::SERVICE_UNAVAILABLE, "{error}");
    assert_eq!(error, "Unavailable");
    let (status, error) = browser
        .save_exactly(&fields("cdr", "disable", "", &[("version", "1")]))
        .await;
    assert_eq!(status, StatusCode::SERVICE_UNAVAILABLE);
    assert_eq!(error, "Unavailable");
    let page = browser.get("/company/event-url").await;
    assert_eq!(page.status(), StatusCode::SERVICE_UNAVAILABLE);
    assert!(page
        .text()
        .await
        .unwrap()
        .contains("cannot reach its database right now"));
    let ready = browser.get("/readyz").await;
    assert_eq!(ready.status(), StatusCode::SERVICE_UNAVAILABLE);
    assert_eq!(ready.text().await.unwrap(), "database unreachable");
    assert_eq!(browser.get("/healthz").await.status(), StatusCode::OK);

    // Back, and the same server (and session) carries on.
    proxy.set_up(true);
    wait_ready(&browser).await;
    browser
        .save_plain("cdr", "https://receiver.example/after", false)
        .await;
    assert_eq!(
        browser.load().await["cdr"]["url"],
        "https://receiver.example/after"
    );
}

#[tokio::test]
async fn a_database_that_comes_up_late_is_waited_for_then_given_up_on() {
    let proxy = Proxy::start(postgres_addr().await).await;
    let dir = tempfile::tempdir().unwrap();
    let mut config = config_through(&proxy, &dir);

    // Down at start, up a second later: the server starts.
    proxy.set_up(false);
    let starting = tokio::spawn(server::prepare(config.clone()));
    tokio::time::sleep(Duration::from_millis(1200)).await;
    proxy.set_up(true);
    let prepared = tokio::time::timeout(Duration::from_secs(15), starting)
        .await
        .expect("start finishes")
        .unwrap();
    assert!(prepared.is_ok(), "{:#}", prepared.err().unwrap());

    // Down for good: a clear error once the start budget is spent.
    proxy.set_up(false);
    config.db_start_timeout_secs = 2;
    let began = std::time::Instant::now();
    let error = server::prepare(config).await.err().expect("start fails");
    let waited = began.elapsed();
    let message = format!("{error:#}");
    assert!(
        message.contains("DATABASE_URL: cannot open the database"),
        "{message}"
    );
    assert!(
        message.contains("EVENTURL_DB_START_TIMEOUT_SECS"),
        "{message}"
    );
    assert!(!message.contains(":***@") || !message.contains("password"));
    assert!(
        waited >= Duration::from_millis(1500) && waited < Duration::from_secs(12),
        "gave up after {waited:?}"
    );
}

#[tokio::test]
async fn two_instances_share_sessions_and_data_through_one_database() {
    let dir = tempfile::tempdir().unwrap();
    let database_url = postgres_database_for(dir.path());
    let key = new_secret_key();
    let instance = |tag: &str| {
        let mut command = binary(&dir.path().join(tag));
        command
            .args(["serve", "--site-addr", "127.0.0.1:0"])
            .env("DATABASE_URL", &database_url)
            .env("EVENTURL_SECRET_KEY", &key);
        command
    };
    let first = Running::start(instance("a"));
    let second = Running::start(instance("b"));
    assert_ne!(first.addr, second.addr);

    let mut create = binary(&dir.path().join("cli"));
    create
        .env("DATABASE_URL", &database_url)
        .env("EVENTURL_SECRET_KEY", &key)
        .args(["tenant", "create", "--name", "Acme"]);
    assert!(create.status().unwrap().success());
    let mut admin = binary(&dir.path().join("cli"));
    admin
        .env("DATABASE_URL", &database_url)
        .env("EVENTURL_SECRET_KEY", &key)
        .args(["admin", "create", "--tenant", "Acme", "--username", "alice"])
        .stdin(std::process::Stdio::piped());
    let mut child = admin.spawn().unwrap();
    {
        use std::io::Write;
        let mut stdin = child.stdin.take().unwrap();
        writeln!(stdin, "{PASSWORD}").unwrap();
    }
    assert!(child.wait().unwrap().success());

    // One browser: its cookie goes to both (cookies do not tell ports apart,
    // just as behind a load balancer).
    let client = reqwest::Client::builder()
        .cookie_store(true)
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap();
    let signed_in = client
        .post(first.url("/login"))
        .form(&[("username", "alice"), ("password", PASSWORD)])
        .send()
        .await
        .unwrap();
    assert_eq!(signed_in.status(), StatusCode::SEE_OTHER);
    let cookie = cookie_pair(&session_cookie(&signed_in).unwrap());

    // The session started on the first is valid on the second.
    let page = client
        .get(second.url("/company/event-url"))
        .send()
        .await
        .unwrap();
    assert_eq!(page.status(), StatusCode::OK);

    // Saved through the first (with a secret), read through the second.
    let saved = client
        .post(first.url("/rpc/save_endpoint"))
        .header("origin", format!("http://{}", first.addr))
        .form(&[
            ("form[kind]", "extension"),
            ("form[auth_method]", "bearer"),
            ("form[url]", "https://receiver.example/shared"),
            ("form[token]", "shared-Token-1"),
            ("form[enabled]", "on"),
            ("form[version]", "1"),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(saved.status(), StatusCode::OK);
    // The second shows the save at once.
    let loaded: serde_json::Value = client
        .post(second.url("/rpc/load_event_url"))
        .header("origin", format!("http://{}", second.addr))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(
        loaded["extension"]["url"],
        "https://receiver.example/shared"
    );
    assert_eq!(loaded["extension"]["secret"]["kind"], "token");

    // Signed out on the second: gone on the first too, at once (the old
    // cookie replayed there, as a thief would).
    let out = client
        .post(second.url("/logout"))
        .header("origin", format!("http://{}", second.addr))
        .send()
        .await
        .unwrap();
    assert_eq!(out.status(), StatusCode::SEE_OTHER);
    let replay = replayed(&first.url("/company/event-url"), &cookie).await;
    assert_eq!(replay, StatusCode::SEE_OTHER);
    drop(first);
    drop(second);
}

#[tokio::test]
async fn an_instance_with_another_key_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    let database_url = postgres_database_for(dir.path());
    let mut first = test_config(&dir);
    first.database_url = Some(database_url.clone());
    first.secret_key = Some(new_secret_key());
    server::prepare(first.clone())
        .await
        .expect("first instance starts");
    let mut other = first;
    other.secret_key = Some(new_secret_key());
    let message = format!("{:#}", server::prepare(other).await.err().expect("refused"));
    assert!(message.contains("EVENTURL_SECRET_KEY"), "{message}");
}

/// Two `serve` instances and one `eventurl deliver` on one PostgreSQL share
/// a load: every event handed in to either is delivered, none twice
/// (claims skip rows another instance holds: `FOR UPDATE SKIP LOCKED`).
#[tokio::test]
async fn instances_share_deliveries_and_none_is_delivered_twice() {
    let dir = tempfile::tempdir().unwrap();
    let database_url = postgres_database_for(dir.path());
    let key = new_secret_key();
    let receiver = crate::receivers::Receiver::start().await;
    let process = |tag: &str, args: &[&str]| {
        let mut command = binary(&dir.path().join(tag));
        command
            .args(args)
            .env("DATABASE_URL", &database_url)
            .env("EVENTURL_SECRET_KEY", &key)
            .env("RUST_LOG", "warn,app::delivery=info,server=info")
            .env("EVENTURL_ALLOW_PRIVATE_TARGETS", "127.0.0.0/8");
        command
    };
    let first = Running::start(process("a", &["serve", "--site-addr", "127.0.0.1:0"]));
    let second = Running::start(process("b", &["serve", "--site-addr", "127.0.0.1:0"]));
    let mut deliverer = process("c", &["deliver"])
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .spawn()
        .unwrap();

    let db = sea_orm::Database::connect(&database_url).await.unwrap();
    let cipher = app::persistence::crypto::SecretCipher::from_base64(&secrecy::SecretString::from(
        key.clone(),
    ))
    .unwrap();
    let (tenant, ingest_key) =
        crate::pbx::tenant_delivering_to(&db, &cipher, &receiver.url("/ok")).await;
    let client = reqwest::Client::new();
    let mut expected = std::collections::BTreeSet::new();
    for n in 0..20 {
        let base = if n % 2 == 0 {
            first.url("")
        } else {
            second.url("")
        };
        let batch: Vec<serde_json::Value> = (0..100)
            .map(|i| {
                let id = format!("e-{n}-{i}");
                expected.insert(id.clone());
                let kind = if i % 2 == 0 {
                    "call_cdr"
                } else {
                    "extension_call"
                };
                serde_json::json!({"event_type": kind, "event_id": id})
            })
            .collect();
        let answer = client
            .post(format!("{base}/ingest/v1/tenants/{tenant}/events"))
            .bearer_auth(&ingest_key)
            .json(&batch)
            .send()
            .await
            .unwrap();
        assert_eq!(answer.status(), StatusCode::ACCEPTED);
    }
    let started = std::time::Instant::now();
    while receiver.seen().len() < expected.len() {
        assert!(
            started.elapsed() < Duration::from_secs(60),
            "{} of {} delivered",
            receiver.seen().len(),
            expected.len()
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    tokio::time::sleep(Duration::from_millis(500)).await;
    let delivered: Vec<String> = receiver
        .seen()
        .iter()
        .map(|s| s.headers["webhook-id"].to_str().unwrap().to_owned())
        .collect();
    let unique: std::collections::BTreeSet<String> = delivered.iter().cloned().collect();
    assert_eq!(unique, expected, "every event delivered");
    assert_eq!(delivered.len(), expected.len(), "none delivered twice");

    let _ = std::process::Command::new("kill")
        .args(["-TERM", &deliverer.id().to_string()])
        .status();
    let exit = deliverer.wait().unwrap();
    assert!(
        exit.success(),
        "`eventurl deliver` stops cleanly on SIGTERM"
    );
    let attempts = |log: &str| log.matches("delivery attempt").count();
    let (a, b) = (attempts(&first.stop()), attempts(&second.stop()));
    println!("attempts by instance: serve a {a}, serve b {b}, deliver (rest)");
    assert!(a + b <= expected.len());
}

/// The database goes away in the middle of a load (every connection cut,
/// new ones refused) and comes back: hand-ins meanwhile are refused (503),
/// and every event that was answered 202 is delivered afterwards.
#[tokio::test]
async fn a_database_outage_during_a_load_loses_no_accepted_event() {
    let proxy = Proxy::start(postgres_addr().await).await;
    let dir = tempfile::tempdir().unwrap();
    let direct_url = postgres_database_for(dir.path());
    let mut config = test_config(&dir);
    config.database_url = Some(through(&proxy, &direct_url));
    config.allow_private_targets = "127.0.0.0/8".into();
    let app = spawn_with(dir, config).await;
    let receiver = crate::receivers::Receiver::start().await;
    let db = sea_orm::Database::connect(&direct_url).await.unwrap();
    let cipher = server::load_cipher(&app.config).unwrap();
    let (tenant, key) = crate::pbx::tenant_delivering_to(&db, &cipher, &receiver.url("/ok")).await;
    let client = reqwest::Client::new();
    let url = app.url(&format!("/ingest/v1/tenants/{tenant}/events"));

    let mut accepted = std::collections::BTreeSet::new();
    let mut refused = 0;
    let started = std::time::Instant::now();
    let mut cut = false;
    let mut restored = false;
    for n in 0.. {
        let elapsed = started.elapsed();
        if !cut && elapsed > Duration::from_millis(800) {
            proxy.set_up(false);
            cut = true;
        }
        if cut && !restored && elapsed > Duration::from_millis(2500) {
            proxy.set_up(true);
            restored = true;
        }
        if elapsed > Duration::from_secs(4) {
            break;
        }
        let batch: Vec<serde_json::Value> = (0..20)
            .map(
                |i| serde_json::json!({"event_type": "call_cdr", "event_id": format!("o-{n}-{i}")}),
            )
            .collect();
        let answer = client
            .post(&url)
            .bearer_auth(&key)
            .json(&batch)
            .timeout(Duration::from_secs(5))
            .send()
            .await;
        match answer {
            Ok(r) if r.status() == StatusCode::ACCEPTED => {
                let body: serde_json::Value = r.json().await.unwrap();
                for id in body["ids"].as_array().unwrap() {
                    accepted.insert(id.as_str().unwrap().to_owned());
                }
            }
            Ok(r) => {
                assert!(r.status().is_server_error(), "{}", r.status());
                refused += 1;
            }
            Err(_) => refused += 1,
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    assert!(refused > 0, "the outage refused hand-ins");
    assert!(accepted.len() >= 200, "{}", accepted.len());
    let delivered = || {
        receiver
            .seen()
            .iter()
            .map(|s| s.headers["webhook-id"].to_str().unwrap().to_owned())
            .collect()
    };
    crate::pbx::wait_all_delivered(&accepted, delivered).await;
    println!(
        "outage: {} accepted, all delivered; {refused} hand-ins refused while the database was away",
        accepted.len()
    );
}
