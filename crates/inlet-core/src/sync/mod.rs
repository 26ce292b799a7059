//! Pure pieces of a sync: turning source records into documents (content
//! hash, title, indexed text). Kept free of I/O so they run on a blocking
//! thread and are unit-tested on their own.

mod text;

pub use text::{index_text, title_of};

use sha2::{Digest, Sha256};

use crate::connector::Record;
use crate::model::document::DocumentWrite;

/// Hex SHA-256 of a record's data: equal data, equal hash.
pub fn content_hash(data: &str) -> String {
    let digest = Sha256::digest(data.as_bytes());
    let mut out = String::with_capacity(64);
    for b in digest {
        out.push(char::from(HEX[usize::from(b >> 4)]));
        out.push(char::from(HEX[usize::from(b & 0xf)]));
    }
    out
}

const HEX: &[u8; 16] = b"0123456789abcdef";

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
    fn hash_is_hex_sha256() {
        assert_eq!(
            content_hash("abc"),
            "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"
        );
    }

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
