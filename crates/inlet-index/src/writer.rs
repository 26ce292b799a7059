//! The writing side of a node's index: opening it (and deciding whether
//! what is on disk can be trusted), creating it afresh, applying documents
//! and deletes, and committing with the applied `seq` in the commit's
//! payload, so a restart resumes exactly where the last commit ended.

use std::path::Path;

use inlet_core::ids::{ConnectionId, DocumentId};
use inlet_core::store::IndexedDocument;
use serde::{Deserialize, Serialize};
use tantivy::directory::MmapDirectory;
use tantivy::{IndexReader, IndexWriter, ReloadPolicy, Searcher, Term};

use crate::analysis::{InletTokenizer, Terms, document};
use crate::error::IndexError;
use crate::schema::{Fields, PAIRS, PREFIXES, SCHEMA_VERSION, WORDS, fields_of, schema, settings};

/// Files of the index directory that are Inlet's, not tantivy's: kept
/// when the index is rebuilt.
pub(crate) const KEPT_FILES: [&str; 2] = ["node-id", "inlet.lock"];

/// What a commit records besides the segments.
#[derive(Debug, Serialize, Deserialize, PartialEq, Eq)]
pub(crate) struct Payload {
    /// Format of this payload.
    pub v: u32,
    /// [`SCHEMA_VERSION`] of the index.
    pub schema: u32,
    /// The store the index was built from.
    pub store: String,
    /// Every change through this `seq` is in the commit.
    pub seq: u64,
}

/// Writer settings.
#[derive(Debug, Clone, Copy)]
pub(crate) struct WriterSettings {
    /// Indexing threads.
    pub threads: usize,
    /// Memory for all of them, in bytes.
    pub memory_bytes: usize,
}

/// An open index with its writer and reader.
pub(crate) struct Writer {
    writer: IndexWriter,
    reader: IndexReader,
    fields: Fields,
}

/// Why an index on disk is not used as it is.
#[derive(Debug)]
pub(crate) enum Unusable {
    /// Nothing there yet.
    Missing,
    /// There, but not to be trusted or not ours to follow.
    Stale(String),
}

fn register(index: &tantivy::Index) {
    let tokenizers = index.tokenizers();
    tokenizers.register(WORDS, InletTokenizer::new(Terms::Words));
    tokenizers.register(PAIRS, InletTokenizer::new(Terms::Pairs));
    tokenizers.register(PREFIXES, InletTokenizer::new(Terms::Prefixes));
}

impl Writer {
    fn with(index: tantivy::Index, fields: Fields, s: WriterSettings) -> Result<Self, IndexError> {
        register(&index);
        let writer = index.writer_with_num_threads(s.threads, s.memory_bytes)?;
        let reader = index
            .reader_builder()
            .reload_policy(ReloadPolicy::Manual)
            .try_into()?;
        Ok(Self {
            writer,
            reader,
            fields,
        })
    }

    /// Opens the index in `dir` and returns it with its payload, or says
    /// why it cannot be followed as it is (missing, another schema, another
    /// store, corrupt, or behind what the log still holds).
    pub fn open(
        dir: &Path,
        s: WriterSettings,
        store_id: &str,
        pruned_through: u64,
    ) -> Result<Result<(Self, u64), Unusable>, IndexError> {
        if !dir.join("meta.json").exists() {
            return Ok(Err(Unusable::Missing));
        }
        let stale = |why: String| Ok(Err(Unusable::Stale(why)));
        let index = match tantivy::Index::open_in_dir(dir) {
            Ok(i) => i,
            Err(e) => return stale(format!("cannot open: {e}")),
        };
        let Some(fields) = fields_of(&index.schema()) else {
            return stale("built with another schema".into());
        };
        if index.settings().sort_by_field != settings().sort_by_field {
            return stale("not sorted by document id".into());
        }
        let payload = match index.load_metas() {
            Ok(m) => m
                .payload
                .and_then(|p| serde_json::from_str::<Payload>(&p).ok()),
            Err(e) => return stale(format!("cannot read its metadata: {e}")),
        };
        let Some(payload) = payload else {
            return stale("no commit of a finished build".into());
        };
        if payload.v != 1 || payload.schema != SCHEMA_VERSION {
            return stale(format!(
                "schema version {} (this build is {SCHEMA_VERSION})",
                payload.schema
            ));
        }
        if payload.store != store_id {
            return stale("built from another store".into());
        }
        if payload.seq < pruned_through {
            return stale(format!(
                "at change {}, but the log was pruned through {pruned_through}",
                payload.seq
            ));
        }
        match index.validate_checksum() {
            Ok(bad) if bad.is_empty() => {}
            Ok(bad) => return stale(format!("{} file(s) fail their checksum", bad.len())),
            Err(e) => return stale(format!("cannot check its files: {e}")),
        }
        match Self::with(index, fields, s) {
            Ok(w) => Ok(Ok((w, payload.seq))),
            Err(IndexError::Engine(tantivy::TantivyError::LockFailure(..))) => {
                Err(IndexError::InUse(dir.display().to_string()))
            }
            Err(e) => stale(format!("cannot open its segments: {e}")),
        }
    }

    /// Removes whatever is in `dir` (but Inlet's own files) and creates an
    /// empty index there.
    pub fn create(dir: &Path, s: WriterSettings) -> Result<Self, IndexError> {
        std::fs::create_dir_all(dir)?;
        for entry in std::fs::read_dir(dir)? {
            let entry = entry?;
            let name = entry.file_name();
            if KEPT_FILES.iter().any(|k| name == *k) {
                continue;
            }
            let path = entry.path();
            if entry.file_type()?.is_dir() {
                std::fs::remove_dir_all(&path)?;
            } else {
                std::fs::remove_file(&path)?;
            }
        }
        let (schema, fields) = schema();
        let directory = MmapDirectory::open(dir).map_err(tantivy::TantivyError::from)?;
        let index = tantivy::Index::create(directory, schema, settings())?;
        Self::with(index, fields, s)
    }

    /// Adds a document (the caller deleted any older copy first).
    pub fn add(&self, d: &IndexedDocument) -> Result<(), IndexError> {
        self.writer.add_document(document(&self.fields, d))?;
        Ok(())
    }

    /// Deletes a document by id (only copies added before this call).
    pub fn delete_document(&self, id: DocumentId) {
        self.writer
            .delete_term(Term::from_field_u64(self.fields.id, id.0 as u64));
    }

    /// Deletes every document of a connection.
    pub fn delete_connection(&self, id: ConnectionId) {
        self.writer
            .delete_term(Term::from_field_u64(self.fields.conn, id.0 as u64));
    }

    /// Commits everything applied so far as reflecting `seq`, and returns a
    /// searcher that sees it.
    pub fn commit(&mut self, store_id: &str, seq: u64) -> Result<Searcher, IndexError> {
        let payload = serde_json::to_string(&Payload {
            v: 1,
            schema: SCHEMA_VERSION,
            store: store_id.to_owned(),
            seq,
        })
        .map_err(|e| IndexError::Io(std::io::Error::other(e)))?;
        let mut prepared = self.writer.prepare_commit()?;
        prepared.set_payload(&payload);
        prepared.commit()?;
        self.reader.reload()?;
        Ok(self.reader.searcher())
    }

    /// A searcher of the last commit.
    pub fn searcher(&self) -> Searcher {
        self.reader.searcher()
    }
}
