//! The Git repository connector.

use inlet_core::connector::Connector;
use inlet_core::model::catalog::{FieldSpec, FieldType, SourceType};

#[allow(unused_imports)]
use crate::common;

/// Index text files of a git repository branch
pub struct Git {
    spec: SourceType,
}

impl Git {
    /// Builds the connector and its catalog entry.
    pub fn new() -> Self {
        Self {
            spec: SourceType {
                id: "src_git",
                name: "Git repository",
                short_name: "git",
                description: "Index text files of a git repository branch",
                auth_methods: &["none", "token", "ssh_key"],
                labels: &["code", "file"],
                supports_continuous: true,
                auth_fields: vec![
                    FieldSpec::new("url", FieldType::String, true)
                        .describe("Repository URL (https, ssh, or an allowed local path)"),
                    FieldSpec::new("branch", FieldType::String, false)
                        .describe("Branch (default: the remote HEAD)"),
                    FieldSpec::new("username", FieldType::String, false)
                        .describe("User for https authentication"),
                    FieldSpec::new("token", FieldType::Password, false)
                        .describe("Access token for https"),
                    FieldSpec::new("sshPrivateKey", FieldType::Password, false)
                        .describe("Private key for ssh"),
                ],
                config_fields: common::glob_config(),
            },
        }
    }
}

impl Connector for Git {
    fn spec(&self) -> &SourceType {
        &self.spec
    }
}
