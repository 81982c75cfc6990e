//! Where a request came from, for sign-in throttling and the activity log.

use std::net::{IpAddr, SocketAddr};

/// The client's address: the peer, or behind a reverse proxy the last entry
/// of the header the operator named (the one their proxy appended).
pub fn client_ip(
    headers: &http::HeaderMap,
    peer: SocketAddr,
    header: Option<&http::HeaderName>,
) -> IpAddr {
    header
        .and_then(|name| headers.get_all(name).iter().next_back())
        .and_then(|value| value.to_str().ok())
        .and_then(|value| value.rsplit(',').next())
        .and_then(|last| last.trim().parse::<IpAddr>().ok())
        .unwrap_or_else(|| peer.ip())
}

#[cfg(test)]
mod tests {
    use super::client_ip;

    #[test]
    fn the_proxy_header_counts_only_when_named_and_its_last_entry_wins() {
        let peer = "10.0.0.1:5000".parse().expect("address");
        let mut headers = http::HeaderMap::new();
        headers.insert(
            "x-forwarded-for",
            "1.1.1.1, 2.2.2.2".parse().expect("value"),
        );
        assert_eq!(client_ip(&headers, peer, None).to_string(), "10.0.0.1");
        let name = http::HeaderName::from_static("x-forwarded-for");
        assert_eq!(
            client_ip(&headers, peer, Some(&name)).to_string(),
            "2.2.2.2"
        );
        headers.insert("x-forwarded-for", "not an address".parse().expect("value"));
        assert_eq!(
            client_ip(&headers, peer, Some(&name)).to_string(),
            "10.0.0.1"
        );
    }
}
