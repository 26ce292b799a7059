//! Inlet's full-text index: a tantivy copy of the store's documents on
//! every `inlet serve` node. The store stays the one source of truth; each
//! node's follower applies the store's change log to its own index, and
//! searches rank there and read the page's documents back from the store.
//! Nothing outside this crate names tantivy: services see
//! [`inlet_core::search::Index`].

mod analysis;
mod error;
mod follower;
mod node;
mod query;
mod rank;
mod schema;
mod searchable;
mod writer;

#[cfg(test)]
mod tests;

pub use analysis::{NGRAM_MAX, NGRAM_MIN, TITLE_WEIGHT};
pub use error::IndexError;
pub use node::{IndexConfig, IndexHandle, start};
pub use query::MAX_EXPANSIONS;
pub use schema::SCHEMA_VERSION;
pub use searchable::TantivyIndex;
