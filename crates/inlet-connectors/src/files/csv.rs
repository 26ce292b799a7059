//! The CSV connector: a `.csv` file, or a folder of them, under an allowed
//! root. Column types are inferred from a sample of rows.

use std::path::{Path, PathBuf};

use async_trait::async_trait;
use inlet_core::connector::{
    Connector, ConnectorError, Context, ReadRequest, RecordStream, SourceConfig, TestReport,
};
use inlet_core::model::catalog::{FieldSpec, FieldType, SourceType};
use inlet_core::model::schema::{DiscoveredSchema, FileInfo};

use self::infer::infer;
use self::read::{headers, key_indexes, read_file};
use crate::files;

mod infer;
mod read;

/// Rows read to infer column types.
const SAMPLE_ROWS: usize = 200;
/// Files listed from one folder at most.
const MAX_FILES: usize = 1000;

/// CSV files.
pub struct Csv {
    spec: SourceType,
}

impl Default for Csv {
    fn default() -> Self {
        Self::new()
    }
}

/// Parsing options from the connection's configuration.
#[derive(Clone, Copy)]
struct Options {
    delimiter: u8,
    has_header: bool,
    latin1: bool,
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
                        .describe("One-character field delimiter (default ,)"),
                    FieldSpec::new("hasHeader", FieldType::Boolean, false)
                        .describe("First row holds column names (default true)"),
                    FieldSpec::new("encoding", FieldType::String, false)
                        .one_of(&["utf-8", "latin1"])
                        .describe("Text encoding (default utf-8)"),
                    FieldSpec::new("keyColumns", FieldType::Array, false).describe(
                        "Columns whose values identify a row (several: their JSON array); \
                         without them a row's key is its line number, which is fragile: \
                         inserting or removing a line changes the key of every row after it",
                    ),
                    crate::common::refresh_field(),
                ]
                .into_iter()
                .chain(crate::common::schedule_fields())
                .collect(),
            },
        }
    }

    fn options(source: &SourceConfig) -> Result<Options, ConnectorError> {
        let delimiter = match source.config_str("delimiter") {
            None => b',',
            Some("\\t" | "\t") => b'\t',
            Some(d) if d.len() == 1 => d.as_bytes()[0],
            Some(_) => {
                return Err(ConnectorError::Invalid(
                    "config.delimiter must be a single ASCII character".into(),
                ));
            }
        };
        Ok(Options {
            delimiter,
            has_header: source.config_flag("hasHeader").unwrap_or(true),
            latin1: source.config_str("encoding") == Some("latin1"),
        })
    }

    /// The CSV files the source covers.
    fn targets(path: &Path) -> Result<Vec<PathBuf>, ConnectorError> {
        if path.is_file() {
            return Ok(vec![path.to_path_buf()]);
        }
        let mut out: Vec<PathBuf> = std::fs::read_dir(path)
            .map_err(|e| ConnectorError::Failed(format!("cannot list {}: {e}", path.display())))?
            .filter_map(Result::ok)
            .map(|e| e.path())
            .filter(|p| {
                p.is_file()
                    && !p.is_symlink()
                    && p.extension().is_some_and(|e| e.eq_ignore_ascii_case("csv"))
            })
            .collect();
        out.sort();
        out.truncate(MAX_FILES);
        Ok(out)
    }
}

#[async_trait]
impl Connector for Csv {
    fn spec(&self) -> &SourceType {
        &self.spec
    }

    async fn test(
        &self,
        ctx: &Context,
        source: &SourceConfig,
    ) -> Result<TestReport, ConnectorError> {
        self.discover(ctx, source)
            .await
            .map(|_| TestReport::default())
    }

    async fn discover(
        &self,
        ctx: &Context,
        source: &SourceConfig,
    ) -> Result<DiscoveredSchema, ConnectorError> {
        let (_, path) = files::source_path(ctx, source)?;
        let opts = Self::options(source)?;
        let ctx2 = ctx.clone();
        files::blocking(ctx, "reading CSV files", move || {
            let mut out = Vec::new();
            for file in Csv::targets(&path)? {
                // Entries of a folder must resolve inside the roots too.
                let file = files::resolve(&ctx2, &file.to_string_lossy())?;
                let size = std::fs::metadata(&file).map(|m| m.len()).unwrap_or(0);
                out.push(FileInfo {
                    path: files::display(&ctx2, &file),
                    size,
                    columns: infer(&file, opts)?,
                });
            }
            Ok(DiscoveredSchema {
                files: out,
                ..Default::default()
            })
        })
        .await
    }

    async fn read(
        &self,
        ctx: &Context,
        source: &SourceConfig,
        request: ReadRequest,
    ) -> Result<RecordStream, ConnectorError> {
        let (_, path) = files::source_path(ctx, source)?;
        let opts = Self::options(source)?;
        let targets = Csv::targets(&path)?
            .into_iter()
            .map(|f| files::resolve(ctx, &f.to_string_lossy()))
            .collect::<Result<Vec<_>, _>>()?;
        let keys = source.config_list("keyColumns");
        let targets: Vec<(PathBuf, String)> = targets
            .into_iter()
            .map(|f| {
                let name = files::display(ctx, &f);
                (f, name)
            })
            .filter(|(_, name)| !request.skip.contains(name))
            .collect();
        if !keys.is_empty() {
            let (targets, keys) = (targets.clone(), keys.clone());
            files::blocking(ctx, "reading CSV headers", move || {
                for (file, name) in &targets {
                    key_indexes(name, &headers(file, name, opts)?, &keys)?;
                }
                Ok(())
            })
            .await?;
        }
        let (tx, stream) = RecordStream::channel();
        tokio::task::spawn_blocking(move || {
            for (file, name) in targets {
                match read_file(&file, &name, opts, &keys, &request, &tx) {
                    Ok(true) => {}
                    Ok(false) => return,
                    Err(e) => {
                        let _ = tx.blocking_send(Err(e));
                        return;
                    }
                }
            }
        });
        Ok(stream)
    }
}
