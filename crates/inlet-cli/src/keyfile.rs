//! The master key on disk. The key file holds base64 keys, one per line: the
//! first seals, the others (kept only during a rotation) still open old rows.
//! It is created with mode 0600 on first start — but never for a store that
//! already holds sealed data: a missing key file there means the key was
//! lost or misplaced, and a new one would open nothing. `INLET_MASTER_KEY`
//! wins over the file.

use std::fs;
use std::io::Write;
use std::path::Path;

use anyhow::{Context, Result, bail};
use inlet_core::crypto::{Keyring, MasterKey};

use crate::config::Config;

/// The keyring from `INLET_MASTER_KEY`, or the key file. A missing key file
/// is created only when `store_sealed_under` is `None`, i.e. the store holds
/// no check value and no sealed secret (see
/// [`inlet_core::service::sealed_key_id`]); otherwise the start stops.
pub fn load_or_create(config: &Config, store_sealed_under: Option<&str>) -> Result<Keyring> {
    if let Some(b64) = &config.master_key {
        let key = MasterKey::from_base64(b64)
            .map_err(|e| anyhow::anyhow!("master_key (INLET_MASTER_KEY): {e}"))?;
        let retired = read_keys(&config.master_key_file).unwrap_or_default();
        return Ok(Keyring::new(key, retired));
    }
    let path = &config.master_key_file;
    if !path.exists() {
        if let Some(key_id) = store_sealed_under {
            bail!(
                "the master key file {path} does not exist, but the store ({store}) holds data \
                 sealed with master key {key_id}. Inlet will not create a new key for it, which \
                 could never open that data. Restore {path} from a backup, or set \
                 INLET_MASTER_KEY (--master-key) to the key with id {key_id}.",
                path = path.display(),
                store = config.redacted_database_url(),
            );
        }
        let (_, text) = MasterKey::generate();
        write_private(path, &format!("{}\n", text.as_str()))?;
        tracing::info!(path = %path.display(), "created master key file");
    }
    read_file_keyring(path)
}

/// The keyring of the key file at `path` (first key current).
fn read_file_keyring(path: &Path) -> Result<Keyring> {
    let mut keys = read_keys(path)?;
    if keys.is_empty() {
        bail!("master_key_file {}: no key in the file", path.display());
    }
    let current = keys.remove(0);
    Ok(Keyring::new(current, keys))
}

/// Puts a new key first in the key file (the old ones stay, to open old
/// rows) and returns the keyring to re-seal with.
pub fn rotate(config: &Config) -> Result<Keyring> {
    if config.master_key.is_some() {
        bail!(
            "rotate-master-key works on the key file; unset INLET_MASTER_KEY and point --master-key-file at the key"
        );
    }
    let path = &config.master_key_file;
    let old = fs::read_to_string(path)
        .with_context(|| format!("reading master key file {}", path.display()))?;
    let (_, text) = MasterKey::generate();
    write_private(path, &format!("{}\n{old}", text.as_str()))?;
    read_file_keyring(path)
}

/// Where the configured master key comes from, for messages.
pub fn source(config: &Config) -> String {
    if config.master_key.is_some() {
        "INLET_MASTER_KEY".to_owned()
    } else {
        format!("the key file {}", config.master_key_file.display())
    }
}

/// After re-sealing, keeps only the current key in the file.
pub fn retire_old_keys(config: &Config) -> Result<()> {
    let path = &config.master_key_file;
    let text = fs::read_to_string(path)?;
    let first = text.lines().find(|l| !l.trim().is_empty()).unwrap_or("");
    write_private(path, &format!("{first}\n"))
}

fn read_keys(path: &Path) -> Result<Vec<MasterKey>> {
    let text = fs::read_to_string(path)
        .with_context(|| format!("reading master key file {}", path.display()))?;
    text.lines()
        .filter(|l| !l.trim().is_empty())
        .map(|l| {
            MasterKey::from_base64(l)
                .map_err(|e| anyhow::anyhow!("master_key_file {}: {e}", path.display()))
        })
        .collect()
}

fn write_private(path: &Path, contents: &str) -> Result<()> {
    if let Some(dir) = path.parent()
        && !dir.as_os_str().is_empty()
    {
        crate::private::create_dir(dir)?;
    }
    let tmp = path.with_extension("tmp");
    let mut opts = fs::OpenOptions::new();
    opts.write(true).create(true).truncate(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        opts.mode(0o600);
    }
    let mut f = opts
        .open(&tmp)
        .with_context(|| format!("writing {}", tmp.display()))?;
    f.write_all(contents.as_bytes())?;
    f.sync_all()?;
    fs::rename(&tmp, path).with_context(|| format!("writing {}", path.display()))?;
    Ok(())
}
