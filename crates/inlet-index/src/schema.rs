//! The index's schema. Nothing is stored: the store holds every document's
//! text, so the index keeps only what ranking and filtering need.
//!
//! Every text term carries its collection as a prefix (`"42:word"`): a
//! search of one collection is plain term look-ups with no filter clause,
//! which keeps tantivy's block-max pruning (a filter clause makes the cost
//! grow with the number of matches), and a term of another collection
//! cannot match by construction.

use tantivy::schema::{
    FAST, Field, INDEXED, IndexRecordOption, STRING, Schema, TextFieldIndexing, TextOptions,
};
use tantivy::{IndexSettings, IndexSortByField, Order};

/// Changes when the schema or the analysis changes: an index of another
/// version is rebuilt at open.
pub const SCHEMA_VERSION: u32 = 2;

/// Names the three text fields' tokenizers are registered under.
pub(crate) const WORDS: &str = "inlet_words";
/// See [`WORDS`].
pub(crate) const PAIRS: &str = "inlet_pairs";
/// See [`WORDS`].
pub(crate) const PREFIXES: &str = "inlet_prefixes";

/// The fields of the schema.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Fields {
    /// Document id: the key of deletes and the tie-break of ranking.
    pub id: Field,
    /// Connection id: clears, and narrowing or hiding connections.
    pub conn: Field,
    /// Stream name, untokenized.
    pub stream: Field,
    /// Words of the title and text, with positions (phrases of 3+ words).
    pub words: Field,
    /// Adjacent word pairs (`"a b"`): two-word phrases as term look-ups.
    pub pairs: Field,
    /// Leading 2–6 character n-grams of each word: short prefixes as term
    /// look-ups.
    pub prefixes: Field,
}

fn text(tokenizer: &str, record: IndexRecordOption) -> TextOptions {
    TextOptions::default().set_indexing_options(
        TextFieldIndexing::default()
            .set_tokenizer(tokenizer)
            .set_index_option(record)
            .set_fieldnorms(true),
    )
}

/// The schema and its fields.
pub(crate) fn schema() -> (Schema, Fields) {
    let mut b = Schema::builder();
    let fields = Fields {
        id: b.add_u64_field("id", INDEXED | FAST),
        conn: b.add_u64_field("conn", INDEXED),
        stream: b.add_text_field("stream", STRING),
        words: b.add_text_field(
            "words",
            text(WORDS, IndexRecordOption::WithFreqsAndPositions),
        ),
        pairs: b.add_text_field("pairs", text(PAIRS, IndexRecordOption::WithFreqs)),
        prefixes: b.add_text_field("prefixes", text(PREFIXES, IndexRecordOption::WithFreqs)),
    };
    (b.build(), fields)
}

/// The fields of an opened index's schema, if it is this version's.
pub(crate) fn fields_of(found: &Schema) -> Option<Fields> {
    let (expected, fields) = schema();
    (found == &expected).then_some(fields)
}

/// The index's settings: every segment keeps its documents in ascending id
/// order, through merges too. Ranking breaks ties by id (the same page on
/// every node), and with the documents in that order a tie met after the
/// k-th match can never win, so block-max pruning skips ties as it skips
/// lower scores; a word in every document then costs a few blocks, not a
/// walk over every match.
pub(crate) fn settings() -> IndexSettings {
    IndexSettings {
        sort_by_field: Some(IndexSortByField {
            field: "id".into(),
            order: Order::Asc,
        }),
        ..IndexSettings::default()
    }
}
