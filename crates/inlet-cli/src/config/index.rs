//! The search index settings: where this node keeps its copy, and how its
//! writer and follower run.

use std::time::Duration;

use anyhow::{Result, bail};

use super::Raw;
use super::duration::parse_duration;

/// The index configuration of `raw`, checked.
pub(super) fn config(raw: &Raw) -> Result<inlet_index::IndexConfig> {
    let dir = raw
        .index_dir
        .clone()
        .unwrap_or_else(|| raw.data_dir.join("index"));
    let mut c = inlet_index::IndexConfig::new(dir);
    c.commit_interval = parse_duration(
        "index_commit_interval (INLET_INDEX_COMMIT_INTERVAL)",
        &raw.index_commit_interval,
    )?;
    if !(Duration::from_millis(10)..=Duration::from_secs(60)).contains(&c.commit_interval) {
        bail!("index_commit_interval (INLET_INDEX_COMMIT_INTERVAL) must be between 10ms and 1m");
    }
    if !(1..=16).contains(&raw.index_threads) {
        bail!("index_threads (INLET_INDEX_THREADS) must be between 1 and 16");
    }
    c.threads = raw.index_threads;
    if raw.index_memory_mb < 15 * raw.index_threads || raw.index_memory_mb > 4096 {
        bail!(
            "index_memory_mb (INLET_INDEX_MEMORY_MB) must be at least 15 per index thread ({}) and at most 4096",
            15 * raw.index_threads
        );
    }
    c.memory_bytes = raw.index_memory_mb * 1024 * 1024;
    c.node_retention = parse_duration(
        "index_node_retention (INLET_INDEX_NODE_RETENTION)",
        &raw.index_node_retention,
    )?;
    if c.node_retention < Duration::from_secs(60) {
        bail!("index_node_retention (INLET_INDEX_NODE_RETENTION) must be at least 1m");
    }
    Ok(c)
}
