//! How syncs batch, what they refuse, and how long a job's lease lasts.

use std::time::Duration;

/// How syncs batch and what they refuse.
#[derive(Debug, Clone, Copy)]
pub struct SyncSettings {
    /// Records per committed batch.
    pub batch_size: usize,
    /// Largest record (its JSON text) indexed; larger ones are skipped.
    pub max_record_bytes: usize,
    /// How long a job's lease lasts without a heartbeat.
    pub lease: Duration,
}

impl Default for SyncSettings {
    fn default() -> Self {
        Self {
            batch_size: 1000,
            max_record_bytes: 1024 * 1024,
            lease: Duration::from_secs(30),
        }
    }
}
