//! Field specs shared by several connectors.

use inlet_core::model::catalog::{FieldSpec, FieldType};

/// The credential fields that decide where a database password goes: the
/// server, the user it is sent with, how the server is proven to be itself
/// (a weaker TLS mode lets a machine in the middle ask for the password in
/// clear), and the tunnel it travels through and that tunnel's pinned key.
pub const DATABASE_DESTINATION: &[&str] = &[
    "host",
    "port",
    "username",
    "sslmode",
    "sslRootCert",
    "useSshTunnel",
    "sshHost",
    "sshPort",
    "sshUsername",
    "sshHostKey",
];

/// The credential fields that decide where an SSH secret goes: the server,
/// the user, and the host key it must show.
pub const SSH_DESTINATION: &[&str] = &["sshHost", "sshPort", "sshUsername", "sshHostKey"];

/// SSH tunnel fields for network databases (all optional).
pub fn ssh_fields() -> Vec<FieldSpec> {
    vec![
        FieldSpec::new("useSshTunnel", FieldType::Boolean, false)
            .describe("Connect through an SSH tunnel"),
        FieldSpec::new("sshHost", FieldType::String, false).describe("SSH bastion host"),
        FieldSpec::new("sshPort", FieldType::Number, false)
            .between(1, 65535)
            .describe("SSH port (default 22)"),
        FieldSpec::new("sshUsername", FieldType::String, false).describe("SSH user"),
        FieldSpec::new("sshPassword", FieldType::Password, false)
            .describe("SSH password")
            .bound_to(SSH_DESTINATION),
        FieldSpec::new("sshPrivateKey", FieldType::Password, false)
            .describe("SSH private key (OpenSSH format)")
            .bound_to(SSH_DESTINATION),
        FieldSpec::new("sshHostKey", FieldType::String, false)
            .describe("Pinned host key fingerprint (SHA256:…); set by the first passing test when empty, cleared by setting it empty"),
    ]
}

/// Configuration shared by database sources.
pub fn database_config() -> Vec<FieldSpec> {
    vec![
        FieldSpec::new("tables", FieldType::Array, false)
            .describe("Tables to sync (schema.table); all when empty"),
        refresh_field(),
        FieldSpec::new("cursorColumn", FieldType::String, false)
            .describe("Column for incremental syncs (e.g. updated_at); deletes are not seen by them"),
        FieldSpec::new("fullRefreshEvery", FieldType::Number, false)
            .between(1, 1_000_000)
            .describe("With cursorColumn: every Nth sync is a full refresh, which removes rows deleted at the source"),
    ]
    .into_iter()
    .chain(schedule_fields())
    .collect()
}

/// When a connection syncs by itself; every source type offers these (the
/// services check the values: cron syntax, zone, minimum interval, and
/// `continuous` only where the type supports it).
pub fn schedule_fields() -> Vec<FieldSpec> {
    vec![
        FieldSpec::new(inlet_core::schedule::SCHEDULE, FieldType::String, false).describe(
            "Cron expression for scheduled syncs (minute hour day-of-month month day-of-week, \
             or @hourly, @daily, …); none when empty",
        ),
        FieldSpec::new(inlet_core::schedule::TIMEZONE, FieldType::String, false)
            .describe("IANA time zone the schedule is read in (default UTC)"),
        FieldSpec::new(inlet_core::schedule::CONTINUOUS, FieldType::Boolean, false).describe(
            "Sync incrementally every INLET_CONTINUOUS_INTERVAL (source types that support \
             continuous syncs only; not with schedule)",
        ),
    ]
}

/// The scheduled-refresh switch every source type offers.
pub fn refresh_field() -> FieldSpec {
    FieldSpec::new("schemaAutoRefresh", FieldType::Boolean, false)
        .describe("Refresh the discovered schema on a schedule")
}

/// Include/exclude globs of file-based sources.
pub fn glob_config() -> Vec<FieldSpec> {
    vec![
        refresh_field(),
        FieldSpec::new("include", FieldType::Array, false).describe("Glob patterns to include"),
        FieldSpec::new("exclude", FieldType::Array, false).describe("Glob patterns to exclude"),
    ]
    .into_iter()
    .chain(schedule_fields())
    .collect()
}

/// Compiled include/exclude globs of a file-based source.
pub struct Globs {
    include: Option<globset::GlobSet>,
    exclude: globset::GlobSet,
}

impl Globs {
    /// Compiles `config.include` and `config.exclude`.
    pub fn from_config(
        source: &inlet_core::connector::SourceConfig,
    ) -> Result<Self, inlet_core::connector::ConnectorError> {
        let build = |field: &str| -> Result<Option<globset::GlobSet>, inlet_core::connector::ConnectorError> {
            let patterns = source.config_list(field);
            if patterns.is_empty() {
                return Ok(None);
            }
            let mut b = globset::GlobSetBuilder::new();
            for p in &patterns {
                b.add(globset::Glob::new(p).map_err(|e| {
                    inlet_core::connector::ConnectorError::Invalid(format!("config.{field}: {e}"))
                })?);
            }
            b.build()
                .map(Some)
                .map_err(|e| inlet_core::connector::ConnectorError::Invalid(format!("config.{field}: {e}")))
        };
        Ok(Self {
            include: build("include")?,
            exclude: build("exclude")?.unwrap_or_else(globset::GlobSet::empty),
        })
    }

    /// Whether a path relative to the source's root is selected.
    pub fn selects(&self, relative: &std::path::Path) -> bool {
        self.include.as_ref().is_none_or(|i| i.is_match(relative))
            && !self.exclude.is_match(relative)
    }
}

/// Adds one file to a tree summary.
pub fn tally(
    summary: &mut inlet_core::model::schema::TreeSummary,
    path: &std::path::Path,
    size: u64,
) {
    let ext = path
        .extension()
        .map(|e| e.to_string_lossy().to_lowercase())
        .unwrap_or_default();
    summary.total_files += 1;
    summary.total_bytes += size;
    match summary.by_extension.iter_mut().find(|e| e.extension == ext) {
        Some(e) => {
            e.files += 1;
            e.bytes += size;
        }
        None => summary
            .by_extension
            .push(inlet_core::model::schema::ExtensionSummary {
                extension: ext,
                files: 1,
                bytes: size,
            }),
    }
}

/// Orders a summary's extensions, largest first.
pub fn finish(summary: &mut inlet_core::model::schema::TreeSummary) {
    summary.by_extension.sort_by(|a, b| {
        b.bytes
            .cmp(&a.bytes)
            .then_with(|| a.extension.cmp(&b.extension))
    });
}

/// Largest file read as text by file-based readers.
pub const MAX_TEXT_BYTES: u64 = 1024 * 1024;

/// The file's text when it is small, valid UTF-8 and free of NUL bytes;
/// otherwise why it is not read as text.
pub fn text_of(bytes: Vec<u8>) -> Result<String, &'static str> {
    if bytes.len() as u64 > MAX_TEXT_BYTES {
        return Err("larger than 1 MiB");
    }
    if bytes.contains(&0) {
        return Err("binary (contains NUL bytes)");
    }
    String::from_utf8(bytes).map_err(|_| "not valid UTF-8")
}
