//! Inlet's background work, with no HTTP in it: a [`Runner`] claims jobs
//! from the store's queue, keeps each job's lease alive with a heartbeat,
//! passes cancellation to the job, and ends it (completed, failed, retried
//! with backoff, or cancelled). What each kind does lives in its own module
//! and is registered in [`registry`]; all of them call the same services as
//! the HTTP handlers.

mod kind;
mod runner;
mod schedule;
mod schema_refresh;
mod sync;

pub use kind::{BackgroundJob, Registry, registry};
pub use runner::{Runner, RunnerConfig};
pub use schedule::{
    spawn_audit_pruner, spawn_schema_scheduler, spawn_sync_scheduler, sync_scheduler_tick,
};
