//! Search: one tokenizer for the index and the query on both stores, the
//! query language Inlet parses itself (never handed raw to an engine), and
//! the snippets shown with results.
//!
//! Inlet, not the database, decides what a word is: text is cut into
//! lowercase, accent-free tokens here, and the stores index those tokens
//! as they are (SQLite FTS5 with its `ascii` tokenizer over the
//! space-joined tokens; PostgreSQL a `tsvector` built from them). So
//! accents, CJK and emoji behave the same on both backends.

mod query;
mod snippet;
mod tokens;

pub use query::{Clause, MAX_QUERY_CHARS, MAX_TERMS, Query, Term};
pub use snippet::snippet;
pub use tokens::{IndexTerms, MAX_TOKEN_CHARS, index_terms, scan};
