//! Indexed documents: one per source record (a row or a file), keyed by
//! connection, stream and the record's key, with the text the full-text
//! index sees and a content hash to tell changed records from unchanged ones.

use super::Timestamp;
use crate::ids::{ConnectionId, DocumentId, OrgId};

/// A document as stored.
#[derive(Debug, Clone, PartialEq)]
pub struct Document {
    /// Identifier.
    pub id: DocumentId,
    /// Owning organization.
    pub org_id: OrgId,
    /// The connection it came from.
    pub connection_id: ConnectionId,
    /// Its stream (`schema.table`, a CSV file, `files`).
    pub stream: String,
    /// Unique in its connection and stream.
    pub key: String,
    /// A name-like text column's value, or the file path, or the key.
    pub title: String,
    /// The record as JSON text, exactly as read.
    pub data: String,
    /// What the full-text index sees.
    pub text: String,
    /// Hex SHA-256 of `data`.
    pub content_hash: String,
    /// When this content was written.
    pub synced_at: Timestamp,
}

/// A document to write (insert, or update when its hash changed).
#[derive(Debug, Clone, PartialEq)]
pub struct DocumentWrite {
    /// Key within the stream.
    pub key: String,
    /// Title.
    pub title: String,
    /// Record JSON text.
    pub data: String,
    /// Indexed text.
    pub text: String,
    /// Hex SHA-256 of `data`.
    pub content_hash: String,
}

/// A document found by a search, with what ranks and shows it.
#[derive(Debug, Clone, PartialEq)]
pub struct SearchHit {
    /// The document.
    pub document_id: DocumentId,
    /// Its connection.
    pub connection_id: ConnectionId,
    /// Its stream.
    pub stream: String,
    /// Its key.
    pub key: String,
    /// Its title.
    pub title: String,
    /// Its indexed text (the snippet is cut from it).
    pub text: String,
    /// Relevance: BM25 on SQLite, `ts_rank_cd` on PostgreSQL; higher is better.
    pub score: f64,
    /// When its content was written.
    pub synced_at: Timestamp,
}
