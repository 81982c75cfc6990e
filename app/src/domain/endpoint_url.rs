//! The URL the PBX posts events to.

use serde::{Deserialize, Serialize};
use std::fmt;

/// Longest URL we accept; PortSIP itself stops at 128, receivers behind
/// gateways sometimes need more.
pub const MAX_URL_LEN: usize = 2048;

/// An absolute `http`/`https` URL with a host and without `user:pass@`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct EndpointUrl(String);

#[derive(Clone, Copy, Debug, PartialEq, Eq, thiserror::Error)]
pub enum UrlError {
    #[error("Enter the URL the PBX should post events to.")]
    Empty,
    #[error("Use a URL of at most {MAX_URL_LEN} characters.")]
    TooLong,
    #[error(
        "Enter a full URL starting with https://, for example https://example.com/pbx/events."
    )]
    NotAbsolute,
    #[error("Use a URL that starts with https:// (or http://).")]
    UnsupportedScheme,
    #[error("Add a host name after https://, for example https://example.com/pbx/events.")]
    MissingHost,
    #[error("Remove the user name and password from the URL; choose them under Authentication Method instead.")]
    EmbeddedCredentials,
    #[error("Remove the spaces from the URL.")]
    Whitespace,
    #[error("This is not a valid URL; check it for typing errors and unusual characters.")]
    Malformed,
}

impl EndpointUrl {
    /// Surrounding whitespace is forgiven; everything else must be right.
    pub fn parse(input: &str) -> Result<Self, UrlError> {
        let input = input.trim();
        if input.is_empty() {
            return Err(UrlError::Empty);
        }
        if input.chars().count() > MAX_URL_LEN {
            return Err(UrlError::TooLong);
        }
        if input.chars().any(char::is_whitespace) {
            return Err(UrlError::Whitespace);
        }
        let Some((scheme, rest)) = input.split_once("://") else {
            return Err(UrlError::NotAbsolute);
        };
        if !scheme.eq_ignore_ascii_case("http") && !scheme.eq_ignore_ascii_case("https") {
            return Err(
                if scheme
                    .chars()
                    .all(|c| c.is_ascii_alphanumeric() || "+-.".contains(c))
                {
                    UrlError::UnsupportedScheme
                } else {
                    UrlError::NotAbsolute
                },
            );
        }
        let authority_end = rest.find(['/', '?', '#']).unwrap_or(rest.len());
        let authority = &rest[..authority_end];
        if authority.contains('@') {
            return Err(UrlError::EmbeddedCredentials);
        }
        let uri: http::Uri = input.parse().map_err(|_| UrlError::Malformed)?;
        let host = uri.host().unwrap_or_default();
        if host.is_empty() || host.starts_with('.') || host.ends_with("..") {
            return Err(UrlError::MissingHost);
        }
        if authority.ends_with(':') {
            return Err(UrlError::Malformed);
        }
        Ok(Self(input.to_owned()))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// Events travel encrypted only over HTTPS; plain HTTP is allowed with a warning.
    pub fn is_https(&self) -> bool {
        self.0[..5].eq_ignore_ascii_case("https")
    }
}

/// Where a URL leads: scheme, host, port and path (the query aside). A
/// stored secret is bound to one (see `StoredSecret`): it is sent to that
/// receiver only, not to another path of the same host, which may be
/// another application or echo what it is sent.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Destination {
    scheme: String,
    host: String,
    port: u16,
    path: String,
}

impl fmt::Display for Destination {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let default = match self.scheme.as_str() {
            "https" => 443,
            _ => 80,
        };
        write!(f, "{}://{}", self.scheme, self.host)?;
        if self.port != default {
            write!(f, ":{}", self.port)?;
        }
        f.write_str(&self.path)
    }
}

impl EndpointUrl {
    /// The URL's destination, compared as written (the scheme's and host's
    /// case aside, the default port written or not): two spellings of one
    /// host or path count as two, which errs on the safe side.
    pub fn destination(&self) -> Destination {
        let uri = self.0.parse::<http::Uri>().ok();
        let scheme = uri
            .as_ref()
            .and_then(|u| u.scheme_str())
            .unwrap_or_default()
            .to_ascii_lowercase();
        let host = uri
            .as_ref()
            .and_then(|u| u.host())
            .unwrap_or(&self.0)
            .to_ascii_lowercase();
        let port = uri
            .as_ref()
            .and_then(http::Uri::port_u16)
            .unwrap_or(if scheme == "https" { 443 } else { 80 });
        let path = uri.as_ref().map_or("/", http::Uri::path).to_owned();
        Destination {
            scheme,
            host,
            port,
            path,
        }
    }
}

impl fmt::Display for EndpointUrl {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl TryFrom<String> for EndpointUrl {
    type Error = UrlError;
    fn try_from(value: String) -> Result<Self, Self::Error> {
        Self::parse(&value)
    }
}

impl From<EndpointUrl> for String {
    fn from(url: EndpointUrl) -> Self {
        url.0
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn destinations_compare_scheme_host_port_and_path() {
        let to = |u: &str| EndpointUrl::parse(u).unwrap().destination();
        assert_eq!(
            to("https://Example.com/a?x=1"),
            to("https://example.com:443/a")
        );
        assert_eq!(to("https://example.com"), to("https://example.com/"));
        for (a, b) in [
            ("https://example.com/a", "http://example.com/a"),
            ("https://example.com/a", "https://example.com:8443/a"),
            ("https://example.com/a", "https://example.com.evil.test/a"),
            ("https://example.com/a", "https://example.com/b"),
            ("https://example.com/a", "https://example.com/a/"),
            ("https://example.com/a", "https://example.com/A"),
        ] {
            assert_ne!(to(a), to(b), "{a} and {b}");
        }
        assert_eq!(
            to("https://example.com:8443/x?y=1").to_string(),
            "https://example.com:8443/x"
        );
        assert_eq!(
            to("HTTP://Example.com/x").to_string(),
            "http://example.com/x"
        );
        assert_eq!(
            to("https://[2001:db8::1]/x").to_string(),
            "https://[2001:db8::1]/x"
        );
    }

    #[test]
    fn accepts_https_and_http_urls_with_a_host() {
        for ok in [
            "https://example.com/pbx/events",
            "http://example.com",
            "https://example.com:8443/cdr?tenant=7",
            "HTTPS://EXAMPLE.COM/x",
            "https://[2001:db8::1]/events",
            "  https://example.com/trimmed  ",
        ] {
            assert!(EndpointUrl::parse(ok).is_ok(), "{ok} should be accepted");
        }
    }

    #[test]
    fn says_what_is_wrong_with_a_rejected_url() {
        let cases = [
            ("", UrlError::Empty),
            ("   ", UrlError::Empty),
            ("example.com/events", UrlError::NotAbsolute),
            ("/events", UrlError::NotAbsolute),
            ("ftp://example.com/", UrlError::UnsupportedScheme),
            ("javascript://alert(1)", UrlError::UnsupportedScheme),
            ("https://", UrlError::Malformed),
            ("https:///path", UrlError::Malformed),
            (
                "https://user:pass@example.com/",
                UrlError::EmbeddedCredentials,
            ),
            ("https://user@example.com/", UrlError::EmbeddedCredentials),
            ("https://exa mple.com/", UrlError::Whitespace),
            ("https://example.com:/", UrlError::Malformed),
            ("https://exa<mple.com/", UrlError::Malformed),
        ];
        for (input, expected) in cases {
            assert_eq!(EndpointUrl::parse(input), Err(expected), "input {input:?}");
        }
    }

    #[test]
    fn length_limit_is_2048_characters() {
        let base = "https://example.com/";
        let exact = format!("{base}{}", "a".repeat(MAX_URL_LEN - base.len()));
        assert!(EndpointUrl::parse(&exact).is_ok());
        let over = format!("{exact}a");
        assert_eq!(EndpointUrl::parse(&over), Err(UrlError::TooLong));
    }

    #[test]
    fn knows_whether_it_is_https() {
        assert!(EndpointUrl::parse("https://a.example").unwrap().is_https());
        assert!(!EndpointUrl::parse("http://a.example").unwrap().is_https());
    }

    #[test]
    fn deserializing_applies_the_same_rules() {
        assert!(serde_json::from_str::<EndpointUrl>("\"ftp://x\"").is_err());
        assert!(serde_json::from_str::<EndpointUrl>("\"https://x.example\"").is_ok());
    }

    proptest! {
        #[test]
        fn any_host_and_path_of_safe_characters_is_accepted(
            host in "[a-z][a-z0-9-]{0,20}(\\.[a-z]{2,6}){1,3}",
            path in "(/[A-Za-z0-9._~-]{0,12}){0,5}",
            https in any::<bool>(),
        ) {
            let url = format!("{}://{host}{path}", if https { "https" } else { "http" });
            let parsed = EndpointUrl::parse(&url).unwrap();
            prop_assert_eq!(parsed.as_str(), url.as_str());
            prop_assert_eq!(parsed.is_https(), https);
        }

        #[test]
        fn userinfo_is_always_refused(user in "[a-z]{1,8}", pass in "[a-z0-9]{0,8}") {
            let url = format!("https://{user}:{pass}@example.com/");
            prop_assert_eq!(EndpointUrl::parse(&url), Err(UrlError::EmbeddedCredentials));
        }

        #[test]
        fn parse_never_panics(input in "\\PC{0,64}") {
            let _ = EndpointUrl::parse(&input);
        }
    }
}
