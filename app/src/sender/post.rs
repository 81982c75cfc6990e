//! One delivery attempt, recorded: what was sent (secrets redacted), what
//! came back (headers and the first 4 KB of the body), how long it took,
//! and, when nothing came back, why.

use super::{
    digest::{choose_challenge, DigestError},
    target_policy::{BlockReason, TargetPolicy},
};
use crate::domain::EndpointUrl;
use base64::Engine;
use http::{header, HeaderMap, StatusCode};
use reqwest::dns::{Addrs, Name, Resolve, Resolving};
use secrecy::{ExposeSecret, SecretString};
use std::{
    error::Error as StdError,
    fmt,
    net::{IpAddr, SocketAddr},
    sync::Arc,
    time::{Duration, Instant},
};

/// How much of a response body is kept and shown.
pub const RESPONSE_BODY_LIMIT: usize = 4096;

/// The endpoint's authentication, with the secret in hand.
pub enum Credentials {
    None,
    Basic {
        username: String,
        password: SecretString,
    },
    Digest {
        username: String,
        password: SecretString,
    },
    Bearer {
        token: SecretString,
    },
}

impl fmt::Debug for Credentials {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Credentials::None => f.write_str("None"),
            Credentials::Basic { username, .. } => write!(f, "Basic({username}, [redacted])"),
            Credentials::Digest { username, .. } => write!(f, "Digest({username}, [redacted])"),
            Credentials::Bearer { .. } => f.write_str("Bearer([redacted])"),
        }
    }
}

/// An event to post.
#[derive(Debug)]
pub struct Outgoing {
    pub url: EndpointUrl,
    /// The JSON body exactly as sent.
    pub body: String,
    pub credentials: Credentials,
    /// A delivered event's id, sent as `EVENT_ID_HEADER` on every attempt
    /// (the same across retries, so receivers can drop duplicates).
    pub event_id: Option<String>,
}

/// The header that carries an event's id (the Standard Webhooks name).
pub const EVENT_ID_HEADER: &str = "Webhook-Id";

/// The request as it went out; `Authorization` never holds a secret here.
#[derive(Clone, Debug)]
pub struct SentRequest {
    pub method: &'static str,
    pub url: String,
    pub headers: Vec<(String, String)>,
}

#[derive(Clone, Debug)]
pub struct Received {
    pub status: u16,
    pub reason: String,
    pub headers: Vec<(String, String)>,
    /// The first `RESPONSE_BODY_LIMIT` bytes, decoded leniently.
    pub body: String,
    pub body_truncated: bool,
    pub remote_addr: Option<SocketAddr>,
}

/// The Digest challenge round: its own time, and what was answered.
#[derive(Clone, Debug)]
pub struct DigestRound {
    pub challenge_time: Duration,
    pub challenge_status: u16,
    /// `algorithm`, `realm`, `qop` of the challenge answered.
    pub answered: Option<(String, String, Option<&'static str>)>,
    pub problem: Option<DigestError>,
    pub stale_retried: bool,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub enum TlsProblem {
    Expired,
    NotYetValid,
    WrongHost,
    UntrustedIssuer,
    Revoked,
    Other(String),
}

/// Why no HTTP answer came back.
#[derive(Clone, Debug)]
pub enum Failure {
    /// `named`: the host is a DNS name, whose resolved address is not for
    /// the tenant to learn (it would map the provider's internal DNS); a
    /// literal address was typed by the tenant and can be judged aloud.
    Blocked {
        host: String,
        named: bool,
        reason: BlockReason,
    },
    NameNotFound {
        host: String,
    },
    Refused {
        host: String,
        port: u16,
    },
    Tls(TlsProblem),
    TimedOut {
        after: Duration,
    },
    Connect {
        detail: String,
    },
    Other {
        detail: String,
    },
}

/// One attempt, whatever its outcome.
#[derive(Clone, Debug)]
pub struct Exchange {
    pub request: SentRequest,
    pub response: Option<Received>,
    pub failure: Option<Failure>,
    pub elapsed: Duration,
    pub digest: Option<DigestRound>,
}

/// The forms in which a request's credential could come back in an answer:
/// the secret itself, and the `Authorization` value built from it, each as
/// sent and as common echo code escapes it (JSON, with `/` escaped as PHP
/// does or `+`, `&`, `<`, `>`, `'` as \uXXXX as .NET does; percent-encoded).
/// Too short a secret (under 4 characters) would match all over any text.
fn credential_forms(credentials: &Credentials) -> Vec<String> {
    let forms = raw_credential_forms(credentials);
    let mut all = Vec::new();
    for form in forms {
        let json = serde_json::to_string(&form).unwrap_or_default();
        let json = json
            .strip_prefix('"')
            .and_then(|j| j.strip_suffix('"'))
            .unwrap_or_default()
            .to_owned();
        let php = json.replace('/', "\\/");
        let dotnet: String = json
            .chars()
            .map(|c| match c {
                '+' | '&' | '<' | '>' | '\'' => format!("\\u{:04X}", u32::from(c)),
                c => c.to_string(),
            })
            .collect();
        let percent: String = url::form_urlencoded::byte_serialize(form.as_bytes()).collect();
        let percent_space = percent.replace('+', "%20");
        all.extend([form, json, php, dotnet, percent, percent_space]);
    }
    all.retain(|f| f.len() >= 4);
    // Longest first: a form that contains another is replaced whole.
    all.sort_by_key(|f| std::cmp::Reverse(f.len()));
    all.dedup();
    all
}

fn raw_credential_forms(credentials: &Credentials) -> Vec<String> {
    let mut forms = Vec::new();
    match credentials {
        Credentials::None => {}
        Credentials::Basic { username, password } | Credentials::Digest { username, password } => {
            let password = password.expose_secret();
            forms.push(password.to_owned());
            if matches!(credentials, Credentials::Basic { .. }) {
                forms.push(
                    base64::engine::general_purpose::STANDARD
                        .encode(format!("{username}:{password}")),
                );
            }
        }
        Credentials::Bearer { token } => forms.push(token.expose_secret().to_owned()),
    }
    forms
}

/// A receiver that echoes the request (many test receivers do) must not
/// make its credential readable wherever the answer is kept or shown: each
/// occurrence in the headers and body becomes `[redacted]`, and a body cut
/// at the size limit loses a trailing start of one too.
pub fn redact_echoed_credential(received: &mut Received, credentials: &Credentials) {
    const MARK: &str = "[redacted]";
    for form in credential_forms(credentials) {
        for (_, value) in &mut received.headers {
            if value.contains(&form) {
                *value = value.replace(&form, MARK);
            }
        }
        if received.body.contains(&form) {
            received.body = received.body.replace(&form, MARK);
        }
        if received.body_truncated {
            let cut = (4..form.len())
                .rev()
                .filter(|&n| form.is_char_boundary(n))
                .find(|&n| received.body.ends_with(&form[..n]));
            if let Some(n) = cut {
                received.body.truncate(received.body.len() - n);
                received.body.push_str(MARK);
            }
        }
    }
}

/// Sends events: a client that resolves names through the target policy,
/// follows no redirects, uses no proxy and verifies certificates.
#[derive(Clone, Debug)]
pub struct WebhookSender {
    client: reqwest::Client,
    policy: Arc<TargetPolicy>,
    timeout: Duration,
    user_agent: String,
}

impl WebhookSender {
    pub fn new(policy: TargetPolicy, timeout: Duration) -> anyhow::Result<Self> {
        let policy = Arc::new(policy);
        let user_agent = format!(
            "eventurl/{} (PBX event URL test)",
            env!("CARGO_PKG_VERSION")
        );
        let client = reqwest::Client::builder()
            .dns_resolver(GuardedResolver {
                policy: policy.clone(),
            })
            .redirect(reqwest::redirect::Policy::none())
            .retry(reqwest::retry::never())
            .no_proxy()
            .connect_timeout(timeout)
            .user_agent(user_agent.clone())
            .build()?;
        Ok(Self {
            client,
            policy,
            timeout,
            user_agent,
        })
    }

    pub fn policy(&self) -> &TargetPolicy {
        &self.policy
    }

    pub fn timeout(&self) -> Duration {
        self.timeout
    }

    /// Posts the event; never fails: every outcome is an `Exchange`.
    pub async fn send(&self, outgoing: &Outgoing) -> Exchange {
        let started = Instant::now();
        let mut request = SentRequest {
            method: "POST",
            url: outgoing.url.as_str().to_owned(),
            headers: Vec::new(),
        };
        let mut digest = None;
        let outcome = match reqwest::Url::parse(outgoing.url.as_str()) {
            Err(e) => Err(Failure::Other {
                detail: format!("the URL could not be used: {e}"),
            }),
            Ok(url) => match self.refuse_literal_address(&url) {
                Some(failure) => Err(failure),
                None => {
                    request.headers = self.request_headers(&url, outgoing, None);
                    match tokio::time::timeout(
                        self.timeout,
                        self.exchange(&url, outgoing, &mut request, &mut digest),
                    )
                    .await
                    {
                        Ok(result) => result,
                        Err(_) => Err(Failure::TimedOut {
                            after: self.timeout,
                        }),
                    }
                }
            },
        };
        let (response, failure) = match outcome {
            Ok(mut received) => {
                redact_echoed_credential(&mut received, &outgoing.credentials);
                (Some(received), None)
            }
            Err(failure) => (None, Some(failure)),
        };
        Exchange {
            request,
            response,
            failure,
            elapsed: started.elapsed(),
            digest,
        }
    }

    /// A URL with an address instead of a name never reaches the resolver,
    /// so it is checked here.
    fn refuse_literal_address(&self, url: &reqwest::Url) -> Option<Failure> {
        let addr = match url.host()? {
            url::Host::Ipv4(v4) => IpAddr::V4(v4),
            url::Host::Ipv6(v6) => IpAddr::V6(v6),
            url::Host::Domain(_) => return None,
        };
        self.policy
            .check(addr)
            .err()
            .map(|reason| Failure::Blocked {
                host: url.host_str().unwrap_or_default().to_owned(),
                named: false,
                reason,
            })
    }

    /// The headers as a receiver sees them; `authorization` is the redacted
    /// form of what was sent.
    fn request_headers(
        &self,
        url: &reqwest::Url,
        outgoing: &Outgoing,
        authorization: Option<String>,
    ) -> Vec<(String, String)> {
        let host = match url.port() {
            Some(port) => format!("{}:{port}", url.host_str().unwrap_or_default()),
            None => url.host_str().unwrap_or_default().to_owned(),
        };
        let mut headers = vec![
            ("Host".to_owned(), host),
            ("User-Agent".to_owned(), self.user_agent.clone()),
            (
                "Content-Type".to_owned(),
                "application/json; charset=utf-8".to_owned(),
            ),
            ("Accept".to_owned(), "*/*".to_owned()),
            ("Content-Length".to_owned(), outgoing.body.len().to_string()),
        ];
        let authorization = authorization.or_else(|| match &outgoing.credentials {
            Credentials::None | Credentials::Digest { .. } => None,
            Credentials::Basic { .. } => Some("Basic [redacted]".to_owned()),
            Credentials::Bearer { .. } => Some("Bearer [redacted]".to_owned()),
        });
        if let Some(value) = authorization {
            headers.push(("Authorization".to_owned(), value));
        }
        if let Some(id) = &outgoing.event_id {
            headers.push((EVENT_ID_HEADER.to_owned(), id.clone()));
        }
        headers
    }

    async fn post(
        &self,
        url: &reqwest::Url,
        outgoing: &Outgoing,
        authorization: Option<&str>,
    ) -> Result<reqwest::Response, Failure> {
        let mut builder = self
            .client
            .post(url.clone())
            .header(header::CONTENT_TYPE, "application/json; charset=utf-8")
            .body(outgoing.body.clone());
        if let Some(id) = &outgoing.event_id {
            builder = builder.header(EVENT_ID_HEADER, id);
        }
        if let Some(value) = authorization {
            builder = builder.header(header::AUTHORIZATION, value);
        }
        builder
            .send()
            .await
            .map_err(|e| classify_error(&e, url, self.timeout))
    }

    async fn exchange(
        &self,
        url: &reqwest::Url,
        outgoing: &Outgoing,
        request: &mut SentRequest,
        digest: &mut Option<DigestRound>,
    ) -> Result<Received, Failure> {
        let first_authorization = match &outgoing.credentials {
            Credentials::None | Credentials::Digest { .. } => None,
            Credentials::Basic { username, password } => Some(format!(
                "Basic {}",
                base64::engine::general_purpose::STANDARD
                    .encode(format!("{username}:{}", password.expose_secret()))
            )),
            Credentials::Bearer { token } => Some(format!("Bearer {}", token.expose_secret())),
        };
        let started = Instant::now();
        let response = self
            .post(url, outgoing, first_authorization.as_deref())
            .await?;
        let Credentials::Digest { username, password } = &outgoing.credentials else {
            return read(response, url, self.timeout).await;
        };
        if response.status() != StatusCode::UNAUTHORIZED {
            // The receiver took the event without asking for credentials.
            return read(response, url, self.timeout).await;
        }
        let challenge_status = response.status().as_u16();
        let challenges = www_authenticate(response.headers());
        let first = read(response, url, self.timeout).await?;
        let mut round = DigestRound {
            challenge_time: started.elapsed(),
            challenge_status,
            answered: None,
            problem: None,
            stale_retried: false,
        };
        let mut challenge = match choose_challenge(challenges.iter().map(String::as_str)) {
            Ok(challenge) => challenge,
            Err(problem) => {
                round.problem = Some(problem);
                *digest = Some(round);
                return Ok(first);
            }
        };
        let target = request_target(url);
        let mut attempt = 0;
        loop {
            attempt += 1;
            let header = match challenge.authorization(
                username,
                password.expose_secret(),
                &target,
                outgoing.body.as_bytes(),
                None,
            ) {
                Ok(header) => header,
                Err(problem) => {
                    round.problem = Some(problem);
                    *digest = Some(round);
                    return Ok(first);
                }
            };
            round.answered = Some((
                challenge.algorithm(),
                challenge.realm().to_owned(),
                challenge.qop(),
            ));
            request.headers = self.request_headers(url, outgoing, Some(redact_digest(&header)));
            *digest = Some(round.clone());
            let response = self.post(url, outgoing, Some(&header)).await?;
            if response.status() == StatusCode::UNAUTHORIZED && attempt == 1 {
                if let Ok(fresh) = choose_challenge(
                    www_authenticate(response.headers())
                        .iter()
                        .map(String::as_str),
                ) {
                    if fresh.is_stale() {
                        // The nonce expired between the two requests: answer
                        // the new one once, as the RFC intends.
                        challenge = fresh;
                        round.stale_retried = true;
                        continue;
                    }
                }
            }
            return read(response, url, self.timeout).await;
        }
    }
}

fn www_authenticate(headers: &HeaderMap) -> Vec<String> {
    headers
        .get_all(header::WWW_AUTHENTICATE)
        .iter()
        .map(|v| String::from_utf8_lossy(v.as_bytes()).into_owned())
        .collect()
}

/// Path and query exactly as in the request line: Digest's `uri`.
fn request_target(url: &reqwest::Url) -> String {
    match url.query() {
        Some(query) => format!("{}?{query}", url.path()),
        None => url.path().to_owned(),
    }
}

/// A Digest `Authorization` value with its `response` hash hidden.
fn redact_digest(header: &str) -> String {
    match header.find("response=\"") {
        Some(start) => {
            let value_start = start + "response=\"".len();
            let end = header[value_start..]
                .find('"')
                .map_or(header.len(), |e| value_start + e);
            format!("{}[redacted]{}", &header[..value_start], &header[end..])
        }
        None => "Digest [redacted]".to_owned(),
    }
}

/// Status, headers and the first `RESPONSE_BODY_LIMIT` bytes of the body.
async fn read(
    mut response: reqwest::Response,
    url: &reqwest::Url,
    timeout: Duration,
) -> Result<Received, Failure> {
    let status = response.status();
    let remote_addr = response.remote_addr();
    let headers = response
        .headers()
        .iter()
        .map(|(name, value)| {
            let value = if name == header::SET_COOKIE {
                "[not shown]".to_owned()
            } else {
                String::from_utf8_lossy(value.as_bytes()).into_owned()
            };
            (name.as_str().to_owned(), value)
        })
        .collect();
    let mut body = Vec::new();
    let mut truncated = false;
    while let Some(chunk) = response
        .chunk()
        .await
        .map_err(|e| classify_error(&e, url, timeout))?
    {
        let room = RESPONSE_BODY_LIMIT - body.len();
        if chunk.len() > room {
            body.extend_from_slice(&chunk[..room]);
            truncated = true;
            break;
        }
        body.extend_from_slice(&chunk);
    }
    Ok(Received {
        status: status.as_u16(),
        reason: status.canonical_reason().unwrap_or("").to_owned(),
        headers,
        body: String::from_utf8_lossy(&body).into_owned(),
        body_truncated: truncated,
        remote_addr,
    })
}

/// Finds our own resolver errors, refused connections and certificate
/// problems in the error's cause chain.
fn classify_error(error: &reqwest::Error, url: &reqwest::Url, timeout: Duration) -> Failure {
    let host = url.host_str().unwrap_or_default().to_owned();
    let port = url.port_or_known_default().unwrap_or(0);
    // `io::Error::source` skips the error it wraps, so step into it instead.
    let mut chain = Vec::new();
    let mut current: Option<&(dyn StdError + 'static)> = Some(error);
    while let Some(e) = current {
        chain.push(e);
        current = match e
            .downcast_ref::<std::io::Error>()
            .and_then(|io| io.get_ref())
        {
            Some(inner) => Some(inner),
            None => e.source(),
        };
    }
    for e in &chain {
        if let Some(target) = e.downcast_ref::<TargetError>() {
            return match target {
                TargetError::Blocked { addr, reason } => {
                    // The operator's log may name it; the tenant's report does not.
                    tracing::info!(%host, %addr, reason = reason.describe(), "send refused: the name resolves to a special-purpose address");
                    Failure::Blocked {
                        host,
                        named: true,
                        reason: *reason,
                    }
                }
                TargetError::NotFound => Failure::NameNotFound { host },
            };
        }
        if let Some(tls) = e.downcast_ref::<rustls::Error>() {
            return Failure::Tls(tls_problem(tls));
        }
        if let Some(io) = e.downcast_ref::<std::io::Error>() {
            if io.kind() == std::io::ErrorKind::ConnectionRefused {
                return Failure::Refused { host, port };
            }
        }
    }
    // The deepest cause is the most specific (the outer ones repeat the URL).
    let detail = chain
        .last()
        .map(ToString::to_string)
        .unwrap_or_else(|| error.to_string());
    if error.is_timeout() {
        Failure::TimedOut { after: timeout }
    } else if detail.contains("certificate") {
        Failure::Tls(TlsProblem::Other(detail))
    } else if error.is_connect() {
        Failure::Connect { detail }
    } else {
        Failure::Other { detail }
    }
}

fn tls_problem(error: &rustls::Error) -> TlsProblem {
    use rustls::CertificateError as C;
    match error {
        rustls::Error::InvalidCertificate(cert) => match cert {
            C::Expired | C::ExpiredContext { .. } => TlsProblem::Expired,
            C::NotValidYet | C::NotValidYetContext { .. } => TlsProblem::NotYetValid,
            C::NotValidForName | C::NotValidForNameContext { .. } => TlsProblem::WrongHost,
            C::UnknownIssuer => TlsProblem::UntrustedIssuer,
            C::Revoked => TlsProblem::Revoked,
            // A self-signed certificate (openssl's default marks it a CA).
            other if format!("{other:?}").contains("CaUsedAsEndEntity") => {
                TlsProblem::UntrustedIssuer
            }
            other => TlsProblem::Other(format!("{other:?}")),
        },
        other => TlsProblem::Other(other.to_string()),
    }
}

/// Resolver errors that the chain walk recognises.
#[derive(Debug, thiserror::Error)]
enum TargetError {
    #[error("the name resolves only to {addr}, {reason}")]
    Blocked { addr: IpAddr, reason: BlockReason },
    #[error("the name was not found in DNS")]
    NotFound,
}

/// Resolves through the system, then keeps only the addresses the policy
/// allows; the connection goes to one of those, so a name that changes its
/// answer between check and connect (DNS rebinding) gains nothing.
struct GuardedResolver {
    policy: Arc<TargetPolicy>,
}

impl Resolve for GuardedResolver {
    fn resolve(&self, name: Name) -> Resolving {
        let policy = self.policy.clone();
        let host = name.as_str().to_owned();
        Box::pin(async move {
            let found: Vec<SocketAddr> = tokio::net::lookup_host((host.as_str(), 0))
                .await
                .map_err(|_| Box::new(TargetError::NotFound))?
                .collect();
            let mut first_refusal = None;
            let allowed: Vec<SocketAddr> = found
                .into_iter()
                .filter(|addr| match policy.check(addr.ip()) {
                    Ok(()) => true,
                    Err(reason) => {
                        first_refusal.get_or_insert((addr.ip(), reason));
                        false
                    }
                })
                .collect();
            match (allowed.is_empty(), first_refusal) {
                (false, _) => Ok(Box::new(allowed.into_iter()) as Addrs),
                (true, Some((addr, reason))) => {
                    Err(Box::new(TargetError::Blocked { addr, reason }) as _)
                }
                (true, None) => Err(Box::new(TargetError::NotFound) as _),
            }
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn digest_authorization_is_shown_without_its_response_hash() {
        let shown = redact_digest(
            r#"Digest username="pbx", realm="r", nonce="n", uri="/x", response="0123abcd", qop=auth"#,
        );
        assert_eq!(
            shown,
            r#"Digest username="pbx", realm="r", nonce="n", uri="/x", response="[redacted]", qop=auth"#
        );
        assert_eq!(redact_digest("Digest garbage"), "Digest [redacted]");
    }

    #[test]
    fn the_request_target_keeps_the_query() {
        let url = reqwest::Url::parse("https://x.example/a/b?c=1&d").unwrap();
        assert_eq!(request_target(&url), "/a/b?c=1&d");
        let url = reqwest::Url::parse("https://x.example").unwrap();
        assert_eq!(request_target(&url), "/");
    }

    #[test]
    fn credentials_debug_shows_no_secret() {
        let shown = format!(
            "{:?} {:?}",
            Credentials::Basic {
                username: "u".into(),
                password: SecretString::from("hunter2")
            },
            Credentials::Bearer {
                token: SecretString::from("tok-123")
            }
        );
        assert!(
            !shown.contains("hunter2") && !shown.contains("tok-123"),
            "{shown}"
        );
    }

    /// Echo code escapes what it echoes; each common escaping of the
    /// credential is redacted, not only the bytes as sent.
    #[test]
    fn escaped_echoes_of_the_credential_are_redacted() {
        let credentials = Credentials::Basic {
            username: "pbx".to_owned(),
            password: SecretString::from("p/a+s&s\"w<o>r'd"),
        };
        let basic = base64::engine::general_purpose::STANDARD.encode("pbx:p/a+s&s\"w<o>r'd");
        let echoes = [
            serde_json::json!({"password": "p/a+s&s\"w<o>r'd"}).to_string(),
            serde_json::json!({"authorization": format!("Basic {basic}")})
                .to_string()
                .replace('/', "\\/"),
            r#"{"password":"p/a\u002Bs\u0026s\"w\u003Co\u003Er\u0027d"}"#.to_owned(),
            format!(
                "password=p%2Fa%2Bs%26s%22w%3Co%3Er%27d&auth=Basic+{}",
                basic
                    .replace('/', "%2F")
                    .replace('+', "%2B")
                    .replace('=', "%3D")
            ),
        ];
        for echo in echoes {
            let mut received = Received {
                status: 200,
                reason: "OK".to_owned(),
                headers: vec![("x-echo".to_owned(), echo.clone())],
                body: echo.clone(),
                body_truncated: false,
                remote_addr: None,
            };
            redact_echoed_credential(&mut received, &credentials);
            for shown in [&received.body, &received.headers[0].1] {
                assert!(
                    !shown.contains("s&s")
                        && !shown.contains("s%26s")
                        && !shown.contains("s\\u0026s"),
                    "{echo} -> {shown}"
                );
                assert!(shown.contains("[redacted]"), "{echo} -> {shown}");
            }
        }
    }
}
