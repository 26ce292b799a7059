//! The outbound policy: which network addresses and file paths connectors
//! may reach. Link-local, unspecified and cloud metadata addresses are
//! always refused; operators allow or deny the rest with CIDR lists, and
//! confine file-based sources to a set of roots. An instance administrator
//! narrows this further per organization ([`OrgPolicy`]): connectors work
//! under the instance policy narrowed by their organization's
//! ([`OutboundPolicy::narrowed`]). Addresses are checked after DNS
//! resolution, on every connect, by the connectors.

use std::net::IpAddr;
use std::path::{Component, Path, PathBuf};

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

/// One organization's outbound policy, set by an instance administrator. It
/// only narrows the instance's: an address the instance refuses stays
/// refused, and file roots must lie inside the instance's.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OrgPolicy {
    /// When non-empty, the organization reaches only these networks.
    pub allowed_networks: Vec<IpNet>,
    /// Networks the organization may not reach.
    pub denied_networks: Vec<IpNet>,
    /// Refuses loopback (`127.0.0.0/8`, `::1`) and the address Inlet
    /// listens on, so an organization cannot reach the Inlet host's own
    /// services (its database, its metrics, other local daemons).
    pub deny_local: bool,
    /// The file roots the organization's file-based sources may read:
    /// `None` means every instance root; an empty list, none.
    pub file_roots: Option<Vec<PathBuf>>,
}

impl OrgPolicy {
    /// The policy of the instance's own first organization: the instance
    /// policy as configured, nothing narrowed.
    pub fn unrestricted() -> Self {
        Self {
            allowed_networks: Vec::new(),
            denied_networks: Vec::new(),
            deny_local: false,
            file_roots: None,
        }
    }

    /// The policy every later organization starts with: no local
    /// addresses, no file roots, until an instance administrator widens it.
    pub fn restricted() -> Self {
        Self {
            deny_local: true,
            file_roots: Some(Vec::new()),
            ..Self::unrestricted()
        }
    }

    /// The stored form: `{"allowedNetworks": [..], "deniedNetworks": [..],
    /// "denyLocal": bool, "fileRoots": [..] | null}`.
    pub fn to_json(&self) -> serde_json::Value {
        let nets = |list: &[IpNet]| list.iter().map(ToString::to_string).collect::<Vec<_>>();
        serde_json::json!({
            "allowedNetworks": nets(&self.allowed_networks),
            "deniedNetworks": nets(&self.denied_networks),
            "denyLocal": self.deny_local,
            "fileRoots": self.file_roots.as_ref().map(|roots| {
                roots.iter().map(|r| r.display().to_string()).collect::<Vec<_>>()
            }),
        })
    }

    /// Reads the stored form back.
    pub fn from_json(value: &serde_json::Value) -> Result<Self, String> {
        let strings = |key: &str| -> Result<Option<Vec<String>>, String> {
            match value.get(key) {
                None | Some(serde_json::Value::Null) => Ok(None),
                Some(v) => serde_json::from_value(v.clone())
                    .map(Some)
                    .map_err(|e| format!("{key}: {e}")),
            }
        };
        let nets = |key: &str| -> Result<Vec<IpNet>, String> {
            OutboundPolicy::parse_networks(key, &strings(key)?.unwrap_or_default().join(","))
        };
        Ok(Self {
            allowed_networks: nets("allowedNetworks")?,
            denied_networks: nets("deniedNetworks")?,
            deny_local: value
                .get("denyLocal")
                .and_then(serde_json::Value::as_bool)
                .unwrap_or(true),
            file_roots: strings("fileRoots")?
                .map(|roots| roots.into_iter().map(PathBuf::from).collect()),
        })
    }
}

/// Loopback, which [`OrgPolicy::deny_local`] refuses.
const LOOPBACK: [IpNet; 2] = [
    IpNet::new_assert(IpAddr::V4(std::net::Ipv4Addr::new(127, 0, 0, 0)), 8),
    IpNet::new_assert(IpAddr::V6(std::net::Ipv6Addr::LOCALHOST), 128),
];

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

    /// Checks `path` against the roots and resolves it (relative paths are
    /// taken from the first root). The check is lexical first: `.` and `..`
    /// are resolved without touching the file system, and anything outside
    /// every root is refused before the file system is asked about it, so a
    /// refusal says nothing about what exists out there. Only then are
    /// symlinks resolved, and a path that leads outside is refused the same
    /// way. A missing file inside a root is an I/O error, not a refusal.
    pub fn check_path(&self, path: &str) -> Result<Result<PathBuf, Refusal>, std::io::Error> {
        let given = Path::new(path);
        let joined = match (given.is_absolute(), self.file_roots.first()) {
            (false, Some(root)) => root.join(given),
            _ => given.to_path_buf(),
        };
        let lexical = normalize(&joined);
        if !self.inside_roots(&lexical) {
            return Ok(Err(Refusal::OutsideRoots));
        }
        match std::fs::canonicalize(&lexical) {
            Ok(canonical) if self.inside_roots(&canonical) => Ok(Ok(canonical)),
            Ok(_) => Ok(Err(Refusal::OutsideRoots)),
            // A symlink inside a root may point at a missing place outside:
            // judge by the deepest part that exists (a dangling link counts
            // as outside), so the error cannot tell what exists out there.
            Err(e) => {
                let deepest = lexical
                    .ancestors()
                    .find(|a| std::fs::symlink_metadata(a).is_ok())
                    .and_then(|a| std::fs::canonicalize(a).ok());
                match deepest {
                    Some(existing) if self.inside_roots(&existing) => Err(e),
                    _ => Ok(Err(Refusal::OutsideRoots)),
                }
            }
        }
    }

    fn inside_roots(&self, path: &Path) -> bool {
        self.file_roots.iter().any(|root| path.starts_with(root))
    }
}

/// `path` with `.` and `..` resolved by its text alone (`..` at the root
/// stays at the root, as the kernel does).
fn normalize(path: &Path) -> PathBuf {
    let mut out = PathBuf::new();
    for part in path.components() {
        match part {
            Component::CurDir => {}
            Component::ParentDir => {
                out.pop();
            }
            other => out.push(other.as_os_str()),
        }
    }
    out
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
    fn paths_stay_inside_roots_after_resolution() {
        let root = tempfile_dir();
        let outside = tempfile_dir();
        std::fs::write(root.join("ok.csv"), "a\n1\n").unwrap();
        std::fs::write(outside.join("secret.csv"), "a\n1\n").unwrap();
        #[cfg(unix)]
        std::os::unix::fs::symlink(outside.join("secret.csv"), root.join("link.csv")).unwrap();
        let p = OutboundPolicy {
            file_roots: vec![std::fs::canonicalize(&root).unwrap()],
            ..Default::default()
        };
        assert!(p.check_path("ok.csv").unwrap().is_ok());
        assert!(
            p.check_path(root.join("ok.csv").to_str().unwrap())
                .unwrap()
                .is_ok()
        );
        let traversal = format!(
            "../{}/secret.csv",
            outside.file_name().unwrap().to_str().unwrap()
        );
        assert!(matches!(
            p.check_path(&traversal).unwrap(),
            Err(Refusal::OutsideRoots)
        ));
        #[cfg(unix)]
        assert!(matches!(
            p.check_path("link.csv").unwrap(),
            Err(Refusal::OutsideRoots)
        ));
        assert!(p.check_path("missing.csv").is_err());
        assert!(p.check_path("./sub/../missing.csv").is_err());
        let _ = std::fs::remove_dir_all(root);
        let _ = std::fs::remove_dir_all(outside);
    }

    #[test]
    fn outside_the_roots_nothing_is_told_about_what_exists() {
        let root = tempfile_dir();
        let outside = tempfile_dir();
        std::fs::write(outside.join("there.csv"), "a\n1\n").unwrap();
        #[cfg(unix)]
        {
            std::os::unix::fs::symlink(&outside, root.join("out")).unwrap();
            std::os::unix::fs::symlink(outside.join("gone"), root.join("dangling")).unwrap();
        }
        let p = OutboundPolicy {
            file_roots: vec![std::fs::canonicalize(&root).unwrap()],
            ..Default::default()
        };
        let out = outside.to_str().unwrap();
        let up = format!("../{}", outside.file_name().unwrap().to_str().unwrap());
        let mut probes = vec![
            format!("{out}/there.csv"),
            format!("{out}/missing.csv"),
            format!("{up}/there.csv"),
            format!("{up}/missing.csv"),
            format!("{}/../../../{out}/there.csv", root.display()),
            "/".to_owned(),
            "..".to_owned(),
        ];
        if cfg!(unix) {
            probes.extend(
                ["out/there.csv", "out/missing.csv", "out/x/y", "dangling"].map(String::from),
            );
        }
        for probe in &probes {
            let refusal = p.check_path(probe).expect(probe).expect_err(probe);
            assert_eq!(refusal, Refusal::OutsideRoots, "{probe}");
            assert!(!refusal.to_string().contains(out), "{probe}");
        }
        // `..` that stays inside is fine; a file name is not a directory.
        std::fs::write(root.join("in.csv"), "a\n1\n").unwrap();
        assert!(p.check_path("x/../in.csv").unwrap().is_ok());
        assert!(p.check_path("in.csv/..").unwrap().is_ok());
        assert_eq!(
            normalize(Path::new("/a/./b/../../../c")),
            PathBuf::from("/c")
        );
        let _ = std::fs::remove_dir_all(root);
        let _ = std::fs::remove_dir_all(outside);
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

    #[test]
    fn an_organization_policy_reads_back_as_stored() {
        let policy = OrgPolicy {
            allowed_networks: OutboundPolicy::parse_networks("x", "10.0.0.0/8").unwrap(),
            denied_networks: OutboundPolicy::parse_networks("x", "10.9.0.0/16, ::1").unwrap(),
            deny_local: false,
            file_roots: Some(vec![PathBuf::from("/srv/acme")]),
        };
        assert_eq!(OrgPolicy::from_json(&policy.to_json()).unwrap(), policy);
        for p in [OrgPolicy::restricted(), OrgPolicy::unrestricted()] {
            assert_eq!(OrgPolicy::from_json(&p.to_json()).unwrap(), p);
        }
    }

    fn tempfile_dir() -> PathBuf {
        let dir = std::env::temp_dir().join(format!("inlet-policy-{}", rand::random::<u64>()));
        std::fs::create_dir_all(&dir).unwrap();
        dir
    }
}
