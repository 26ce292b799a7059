//! The local folder connector: files of a directory under an allowed root,
//! selected by include/exclude globs. Symbolic links are not followed, so a
//! link cannot lead out of the root.

use std::path::Path;

use async_trait::async_trait;
use inlet_core::connector::{Connector, ConnectorError, Context, SourceConfig};
use inlet_core::model::catalog::{FieldSpec, FieldType, SourceType};
use inlet_core::model::schema::{DiscoveredSchema, FileInfo, TreeSummary};

use crate::common::{self, Globs};
use crate::files;

/// Files listed individually at most (the summary counts them all).
const MAX_LISTED: usize = 1000;
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
        let raw = source
            .str("path")
            .ok_or_else(|| ConnectorError::Invalid("credentials.path is required".into()))?;
        let path = files::resolve(ctx, raw)?;
        if !path.is_dir() {
            return Err(ConnectorError::FileNotFound(format!(
                "{raw} is not a directory"
            )));
        }
        Ok(path)
    }
}

fn walk(
    root: &Path,
    dir: &Path,
    globs: &Globs,
    summary: &mut TreeSummary,
    listed: &mut Vec<FileInfo>,
) -> Result<(), ConnectorError> {
    let entries = std::fs::read_dir(dir)
        .map_err(|e| ConnectorError::Failed(format!("cannot list {}: {e}", dir.display())))?;
    let mut entries: Vec<_> = entries.filter_map(Result::ok).collect();
    entries.sort_by_key(|e| e.file_name());
    for entry in entries {
        if summary.total_files >= MAX_VISITED {
            return Ok(());
        }
        let Ok(kind) = entry.file_type() else {
            continue;
        };
        let path = entry.path();
        if kind.is_symlink() {
            continue;
        }
        if kind.is_dir() {
            if entry.file_name() != ".git" {
                walk(root, &path, globs, summary, listed)?;
            }
            continue;
        }
        let relative = path.strip_prefix(root).unwrap_or(&path);
        if !kind.is_file() || !globs.selects(relative) {
            continue;
        }
        let size = entry.metadata().map(|m| m.len()).unwrap_or(0);
        common::tally(summary, relative, size);
        if listed.len() < MAX_LISTED {
            listed.push(FileInfo {
                path: relative.display().to_string(),
                size,
                columns: Vec::new(),
            });
        }
    }
    Ok(())
}

#[async_trait]
impl Connector for Folder {
    fn spec(&self) -> &SourceType {
        &self.spec
    }

    async fn test(&self, ctx: &Context, source: &SourceConfig) -> Result<(), ConnectorError> {
        let root = Self::root(ctx, source)?;
        Globs::from_config(source)?;
        files::blocking(ctx, "listing the folder", move || {
            std::fs::read_dir(&root)
                .map(|_| ())
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
            walk(&root, &root, &globs, &mut summary, &mut listed)?;
            common::finish(&mut summary);
            Ok(DiscoveredSchema {
                files: listed,
                summary: Some(summary),
                ..Default::default()
            })
        })
        .await
    }
}
