//! Field specs shared by several connectors.

use inlet_core::model::catalog::{FieldSpec, FieldType};

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
        FieldSpec::new("sshPassword", FieldType::Password, false).describe("SSH password"),
        FieldSpec::new("sshPrivateKey", FieldType::Password, false)
            .describe("SSH private key (OpenSSH format)"),
    ]
}

/// Configuration shared by database sources.
pub fn database_config() -> Vec<FieldSpec> {
    vec![
        FieldSpec::new("tables", FieldType::Array, false)
            .describe("Tables to sync (schema.table); all when empty"),
        FieldSpec::new("schemaAutoRefresh", FieldType::Boolean, false)
            .describe("Refresh the discovered schema on a schedule"),
        FieldSpec::new("cursorColumn", FieldType::String, false)
            .describe("Column for incremental syncs (e.g. updated_at)"),
    ]
}

/// Include/exclude globs of file-based sources.
pub fn glob_config() -> Vec<FieldSpec> {
    vec![
        FieldSpec::new("include", FieldType::Array, false).describe("Glob patterns to include"),
        FieldSpec::new("exclude", FieldType::Array, false).describe("Glob patterns to exclude"),
    ]
}
