//! Read your writes across commands: the highest change-log position this
//! user saw a server write (a sync waited for with `sync run --wait`) is
//! kept beside the profile file, per server, and the next `inlet search`
//! on that server sends it as `after`, so it finds what the sync wrote
//! even on a node whose index is a moment behind. Best effort: a file
//! that cannot be read or written only loses that guarantee.

use std::collections::BTreeMap;
use std::path::PathBuf;

use super::profile;
use super::remote::Remote;

fn file() -> Option<PathBuf> {
    profile::file()
        .ok()
        .map(|p| p.with_file_name("index-seq.json"))
}

fn load(path: &PathBuf) -> BTreeMap<String, u64> {
    std::fs::read_to_string(path)
        .ok()
        .and_then(|t| serde_json::from_str(&t).ok())
        .unwrap_or_default()
}

/// Records that `remote` has written through `seq`.
pub fn remember(remote: &Remote, seq: u64) {
    let Some(path) = file() else { return };
    let mut seen = load(&path);
    let entry = seen.entry(remote.base().to_owned()).or_default();
    if *entry >= seq {
        return;
    }
    *entry = seq;
    if let Some(dir) = path.parent() {
        let _ = std::fs::create_dir_all(dir);
    }
    if let Ok(text) = serde_json::to_string(&seen)
        && let Err(e) = std::fs::write(&path, text)
    {
        tracing::debug!(error = %e, "could not record the index position");
    }
}

/// The position last recorded for `remote`.
pub fn recall(remote: &Remote) -> Option<u64> {
    load(&file()?).get(remote.base()).copied()
}
