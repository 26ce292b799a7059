//! The index layer's error type.

use inlet_core::CoreError;

/// What can go wrong building or following the index.
#[derive(Debug, thiserror::Error)]
pub enum IndexError {
    /// Tantivy failed (I/O, a full disk, a corrupt file).
    #[error("index engine: {0}")]
    Engine(#[from] tantivy::TantivyError),
    /// A file or directory of the index could not be read or written.
    #[error("index directory: {0}")]
    Io(#[from] std::io::Error),
    /// The store failed.
    #[error("store: {0}")]
    Store(#[from] CoreError),
    /// Another process holds the index directory.
    #[error("index directory {0} is in use by another process; give each node its own --index-dir")]
    InUse(String),
    /// The directory was removed while the index ran.
    #[error("index directory removed while running")]
    Gone,
    /// The log moved past what this index applied (pruned while it was away).
    #[error("the change log was pruned past this index ({0})")]
    Behind(u64),
}

impl From<IndexError> for CoreError {
    fn from(e: IndexError) -> Self {
        match e {
            IndexError::Store(e) => e,
            other => CoreError::SearchUnavailable(format!("search index: {other}")),
        }
    }
}
