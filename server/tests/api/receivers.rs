//! Real HTTP receivers for test sends: a small axum server whose paths
//! answer the ways receivers do, and Apache httpd with mod_auth_digest and
//! mod_auth_basic (a Digest implementation this project did not write).

use axum::{
    body::Bytes,
    extract::State,
    http::{HeaderMap, StatusCode, Uri},
    response::{IntoResponse, Response},
    routing::post,
    Router,
};
use md5::{Digest, Md5};
use std::{
    net::{SocketAddr, TcpListener as StdListener},
    process::{Child, Command, Stdio},
    sync::{Arc, Mutex},
    time::Duration,
};
use tempfile::TempDir;

/// One request as the receiver saw it.
#[derive(Clone, Debug)]
pub struct Seen {
    pub path: String,
    pub headers: HeaderMap,
    pub body: String,
}

#[derive(Clone)]
struct Shared {
    seen: Arc<Mutex<Vec<Seen>>>,
    bearer: String,
}

pub struct Receiver {
    pub addr: SocketAddr,
    seen: Arc<Mutex<Vec<Seen>>>,
}

pub const BEARER_TOKEN: &str = "receiver-token-Zm9vYmFy";

impl Receiver {
    /// Paths: `/ok` 200, `/no-content` 204, `/missing` 404, `/boom` 500,
    /// `/moved` 302 to `/ok`, `/slow` answers after 15 s, `/bearer` 200 only
    /// with `BEARER_TOKEN`, `/flaky` 500 to an event id's first two tries
    /// then 200, `/busy` 503 with `Retry-After: 1`,
    /// `/big` 10 KB of HTML-looking text, `/echo` 200
    /// with the request's headers in its body and `Authorization` in a
    /// header of its own, `/digest-hostile` a 401 whose Digest challenge
    /// has a non-ASCII parameter name (which panicked `digest_auth`).
    pub async fn start() -> Receiver {
        let seen = Arc::new(Mutex::new(Vec::new()));
        let shared = Shared {
            seen: seen.clone(),
            bearer: format!("Bearer {BEARER_TOKEN}"),
        };
        let app = Router::new()
            .route("/{*path}", post(answer))
            .with_state(shared);
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        tokio::spawn(async move {
            let _ = axum::serve(listener, app).await;
        });
        Receiver { addr, seen }
    }

    pub fn url(&self, path: &str) -> String {
        format!("http://{}{path}", self.addr)
    }

    pub fn seen(&self) -> Vec<Seen> {
        self.seen.lock().unwrap().clone()
    }
}

async fn answer(
    State(shared): State<Shared>,
    uri: Uri,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let path = uri.path().to_owned();
    let tries = {
        let mut seen = shared.seen.lock().unwrap();
        seen.push(Seen {
            path: path.clone(),
            headers: headers.clone(),
            body: String::from_utf8_lossy(&body).into_owned(),
        });
        seen.iter()
            .filter(|s| s.path == path && s.headers.get("webhook-id") == headers.get("webhook-id"))
            .count()
    };
    match path.as_str() {
        "/ok" => (StatusCode::OK, "thanks").into_response(),
        // 500 to the first two tries of each event id, then 200.
        "/flaky" if tries < 3 => (StatusCode::INTERNAL_SERVER_ERROR, "not yet").into_response(),
        "/flaky" => (StatusCode::OK, "third time lucky").into_response(),
        "/busy" => (
            StatusCode::SERVICE_UNAVAILABLE,
            [("retry-after", "1")],
            "busy",
        )
            .into_response(),
        "/no-content" => StatusCode::NO_CONTENT.into_response(),
        "/missing" => (StatusCode::NOT_FOUND, "no such hook").into_response(),
        "/boom" => (StatusCode::INTERNAL_SERVER_ERROR, "receiver crashed").into_response(),
        "/moved" => (
            StatusCode::FOUND,
            [("location", "https://hooks.example.net/final")],
        )
            .into_response(),
        "/slow" => {
            tokio::time::sleep(Duration::from_secs(15)).await;
            StatusCode::OK.into_response()
        }
        "/bearer" => {
            let given = headers
                .get("authorization")
                .and_then(|v| v.to_str().ok())
                .unwrap_or_default();
            if given == shared.bearer {
                (StatusCode::OK, "token accepted").into_response()
            } else {
                (
                    StatusCode::UNAUTHORIZED,
                    [("www-authenticate", "Bearer realm=\"hooks\"")],
                    "bad token",
                )
                    .into_response()
            }
        }
        "/digest-stale" => digest_with_stale_nonce(&headers, &body),
        "/echo" => {
            let echoed: String = headers
                .iter()
                .map(|(name, value)| {
                    format!("{name}: {}\n", String::from_utf8_lossy(value.as_bytes()))
                })
                .collect();
            let authorization = headers.get("authorization").cloned();
            let mut response = (StatusCode::OK, echoed).into_response();
            if let Some(value) = authorization {
                response.headers_mut().insert("x-echo-authorization", value);
            }
            response
        }
        "/digest-hostile" => {
            let challenge = axum::http::HeaderValue::from_bytes(
                "Digest r\u{e9}alm=\"x\", nonce=\"abc\", qop=\"auth\"".as_bytes(),
            )
            .unwrap();
            (
                StatusCode::UNAUTHORIZED,
                [(axum::http::header::WWW_AUTHENTICATE, challenge)],
                "who are you",
            )
                .into_response()
        }
        "/big" => {
            let body = "<script>alert(1)</script>".repeat(400);
            (StatusCode::OK, body).into_response()
        }
        _ => StatusCode::IM_A_TEAPOT.into_response(),
    }
}

pub const DIGEST_USER: &str = "pbx";
pub const DIGEST_PASSWORD: &str = "sha-Secret-77";

/// Offers MD5 and SHA-256 challenges; treats nonce `first` as expired
/// (answers `stale=true` with nonce `second`) and accepts only a correct
/// SHA-256 answer to `second`, checked with the digest_auth crate.
fn digest_with_stale_nonce(headers: &HeaderMap, body: &Bytes) -> Response {
    let challenge = |nonce: &str, stale: bool| {
        let stale = if stale { ", stale=true" } else { "" };
        [
            format!(
                r#"Digest realm="hooks", qop="auth", algorithm=MD5, nonce="{nonce}-md5", opaque="op"{stale}"#
            ),
            format!(
                r#"Digest realm="hooks", qop="auth", algorithm=SHA-256, nonce="{nonce}", opaque="op"{stale}"#
            ),
        ]
    };
    let unauthorized = |nonce: &str, stale: bool| {
        let [md5, sha] = challenge(nonce, stale);
        let mut response = StatusCode::UNAUTHORIZED.into_response();
        response
            .headers_mut()
            .append("www-authenticate", md5.parse().unwrap());
        response
            .headers_mut()
            .append("www-authenticate", sha.parse().unwrap());
        response
    };
    let Some(given) = headers.get("authorization").and_then(|v| v.to_str().ok()) else {
        return unauthorized("first", false);
    };
    let Ok(mut answer) = digest_auth::AuthorizationHeader::parse(given) else {
        return StatusCode::BAD_REQUEST.into_response();
    };
    if answer.nonce == "first" {
        return unauthorized("second", true);
    }
    let sent_response = answer.response.clone();
    let context = digest_auth::AuthContext::new_with_method(
        DIGEST_USER,
        DIGEST_PASSWORD,
        answer.uri.clone(),
        Some(body.to_vec()),
        digest_auth::HttpMethod::POST,
    );
    answer.digest(&context);
    let sha256 = answer.algorithm.to_string() == "SHA-256";
    if answer.nonce == "second"
        && sha256
        && answer.opaque.as_deref() == Some("op")
        && answer.response == sent_response
    {
        (StatusCode::OK, "digest accepted").into_response()
    } else {
        unauthorized("second", false)
    }
}

/// A port nobody listens on (bound, then released).
pub fn closed_port() -> u16 {
    let listener = StdListener::bind("127.0.0.1:0").unwrap();
    listener.local_addr().unwrap().port()
}

/// Apache httpd on a loopback port: `/digest/hook` behind Digest (MD5,
/// qop=auth) and `/basic/hook` behind Basic, both for user `pbx` with
/// `APACHE_PASSWORD`; the CGI behind them answers 200 and echoes the body.
/// `tls_port` serves the same over HTTPS with a self-signed certificate.
pub struct Apache {
    pub port: u16,
    pub tls_port: u16,
    child: Child,
    _dir: TempDir,
}

pub const APACHE_USER: &str = "pbx";
pub const APACHE_PASSWORD: &str = "apache-s3cret";
pub const APACHE_REALM: &str = "eventurl-test";

impl Apache {
    pub async fn start() -> Apache {
        let dir = tempfile::tempdir().unwrap();
        let root = dir.path();
        set_mode(root, 0o755);
        let cgi = root.join("cgi");
        std::fs::create_dir(&cgi).unwrap();
        set_mode(&cgi, 0o755);
        let hook = cgi.join("hook");
        std::fs::write(
            &hook,
            "#!/bin/sh\nprintf 'Content-Type: application/json\\r\\n\\r\\n'\nhead -c \"${CONTENT_LENGTH:-0}\"\n",
        )
        .unwrap();
        set_mode(&hook, 0o755);

        // htdigest's format, computed here: user:realm:MD5(user:realm:password).
        let ha1 = Md5::digest(format!("{APACHE_USER}:{APACHE_REALM}:{APACHE_PASSWORD}"));
        let ha1: String = ha1.iter().map(|b| format!("{b:02x}")).collect();
        let digest_users = root.join("digest.users");
        std::fs::write(
            &digest_users,
            format!("{APACHE_USER}:{APACHE_REALM}:{ha1}\n"),
        )
        .unwrap();
        set_mode(&digest_users, 0o644);
        let basic_users = root.join("basic.users");
        let status = Command::new("htpasswd")
            .args(["-cbB"])
            .arg(&basic_users)
            .args([APACHE_USER, APACHE_PASSWORD])
            .stderr(Stdio::null())
            .status()
            .expect("htpasswd (Debian's apache2-utils) runs");
        assert!(status.success());
        set_mode(&basic_users, 0o644);

        // A self-signed certificate for the HTTPS listener.
        let status = Command::new("openssl")
            .args([
                "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "2",
            ])
            .args(["-subj", "/CN=localhost"])
            .arg("-keyout")
            .arg(root.join("key.pem"))
            .arg("-out")
            .arg(root.join("cert.pem"))
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .status()
            .expect("openssl runs");
        assert!(status.success());
        set_mode(&root.join("key.pem"), 0o644);

        let port = closed_port();
        let tls_port = closed_port();
        let modules = "/usr/lib/apache2/modules";
        let root_s = root.display();
        let config = format!(
            r#"ServerRoot "{root_s}"
ServerName 127.0.0.1
Listen 127.0.0.1:{port}
PidFile "{root_s}/httpd.pid"
DefaultRuntimeDir "{root_s}"
ErrorLog "{root_s}/error.log"
LogLevel warn
User nobody
Group nogroup
LoadModule mpm_prefork_module {modules}/mod_mpm_prefork.so
LoadModule authn_core_module {modules}/mod_authn_core.so
LoadModule authn_file_module {modules}/mod_authn_file.so
LoadModule authz_core_module {modules}/mod_authz_core.so
LoadModule authz_user_module {modules}/mod_authz_user.so
LoadModule auth_basic_module {modules}/mod_auth_basic.so
LoadModule auth_digest_module {modules}/mod_auth_digest.so
LoadModule alias_module {modules}/mod_alias.so
LoadModule cgi_module {modules}/mod_cgi.so
LoadModule socache_shmcb_module {modules}/mod_socache_shmcb.so
LoadModule ssl_module {modules}/mod_ssl.so
Listen 127.0.0.1:{tls_port} https
<VirtualHost 127.0.0.1:{tls_port}>
  SSLEngine on
  SSLCertificateFile "{root_s}/cert.pem"
  SSLCertificateKeyFile "{root_s}/key.pem"
</VirtualHost>
ScriptAlias /digest/ "{root_s}/cgi/"
ScriptAlias /basic/ "{root_s}/cgi/"
<Location /digest/>
  AuthType Digest
  AuthName "{APACHE_REALM}"
  AuthDigestProvider file
  AuthUserFile "{root_s}/digest.users"
  Require valid-user
</Location>
<Location /basic/>
  AuthType Basic
  AuthName "{APACHE_REALM}"
  AuthBasicProvider file
  AuthUserFile "{root_s}/basic.users"
  Require valid-user
</Location>
"#
        );
        let config_path = root.join("httpd.conf");
        std::fs::write(&config_path, config).unwrap();
        // -X: one process in the foreground, so that killing it stops it all.
        let child = Command::new("/usr/sbin/apache2")
            .arg("-f")
            .arg(&config_path)
            .arg("-X")
            .stdout(Stdio::null())
            .stderr(Stdio::inherit())
            .spawn()
            .expect("Apache httpd (Debian's apache2) starts; scripts/setup --test installs it");
        let apache = Apache {
            port,
            tls_port,
            child,
            _dir: dir,
        };
        for _ in 0..100 {
            if tokio::net::TcpStream::connect(("127.0.0.1", port))
                .await
                .is_ok()
            {
                return apache;
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        panic!("Apache did not start on port {port}");
    }

    pub fn url(&self, path: &str) -> String {
        format!("http://127.0.0.1:{}{path}", self.port)
    }
}

impl Drop for Apache {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn set_mode(path: &std::path::Path, mode: u32) {
    use std::os::unix::fs::PermissionsExt;
    std::fs::set_permissions(path, std::fs::Permissions::from_mode(mode)).unwrap();
}
