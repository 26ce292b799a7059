//! Searching a real index on disk: each query form, ranking, ties, scope,
//! totals.

use inlet_core::ids::{CollectionId, ConnectionId, DocumentId, OrgId};
use inlet_core::search::{Index, IndexScope, Query, TotalRelation};
use inlet_core::store::IndexedDocument;

use crate::schema::schema;
use crate::searchable::TantivyIndex;
use crate::writer::{Writer, WriterSettings};

struct Fixture {
    _dir: tempfile::TempDir,
    index: TantivyIndex,
    writer: Writer,
}

fn doc(id: i64, collection: i64, connection: i64, title: &str, text: &str) -> IndexedDocument {
    IndexedDocument {
        id: DocumentId(id),
        org_id: OrgId(1),
        collection_id: CollectionId(collection),
        connection_id: ConnectionId(connection),
        stream: format!("s{connection}"),
        title: title.into(),
        text: text.into(),
    }
}

fn fixture(docs: &[IndexedDocument]) -> Fixture {
    let dir = tempfile::tempdir().unwrap();
    let settings = WriterSettings {
        threads: 1,
        memory_bytes: 15_000_000,
    };
    let mut writer = Writer::create(dir.path(), settings).unwrap();
    for d in docs {
        writer.add(d).unwrap();
    }
    let searcher = writer.commit("store", 1).unwrap();
    let index = TantivyIndex::new(schema().1);
    index.publish(searcher, 1).unwrap();
    Fixture {
        _dir: dir,
        index,
        writer,
    }
}

fn scope(collections: &[i64]) -> IndexScope {
    IndexScope {
        collections: collections.iter().map(|c| CollectionId(*c)).collect(),
        ..IndexScope::default()
    }
}

fn ids(f: &Fixture, s: &IndexScope, q: &str) -> Vec<i64> {
    let q = Query::parse("query", q).unwrap();
    f.index
        .search(s, &q, 20, 0)
        .unwrap()
        .hits
        .iter()
        .map(|h| h.document_id.0)
        .collect()
}

fn sorted(mut v: Vec<i64>) -> Vec<i64> {
    v.sort_unstable();
    v
}

#[test]
fn each_query_form_matches_what_it_says() {
    let f = fixture(&[
        doc(1, 1, 1, "", "the big cat sat on the mat"),
        doc(2, 1, 1, "", "a big dog and a cat"),
        doc(3, 1, 1, "", "Café internationalization 日本語 🍕"),
        doc(4, 1, 1, "", "foo-bar baz"),
    ]);
    let s = scope(&[1]);
    assert_eq!(sorted(ids(&f, &s, "cat big")), [1, 2]);
    assert_eq!(ids(&f, &s, "\"big cat\""), [1]);
    assert_eq!(ids(&f, &s, "\"the big cat\""), [1]);
    assert_eq!(ids(&f, &s, "\"big cat sat on\""), [1]);
    assert_eq!(ids(&f, &s, "\"cat sat\"*"), [1]);
    assert_eq!(ids(&f, &s, "\"big ca\"*"), [1]);
    assert_eq!(sorted(ids(&f, &s, "ca*")), [1, 2, 3]);
    assert_eq!(ids(&f, &s, "internationali*"), [3]);
    assert_eq!(ids(&f, &s, "cafe"), [3]);
    assert_eq!(ids(&f, &s, "CAFÉ"), [3]);
    assert_eq!(ids(&f, &s, "日本"), [3]);
    assert_eq!(ids(&f, &s, "🍕"), [3]);
    assert_eq!(ids(&f, &s, "foo-bar"), [4]);
    assert_eq!(sorted(ids(&f, &s, "dog OR mat")), [1, 2]);
    assert_eq!(ids(&f, &s, "cat -dog"), [1]);
    assert_eq!(ids(&f, &s, "cat -\"big dog\""), [1]);
    assert!(ids(&f, &s, "zebra").is_empty());
    assert!(ids(&f, &s, "zebrafish*").is_empty());
    // `cat sat` is a phrase; `mat the` is not.
    assert!(ids(&f, &s, "\"mat the\"").is_empty());
}

#[test]
fn title_matches_rank_first_and_ties_go_to_the_lower_id() {
    let f = fixture(&[
        doc(5, 1, 1, "", "report on the weather"),
        doc(9, 1, 1, "Weather", "report"),
        doc(3, 1, 1, "", "report on the weather"),
    ]);
    assert_eq!(ids(&f, &scope(&[1]), "weather"), [9, 3, 5]);
}

#[test]
fn another_collection_never_matches_and_scopes_narrow() {
    let f = fixture(&[
        doc(1, 1, 10, "", "shared word"),
        doc(2, 2, 20, "", "shared word"),
        doc(3, 2, 21, "", "shared word"),
    ]);
    assert_eq!(ids(&f, &scope(&[1]), "shared"), [1]);
    assert_eq!(ids(&f, &scope(&[1, 2]), "shared"), [1, 2, 3]);
    assert!(ids(&f, &scope(&[]), "shared").is_empty());
    let mut s = scope(&[2]);
    s.excluded_connections = vec![ConnectionId(20)];
    assert_eq!(ids(&f, &s, "shared"), [3]);
    let mut s = scope(&[2]);
    s.connections = vec![ConnectionId(20)];
    assert_eq!(ids(&f, &s, "shared"), [2]);
    let mut s = scope(&[2]);
    s.streams = vec!["s21".into()];
    assert_eq!(ids(&f, &s, "shared"), [3]);
}

#[test]
fn totals_are_exact_up_to_the_cap_and_deletes_apply() {
    let docs: Vec<_> = (1..=30)
        .map(|i| doc(i, 1, 1 + i % 2, "", "same text"))
        .collect();
    let mut f = fixture(&docs);
    let q = Query::parse("query", "same").unwrap();
    let page = f.index.search(&scope(&[1]), &q, 5, 10).unwrap();
    assert_eq!(page.total, 30);
    assert_eq!(page.relation, TotalRelation::Equal);
    let got: Vec<i64> = page.hits.iter().map(|h| h.document_id.0).collect();
    assert_eq!(got, [11, 12, 13, 14, 15]);
    assert_eq!(page.index_seq, 1);

    f.writer.delete_document(DocumentId(11));
    f.writer.delete_connection(ConnectionId(1));
    let searcher = f.writer.commit("store", 2).unwrap();
    f.index.publish(searcher, 2).unwrap();
    let page = f.index.search(&scope(&[1]), &q, 20, 0).unwrap();
    // Connection 1 held the even ids; 11 went on its own.
    assert_eq!(page.total, 14);
    assert!(
        page.hits
            .iter()
            .all(|h| h.document_id.0 % 2 == 1 && h.document_id.0 != 11)
    );
    assert_eq!(page.index_seq, 2);
}

#[test]
fn a_long_prefix_expands_to_at_most_the_cap() {
    let docs: Vec<_> = (0..100)
        .map(|i| doc(i + 1, 1, 1, "", &format!("abcdefgh{i:03}")))
        .collect();
    let f = fixture(&docs);
    let q = Query::parse("query", "abcdefgh*").unwrap();
    let page = f.index.search(&scope(&[1]), &q, 200, 0).unwrap();
    assert_eq!(page.total, crate::MAX_EXPANSIONS as u64);
}

/// The shapes tantivy can prune (a lone term, an OR of terms, an AND of
/// terms) must come out flat: a wrapper would silently cost every search
/// a walk over all its matches.
#[test]
fn prunable_queries_stay_flat() {
    let f = fixture(&[doc(1, 1, 1, "", "a b")]);
    let searcher = f.writer.searcher();
    let shape = |q: &str, s: &IndexScope| {
        let q = Query::parse("query", q).unwrap();
        let built = crate::query::build(&schema().1, &searcher, CollectionId(1), &q, s)
            .unwrap()
            .unwrap();
        format!("{built:?}")
    };
    let s = scope(&[1]);
    assert!(
        shape("word", &s).starts_with("TermQuery"),
        "{}",
        shape("word", &s)
    );
    assert!(shape("\"two words\"", &s).starts_with("TermQuery"));
    assert!(shape("wor*", &s).starts_with("TermQuery"));
    let or = shape("x OR y", &s);
    assert!(
        or.starts_with("BooleanQuery") && !or.contains("Must"),
        "{or}"
    );
    let and = shape("x y", &s);
    assert_eq!(and.matches("TermQuery").count(), 2, "{and}");
    assert!(!and.contains("Should"), "{and}");
    // Narrowing adds clauses only when asked for.
    let mut narrowed = scope(&[1]);
    narrowed.excluded_connections = vec![ConnectionId(9)];
    assert!(shape("word", &narrowed).contains("MustNot"));
}

/// What is on disk is followed only when it can be trusted: a missing
/// index, another store's, one behind a pruned log, or one with a
/// truncated or deleted file is rebuilt, never opened half-broken.
#[test]
fn an_index_on_disk_is_used_only_when_it_can_be_trusted() {
    use crate::writer::Unusable;
    let settings = WriterSettings {
        threads: 1,
        memory_bytes: 15_000_000,
    };
    let dir = tempfile::tempdir().unwrap();
    let open = |store: &str, pruned: u64| {
        crate::writer::Writer::open(dir.path(), settings, store, pruned)
            .unwrap()
            .map(|(_, seq)| seq)
    };
    assert!(matches!(open("s", 0), Err(Unusable::Missing)));
    {
        let mut w = Writer::create(dir.path(), settings).unwrap();
        for i in 1..=50 {
            w.add(&doc(i, 1, 1, "title", "some text to index")).unwrap();
        }
        w.commit("s", 7).unwrap();
    }
    assert_eq!(open("s", 0).unwrap(), 7);
    assert_eq!(open("s", 7).unwrap(), 7);
    assert!(matches!(open("other", 0), Err(Unusable::Stale(why)) if why.contains("another store")));
    assert!(matches!(open("s", 8), Err(Unusable::Stale(why)) if why.contains("pruned")));

    // Truncate the largest file of the segment.
    let largest = std::fs::read_dir(dir.path())
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|e| e != "json" && e != "lock"))
        .max_by_key(|p| std::fs::metadata(p).unwrap().len())
        .unwrap();
    let len = std::fs::metadata(&largest).unwrap().len();
    std::fs::OpenOptions::new()
        .write(true)
        .open(&largest)
        .unwrap()
        .set_len(len / 2)
        .unwrap();
    assert!(matches!(open("s", 0), Err(Unusable::Stale(_))), "truncated");
    std::fs::remove_file(&largest).unwrap();
    assert!(matches!(open("s", 0), Err(Unusable::Stale(_))), "deleted");
}

#[test]
fn totals_past_the_cap_are_a_lower_bound() {
    let docs: Vec<_> = (1..=10_050).map(|i| doc(i, 1, 1, "", "common")).collect();
    let f = fixture(&docs);
    let q = Query::parse("query", "common").unwrap();
    let page = f.index.search(&scope(&[1]), &q, 3, 0).unwrap();
    assert_eq!(page.total, inlet_core::search::TOTAL_EXACT_UP_TO);
    assert_eq!(page.relation, TotalRelation::AtLeast);
    let got: Vec<i64> = page.hits.iter().map(|h| h.document_id.0).collect();
    assert_eq!(got, [1, 2, 3], "equal scores: lowest ids first");
}

/// Ties go to the lowest ids whatever order documents arrive in: each
/// segment is sorted by id (so the walk may skip ties past the k-th match),
/// even one whose documents were added backwards.
#[test]
fn ties_go_to_the_lowest_ids_whatever_the_segment_layout() {
    let dir = tempfile::tempdir().unwrap();
    let settings = WriterSettings {
        threads: 1,
        memory_bytes: 15_000_000,
    };
    let mut writer = Writer::create(dir.path(), settings).unwrap();
    let index = TantivyIndex::new(schema().1);
    // A segment of ids 500..1000 in order, then one of 1..500 backwards.
    for i in 500..1000 {
        writer.add(&doc(i, 1, 1, "", "same words")).unwrap();
    }
    index.publish(writer.commit("s", 1).unwrap(), 1).unwrap();
    for i in (1..500).rev() {
        writer.add(&doc(i, 1, 1, "", "same words")).unwrap();
    }
    let searcher = writer.commit("s", 2).unwrap();
    for segment in searcher.segment_readers() {
        let ids = segment.fast_fields().u64("id").unwrap();
        let ids: Vec<u64> = (0..segment.max_doc())
            .filter_map(|d| ids.first(d))
            .collect();
        assert!(ids.is_sorted(), "a segment in id order");
    }
    index.publish(searcher, 2).unwrap();
    let q = Query::parse("query", "same").unwrap();
    for (offset, first) in [(0, 1), (7, 8), (600, 601)] {
        let page = index.search(&scope(&[1]), &q, 5, offset).unwrap();
        let got: Vec<i64> = page.hits.iter().map(|h| h.document_id.0).collect();
        assert_eq!(
            got,
            (first..first + 5).collect::<Vec<_>>(),
            "offset {offset}"
        );
    }
}
