//! Tantivy queries built in code from Inlet's parsed query, never by
//! tantivy's query parser, one per collection (terms carry the collection's
//! prefix):
//!
//! | Inlet | tantivy |
//! |---|---|
//! | `word` | term on `words` |
//! | `ab*` (2–6 characters) | term on `prefixes` |
//! | `abcdefg*` (7+) | the first [`MAX_EXPANSIONS`] words of the dictionary with that prefix, OR-ed |
//! | `"a b"`, `foo-bar` | term on `pairs` |
//! | `"a b c"` | phrase on `words` (positions) |
//! | `"a b"*` | phrase prefix on `words`, at most [`MAX_EXPANSIONS`] endings |
//! | `a OR b` | should |
//! | clauses | must |
//! | `-x` | must not |
//!
//! The shape is kept as flat as tantivy needs to prune (block-max WAND runs
//! for a lone term, a pure OR of terms, or an AND of two or more terms):
//! a one-clause query is never wrapped, and narrowing clauses are added
//! only when the search asks for them.

use inlet_core::ids::CollectionId;
use inlet_core::search::{IndexScope, Query as InletQuery, Term as InletTerm};
use tantivy::query::{
    BooleanQuery, ConstScoreQuery, Occur, PhrasePrefixQuery, PhraseQuery, Query, TermQuery,
};
use tantivy::schema::{Field, IndexRecordOption};
use tantivy::{Searcher, Term};

use crate::analysis::{NGRAM_MAX, scope_prefix};
use crate::schema::Fields;

/// Most words a long prefix, or the last word of a phrase prefix, expands to.
pub const MAX_EXPANSIONS: usize = 64;

/// A scored term of a text field (frequencies read, as block-max pruning
/// needs).
fn term(field: Field, text: &str) -> Box<dyn Query> {
    exact(
        Term::from_field_text(field, text),
        IndexRecordOption::WithFreqs,
    )
}

/// A term query reading the postings as `record` says.
fn exact(term: Term, record: IndexRecordOption) -> Box<dyn Query> {
    Box::new(TermQuery::new(term, record))
}

/// Words of the dictionary that start with `prefix` (already scoped), in
/// order, at most [`MAX_EXPANSIONS`] over all segments.
fn expand(searcher: &Searcher, field: Field, prefix: &str) -> tantivy::Result<Vec<String>> {
    let mut found = std::collections::BTreeSet::new();
    for segment in searcher.segment_readers() {
        let inverted = segment.inverted_index(field)?;
        let mut stream = inverted
            .terms()
            .range()
            .ge(prefix.as_bytes())
            .into_stream()?;
        let mut taken = 0;
        while stream.advance() && taken < MAX_EXPANSIONS {
            let Ok(word) = std::str::from_utf8(stream.key()) else {
                continue;
            };
            if !word.starts_with(prefix) {
                break;
            }
            found.insert(word.to_owned());
            taken += 1;
        }
    }
    Ok(found.into_iter().take(MAX_EXPANSIONS).collect())
}

/// The alternatives one Inlet term stands for (empty: it cannot match).
fn alternatives(
    f: &Fields,
    searcher: &Searcher,
    scope: &str,
    t: &InletTerm,
) -> tantivy::Result<Vec<Box<dyn Query>>> {
    let scoped = |token: &str| format!("{scope}{token}");
    let words = |tokens: &[String]| -> Vec<Term> {
        tokens
            .iter()
            .map(|tok| Term::from_field_text(f.words, &scoped(tok)))
            .collect()
    };
    Ok(match (t.tokens.as_slice(), t.prefix) {
        ([word], false) => vec![term(f.words, &scoped(word))],
        ([word], true) if word.chars().count() <= NGRAM_MAX => {
            vec![term(f.prefixes, &scoped(word))]
        }
        ([word], true) => expand(searcher, f.words, &scoped(word))?
            .iter()
            .map(|w| term(f.words, w))
            .collect(),
        ([a, b], false) => vec![term(f.pairs, &scoped(&format!("{a} {b}")))],
        (tokens, false) => vec![Box::new(PhraseQuery::new(words(tokens)))],
        (tokens, true) => {
            let mut q = PhrasePrefixQuery::new(words(tokens));
            q.set_max_expansions(MAX_EXPANSIONS as u32);
            vec![Box::new(q)]
        }
    })
}

/// One query or an OR of several.
fn any_of(mut queries: Vec<Box<dyn Query>>) -> Box<dyn Query> {
    if queries.len() == 1
        && let Some(q) = queries.pop()
    {
        return q;
    }
    Box::new(BooleanQuery::new(
        queries.into_iter().map(|q| (Occur::Should, q)).collect(),
    ))
}

/// A filter that narrows without scoring.
fn filter(queries: Vec<Box<dyn Query>>) -> Box<dyn Query> {
    Box::new(ConstScoreQuery::new(any_of(queries), 0.0))
}

/// A filter term of a u64 field (a connection id).
fn u64_term(field: Field, value: i64) -> Box<dyn Query> {
    exact(
        Term::from_field_u64(field, value as u64),
        IndexRecordOption::Basic,
    )
}

/// The query for one collection; `None` when it cannot match (a long
/// prefix with no word in the dictionary).
pub(crate) fn build(
    f: &Fields,
    searcher: &Searcher,
    collection: CollectionId,
    q: &InletQuery,
    scope: &IndexScope,
) -> tantivy::Result<Option<Box<dyn Query>>> {
    let prefix = scope_prefix(collection);
    let mut clauses: Vec<Vec<Box<dyn Query>>> = Vec::with_capacity(q.clauses.len());
    for clause in &q.clauses {
        let mut alts = Vec::new();
        for t in &clause.any_of {
            alts.extend(alternatives(f, searcher, &prefix, t)?);
        }
        if alts.is_empty() {
            return Ok(None);
        }
        clauses.push(alts);
    }
    let mut excluded = Vec::new();
    for t in &q.excluded {
        let alts = alternatives(f, searcher, &prefix, t)?;
        if !alts.is_empty() {
            excluded.push(any_of(alts));
        }
    }
    let mut filters = Vec::new();
    if !scope.connections.is_empty() {
        filters.push(filter(
            scope
                .connections
                .iter()
                .map(|c| u64_term(f.conn, c.0))
                .collect(),
        ));
    }
    if !scope.streams.is_empty() {
        filters.push(filter(
            scope
                .streams
                .iter()
                .map(|s| exact(Term::from_field_text(f.stream, s), IndexRecordOption::Basic))
                .collect(),
        ));
    }
    excluded.extend(
        scope
            .excluded_connections
            .iter()
            .map(|c| u64_term(f.conn, c.0)),
    );

    let plain = excluded.is_empty() && filters.is_empty();
    if plain && clauses.len() == 1 {
        // A lone term, or a pure OR of terms: prunable as it is.
        return Ok(clauses.pop().map(any_of));
    }
    let mut parts: Vec<(Occur, Box<dyn Query>)> = clauses
        .into_iter()
        .map(|alts| (Occur::Must, any_of(alts)))
        .collect();
    parts.extend(filters.into_iter().map(|q| (Occur::Must, q)));
    parts.extend(excluded.into_iter().map(|q| (Occur::MustNot, q)));
    Ok(Some(Box::new(BooleanQuery::new(parts))))
}
