//! The side of the index searches use: the searcher of the last commit and
//! the `seq` it reflects, swapped together after each commit, so an
//! answer's `indexSeq` is exactly what was searched.

use std::sync::{Arc, Mutex, RwLock};

use inlet_core::error::{CoreError, CoreResult};
use inlet_core::ids::DocumentId;
use inlet_core::search::{
    Index, IndexHit, IndexPage, IndexScope, IndexStatus, Query, TOTAL_EXACT_UP_TO, TotalRelation,
};
use tantivy::Searcher;
use tantivy::columnar::Column;
use tokio::sync::watch;

use crate::query;
use crate::rank::{TopAndCount, id_columns};
use crate::schema::Fields;

struct Snapshot {
    searcher: Searcher,
    seq: u64,
    /// Each segment's id column, in the searcher's segment order.
    ids: Vec<Column<u64>>,
}

/// A node's tantivy index as searches see it; the follower publishes to it.
pub struct TantivyIndex {
    fields: Fields,
    current: RwLock<Option<Arc<Snapshot>>>,
    applied: watch::Sender<u64>,
    status: Mutex<IndexStatus>,
}

impl TantivyIndex {
    pub(crate) fn new(fields: Fields) -> Self {
        Self {
            fields,
            current: RwLock::new(None),
            applied: watch::Sender::new(0),
            status: Mutex::new(IndexStatus::CatchingUp),
        }
    }

    /// Makes `searcher`, which reflects every change through `seq`, the one
    /// searches use.
    pub(crate) fn publish(&self, searcher: Searcher, seq: u64) -> tantivy::Result<()> {
        let ids = id_columns(&searcher)?;
        let snapshot = Arc::new(Snapshot { searcher, seq, ids });
        if let Ok(mut current) = self.current.write() {
            *current = Some(snapshot);
        }
        self.applied.send_replace(seq);
        metrics::gauge!("inlet_index_applied_seq").set(seq as f64);
        Ok(())
    }

    /// Records where the index stands.
    pub(crate) fn set_status(&self, status: IndexStatus) {
        if let Ok(mut s) = self.status.lock() {
            *s = status;
        }
    }

    fn snapshot(&self) -> CoreResult<Arc<Snapshot>> {
        self.current
            .read()
            .ok()
            .and_then(|c| c.clone())
            .ok_or_else(|| {
                CoreError::SearchUnavailable(
                    "this node's search index is still being built; retry shortly".into(),
                )
            })
    }
}

impl Index for TantivyIndex {
    fn search(
        &self,
        scope: &IndexScope,
        q: &Query,
        limit: u32,
        offset: u64,
    ) -> CoreResult<IndexPage> {
        let snap = self.snapshot()?;
        let k = usize::try_from(offset + u64::from(limit)).unwrap_or(usize::MAX);
        let mut top = TopAndCount::new(k, TOTAL_EXACT_UP_TO);
        let engine =
            |e: tantivy::TantivyError| CoreError::SearchUnavailable(format!("search index: {e}"));
        for collection in &scope.collections {
            if let Some(built) =
                query::build(&self.fields, &snap.searcher, *collection, q, scope).map_err(engine)?
            {
                top.add(&snap.searcher, built.as_ref(), &snap.ids)
                    .map_err(engine)?;
            }
        }
        let (hits, total) = top.finish();
        let hits = hits
            .into_iter()
            .skip(usize::try_from(offset).unwrap_or(usize::MAX))
            .map(|s| IndexHit {
                document_id: DocumentId(s.id as i64),
                score: s.score,
            })
            .collect();
        Ok(IndexPage {
            hits,
            total,
            relation: if total >= TOTAL_EXACT_UP_TO {
                TotalRelation::AtLeast
            } else {
                TotalRelation::Equal
            },
            index_seq: snap.seq,
        })
    }

    fn applied(&self) -> watch::Receiver<u64> {
        self.applied.subscribe()
    }

    fn status(&self) -> IndexStatus {
        self.status
            .lock()
            .map(|s| s.clone())
            .unwrap_or_else(|e| IndexStatus::Failing(e.to_string()))
    }
}
