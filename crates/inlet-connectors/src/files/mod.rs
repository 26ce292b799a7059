//! The file source types (csv, folder, git), and reaching files under the
//! outbound policy's roots, which they (and SQLite database files) share.

pub(crate) mod csv;
pub(crate) mod folder;
pub mod git;

use std::path::PathBuf;

use inlet_core::connector::{ConnectorError, Context};

/// The canonical path of `path` (relative paths start at the first root),
/// which must exist and lie inside a root after resolving symlinks and `..`.
pub fn resolve(ctx: &Context, path: &str) -> Result<PathBuf, ConnectorError> {
    if ctx.policy.file_roots.is_empty() {
        return Err(ConnectorError::Policy(
            inlet_core::policy::Refusal::OutsideRoots,
        ));
    }
    match ctx.policy.check_path(path) {
        Ok(Ok(p)) => Ok(p),
        Ok(Err(refusal)) => Err(ConnectorError::Policy(refusal)),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Err(ConnectorError::FileNotFound(
            format!("{path} does not exist"),
        )),
        Err(e) => Err(ConnectorError::Failed(format!("cannot open {path}: {e}"))),
    }
}

/// The source's `path` credential, resolved under the roots; returns the
/// path as given too, for messages.
pub fn source_path<'a>(
    ctx: &Context,
    source: &'a inlet_core::connector::SourceConfig,
) -> Result<(&'a str, PathBuf), ConnectorError> {
    let raw = source
        .str("path")
        .ok_or_else(|| ConnectorError::Invalid("credentials.path is required".into()))?;
    Ok((raw, resolve(ctx, raw)?))
}

/// The path relative to the first root containing it, for display.
pub fn display(ctx: &Context, path: &std::path::Path) -> String {
    ctx.policy
        .file_roots
        .iter()
        .find_map(|r| path.strip_prefix(r).ok())
        .unwrap_or(path)
        .display()
        .to_string()
}

/// Runs blocking file work on the blocking pool under the context's timeout.
pub async fn blocking<T: Send + 'static>(
    ctx: &Context,
    what: &str,
    f: impl FnOnce() -> Result<T, ConnectorError> + Send + 'static,
) -> Result<T, ConnectorError> {
    crate::net::timed(ctx, what, async {
        tokio::task::spawn_blocking(f)
            .await
            .map_err(|e| ConnectorError::Failed(format!("{what} failed: {e}")))?
    })
    .await
}
