//! The persistence contract. Every method that touches tenant data takes the
//! organization id and filters by it: a query without it would be a bug.
//! Implementations live in `inlet-store` (SQLite and PostgreSQL). One
//! sub-trait per aggregate; a caller imports the ones whose methods it
//! calls.

mod audit;
mod changes;
mod collections;
mod connections;
mod console;
mod documents;
mod jobs;
mod keys;
mod orgs;
mod schedules;
mod schemas;
mod secrets;
mod users;

use std::sync::Arc;

use async_trait::async_trait;

pub use audit::AuditStore;
pub use changes::{Change, ChangeLog, ChangeOp, IndexedDocument, LogHead};
pub use collections::CollectionStore;
pub use connections::ConnectionStore;
pub use console::ConsoleStore;
pub use documents::{
    BatchOutcome, Cleared, DocumentStore, ScopedConnection, StreamState, SyncBatch,
};
pub use jobs::{Heartbeat, JobStore};
pub use keys::{FoundKey, KeyStore};
pub use orgs::OrgStore;
pub use schedules::{Firing, ScheduleStore};
pub use schemas::SchemaStore;
pub use secrets::SecretStore;
pub use users::UserStore;

use crate::error::CoreResult;
use crate::model::audit::AuditDraft;

/// Persistence for every domain object: one trait per aggregate (each in
/// its own file), joined here so services hold one `Arc<dyn Store>`.
#[async_trait]
pub trait Store:
    OrgStore
    + UserStore
    + KeyStore
    + CollectionStore
    + ConnectionStore
    + SchemaStore
    + SecretStore
    + JobStore
    + DocumentStore
    + ChangeLog
    + ScheduleStore
    + AuditStore
    + ConsoleStore
    + Send
    + Sync
    + 'static
{
    /// The same store, writing `event` in the same transaction as the next
    /// change made through it (creating methods fill in the object's id).
    /// Changes made through the plain store record nothing: every service
    /// that changes something a person would ask about goes through this.
    fn audited(&self, event: AuditDraft) -> Arc<dyn Store>;

    /// Checks that the store answers (for `/readyz`).
    async fn ping(&self) -> CoreResult<()>;
}
