//! Pure pieces of a sync: turning source records into documents (content
//! hash, title, indexed text). Kept free of I/O so they run on a blocking
//! thread and are unit-tested on their own.

mod settings;
mod text;

pub use settings::SyncSettings;
pub use text::{index_text, title_of};

use crate::connector::Record;
use crate::model::document::DocumentWrite;

/// Hex SHA-256 of a record's data: equal data, equal hash.
pub fn content_hash(data: &str) -> String {
    crate::digest::sha256_hex(data.as_bytes())
}

/// The document a record becomes.
pub fn document_of(record: Record) -> DocumentWrite {
    let parsed: Option<serde_json::Value> = serde_json::from_str(&record.data).ok();
    let (title, text) = match &parsed {
        Some(value) => (
            title_of(value).unwrap_or_else(|| record.key.clone()),
            index_text(value),
        ),
        None => (record.key.clone(), record.data.clone()),
    };
    DocumentWrite {
        content_hash: content_hash(&record.data),
        key: record.key,
        title,
        data: record.data,
        text,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rows_get_a_title_and_text() {
        let d = document_of(Record {
            stream: "public.users".into(),
            key: "7".into(),
            data: r#"{"id": 7, "name": "Zoë", "bio": "likes | pipes", "n": null}"#.into(),
            position: None,
        });
        assert_eq!(d.title, "Zoë");
        assert!(d.text.contains("likes | pipes"));
        assert!(d.text.contains("Zoë"));
        assert_eq!(d.content_hash.len(), 64);
    }
}
