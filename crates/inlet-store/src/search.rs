//! [`SearchStore`] over [`Db`](crate::db::Db): a parsed [`Query`] rendered
//! for each engine — an FTS5 `MATCH` expression, a PostgreSQL `tsquery` —
//! from Inlet's own tokens, every token quoted, so no input is syntax to
//! the engine. Ranked by BM25 (FTS5) or `ts_rank_cd` (PostgreSQL) with the
//! title weighted far above the text.

use std::collections::BTreeMap;
use std::fmt::Write as _;

use async_trait::async_trait;
use inlet_core::error::CoreResult;
use inlet_core::ids::{ConnectionId, DocumentId};
use inlet_core::model::document::SearchHit;
use inlet_core::search::{IndexTerms, Query, Term};
use inlet_core::store::{SearchPage, SearchScope, SearchStore};

use crate::db::{Backend, Sql};
use crate::rows::ts;
use crate::sql_store::{ALIVE, SqlStore};

/// PostgreSQL keeps at most this many positions of one lexeme, and none
/// above this position.
const PG_MAX_POSITIONS: usize = 255;
const PG_MAX_POSITION: usize = 16_383;
/// A `tsvector` must stay under 1 MB; lexemes past this are not indexed.
const PG_MAX_TSVECTOR_BYTES: usize = 900_000;

/// A `tsvector` literal of a document's tokens: title positions weighted
/// A, text positions after them (unweighted, D), so phrases never span the
/// two.
pub(crate) fn tsvector_literal(terms: &IndexTerms) -> String {
    let mut lexemes: BTreeMap<&str, Vec<(usize, bool)>> = BTreeMap::new();
    let mut pos = 0;
    for (text, title) in [(&terms.title, true), (&terms.body, false)] {
        for token in text.split(' ').filter(|t| !t.is_empty()) {
            pos = (pos + 1).min(PG_MAX_POSITION);
            let at = lexemes.entry(token).or_default();
            if at.len() < PG_MAX_POSITIONS {
                at.push((pos, title));
            }
        }
        pos += 1;
    }
    let mut out = String::new();
    for (lexeme, positions) in lexemes {
        if out.len() > PG_MAX_TSVECTOR_BYTES {
            break;
        }
        if !out.is_empty() {
            out.push(' ');
        }
        quote_lexeme(&mut out, lexeme);
        for (i, (p, title)) in positions.iter().enumerate() {
            out.push(if i == 0 { ':' } else { ',' });
            let _ = write!(out, "{p}{}", if *title { "A" } else { "" });
        }
    }
    out
}

/// `'lexeme'` with quotes and backslashes escaped, as tsvector and tsquery
/// input want.
fn quote_lexeme(out: &mut String, lexeme: &str) {
    out.push('\'');
    for c in lexeme.chars() {
        match c {
            '\'' => out.push_str("''"),
            '\\' => out.push_str("\\\\"),
            c => out.push(c),
        }
    }
    out.push('\'');
}

/// The FTS5 `MATCH` expression of a query: tokens as strings, phrases
/// joined by `+`, prefixes as `*`.
pub(crate) fn fts5_match(query: &Query) -> String {
    fn term(out: &mut String, t: &Term) {
        for (i, token) in t.tokens.iter().enumerate() {
            if i > 0 {
                out.push_str(" + ");
            }
            out.push('"');
            out.push_str(&token.replace('"', "\"\""));
            out.push('"');
        }
        if t.prefix {
            out.push_str(" *");
        }
    }
    let mut out = String::from("(");
    for (i, clause) in query.clauses.iter().enumerate() {
        if i > 0 {
            out.push_str(" AND ");
        }
        out.push('(');
        for (j, t) in clause.any_of.iter().enumerate() {
            if j > 0 {
                out.push_str(" OR ");
            }
            term(&mut out, t);
        }
        out.push(')');
    }
    out.push(')');
    for t in &query.excluded {
        out.insert(0, '(');
        out.push_str(" NOT ");
        term(&mut out, t);
        out.push(')');
    }
    out
}

/// The `tsquery` text of a query: lexemes quoted, phrases with `<->`,
/// prefixes `:*`, given to PostgreSQL as a `tsquery` value (no parser or
/// dictionary of the engine in between).
pub(crate) fn tsquery(query: &Query) -> String {
    fn term(out: &mut String, t: &Term) {
        out.push('(');
        for (i, token) in t.tokens.iter().enumerate() {
            if i > 0 {
                out.push_str(" <-> ");
            }
            quote_lexeme(out, token);
            if t.prefix && i + 1 == t.tokens.len() {
                out.push_str(":*");
            }
        }
        out.push(')');
    }
    let mut out = String::new();
    for (i, clause) in query.clauses.iter().enumerate() {
        if i > 0 {
            out.push_str(" & ");
        }
        out.push('(');
        for (j, t) in clause.any_of.iter().enumerate() {
            if j > 0 {
                out.push_str(" | ");
            }
            term(&mut out, t);
        }
        out.push(')');
    }
    for t in &query.excluded {
        out.push_str(" & !");
        term(&mut out, t);
    }
    out
}

/// The conditions of a search after the match: the organization, and
/// connections that are alive and in scope (a small set, computed once).
fn scoped(q: &mut Sql, scope: &SearchScope) {
    q.push(" AND d.org_id = ")
        .bind(scope.org_id.0)
        .push(" AND d.connection_id IN (SELECT c.id FROM connections c WHERE c.org_id = ")
        .bind(scope.org_id.0)
        .push(" AND ")
        .push(ALIVE);
    if !scope.collections.is_empty() {
        q.push(" AND c.collection_id IN ")
            .bind_list(scope.collections.iter().map(|c| c.0));
    }
    if !scope.connections.is_empty() {
        q.push(" AND c.id IN ")
            .bind_list(scope.connections.iter().map(|c| c.0));
    }
    q.push(")");
    if !scope.streams.is_empty() {
        q.push(" AND d.stream IN ")
            .bind_list(scope.streams.iter().map(String::as_str));
    }
}

#[async_trait]
impl SearchStore for SqlStore {
    async fn search(
        &self,
        scope: &SearchScope,
        query: &Query,
        limit: u32,
        offset: u64,
    ) -> CoreResult<SearchPage> {
        let backend = self.db().backend();
        let (from, score) = match backend {
            // bm25 is lower for better matches; columns (title, body) weighted 100:1.
            // CROSS JOIN keeps the full-text match the outer loop: the
            // planner would otherwise walk the organization's documents and
            // probe the index once per document.
            Backend::Sqlite => (
                "FROM documents_fts f CROSS JOIN documents d ON d.id = f.rowid \
                 WHERE documents_fts MATCH ?",
                "-bm25(documents_fts, 100.0, 1.0)",
            ),
            // Weights of D, C, B, A: the text is D, the title A.
            Backend::Postgres => (
                "FROM documents d WHERE d.tsv @@ CAST(? AS tsquery)",
                "CAST(ts_rank_cd('{0.01, 0.02, 0.05, 1.0}', d.tsv, CAST(? AS tsquery)) AS DOUBLE PRECISION)",
            ),
        };
        let expr = match backend {
            Backend::Sqlite => fts5_match(query),
            Backend::Postgres => tsquery(query),
        };
        // Rank and count in one pass over the matches, carrying only ids
        // and scores through the sort; the page's documents are read after.
        // (Materialized: FTS5's bm25 cannot sit beside a window function.)
        let mut q = Sql::new(&format!(
            "WITH m AS MATERIALIZED (SELECT d.id AS id, {score} AS score "
        ));
        if backend == Backend::Postgres {
            q = q.arg(expr.as_str());
        }
        q.push(from);
        q = q.arg(expr.as_str());
        scoped(&mut q, scope);
        q.push(
            ") SELECT d.id, d.connection_id, d.stream, d.key, d.title, d.text, d.synced_at, \
             h.score, h.total FROM (SELECT id, score, count(*) OVER () AS total FROM m \
             ORDER BY score DESC, id LIMIT ",
        )
        .bind(i64::from(limit))
        .push(" OFFSET ")
        .bind(i64::try_from(offset).unwrap_or(i64::MAX))
        .push(") h JOIN documents d ON d.id = h.id ORDER BY h.score DESC, h.id");
        let rows = self.db().fetch_all(&q).await?;
        let total = match rows.first() {
            Some(r) => u64::try_from(r.i64("total")?).unwrap_or(0),
            // A page past the end: count on its own.
            None if offset > 0 => {
                let mut count =
                    Sql::new(&format!("SELECT count(*) AS n {from}")).arg(expr.as_str());
                scoped(&mut count, scope);
                self.count(&count).await?
            }
            None => 0,
        };
        let hits = rows
            .iter()
            .map(|r| {
                Ok(SearchHit {
                    document_id: DocumentId(r.i64("id")?),
                    connection_id: ConnectionId(r.i64("connection_id")?),
                    stream: r.text("stream")?,
                    key: r.text("key")?,
                    title: r.text("title")?,
                    text: r.text("text")?,
                    score: r.opt_f64("score")?.unwrap_or(0.0),
                    synced_at: ts(r.i64("synced_at")?)?,
                })
            })
            .collect::<Result<Vec<_>, crate::db::DbError>>()?;
        Ok(SearchPage { hits, total })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn q(text: &str) -> Query {
        Query::parse("q", text).unwrap()
    }

    #[test]
    fn fts5_expressions_quote_every_token() {
        assert_eq!(
            fts5_match(&q(r#"a "b c" d* x OR y -z -"p q""#)),
            r#"(((("a") AND ("b" + "c") AND ("d" *) AND ("x" OR "y")) NOT "z") NOT "p" + "q")"#
        );
        assert_eq!(fts5_match(&q("NEAR(")), r#"(("near"))"#);
    }

    #[test]
    fn tsqueries_quote_every_lexeme() {
        assert_eq!(
            tsquery(&q(r#"a "b c" d* x OR y -z"#)),
            "(('a')) & (('b' <-> 'c')) & (('d':*)) & (('x') | ('y')) & !('z')"
        );
    }

    #[test]
    fn tsvector_literals_weight_the_title_and_gap_the_body() {
        let terms = IndexTerms {
            title: "zoe cafe".into(),
            body: "cafe it's".into(),
        };
        assert_eq!(
            tsvector_literal(&terms),
            "'cafe':2A,4 'it's':5 'zoe':1A".replace("it's", "it''s")
        );
        assert_eq!(tsvector_literal(&IndexTerms::default()), "");
    }
}
