//! Use-cases. Handlers of every API dialect call these; they check
//! permissions, validate, seal secrets and call the store. The worker's job
//! kinds call the same functions.

mod access;
mod audit;
mod binding;
mod collections;
mod connection_edits;
mod connection_events;
mod connection_lists;
mod connections;
mod connections_by_name;
mod documents;
mod job_executor;
mod jobs;
mod keys;
mod master_key;
mod orgs;
mod outbound;
mod schedules;
mod schemas;
mod search;
mod secrets;
mod sessions;
mod sources;

use std::sync::Arc;

/// Where callers have always found it; it lives with the rest of a sync.
pub use crate::sync::SyncSettings;
pub use access::Credential;
pub use connection_edits::{ConfigApplies, ConnectionEdit, CredentialsOptions};
pub use connection_lists::CollectionConnections;
pub use connections::ConnectionInput;
pub use connections_by_name::DEFAULT_COLLECTION;
pub use job_executor::JobExecutor;
pub use jobs::{JobWatch, SYNC_ATTEMPTS};
pub use keys::{ApiKeyInput, CreatedKey};
pub use master_key::{KeyCheck, sealed_key_id};
pub use orgs::OrgPolicyInput;
pub use search::{SearchInput, SearchResult, SearchResults};
pub use sessions::{ConsoleSession, FAILED_SIGN_INS_RECORDED_PER_MINUTE, SESSION_HOURS};
pub use sources::OpenedSource;

use crate::connector::{Catalog, Context};
use crate::crypto::Keyring;
use crate::store::Store;

/// The services, shared by every handler and worker.
#[derive(Clone)]
pub struct Services {
    store: Arc<dyn Store>,
    keyring: Arc<Keyring>,
    catalog: Arc<Catalog>,
    outbound: Context,
    sync: SyncSettings,
    schedules: crate::schedule::ScheduleSettings,
    /// Woken when a job is queued here, so local workers claim it at once.
    jobs_changed: Arc<tokio::sync::Notify>,
    /// How many failed sign-ins per client address are still recorded.
    failed_sign_ins: Arc<crate::throttle::AddressLimiter>,
    /// This node's search index (`None` in a process that serves no search).
    index: Option<Arc<dyn crate::search::Index>>,
    /// Runs the jobs these services claim themselves (`None` in a process
    /// that runs no jobs, such as an admin command).
    jobs: Option<Arc<dyn JobExecutor>>,
}

impl Services {
    /// Wires services to a store, a keyring and the connector catalog.
    pub fn new(store: Arc<dyn Store>, keyring: Arc<Keyring>, catalog: Catalog) -> Self {
        Self {
            store,
            keyring,
            catalog: Arc::new(catalog),
            outbound: Context {
                policy: Arc::new(crate::policy::OutboundPolicy::default()),
                timeout: std::time::Duration::from_secs(10),
                resolver: Default::default(),
            },
            sync: SyncSettings::default(),
            schedules: crate::schedule::ScheduleSettings::default(),
            jobs_changed: Arc::new(tokio::sync::Notify::new()),
            failed_sign_ins: Arc::new(crate::throttle::AddressLimiter::per_minute(
                sessions::FAILED_SIGN_INS_RECORDED_PER_MINUTE,
                crate::throttle::TRACKED_ADDRESSES,
            )),
            index: None,
            jobs: None,
        }
    }

    /// Runs the jobs these services claim themselves (an API schema
    /// refresh) through `jobs`, the worker's executor.
    pub fn with_jobs(mut self, jobs: Arc<dyn JobExecutor>) -> Self {
        self.jobs = Some(jobs);
        self
    }

    /// Serves search from `index`, this node's copy.
    pub fn with_index(mut self, index: Arc<dyn crate::search::Index>) -> Self {
        self.index = Some(index);
        self
    }

    /// This node's search index, if it serves search.
    pub fn index(&self) -> Option<&Arc<dyn crate::search::Index>> {
        self.index.as_ref()
    }

    /// Sets batch size, record limit and lease length of jobs.
    pub fn with_sync(mut self, sync: SyncSettings) -> Self {
        self.sync = sync;
        self
    }

    /// The sync settings.
    pub fn sync_settings(&self) -> SyncSettings {
        self.sync
    }

    /// Sets the minimum schedule interval and the continuous-sync interval.
    pub fn with_schedules(mut self, schedules: crate::schedule::ScheduleSettings) -> Self {
        self.schedules = schedules;
        self
    }

    /// The schedule settings.
    pub fn schedule_settings(&self) -> crate::schedule::ScheduleSettings {
        self.schedules
    }

    /// Resolves when a job was queued through these services (a hint for
    /// workers in this process; they poll the store as well).
    pub async fn job_queued(&self) {
        self.jobs_changed.notified().await;
    }

    /// Wakes this process's idle workers: jobs became claimable (queued, or
    /// freed from a dead worker).
    pub fn wake_workers(&self) {
        self.jobs_changed.notify_waiters();
    }

    /// Sets what connectors may reach and how long they may wait.
    pub fn with_outbound(mut self, outbound: Context) -> Self {
        self.outbound = outbound;
        self
    }

    /// What connectors may reach for `org`: the instance policy, narrowed
    /// by the organization's own.
    pub(crate) async fn outbound_for(
        &self,
        org: crate::ids::OrgId,
    ) -> crate::error::CoreResult<Context> {
        let narrowed = self
            .outbound
            .policy
            .narrowed(&self.store.org_policy(org).await?);
        Ok(Context {
            policy: Arc::new(narrowed),
            ..self.outbound.clone()
        })
    }

    /// The store, for health checks.
    pub fn store(&self) -> &Arc<dyn Store> {
        &self.store
    }

    /// The connector catalog.
    pub fn catalog(&self) -> &Catalog {
        &self.catalog
    }
}

/// Refuses work on a switched-off (inactive, maintenance) connection with a
/// conflict that says how to switch it back on.
fn ensure_switched_on(
    conn: &crate::model::connection::Connection,
    verb: &str,
) -> crate::error::CoreResult<()> {
    if conn.status.is_switched_off() {
        return Err(crate::error::CoreError::Conflict(format!(
            "the connection is {}; set its status to pending to {verb} it",
            conn.status
        )));
    }
    Ok(())
}
