//! The git connector: a repository URL and a branch. `test` lists the
//! remote's refs and checks the branch; `discover` fetches the branch (bare,
//! into a temporary directory) and summarises its tree by extension. Only
//! https, ssh and — when the operator allows it — local paths inside the file
//! roots are accepted; the host of a remote URL is checked against the
//! network policy first. All git work is done by gix, in process.

use std::path::{Path, PathBuf};
use std::sync::atomic::AtomicBool;

use async_trait::async_trait;
use inlet_core::connector::{
    Connector, ConnectorError, Context, ReadItem, ReadMode, ReadRequest, Record, RecordSender,
    RecordStream, SourceConfig, TestReport,
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

/// Where a repository URL points.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Location {
    /// A path on this machine.
    Local(String),
    /// An https or ssh remote on `host:port`.
    Remote {
        /// The URL as given.
        url: String,
        /// Its host.
        host: String,
        /// Its port.
        port: u16,
    },
}

/// Classifies a repository URL, refusing every transport but https, ssh and local paths.
pub fn classify(url: &str) -> Result<Location, ConnectorError> {
    let url = url.trim();
    let refuse = |scheme: &str| {
        ConnectorError::Transport(format!(
            "git transport {scheme} is not allowed; use https, ssh or a local path"
        ))
    };
    if let Some((scheme, rest)) = url.split_once("://") {
        let scheme = scheme.to_ascii_lowercase();
        let default_port = match scheme.as_str() {
            "https" => 443,
            "ssh" => 22,
            "file" => return Ok(Location::Local(rest.to_owned())),
            other => return Err(refuse(&format!("{other}://"))),
        };
        let authority = rest.split('/').next().unwrap_or("");
        let host_port = authority.rsplit_once('@').map_or(authority, |(_, h)| h);
        let (host, port) = split_host_port(host_port, default_port)?;
        return Ok(Location::Remote {
            url: url.to_owned(),
            host,
            port,
        });
    }
    if url.starts_with("ext::") || url.contains("::") {
        return Err(refuse("ext::"));
    }
    // scp-like `user@host:path` (a colon before any slash).
    if let Some((before, _)) = url.split_once(':')
        && !before.contains('/')
        && !before.is_empty()
    {
        let host = before.rsplit_once('@').map_or(before, |(_, h)| h);
        return Ok(Location::Remote {
            url: url.to_owned(),
            host: host.to_owned(),
            port: 22,
        });
    }
    Ok(Location::Local(url.to_owned()))
}

fn split_host_port(s: &str, default_port: u16) -> Result<(String, u16), ConnectorError> {
    if let Some(rest) = s.strip_prefix('[') {
        let (host, after) = rest.split_once(']').ok_or_else(|| {
            ConnectorError::Invalid("credentials.url has a malformed host".into())
        })?;
        let port = after.strip_prefix(':').map(str::parse).transpose();
        return Ok((host.to_owned(), port.ok().flatten().unwrap_or(default_port)));
    }
    match s.rsplit_once(':') {
        Some((h, p)) => Ok((
            h.to_owned(),
            p.parse().map_err(|_| {
                ConnectorError::Invalid("credentials.url has a malformed port".into())
            })?,
        )),
        None if s.is_empty() => Err(ConnectorError::Invalid(
            "credentials.url has no host".into(),
        )),
        None => Ok((s.to_owned(), default_port)),
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
                ],
                config_fields: common::glob_config(),
            },
        }
    }

    /// Checks the URL against the transport and network policy.
    async fn checked_target(
        ctx: &Context,
        source: &SourceConfig,
    ) -> Result<Target, ConnectorError> {
        let url = source
            .str("url")
            .ok_or_else(|| ConnectorError::Invalid("credentials.url is required".into()))?;
        match classify(url)? {
            Location::Local(path) => {
                if !ctx.policy.allow_local_git {
                    return Err(ConnectorError::Transport(
                        "local git repositories are not allowed (set INLET_ALLOW_LOCAL_GIT=true)"
                            .into(),
                    ));
                }
                Ok(Target::Local(files::resolve(ctx, &path)?))
            }
            Location::Remote { host, port, .. } => {
                net::resolve(ctx, &host, port).await?;
                Ok(Target::Remote(with_token(
                    url,
                    source.str("username"),
                    source.str("token"),
                )))
            }
        }
    }
}

/// A checked repository: opened in place when local, fetched when remote.
enum Target {
    Local(PathBuf),
    Remote(String),
}

/// Puts https credentials into the URL gix is given (never logged or returned).
fn with_token(url: &str, username: Option<&str>, token: Option<&str>) -> String {
    match (url.strip_prefix("https://"), token) {
        (Some(rest), Some(token)) => {
            let user = username.unwrap_or("x-access-token");
            format!("https://{user}:{token}@{rest}")
        }
        _ => url.to_owned(),
    }
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
fn remote_branches(url: &str) -> Result<(Vec<String>, Option<String>), ConnectorError> {
    let scratch = tempdir()?;
    let repo = gix::init_bare(&scratch.0).map_err(git_error)?;
    let remote = repo
        .remote_at(url)
        .map_err(git_error)?
        .with_refspecs(
            Some("+refs/heads/*:refs/remotes/origin/*"),
            gix::remote::Direction::Fetch,
        )
        .map_err(git_error)?;
    let connection = remote
        .connect(gix::remote::Direction::Fetch)
        .map_err(git_error)?;
    let (map, _) = connection
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
        Some(b) => Ok(format!("refs/heads/{b}")),
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
        Target::Remote(url) => remote_branches(url)?,
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
    let scratch;
    let repo = match target {
        Target::Local(path) => gix::open(path).map_err(git_error)?,
        Target::Remote(url) => {
            let (branches, head) = remote_branches(url)?;
            let wanted = check_branch(&branches, head, branch)?;
            scratch = tempdir()?;
            let interrupt = AtomicBool::new(false);
            gix::prepare_clone_bare(url.as_str(), &scratch.0)
                .map_err(git_error)?
                .with_ref_name(Some(wanted.trim_start_matches("refs/heads/")))
                .map_err(git_error)?
                .fetch_only(gix::progress::Discard, &interrupt)
                .map_err(git_error)?
                .0
        }
    };
    let (branches, head) = local_branches(&repo)?;
    let wanted = check_branch(&branches, head, branch)?;
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
    let summary = match target {
        Target::Local(path) => {
            let repo = gix::open(path).map_err(git_error)?;
            let (branches, head) = local_branches(&repo)?;
            let wanted = check_branch(&branches, head, branch)?;
            summarise_tree(&repo, &wanted, globs)?
        }
        Target::Remote(url) => {
            let (branches, head) = remote_branches(url)?;
            let wanted = check_branch(&branches, head, branch)?;
            let scratch = tempdir()?;
            let interrupt = AtomicBool::new(false);
            let (repo, _) = gix::prepare_clone_bare(url.as_str(), &scratch.0)
                .map_err(git_error)?
                .with_ref_name(Some(wanted.trim_start_matches("refs/heads/")))
                .map_err(git_error)?
                .fetch_only(gix::progress::Discard, &interrupt)
                .map_err(git_error)?;
            summarise_tree(&repo, &wanted, globs)?
        }
    };
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

    async fn test(
        &self,
        ctx: &Context,
        source: &SourceConfig,
    ) -> Result<TestReport, ConnectorError> {
        let target = Self::checked_target(ctx, source).await?;
        let branch = source.str("branch").map(str::to_owned);
        // gix may quote the URL, which holds the token for https.
        files::blocking(ctx, "the git repository", move || {
            probe(&target, branch.as_deref()).map(|()| TestReport::default())
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
    use super::*;

    #[test]
    fn only_https_ssh_and_local_paths_are_accepted() {
        assert_eq!(
            classify("https://example.com/org/repo.git").unwrap(),
            Location::Remote {
                url: "https://example.com/org/repo.git".into(),
                host: "example.com".into(),
                port: 443
            }
        );
        assert!(matches!(
            classify("ssh://git@example.com:2222/r.git").unwrap(),
            Location::Remote { port: 2222, .. }
        ));
        assert!(
            matches!(classify("git@example.com:org/r.git").unwrap(), Location::Remote { port: 22, ref host, .. } if host == "example.com")
        );
        assert_eq!(
            classify("/srv/repos/a").unwrap(),
            Location::Local("/srv/repos/a".into())
        );
        assert_eq!(
            classify("file:///srv/a").unwrap(),
            Location::Local("/srv/a".into())
        );
        for bad in [
            "http://example.com/r.git",
            "git://example.com/r.git",
            "ext::sh -c evil",
            "ftp://x/y",
        ] {
            assert!(
                matches!(classify(bad), Err(ConnectorError::Transport(_))),
                "{bad}"
            );
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
    fn tokens_go_into_https_urls_only() {
        assert_eq!(
            with_token("https://h/r", None, Some("t")),
            "https://x-access-token:t@h/r"
        );
        assert_eq!(with_token("ssh://h/r", None, Some("t")), "ssh://h/r");
    }
}
