//! A connection's discovered structure: database schemas, tables and
//! columns, or files with inferred columns, or a file-tree summary.

use serde::{Deserialize, Serialize};

use super::Timestamp;

/// What discovery found, stored as the connection's last known schema.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct DiscoveredSchema {
    /// Database schemas (databases for MySQL, `main` for SQLite).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub schemas: Vec<SchemaInfo>,
    /// Files (CSV and folder sources).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub files: Vec<FileInfo>,
    /// Counts and sizes by extension (folder and git sources).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub summary: Option<TreeSummary>,
}

/// A database schema.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct SchemaInfo {
    /// Schema name.
    pub name: String,
    /// Tables and views, by name.
    pub tables: Vec<TableInfo>,
}

/// A table or view.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct TableInfo {
    /// Table name.
    pub name: String,
    /// `table` or `view`.
    pub kind: String,
    /// The engine's row estimate (not a count).
    pub row_estimate: Option<i64>,
    /// Columns in ordinal order.
    pub columns: Vec<ColumnInfo>,
}

/// A column (of a table, or inferred from a file).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ColumnInfo {
    /// Column name.
    pub name: String,
    /// Engine type name, or the inferred type for files.
    pub data_type: String,
    /// Whether NULL (or an empty cell) is allowed / was seen.
    pub nullable: bool,
    /// Default expression.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub default: Option<String>,
    /// Part of the primary key.
    #[serde(default)]
    pub primary_key: bool,
}

/// A file.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct FileInfo {
    /// Path relative to the source's root.
    pub path: String,
    /// Size in bytes.
    pub size: u64,
    /// Inferred columns (CSV).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub columns: Vec<ColumnInfo>,
}

/// Files by extension.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct TreeSummary {
    /// Number of files.
    pub total_files: u64,
    /// Their total size.
    pub total_bytes: u64,
    /// Per extension (`""` for none), largest first.
    pub by_extension: Vec<ExtensionSummary>,
}

/// Files of one extension.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ExtensionSummary {
    /// Extension without the dot.
    pub extension: String,
    /// Number of files.
    pub files: u64,
    /// Their total size.
    pub bytes: u64,
}

/// A stored discovery result.
#[derive(Debug, Clone, PartialEq)]
pub struct StoredSchema {
    /// What was found.
    pub schema: DiscoveredSchema,
    /// When.
    pub discovered_at: Timestamp,
}
