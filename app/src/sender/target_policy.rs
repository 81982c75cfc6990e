//! Which addresses a test send may reach. By default only public unicast
//! addresses: a tenant admin must not be able to make this server probe its
//! own network (SSRF). The operator can allow ranges, for on-premises PBXs
//! whose receivers are on the LAN.

use ipnet::IpNet;
use std::{
    fmt,
    net::{IpAddr, Ipv4Addr, Ipv6Addr},
};

/// Why an address is refused.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum BlockReason {
    Unspecified,
    Loopback,
    Private,
    SharedCgnat,
    LinkLocal,
    Multicast,
    Broadcast,
    Documentation,
    UniqueLocal,
    Reserved,
}

impl BlockReason {
    pub fn describe(self) -> &'static str {
        match self {
            BlockReason::Unspecified => "an unspecified address (0.0.0.0 or ::)",
            BlockReason::Loopback => "a loopback address (this server itself)",
            BlockReason::Private => "a private network address",
            BlockReason::SharedCgnat => "a carrier-grade NAT address (100.64.0.0/10)",
            BlockReason::LinkLocal => {
                "a link-local address (such as 169.254.169.254, cloud metadata)"
            }
            BlockReason::Multicast => "a multicast address",
            BlockReason::Broadcast => "the broadcast address",
            BlockReason::Documentation => "an address reserved for documentation",
            BlockReason::UniqueLocal => "a unique-local IPv6 address (fc00::/7)",
            BlockReason::Reserved => "a reserved address",
        }
    }
}

impl fmt::Display for BlockReason {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.describe())
    }
}

/// The special-purpose class of an address, or `None` for a public unicast
/// one. IPv4-mapped, IPv4-compatible and NAT64 IPv6 forms are judged by the
/// IPv4 address they carry.
pub fn classify(ip: IpAddr) -> Option<BlockReason> {
    match ip {
        IpAddr::V4(v4) => classify_v4(v4),
        IpAddr::V6(v6) => classify_v6(v6),
    }
}

fn classify_v4(ip: Ipv4Addr) -> Option<BlockReason> {
    let [a, b, c, _] = ip.octets();
    Some(match (a, b, c) {
        _ if ip.is_broadcast() => BlockReason::Broadcast,
        (0, _, _) => BlockReason::Unspecified,
        (127, _, _) => BlockReason::Loopback,
        (10, _, _) | (192, 168, _) => BlockReason::Private,
        (172, 16..=31, _) => BlockReason::Private,
        (100, 64..=127, _) => BlockReason::SharedCgnat,
        (169, 254, _) => BlockReason::LinkLocal,
        (192, 0, 2) | (198, 51, 100) | (203, 0, 113) => BlockReason::Documentation,
        // IETF protocol assignments, the deprecated 6to4 relay anycast,
        // benchmarking, and 240/4.
        (192, 0, 0) | (192, 88, 99) | (198, 18..=19, _) | (240..=255, _, _) => {
            BlockReason::Reserved
        }
        (224..=239, _, _) => BlockReason::Multicast,
        _ => return None,
    })
}

fn classify_v6(ip: Ipv6Addr) -> Option<BlockReason> {
    let segments = ip.segments();
    let embedded_v4 = || {
        let [.., a, b, c, d] = ip.octets();
        Ipv4Addr::new(a, b, c, d)
    };
    if ip.is_unspecified() {
        return Some(BlockReason::Unspecified);
    }
    if ip.is_loopback() {
        return Some(BlockReason::Loopback);
    }
    // ::ffff:a.b.c.d (mapped) and ::a.b.c.d (deprecated compatible form).
    if segments[..5] == [0; 5] && (segments[5] == 0xffff || segments[5] == 0) {
        return classify_v4(embedded_v4()).or(if segments[5] == 0 {
            Some(BlockReason::Reserved)
        } else {
            None
        });
    }
    // NAT64 well-known prefix 64:ff9b::/96.
    if segments[..6] == [0x64, 0xff9b, 0, 0, 0, 0] {
        return classify_v4(embedded_v4());
    }
    // 6to4 2002::/16 carries the IPv4 address of its relay: 2002:a.b.c.d::.
    if segments[0] == 0x2002 {
        let [_, _, a, b, c, d, ..] = ip.octets();
        return classify_v4(Ipv4Addr::new(a, b, c, d));
    }
    let first = segments[0];
    Some(match first {
        _ if first & 0xff00 == 0xff00 => BlockReason::Multicast,
        _ if first & 0xfe00 == 0xfc00 => BlockReason::UniqueLocal,
        _ if first & 0xffc0 == 0xfe80 => BlockReason::LinkLocal,
        // Deprecated site-local.
        _ if first & 0xffc0 == 0xfec0 => BlockReason::Private,
        0x2001 if segments[1] == 0x0db8 => BlockReason::Documentation,
        // IETF protocol assignments 2001::/23, Teredo 2001::/32 among them
        // (its tunnels reach addresses nobody vetted).
        0x2001 if segments[1] < 0x0200 => BlockReason::Reserved,
        0x3fff if segments[1] & 0xf000 == 0 => BlockReason::Documentation,
        // Discard-only 100::/64.
        0x0100 if segments[1..4] == [0, 0, 0] => BlockReason::Reserved,
        // Anything outside global unicast 2000::/3.
        _ if first & 0xe000 != 0x2000 => BlockReason::Reserved,
        _ => return None,
    })
}

#[derive(Debug, thiserror::Error)]
#[error("EVENTURL_ALLOW_PRIVATE_TARGETS: {0:?} is not an address range; use CIDRs such as 10.0.0.0/8 or fd00::/8, separated by commas")]
pub struct PolicyError(String);

/// The addresses test sends may go to.
#[derive(Clone, Debug, Default)]
pub struct TargetPolicy {
    allowed: Vec<IpNet>,
}

impl TargetPolicy {
    /// Parses the operator's comma-separated CIDR list (a bare address is
    /// taken as a single host).
    pub fn from_allow_list(list: &str) -> Result<Self, PolicyError> {
        let allowed = list
            .split(',')
            .map(str::trim)
            .filter(|s| !s.is_empty())
            .map(|item| {
                item.parse::<IpNet>()
                    .or_else(|_| item.parse::<IpAddr>().map(IpNet::from))
                    .map_err(|_| PolicyError(item.to_owned()))
            })
            .collect::<Result<_, _>>()?;
        Ok(Self { allowed })
    }

    pub fn allowed_ranges(&self) -> &[IpNet] {
        &self.allowed
    }

    /// `Ok` when a send may connect to `ip`.
    pub fn check(&self, ip: IpAddr) -> Result<(), BlockReason> {
        let canonical = ip.to_canonical();
        if self
            .allowed
            .iter()
            .any(|net| net.contains(&ip) || net.contains(&canonical))
        {
            return Ok(());
        }
        match classify(ip) {
            Some(reason) => Err(reason),
            None => Ok(()),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn class(ip: &str) -> Option<BlockReason> {
        classify(ip.parse().unwrap())
    }

    #[test]
    fn public_addresses_pass() {
        for ip in [
            "1.1.1.1",
            "8.8.8.8",
            "93.184.216.34",
            "172.32.0.1",
            "100.128.0.1",
            "2606:4700:4700::1111",
            "2a00:1450:4001:80b::200e",
            "::ffff:8.8.8.8",
            "64:ff9b::808:808",
            "2002:808:808::1",
            "2001:200::1",
            "2001:4860:4860::8888",
        ] {
            assert_eq!(class(ip), None, "{ip}");
        }
    }

    #[test]
    fn special_ipv4_ranges_are_refused() {
        use BlockReason::*;
        for (ip, reason) in [
            ("0.0.0.0", Unspecified),
            ("0.1.2.3", Unspecified),
            ("127.0.0.1", Loopback),
            ("127.255.255.254", Loopback),
            ("10.1.2.3", Private),
            ("172.16.0.1", Private),
            ("172.31.255.255", Private),
            ("192.168.1.1", Private),
            ("100.64.0.1", SharedCgnat),
            ("100.127.255.255", SharedCgnat),
            ("169.254.169.254", LinkLocal),
            ("224.0.0.1", Multicast),
            ("239.255.255.250", Multicast),
            ("255.255.255.255", Broadcast),
            ("192.0.2.10", Documentation),
            ("198.51.100.7", Documentation),
            ("203.0.113.99", Documentation),
            ("198.18.0.1", Reserved),
            ("240.0.0.1", Reserved),
            ("192.0.0.8", Reserved),
            ("192.88.99.1", Reserved),
        ] {
            assert_eq!(class(ip), Some(reason), "{ip}");
        }
    }

    #[test]
    fn special_ipv6_ranges_and_embedded_ipv4_are_refused() {
        use BlockReason::*;
        for (ip, reason) in [
            ("::", Unspecified),
            ("::1", Loopback),
            ("fe80::1", LinkLocal),
            ("febf::1", LinkLocal),
            ("fc00::1", UniqueLocal),
            ("fd12:3456::1", UniqueLocal),
            ("ff02::1", Multicast),
            ("2001:db8::1", Documentation),
            ("3fff::1", Documentation),
            ("100::1", Reserved),
            ("fec0::1", Private),
            // IPv4-mapped and -compatible forms of refused IPv4 addresses.
            ("::ffff:127.0.0.1", Loopback),
            ("::ffff:10.0.0.1", Private),
            ("::ffff:169.254.169.254", LinkLocal),
            ("::ffff:7f00:1", Loopback),
            ("::127.0.0.1", Loopback),
            ("::8.8.8.8", Reserved),
            ("64:ff9b::a9fe:a9fe", LinkLocal),
            ("64:ff9b::7f00:1", Loopback),
            // 6to4 is judged by the IPv4 address it embeds.
            ("2002:7f00:1::", Loopback),
            ("2002:a00:1::5", Private),
            ("2002:a9fe:a9fe::", LinkLocal),
            // Teredo and the rest of 2001::/23.
            ("2001::1", Reserved),
            ("2001:0:4136:e378:8000:63bf:3fff:fdd2", Reserved),
            ("2001:2::1", Reserved),
            ("2001:1ff:ffff::1", Reserved),
        ] {
            assert_eq!(class(ip), Some(reason), "{ip}");
        }
    }

    #[test]
    fn the_operator_allow_list_opens_ranges_including_mapped_forms() {
        let policy = TargetPolicy::from_allow_list(" 127.0.0.0/8, 10.1.2.3 ,fd00::/8").unwrap();
        assert_eq!(policy.allowed_ranges().len(), 3);
        assert!(policy.check("127.0.0.1".parse().unwrap()).is_ok());
        assert!(policy.check("::ffff:127.0.0.1".parse().unwrap()).is_ok());
        assert!(policy.check("10.1.2.3".parse().unwrap()).is_ok());
        assert!(policy.check("fd00::5".parse().unwrap()).is_ok());
        assert_eq!(
            policy.check("10.1.2.4".parse().unwrap()),
            Err(BlockReason::Private)
        );
        assert_eq!(
            policy.check("::1".parse().unwrap()),
            Err(BlockReason::Loopback)
        );
        assert!(TargetPolicy::default()
            .check("127.0.0.1".parse().unwrap())
            .is_err());
    }

    #[test]
    fn a_bad_allow_list_names_the_setting_and_the_item() {
        let error = TargetPolicy::from_allow_list("10.0.0.0/8, lan").unwrap_err();
        let message = error.to_string();
        assert!(message.contains("EVENTURL_ALLOW_PRIVATE_TARGETS"));
        assert!(message.contains("\"lan\""));
        assert!(TargetPolicy::from_allow_list("")
            .unwrap()
            .allowed_ranges()
            .is_empty());
    }
}
