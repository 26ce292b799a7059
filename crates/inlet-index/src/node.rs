//! A node's index as the server holds it: its settings, starting its
//! follower thread (with the directory's lock and the node's name), and
//! the handle that stops it.

use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

use inlet_core::store::ChangeLog;
use tokio::sync::Notify;

use crate::error::IndexError;
use crate::follower::Follower;
use crate::searchable::TantivyIndex;

/// Settings of a node's index.
#[derive(Debug, Clone)]
pub struct IndexConfig {
    /// Where the index lives (`<data-dir>/index`); one per node.
    pub dir: PathBuf,
    /// The writer's memory, in bytes (at least 15 MB per thread).
    pub memory_bytes: usize,
    /// Indexing threads.
    pub threads: usize,
    /// Longest a change waits for the commit that makes it searchable.
    pub commit_interval: Duration,
    /// How often the log is polled for other nodes' changes.
    pub poll_interval: Duration,
    /// A node silent for longer no longer holds back pruning (and rebuilds
    /// when it returns).
    pub node_retention: Duration,
}

impl IndexConfig {
    /// Defaults for an index in `dir`: 64 MB, one thread, 500 ms commits,
    /// 100 ms polls, 24 h retention.
    pub fn new(dir: PathBuf) -> Self {
        Self {
            dir,
            memory_bytes: 64 * 1024 * 1024,
            threads: 1,
            commit_interval: Duration::from_millis(500),
            poll_interval: Duration::from_millis(100),
            node_retention: Duration::from_secs(24 * 3600),
        }
    }
}

/// A running follower; dropping it asks the thread to stop (uncommitted
/// changes are applied again by the next start), [`IndexHandle::shutdown`]
/// also waits for it.
pub struct IndexHandle {
    index: Arc<TantivyIndex>,
    stop: Arc<AtomicBool>,
    wake: Arc<Notify>,
    thread: Option<std::thread::JoinHandle<()>>,
}

impl IndexHandle {
    /// The index searches use.
    pub fn index(&self) -> Arc<TantivyIndex> {
        self.index.clone()
    }

    /// Stops the follower and waits for its thread. Blocking: the thread
    /// may be waiting on the store, so call it where the runtime can still
    /// make progress (`spawn_blocking`).
    pub fn shutdown(mut self) {
        self.signal_stop();
        if let Some(t) = self.thread.take() {
            let _ = t.join();
        }
    }

    fn signal_stop(&self) {
        self.stop.store(true, Ordering::SeqCst);
        self.wake.notify_one();
    }
}

impl Drop for IndexHandle {
    fn drop(&mut self) {
        // Not joined here: a drop on a runtime thread must not wait for a
        // thread that may itself wait on that runtime.
        self.signal_stop();
    }
}

/// Starts this node's follower. Fails at once when another process holds
/// the directory; everything else (a rebuild, a full disk) is retried in
/// the background while `/readyz` says so.
pub fn start(log: Arc<dyn ChangeLog>, config: IndexConfig) -> Result<IndexHandle, IndexError> {
    std::fs::create_dir_all(&config.dir)?;
    let lock = lock_dir(&config.dir)?;
    let node = node_id(&config.dir)?;
    let (_, fields) = crate::schema::schema();
    let index = Arc::new(TantivyIndex::new(fields));
    let stop = Arc::new(AtomicBool::new(false));
    let wake = log.change_signal();
    let mut follower = Follower::new(
        log,
        config,
        node,
        index.clone(),
        stop.clone(),
        wake.clone(),
        lock,
    );
    let thread = std::thread::Builder::new()
        .name("inlet-index".into())
        .spawn(move || follower.run())?;
    Ok(IndexHandle {
        index,
        stop,
        wake,
        thread: Some(thread),
    })
}

/// Holds `<dir>/inlet.lock` for the life of the follower: two nodes given
/// one directory would each rebuild the other's files.
pub(crate) fn lock_dir(dir: &Path) -> Result<std::fs::File, IndexError> {
    let file = std::fs::OpenOptions::new()
        .create(true)
        .truncate(false)
        .write(true)
        .open(dir.join("inlet.lock"))?;
    match file.try_lock() {
        Ok(()) => Ok(file),
        Err(std::fs::TryLockError::WouldBlock) => Err(IndexError::InUse(dir.display().to_string())),
        Err(std::fs::TryLockError::Error(e)) => Err(IndexError::Io(e)),
    }
}

/// This node's name in the store, kept in `<dir>/node-id` across restarts
/// and rebuilds.
fn node_id(dir: &Path) -> Result<String, IndexError> {
    let path = dir.join("node-id");
    if let Ok(id) = std::fs::read_to_string(&path) {
        let id = id.trim();
        if !id.is_empty() {
            return Ok(id.to_owned());
        }
    }
    let id: String = (0..16)
        .map(|_| format!("{:02x}", rand::random::<u8>()))
        .collect();
    std::fs::write(&path, &id)?;
    Ok(id)
}
