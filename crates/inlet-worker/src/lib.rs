//! Inlet's background work, with no HTTP in it. The queue's mechanics
//! (claim, lease and heartbeat, retry with backoff, end) are in [`queue`];
//! every claimed job runs through the [`Executor`], whether a [`Runner`]
//! slot claimed it or a service ran it at once (an API schema refresh).
//! Each kind is one file in `jobs/`, registered in [`registry`]; scheduled
//! work that queues jobs is in `periodic`.

mod executor;
mod job_run;
mod jobs;
mod periodic;
pub mod queue;
mod registry;
mod runner;

pub use executor::Executor;
pub use job_run::JobRun;
pub use periodic::{
    spawn_audit_pruner, spawn_schema_scheduler, spawn_sync_scheduler, sync_scheduler_tick,
};
pub use registry::{BackgroundJob, Registry, registry};
pub use runner::{Runner, RunnerConfig};
