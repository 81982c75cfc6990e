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

/// The network an address stands for when counting attempts: an IPv4
/// address itself, an IPv6 address's /64 (one subscriber's whole prefix:
/// a client can pick any address in it at will).
pub fn network_of(ip: IpAddr) -> String {
    match ip.to_canonical() {
        IpAddr::V4(v4) => v4.to_string(),
        IpAddr::V6(v6) => {
            let prefix = u128::from(v6) & !((1u128 << 64) - 1);
            format!("{}/64", std::net::Ipv6Addr::from(prefix))
        }
    }
}

/// The wider network of an IPv6 client (its /48, a site's usual
/// allocation), counted too; `None` for IPv4.
pub fn wide_network_of(ip: IpAddr) -> Option<String> {
    match ip.to_canonical() {
        IpAddr::V4(_) => None,
        IpAddr::V6(v6) => {
            let prefix = u128::from(v6) & !((1u128 << 80) - 1);
            Some(format!("{}/48", std::net::Ipv6Addr::from(prefix)))
        }
    }
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

    #[test]
    fn ipv6_addresses_count_per_64_and_mapped_ipv4_as_ipv4() {
        use super::network_of;
        let a = network_of("2001:db8:1:2:aaaa::1".parse().unwrap());
        let b = network_of("2001:db8:1:2:ffff:ffff:ffff:ffff".parse().unwrap());
        assert_eq!(a, "2001:db8:1:2::/64");
        assert_eq!(a, b);
        assert_ne!(a, network_of("2001:db8:1:3::1".parse().unwrap()));
        assert_eq!(network_of("::ffff:192.0.2.7".parse().unwrap()), "192.0.2.7");
        assert_eq!(network_of("192.0.2.7".parse().unwrap()), "192.0.2.7");
        use super::wide_network_of;
        assert_eq!(
            wide_network_of("2001:db8:1:2:aaaa::1".parse().unwrap()).as_deref(),
            Some("2001:db8:1::/48")
        );
        assert_eq!(wide_network_of("192.0.2.7".parse().unwrap()), None);
    }
}
