//! SSH tunnels for network databases. With `useSshTunnel`, Inlet opens an
//! SSH session to `sshHost` (checked against the outbound policy like any
//! other address), listens on an ephemeral loopback port, and forwards each
//! connection accepted there through a `direct-tcpip` channel to the
//! database host — which the bastion resolves and reaches, not Inlet. The
//! driver connects to the loopback port; dropping the [`Tunnel`] closes it.
//!
//! The server's host key is checked against `sshHostKey` (an OpenSSH
//! `SHA256:…` fingerprint) when given; otherwise it is accepted and its
//! fingerprint logged, as a first connection with `ssh` would ask.

use std::net::SocketAddr;
use std::sync::Arc;

use inlet_core::connector::{ConnectorError, Context, SourceConfig};
use russh::client;
use russh::keys::{HashAlg, PrivateKeyWithHashAlg, PublicKeyOrCertificate, decode_secret_key};
use tokio::net::{TcpListener, TcpStream};

use crate::net;

/// An open tunnel; dropping it closes the listener and the SSH session.
pub struct Tunnel {
    task: tokio::task::JoinHandle<()>,
}

impl Drop for Tunnel {
    fn drop(&mut self) {
        self.task.abort();
    }
}

/// Checks the server's host key.
struct HostKeyCheck {
    expected: Option<String>,
    host: String,
}

impl client::Handler for HostKeyCheck {
    type Error = russh::Error;

    async fn check_server_key(
        &mut self,
        key: &PublicKeyOrCertificate,
    ) -> Result<bool, Self::Error> {
        let fingerprint = key.public_key().fingerprint(HashAlg::Sha256).to_string();
        match &self.expected {
            Some(expected) => Ok(expected.trim() == fingerprint),
            None => {
                tracing::info!(host = %self.host, %fingerprint, "accepted SSH host key (set sshHostKey to pin it)");
                Ok(true)
            }
        }
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
    let what = format!("SSH server {ssh_host}:{ssh_port}");
    let addr = net::resolve(ctx, ssh_host, ssh_port).await?[0];

    let tcp = net::timed(ctx, &what, async {
        TcpStream::connect(addr)
            .await
            .map_err(|e| net::io_error(&what, &e))
    })
    .await?;
    let config = Arc::new(client::Config {
        inactivity_timeout: Some(std::time::Duration::from_secs(600)),
        ..Default::default()
    });
    let handler = HostKeyCheck {
        expected: source.str("sshHostKey").map(str::to_owned),
        host: ssh_host.to_owned(),
    };
    let tunnel_err = |e: russh::Error| ConnectorError::Tunnel(format!("{what}: {e}"));
    let mut session = net::timed(ctx, &what, async {
        client::connect_stream(config, tcp, handler)
            .await
            .map_err(|e| match e {
                russh::Error::UnknownKey => ConnectorError::Tunnel(format!(
                    "{what}: the host key does not match sshHostKey"
                )),
                other => tunnel_err(other),
            })
    })
    .await?;

    let authenticated = net::timed(ctx, &what, async {
        if let Some(pem) = source.str("sshPrivateKey") {
            let key = decode_secret_key(pem, None).map_err(|_| {
                ConnectorError::Invalid(
                    "credentials.sshPrivateKey is not a readable private key".into(),
                )
            })?;
            let hash = session
                .best_supported_rsa_hash()
                .await
                .map_err(tunnel_err)?
                .flatten();
            session
                .authenticate_publickey(user, PrivateKeyWithHashAlg::new(Arc::new(key), hash))
                .await
                .map_err(tunnel_err)
        } else if let Some(pw) = source.str("sshPassword") {
            session
                .authenticate_password(user, pw)
                .await
                .map_err(tunnel_err)
        } else {
            Err(missing("sshPrivateKey or credentials.sshPassword"))
        }
    })
    .await?;
    if !authenticated.success() {
        return Err(ConnectorError::InvalidCredentials(format!(
            "SSH authentication failed for user {user} at {ssh_host}"
        )));
    }

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
    Ok((local, Some(Tunnel { task })))
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
