//! SSH tunnels for network databases. With `useSshTunnel`, Inlet opens an
//! SSH session to `sshHost` (checked against the outbound policy like any
//! other address), listens on an ephemeral loopback port, and forwards each
//! connection accepted there through a `direct-tcpip` channel to the
//! database host — which the bastion resolves and reaches, not Inlet. The
//! driver connects to the loopback port; dropping the [`Tunnel`] closes it.
//!
//! The session is opened by [`crate::ssh`] with the connection's own key or
//! password, and the bastion's host key is pinned in `sshHostKey` on first
//! use (see there); the fingerprint it presented is kept on the [`Tunnel`]
//! for the test to report.

use std::net::SocketAddr;
use std::sync::Arc;

use inlet_core::connector::{ConnectorError, Context, SourceConfig, TestReport};
use tokio::net::TcpListener;

use crate::{net, ssh};

/// An open tunnel; dropping it closes the listener and the SSH session.
pub struct Tunnel {
    task: tokio::task::JoinHandle<()>,
    /// The `SHA256:…` fingerprint of the bastion's host key.
    pub host_key: String,
}

/// What a passing test through `tunnel` (if any) reports: the bastion's
/// host key, for the services to pin.
pub fn test_report(tunnel: Option<&Tunnel>) -> TestReport {
    TestReport {
        ssh_host_key: tunnel.map(|t| t.host_key.clone()),
    }
}

impl Drop for Tunnel {
    fn drop(&mut self) {
        self.task.abort();
    }
}

/// Without `useSshTunnel`, resolves and checks `host:port` and returns it;
/// with it, opens a tunnel to `host:port` through the bastion and returns the
/// loopback address to connect to instead.
pub async fn maybe_open(
    ctx: &Context,
    source: &SourceConfig,
    host: &str,
    port: u16,
) -> Result<(SocketAddr, Option<Tunnel>), ConnectorError> {
    if !source.flag("useSshTunnel") {
        let resolved = net::resolve(ctx, host, port).await?;
        return Ok((resolved[0], None));
    }
    let missing =
        |f: &str| ConnectorError::Invalid(format!("credentials.{f} is required with useSshTunnel"));
    let ssh_host = source
        .str("sshHost")
        .filter(|h| !h.is_empty())
        .ok_or_else(|| missing("sshHost"))?;
    let ssh_port = u16::try_from(source.int("sshPort").unwrap_or(22)).map_err(|_| {
        ConnectorError::Invalid("credentials.sshPort must be between 1 and 65535".into())
    })?;
    let user = source
        .str("sshUsername")
        .ok_or_else(|| missing("sshUsername"))?;
    let addr = net::resolve(ctx, ssh_host, ssh_port).await?[0];
    let session = ssh::connect(
        ctx,
        source,
        &ssh::Target {
            host: ssh_host,
            addr,
            user,
        },
    )
    .await?;
    let host_key = session.host_key;
    let session = session.handle;

    let listener = TcpListener::bind("127.0.0.1:0")
        .await
        .map_err(|e| ConnectorError::Tunnel(format!("cannot open a local tunnel port: {e}")))?;
    let local = listener
        .local_addr()
        .map_err(|e| ConnectorError::Tunnel(format!("cannot open a local tunnel port: {e}")))?;
    let target_host = host.to_owned();
    let session = Arc::new(session);
    let task = tokio::spawn(async move {
        while let Ok((mut inbound, peer)) = listener.accept().await {
            let session = session.clone();
            let target_host = target_host.clone();
            tokio::spawn(async move {
                let channel = match session
                    .channel_open_direct_tcpip(
                        target_host.as_str(),
                        u32::from(port),
                        peer.ip().to_string(),
                        u32::from(peer.port()),
                    )
                    .await
                {
                    Ok(c) => c,
                    Err(e) => {
                        tracing::warn!(error = %e, "SSH tunnel could not reach the database");
                        return;
                    }
                };
                let mut stream = channel.into_stream();
                let _ = tokio::io::copy_bidirectional(&mut inbound, &mut stream).await;
            });
        }
    });
    Ok((local, Some(Tunnel { task, host_key })))
}

/// Where a database driver should connect for `source`.
pub struct Endpoint {
    /// Host to give the driver: the checked address, or the name when the
    /// certificate check needs it (`verify_name`) and no tunnel is used.
    pub host: String,
    /// Port to give the driver.
    pub port: u16,
    /// The tunnel to keep open while connected.
    pub tunnel: Option<Tunnel>,
    /// `host:port` as configured, for messages.
    pub display: String,
}

/// Resolves and checks the configured `host`/`port`, opening an SSH tunnel
/// when asked.
pub async fn endpoint(
    ctx: &Context,
    source: &SourceConfig,
    default_port: u16,
    verify_name: bool,
) -> Result<Endpoint, ConnectorError> {
    let (host, port) = net::host_port(source, default_port)?;
    let (target, tunnel) = maybe_open(ctx, source, &host, port).await?;
    Ok(Endpoint {
        host: if verify_name && tunnel.is_none() {
            host.clone()
        } else {
            target.ip().to_string()
        },
        port: target.port(),
        tunnel,
        display: format!("{host}:{port}"),
    })
}
