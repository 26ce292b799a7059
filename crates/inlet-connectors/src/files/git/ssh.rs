//! Git over ssh without the system `ssh`: a russh session opened with the
//! connection's own key or password (see [`crate::ssh`]), one channel per
//! gix connection running `git-upload-pack '<path>'`, and gix speaking the
//! git protocol over that channel as it would over a spawned process. The
//! Inlet service account's agent, keys, `~/.ssh/config` and `known_hosts`
//! are never read, and neither are `GIT_SSH_COMMAND` or `core.sshCommand`.

use std::os::unix::net::UnixStream;
use std::sync::Arc;

use gix::protocol::transport::client::blocking_io::Transport;
use gix::protocol::transport::client::git::{ConnectMode, blocking_io::Connection};
use inlet_core::connector::{ConnectorError, Context, SourceConfig};

use super::url::RemoteUrl;
use crate::{net, ssh};

/// An open SSH session to a git server.
pub struct SshRemote {
    session: Arc<russh::client::Handle<ssh::HostKeyCheck>>,
    runtime: tokio::runtime::Handle,
    url: RemoteUrl,
    /// The fingerprint of the host key the server presented.
    pub host_key: String,
}

/// Quotes `s` for a POSIX shell, as git does for the path it sends.
fn shell_quote(s: &str) -> String {
    format!("'{}'", s.replace('\'', r"'\''"))
}

/// Checks the URL's host, opens the session and authenticates as the URL's
/// user (`git` when it names none).
pub async fn open(
    ctx: &Context,
    source: &SourceConfig,
    url: &RemoteUrl,
) -> Result<SshRemote, ConnectorError> {
    let addr = net::resolve(ctx, &url.host, url.port).await?[0];
    let user = url.url.user().filter(|u| !u.is_empty()).unwrap_or("git");
    let session = ssh::connect(
        ctx,
        source,
        &ssh::Target {
            host: &url.host,
            addr,
            user,
        },
    )
    .await?;
    Ok(SshRemote {
        session: Arc::new(session.handle),
        runtime: tokio::runtime::Handle::current(),
        url: url.clone(),
        host_key: session.host_key,
    })
}

impl SshRemote {
    /// The URL gix is told it talks to (for its messages).
    pub fn url(&self) -> &gix::Url {
        &self.url.url
    }

    /// A gix transport over a new `git-upload-pack` channel. Blocking: call
    /// it from a blocking thread, not from the runtime.
    pub fn transport(&self) -> Result<Box<dyn Transport + Send>, ConnectorError> {
        let path = std::str::from_utf8(self.url.url.path.as_ref())
            .map_err(|_| ConnectorError::Invalid("credentials.url is not valid UTF-8".into()))?
            .to_owned();
        let command = format!("git-upload-pack {}", shell_quote(&path));
        let failed = |e: &dyn std::fmt::Display| {
            ConnectorError::Tunnel(format!("SSH server {}: {e}", self.url.host))
        };
        let session = self.session.clone();
        let channel = self.runtime.block_on(async move {
            let channel = session.channel_open_session().await?;
            // Asks for protocol v2; a server that does not accept the
            // variable answers in v0, which gix detects.
            channel.set_env(false, "GIT_PROTOCOL", "version=2").await?;
            channel.exec(false, command).await?;
            Ok::<_, russh::Error>(channel)
        });
        let channel = channel.map_err(|e| failed(&e))?;
        // gix reads and writes blocking; the channel is async. A socket
        // pair joins them, copied both ways by a task on the runtime.
        let (ours, theirs) = UnixStream::pair().map_err(|e| failed(&e))?;
        theirs.set_nonblocking(true).map_err(|e| failed(&e))?;
        let _entered = self.runtime.enter();
        let mut theirs = tokio::net::UnixStream::from_std(theirs).map_err(|e| failed(&e))?;
        self.runtime.spawn(async move {
            let mut stream = channel.into_stream();
            if let Err(e) = tokio::io::copy_bidirectional(&mut theirs, &mut stream).await {
                tracing::debug!(error = %e, "git over ssh: channel closed");
            }
        });
        let write = ours.try_clone().map_err(|e| failed(&e))?;
        let connection = Connection::new(
            ours,
            write,
            gix::protocol::transport::Protocol::V2,
            path,
            None::<(&str, Option<u16>)>,
            ConnectMode::Process,
            false,
        )
        .custom_url(Some(self.url.url.to_bstring()));
        Ok(Box::new(connection))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn paths_are_quoted_for_the_remote_shell() {
        assert_eq!(shell_quote("/srv/r.git"), "'/srv/r.git'");
        assert_eq!(shell_quote("a'; rm -rf /;'"), r"'a'\''; rm -rf /;'\'''");
        assert_eq!(shell_quote("~user/r"), "'~user/r'");
    }
}
