//! Background jobs: one row per run of a job kind (schema refresh, sync) on
//! one connection, with its lifecycle, live counts and per-stream progress.

use serde::{Deserialize, Serialize};

use super::Timestamp;
use crate::ids::{ConnectionId, JobId, OrgId};
use crate::wire_enum;

/// What a job does.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum JobKind {
    /// Discover the connection's schema again.
    SchemaRefresh,
    /// Read the source into the index.
    Sync,
}
wire_enum!(JobKind { SchemaRefresh => "schema_refresh", Sync => "sync" });

/// Where a job comes from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum JobTrigger {
    /// A person, through the console or the CLI.
    Manual,
    /// A schedule (scheduled schema refreshes, cron syncs).
    Schedule,
    /// A program, through the API.
    Api,
}
wire_enum!(JobTrigger { Manual => "manual", Schedule => "schedule", Api => "api" });

/// Lifecycle of a job.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum JobStatus {
    /// Waiting for a worker (also between retries).
    Queued,
    /// A worker holds its lease.
    Running,
    /// Finished without error.
    Completed,
    /// Finished with an error, retries spent.
    Failed,
    /// Stopped on request; committed work is kept.
    Cancelled,
}
wire_enum!(JobStatus {
    Queued => "queued",
    Running => "running",
    Completed => "completed",
    Failed => "failed",
    Cancelled => "cancelled",
});

impl JobStatus {
    /// Statuses of a job that still holds its connection (at most one such
    /// job per connection and kind, enforced by the store).
    pub const ACTIVE: [JobStatus; 2] = [JobStatus::Queued, JobStatus::Running];

    /// Whether the job has ended.
    pub fn is_final(self) -> bool {
        !Self::ACTIVE.contains(&self)
    }
}

/// What a sync did to the index, in records.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Counts {
    /// Records read from the source.
    pub read: u64,
    /// New documents.
    pub inserted: u64,
    /// Documents whose content changed.
    pub updated: u64,
    /// Documents removed (gone from the source).
    pub deleted: u64,
    /// Records whose content hash had not changed (not rewritten).
    pub unchanged: u64,
    /// Records that could not be indexed (binary, too large, unreadable).
    pub skipped: u64,
}

impl std::ops::AddAssign for Counts {
    fn add_assign(&mut self, other: Counts) {
        self.read += other.read;
        self.inserted += other.inserted;
        self.updated += other.updated;
        self.deleted += other.deleted;
        self.unchanged += other.unchanged;
        self.skipped += other.skipped;
    }
}

/// One stream's progress within a job.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct StreamProgress {
    /// Stream name (`schema.table`, a file, `files`).
    pub name: String,
    /// `running`, `completed`.
    pub status: String,
    /// `full` or `incremental`.
    pub mode: String,
    /// Its counts.
    pub counts: Counts,
    /// Bytes of record data read from it.
    pub bytes: u64,
    /// Why records were skipped (first few reasons, no data values).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub skipped_reasons: Vec<String>,
    /// What to know about how the stream was read (no primary key, …).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub notes: Vec<String>,
}

/// Why a job failed.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct JobError {
    /// Machine-readable code (`connection_refused`, `source_error`, `timeout`, …).
    pub code: String,
    /// What happened (never a credential).
    pub message: String,
}

/// A job as stored.
#[derive(Debug, Clone, PartialEq)]
pub struct Job {
    /// Identifier.
    pub id: JobId,
    /// Owning organization.
    pub org_id: OrgId,
    /// The connection it works on.
    pub connection_id: ConnectionId,
    /// What it does.
    pub kind: JobKind,
    /// Who asked for it.
    pub trigger: JobTrigger,
    /// Lifecycle.
    pub status: JobStatus,
    /// Ignore cursors: read everything again.
    pub force_full: bool,
    /// Runs started so far (retries and resumptions included).
    pub attempts: u32,
    /// Runs allowed before a failure is final.
    pub max_attempts: u32,
    /// Earliest time a worker may (re)start it.
    pub run_after: Timestamp,
    /// The worker holding its lease, while running.
    pub worker: Option<String>,
    /// When the lease ends unless renewed; an expired lease means its worker died.
    pub lease_expires_at: Option<Timestamp>,
    /// A cancel was asked for while it ran.
    pub cancel_requested: bool,
    /// Counts so far (exact: committed with each batch), the sum of its
    /// streams'.
    pub counts: Counts,
    /// Bytes of record data read, the sum of its streams'.
    pub bytes: u64,
    /// The change-log `seq` of its last batch that changed documents: a
    /// search with `after` set to it sees everything the job wrote.
    pub index_seq: Option<u64>,
    /// Per-stream progress.
    pub streams: Vec<StreamProgress>,
    /// Why it failed, or why its last attempt failed while retrying.
    pub error: Option<JobError>,
    /// Creation time.
    pub created_at: Timestamp,
    /// First start.
    pub started_at: Option<Timestamp>,
    /// End.
    pub finished_at: Option<Timestamp>,
    /// Last change (progress, heartbeat, status).
    pub updated_at: Timestamp,
}

impl Job {
    /// Run time so far (or in all, once finished), in milliseconds.
    pub fn duration_ms(&self, now: Timestamp) -> Option<i64> {
        let start = self.started_at?;
        Some((self.finished_at.unwrap_or(now) - start).num_milliseconds())
    }
}

/// A job to queue.
#[derive(Debug, Clone)]
pub struct NewJob {
    /// Owning organization.
    pub org_id: OrgId,
    /// Its connection.
    pub connection_id: ConnectionId,
    /// What it does.
    pub kind: JobKind,
    /// Who asks.
    pub trigger: JobTrigger,
    /// Ignore cursors.
    pub force_full: bool,
    /// Runs allowed.
    pub max_attempts: u32,
    /// Start already claimed by this worker (a run done inline by the
    /// caller), with this lease; `None` queues it for any worker.
    pub claimed_by: Option<(String, Timestamp)>,
}

/// A claimed job's lease: who holds it and until when.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Lease {
    /// The job.
    pub job: JobId,
    /// The worker's id (unique per process and slot).
    pub worker: String,
}
