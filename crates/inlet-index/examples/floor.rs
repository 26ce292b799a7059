//! The floor of indexing with no Inlet code in the way: tantivy alone,
//! with its own tokenizers, indexing 1,000,000 documents shaped like
//! `bench/sync.sh`'s rows (a title "customer N" and ~45 words of text), one
//! writer thread, 64 MB, committed once. Three schemas: words only; words
//! and leading 2–6 character n-grams (what `prefix*` needs as one term);
//! words, n-grams and words again (the cost of a third field of the same
//! size, standing for word pairs).
//!
//!     cargo run --release -p inlet-index --example floor [DOCS]
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::print_stdout,
    missing_docs
)]

use std::time::Instant;

use tantivy::schema::{IndexRecordOption, Schema, TextFieldIndexing, TextOptions};
use tantivy::tokenizer::{LowerCaser, NgramTokenizer, SimpleTokenizer, TextAnalyzer};
use tantivy::{Index, TantivyDocument};

fn text(tokenizer: &str, record: IndexRecordOption) -> TextOptions {
    TextOptions::default().set_indexing_options(
        TextFieldIndexing::default()
            .set_tokenizer(tokenizer)
            .set_index_option(record),
    )
}

/// The text of row `g`, as the sync renders it (one value a line).
fn row(g: u64) -> (String, String) {
    let k = g % 1000;
    let words: Vec<String> = (1..=40)
        .map(|j| format!("w{}", (k * 7919 + j * 104_729) % 5000))
        .collect();
    let title = format!("customer {g}");
    let body = format!(
        "{g}\n{title}\n{}\n{}.25\n2026-11-{:02}T10:11:12+00:00",
        words.join(" "),
        g,
        1 + g % 28
    );
    (title, body)
}

fn run(label: &str, docs: u64, fields: usize) {
    let dir = tempfile::tempdir().unwrap();
    let mut b = Schema::builder();
    let words = b.add_text_field(
        "words",
        text("words", IndexRecordOption::WithFreqsAndPositions),
    );
    let grams = (fields > 1)
        .then(|| b.add_text_field("grams", text("grams", IndexRecordOption::WithFreqs)));
    let third = (fields > 2)
        .then(|| b.add_text_field("third", text("words", IndexRecordOption::WithFreqs)));
    let index = Index::create_in_dir(dir.path(), b.build()).unwrap();
    index.tokenizers().register(
        "words",
        TextAnalyzer::builder(SimpleTokenizer::default())
            .filter(LowerCaser)
            .build(),
    );
    index.tokenizers().register(
        "grams",
        TextAnalyzer::builder(NgramTokenizer::prefix_only(2, 6).unwrap())
            .filter(LowerCaser)
            .build(),
    );
    let mut writer = index.writer_with_num_threads(1, 64 * 1024 * 1024).unwrap();
    let start = Instant::now();
    for g in 1..=docs {
        let (title, body) = row(g);
        let all = format!("{title}\n{body}");
        let mut doc = TantivyDocument::new();
        doc.add_text(words, &all);
        if let Some(f) = grams {
            // The n-gram tokenizer sees the text as one token: feed it words.
            for w in all.split_whitespace() {
                doc.add_text(f, w);
            }
        }
        if let Some(f) = third {
            doc.add_text(f, &all);
        }
        writer.add_document(doc).unwrap();
    }
    writer.commit().unwrap();
    let secs = start.elapsed().as_secs_f64();
    writer.wait_merging_threads().unwrap();
    let bytes: u64 = std::fs::read_dir(dir.path())
        .unwrap()
        .map(|e| e.unwrap().metadata().unwrap().len())
        .sum();
    println!(
        "{label:<28} {docs} docs in {secs:.1} s = {:>7.0} docs/s, {} MB on disk",
        docs as f64 / secs,
        bytes / 1_000_000
    );
}

fn main() {
    let docs = std::env::args()
        .nth(1)
        .and_then(|a| a.parse().ok())
        .unwrap_or(1_000_000);
    run("words", docs, 1);
    run("words + 2-6 n-grams", docs, 2);
    run("words + n-grams + words", docs, 3);
}
