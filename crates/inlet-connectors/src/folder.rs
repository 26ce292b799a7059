//! The Local folder connector.

use inlet_core::connector::Connector;
use inlet_core::model::catalog::{FieldSpec, FieldType, SourceType};

#[allow(unused_imports)]
use crate::common;

/// Index files of a directory under an allowed root
pub struct Folder {
    spec: SourceType,
}

impl Folder {
    /// Builds the connector and its catalog entry.
    pub fn new() -> Self {
        Self {
            spec: SourceType {
                id: "src_folder",
                name: "Local folder",
                short_name: "folder",
                description: "Index files of a directory under an allowed root",
                auth_methods: &["none"],
                labels: &["file"],
                supports_continuous: true,
                auth_fields: vec![
                    FieldSpec::new("path", FieldType::String, true)
                        .describe("Directory under INLET_FILE_ROOTS"),
                ],
                config_fields: common::glob_config(),
            },
        }
    }
}

impl Connector for Folder {
    fn spec(&self) -> &SourceType {
        &self.spec
    }
}
