//! Turning a document into index terms with Inlet's own tokenizer
//! (`inlet_core::search::scan`), the same one queries are parsed with, so
//! `Café` finds `cafe` and each CJK character or emoji is a token, exactly
//! as before the index moved to tantivy.
//!
//! A document reaches tantivy as one text, `<collection>:\0<title>\0<text>`,
//! given to three fields whose tokenizers read it alike: words (with
//! positions), adjacent pairs and leading n-grams, each term prefixed with
//! the collection (`42:word`). The tokenizers run in tantivy's indexing
//! threads and reuse their buffers, so a document costs a few allocations,
//! not one per term. Title words are emitted [`TITLE_WEIGHT`] times at the
//! same position, so a title match counts that many times in BM25 while
//! every clause stays a single-field term query (a separate, boosted title
//! field would make every word a nested boolean, which tantivy cannot
//! prune).

use inlet_core::ids::CollectionId;
use inlet_core::search::{MAX_DOCUMENT_TOKENS, scan};
use inlet_core::store::IndexedDocument;
use tantivy::TantivyDocument;
use tantivy::tokenizer::{Token, TokenStream, Tokenizer};

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

/// The text the three fields are given: the collection's term prefix, the
/// title and the text, separated by NUL (a separator to the tokenizer, so a NUL inside
/// the title changes no token when replaced).
pub(crate) fn field_text(collection: CollectionId, title: &str, text: &str) -> String {
    let mut s = String::with_capacity(title.len() + text.len() + 24);
    s.push_str(&scope_prefix(collection));
    s.push('\0');
    s.extend(title.chars().map(|c| if c == '\0' { ' ' } else { c }));
    s.push('\0');
    s.push_str(text);
    s
}

/// The tantivy document of a store document.
pub(crate) fn document(f: &Fields, d: &IndexedDocument) -> TantivyDocument {
    let text = field_text(d.collection_id, &d.title, &d.text);
    let mut doc = TantivyDocument::new();
    doc.add_u64(f.id, d.id.0 as u64);
    doc.add_u64(f.conn, d.connection_id.0 as u64);
    doc.add_text(f.stream, &d.stream);
    doc.add_text(f.words, &text);
    doc.add_text(f.pairs, &text);
    doc.add_text(f.prefixes, text);
    doc
}

/// Which terms a tokenizer emits.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Terms {
    /// Each word.
    Words,
    /// Each pair of neighbouring words, `"a b"`.
    Pairs,
    /// Each word's leading n-grams.
    Prefixes,
}

/// A token of the analysed document: where its text is in the buffer.
#[derive(Debug, Clone, Copy)]
struct Span {
    start: usize,
    end: usize,
    position: usize,
    title: bool,
}

/// Inlet's tokenizer for one of the three fields.
#[derive(Debug, Clone)]
pub(crate) struct InletTokenizer {
    terms: Terms,
    prefix: String,
    buf: String,
    spans: Vec<Span>,
    token: Token,
}

impl InletTokenizer {
    pub fn new(terms: Terms) -> Self {
        Self {
            terms,
            prefix: String::new(),
            buf: String::new(),
            spans: Vec::new(),
            token: Token::default(),
        }
    }

    /// Cuts `text` (see [`field_text`]) into the buffer.
    fn analyse(&mut self, text: &str) {
        self.prefix.clear();
        self.buf.clear();
        self.spans.clear();
        let mut parts = text.splitn(3, '\0');
        let (scope, title, body) = match (parts.next(), parts.next(), parts.next()) {
            (Some(s), Some(t), Some(b)) => (s, t, b),
            // Not Inlet's layout (nothing else writes these fields): the
            // whole text as a body without a scope.
            _ => ("", "", text),
        };
        // The header is the scope prefix itself (`scope_prefix`), so the
        // index and the queries spell it in one place.
        self.prefix.push_str(scope);
        let mut position = 0;
        for (part, title) in [(title, true), (body, false)] {
            let mut count = 0;
            let (buf, spans) = (&mut self.buf, &mut self.spans);
            scan(part, |_, tok| {
                let start = buf.len();
                buf.push_str(tok);
                spans.push(Span {
                    start,
                    end: buf.len(),
                    position,
                    title,
                });
                position += 1;
                count += 1;
                count < MAX_DOCUMENT_TOKENS
            });
            position += TITLE_GAP;
        }
    }
}

impl Tokenizer for InletTokenizer {
    type TokenStream<'a> = InletTokenStream<'a>;

    fn token_stream<'a>(&'a mut self, text: &'a str) -> InletTokenStream<'a> {
        self.analyse(text);
        self.token.reset();
        InletTokenStream {
            terms: self.terms,
            prefix: &self.prefix,
            buf: &self.buf,
            spans: &self.spans,
            token: &mut self.token,
            at: 0,
            repeat: 0,
            gram: 0,
            weight: 1,
        }
    }
}

/// The terms of one analysed document, one at a time.
pub(crate) struct InletTokenStream<'a> {
    terms: Terms,
    prefix: &'a str,
    buf: &'a str,
    spans: &'a [Span],
    token: &'a mut Token,
    /// The span being emitted.
    at: usize,
    /// Copies of the current term emitted so far.
    repeat: usize,
    /// N-grams: characters of the current prefix.
    gram: usize,
    /// Copies the current term is emitted (its span's weight).
    weight: usize,
}

impl InletTokenStream<'_> {
    fn weight(span: &Span) -> usize {
        if span.title { TITLE_WEIGHT } else { 1 }
    }

    /// Writes the term of span `at` (and, for pairs, its neighbour), or
    /// `false` when span `at` has none.
    fn write(&mut self) -> bool {
        let span = self.spans[self.at];
        let word = &self.buf[span.start..span.end];
        self.token.text.clear();
        self.token.text.push_str(self.prefix);
        self.token.position = span.position;
        match self.terms {
            Terms::Words => self.token.text.push_str(word),
            Terms::Pairs => {
                let Some(next) = self.spans.get(self.at + 1) else {
                    return false;
                };
                if next.position != span.position + 1 {
                    return false;
                }
                self.token.text.push_str(word);
                self.token.text.push(' ');
                self.token.text.push_str(&self.buf[next.start..next.end]);
            }
            Terms::Prefixes => {
                let Some((i, c)) = word.char_indices().nth(self.gram - 1) else {
                    return false;
                };
                self.token.text.push_str(&word[..i + c.len_utf8()]);
            }
        }
        true
    }
}

impl TokenStream for InletTokenStream<'_> {
    fn advance(&mut self) -> bool {
        if self.repeat > 0 && self.repeat < self.weight {
            self.repeat += 1;
            return true; // the same term again (title weight)
        }
        self.repeat = 0;
        while self.at < self.spans.len() {
            let weight = Self::weight(&self.spans[self.at]);
            let written = match self.terms {
                Terms::Prefixes => {
                    self.gram = if self.gram == 0 {
                        NGRAM_MIN
                    } else {
                        self.gram + 1
                    };
                    if self.gram <= NGRAM_MAX && self.write() {
                        true
                    } else {
                        self.gram = 0;
                        self.at += 1;
                        continue;
                    }
                }
                Terms::Words | Terms::Pairs => {
                    let written = self.write();
                    self.at += 1;
                    written
                }
            };
            if written {
                self.weight = weight;
                self.repeat = 1;
                return true;
            }
        }
        false
    }

    fn token(&self) -> &Token {
        self.token
    }

    fn token_mut(&mut self) -> &mut Token {
        self.token
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn terms(kind: Terms, collection: i64, title: &str, text: &str) -> Vec<(String, usize)> {
        let mut t = InletTokenizer::new(kind);
        let input = field_text(CollectionId(collection), title, text);
        let mut stream = t.token_stream(&input);
        let mut out = Vec::new();
        while stream.advance() {
            out.push((stream.token().text.clone(), stream.token().position));
        }
        out
    }

    fn owned(items: &[(&str, usize)]) -> Vec<(String, usize)> {
        items.iter().map(|(t, p)| ((*t).to_owned(), *p)).collect()
    }

    fn texts(items: Vec<(String, usize)>) -> Vec<String> {
        items.into_iter().map(|(t, _)| t).collect()
    }

    #[test]
    fn words_are_inlets_tokens_in_the_collections_scope() {
        assert_eq!(
            terms(Terms::Words, 7, "", "Café 日本 🍕"),
            owned(&[("7:cafe", 8), ("7:日", 9), ("7:本", 10), ("7:🍕", 11)])
        );
    }

    #[test]
    fn title_words_count_four_times_and_no_pair_spans_title_and_text() {
        let words = terms(Terms::Words, 1, "Big cat", "sat");
        assert_eq!(words.len(), 2 * TITLE_WEIGHT + 1);
        assert_eq!(
            words.iter().filter(|t| t.0 == "1:big").count(),
            TITLE_WEIGHT
        );
        // The text starts after a gap: `cat sat` is no phrase.
        assert_eq!(words.last().map(|t| t.1), Some(2 + TITLE_GAP));
        let pairs = texts(terms(Terms::Pairs, 1, "Big cat", "sat"));
        assert_eq!(pairs, vec!["1:big cat".to_owned(); TITLE_WEIGHT]);
        // A NUL in the title is a separator, not the end of the title.
        assert_eq!(
            texts(terms(Terms::Words, 1, "a\0b", "")),
            [["1:a"; 4], ["1:b"; 4]].concat()
        );
    }

    #[test]
    fn pairs_join_neighbours_and_ngrams_lead_each_word() {
        assert_eq!(
            texts(terms(Terms::Pairs, 1, "", "a b c")),
            ["1:a b", "1:b c"]
        );
        assert_eq!(
            texts(terms(Terms::Prefixes, 1, "", "Café internationalization x")),
            [
                "1:ca", "1:caf", "1:cafe", "1:in", "1:int", "1:inte", "1:inter", "1:intern"
            ]
        );
        assert_eq!(
            texts(terms(Terms::Prefixes, 1, "ab", "")),
            vec!["1:ab".to_owned(); TITLE_WEIGHT]
        );
    }
}
