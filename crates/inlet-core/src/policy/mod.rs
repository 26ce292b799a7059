//! The outbound policy: which network addresses and file paths connectors
//! may reach. Link-local, unspecified and cloud metadata addresses are
//! always refused; operators allow or deny the rest with CIDR lists, and
//! confine file-based sources to a set of roots. An instance administrator
//! narrows this further per organization ([`OrgPolicy`]): connectors work
//! under the instance policy narrowed by their organization's
//! ([`OutboundPolicy::narrowed`]). Addresses are checked after DNS
//! resolution, on every connect, by the connectors.

use std::net::IpAddr;
use std::path::PathBuf;

mod org;
mod paths;

use org::LOOPBACK;
pub use org::OrgPolicy;

use ipnet::IpNet;

/// Why the policy refused a target.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Refusal {
    /// The address is link-local, unspecified or a cloud metadata endpoint.
    AlwaysDenied(IpAddr),
    /// The address is in `INLET_DENIED_NETWORKS`.
    Denied(IpAddr),
    /// `INLET_ALLOWED_NETWORKS` is set and the address is outside it.
    NotAllowed(IpAddr),
    /// The organization's policy denies the address (its denied networks,
    /// or loopback and Inlet's own addresses when it denies local ones).
    OrgDenied(IpAddr),
    /// The organization's policy allows some networks, not this address.
    OrgNotAllowed(IpAddr),
    /// The path lies, or leads, outside every file root. It carries no path:
    /// the answer must be the same whatever exists out there.
    OutsideRoots,
}

impl std::fmt::Display for Refusal {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Refusal::AlwaysDenied(ip) => {
                write!(
                    f,
                    "address {ip} is link-local, unspecified or a metadata endpoint and is always refused"
                )
            }
            Refusal::Denied(ip) => write!(f, "address {ip} is in INLET_DENIED_NETWORKS"),
            Refusal::NotAllowed(ip) => write!(f, "address {ip} is outside INLET_ALLOWED_NETWORKS"),
            Refusal::OrgDenied(ip) => write!(
                f,
                "address {ip} is denied by this organization's outbound policy (set by an instance administrator)"
            ),
            Refusal::OrgNotAllowed(ip) => write!(
                f,
                "address {ip} is outside this organization's allowed networks (set by an instance administrator)"
            ),
            Refusal::OutsideRoots => write!(
                f,
                "the path is outside the allowed file roots (INLET_FILE_ROOTS)"
            ),
        }
    }
}

/// Networks and file roots connectors may reach.
#[derive(Debug, Clone, Default)]
pub struct OutboundPolicy {
    /// When non-empty, only these networks are reachable.
    pub allowed: Vec<IpNet>,
    /// Never reachable (checked before `allowed`).
    pub denied: Vec<IpNet>,
    /// Directories file-based sources must stay inside (canonical paths).
    pub file_roots: Vec<PathBuf>,
    /// Whether git may use local paths (inside the roots).
    pub allow_local_git: bool,
    /// Inlet's own addresses beyond loopback (the address it listens on),
    /// denied to organizations whose policy denies local addresses.
    pub own_addresses: Vec<IpNet>,
    /// Denied by the organization (see [`OutboundPolicy::narrowed`]).
    pub org_denied: Vec<IpNet>,
    /// When non-empty, the organization reaches only these.
    pub org_allowed: Vec<IpNet>,
}

/// Link-local IPv4 and IPv6, the AWS IPv6 metadata address, and the
/// unspecified addresses: `0.0.0.0` (and all of `0.0.0.0/8`, "this
/// network") and `::`, which the kernel takes as this host, so they would
/// reach loopback services past a loopback deny.
fn always_denied(ip: IpAddr) -> bool {
    match ip {
        IpAddr::V4(v4) => {
            let [a, b, ..] = v4.octets();
            (a == 169 && b == 254) || a == 0
        }
        IpAddr::V6(v6) => {
            if let Some(v4) = v6.to_ipv4_mapped() {
                return always_denied(IpAddr::V4(v4));
            }
            let metadata = std::net::Ipv6Addr::new(0xfd00, 0x0ec2, 0, 0, 0, 0, 0, 0x0254);
            (v6.segments()[0] & 0xffc0) == 0xfe80 || v6 == metadata || v6.is_unspecified()
        }
    }
}

impl OutboundPolicy {
    /// Parses a comma-separated CIDR list (`10.0.0.0/8, ::1/128`), naming `setting` on error.
    pub fn parse_networks(setting: &str, list: &str) -> Result<Vec<IpNet>, String> {
        list.split(',')
            .map(str::trim)
            .filter(|s| !s.is_empty())
            .map(|s| {
                s.parse::<IpNet>()
                    .or_else(|_| s.parse::<IpAddr>().map(IpNet::from))
                    .map_err(|_| format!("{setting}: {s:?} is not a CIDR network"))
            })
            .collect()
    }

    /// This policy narrowed by an organization's: its denied networks (and
    /// loopback and Inlet's own addresses when it denies local ones) are
    /// refused, its allowed networks bound what is reachable, and its file
    /// roots replace the instance's (each must lie inside an instance root;
    /// others are dropped).
    pub fn narrowed(&self, org: &OrgPolicy) -> OutboundPolicy {
        let mut narrowed = self.clone();
        narrowed
            .org_denied
            .extend(org.denied_networks.iter().copied());
        if org.deny_local {
            narrowed.org_denied.extend(LOOPBACK);
            narrowed
                .org_denied
                .extend(self.own_addresses.iter().copied());
        }
        narrowed
            .org_allowed
            .extend(org.allowed_networks.iter().copied());
        if let Some(roots) = &org.file_roots {
            narrowed.file_roots = roots
                .iter()
                .filter(|r| self.inside_roots(r))
                .cloned()
                .collect();
        }
        narrowed
    }

    /// Checks one resolved address.
    pub fn check_ip(&self, ip: IpAddr) -> Result<(), Refusal> {
        let ip = match ip {
            IpAddr::V6(v6) => v6.to_ipv4_mapped().map_or(ip, IpAddr::V4),
            v4 => v4,
        };
        if always_denied(ip) {
            return Err(Refusal::AlwaysDenied(ip));
        }
        if self.denied.iter().any(|n| n.contains(&ip)) {
            return Err(Refusal::Denied(ip));
        }
        if self.org_denied.iter().any(|n| n.contains(&ip)) {
            return Err(Refusal::OrgDenied(ip));
        }
        if !self.allowed.is_empty() && !self.allowed.iter().any(|n| n.contains(&ip)) {
            return Err(Refusal::NotAllowed(ip));
        }
        if !self.org_allowed.is_empty() && !self.org_allowed.iter().any(|n| n.contains(&ip)) {
            return Err(Refusal::OrgNotAllowed(ip));
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ip(s: &str) -> IpAddr {
        s.parse().unwrap()
    }

    #[test]
    fn metadata_and_link_local_are_always_refused() {
        let open = OutboundPolicy::default();
        for s in [
            "169.254.169.254",
            "169.254.0.1",
            "fe80::1",
            "febf::1",
            "fd00:ec2::254",
            "::ffff:169.254.169.254",
            "0.0.0.0",
            "0.1.2.3",
            "::",
            "::ffff:0.0.0.0",
        ] {
            assert!(
                matches!(open.check_ip(ip(s)), Err(Refusal::AlwaysDenied(_))),
                "{s}"
            );
        }
        // Even an explicit allow does not open them.
        let allow_all = OutboundPolicy {
            allowed: OutboundPolicy::parse_networks("x", "0.0.0.0/0, ::/0").unwrap(),
            ..Default::default()
        };
        assert!(allow_all.check_ip(ip("169.254.169.254")).is_err());
        for s in [
            "10.1.2.3",
            "192.168.0.1",
            "8.8.8.8",
            "127.0.0.1",
            "::1",
            "fd00:ec2::253",
            "fec0::1",
        ] {
            assert!(open.check_ip(ip(s)).is_ok(), "{s}");
        }
    }

    #[test]
    fn denied_wins_over_allowed() {
        let p = OutboundPolicy {
            allowed: OutboundPolicy::parse_networks(
                "INLET_ALLOWED_NETWORKS",
                "10.0.0.0/8,127.0.0.0/8",
            )
            .unwrap(),
            denied: OutboundPolicy::parse_networks("INLET_DENIED_NETWORKS", "10.9.0.0/16").unwrap(),
            ..Default::default()
        };
        assert!(p.check_ip(ip("10.1.1.1")).is_ok());
        assert_eq!(
            p.check_ip(ip("10.9.1.1")),
            Err(Refusal::Denied(ip("10.9.1.1")))
        );
        assert_eq!(
            p.check_ip(ip("192.168.1.1")),
            Err(Refusal::NotAllowed(ip("192.168.1.1")))
        );
        assert_eq!(
            p.check_ip(ip("::ffff:10.9.0.5")),
            Err(Refusal::Denied(ip("10.9.0.5")))
        );
        assert!(
            OutboundPolicy::parse_networks("INLET_DENIED_NETWORKS", "nope")
                .unwrap_err()
                .contains("INLET_DENIED_NETWORKS")
        );
    }

    #[test]
    fn an_organization_narrows_the_instance_policy() {
        let instance = OutboundPolicy {
            denied: OutboundPolicy::parse_networks("x", "10.9.0.0/16").unwrap(),
            own_addresses: OutboundPolicy::parse_networks("x", "192.0.2.10").unwrap(),
            file_roots: vec![PathBuf::from("/srv/data"), PathBuf::from("/srv/other")],
            ..Default::default()
        };
        // The first organization: as the instance.
        let first = instance.narrowed(&OrgPolicy::unrestricted());
        for s in ["127.0.0.1", "::1", "192.0.2.10", "10.1.1.1"] {
            assert!(first.check_ip(ip(s)).is_ok(), "{s}");
        }
        assert_eq!(first.file_roots, instance.file_roots);
        // A later one: no loopback, not Inlet's own address, no roots.
        let later = instance.narrowed(&OrgPolicy::restricted());
        for s in [
            "127.0.0.1",
            "127.9.9.9",
            "::1",
            "::ffff:127.0.0.1",
            "192.0.2.10",
        ] {
            assert!(
                matches!(later.check_ip(ip(s)), Err(Refusal::OrgDenied(_))),
                "{s}"
            );
        }
        assert!(later.check_ip(ip("10.1.1.1")).is_ok());
        // The instance's own refusals still come first.
        assert!(matches!(
            later.check_ip(ip("10.9.1.1")),
            Err(Refusal::Denied(_))
        ));
        assert!(later.file_roots.is_empty());
        // Allowed networks bound it; roots outside the instance's are dropped.
        let granted = instance.narrowed(&OrgPolicy {
            allowed_networks: OutboundPolicy::parse_networks("x", "10.1.0.0/16").unwrap(),
            file_roots: Some(vec![PathBuf::from("/srv/data/acme"), PathBuf::from("/etc")]),
            ..OrgPolicy::unrestricted()
        });
        assert!(granted.check_ip(ip("10.1.2.3")).is_ok());
        assert!(matches!(
            granted.check_ip(ip("10.2.0.1")),
            Err(Refusal::OrgNotAllowed(_))
        ));
        assert_eq!(granted.file_roots, vec![PathBuf::from("/srv/data/acme")]);
        assert!(
            Refusal::OrgDenied(ip("127.0.0.1"))
                .to_string()
                .contains("organization")
        );
    }
}
