//! The operator's commands, run as the real binary.

use std::io::Write;
use std::process::{Command, Stdio};
use std::time::Duration;

/// The real binary with its data folder (and key file) in `dir`, on the
/// suite's database: the default SQLite file there, or a PostgreSQL one.
pub fn binary(dir: &std::path::Path) -> Command {
    let mut command = Command::new(env!("CARGO_BIN_EXE_eventurl"));
    command
        .env_remove("DATABASE_URL")
        .env_remove("EVENTURL_SECRET_KEY")
        .env_remove("RUST_LOG")
        .env("EVENTURL_DATA_DIR", dir);
    if crate::database::on_postgres() {
        command.env("DATABASE_URL", crate::database::postgres_database_for(dir));
    }
    command
}

/// The real binary run with `args`, `stdin` typed in: its output.
pub(crate) fn eventurl(dir: &std::path::Path, args: &[&str], stdin: &str) -> std::process::Output {
    let mut child = binary(dir)
        .args(args)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("binary runs");
    child
        .stdin
        .take()
        .unwrap()
        .write_all(stdin.as_bytes())
        .unwrap();
    child.wait_with_output().unwrap()
}

/// `eventurl admin create` of `username` in `tenant`, typing `password`.
fn create_admin(
    dir: &std::path::Path,
    tenant: &str,
    username: &str,
    password: &str,
) -> std::process::Output {
    let args = [
        "admin",
        "create",
        "--tenant",
        tenant,
        "--username",
        username,
    ];
    eventurl(dir, &args, &format!("{password}\n"))
}

#[test]
fn tenant_and_admin_are_created_from_the_command_line() {
    let dir = tempfile::tempdir().unwrap();
    let out = eventurl(dir.path(), &["tenant", "create", "--name", "Acme"], "");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(String::from_utf8_lossy(&out.stdout).contains("Created tenant \"Acme\""));
    // Stored where DATABASE_URL says, or by default in the data folder.
    let (where_, url) = if crate::database::on_postgres() {
        (
            "PostgreSQL",
            crate::database::postgres_database_for(dir.path()),
        )
    } else {
        let file = dir.path().join("eventurl.db");
        assert!(file.exists(), "default SQLite file in the data folder");
        ("the SQLite file", format!("sqlite://{}", file.display()))
    };
    assert!(
        crate::database::holds(&crate::database::stored_bytes(&url), "Acme"),
        "the tenant is in {where_}"
    );

    let out = create_admin(dir.path(), "Acme", "alice", "correct horse battery staple");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );

    let dup = eventurl(dir.path(), &["tenant", "create", "--name", "Acme"], "");
    assert!(!dup.status.success());
    assert!(String::from_utf8_lossy(&dup.stderr).contains("already exists"));

    let weak = create_admin(dir.path(), "Acme", "bob", "short");
    assert!(!weak.status.success());
    assert!(String::from_utf8_lossy(&weak.stderr).contains("12 to 128 characters"));

    let nowhere = create_admin(dir.path(), "Nope", "carol", "correct horse battery staple");
    assert!(String::from_utf8_lossy(&nowhere.stderr).contains("no tenant is named"));
}

#[test]
fn help_explains_every_subcommand_and_setting() {
    let dir = tempfile::tempdir().unwrap();
    let out = eventurl(dir.path(), &["--help"], "");
    let help = String::from_utf8_lossy(&out.stdout);
    for word in [
        "serve",
        "tenant",
        "admin",
        "DATABASE_URL",
        "LEPTOS_SITE_ADDR",
        "EVENTURL_SECRET_KEY",
        "EVENTURL_DATA_DIR",
        "EVENTURL_SECURE_COOKIE",
        "EVENTURL_SESSION_IDLE_MINUTES",
    ] {
        assert!(help.contains(word), "--help should mention {word}");
    }
}

#[test]
fn a_bad_setting_stops_the_server_naming_it() {
    let dir = tempfile::tempdir().unwrap();
    let out = Command::new(env!("CARGO_BIN_EXE_eventurl"))
        .env("LEPTOS_SITE_ADDR", "not-an-address")
        .env("EVENTURL_DATA_DIR", dir.path())
        .output()
        .unwrap();
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("LEPTOS_SITE_ADDR"));
}

#[tokio::test]
async fn no_secret_reaches_the_log_even_at_debug_level() {
    let dir = tempfile::tempdir().unwrap();
    let out = eventurl(dir.path(), &["tenant", "create", "--name", "Acme"], "");
    assert!(out.status.success());
    let login_password = "login-Pw-4f9a2c-secret";
    let out = create_admin(dir.path(), "Acme", "alice", login_password);
    assert!(out.status.success());

    let mut command = binary(dir.path());
    command
        .args(["serve", "--site-addr", "127.0.0.1:0"])
        .env("RUST_LOG", "debug")
        .env("EVENTURL_ALLOW_PRIVATE_TARGETS", "127.0.0.0/8");
    let server = crate::process::Running::start(command);
    let addr = server.addr.clone();

    let client = reqwest::Client::builder()
        .cookie_store(true)
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap();
    let base = format!("http://{addr}");
    let signed_in = client
        .post(format!("{base}/login"))
        .form(&[("username", "alice"), ("password", login_password)])
        .send()
        .await
        .unwrap();
    assert_eq!(signed_in.status(), reqwest::StatusCode::SEE_OTHER);
    // The receiver URL the stored Digest password is saved for (a stored
    // secret goes only to the URL it was saved for).
    let receiver = crate::receivers::Receiver::start().await;
    let saved_url = receiver.url("/digest-stale");
    for (kind, method, field, secret) in [
        ("cdr", "digest", "form[password]", "digest-Pw-77c1e0-secret"),
        (
            "extension",
            "bearer",
            "form[token]",
            "bearer-Tk-0b3d5e-secret",
        ),
    ] {
        let saved = client
            .post(format!("{base}/rpc/save_endpoint"))
            .form(&[
                ("form[kind]", kind),
                ("form[auth_method]", method),
                ("form[url]", saved_url.as_str()),
                ("form[username]", "pbx"),
                (field, secret),
                ("form[enabled]", "on"),
                ("form[version]", "1"),
            ])
            .send()
            .await
            .unwrap();
        assert_eq!(saved.status(), reqwest::StatusCode::OK);
    }
    // A refused save with a secret in it is logged too, without the secret.
    let _ = client
        .post(format!("{base}/rpc/save_endpoint"))
        .form(&[
            ("form[kind]", "cdr"),
            ("form[auth_method]", "bearer"),
            ("form[url]", "ftp://x"),
            ("form[token]", "refused-Tk-secret"),
            ("form[version]", "2"),
        ])
        .send()
        .await
        .unwrap();

    // Test sends, with a typed token and with the stored Digest password,
    // through reqwest and hyper logging at debug level.
    for (kind, method, path, field, secret) in [
        (
            "cdr",
            "bearer",
            "/bearer",
            "form[token]",
            "typed-Tk-9e8d7c-secret",
        ),
        ("cdr", "digest", "/digest-stale", "form[password]", ""),
    ] {
        let url = receiver.url(path);
        let sent = client
            .post(format!("{base}/rpc/send_test_event"))
            .form(&[
                ("form[kind]", kind),
                ("form[auth_method]", method),
                ("form[url]", url.as_str()),
                ("form[username]", "pbx"),
                (field, secret),
                ("sample_event", "call_cdr"),
            ])
            .send()
            .await
            .unwrap();
        assert_eq!(sent.status(), reqwest::StatusCode::OK);
    }
    assert_eq!(receiver.seen().len(), 1 + 3, "both test sends arrived");

    let log = server.stop();
    assert!(
        log.contains("endpoint saved") && log.contains("test event sent"),
        "the log does record saves and test sends: {log}"
    );
    for secret in [
        login_password,
        "digest-Pw-77c1e0-secret",
        "bearer-Tk-0b3d5e-secret",
        "refused-Tk-secret",
        "typed-Tk-9e8d7c-secret",
    ] {
        assert!(!log.contains(secret), "secret {secret} in the log:\n{log}");
    }
    let session = log.contains("eventurl_session=");
    assert!(!session, "a session id in the log");
}

#[tokio::test]
async fn json_logs_carry_the_request_id_on_every_line_of_a_request() {
    let dir = tempfile::tempdir().unwrap();
    let mut command = binary(dir.path());
    command
        .args(["serve", "--site-addr", "127.0.0.1:0"])
        .env("EVENTURL_LOG_FORMAT", "json");
    let server = crate::process::Running::start(command);
    let client = reqwest::Client::new();
    let response = client
        .post(server.url("/login"))
        .header("x-request-id", "req-from-proxy-42")
        .form(&[("username", "nobody"), ("password", "wrong")])
        .send()
        .await
        .unwrap();
    assert_eq!(response.headers()["x-request-id"], "req-from-proxy-42");
    // Without one, the server makes one up and says it.
    let fresh = client.get(server.url("/healthz")).send().await.unwrap();
    let made_up = fresh.headers()["x-request-id"].to_str().unwrap().to_owned();
    assert_eq!(made_up.len(), 36, "a UUID: {made_up}");
    // A client's id that is not a plain token of 1 to 64 characters is
    // replaced by one of the server's own (and never reaches the log).
    for unfit in ["forged\" level=\"ERROR", &"y".repeat(65)] {
        let response = client
            .get(server.url("/healthz"))
            .header("x-request-id", unfit)
            .send()
            .await
            .unwrap();
        let id = response.headers()["x-request-id"]
            .to_str()
            .unwrap()
            .to_owned();
        assert_eq!(id.len(), 36, "a UUID instead of {unfit:?}: {id}");
    }

    let log = server.stop();
    assert!(!log.contains("forged"), "{log}");
    assert!(!log.contains(&"y".repeat(65)), "{log}");
    let lines: Vec<serde_json::Value> = log
        .lines()
        .map(|line| serde_json::from_str(line).unwrap_or_else(|_| panic!("not JSON: {line}")))
        .collect();
    let of_request: Vec<&serde_json::Value> = lines
        .iter()
        .filter(|l| l["span"]["id"] == "req-from-proxy-42")
        .collect();
    let messages: Vec<&str> = of_request
        .iter()
        .filter_map(|l| l["fields"]["message"].as_str())
        .collect();
    assert!(
        messages.iter().any(|m| m.contains("sign-in refused")),
        "{messages:?}\n{log}"
    );
    assert!(
        messages
            .iter()
            .any(|m| m.contains("finished processing request")),
        "{messages:?}"
    );
    assert!(lines.iter().any(|l| l["span"]["id"] == made_up.as_str()));
}

#[tokio::test]
async fn sigterm_finishes_requests_in_flight_within_the_grace_period() {
    let receiver = crate::receivers::Receiver::start().await;
    let dir = tempfile::tempdir().unwrap();
    let out = eventurl(dir.path(), &["tenant", "create", "--name", "Acme"], "");
    assert!(out.status.success());
    let out = create_admin(dir.path(), "Acme", "alice", "correct horse battery staple");
    assert!(out.status.success());

    // Idle: stops at once, cleanly.
    let mut command = binary(dir.path());
    command.args(["serve", "--site-addr", "127.0.0.1:0"]);
    let (status, took, log) = crate::process::Running::start(command).terminate();
    assert!(status.success(), "{log}");
    assert!(took < Duration::from_secs(2), "{took:?}");
    assert!(log.contains("eventurl stopped"), "{log}");

    // Busy with a 15 s test send: waits the 2 s grace, then stops anyway.
    let mut command = binary(dir.path());
    command
        .args(["serve", "--site-addr", "127.0.0.1:0"])
        .env("EVENTURL_SHUTDOWN_GRACE_SECS", "2")
        .env("EVENTURL_ALLOW_PRIVATE_TARGETS", "127.0.0.0/8");
    let server = crate::process::Running::start(command);
    let client = reqwest::Client::builder()
        .cookie_store(true)
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap();
    client
        .post(server.url("/login"))
        .form(&[
            ("username", "alice"),
            ("password", "correct horse battery staple"),
        ])
        .send()
        .await
        .unwrap();
    let slow = receiver.url("/slow");
    let in_flight = tokio::spawn(
        client
            .post(server.url("/rpc/send_test_event"))
            .form(&[
                ("form[kind]", "cdr"),
                ("form[auth_method]", "disable"),
                ("form[url]", slow.as_str()),
                ("sample_event", "call_cdr"),
            ])
            .send(),
    );
    tokio::time::sleep(Duration::from_millis(500)).await;
    let (status, took, log) = tokio::task::spawn_blocking(move || server.terminate())
        .await
        .unwrap();
    assert!(status.success(), "{log}");
    assert!(
        took >= Duration::from_millis(1500) && took < Duration::from_secs(8),
        "{took:?}"
    );
    assert!(log.contains("stopping anyway"), "{log}");
    assert!(in_flight.await.unwrap().is_err(), "the cut request fails");
}

/// The operator's side of ingest: tenant ids, and keys created (printed
/// once, stored hashed), listed and revoked.
#[test]
fn ingest_keys_and_tenant_ids_from_the_command_line() {
    let dir = tempfile::tempdir().unwrap();
    let run = |args: &[&str]| {
        let out = eventurl(dir.path(), args, "");
        (
            out.status.success(),
            String::from_utf8_lossy(&out.stdout).into_owned(),
            String::from_utf8_lossy(&out.stderr).into_owned(),
        )
    };
    assert!(run(&["tenant", "create", "--name", "Acme"]).0);
    assert!(run(&["tenant", "create", "--name", "Globex"]).0);
    let (ok, listed, _) = run(&["tenant", "list"]);
    assert!(ok);
    let lines: Vec<&str> = listed.lines().collect();
    assert_eq!(lines[0], "ID\tNAME");
    assert!(
        lines[1].ends_with("\tAcme") && lines[2].ends_with("\tGlobex"),
        "{listed}"
    );

    // A key says which tenants it may post for: neither is refused, both too.
    let (ok, _, told) = run(&["ingest-key", "create", "--name", "pbx-0"]);
    assert!(
        !ok && told.contains("--tenant NAME (repeatable) or --all-tenants"),
        "{told}"
    );
    let (ok, _, told) = run(&[
        "ingest-key",
        "create",
        "--name",
        "pbx-0",
        "--tenant",
        "Acme",
        "--all-tenants",
    ]);
    assert!(!ok && told.contains("cannot be used with"), "{told}");
    let (ok, _, told) = run(&[
        "ingest-key",
        "create",
        "--name",
        "pbx-0",
        "--tenant",
        "Initech",
    ]);
    assert!(
        !ok && told.contains("No tenant is named \"Initech\""),
        "{told}"
    );
    let (ok, _, told) = run(&["ingest-key", "create", "--name", "pbx-all", "--all-tenants"]);
    assert!(ok && told.contains("for every tenant"), "{told}");
    let (ok, key, told) = run(&[
        "ingest-key",
        "create",
        "--name",
        "pbx-1",
        "--tenant",
        "Globex",
        "--tenant",
        "Acme",
    ]);
    assert!(ok && told.contains("for Globex, Acme"), "{told}");
    let key = key.trim();
    assert!(key.starts_with("eui_") && key.len() > 40, "{key}");
    assert!(told.contains("shown only now"), "{told}");
    let stored = if crate::database::on_postgres() {
        crate::database::stored_bytes(&crate::database::postgres_database_for(dir.path()))
    } else {
        crate::database::stored_bytes(&format!(
            "sqlite://{}",
            dir.path().join("eventurl.db").display()
        ))
    };
    assert!(
        !crate::database::holds(&stored, key),
        "only a hash is stored"
    );

    let (ok, _, told) = run(&["ingest-key", "create", "--name", "pbx-1", "--all-tenants"]);
    assert!(!ok && told.contains("exists already"), "{told}");
    let (ok, _, told) = run(&[
        "ingest-key",
        "create",
        "--name",
        "no spaces",
        "--all-tenants",
    ]);
    assert!(!ok && told.contains("key name"), "{told}");

    let (_, listed, _) = run(&["ingest-key", "list"]);
    assert!(listed.starts_with("NAME\tTENANTS\t"), "{listed}");
    assert!(listed.contains("pbx-1\tAcme,Globex\t"), "{listed}");
    assert!(listed.contains("pbx-all\t(all)\t"), "{listed}");
    assert!(
        !listed.contains("pbx-0"),
        "refused keys are not made: {listed}"
    );
    assert!(!listed.contains(key));
    let (ok, said, _) = run(&["ingest-key", "revoke", "--name", "pbx-1"]);
    assert!(ok && said.contains("Revoked"), "{said}");
    let (_, listed, _) = run(&["ingest-key", "list"]);
    let row = listed.lines().find(|l| l.starts_with("pbx-1\t")).unwrap();
    assert!(!row.ends_with("\t-"), "revoked shows when: {row}");
    let (ok, _, told) = run(&["ingest-key", "revoke", "--name", "pbx-1"]);
    assert!(!ok && told.contains("No live key is named"), "{told}");
}
