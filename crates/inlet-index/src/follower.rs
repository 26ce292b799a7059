//! The follower: one thread per `inlet serve` that keeps this node's index
//! equal to the store's documents. It opens the index (rebuilding it from
//! the store when it is missing, corrupt, of another schema or store, or
//! behind a pruned log), then applies the change log in pages, commits at
//! most every commit interval with the applied `seq` in the commit's
//! payload, and publishes the new searcher. It records its progress in the
//! store (so pruning waits for it) and prunes what every node has applied.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

use inlet_core::ids::DocumentId;
use inlet_core::search::IndexStatus;
use inlet_core::store::{Change, ChangeLog, ChangeOp, IndexedDocument};
use tokio::runtime::Handle;
use tokio::sync::Notify;

use crate::error::IndexError;
use crate::node::{IndexConfig, lock_dir};
use crate::searchable::TantivyIndex;
use crate::writer::{Unusable, Writer, WriterSettings};

/// Changes read per page: small enough that a page of full sync batches
/// (500–1,000 documents each) is applied, and the lag reported, in well
/// under a second.
const PAGE: u32 = 20;
/// Documents read from the store per query.
const DOCUMENTS_PER_READ: usize = 2_000;
/// While catching up, commit at least this often (fewer, larger segments
/// than one per interval, and progress that survives a restart).
const CATCH_UP_COMMIT_DOCUMENTS: u64 = 200_000;
/// How often an idle node tells the store it is alive.
const HEARTBEAT_EVERY: Duration = Duration::from_secs(10);
/// Progress is reported at most this often (pruning waits on it).
const HEARTBEAT_AFTER_COMMIT: Duration = Duration::from_secs(1);
/// How often a node prunes the log.
const PRUNE_EVERY: Duration = Duration::from_secs(60);
/// Longest wait between retries after a failure.
const MAX_BACKOFF: Duration = Duration::from_secs(30);

/// The follower thread's state.
pub(crate) struct Follower {
    log: Arc<dyn ChangeLog>,
    config: IndexConfig,
    node: String,
    index: Arc<TantivyIndex>,
    stop: Arc<AtomicBool>,
    wake: Arc<Notify>,
    runtime: Handle,
    _lock: std::fs::File,
    /// When the store last heard from this node, and the `seq` it heard.
    last_heartbeat: Option<(Instant, u64)>,
    last_prune: Option<Instant>,
}

/// Where applying stands within one open index.
struct Cursor {
    /// Every change through this is applied (maybe not yet committed).
    applied: u64,
    /// Every change through this is committed and searchable.
    committed: u64,
    /// Inserts through this `seq` may already be in the index (a rebuild's
    /// scan saw them): add them as upserts.
    upsert_through: u64,
    /// Documents applied since the last commit.
    pending_documents: u64,
    /// When the oldest uncommitted change was committed to the store.
    oldest_pending: Option<inlet_core::model::Timestamp>,
    last_commit: Instant,
}

impl Cursor {
    /// Everything through `seq` committed; inserts through
    /// `upsert_through` are upserts.
    fn at(seq: u64, upsert_through: u64) -> Self {
        Self {
            applied: seq,
            committed: seq,
            upsert_through,
            pending_documents: 0,
            oldest_pending: None,
            last_commit: Instant::now(),
        }
    }
}

impl Follower {
    /// A follower of `log` into the index in `config.dir`, holding `lock`;
    /// it reaches the store through the current runtime.
    pub(crate) fn new(
        log: Arc<dyn ChangeLog>,
        config: IndexConfig,
        node: String,
        index: Arc<TantivyIndex>,
        stop: Arc<AtomicBool>,
        wake: Arc<Notify>,
        lock: std::fs::File,
    ) -> Self {
        Self {
            log,
            config,
            node,
            index,
            stop,
            wake,
            runtime: Handle::current(),
            _lock: lock,
            last_heartbeat: None,
            last_prune: None,
        }
    }

    fn stopped(&self) -> bool {
        self.stop.load(Ordering::SeqCst)
    }

    fn block_on<F: Future>(&self, f: F) -> F::Output {
        self.runtime.block_on(f)
    }

    /// Waits up to `d` for a change signal (or a stop).
    fn wait(&self, d: Duration) {
        let wake = self.wake.clone();
        self.block_on(async move {
            let _ = tokio::time::timeout(d, wake.notified()).await;
        });
    }

    fn settings(&self) -> WriterSettings {
        WriterSettings {
            threads: self.config.threads.max(1),
            memory_bytes: self.config.memory_bytes,
        }
    }

    pub(crate) fn run(&mut self) {
        let mut backoff = Duration::from_millis(250);
        while !self.stopped() {
            match self.session() {
                Ok(()) => return,
                Err(IndexError::Gone) => {
                    tracing::warn!(dir = %self.config.dir.display(), "index directory removed; rebuilding");
                    self.index
                        .set_status(IndexStatus::Rebuilding { done: 0, total: 0 });
                }
                Err(e) => {
                    tracing::warn!(error = %e, retry_in_ms = backoff.as_millis() as u64, "search index failing; retrying");
                    metrics::counter!("inlet_index_errors_total").increment(1);
                    self.index.set_status(IndexStatus::Failing(e.to_string()));
                    self.wait(backoff);
                    backoff = (backoff * 2).min(MAX_BACKOFF);
                    continue;
                }
            }
            backoff = Duration::from_millis(250);
        }
    }

    /// Opens (or rebuilds) the index and follows the log until stopped or
    /// until something fails.
    fn session(&mut self) -> Result<(), IndexError> {
        let head = self.block_on(self.log.log_head())?;
        if !self.config.dir.join("inlet.lock").exists() {
            // The directory was removed while we ran: take the lock (and
            // our name) again in the new one.
            std::fs::create_dir_all(&self.config.dir)?;
            self._lock = lock_dir(&self.config.dir)?;
            std::fs::write(self.config.dir.join("node-id"), &self.node)?;
        }
        let opened = Writer::open(
            &self.config.dir,
            self.settings(),
            &head.store_id,
            head.pruned_through,
        )?;
        let (mut writer, mut cursor) = match opened {
            Ok((writer, seq)) => {
                tracing::info!(seq, "search index opened");
                self.index.publish(writer.searcher(), seq)?;
                (writer, Cursor::at(seq, 0))
            }
            Err(why) => {
                if let Unusable::Stale(why) = &why {
                    tracing::warn!(dir = %self.config.dir.display(), reason = %why, "search index cannot be used as it is; rebuilding from the store");
                }
                self.rebuild(&head.store_id)?
            }
        };
        self.index.set_status(IndexStatus::CatchingUp);
        self.follow(&mut writer, &mut cursor, &head.store_id)
    }

    /// Builds the index afresh from the store's documents.
    fn rebuild(&mut self, store_id: &str) -> Result<(Writer, Cursor), IndexError> {
        let started = Instant::now();
        let mut writer = Writer::create(&self.config.dir, self.settings())?;
        std::fs::write(self.config.dir.join("node-id"), &self.node)?;
        let head = self.block_on(self.log.begin_rebuild(&self.node))?;
        let total = self.block_on(self.log.count_all_documents())?;
        self.index
            .set_status(IndexStatus::Rebuilding { done: 0, total });
        metrics::gauge!("inlet_index_rebuild_documents", "state" => "total").set(total as f64);
        tracing::info!(
            documents = total,
            from_seq = head.seq,
            "rebuilding the search index"
        );
        let mut after = DocumentId(0);
        let mut done = 0u64;
        let mut last_log = Instant::now();
        loop {
            if self.stopped() {
                return Err(IndexError::Gone);
            }
            let page = self.block_on(
                self.log
                    .scan_indexed_documents(after, DOCUMENTS_PER_READ as u32),
            )?;
            let Some(last) = page.last() else { break };
            after = last.id;
            for d in &page {
                writer.add(d)?;
            }
            done += page.len() as u64;
            self.index.set_status(IndexStatus::Rebuilding {
                done,
                total: total.max(done),
            });
            metrics::gauge!("inlet_index_rebuild_documents", "state" => "done").set(done as f64);
            if last_log.elapsed() >= Duration::from_secs(10) {
                tracing::info!(done, total, "rebuilding the search index");
                last_log = Instant::now();
            }
        }
        let searcher = writer.commit(store_id, head.seq)?;
        self.index.publish(searcher, head.seq)?;
        // Changes logged while the scan ran may hold documents it already
        // saw: their inserts are upserts.
        let upsert_through = self.block_on(self.log.log_head())?.seq;
        tracing::info!(
            documents = done,
            seconds = started.elapsed().as_secs_f64(),
            "search index rebuilt"
        );
        Ok((writer, Cursor::at(head.seq, upsert_through)))
    }

    fn follow(&mut self, w: &mut Writer, c: &mut Cursor, store_id: &str) -> Result<(), IndexError> {
        let meta = self.config.dir.join("meta.json");
        let mut caught_up_once = false;
        loop {
            if self.stopped() {
                return Ok(());
            }
            if !meta.exists() {
                return Err(IndexError::Gone);
            }
            let changes = self.block_on(self.log.changes_after(c.applied, PAGE))?;
            if let Some(first) = changes.first() {
                if first.seq != c.applied + 1 {
                    return Err(IndexError::Behind(c.applied));
                }
                c.oldest_pending.get_or_insert(first.committed_at);
            }
            for change in &changes {
                self.apply(w, c, change)?;
            }
            let caught_up = changes.len() < PAGE as usize;
            let pending = c.applied > c.committed;
            let due = c.last_commit.elapsed() >= self.config.commit_interval;
            if pending
                && ((caught_up && due)
                    || c.pending_documents >= CATCH_UP_COMMIT_DOCUMENTS
                    || c.last_commit.elapsed() >= Duration::from_secs(10))
            {
                self.commit(w, c, store_id)?;
            }
            if caught_up && !caught_up_once {
                caught_up_once = true;
                tracing::info!(seq = c.applied, "search index caught up");
            }
            if caught_up {
                self.index.set_status(IndexStatus::Ready);
            }
            // Lag: how long the oldest change not yet searchable has waited.
            let lag = match c.oldest_pending {
                Some(t) => (chrono::Utc::now() - t).num_milliseconds().max(0) as f64 / 1000.0,
                None => 0.0,
            };
            metrics::gauge!("inlet_index_lag_seconds").set(lag);
            self.housekeeping(c.committed);
            if caught_up {
                let wait = if c.applied > c.committed {
                    self.config
                        .commit_interval
                        .saturating_sub(c.last_commit.elapsed())
                        .min(self.config.poll_interval)
                } else {
                    self.config.poll_interval
                };
                self.wait(wait);
            }
        }
    }

    fn apply(&self, w: &Writer, c: &mut Cursor, change: &Change) -> Result<(), IndexError> {
        match &change.op {
            ChangeOp::Batch {
                inserted,
                updated,
                deleted,
                ..
            } => {
                for id in deleted.iter().chain(updated) {
                    w.delete_document(*id);
                }
                if change.seq <= c.upsert_through {
                    for id in inserted {
                        w.delete_document(*id);
                    }
                }
                let wanted: Vec<DocumentId> = inserted.iter().chain(updated).copied().collect();
                for chunk in wanted.chunks(DOCUMENTS_PER_READ) {
                    let docs: Vec<IndexedDocument> =
                        self.block_on(self.log.indexed_documents(chunk))?;
                    for d in &docs {
                        w.add(d)?;
                    }
                    c.pending_documents += docs.len() as u64;
                }
            }
            ChangeOp::Clear { connections } => {
                for conn in connections {
                    w.delete_connection(*conn);
                }
            }
        }
        c.applied = change.seq;
        c.oldest_pending.get_or_insert(change.committed_at);
        Ok(())
    }

    fn commit(&mut self, w: &mut Writer, c: &mut Cursor, store_id: &str) -> Result<(), IndexError> {
        let searcher = w.commit(store_id, c.applied)?;
        metrics::gauge!("inlet_index_documents").set(searcher.num_docs() as f64);
        if let Some(oldest) = c.oldest_pending.take() {
            let delay = (chrono::Utc::now() - oldest).num_milliseconds().max(0) as f64 / 1000.0;
            metrics::histogram!("inlet_index_visible_delay_seconds").record(delay);
        }
        self.index.publish(searcher, c.applied)?;
        c.committed = c.applied;
        c.pending_documents = 0;
        c.last_commit = Instant::now();
        Ok(())
    }

    /// Heartbeat (after each commit, at most every second, and every 10 s
    /// idle) and pruning (every minute); failures are logged and retried.
    fn housekeeping(&mut self, committed: u64) {
        let heartbeat_due = self.last_heartbeat.is_none_or(|(at, seq)| {
            at.elapsed() >= HEARTBEAT_EVERY
                || (committed > seq && at.elapsed() >= HEARTBEAT_AFTER_COMMIT)
        });
        if heartbeat_due {
            match self.block_on(self.log.node_heartbeat(&self.node, committed)) {
                Ok(()) => self.last_heartbeat = Some((Instant::now(), committed)),
                Err(e) => tracing::warn!(error = %e, "recording the index heartbeat failed"),
            }
        }
        if self.last_prune.is_none_or(|t| t.elapsed() >= PRUNE_EVERY) {
            self.last_prune = Some(Instant::now());
            if let Err(e) = self.block_on(self.log.prune_changes(self.config.node_retention)) {
                tracing::warn!(error = %e, "pruning the change log failed");
            }
        }
    }
}
