//! The connector contract and the catalog that holds every connector.
//!
//! A connector describes a source type ([`Connector::spec`]), checks that a
//! configured source answers ([`Connector::test`]) and reports its structure
//! ([`Connector::discover`]). Connectors reach the outside world only through
//! the [`Context`]'s policy and timeout.

use std::collections::BTreeMap;
use std::sync::Arc;
use std::time::Duration;

use async_trait::async_trait;
use serde_json::{Map, Value};

use crate::model::catalog::SourceType;
use crate::model::schema::DiscoveredSchema;
use crate::policy::{OutboundPolicy, Refusal};

/// What a connector may reach and how long it may wait.
#[derive(Debug, Clone)]
pub struct Context {
    /// Networks and file roots.
    pub policy: Arc<OutboundPolicy>,
    /// Bound on every outbound operation (connect, handshake, query).
    pub timeout: Duration,
    /// How host names are resolved (the system resolver by default).
    pub resolver: Resolver,
}

/// A host name resolver for connectors. Connectors resolve each name once,
/// check every address against the policy and connect to a checked address;
/// tests inject a resolver that answers differently on each lookup to prove
/// that no second lookup happens.
#[derive(Clone, Default)]
pub struct Resolver(Option<Arc<ResolveFn>>);

/// A resolver function: `host`, `port` → addresses.
pub type ResolveFn = dyn Fn(&str, u16) -> std::io::Result<Vec<std::net::SocketAddr>> + Send + Sync;

impl Resolver {
    /// A resolver answering with `f` instead of the system's.
    pub fn custom(
        f: impl Fn(&str, u16) -> std::io::Result<Vec<std::net::SocketAddr>> + Send + Sync + 'static,
    ) -> Self {
        Self(Some(Arc::new(f)))
    }

    /// Resolves `host:port`: with the custom function if one is set,
    /// otherwise with the system resolver.
    pub async fn lookup(
        &self,
        host: &str,
        port: u16,
    ) -> std::io::Result<Vec<std::net::SocketAddr>> {
        match &self.0 {
            Some(f) => f(host, port),
            None => Ok(tokio::net::lookup_host((host, port)).await?.collect()),
        }
    }
}

impl std::fmt::Debug for Resolver {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(if self.0.is_some() {
            "Resolver(custom)"
        } else {
            "Resolver(system)"
        })
    }
}

/// A connection's settings as a connector sees them: every credential field
/// (secret ones decrypted) and the configuration. Never logged.
#[derive(Clone)]
pub struct SourceConfig {
    /// Credential fields, secret and not.
    pub credentials: Map<String, Value>,
    /// Configuration fields.
    pub config: Map<String, Value>,
}

impl std::fmt::Debug for SourceConfig {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SourceConfig")
            .field("credentials", &self.credentials.keys().collect::<Vec<_>>())
            .field("config", &self.config)
            .finish()
    }
}

impl SourceConfig {
    /// A string credential (`None` when absent or not a string).
    pub fn str(&self, key: &str) -> Option<&str> {
        self.credentials.get(key).and_then(Value::as_str)
    }

    /// An integer credential.
    pub fn int(&self, key: &str) -> Option<i64> {
        self.credentials.get(key).and_then(Value::as_i64)
    }

    /// A boolean credential.
    pub fn flag(&self, key: &str) -> bool {
        self.credentials
            .get(key)
            .and_then(Value::as_bool)
            .unwrap_or(false)
    }

    /// A string configuration value.
    pub fn config_str(&self, key: &str) -> Option<&str> {
        self.config.get(key).and_then(Value::as_str)
    }

    /// A boolean configuration value.
    pub fn config_flag(&self, key: &str) -> Option<bool> {
        self.config.get(key).and_then(Value::as_bool)
    }

    /// A list-of-strings configuration value.
    pub fn config_list(&self, key: &str) -> Vec<String> {
        self.config
            .get(key)
            .and_then(Value::as_array)
            .map(|a| {
                a.iter()
                    .filter_map(|v| v.as_str().map(str::to_owned))
                    .collect()
            })
            .unwrap_or_default()
    }
}

/// Why a source could not be reached or read. Messages come from the source
/// or the network and never contain a credential.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum ConnectorError {
    /// The source rejected the credentials (its own reason).
    #[error("{0}")]
    InvalidCredentials(String),
    /// The database does not exist.
    #[error("{0}")]
    DatabaseNotFound(String),
    /// The host's name does not resolve.
    #[error("{0}")]
    Dns(String),
    /// Nothing listens on the port.
    #[error("{0}")]
    Refused(String),
    /// The host or network cannot be reached.
    #[error("{0}")]
    Unreachable(String),
    /// The TLS handshake or certificate check failed.
    #[error("{0}")]
    Tls(String),
    /// No answer within the timeout.
    #[error("{0}")]
    Timeout(String),
    /// A file or directory does not exist.
    #[error("{0}")]
    FileNotFound(String),
    /// The outbound policy refused the target.
    #[error("{0}")]
    Policy(Refusal),
    /// Git refuses this URL scheme.
    #[error("{0}")]
    Transport(String),
    /// The SSH tunnel could not be opened.
    #[error("{0}")]
    Tunnel(String),
    /// The settings cannot work (e.g. verify-full without a host name).
    #[error("{0}")]
    Invalid(String),
    /// Any other failure reported by the source.
    #[error("{0}")]
    Failed(String),
}

impl ConnectorError {
    /// Replaces every occurrence of `secret` in the message with `***`, for
    /// errors from libraries that may quote a URL holding a credential.
    pub fn redact(self, secret: Option<&str>) -> Self {
        let Some(secret) = secret.filter(|s| !s.is_empty()) else {
            return self;
        };
        let r = |m: String| m.replace(secret, "***");
        match self {
            Self::InvalidCredentials(m) => Self::InvalidCredentials(r(m)),
            Self::DatabaseNotFound(m) => Self::DatabaseNotFound(r(m)),
            Self::Dns(m) => Self::Dns(r(m)),
            Self::Refused(m) => Self::Refused(r(m)),
            Self::Unreachable(m) => Self::Unreachable(r(m)),
            Self::Tls(m) => Self::Tls(r(m)),
            Self::Timeout(m) => Self::Timeout(r(m)),
            Self::FileNotFound(m) => Self::FileNotFound(r(m)),
            Self::Policy(p) => Self::Policy(p),
            Self::Transport(m) => Self::Transport(r(m)),
            Self::Tunnel(m) => Self::Tunnel(r(m)),
            Self::Invalid(m) => Self::Invalid(r(m)),
            Self::Failed(m) => Self::Failed(r(m)),
        }
    }

    /// The API error code for this failure.
    /// Whether another attempt may pass: the network or the source may
    /// recover; refused credentials, policy refusals and bad settings will
    /// not. Every variant answers here (no catch-all), so a new one is
    /// decided when it is added.
    pub fn is_transient(&self) -> bool {
        match self {
            Self::Dns(_)
            | Self::Refused(_)
            | Self::Unreachable(_)
            | Self::Timeout(_)
            | Self::Tunnel(_)
            | Self::Failed(_) => true,
            Self::InvalidCredentials(_)
            | Self::DatabaseNotFound(_)
            | Self::Tls(_)
            | Self::FileNotFound(_)
            | Self::Policy(_)
            | Self::Transport(_)
            | Self::Invalid(_) => false,
        }
    }

    /// The API error code of this failure.
    pub fn code(&self) -> &'static str {
        match self {
            Self::InvalidCredentials(_) => "invalid_credentials",
            Self::DatabaseNotFound(_) => "database_not_found",
            Self::Dns(_) => "dns_failure",
            Self::Refused(_) => "connection_refused",
            Self::Unreachable(_) => "host_unreachable",
            Self::Tls(_) => "tls_failure",
            Self::Timeout(_) => "timeout",
            Self::FileNotFound(_) => "file_not_found",
            Self::Policy(Refusal::OutsideRoots) => "path_not_allowed",
            Self::Policy(_) => "network_not_allowed",
            Self::Transport(_) => "transport_not_allowed",
            Self::Tunnel(_) => "ssh_tunnel_failed",
            Self::Invalid(_) => "invalid_request",
            Self::Failed(_) => "source_error",
        }
    }
}

/// How a stream is read this time.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ReadMode {
    /// Every record of the stream follows (from the resume position, if one
    /// was given): records the index holds but this pass never saw are gone.
    Full,
    /// Only records changed since the stream's cursor follow; nothing can be
    /// concluded about records that do not appear (deletes are invisible),
    /// except those announced by [`ReadItem::Deleted`].
    Incremental,
}

impl ReadMode {
    /// Wire and store name: `full` or `incremental`.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Full => "full",
            Self::Incremental => "incremental",
        }
    }
}

/// One record read from a source: a table row or a file.
#[derive(Debug, Clone, PartialEq)]
pub struct Record {
    /// The stream it belongs to (`schema.table`, or a file path).
    pub stream: String,
    /// A key stable across reads and unique in its stream: for one primary
    /// key column its value as text; for several, the JSON array of their
    /// values (unambiguous whatever the values hold); the file path for
    /// files; a row number or key columns for CSV; the SHA-256 of the row for
    /// tables without a primary key.
    pub key: String,
    /// The record as JSON object text, exactly as the source engine renders
    /// it (numbers exact, binary as base64), or `{path, size, …, text}` for files.
    pub data: String,
    /// Where a read resumed after this record starts (the primary key values
    /// or the cursor value, as the connector understands them); `None` when
    /// the stream cannot resume mid-way and restarts instead.
    pub position: Option<Value>,
}

/// What a read yields, per stream: `Begin`, then records, deletions and
/// skips, then `Checkpoint`.
#[derive(Debug, Clone, PartialEq)]
pub enum ReadItem {
    /// A stream starts, read in `mode`.
    Begin {
        /// The stream.
        stream: String,
        /// Full or incremental.
        mode: ReadMode,
    },
    /// A row or a file.
    Record(Record),
    /// A record the source reports gone (a file deleted between two commits).
    Deleted {
        /// The stream.
        stream: String,
        /// The record's key.
        key: String,
    },
    /// A record that could not be read (binary or oversized file, invalid
    /// UTF-8, a value the engine cannot render); counted, never fatal.
    Skipped {
        /// The stream.
        stream: String,
        /// Why, for the job's report (no data values).
        reason: String,
    },
    /// Something a person should know about how the stream is read (a table
    /// without a primary key, say); reported with the stream's progress.
    Note {
        /// The stream.
        stream: String,
        /// What to know (no data values).
        message: String,
    },
    /// The stream is done; `cursor` is where the next incremental read starts
    /// (`null` when the stream is read in full each time).
    Checkpoint {
        /// The stream.
        stream: String,
        /// Its new cursor.
        cursor: Value,
    },
}

/// What to read and where to start.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct ReadRequest {
    /// Stream → cursor of its last completed read (incremental start).
    pub cursors: Map<String, Value>,
    /// Stream → position of the last committed record of an interrupted
    /// read; that read resumes after it, in the same mode.
    pub positions: Map<String, Value>,
    /// Streams already completed by this pass, not to be read again.
    pub skip: Vec<String>,
}

/// Items produced by a running read. The reader runs in its own task and
/// waits while the consumer is behind (a bounded channel), so memory stays
/// flat whatever the source's size; dropping the stream stops the read.
pub struct RecordStream {
    rx: tokio::sync::mpsc::Receiver<Result<ReadItem, ConnectorError>>,
}

/// The producing side of a [`RecordStream`].
pub type RecordSender = tokio::sync::mpsc::Sender<Result<ReadItem, ConnectorError>>;

impl RecordStream {
    /// A stream and the sender a reader task writes to.
    pub fn channel() -> (RecordSender, Self) {
        let (tx, rx) = tokio::sync::mpsc::channel(256);
        (tx, Self { rx })
    }

    /// The next item; `None` once the reader is done.
    pub async fn next(&mut self) -> Option<Result<ReadItem, ConnectorError>> {
        self.rx.recv().await
    }
}

/// What a passing test learned about the source that later connections
/// should hold it to.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct TestReport {
    /// The SSH host key fingerprint (`SHA256:…`) the source's SSH server
    /// presented (a tunnel's bastion, or a git server over ssh). The
    /// services pin it on the connection when none is pinned yet (trust on
    /// first use); a later, different key is refused.
    pub ssh_host_key: Option<String>,
}

/// A credential or configuration value a connector refuses before anything
/// is stored or reached (e.g. a git URL holding a password).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FieldProblem {
    /// The field path as the caller sent it (`credentials.url`).
    pub field: String,
    /// What is wrong with it; never quotes a secret.
    pub message: String,
}

/// One source type's implementation.
#[async_trait]
pub trait Connector: Send + Sync {
    /// The catalog entry: names, auth and config fields.
    fn spec(&self) -> &SourceType;

    /// Checks settings beyond their field types, without reaching out: the
    /// services call it on every create and edit, after the field checks.
    /// The default accepts everything.
    fn check_settings(&self, _source: &SourceConfig) -> Result<(), FieldProblem> {
        Ok(())
    }

    /// Connects, authenticates and runs a trivial read.
    async fn test(
        &self,
        ctx: &Context,
        source: &SourceConfig,
    ) -> Result<TestReport, ConnectorError>;

    /// Reports the source's structure, with one catalog query per kind of object.
    async fn discover(
        &self,
        ctx: &Context,
        source: &SourceConfig,
    ) -> Result<DiscoveredSchema, ConnectorError>;

    /// Starts reading the selected streams (config `tables`, or all),
    /// incrementally from `request`'s cursors where the source allows.
    async fn read(
        &self,
        ctx: &Context,
        source: &SourceConfig,
        request: ReadRequest,
    ) -> Result<RecordStream, ConnectorError>;
}

/// Every registered connector, by short name.
#[derive(Clone, Default)]
pub struct Catalog {
    by_name: BTreeMap<&'static str, Arc<dyn Connector>>,
}

impl Catalog {
    /// Registers a connector under its spec's short name.
    pub fn register(&mut self, connector: Arc<dyn Connector>) {
        self.by_name.insert(connector.spec().short_name, connector);
    }

    /// The connector for `short_name`.
    pub fn get(&self, short_name: &str) -> Option<&Arc<dyn Connector>> {
        self.by_name.get(short_name)
    }

    /// Every source type, ordered by short name.
    pub fn specs(&self) -> impl Iterator<Item = &SourceType> {
        self.by_name.values().map(|c| c.spec())
    }

    /// Short names, for error messages.
    pub fn short_names(&self) -> Vec<&'static str> {
        self.by_name.keys().copied().collect()
    }
}
