// Over 500 lines: one attempt's whole exchange (signed headers, credentials, the Digest round, redaction) and the types it records; the wire details are in post/.
//! One delivery attempt, recorded: what was sent (secrets redacted), what
//! came back (headers and the first 4 KB of the body), how long it took,
//! and, when nothing came back, why.

use super::{
    digest::{choose_challenge, DigestError},
    signing::{Signed, Signing},
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

mod echo;
mod failure;
mod resolve;
mod wire;
pub use echo::*;
use {failure::*, resolve::*, wire::*};

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

/// One of the section's own headers, with its value in hand; a secret
/// one is shown as `[redacted]` wherever the request is recorded.
#[derive(Clone)]
pub struct CustomHeader {
    pub name: String,
    pub value: SecretString,
    pub secret: bool,
}

impl fmt::Debug for CustomHeader {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let value = if self.secret {
            "[redacted]"
        } else {
            self.value.expose_secret()
        };
        write!(f, "{}: {value}", self.name)
    }
}

/// An event to post.
#[derive(Debug)]
pub struct Outgoing {
    pub url: EndpointUrl,
    /// The JSON body exactly as sent.
    pub body: String,
    pub credentials: Credentials,
    /// The event's id, sent as `webhook-id` on every attempt (the same
    /// across retries, so receivers can drop duplicates) and signed.
    pub event_id: String,
    /// The section's signing secrets now (Standard Webhooks).
    pub signing: Signing,
    /// The section's own headers, in the order they were saved.
    pub headers: Vec<CustomHeader>,
}

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
            Ok(url) => match self
                .refuse_literal_address(&url)
                .map_or_else(|| signed(outgoing), Err)
            {
                Err(failure) => Err(failure),
                Ok(signed) => {
                    request.headers = self.request_headers(&url, outgoing, &signed, None);
                    match tokio::time::timeout(
                        self.timeout,
                        self.exchange(&url, outgoing, &signed, &mut request, &mut digest),
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
                redact_echoed_credential(&mut received, &outgoing.credentials, &outgoing.headers);
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
        signed: &Signed,
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
        headers.extend(outgoing.headers.iter().map(|h| {
            let value = if h.secret {
                "[redacted]".to_owned()
            } else {
                h.value.expose_secret().to_owned()
            };
            (h.name.clone(), value)
        }));
        headers.extend(
            signed
                .0
                .iter()
                .map(|(name, value)| ((*name).to_owned(), value.clone())),
        );
        headers
    }

    async fn post(
        &self,
        url: &reqwest::Url,
        outgoing: &Outgoing,
        signed: &Signed,
        authorization: Option<&str>,
    ) -> Result<reqwest::Response, Failure> {
        let mut builder = self
            .client
            .post(url.clone())
            .header(header::CONTENT_TYPE, "application/json; charset=utf-8")
            .body(outgoing.body.clone());
        // In the order the record shows: the method's Authorization, the
        // section's own headers, the signature.
        if let Some(value) = authorization {
            builder = match http::HeaderValue::from_str(value) {
                Ok(mut sensitive) => {
                    sensitive.set_sensitive(true);
                    builder.header(header::AUTHORIZATION, sensitive)
                }
                // Not a header value: the request fails (the builder keeps
                // the error), it is not sent without its credential.
                Err(_) => builder.header(header::AUTHORIZATION, value),
            };
        }
        for header in &outgoing.headers {
            // Checked when saved; a value that is still not a header value
            // fails the request (reqwest's builder keeps the error).
            builder = match http::HeaderValue::from_str(header.value.expose_secret()) {
                Ok(mut value) => {
                    value.set_sensitive(header.secret);
                    builder.header(header.name.as_str(), value)
                }
                Err(_) => builder.header(header.name.as_str(), header.value.expose_secret()),
            };
        }
        for (name, value) in &signed.0 {
            builder = builder.header(*name, value);
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
        signed: &Signed,
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
            .post(url, outgoing, signed, first_authorization.as_deref())
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
            request.headers =
                self.request_headers(url, outgoing, signed, Some(redact_digest(&header)));
            *digest = Some(round.clone());
            let response = self.post(url, outgoing, signed, Some(&header)).await?;
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
            redact_echoed_credential(&mut received, &credentials, &[]);
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
