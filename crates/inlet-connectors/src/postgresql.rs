//! The PostgreSQL connector.

use inlet_core::connector::Connector;
use inlet_core::model::catalog::{FieldSpec, FieldType, SourceType};

#[allow(unused_imports)]
use crate::common;

/// Connect to PostgreSQL databases
pub struct Postgresql {
    spec: SourceType,
}

impl Postgresql {
    /// Builds the connector and its catalog entry.
    pub fn new() -> Self {
        Self {
            spec: SourceType {
                id: "src_postgresql",
                name: "PostgreSQL",
                short_name: "postgresql",
                description: "Connect to PostgreSQL databases",
                auth_methods: &["credentials"],
                labels: &["database"],
                supports_continuous: false,
                auth_fields: {
                    let mut f = vec![
                        FieldSpec::new("host", FieldType::String, true)
                            .describe("Server host name or address"),
                        FieldSpec::new("port", FieldType::Number, true)
                            .between(1, 65535)
                            .describe("Server port (5432)"),
                        FieldSpec::new("database", FieldType::String, true)
                            .describe("Database name"),
                        FieldSpec::new("username", FieldType::String, true).describe("User name"),
                        FieldSpec::new("password", FieldType::Password, true).describe("Password"),
                        FieldSpec::new("sslmode", FieldType::String, false)
                            .one_of(&["disable", "prefer", "require", "verify-full"])
                            .describe("TLS mode (default prefer)"),
                        FieldSpec::new("sslRootCert", FieldType::String, false)
                            .describe("CA certificate (PEM) for verify-full"),
                    ];
                    f.extend(common::ssh_fields());
                    f
                },
                config_fields: {
                    let mut f = vec![
                        FieldSpec::new("schema", FieldType::String, false)
                            .describe("Only discover and sync this schema"),
                    ];
                    f.extend(common::database_config());
                    f
                },
            },
        }
    }
}

impl Connector for Postgresql {
    fn spec(&self) -> &SourceType {
        &self.spec
    }
}
