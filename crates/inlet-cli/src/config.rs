//! Configuration: defaults, then `inlet.toml`, then environment variables,
//! then flags (each wins over the one before). Invalid settings fail at start
//! with a message naming the setting.

use std::net::SocketAddr;
use std::num::NonZeroU32;
use std::path::PathBuf;
use std::time::Duration;

use anyhow::{Context, Result, bail};
use clap::{Args, ValueEnum};
use figment::Figment;
use figment::providers::{Format, Serialized, Toml};
use inlet_core::policy::OutboundPolicy;
use serde::{Deserialize, Serialize};

pub use self::duration::parse_duration;

mod duration;
mod index;
mod jobs;
mod outbound;

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
// No `Debug` on the settings types: they hold the master key, the bootstrap
// key and a database URL that may carry a password.
#[derive(Args, Serialize)]
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
    /// Most connections this process opens to PostgreSQL (1–1000; SQLite ignores it).
    #[arg(long, env = "INLET_DATABASE_POOL_SIZE", global = true)]
    #[serde(skip_serializing_if = "Option::is_none")]
    pub database_pool_size: Option<u32>,
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
    /// Refused API keys and failed console sign-ins one client address may make a minute before further ones answer 429.
    #[arg(long, env = "INLET_AUTH_FAILURES_PER_MINUTE", global = true)]
    #[serde(skip_serializing_if = "Option::is_none")]
    pub auth_failures_per_minute: Option<u32>,
    /// Directories file-based sources may read (comma-separated; default <data-dir>/files).
    #[arg(long, env = "INLET_FILE_ROOTS", global = true)]
    #[serde(skip_serializing_if = "Option::is_none")]
    pub file_roots: Option<String>,
    /// Only these networks are reachable by connectors (comma-separated CIDRs).
    #[arg(long, env = "INLET_ALLOWED_NETWORKS", global = true)]
    #[serde(skip_serializing_if = "Option::is_none")]
    pub allowed_networks: Option<String>,
    /// Networks connectors may never reach (comma-separated CIDRs).
    #[arg(long, env = "INLET_DENIED_NETWORKS", global = true)]
    #[serde(skip_serializing_if = "Option::is_none")]
    pub denied_networks: Option<String>,
    /// Let git sources use local repository paths inside the file roots.
    #[arg(long, env = "INLET_ALLOW_LOCAL_GIT", global = true)]
    #[serde(skip_serializing_if = "Option::is_none")]
    pub allow_local_git: Option<bool>,
    /// Timeout of every outbound call, in seconds.
    #[arg(long, env = "INLET_CONNECT_TIMEOUT", global = true)]
    #[serde(skip_serializing_if = "Option::is_none")]
    pub connect_timeout: Option<f64>,
    /// Age after which auto-refreshed schemas are rediscovered (e.g. 30s, 15m, 1h; 0 disables).
    #[arg(long, env = "INLET_SCHEMA_REFRESH_INTERVAL", global = true)]
    #[serde(skip_serializing_if = "Option::is_none")]
    pub schema_refresh_interval: Option<String>,
    /// Jobs (syncs, schema refreshes) this process runs at once.
    #[arg(long, env = "INLET_SYNC_WORKERS", global = true)]
    #[serde(skip_serializing_if = "Option::is_none")]
    pub sync_workers: Option<usize>,
    /// Records per committed sync batch.
    #[arg(long, env = "INLET_SYNC_BATCH_SIZE", global = true)]
    #[serde(skip_serializing_if = "Option::is_none")]
    pub sync_batch_size: Option<usize>,
    /// Largest record (its JSON text, in bytes) a sync indexes; larger ones are skipped.
    #[arg(long, env = "INLET_SYNC_MAX_RECORD_BYTES", global = true)]
    #[serde(skip_serializing_if = "Option::is_none")]
    pub sync_max_record_bytes: Option<usize>,
    /// How long a job's lease lasts without a heartbeat (e.g. 30s): a job whose worker died is resumed after it.
    #[arg(long, env = "INLET_JOB_LEASE", global = true)]
    #[serde(skip_serializing_if = "Option::is_none")]
    pub job_lease: Option<String>,
    /// A sync schedule (config `schedule`) that can fire more often than this is refused (e.g. 1m, 15m).
    #[arg(long, env = "INLET_MIN_SYNC_INTERVAL", global = true)]
    #[serde(skip_serializing_if = "Option::is_none")]
    pub min_sync_interval: Option<String>,
    /// Directory of this node's search index (default <data-dir>/index); one per node.
    #[arg(long, env = "INLET_INDEX_DIR", global = true)]
    #[serde(skip_serializing_if = "Option::is_none")]
    pub index_dir: Option<PathBuf>,
    /// Longest a synced change waits for the index commit that makes it searchable (e.g. 500ms).
    #[arg(long, env = "INLET_INDEX_COMMIT_INTERVAL", global = true)]
    #[serde(skip_serializing_if = "Option::is_none")]
    pub index_commit_interval: Option<String>,
    /// Memory of the index writer, in MB (at least 15 per thread).
    #[arg(long, env = "INLET_INDEX_MEMORY_MB", global = true)]
    #[serde(skip_serializing_if = "Option::is_none")]
    pub index_memory_mb: Option<usize>,
    /// Threads the index writer uses.
    #[arg(long, env = "INLET_INDEX_THREADS", global = true)]
    #[serde(skip_serializing_if = "Option::is_none")]
    pub index_threads: Option<usize>,
    /// A node silent this long no longer holds back pruning of the change log (it rebuilds when back).
    #[arg(long, env = "INLET_INDEX_NODE_RETENTION", global = true)]
    #[serde(skip_serializing_if = "Option::is_none")]
    pub index_node_retention: Option<String>,
    /// Days audit events are kept.
    #[arg(long, env = "INLET_AUDIT_RETENTION", global = true)]
    #[serde(skip_serializing_if = "Option::is_none")]
    pub audit_retention: Option<u32>,
    /// Time between two syncs of a `continuous` connection (e.g. 30s).
    #[arg(long, env = "INLET_CONTINUOUS_INTERVAL", global = true)]
    #[serde(skip_serializing_if = "Option::is_none")]
    pub continuous_interval: Option<String>,
    /// How often an open job event stream checks its key or console session again (e.g. 5s).
    #[arg(long, env = "INLET_STREAM_RECHECK_INTERVAL", global = true)]
    #[serde(skip_serializing_if = "Option::is_none")]
    pub stream_recheck_interval: Option<String>,
    /// How long one job event stream may stay open before the client reconnects (e.g. 15m).
    #[arg(long, env = "INLET_STREAM_MAX_DURATION", global = true)]
    #[serde(skip_serializing_if = "Option::is_none")]
    pub stream_max_duration: Option<String>,
    /// Log format.
    #[arg(long, env = "INLET_LOG_FORMAT", global = true)]
    #[serde(skip_serializing_if = "Option::is_none")]
    pub log_format: Option<LogFormat>,
    /// Log filter (tracing EnvFilter syntax).
    #[arg(long, env = "INLET_LOG", global = true)]
    #[serde(skip_serializing_if = "Option::is_none")]
    pub log: Option<String>,
}

#[derive(Deserialize, Serialize)]
struct Raw {
    listen: String,
    data_dir: PathBuf,
    database_url: Option<String>,
    database_pool_size: u32,
    master_key_file: Option<PathBuf>,
    master_key: Option<String>,
    bootstrap_api_key: Option<String>,
    rate_limit_per_minute: u32,
    auth_failures_per_minute: u32,
    log_format: LogFormat,
    log: String,
    file_roots: Option<String>,
    allowed_networks: String,
    denied_networks: String,
    allow_local_git: bool,
    connect_timeout: f64,
    schema_refresh_interval: String,
    sync_workers: usize,
    sync_batch_size: usize,
    sync_max_record_bytes: usize,
    job_lease: String,
    min_sync_interval: String,
    continuous_interval: String,
    audit_retention: u32,
    stream_recheck_interval: String,
    stream_max_duration: String,
    index_dir: Option<PathBuf>,
    index_commit_interval: String,
    index_memory_mb: usize,
    index_threads: usize,
    index_node_retention: String,
}

impl Default for Raw {
    fn default() -> Self {
        Self {
            listen: "127.0.0.1:8080".into(),
            data_dir: PathBuf::from("inlet-data"),
            database_url: None,
            database_pool_size: inlet_store::DbOptions::DEFAULT_POOL_SIZE,
            master_key_file: None,
            master_key: None,
            bootstrap_api_key: None,
            rate_limit_per_minute: 6000,
            auth_failures_per_minute: 10,
            log_format: LogFormat::Text,
            log: "info".into(),
            file_roots: None,
            allowed_networks: String::new(),
            denied_networks: String::new(),
            allow_local_git: false,
            connect_timeout: 10.0,
            schema_refresh_interval: "1h".into(),
            sync_workers: 2,
            sync_batch_size: 1000,
            sync_max_record_bytes: 1024 * 1024,
            job_lease: "30s".into(),
            min_sync_interval: "1m".into(),
            continuous_interval: "30s".into(),
            audit_retention: 365,
            stream_recheck_interval: "5s".into(),
            stream_max_duration: "15m".into(),
            index_dir: None,
            index_commit_interval: "500ms".into(),
            index_memory_mb: 64,
            index_threads: 1,
            index_node_retention: "24h".into(),
        }
    }
}

/// Validated configuration.
#[derive(Clone)]
pub struct Config {
    /// Listen address.
    pub listen: SocketAddr,
    /// Store URL.
    pub database_url: String,
    /// How the store connects (the PostgreSQL pool's size).
    pub database: inlet_store::DbOptions,
    /// Data directory (created 0700): embedded store, key file, file root.
    pub data_dir: PathBuf,
    /// Master key file.
    pub master_key_file: PathBuf,
    /// Base64 master key from the environment, if any.
    pub master_key: Option<String>,
    /// Bootstrap admin key value, if any.
    pub bootstrap_api_key: Option<String>,
    /// Per-key rate limit.
    pub rate_limit_per_minute: NonZeroU32,
    /// Refused keys a client address may present a minute.
    pub auth_failures_per_minute: NonZeroU32,
    /// How long audit events are kept.
    pub audit_retention: chrono::Duration,
    /// Log format.
    pub log_format: LogFormat,
    /// Log filter.
    pub log: String,
    /// What connectors may reach.
    pub policy: OutboundPolicy,
    /// Timeout of outbound calls.
    pub connect_timeout: Duration,
    /// Scheduled schema refresh age, `None` when disabled.
    pub schema_refresh_interval: Option<Duration>,
    /// Jobs run at once by this process.
    pub sync_workers: usize,
    /// Batch size, record limit and lease of jobs.
    pub sync: inlet_core::service::SyncSettings,
    /// Minimum schedule interval and continuous-sync interval.
    pub schedules: inlet_core::schedule::ScheduleSettings,
    /// How often an open job event stream checks its caller again.
    pub stream_recheck_interval: Duration,
    /// How long one job event stream may stay open.
    pub stream_max_duration: Duration,
    /// This node's search index.
    pub index: inlet_index::IndexConfig,
}

impl Config {
    /// Merges the layers and validates.
    pub fn load(args: &ConfigArgs) -> Result<Self> {
        let raw = layers(args)?;
        let listen: SocketAddr = raw.listen.parse().with_context(|| {
            format!(
                "listen (--listen / INLET_LISTEN): {:?} is not an address like 127.0.0.1:8080",
                raw.listen
            )
        })?;
        let rate = NonZeroU32::new(raw.rate_limit_per_minute)
            .context("rate_limit_per_minute (INLET_RATE_LIMIT_PER_MINUTE) must be at least 1")?;
        let auth_failures = NonZeroU32::new(raw.auth_failures_per_minute).context(
            "auth_failures_per_minute (INLET_AUTH_FAILURES_PER_MINUTE) must be at least 1",
        )?;
        let database_url = database_url(&raw)?;
        let database = database_options(&raw)?;
        create_data_dir(&raw)?;
        let policy = outbound::policy(&raw, listen)?;
        let index = index::config(&raw)?;
        let connect_timeout = connect_timeout(&raw)?;
        let refresh = parse_duration(
            "schema_refresh_interval (INLET_SCHEMA_REFRESH_INTERVAL)",
            &raw.schema_refresh_interval,
        )?;
        let sync = jobs::sync(&raw)?;
        let schedules = jobs::schedules(&raw)?;
        let (stream_recheck_interval, stream_max_duration) = jobs::streams(&raw)?;
        if raw.audit_retention == 0 {
            bail!("audit_retention (INLET_AUDIT_RETENTION) must be at least 1 (days)");
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
            database,
            data_dir: raw.data_dir,
            master_key: raw.master_key,
            bootstrap_api_key: raw.bootstrap_api_key,
            rate_limit_per_minute: rate,
            auth_failures_per_minute: auth_failures,
            log_format: raw.log_format,
            log: raw.log,
            policy,
            connect_timeout,
            schema_refresh_interval: (!refresh.is_zero()).then_some(refresh),
            sync_workers: raw.sync_workers,
            sync,
            schedules,
            audit_retention: chrono::Duration::days(i64::from(raw.audit_retention)),
            stream_recheck_interval,
            stream_max_duration,
            index,
        })
    }

    /// The embedded store's database file, when the store is SQLite.
    pub fn sqlite_path(&self) -> Option<PathBuf> {
        self.database_url
            .strip_prefix("sqlite:")
            .map(|p| p.strip_prefix("//").unwrap_or(p))
            .filter(|p| !p.is_empty() && !p.starts_with("file:") && *p != ":memory:")
            .map(PathBuf::from)
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

/// The settings' layers merged: defaults, then the config file (`inlet.toml`
/// when none is named; a named one must exist), then environment and flags.
fn layers(args: &ConfigArgs) -> Result<Raw> {
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
    fig.merge(Serialized::defaults(args))
        .extract()
        .context("invalid configuration")
}

/// The store URL of `raw` (SQLite in the data directory by default), checked
/// to name an engine Inlet runs on.
fn database_url(raw: &Raw) -> Result<String> {
    let database_url = raw
        .database_url
        .clone()
        .unwrap_or_else(|| format!("sqlite:{}", raw.data_dir.join("inlet.db").display()));
    if !(database_url.starts_with("sqlite:")
        || database_url.starts_with("postgres://")
        || database_url.starts_with("postgresql://"))
    {
        bail!(
            "database_url (--database-url / INLET_DATABASE_URL) must start with sqlite: or postgres://"
        );
    }
    Ok(database_url)
}

/// The most connections one pool of one process opens to PostgreSQL.
const MAX_DATABASE_POOL_SIZE: u32 = 1000;

/// How the store connects: the PostgreSQL pool's size, checked.
fn database_options(raw: &Raw) -> Result<inlet_store::DbOptions> {
    if !(1..=MAX_DATABASE_POOL_SIZE).contains(&raw.database_pool_size) {
        bail!(
            "database_pool_size (--database-pool-size / INLET_DATABASE_POOL_SIZE) must be between 1 and {MAX_DATABASE_POOL_SIZE}"
        );
    }
    Ok(inlet_store::DbOptions {
        pool_size: raw.database_pool_size,
    })
}

/// Creates the data directory, private, when anything lives in it: the
/// embedded store, the master key or the default file root.
fn create_data_dir(raw: &Raw) -> Result<()> {
    let uses_data_dir = raw.database_url.is_none()
        || raw.file_roots.is_none()
        || (raw.master_key_file.is_none() && raw.master_key.is_none());
    if uses_data_dir {
        crate::private::create_dir(&raw.data_dir).with_context(|| {
            format!(
                "data_dir (--data-dir / INLET_DATA_DIR): cannot create {}",
                raw.data_dir.display()
            )
        })?;
    }
    Ok(())
}

/// The timeout of every outbound call, checked to be within an hour.
fn connect_timeout(raw: &Raw) -> Result<Duration> {
    if !(raw.connect_timeout.is_finite()
        && raw.connect_timeout > 0.0
        && raw.connect_timeout <= 3600.0)
    {
        bail!("connect_timeout (INLET_CONNECT_TIMEOUT) must be between 0 and 3600 seconds");
    }
    Ok(Duration::from_secs_f64(raw.connect_timeout))
}
