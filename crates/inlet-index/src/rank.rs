//! Ranking and counting in one walk per segment: the best `k` by BM25,
//! ties by document id (the same order on every node, whatever its segment
//! layout), and the number of matches, exact up to a cap. Tantivy's own
//! `TopDocs` breaks ties by segment address, which differs between a
//! rebuilt node and one that followed the log. The index keeps each
//! segment's documents in id order (`schema::settings`), which is what
//! lets the walk skip ties.

use std::cmp::Ordering;
use std::collections::BinaryHeap;

use tantivy::columnar::Column;
use tantivy::query::{EnableScoring, Query};
use tantivy::{DocSet, Score, Searcher, TERMINATED};

/// A match: score and document id.
#[derive(Debug, Clone, Copy, PartialEq)]
pub(crate) struct Scored {
    pub score: Score,
    pub id: u64,
}

impl Eq for Scored {}

impl Ord for Scored {
    /// Greater is worse: a lower score, or at an equal score a higher id,
    /// so the heap's top is the match the next better one evicts.
    fn cmp(&self, other: &Self) -> Ordering {
        other
            .score
            .total_cmp(&self.score)
            .then(self.id.cmp(&other.id))
    }
}

impl PartialOrd for Scored {
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}

/// The running top `k` and match count over several queries (one per
/// collection) on one searcher.
pub(crate) struct TopAndCount {
    k: usize,
    cap: u64,
    heap: BinaryHeap<Scored>,
    count: u64,
}

impl TopAndCount {
    /// Keeps the best `k`, counts up to `cap`.
    pub fn new(k: usize, cap: u64) -> Self {
        Self {
            k,
            cap,
            heap: BinaryHeap::with_capacity(k + 1),
            count: 0,
        }
    }

    /// The score a match must beat to enter the heap. A tie can still win
    /// on a lower id, hence one step below the worst kept; but a segment's
    /// documents are in id order, so once the walk has passed the worst's
    /// id no later tie can win, and the worst's own score is the bar
    /// (which lets block-max pruning skip the ties: a word in every
    /// document would otherwise visit them all).
    fn threshold(&self, passed: Option<u64>) -> Score {
        match self.heap.peek() {
            Some(worst) if self.heap.len() >= self.k => match passed {
                Some(id) if id >= worst.id => worst.score,
                _ => worst.score.next_down(),
            },
            _ => Score::MIN,
        }
    }

    fn offer(&mut self, s: Scored) {
        if self.heap.len() < self.k {
            self.heap.push(s);
        } else if let Some(worst) = self.heap.peek()
            && s < *worst
        {
            self.heap.pop();
            self.heap.push(s);
        }
    }

    /// Ranks and counts the matches of `query` in every segment; `ids` are
    /// the segments' id columns, in the searcher's segment order.
    pub fn add(
        &mut self,
        searcher: &Searcher,
        query: &dyn Query,
        ids: &[Column<u64>],
    ) -> tantivy::Result<()> {
        let weight = query.weight(EnableScoring::enabled_from_searcher(searcher))?;
        for (reader, ids) in searcher.segment_readers().iter().zip(ids) {
            let alive = reader.alive_bitset();
            if self.k > 0 {
                let mut threshold = self.threshold(None);
                weight.for_each_pruning(threshold, reader, &mut |doc, score| {
                    if alive.is_some_and(|a| a.is_deleted(doc)) {
                        return threshold;
                    }
                    let id = ids.first(doc);
                    if let Some(id) = id {
                        self.offer(Scored { score, id });
                    }
                    threshold = self.threshold(id);
                    threshold
                })?;
            }
            // Count apart: pruning skips matches that cannot rank, and a
            // count past the cap is not needed.
            if self.count < self.cap {
                let mut scorer = weight.scorer(reader, 1.0)?;
                let mut doc = scorer.doc();
                while doc != TERMINATED && self.count < self.cap {
                    if !alive.is_some_and(|a| a.is_deleted(doc)) {
                        self.count += 1;
                    }
                    doc = scorer.advance();
                }
            }
        }
        Ok(())
    }

    /// The matches best first, and the count (at most the cap).
    pub fn finish(self) -> (Vec<Scored>, u64) {
        let mut hits = self.heap.into_vec();
        hits.sort();
        (hits, self.count)
    }
}

/// The id column of each segment of `searcher`, in its segment order: opened
/// once per published searcher rather than on every search (opening a
/// column decodes its block index, which showed in the search profile).
pub(crate) fn id_columns(searcher: &Searcher) -> tantivy::Result<Vec<Column<u64>>> {
    searcher
        .segment_readers()
        .iter()
        .map(|r| r.fast_fields().u64("id"))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn better_sorts_first_and_ties_go_to_the_lower_id() {
        let mut v = [
            Scored { score: 1.0, id: 5 },
            Scored { score: 2.0, id: 9 },
            Scored { score: 1.0, id: 3 },
        ];
        v.sort();
        let ids: Vec<u64> = v.iter().map(|s| s.id).collect();
        assert_eq!(ids, [9, 3, 5]);
    }

    #[test]
    fn the_heap_keeps_the_best_k_with_ties_by_id() {
        let mut t = TopAndCount::new(2, 10);
        for (score, id) in [(1.0, 7), (1.0, 2), (1.0, 5), (0.5, 1)] {
            t.offer(Scored { score, id });
        }
        let (hits, _) = t.finish();
        let ids: Vec<u64> = hits.iter().map(|s| s.id).collect();
        assert_eq!(ids, [2, 5]);
    }
}
