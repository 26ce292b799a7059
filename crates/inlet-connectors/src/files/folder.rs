//! The local folder connector: files of a directory under an allowed root,
//! selected by include/exclude globs. Symbolic links are not followed, so a
//! link cannot lead out of the root.

use std::path::Path;

use async_trait::async_trait;
use inlet_core::connector::{
    Connector, ConnectorError, Context, ReadItem, ReadMode, ReadRequest, Record, RecordStream,
    SourceConfig, TestReport,
};
use inlet_core::model::catalog::{FieldSpec, FieldType, SourceType};
use inlet_core::model::schema::{DiscoveredSchema, FileInfo, TreeSummary};
use serde_json::{Value, json};

use crate::common::{self, Globs};
use crate::files;

/// Files listed individually at most (the summary counts them all).
const MAX_LISTED: usize = 1000;
/// The one stream of a folder source.
const STREAM: &str = "files";
/// Files visited at most.
const MAX_VISITED: u64 = 200_000;

/// Local directories.
pub struct Folder {
    spec: SourceType,
}

impl Default for Folder {
    fn default() -> Self {
        Self::new()
    }
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

    fn root(ctx: &Context, source: &SourceConfig) -> Result<std::path::PathBuf, ConnectorError> {
        let (raw, path) = files::source_path(ctx, source)?;
        if !path.is_dir() {
            return Err(ConnectorError::FileNotFound(format!(
                "{raw} is not a directory"
            )));
        }
        Ok(path)
    }
}

/// Visits the selected regular files under `dir` in name order, without
/// following symbolic links or entering `.git`; `visit` returns `false` to stop.
fn walk(
    root: &Path,
    dir: &Path,
    globs: &Globs,
    visit: &mut dyn FnMut(&Path, &Path, &std::fs::Metadata) -> bool,
) -> Result<bool, ConnectorError> {
    let entries = std::fs::read_dir(dir)
        .map_err(|e| ConnectorError::Failed(format!("cannot list {}: {e}", dir.display())))?;
    let mut entries: Vec<_> = entries.filter_map(Result::ok).collect();
    entries.sort_by_key(|e| e.file_name());
    for entry in entries {
        let Ok(kind) = entry.file_type() else {
            continue;
        };
        let path = entry.path();
        if kind.is_symlink() {
            continue;
        }
        if kind.is_dir() {
            if entry.file_name() != ".git" && !walk(root, &path, globs, visit)? {
                return Ok(false);
            }
            continue;
        }
        let relative = path.strip_prefix(root).unwrap_or(&path);
        if !kind.is_file() || !globs.selects(relative) {
            continue;
        }
        let Ok(meta) = entry.metadata() else { continue };
        if !visit(relative, &path, &meta) {
            return Ok(false);
        }
    }
    Ok(true)
}

fn modified_ns(meta: &std::fs::Metadata) -> u128 {
    meta.modified()
        .ok()
        .and_then(|m| m.duration_since(std::time::UNIX_EPOCH).ok())
        .map_or(0, |d| d.as_nanos())
}

#[async_trait]
impl Connector for Folder {
    fn spec(&self) -> &SourceType {
        &self.spec
    }

    async fn test(
        &self,
        ctx: &Context,
        source: &SourceConfig,
    ) -> Result<TestReport, ConnectorError> {
        let root = Self::root(ctx, source)?;
        Globs::from_config(source)?;
        files::blocking(ctx, "listing the folder", move || {
            std::fs::read_dir(&root)
                .map(|_| TestReport::default())
                .map_err(|e| ConnectorError::Failed(format!("cannot list the folder: {e}")))
        })
        .await
    }

    async fn discover(
        &self,
        ctx: &Context,
        source: &SourceConfig,
    ) -> Result<DiscoveredSchema, ConnectorError> {
        let root = Self::root(ctx, source)?;
        let globs = Globs::from_config(source)?;
        files::blocking(ctx, "walking the folder", move || {
            let mut summary = TreeSummary::default();
            let mut listed = Vec::new();
            walk(&root, &root, &globs, &mut |relative, _, meta| {
                common::tally(&mut summary, relative, meta.len());
                if listed.len() < MAX_LISTED {
                    listed.push(FileInfo {
                        path: relative.display().to_string(),
                        size: meta.len(),
                        columns: Vec::new(),
                    });
                }
                summary.total_files < MAX_VISITED
            })?;
            common::finish(&mut summary);
            Ok(DiscoveredSchema {
                files: listed,
                summary: Some(summary),
                ..Default::default()
            })
        })
        .await
    }

    /// Streams the selected text files (up to 1 MiB, UTF-8) as
    /// `{path, size, modified, text}`, keyed by path, always in full (so
    /// deletions are seen); other files are reported as skipped.
    async fn read(
        &self,
        ctx: &Context,
        source: &SourceConfig,
        request: ReadRequest,
    ) -> Result<RecordStream, ConnectorError> {
        let root = Self::root(ctx, source)?;
        let globs = Globs::from_config(source)?;
        let (tx, stream) = RecordStream::channel();
        if request.skip.iter().any(|s| s == STREAM) {
            return Ok(stream);
        }
        tokio::task::spawn_blocking(move || {
            let begin = ReadItem::Begin {
                stream: STREAM.into(),
                mode: ReadMode::Full,
            };
            if tx.blocking_send(Ok(begin)).is_err() {
                return;
            }
            let walked = walk(&root, &root, &globs, &mut |relative, path, meta| {
                let name = relative.display().to_string();
                let skipped = |why: &str| ReadItem::Skipped {
                    stream: STREAM.into(),
                    reason: format!("{name}: {why}"),
                };
                let item = if meta.len() > common::MAX_TEXT_BYTES {
                    skipped("larger than 1 MiB")
                } else {
                    match std::fs::read(path) {
                        Err(e) => skipped(&format!("cannot be read ({})", e.kind())),
                        Ok(bytes) => match common::text_of(bytes) {
                            Err(why) => skipped(why),
                            Ok(text) => ReadItem::Record(Record {
                                stream: STREAM.into(),
                                key: name.clone(),
                                data: json!({"path": name, "size": meta.len(),
                                             "modified": modified_ns(meta).to_string(), "text": text})
                                .to_string(),
                                position: None,
                            }),
                        },
                    }
                };
                tx.blocking_send(Ok(item)).is_ok()
            });
            let item = match walked {
                Ok(true) => Ok(ReadItem::Checkpoint {
                    stream: STREAM.into(),
                    cursor: Value::Null,
                }),
                Ok(false) => return,
                Err(e) => Err(e),
            };
            let _ = tx.blocking_send(item);
        });
        Ok(stream)
    }
}
