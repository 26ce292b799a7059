//! The outbound policy: which network addresses and file paths connectors
//! may reach. Link-local and cloud metadata addresses are always refused;
//! operators allow or deny the rest with CIDR lists, and confine file-based
//! sources to a set of roots. Addresses are checked after DNS resolution, on
//! every connect, by the connectors.

use std::net::IpAddr;
use std::path::{Component, Path, PathBuf};

use ipnet::IpNet;

/// Why the policy refused a target.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Refusal {
    /// The address is link-local or a cloud metadata endpoint.
    AlwaysDenied(IpAddr),
    /// The address is in `INLET_DENIED_NETWORKS`.
    Denied(IpAddr),
    /// `INLET_ALLOWED_NETWORKS` is set and the address is outside it.
    NotAllowed(IpAddr),
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
                    "address {ip} is link-local or a metadata endpoint and is always refused"
                )
            }
            Refusal::Denied(ip) => write!(f, "address {ip} is in INLET_DENIED_NETWORKS"),
            Refusal::NotAllowed(ip) => write!(f, "address {ip} is outside INLET_ALLOWED_NETWORKS"),
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
}

/// Link-local IPv4, link-local IPv6 and the AWS IPv6 metadata address.
fn always_denied(ip: IpAddr) -> bool {
    match ip {
        IpAddr::V4(v4) => v4.octets()[0] == 169 && v4.octets()[1] == 254,
        IpAddr::V6(v6) => {
            if let Some(v4) = v6.to_ipv4_mapped() {
                return always_denied(IpAddr::V4(v4));
            }
            let metadata = std::net::Ipv6Addr::new(0xfd00, 0x0ec2, 0, 0, 0, 0, 0, 0x0254);
            (v6.segments()[0] & 0xffc0) == 0xfe80 || v6 == metadata
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
        if !self.allowed.is_empty() && !self.allowed.iter().any(|n| n.contains(&ip)) {
            return Err(Refusal::NotAllowed(ip));
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

    fn tempfile_dir() -> PathBuf {
        let dir = std::env::temp_dir().join(format!("inlet-policy-{}", rand::random::<u64>()));
        std::fs::create_dir_all(&dir).unwrap();
        dir
    }
}
