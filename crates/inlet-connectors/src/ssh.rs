//! SSH sessions opened with a connection's own credentials, shared by the
//! database tunnels and git over ssh. Nothing of the Inlet service account
//! is used: no agent, no `~/.ssh` keys or config, no `known_hosts` — only the
//! connection's `sshPrivateKey` or `sshPassword` and its pinned `sshHostKey`.
//!
//! Host keys are trusted on first use: when the connection has no
//! `sshHostKey`, the key the server presents is accepted and its
//! fingerprint returned, for the services to pin after a passing test; when
//! it has one, any other key is refused with an error naming both
//! fingerprints (code `ssh_tunnel_failed`). Setting `sshHostKey` to an empty
//! value clears the pin, and the next passing test pins the new key.

use std::net::SocketAddr;
use std::sync::{Arc, Mutex};

use inlet_core::connector::{ConnectorError, Context, SourceConfig};
use russh::client;
use russh::keys::{HashAlg, PrivateKeyWithHashAlg, PublicKeyOrCertificate, decode_secret_key};
use tokio::net::TcpStream;

use crate::net;

/// Where to open a session and as whom; the secrets come from the source.
pub struct Target<'a> {
    /// Host as configured, for messages.
    pub host: &'a str,
    /// The checked address to connect to.
    pub addr: SocketAddr,
    /// The SSH user.
    pub user: &'a str,
}

/// An authenticated session and the host key fingerprint it was opened with.
pub struct Session {
    /// The session; dropping it closes the connection.
    pub handle: client::Handle<HostKeyCheck>,
    /// The `SHA256:…` fingerprint of the key the server presented.
    pub host_key: String,
}

/// Checks the server's host key against the pin and records what it saw.
pub struct HostKeyCheck {
    expected: Option<String>,
    seen: Arc<Mutex<Option<String>>>,
}

impl client::Handler for HostKeyCheck {
    type Error = russh::Error;

    async fn check_server_key(
        &mut self,
        key: &PublicKeyOrCertificate,
    ) -> Result<bool, Self::Error> {
        let fingerprint = key.public_key().fingerprint(HashAlg::Sha256).to_string();
        let matches = self
            .expected
            .as_deref()
            .is_none_or(|expected| expected == fingerprint);
        if let Ok(mut seen) = self.seen.lock() {
            *seen = Some(fingerprint);
        }
        Ok(matches)
    }
}

/// The pinned host key of `source`: `sshHostKey`, unless empty (cleared).
pub fn pinned_host_key(source: &SourceConfig) -> Option<String> {
    source
        .str("sshHostKey")
        .map(str::trim)
        .filter(|k| !k.is_empty())
        .map(str::to_owned)
}

/// Opens a session to `target` and authenticates with the source's
/// `sshPrivateKey` or, failing that, its `sshPassword`; with neither it
/// refuses rather than fall back to anything of the service account.
pub async fn connect(
    ctx: &Context,
    source: &SourceConfig,
    target: &Target<'_>,
) -> Result<Session, ConnectorError> {
    let what = format!("SSH server {}:{}", target.host, target.addr.port());
    let key = source.str("sshPrivateKey").filter(|k| !k.trim().is_empty());
    let password = source.str("sshPassword").filter(|p| !p.is_empty());
    if key.is_none() && password.is_none() {
        return Err(ConnectorError::Invalid(
            "credentials.sshPrivateKey or credentials.sshPassword is required for SSH".into(),
        ));
    }
    let (mut handle, host_key) = handshake(ctx, source, target, &what).await?;
    authenticate(ctx, &mut handle, target, &what, key, password).await?;
    Ok(Session { handle, host_key })
}

/// Connects to `target` and completes the SSH handshake, the server's host
/// key checked against the source's pin (accepted on first use); the handle
/// and the fingerprint of the key the server presented.
async fn handshake(
    ctx: &Context,
    source: &SourceConfig,
    target: &Target<'_>,
    what: &str,
) -> Result<(client::Handle<HostKeyCheck>, String), ConnectorError> {
    let tcp = net::timed(ctx, what, async {
        TcpStream::connect(target.addr)
            .await
            .map_err(|e| net::io_error(what, &e))
    })
    .await?;
    let config = Arc::new(client::Config {
        inactivity_timeout: Some(std::time::Duration::from_secs(600)),
        ..Default::default()
    });
    let expected = pinned_host_key(source);
    let seen = Arc::new(Mutex::new(None));
    let handler = HostKeyCheck {
        expected: expected.clone(),
        seen: seen.clone(),
    };
    let connected = net::timed(ctx, what, async {
        client::connect_stream(config, tcp, handler)
            .await
            .map_err(|e| match e {
                russh::Error::UnknownKey => changed_key(
                    what,
                    expected.as_deref().unwrap_or_default(),
                    seen.lock().ok().and_then(|s| s.clone()).as_deref(),
                ),
                other => ssh_error(what, other),
            })
    })
    .await;
    let handle = connected?;
    let host_key = seen
        .lock()
        .ok()
        .and_then(|s| s.clone())
        .ok_or_else(|| ConnectorError::Tunnel(format!("{what}: presented no host key")))?;
    if expected.is_none() {
        tracing::info!(host = %target.host, fingerprint = %host_key, "accepted SSH host key on first use");
    }
    Ok((handle, host_key))
}

/// Authenticates the session as `target.user` with the private `key` when
/// there is one, else with the `password`; a refusal is invalid credentials.
async fn authenticate(
    ctx: &Context,
    handle: &mut client::Handle<HostKeyCheck>,
    target: &Target<'_>,
    what: &str,
    key: Option<&str>,
    password: Option<&str>,
) -> Result<(), ConnectorError> {
    let user = target.user;
    let authenticated = net::timed(ctx, what, async {
        if let Some(pem) = key {
            let key = decode_secret_key(pem, None).map_err(|_| {
                ConnectorError::Invalid(
                    "credentials.sshPrivateKey is not a readable private key".into(),
                )
            })?;
            let hash = handle
                .best_supported_rsa_hash()
                .await
                .map_err(|e| ssh_error(what, e))?
                .flatten();
            handle
                .authenticate_publickey(user, PrivateKeyWithHashAlg::new(Arc::new(key), hash))
                .await
                .map_err(|e| ssh_error(what, e))
        } else {
            handle
                .authenticate_password(user, password.unwrap_or_default())
                .await
                .map_err(|e| ssh_error(what, e))
        }
    })
    .await?;
    if !authenticated.success() {
        return Err(ConnectorError::InvalidCredentials(format!(
            "SSH authentication failed for user {user} at {}",
            target.host
        )));
    }
    Ok(())
}

/// A failure of the SSH protocol with `what`, as a tunnel error.
fn ssh_error(what: &str, e: russh::Error) -> ConnectorError {
    ConnectorError::Tunnel(format!("{what}: {e}"))
}

/// The error for a host key that is not the pinned one.
fn changed_key(what: &str, pinned: &str, seen: Option<&str>) -> ConnectorError {
    ConnectorError::Tunnel(format!(
        "{what}: the host key changed: sshHostKey pins {pinned} but the server presented {}; \
         if the server's key was replaced on purpose, set credentials.sshHostKey to an empty \
         value and test again to pin the new key",
        seen.unwrap_or("no key")
    ))
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    #[test]
    fn an_empty_pin_is_no_pin() {
        let src = |v: serde_json::Value| SourceConfig {
            credentials: v.as_object().cloned().unwrap_or_default(),
            config: Default::default(),
        };
        assert_eq!(pinned_host_key(&src(json!({}))), None);
        assert_eq!(pinned_host_key(&src(json!({"sshHostKey": ""}))), None);
        assert_eq!(pinned_host_key(&src(json!({"sshHostKey": "  "}))), None);
        assert_eq!(pinned_host_key(&src(json!({"sshHostKey": null}))), None);
        assert_eq!(
            pinned_host_key(&src(json!({"sshHostKey": " SHA256:abc "}))),
            Some("SHA256:abc".into())
        );
    }

    #[test]
    fn a_changed_key_names_both_and_how_to_clear_the_pin() {
        let e = changed_key("SSH server h", "SHA256:old", Some("SHA256:new"));
        assert_eq!(e.code(), "ssh_tunnel_failed");
        let m = e.to_string();
        assert!(m.contains("SHA256:old") && m.contains("SHA256:new"), "{m}");
        assert!(m.contains("sshHostKey to an empty value"), "{m}");
    }
}
