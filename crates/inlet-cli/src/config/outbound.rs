//! The instance's outbound policy from the settings: file roots created and
//! resolved, allowed and denied networks parsed, and Inlet's own listen
//! address (denied to organizations that deny local addresses).

use std::net::SocketAddr;
use std::path::PathBuf;

use anyhow::{Context, Result};
use inlet_core::policy::OutboundPolicy;

use super::Raw;

/// The outbound policy `raw` describes, for a server listening on `listen`.
pub(super) fn policy(raw: &Raw, listen: SocketAddr) -> Result<OutboundPolicy> {
    let file_roots = match &raw.file_roots {
        Some(list) => list
            .split(',')
            .map(str::trim)
            .filter(|s| !s.is_empty())
            .map(PathBuf::from)
            .collect(),
        None => vec![raw.data_dir.join("files")],
    };
    let mut roots = Vec::new();
    for root in file_roots {
        std::fs::create_dir_all(&root).with_context(|| {
            format!(
                "file_roots (INLET_FILE_ROOTS): cannot create {}",
                root.display()
            )
        })?;
        roots.push(std::fs::canonicalize(&root).with_context(|| {
            format!(
                "file_roots (INLET_FILE_ROOTS): cannot resolve {}",
                root.display()
            )
        })?);
    }
    Ok(OutboundPolicy {
        allowed: OutboundPolicy::parse_networks(
            "allowed_networks (INLET_ALLOWED_NETWORKS)",
            &raw.allowed_networks,
        )
        .map_err(anyhow::Error::msg)?,
        denied: OutboundPolicy::parse_networks(
            "denied_networks (INLET_DENIED_NETWORKS)",
            &raw.denied_networks,
        )
        .map_err(anyhow::Error::msg)?,
        file_roots: roots,
        allow_local_git: raw.allow_local_git,
        // Organizations that deny local addresses may not reach the
        // address Inlet listens on (loopback is denied to them anyway;
        // an unspecified listen address names no one address).
        own_addresses: if listen.ip().is_unspecified() {
            Vec::new()
        } else {
            OutboundPolicy::parse_networks("listen", &listen.ip().to_string())
                .map_err(anyhow::Error::msg)?
        },
        ..OutboundPolicy::default()
    })
}
