//! Search: one tokenizer for documents and queries, the query language
//! Inlet parses itself (never handed raw to an engine), the contract of the
//! full-text index every node keeps, and the snippets shown with results.
//!
//! Inlet, not the engine, decides what a word is: text is cut into
//! lowercase, accent-free tokens here (`tokens`), and the index stores
//! those tokens as they are. So accents, CJK and emoji behave the same
//! whatever the store.

mod index;
mod query;
mod snippet;
mod tokens;

pub use index::{
    Index, IndexHit, IndexPage, IndexScope, IndexStatus, TOTAL_EXACT_UP_TO, TotalRelation,
};
pub use query::{Clause, MAX_QUERY_CHARS, MAX_TERMS, MIN_PREFIX_CHARS, Query, Term};
pub use snippet::snippet;
pub use tokens::{MAX_DOCUMENT_TOKENS, MAX_TOKEN_CHARS, scan};
