//! The MySQL / MariaDB connector.

use inlet_core::connector::Connector;
use inlet_core::model::catalog::{FieldSpec, FieldType, SourceType};

#[allow(unused_imports)]
use crate::common;

/// Connect to MySQL and MariaDB databases
pub struct Mysql {
    spec: SourceType,
}

impl Mysql {
    /// Builds the connector and its catalog entry.
    pub fn new() -> Self {
        Self {
            spec: SourceType {
                id: "src_mysql",
                name: "MySQL / MariaDB",
                short_name: "mysql",
                description: "Connect to MySQL and MariaDB databases",
                auth_methods: &["credentials"],
                labels: &["database"],
                supports_continuous: false,
                auth_fields: {
                    let mut f = vec![
                        FieldSpec::new("host", FieldType::String, true)
                            .describe("Server host name or address"),
                        FieldSpec::new("port", FieldType::Number, true)
                            .between(1, 65535)
                            .describe("Server port (3306)"),
                        FieldSpec::new("database", FieldType::String, true)
                            .describe("Database name"),
                        FieldSpec::new("username", FieldType::String, true).describe("User name"),
                        FieldSpec::new("password", FieldType::Password, false).describe("Password"),
                        FieldSpec::new("sslmode", FieldType::String, false)
                            .one_of(&["disabled", "preferred", "required", "verify_identity"])
                            .describe("TLS mode (default preferred)"),
                    ];
                    f.extend(common::ssh_fields());
                    f
                },
                config_fields: common::database_config(),
            },
        }
    }
}

impl Connector for Mysql {
    fn spec(&self) -> &SourceType {
        &self.spec
    }
}
