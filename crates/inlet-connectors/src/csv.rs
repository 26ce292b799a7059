//! The CSV connector.

use inlet_core::connector::Connector;
use inlet_core::model::catalog::{FieldSpec, FieldType, SourceType};

#[allow(unused_imports)]
use crate::common;

/// Read a CSV file, or a folder of .csv files, under an allowed root
pub struct Csv {
    spec: SourceType,
}

impl Csv {
    /// Builds the connector and its catalog entry.
    pub fn new() -> Self {
        Self {
            spec: SourceType {
                id: "src_csv",
                name: "CSV",
                short_name: "csv",
                description: "Read a CSV file, or a folder of .csv files, under an allowed root",
                auth_methods: &["none"],
                labels: &["file"],
                supports_continuous: false,
                auth_fields: vec![
                    FieldSpec::new("path", FieldType::String, true)
                        .describe("A .csv file or a folder of them, under INLET_FILE_ROOTS"),
                ],
                config_fields: vec![
                    FieldSpec::new("delimiter", FieldType::String, false)
                        .describe("Field delimiter (default ,)"),
                    FieldSpec::new("hasHeader", FieldType::Boolean, false)
                        .describe("First row holds column names (default true)"),
                    FieldSpec::new("encoding", FieldType::String, false)
                        .one_of(&["utf-8", "latin1"])
                        .describe("Text encoding (default utf-8)"),
                ],
            },
        }
    }
}

impl Connector for Csv {
    fn spec(&self) -> &SourceType {
        &self.spec
    }
}
