//! The repositories a git source works in: scratch repositories opened
//! without the machine's git configuration, remote refs listed and one
//! branch fetched through the checked transport, local repositories opened
//! in place, and branch names checked.

use std::path::{Path, PathBuf};
use std::sync::atomic::AtomicBool;

use inlet_core::connector::ConnectorError;

use super::Target;

/// An empty bare repository in `dir`, opened without the machine's or the
/// service account's git configuration (no `url.*.insteadOf`, credential
/// helpers, `core.sshCommand` or `http.*` settings).
pub(super) fn scratch_repo(dir: &Path) -> Result<gix::Repository, ConnectorError> {
    gix::ThreadSafeRepository::init_opts(
        dir,
        gix::create::Kind::Bare,
        gix::create::Options::default(),
        gix::open::Options::isolated(),
    )
    .map(Into::into)
    .map_err(git_error)
}

pub(super) fn git_error(e: impl std::fmt::Display) -> ConnectorError {
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
pub(super) fn remote_branches(
    target: &Target,
) -> Result<(Vec<String>, Option<String>), ConnectorError> {
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
pub(super) fn fetch_branch(
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
pub(super) fn open_branch(
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
pub(super) struct TempDir(PathBuf);

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

pub(super) fn tempdir() -> Result<TempDir, ConnectorError> {
    let dir = std::env::temp_dir().join(format!("inlet-git-{:x}", rand_id()));
    std::fs::create_dir_all(&dir).map_err(|e| ConnectorError::Failed(format!("temp dir: {e}")))?;
    Ok(TempDir(dir))
}

pub(super) fn rand_id() -> u128 {
    use std::hash::{BuildHasher, Hasher};
    let mut h = std::collections::hash_map::RandomState::new().build_hasher();
    h.write_u128(
        std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map_or(0, |d| d.as_nanos()),
    );
    u128::from(h.finish())
}

pub(super) fn branch_ref(
    branch: Option<&str>,
    head: Option<String>,
) -> Result<String, ConnectorError> {
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
pub(super) fn local_branches(
    repo: &gix::Repository,
) -> Result<(Vec<String>, Option<String>), ConnectorError> {
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

pub(super) fn check_branch(
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
pub(super) fn probe(target: &Target, branch: Option<&str>) -> Result<(), ConnectorError> {
    let (branches, head) = match target {
        Target::Local(path) => local_branches(&gix::open(path).map_err(git_error)?)?,
        remote => remote_branches(remote)?,
    };
    check_branch(&branches, head, branch).map(|_| ())
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use super::*;

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
