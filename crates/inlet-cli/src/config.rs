//! Configuration: defaults, then `inlet.toml`, then environment variables,
//! then flags (each wins over the one before). Invalid settings fail at start
//! with a message naming the setting.

use std::net::SocketAddr;
use std::num::NonZeroU32;
use std::path::PathBuf;

use anyhow::{Context, Result, bail};
use clap::{Args, ValueEnum};
use figment::Figment;
use figment::providers::{Format, Serialized, Toml};
use serde::{Deserialize, Serialize};

/// Log line format.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ValueEnum, Default)]
#[serde(rename_all = "lowercase")]
pub enum LogFormat {
    /// Human-readable lines.
    #[default]
    Text,
    /// One JSON object per line.
    Json,
}

/// Flags; each also reads its environment variable.
#[derive(Args, Debug, Serialize)]
pub struct ConfigArgs {
    /// Optional config file (TOML).
    #[arg(long, env = "INLET_CONFIG", global = true)]
    #[serde(skip)]
    pub config: Option<PathBuf>,
    /// Address to listen on.
    #[arg(long, env = "INLET_LISTEN", global = true)]
    #[serde(skip_serializing_if = "Option::is_none")]
    pub listen: Option<String>,
    /// Directory for the embedded store and the master key.
    #[arg(long, env = "INLET_DATA_DIR", global = true)]
    #[serde(skip_serializing_if = "Option::is_none")]
    pub data_dir: Option<PathBuf>,
    /// sqlite:PATH or postgres://… (default: sqlite in the data directory).
    #[arg(
        long,
        env = "INLET_DATABASE_URL",
        global = true,
        hide_env_values = true
    )]
    #[serde(skip_serializing_if = "Option::is_none")]
    pub database_url: Option<String>,
    /// File holding the base64 master key (created with mode 0600 if missing).
    #[arg(long, env = "INLET_MASTER_KEY_FILE", global = true)]
    #[serde(skip_serializing_if = "Option::is_none")]
    pub master_key_file: Option<PathBuf>,
    /// Base64 master key; wins over the key file.
    #[arg(long, env = "INLET_MASTER_KEY", global = true, hide_env_values = true)]
    #[serde(skip_serializing_if = "Option::is_none")]
    pub master_key: Option<String>,
    /// On an empty store, create the admin key with exactly this value.
    #[arg(
        long,
        env = "INLET_BOOTSTRAP_API_KEY",
        global = true,
        hide_env_values = true
    )]
    #[serde(skip_serializing_if = "Option::is_none")]
    pub bootstrap_api_key: Option<String>,
    /// Requests per minute per API key.
    #[arg(long, env = "INLET_RATE_LIMIT_PER_MINUTE", global = true)]
    #[serde(skip_serializing_if = "Option::is_none")]
    pub rate_limit_per_minute: Option<u32>,
    /// Log format.
    #[arg(long, env = "INLET_LOG_FORMAT", global = true)]
    #[serde(skip_serializing_if = "Option::is_none")]
    pub log_format: Option<LogFormat>,
    /// Log filter (tracing EnvFilter syntax).
    #[arg(long, env = "INLET_LOG", global = true)]
    #[serde(skip_serializing_if = "Option::is_none")]
    pub log: Option<String>,
}

#[derive(Debug, Deserialize, Serialize)]
struct Raw {
    listen: String,
    data_dir: PathBuf,
    database_url: Option<String>,
    master_key_file: Option<PathBuf>,
    master_key: Option<String>,
    bootstrap_api_key: Option<String>,
    rate_limit_per_minute: u32,
    log_format: LogFormat,
    log: String,
}

impl Default for Raw {
    fn default() -> Self {
        Self {
            listen: "127.0.0.1:8080".into(),
            data_dir: PathBuf::from("inlet-data"),
            database_url: None,
            master_key_file: None,
            master_key: None,
            bootstrap_api_key: None,
            rate_limit_per_minute: 6000,
            log_format: LogFormat::Text,
            log: "info".into(),
        }
    }
}

/// Validated configuration.
#[derive(Debug, Clone)]
pub struct Config {
    /// Listen address.
    pub listen: SocketAddr,
    /// Store URL.
    pub database_url: String,
    /// Master key file.
    pub master_key_file: PathBuf,
    /// Base64 master key from the environment, if any.
    pub master_key: Option<String>,
    /// Bootstrap admin key value, if any.
    pub bootstrap_api_key: Option<String>,
    /// Per-key rate limit.
    pub rate_limit_per_minute: NonZeroU32,
    /// Log format.
    pub log_format: LogFormat,
    /// Log filter.
    pub log: String,
}

impl Config {
    /// Merges the layers and validates.
    pub fn load(args: &ConfigArgs) -> Result<Self> {
        let mut fig = Figment::from(Serialized::defaults(Raw::default()));
        match &args.config {
            Some(path) => {
                if !path.exists() {
                    bail!("config: file {} does not exist", path.display());
                }
                fig = fig.merge(Toml::file(path));
            }
            None => fig = fig.merge(Toml::file("inlet.toml")),
        }
        let raw: Raw = fig
            .merge(Serialized::defaults(args))
            .extract()
            .context("invalid configuration")?;
        let listen: SocketAddr = raw.listen.parse().with_context(|| {
            format!(
                "listen (--listen / INLET_LISTEN): {:?} is not an address like 127.0.0.1:8080",
                raw.listen
            )
        })?;
        let rate = NonZeroU32::new(raw.rate_limit_per_minute)
            .context("rate_limit_per_minute (INLET_RATE_LIMIT_PER_MINUTE) must be at least 1")?;
        let database_url = raw
            .database_url
            .unwrap_or_else(|| format!("sqlite:{}", raw.data_dir.join("inlet.db").display()));
        if !(database_url.starts_with("sqlite:")
            || database_url.starts_with("postgres://")
            || database_url.starts_with("postgresql://"))
        {
            bail!(
                "database_url (--database-url / INLET_DATABASE_URL) must start with sqlite: or postgres://"
            );
        }
        if let Some(key) = &raw.master_key {
            inlet_core::crypto::MasterKey::from_base64(key).map_err(|e| {
                anyhow::anyhow!("master_key (--master-key / INLET_MASTER_KEY): {e}")
            })?;
        }
        Ok(Self {
            listen,
            master_key_file: raw
                .master_key_file
                .unwrap_or_else(|| raw.data_dir.join("master.key")),
            database_url,
            master_key: raw.master_key,
            bootstrap_api_key: raw.bootstrap_api_key,
            rate_limit_per_minute: rate,
            log_format: raw.log_format,
            log: raw.log,
        })
    }

    /// The store URL without a password, for logs and errors.
    pub fn redacted_database_url(&self) -> String {
        match (self.database_url.find("://"), self.database_url.rfind('@')) {
            (Some(scheme), Some(at)) if at > scheme => {
                let creds = &self.database_url[scheme + 3..at];
                let user = creds.split(':').next().unwrap_or("");
                format!(
                    "{}{user}:***{}",
                    &self.database_url[..scheme + 3],
                    &self.database_url[at..]
                )
            }
            _ => self.database_url.clone(),
        }
    }
}
