//! The SQLite connector.

use inlet_core::connector::Connector;
use inlet_core::model::catalog::{FieldSpec, FieldType, SourceType};

#[allow(unused_imports)]
use crate::common;

/// Read a SQLite database file under an allowed root
pub struct Sqlite {
    spec: SourceType,
}

impl Sqlite {
    /// Builds the connector and its catalog entry.
    pub fn new() -> Self {
        Self {
            spec: SourceType {
                id: "src_sqlite",
                name: "SQLite",
                short_name: "sqlite",
                description: "Read a SQLite database file under an allowed root",
                auth_methods: &["none"],
                labels: &["database", "file"],
                supports_continuous: false,
                auth_fields: vec![
                    FieldSpec::new("path", FieldType::String, true)
                        .describe("Path of the database file, under INLET_FILE_ROOTS"),
                ],
                config_fields: common::database_config(),
            },
        }
    }
}

impl Connector for Sqlite {
    fn spec(&self) -> &SourceType {
        &self.spec
    }
}
