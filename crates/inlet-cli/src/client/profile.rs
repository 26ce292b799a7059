//! Profiles: named servers and their keys, kept in
//! `<config dir>/inlet/config.toml` (`~/.config/inlet/config.toml` on
//! Linux) by `inlet login`, readable by its owner only (mode 0600), so a
//! key never has to be typed on a command line or kept in a shell's
//! environment.
//!
//! Which server and key a command uses, first match wins: `INLET_URL` and
//! `INLET_API_KEY`; the profile named by `--profile` / `INLET_PROFILE`; the
//! file's default profile; `http://127.0.0.1:8080` for the address.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

use super::remote::Failure;

/// The server address when nothing names one.
pub const DEFAULT_URL: &str = "http://127.0.0.1:8080";

/// The profile file.
#[derive(Debug, Default, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Profiles {
    /// The profile used when none is named.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub default: Option<String>,
    /// Profiles by name.
    #[serde(default)]
    pub profiles: BTreeMap<String, Profile>,
}

/// One server and the key to use with it.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Profile {
    /// Base URL of the server.
    pub url: String,
    /// The API key (a secret: the file is the owner's alone).
    pub api_key: String,
}

/// The server and key a command talks to.
pub struct Target {
    /// Base URL, without a trailing slash.
    pub url: String,
    /// The key.
    pub key: String,
}

/// Where profiles are kept: `INLET_CLIENT_CONFIG` if set, else
/// `<config dir>/inlet/config.toml`.
pub fn file() -> Result<PathBuf, Failure> {
    if let Some(path) = std::env::var_os("INLET_CLIENT_CONFIG").filter(|p| !p.is_empty()) {
        return Ok(PathBuf::from(path));
    }
    dirs::config_dir()
        .map(|d| d.join("inlet").join("config.toml"))
        .ok_or_else(|| {
            Failure::Usage(
                "cannot tell where your configuration directory is; set INLET_CLIENT_CONFIG to a file path".into(),
            )
        })
}

impl Profiles {
    /// Reads the file at `path`; none there is no profiles.
    pub fn load(path: &Path) -> Result<Self, Failure> {
        let text = match std::fs::read_to_string(path) {
            Ok(t) => t,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(Self::default()),
            Err(e) => return Err(Failure::Usage(format!("reading {}: {e}", path.display()))),
        };
        warn_if_readable_by_others(path);
        // toml's message quotes the offending line, which may hold a key:
        // name the position only.
        toml::from_str(&text).map_err(|e| {
            let at = e
                .span()
                .map(|s| format!(" at byte {}", s.start))
                .unwrap_or_default();
            Failure::Usage(format!(
                "{} is not a valid profile file{at}",
                path.display()
            ))
        })
    }

    /// Writes the file at `path` readable by its owner only: a new file
    /// created with mode 0600 and renamed over the old one, so no reader
    /// ever sees it half written or with looser permissions.
    pub fn save(&self, path: &Path) -> Result<(), Failure> {
        let fail = |what: &str, e: std::io::Error| {
            Failure::Usage(format!("{what} {}: {e}", path.display()))
        };
        let dir = path.parent().unwrap_or(Path::new("."));
        create_private_dir(dir).map_err(|e| fail("creating the directory of", e))?;
        let text =
            toml::to_string(self).map_err(|e| Failure::Usage(format!("writing profiles: {e}")))?;
        let tmp = path.with_extension("toml.tmp");
        write_private(&tmp, text.as_bytes()).map_err(|e| fail("writing", e))?;
        std::fs::rename(&tmp, path).map_err(|e| fail("replacing", e))
    }

    /// The server and key to use: the environment first, then the profile
    /// `wanted` (it must exist when named), then the default profile.
    pub fn target(&self, wanted: Option<&str>) -> Result<Target, Failure> {
        let env = |name: &str| std::env::var(name).ok().filter(|v| !v.trim().is_empty());
        let profile = match wanted {
            Some(name) => Some(self.profiles.get(name).ok_or_else(|| {
                Failure::Usage(format!(
                    "no profile named {name:?}; create it with `inlet login --profile {name}`"
                ))
            })?),
            None => self
                .default
                .as_deref()
                .and_then(|name| self.profiles.get(name)),
        };
        let url = env("INLET_URL")
            .or_else(|| profile.map(|p| p.url.clone()))
            .unwrap_or_else(|| DEFAULT_URL.into());
        let key = env("INLET_API_KEY")
            .or_else(|| profile.map(|p| p.api_key.clone()))
            .ok_or_else(|| {
                Failure::Usage(
                    "not logged in: run `inlet login`, or set INLET_API_KEY (and INLET_URL)".into(),
                )
            })?;
        Ok(Target {
            url: url.trim_end_matches('/').to_owned(),
            key,
        })
    }
}

#[cfg(unix)]
fn create_private_dir(dir: &Path) -> std::io::Result<()> {
    use std::os::unix::fs::DirBuilderExt;
    std::fs::DirBuilder::new()
        .recursive(true)
        .mode(0o700)
        .create(dir)
}

#[cfg(not(unix))]
fn create_private_dir(dir: &Path) -> std::io::Result<()> {
    std::fs::create_dir_all(dir)
}

#[cfg(unix)]
fn write_private(path: &Path, bytes: &[u8]) -> std::io::Result<()> {
    use std::io::Write;
    use std::os::unix::fs::OpenOptionsExt;
    // A leftover from an interrupted save may have other permissions.
    let _ = std::fs::remove_file(path);
    let mut f = std::fs::OpenOptions::new()
        .write(true)
        .create_new(true)
        .mode(0o600)
        .open(path)?;
    f.write_all(bytes)?;
    f.sync_all()
}

#[cfg(not(unix))]
fn write_private(path: &Path, bytes: &[u8]) -> std::io::Result<()> {
    std::fs::write(path, bytes)
}

/// Like ssh with a private key: say so when others may read the keys.
#[cfg(unix)]
fn warn_if_readable_by_others(path: &Path) {
    use std::os::unix::fs::PermissionsExt;
    if let Ok(meta) = std::fs::metadata(path)
        && meta.permissions().mode() & 0o077 != 0
    {
        crate::output::stderr(&format!(
            "warning: {} holds API keys and others can read it; run `chmod 600 {}`\n",
            path.display(),
            path.display()
        ));
    }
}

#[cfg(not(unix))]
fn warn_if_readable_by_others(_: &Path) {}

#[cfg(test)]
mod tests {
    use super::*;

    fn two() -> Profiles {
        let mut p = Profiles {
            default: Some("prod".into()),
            ..Default::default()
        };
        for (name, url) in [
            ("prod", "https://inlet.example/"),
            ("dev", "http://127.0.0.1:9"),
        ] {
            p.profiles.insert(
                name.into(),
                Profile {
                    url: url.into(),
                    api_key: format!("key-{name}"),
                },
            );
        }
        p
    }

    #[test]
    fn a_saved_file_is_the_owners_alone_and_reads_back() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("nested").join("config.toml");
        two().save(&path).unwrap();
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            let mode = std::fs::metadata(&path).unwrap().permissions().mode();
            assert_eq!(mode & 0o777, 0o600);
        }
        let back = Profiles::load(&path).unwrap();
        assert_eq!(back.default.as_deref(), Some("prod"));
        assert_eq!(back.profiles["dev"].api_key, "key-dev");
    }

    #[test]
    fn a_named_profile_must_exist_and_the_default_applies_otherwise() {
        // Only when the environment does not decide.
        if std::env::var_os("INLET_URL").is_some() || std::env::var_os("INLET_API_KEY").is_some() {
            return;
        }
        let p = two();
        let t = p.target(None).unwrap();
        assert_eq!(
            (t.url.as_str(), t.key.as_str()),
            ("https://inlet.example", "key-prod")
        );
        assert_eq!(p.target(Some("dev")).unwrap().key, "key-dev");
        let err = p.target(Some("staging")).err().unwrap();
        assert_eq!(err.exit_code(), 2);
        assert!(err.to_string().contains("inlet login --profile staging"));
        let none = Profiles::default().target(None).err().unwrap();
        assert!(none.to_string().contains("inlet login"));
    }

    #[test]
    fn a_broken_file_is_named_without_quoting_it() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("config.toml");
        std::fs::write(
            &path,
            "[profiles.x]\napi_key = \"inl_secret_value\"\nurl = 3\n",
        )
        .unwrap();
        let err = Profiles::load(&path).err().unwrap().to_string();
        assert!(err.contains("not a valid profile file"), "{err}");
        assert!(!err.contains("inl_secret_value"), "{err}");
    }
}
