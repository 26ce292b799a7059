//! One organization's outbound policy, which narrows the instance's.

use std::net::IpAddr;
use std::path::PathBuf;

use ipnet::IpNet;

use super::OutboundPolicy;

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
pub(super) const LOOPBACK: [IpNet; 2] = [
    IpNet::new_assert(IpAddr::V4(std::net::Ipv4Addr::new(127, 0, 0, 0)), 8),
    IpNet::new_assert(IpAddr::V6(std::net::Ipv6Addr::LOCALHOST), 128),
];

#[cfg(test)]
mod tests {
    use super::*;

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
}
