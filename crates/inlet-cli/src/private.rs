//! Inlet's files on disk are its user's alone: the data directory is
//! created 0700, the master key file and the SQLite files (`inlet.db`, and
//! through it `-wal` and `-shm`, which SQLite creates with the database
//! file's mode) 0600. Files from before, or loosened since, are not changed
//! behind the operator's back: the start logs a warning naming each path
//! that is wider, with its mode.

use std::path::{Path, PathBuf};

use anyhow::{Context, Result};

use crate::config::Config;

/// Mode of the data directory.
const DIR_MODE: u32 = 0o700;
/// Mode of the key file and the database files.
const FILE_MODE: u32 = 0o600;

/// Creates `dir` (and missing parents) with mode 0700 if it does not exist;
/// an existing directory is left as it is.
pub fn create_dir(dir: &Path) -> Result<()> {
    if dir.is_dir() {
        return Ok(());
    }
    let mut builder = std::fs::DirBuilder::new();
    builder.recursive(true);
    #[cfg(unix)]
    std::os::unix::fs::DirBuilderExt::mode(&mut builder, DIR_MODE);
    builder
        .create(dir)
        .with_context(|| format!("creating {}", dir.display()))?;
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        // The mode given to mkdir passes through the umask; set it exactly.
        std::fs::set_permissions(dir, std::fs::Permissions::from_mode(DIR_MODE))
            .with_context(|| format!("setting the mode of {}", dir.display()))?;
    }
    Ok(())
}

/// The paths Inlet keeps private, each with the widest mode it should have:
/// the data directory, the SQLite database and its `-wal` and `-shm` files
/// (embedded store only), and the master key file.
fn private_paths(config: &Config) -> Vec<(PathBuf, u32)> {
    let mut paths = vec![(config.data_dir.clone(), DIR_MODE)];
    if let Some(db) = config.sqlite_path() {
        for suffix in ["", "-wal", "-shm"] {
            let mut name = db.clone().into_os_string();
            name.push(suffix);
            paths.push((PathBuf::from(name), FILE_MODE));
        }
    }
    paths.push((config.master_key_file.clone(), FILE_MODE));
    paths
}

/// Logs a warning for each private path that exists with a wider mode
/// (group or others may read, write or enter it). Never refuses to start:
/// an operator may have reasons, and the warning says what to tighten.
pub fn warn_if_wider(config: &Config) {
    #[cfg(unix)]
    for (path, allowed) in private_paths(config) {
        use std::os::unix::fs::PermissionsExt;
        let Ok(meta) = std::fs::metadata(&path) else {
            continue;
        };
        let mode = meta.permissions().mode() & 0o777;
        if mode & !allowed != 0 {
            tracing::warn!(
                path = %path.display(),
                mode = %format!("{mode:04o}"),
                expected = %format!("{allowed:04o}"),
                "{} is open to other users than Inlet's; restrict it (chmod {allowed:o} {})",
                path.display(),
                path.display(),
            );
        }
    }
    #[cfg(not(unix))]
    let _ = private_paths(config);
}
