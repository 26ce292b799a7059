//! Reading a branch: its tree summarised by extension (discovery), and its
//! text files streamed, all of them or only those changed since the last
//! commit read (sync).

use std::path::Path;

use inlet_core::connector::{ConnectorError, ReadItem, ReadMode, Record, RecordSender};
use inlet_core::model::schema::{DiscoveredSchema, TreeSummary};
use serde_json::{Value, json};

use super::Target;
use super::repo::{git_error, open_branch, tempdir};
use crate::common::{self, Globs};

/// Summarises the tree at `refname` of an opened repository.
pub(super) fn summarise_tree(
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
pub(super) const STREAM: &str = "files";

/// The selected blobs of a tree, by path.
pub(super) fn blobs(
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
pub(super) enum Change {
    /// Read this blob at this path.
    Put(String, gix::ObjectId),
    /// This path is gone.
    Gone(String),
}

/// Streams the branch head: every text file when there is no previous commit
/// (or it is no longer in the history), else only the files changed since
/// it, and deletions; the new cursor is the head commit.
pub(super) fn read_branch(
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
    for change in changes(before.as_ref(), &tree, globs)? {
        if !send(change_item(&repo, change, &commit_id)) {
            return Ok(());
        }
    }
    send(ReadItem::Checkpoint {
        stream: STREAM.into(),
        cursor: Value::String(commit_id),
    });
    Ok(())
}

/// What changed from the `before` tree to `tree`: every selected blob when
/// there is no `before`, nothing when the trees are the same, else the paths
/// gone and the blobs added or changed.
fn changes(
    before: Option<&gix::Tree<'_>>,
    tree: &gix::Tree<'_>,
    globs: &Globs,
) -> Result<Vec<Change>, ConnectorError> {
    let after = blobs(tree, globs)?;
    Ok(match before {
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
    })
}

/// What one change becomes: a deletion, a record of the file's text at
/// `commit_id`, or a skip when it is too large, unreadable or not text.
fn change_item(repo: &gix::Repository, change: Change, commit_id: &str) -> ReadItem {
    match change {
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
    }
}

/// Summarises the branch: in place for a local repository, after a bare
/// fetch of that branch into a scratch directory for a remote one.
pub(super) fn summarise(
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
