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
mod ssh;
pub mod url;

use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::sync::atomic::AtomicBool;
use std::time::Duration;

use async_trait::async_trait;
use gix::protocol::transport::client::blocking_io::Transport;
use inlet_core::connector::{
    Connector, ConnectorError, Context, FieldProblem, ReadItem, ReadMode, ReadRequest, Record,
    RecordSender, RecordStream, SourceConfig, TestReport,
};
use inlet_core::model::catalog::{FieldSpec, FieldType, SourceType};
use inlet_core::model::schema::{DiscoveredSchema, TreeSummary};
use serde_json::{Value, json};

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

/// An empty bare repository in `dir`, opened without the machine's or the
/// service account's git configuration (no `url.*.insteadOf`, credential
/// helpers, `core.sshCommand` or `http.*` settings).
fn scratch_repo(dir: &Path) -> Result<gix::Repository, ConnectorError> {
    gix::ThreadSafeRepository::init_opts(
        dir,
        gix::create::Kind::Bare,
        gix::create::Options::default(),
        gix::open::Options::isolated(),
    )
    .map(Into::into)
    .map_err(git_error)
}

fn git_error(e: impl std::fmt::Display) -> ConnectorError {
    let msg = e.to_string();
    if msg.contains("401") || msg.contains("403") || msg.to_lowercase().contains("authentication") {
        ConnectorError::InvalidCredentials(format!("the git server refused the credentials: {msg}"))
    } else if msg
        .to_lowercase()
        .contains("does not appear to be a git repository")
        || msg.contains("not a git repository")
        || msg.contains("Could not find a git repository")
    {
        ConnectorError::FileNotFound(format!("no git repository there: {msg}"))
    } else {
        ConnectorError::Failed(format!("git: {msg}"))
    }
}

/// The branches a remote advertises, as `refs/heads/…` names, and its HEAD.
fn remote_branches(target: &Target) -> Result<(Vec<String>, Option<String>), ConnectorError> {
    let scratch = tempdir()?;
    let repo = scratch_repo(&scratch.0)?;
    let remote = repo
        .remote_at_without_url_rewrite(target.url()?)
        .map_err(git_error)?
        .with_refspecs(
            Some("+refs/heads/*:refs/remotes/origin/*"),
            gix::remote::Direction::Fetch,
        )
        .map_err(git_error)?;
    let (map, _) = target
        .connect(&remote)?
        .ref_map(gix::progress::Discard, Default::default())
        .map_err(git_error)?;
    let mut head = None;
    let mut branches = Vec::new();
    for r in &map.remote_refs {
        let name = r.unpack().0.to_string();
        if name == "HEAD" {
            if let gix::protocol::handshake::Ref::Symbolic { target, .. } = r {
                head = Some(target.to_string());
            }
        } else if name.starts_with("refs/heads/") {
            branches.push(name);
        }
    }
    Ok((branches, head))
}

/// Fetches `wanted` (a `refs/heads/…` name the remote advertises) of a
/// remote into a bare repository in `dir`, under the same name.
fn fetch_branch(
    target: &Target,
    wanted: &str,
    dir: &Path,
) -> Result<gix::Repository, ConnectorError> {
    let repo = scratch_repo(dir)?;
    let refspec = format!("+{wanted}:{wanted}");
    let remote = repo
        .remote_at_without_url_rewrite(target.url()?)
        .map_err(git_error)?
        .with_fetch_tags(gix::remote::fetch::Tags::None)
        .with_refspecs(Some(refspec.as_str()), gix::remote::Direction::Fetch)
        .map_err(git_error)?;
    let interrupt = AtomicBool::new(false);
    target
        .connect(&remote)?
        .prepare_fetch(gix::progress::Discard, Default::default())
        .map_err(git_error)?
        .receive(gix::progress::Discard, &interrupt)
        .map_err(git_error)?;
    Ok(repo)
}

/// The repository to read and the branch ref to read in it: the local one
/// in place, or a remote's branch fetched into `scratch`.
fn open_branch(
    target: &Target,
    branch: Option<&str>,
    scratch: &TempDir,
) -> Result<(gix::Repository, String), ConnectorError> {
    let (repo, wanted) = match target {
        Target::Local(path) => {
            let repo = gix::open(path).map_err(git_error)?;
            let (branches, head) = local_branches(&repo)?;
            let wanted = check_branch(&branches, head, branch)?;
            (repo, wanted)
        }
        remote => {
            let (branches, head) = remote_branches(remote)?;
            let wanted = check_branch(&branches, head, branch)?;
            (fetch_branch(remote, &wanted, &scratch.0)?, wanted)
        }
    };
    Ok((repo, wanted))
}

/// A directory removed on drop.
struct TempDir(PathBuf);

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

fn tempdir() -> Result<TempDir, ConnectorError> {
    let dir = std::env::temp_dir().join(format!("inlet-git-{:x}", rand_id()));
    std::fs::create_dir_all(&dir).map_err(|e| ConnectorError::Failed(format!("temp dir: {e}")))?;
    Ok(TempDir(dir))
}

fn rand_id() -> u128 {
    use std::hash::{BuildHasher, Hasher};
    let mut h = std::collections::hash_map::RandomState::new().build_hasher();
    h.write_u128(
        std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map_or(0, |d| d.as_nanos()),
    );
    u128::from(h.finish())
}

fn branch_ref(branch: Option<&str>, head: Option<String>) -> Result<String, ConnectorError> {
    match branch {
        Some(b) => {
            let name = format!("refs/heads/{b}");
            // A name git would refuse (`..`, `:`, `*`, spaces…) could also
            // change the meaning of the refspec it is put in.
            gix::refs::FullName::try_from(name.as_str()).map_err(|_| {
                ConnectorError::Invalid(format!("credentials.branch {b:?} is not a branch name"))
            })?;
            Ok(name)
        }
        None => {
            head.ok_or_else(|| ConnectorError::Failed("the repository has no HEAD branch".into()))
        }
    }
}

/// The branches of a repository on disk and its HEAD, read in place.
fn local_branches(repo: &gix::Repository) -> Result<(Vec<String>, Option<String>), ConnectorError> {
    let branches = repo
        .references()
        .map_err(git_error)?
        .local_branches()
        .map_err(git_error)?
        .filter_map(Result::ok)
        .map(|r| r.name().as_bstr().to_string())
        .collect();
    let head = repo
        .head_name()
        .map_err(git_error)?
        .map(|n| n.as_bstr().to_string());
    Ok((branches, head))
}

fn check_branch(
    branches: &[String],
    head: Option<String>,
    branch: Option<&str>,
) -> Result<String, ConnectorError> {
    let wanted = branch_ref(branch, head)?;
    if branches.contains(&wanted) {
        Ok(wanted)
    } else {
        Err(ConnectorError::Failed(format!(
            "branch {} does not exist",
            wanted.trim_start_matches("refs/heads/")
        )))
    }
}

/// Lists refs (remote) or opens the repository (local) and checks the branch.
fn probe(target: &Target, branch: Option<&str>) -> Result<(), ConnectorError> {
    let (branches, head) = match target {
        Target::Local(path) => local_branches(&gix::open(path).map_err(git_error)?)?,
        remote => remote_branches(remote)?,
    };
    check_branch(&branches, head, branch).map(|_| ())
}

/// Summarises the tree at `refname` of an opened repository.
fn summarise_tree(
    repo: &gix::Repository,
    refname: &str,
    globs: &Globs,
) -> Result<TreeSummary, ConnectorError> {
    let mut reference = repo.find_reference(refname).map_err(git_error)?;
    let commit = reference.peel_to_commit().map_err(git_error)?;
    let tree = commit.tree().map_err(git_error)?;
    let entries = tree.traverse().breadthfirst.files().map_err(git_error)?;
    let mut summary = TreeSummary::default();
    for e in entries.iter().filter(|e| e.mode.is_blob()) {
        let path = Path::new(std::str::from_utf8(e.filepath.as_ref()).unwrap_or_default());
        if !globs.selects(path) {
            continue;
        }
        let size = repo.find_header(e.oid).map(|h| h.size()).unwrap_or(0);
        common::tally(&mut summary, path, size);
    }
    common::finish(&mut summary);
    Ok(summary)
}

/// The one stream of a git source.
const STREAM: &str = "files";

/// The selected blobs of a tree, by path.
fn blobs(
    tree: &gix::Tree<'_>,
    globs: &Globs,
) -> Result<std::collections::BTreeMap<String, gix::ObjectId>, ConnectorError> {
    Ok(tree
        .traverse()
        .breadthfirst
        .files()
        .map_err(git_error)?
        .into_iter()
        .filter(|e| e.mode.is_blob())
        .map(|e| {
            (
                String::from_utf8_lossy(e.filepath.as_ref()).into_owned(),
                e.oid,
            )
        })
        .filter(|(path, _)| globs.selects(Path::new(path)))
        .collect())
}

/// One change between the previous commit's tree and the head's.
enum Change {
    /// Read this blob at this path.
    Put(String, gix::ObjectId),
    /// This path is gone.
    Gone(String),
}

/// Streams the branch head: every text file when there is no previous commit
/// (or it is no longer in the history), else only the files changed since
/// it, and deletions; the new cursor is the head commit.
fn read_branch(
    target: &Target,
    branch: Option<&str>,
    globs: &Globs,
    previous: Option<&str>,
    tx: &RecordSender,
) -> Result<(), ConnectorError> {
    let scratch = tempdir()?;
    let (repo, wanted) = open_branch(target, branch, &scratch)?;
    let mut reference = repo.find_reference(wanted.as_str()).map_err(git_error)?;
    let commit = reference.peel_to_commit().map_err(git_error)?;
    let commit_id = commit.id.to_string();
    let tree = commit.tree().map_err(git_error)?;
    // The previous commit's tree, when it is still there (a rewritten
    // history loses it, and the read falls back to a full one).
    let before = previous
        .and_then(|p| gix::ObjectId::from_hex(p.as_bytes()).ok())
        .and_then(|id| repo.find_commit(id).ok())
        .and_then(|c| c.tree().ok());
    let mode = if before.is_some() {
        ReadMode::Incremental
    } else {
        ReadMode::Full
    };
    let send = |item: ReadItem| tx.blocking_send(Ok(item)).is_ok();
    if !send(ReadItem::Begin {
        stream: STREAM.into(),
        mode,
    }) {
        return Ok(());
    }
    let after = blobs(&tree, globs)?;
    let changes: Vec<Change> = match &before {
        None => after
            .into_iter()
            .map(|(p, id)| Change::Put(p, id))
            .collect(),
        Some(old) if old.id == tree.id => Vec::new(),
        Some(old) => {
            let old = blobs(old, globs)?;
            let gone = old
                .keys()
                .filter(|p| !after.contains_key(*p))
                .map(|p| Change::Gone(p.clone()));
            let put = after
                .iter()
                .filter(|(p, id)| old.get(*p) != Some(*id))
                .map(|(p, id)| Change::Put(p.clone(), *id));
            gone.chain(put).collect::<Vec<_>>()
        }
    };
    for change in changes {
        let item = match change {
            Change::Gone(path) => ReadItem::Deleted {
                stream: STREAM.into(),
                key: path,
            },
            Change::Put(path, id) => {
                let skipped = |why: &str| ReadItem::Skipped {
                    stream: STREAM.into(),
                    reason: format!("{path}: {why}"),
                };
                let size = repo.find_header(id).map_or(0, |h| h.size());
                if size > common::MAX_TEXT_BYTES {
                    skipped("larger than 1 MiB")
                } else {
                    match repo.find_object(id) {
                        Err(e) => skipped(&format!("cannot be read ({e})")),
                        Ok(blob) => match common::text_of(blob.detach().data) {
                            Err(why) => skipped(why),
                            Ok(text) => ReadItem::Record(Record {
                                stream: STREAM.into(),
                                key: path.clone(),
                                data: json!({"path": path, "size": size, "commit": commit_id, "text": text})
                                    .to_string(),
                                position: None,
                            }),
                        },
                    }
                }
            }
        };
        if !send(item) {
            return Ok(());
        }
    }
    send(ReadItem::Checkpoint {
        stream: STREAM.into(),
        cursor: Value::String(commit_id),
    });
    Ok(())
}

/// Summarises the branch: in place for a local repository, after a bare
/// fetch of that branch into a scratch directory for a remote one.
fn summarise(
    target: &Target,
    branch: Option<&str>,
    globs: &Globs,
) -> Result<DiscoveredSchema, ConnectorError> {
    let scratch = tempdir()?;
    let (repo, wanted) = open_branch(target, branch, &scratch)?;
    let summary = summarise_tree(&repo, &wanted, globs)?;
    Ok(DiscoveredSchema {
        summary: Some(summary),
        ..Default::default()
    })
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

    /// A server on 127.0.0.1 answers every request with a redirect to
    /// 127.0.0.2, where a listener counts connections: the transport the
    /// connector builds for a checked address must fail on the redirect
    /// and never reach the second host. (Plain http on loopback stands in
    /// for https: the redirect handling is the same, and no certificate is
    /// needed.)
    #[test]
    fn a_redirect_to_another_host_is_not_followed() {
        use std::io::{Read, Write};
        use std::sync::Arc;
        use std::sync::atomic::{AtomicUsize, Ordering};

        let denied = std::net::TcpListener::bind("127.0.0.2:0").unwrap();
        let denied_port = denied.local_addr().unwrap().port();
        let reached = Arc::new(AtomicUsize::new(0));
        let seen = reached.clone();
        std::thread::spawn(move || {
            for _ in denied.incoming() {
                seen.fetch_add(1, Ordering::SeqCst);
            }
        });
        let allowed = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        let addr = allowed.local_addr().unwrap();
        let asked = Arc::new(AtomicUsize::new(0));
        let asks = asked.clone();
        std::thread::spawn(move || {
            for stream in allowed.incoming() {
                let Ok(mut stream) = stream else { continue };
                asks.fetch_add(1, Ordering::SeqCst);
                let mut buf = [0u8; 4096];
                let _ = stream.read(&mut buf);
                let answer = format!(
                    "HTTP/1.1 302 Found\r\nLocation: http://127.0.0.2:{denied_port}/repo.git/info/refs?service=git-upload-pack\r\nContent-Length: 0\r\nConnection: close\r\n\r\n"
                );
                let _ = stream.write_all(answer.as_bytes());
            }
        });
        let target = Target::Https {
            url: gix::url::parse(gix::bstr::BStr::new(&format!(
                "http://127.0.0.1:{}/repo.git",
                addr.port()
            )))
            .unwrap(),
            host: "127.0.0.1".into(),
            addr,
            timeout: Duration::from_secs(5),
        };
        assert!(remote_branches(&target).is_err());
        assert!(
            asked.load(Ordering::SeqCst) >= 1,
            "the allowed host was asked"
        );
        std::thread::sleep(Duration::from_millis(200));
        assert_eq!(
            reached.load(Ordering::SeqCst),
            0,
            "the redirect was followed"
        );
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

    #[test]
    fn branch_names_that_would_bend_the_refspec_are_refused() {
        assert_eq!(branch_ref(Some("main"), None).unwrap(), "refs/heads/main");
        for bad in ["a:b", "*", "a..b", "a b", "x/*:refs/heads/y"] {
            assert!(
                matches!(branch_ref(Some(bad), None), Err(ConnectorError::Invalid(_))),
                "{bad}"
            );
        }
    }
}
