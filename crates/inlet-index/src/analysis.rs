//! Turning a document into index terms with Inlet's own tokenizer
//! (`inlet_core::search::scan`), the same one queries are parsed with, so
//! `Café` finds `cafe` and each CJK character or emoji is a token, exactly
//! as before the index moved to tantivy.
//!
//! Three fields are written from one pass of the tokenizer: words (with
//! positions), adjacent pairs and leading n-grams. Title words are emitted
//! [`TITLE_WEIGHT`] times at the same position, so a title match counts
//! that many times in BM25 while every clause stays a single-field term
//! query (a separate, boosted title field would make every word a nested
//! boolean, which tantivy cannot prune).

use inlet_core::ids::CollectionId;
use inlet_core::search::{MAX_DOCUMENT_TOKENS, scan};
use inlet_core::store::IndexedDocument;
use tantivy::TantivyDocument;
use tantivy::tokenizer::{PreTokenizedStream, PreTokenizedString, Token, Tokenizer};

use crate::schema::Fields;

/// How many times a title word counts.
pub const TITLE_WEIGHT: usize = 4;
/// Shortest and longest leading n-gram indexed; longer prefixes are
/// expanded from the word dictionary at query time.
pub const NGRAM_MIN: usize = 2;
/// See [`NGRAM_MIN`].
pub const NGRAM_MAX: usize = 6;
/// Positions between the title and the text, so no phrase spans the two.
const TITLE_GAP: usize = 8;

/// The term prefix of a collection: `"42:"`.
pub(crate) fn scope_prefix(collection: CollectionId) -> String {
    format!("{}:", collection.0)
}

/// The terms of one document, per field.
#[derive(Debug, Default)]
pub(crate) struct Analyzed {
    pub words: Vec<Token>,
    pub pairs: Vec<Token>,
    pub prefixes: Vec<Token>,
}

fn token(text: String, position: usize) -> Token {
    Token {
        offset_from: 0,
        offset_to: 0,
        position,
        text,
        position_length: 1,
    }
}

impl Analyzed {
    /// Adds the tokens of one part (title or text) from `start`; returns the
    /// position after its last token.
    fn part(&mut self, prefix: &str, text: &str, start: usize, weight: usize) -> usize {
        let mut position = start;
        let mut previous: Option<(usize, String)> = None;
        let mut count = 0;
        scan(text, |_, tok| {
            let term = format!("{prefix}{tok}");
            for _ in 0..weight {
                self.words.push(token(term.clone(), position));
            }
            if let Some((at, prev)) = &previous
                && *at + 1 == position
            {
                let pair = format!("{prefix}{prev} {tok}");
                for _ in 0..weight {
                    self.pairs.push(token(pair.clone(), *at));
                }
            }
            let chars = tok.chars().count();
            if chars >= NGRAM_MIN {
                for (n, (i, c)) in tok.char_indices().enumerate().take(NGRAM_MAX) {
                    if n + 1 < NGRAM_MIN {
                        continue;
                    }
                    let gram = format!("{prefix}{}", &tok[..i + c.len_utf8()]);
                    for _ in 0..weight {
                        self.prefixes.push(token(gram.clone(), position));
                    }
                }
            }
            previous = Some((position, tok.to_owned()));
            position += 1;
            count += 1;
            count < MAX_DOCUMENT_TOKENS
        });
        position
    }
}

/// The terms of a document's title and text in its collection's scope.
pub(crate) fn analyze(collection: CollectionId, title: &str, text: &str) -> Analyzed {
    let prefix = scope_prefix(collection);
    let mut out = Analyzed::default();
    let end = out.part(&prefix, title, 0, TITLE_WEIGHT);
    out.part(&prefix, text, end + TITLE_GAP, 1);
    out
}

fn pre(tokens: Vec<Token>) -> PreTokenizedString {
    PreTokenizedString {
        text: String::new(),
        tokens,
    }
}

/// The tantivy document of a store document.
pub(crate) fn document(f: &Fields, d: &IndexedDocument) -> TantivyDocument {
    let a = analyze(d.collection_id, &d.title, &d.text);
    let mut doc = TantivyDocument::new();
    doc.add_u64(f.id, d.id.0 as u64);
    doc.add_u64(f.conn, d.connection_id.0 as u64);
    doc.add_text(f.stream, &d.stream);
    doc.add_pre_tokenized_text(f.words, pre(a.words));
    doc.add_pre_tokenized_text(f.pairs, pre(a.pairs));
    doc.add_pre_tokenized_text(f.prefixes, pre(a.prefixes));
    doc
}

/// Inlet's tokenizer as tantivy sees it. Documents arrive pre-tokenized and
/// queries are built from Inlet's parsed terms, so tantivy never runs it on
/// Inlet's behalf; the schema names it, so it must be registered, and it
/// cuts text exactly as `scan` does should anything ask.
#[derive(Debug, Clone, Default)]
pub(crate) struct InletTokenizer;

impl Tokenizer for InletTokenizer {
    type TokenStream<'a> = PreTokenizedStream;

    fn token_stream<'a>(&'a mut self, text: &'a str) -> Self::TokenStream<'a> {
        let mut tokens = Vec::new();
        scan(text, |range, tok| {
            tokens.push(Token {
                offset_from: range.start,
                offset_to: range.end,
                position: tokens.len(),
                text: tok.to_owned(),
                position_length: 1,
            });
            tokens.len() < MAX_DOCUMENT_TOKENS
        });
        PreTokenizedStream::from(PreTokenizedString {
            text: text.to_owned(),
            tokens,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn texts(tokens: &[Token]) -> Vec<(String, usize)> {
        tokens
            .iter()
            .map(|t| (t.text.clone(), t.position))
            .collect()
    }

    fn owned(items: &[(&str, usize)]) -> Vec<(String, usize)> {
        items.iter().map(|(t, p)| ((*t).to_owned(), *p)).collect()
    }

    #[test]
    fn words_are_inlets_tokens_in_the_collections_scope() {
        let a = analyze(CollectionId(7), "", "Café 日本 🍕");
        assert_eq!(
            texts(&a.words),
            owned(&[("7:cafe", 8), ("7:日", 9), ("7:本", 10), ("7:🍕", 11)])
        );
    }

    #[test]
    fn title_words_count_four_times_and_no_pair_spans_title_and_text() {
        let a = analyze(CollectionId(1), "Big cat", "sat");
        assert_eq!(a.words.len(), 2 * TITLE_WEIGHT + 1);
        assert_eq!(
            a.words.iter().filter(|t| t.text == "1:big").count(),
            TITLE_WEIGHT
        );
        let pairs: Vec<String> = a.pairs.iter().map(|t| t.text.clone()).collect();
        assert!(pairs.iter().all(|p| p == "1:big cat"), "{pairs:?}");
        assert_eq!(pairs.len(), TITLE_WEIGHT);
        // The text starts after a gap: `cat sat` is no phrase.
        assert_eq!(a.words.last().map(|t| t.position), Some(2 + TITLE_GAP));
    }

    #[test]
    fn pairs_join_neighbours_and_ngrams_lead_each_word() {
        let a = analyze(CollectionId(1), "", "a b c");
        let pairs: Vec<String> = a.pairs.iter().map(|t| t.text.clone()).collect();
        assert_eq!(pairs, ["1:a b", "1:b c"]);
        let a = analyze(CollectionId(1), "", "Café internationalization x");
        let grams: Vec<String> = a.prefixes.iter().map(|t| t.text.clone()).collect();
        assert_eq!(
            grams,
            [
                "1:ca", "1:caf", "1:cafe", "1:in", "1:int", "1:inte", "1:inter", "1:intern"
            ]
        );
    }

    #[test]
    fn the_registered_tokenizer_cuts_as_scan_does() {
        let mut t = InletTokenizer;
        let mut stream = t.token_stream("Zoë's CAFÉ 日本");
        let mut seen = Vec::new();
        while tantivy::tokenizer::TokenStream::advance(&mut stream) {
            seen.push(tantivy::tokenizer::TokenStream::token(&stream).text.clone());
        }
        assert_eq!(seen, ["zoe", "s", "cafe", "日", "本"]);
    }
}
