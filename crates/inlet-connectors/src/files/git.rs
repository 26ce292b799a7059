//! The git connector: a repository URL and a branch. `test` lists the
//! remote's refs and checks the branch; `discover` fetches the branch (bare,
//! into a temporary directory) and summarises its tree by extension. Only
//! https, ssh and — when the operator allows it — local paths inside the file
//! roots are accepted. The URL is parsed once ([`url`]), its host checked
//! against the network policy, and gix connects to that checked address
//! ([`http`]) or over an SSH session Inlet opens itself ([`ssh`]). All git
//! work is done by gix, in process, in repositories opened without any git
//! configuration of the machine or the service account.

mod http;
mod read;
mod repo;
mod ssh;
pub mod url;

use std::net::SocketAddr;
use std::path::PathBuf;
use std::time::Duration;

use async_trait::async_trait;
use gix::protocol::transport::client::blocking_io::Transport;
use inlet_core::connector::{
    Connector, ConnectorError, Context, FieldProblem, ReadRequest, RecordStream, SourceConfig,
    TestReport,
};
use inlet_core::model::catalog::{FieldSpec, FieldType, SourceType};
use inlet_core::model::schema::DiscoveredSchema;
use serde_json::Value;

use self::read::{STREAM, read_branch, summarise};
use self::repo::{git_error, probe};
use crate::common::{self, Globs};
use crate::{files, net};

/// Git repositories.
pub struct Git {
    spec: SourceType,
}

impl Default for Git {
    fn default() -> Self {
        Self::new()
    }
}

impl Git {
    /// Builds the connector and its catalog entry.
    pub fn new() -> Self {
        Self {
            spec: SourceType {
                id: "src_git",
                name: "Git repository",
                short_name: "git",
                description: "Index text files of a git repository branch",
                auth_methods: &["none", "token", "ssh_key"],
                labels: &["code", "file"],
                supports_continuous: true,
                auth_fields: vec![
                    FieldSpec::new("url", FieldType::String, true)
                        .describe("Repository URL (https, ssh, or an allowed local path)"),
                    FieldSpec::new("branch", FieldType::String, false)
                        .describe("Branch (default: the repository's HEAD)"),
                    FieldSpec::new("username", FieldType::String, false)
                        .describe("User for https authentication"),
                    FieldSpec::new("token", FieldType::Password, false)
                        .describe("Access token for https")
                        .bound_to(&["url", "username"]),
                    FieldSpec::new("sshPrivateKey", FieldType::Password, false)
                        .describe("Private key (OpenSSH or PEM) for ssh URLs")
                        .bound_to(&["url", "sshHostKey"]),
                    FieldSpec::new("sshPassword", FieldType::Password, false)
                        .describe("Password for ssh URLs, when no key is given")
                        .bound_to(&["url", "sshHostKey"]),
                    FieldSpec::new("sshHostKey", FieldType::String, false).describe(
                        "SSH host key fingerprint (SHA256:…) the server must present; \
                         pinned by the first passing test, empty to clear",
                    ),
                ],
                config_fields: common::glob_config(),
            },
        }
    }

    /// Checks the URL against the transport and network policy and, for
    /// ssh, opens the session (checking the host key).
    async fn checked_target(
        ctx: &Context,
        source: &SourceConfig,
    ) -> Result<Target, ConnectorError> {
        let url = source
            .str("url")
            .ok_or_else(|| ConnectorError::Invalid("credentials.url is required".into()))?;
        match url::classify(url)? {
            url::Location::Local(path) => {
                if !ctx.policy.allow_local_git {
                    return Err(ConnectorError::Transport(
                        "local git repositories are not allowed (set INLET_ALLOW_LOCAL_GIT=true)"
                            .into(),
                    ));
                }
                Ok(Target::Local(files::resolve(ctx, &path)?))
            }
            url::Location::Remote(remote) if remote.is_ssh() => {
                Ok(Target::Ssh(ssh::open(ctx, source, &remote).await?))
            }
            url::Location::Remote(remote) => {
                let addr = net::resolve(ctx, &remote.host, remote.port).await?[0];
                let mut url = remote.url;
                if let Some(token) = source.str("token").filter(|t| !t.is_empty()) {
                    let user = source
                        .str("username")
                        .filter(|u| !u.is_empty())
                        .or(url.user())
                        .unwrap_or("x-access-token")
                        .to_owned();
                    url.set_user(Some(user));
                    url.set_password(Some(token.to_owned()));
                }
                Ok(Target::Https {
                    url,
                    host: remote.host,
                    addr,
                    timeout: ctx.timeout,
                })
            }
        }
    }
}

/// A checked repository: opened in place when local, fetched when remote.
enum Target {
    Local(PathBuf),
    /// An https remote: gix is given `url` (with the token, if any, as its
    /// password) and reaches `host` only at the checked `addr`.
    Https {
        url: gix::Url,
        host: String,
        addr: SocketAddr,
        timeout: Duration,
    },
    /// An ssh remote over an open, authenticated session.
    Ssh(ssh::SshRemote),
}

impl Target {
    /// The fingerprint of the SSH host key the server presented, for ssh.
    fn ssh_host_key(&self) -> Option<String> {
        match self {
            Target::Ssh(s) => Some(s.host_key.clone()),
            _ => None,
        }
    }

    /// The URL a remote is created at.
    fn url(&self) -> Result<gix::Url, ConnectorError> {
        match self {
            Target::Https { url, .. } => Ok(url.clone()),
            Target::Ssh(s) => Ok(s.url().clone()),
            Target::Local(_) => Err(ConnectorError::Failed(
                "a local repository is read in place".into(),
            )),
        }
    }

    /// A gix connection of `remote` to this target: over https with the
    /// checked address and no redirects, over ssh on a new channel. Never
    /// asks a credential helper or a prompt.
    fn connect<'a, 'repo>(
        &self,
        remote: &'a gix::Remote<'repo>,
    ) -> Result<
        gix::remote::Connection<'a, 'static, 'repo, Box<dyn Transport + Send>>,
        ConnectorError,
    > {
        let connection = match self {
            Target::Https {
                host,
                addr,
                timeout,
                ..
            } => remote
                .connect(gix::remote::Direction::Fetch)
                .map_err(git_error)?
                .with_transport_options(http::transport_options(host, *addr, *timeout)),
            Target::Ssh(s) => remote.to_connection_with_transport(s.transport()?),
            Target::Local(_) => {
                return Err(ConnectorError::Failed(
                    "a local repository is read in place".into(),
                ));
            }
        };
        Ok(connection.with_credentials(|_| Ok(None)))
    }
}

#[async_trait]
impl Connector for Git {
    fn spec(&self) -> &SourceType {
        &self.spec
    }

    /// Refuses a URL holding a password: it would be stored and shown in
    /// plain text, where the `token` field is a secret.
    fn check_settings(&self, source: &SourceConfig) -> Result<(), FieldProblem> {
        match source.str("url") {
            Some(u) if url::has_password(u) => Err(FieldProblem {
                field: "credentials.url".into(),
                message: url::PASSWORD_IN_URL.into(),
            }),
            _ => Ok(()),
        }
    }

    /// Over ssh, reports the host key the server presented, for the
    /// services to pin.
    async fn test(
        &self,
        ctx: &Context,
        source: &SourceConfig,
    ) -> Result<TestReport, ConnectorError> {
        let target = Self::checked_target(ctx, source).await?;
        let branch = source.str("branch").map(str::to_owned);
        // gix may quote the URL, which holds the token for https.
        files::blocking(ctx, "the git repository", move || {
            probe(&target, branch.as_deref())?;
            Ok(TestReport {
                ssh_host_key: target.ssh_host_key(),
            })
        })
        .await
        .map_err(|e| e.redact(source.str("token")))
    }

    async fn discover(
        &self,
        ctx: &Context,
        source: &SourceConfig,
    ) -> Result<DiscoveredSchema, ConnectorError> {
        let target = Self::checked_target(ctx, source).await?;
        let branch = source.str("branch").map(str::to_owned);
        let globs = Globs::from_config(source)?;
        files::blocking(ctx, "reading the git branch", move || {
            summarise(&target, branch.as_deref(), &globs)
        })
        .await
        .map_err(|e| e.redact(source.str("token")))
    }

    async fn read(
        &self,
        ctx: &Context,
        source: &SourceConfig,
        request: ReadRequest,
    ) -> Result<RecordStream, ConnectorError> {
        let target = Self::checked_target(ctx, source).await?;
        let branch = source.str("branch").map(str::to_owned);
        let globs = Globs::from_config(source)?;
        let previous = request
            .cursors
            .get(STREAM)
            .and_then(Value::as_str)
            .map(str::to_owned);
        let token = source.str("token").map(str::to_owned);
        let (tx, stream) = RecordStream::channel();
        if request.skip.iter().any(|s| s == STREAM) {
            return Ok(stream);
        }
        tokio::task::spawn_blocking(move || {
            if let Err(e) =
                read_branch(&target, branch.as_deref(), &globs, previous.as_deref(), &tx)
            {
                let _ = tx.blocking_send(Err(e.redact(token.as_deref())));
            }
        });
        Ok(stream)
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    fn source(credentials: Value) -> SourceConfig {
        SourceConfig {
            credentials: credentials.as_object().cloned().unwrap_or_default(),
            config: Default::default(),
        }
    }

    #[test]
    fn errors_never_quote_the_token() {
        let e = ConnectorError::Failed("cannot fetch https://u:tok123@h/r".into())
            .redact(Some("tok123"));
        assert_eq!(e.to_string(), "cannot fetch https://u:***@h/r");
        assert_eq!(e.code(), "source_error");
    }

    #[test]
    fn a_url_with_a_password_is_refused_before_it_is_stored() {
        let git = Git::new();
        for url in [
            "https://deploy:ghp_s3cret@github.com/org/r.git",
            "ssh://git:s3cret@example.com/r.git",
        ] {
            let p = git
                .check_settings(&source(json!({"url": url})))
                .unwrap_err();
            assert_eq!(p.field, "credentials.url");
            assert!(p.message.contains("credentials.token"), "{}", p.message);
            assert!(!p.message.contains("s3cret"), "{}", p.message);
        }
        for url in [
            "https://deploy@github.com/org/r.git",
            "git@github.com:org/r.git",
            "repo",
        ] {
            assert!(
                git.check_settings(&source(json!({"url": url}))).is_ok(),
                "{url}"
            );
        }
        assert!(git.check_settings(&source(json!({}))).is_ok());
    }

    #[test]
    fn secrets_are_bound_to_where_they_go() {
        let git = Git::new();
        let bound = |name: &str| {
            git.spec()
                .auth_fields
                .iter()
                .find(|f| f.name == name)
                .map(|f| (f.secret, f.bound_to))
        };
        assert_eq!(bound("token"), Some((true, &["url", "username"][..])));
        assert_eq!(
            bound("sshPrivateKey"),
            Some((true, &["url", "sshHostKey"][..]))
        );
        assert_eq!(
            bound("sshPassword"),
            Some((true, &["url", "sshHostKey"][..]))
        );
        assert_eq!(bound("sshHostKey").map(|b| b.0), Some(false));
    }
}
