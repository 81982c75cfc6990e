//! The database under test: a fresh SQLite file per test by default, or a
//! fresh PostgreSQL database per test when `EVENTURL_TEST_DATABASE=postgres`
//! (`scripts/test` runs the suite both ways). PostgreSQL is reached at
//! `TEST_DATABASE_URL` (a maintenance database such as `postgres`, on a
//! server where this user may create databases).

use std::{collections::HashSet, path::Path, process::Command, sync::Mutex};

pub fn on_postgres() -> bool {
    std::env::var("EVENTURL_TEST_DATABASE").is_ok_and(|v| v.eq_ignore_ascii_case("postgres"))
}

/// The server the PostgreSQL tests use.
pub fn postgres_admin_url() -> String {
    std::env::var("TEST_DATABASE_URL")
        .ok()
        .filter(|u| !u.trim().is_empty())
        .unwrap_or_else(|| "postgres://postgres@127.0.0.1:5432/postgres".to_owned())
}

/// Every test database's name starts so; `scripts/test` drops old ones.
pub const PREFIX: &str = "eventurl_test_";

static CREATED: Mutex<Option<HashSet<String>>> = Mutex::new(None);

/// A PostgreSQL database of its own for the test that owns `dir` (the same
/// one on every call with that folder).
pub fn postgres_database_for(dir: &Path) -> String {
    let tag: String = dir
        .file_name()
        .map(|n| n.to_string_lossy().to_lowercase())
        .unwrap_or_default()
        .chars()
        .filter(char::is_ascii_alphanumeric)
        .collect();
    let name = format!("{PREFIX}{}_{tag}", std::process::id());
    let mut created = CREATED.lock().unwrap();
    let created = created.get_or_insert_with(HashSet::new);
    if !created.contains(&name) {
        let out = Command::new("psql")
            .arg(postgres_admin_url())
            .args(["-v", "ON_ERROR_STOP=1", "-q", "-c"])
            .arg(format!("CREATE DATABASE \"{name}\""))
            .output()
            .expect("psql runs (Debian's postgresql-client)");
        assert!(
            out.status.success(),
            "cannot create a test database on {}: {}",
            postgres_admin_url(),
            String::from_utf8_lossy(&out.stderr)
        );
        created.insert(name.clone());
    }
    let mut url = reqwest::Url::parse(&postgres_admin_url()).expect("TEST_DATABASE_URL is a URL");
    url.set_path(&format!("/{name}"));
    url.to_string()
}

/// The database URL for the test that owns `dir`.
pub fn database_url_for(dir: &Path) -> String {
    if on_postgres() {
        postgres_database_for(dir)
    } else {
        format!("sqlite://{}", dir.join("test.db").display())
    }
}

/// Everything the database stores, as bytes: the SQLite file with its WAL,
/// or a data-only `pg_dump`.
pub fn stored_bytes(database_url: &str) -> Vec<u8> {
    if database_url.starts_with("postgres") {
        let out = Command::new("pg_dump")
            .args(["--data-only", "--no-owner"])
            .arg(database_url)
            .output()
            .expect("pg_dump runs");
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
        return out.stdout;
    }
    let path = database_url
        .trim_start_matches("sqlite:")
        .trim_start_matches("//")
        .split('?')
        .next()
        .unwrap_or_default();
    let mut bytes = Vec::new();
    for suffix in ["", "-wal"] {
        if let Ok(file) = std::fs::read(format!("{path}{suffix}")) {
            bytes.extend(file);
        }
    }
    assert!(!bytes.is_empty(), "no database file at {path}");
    bytes
}

/// Whether `secret` appears in `bytes` as text or as hex (PostgreSQL dumps
/// binary columns as hex).
pub fn holds(bytes: &[u8], secret: &str) -> bool {
    let hex: String = secret.bytes().map(|b| format!("{b:02x}")).collect();
    [secret.to_owned(), hex]
        .iter()
        .any(|needle| bytes.windows(needle.len()).any(|w| w == needle.as_bytes()))
}
