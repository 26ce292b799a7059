//! Connections addressed by name, for APIs that know them only so (002's
//! datasources): a lookup by exact name, a create that must pass its test
//! and discovery, and a sync awaited to its end.

use std::time::Duration;

use super::{ConnectionInput, Services};
use crate::auth::{Principal, Scope};
use crate::error::{CoreError, CoreResult};
use crate::ids::{CollectionId, ConnectionId};
use crate::list::{ConnectionFilter, ConnectionSort, PageRequest, SortOrder};
use crate::model::audit::AuditAction;
use crate::model::connection::Connection;
use crate::model::job::{Job, JobKind, JobStatus, JobTrigger};

/// The collection created for connections when an organization has none.
pub const DEFAULT_COLLECTION: &str = "Default";

/// How often a sync being awaited is looked at.
const SYNC_POLL: Duration = Duration::from_millis(200);

impl Services {
    /// The connection named exactly `name` among those the caller can
    /// reach (names are unique in an organization): `NotFound` when none is.
    pub async fn connection_named(&self, who: &Principal, name: &str) -> CoreResult<Connection> {
        let filter = ConnectionFilter {
            name: Some(name.to_owned()),
            sort: ConnectionSort::Id,
            order: SortOrder::Asc,
            ..ConnectionFilter::default()
        };
        let page = PageRequest {
            page: 1,
            page_size: 1,
        };
        let mut found = self.list_connections(who, filter, page).await?;
        found.items.pop().ok_or(CoreError::NotFound("datasource"))
    }

    /// Where a connection goes when the caller names no collection: the
    /// first collection the key can reach (in the list's order, by name);
    /// an organization without any gets one named [`DEFAULT_COLLECTION`].
    pub async fn default_collection(&self, who: &Principal) -> CoreResult<CollectionId> {
        let page = PageRequest {
            page: 1,
            page_size: 1,
        };
        if let Some(c) = self.list_collections(who, page).await?.items.first() {
            return Ok(c.id);
        }
        match self.create_collection(who, DEFAULT_COLLECTION, None).await {
            Ok(c) => Ok(c.id),
            // A concurrent create made it first: use it.
            Err(CoreError::Conflict(_)) => self
                .list_collections(who, page)
                .await?
                .items
                .first()
                .map(|c| c.id)
                .ok_or(CoreError::NotFound("collection")),
            Err(e) => Err(e),
        }
    }

    /// Creates a connection that works, under a name no other connection
    /// of the organization has (`Conflict` otherwise): tested before
    /// anything is stored (a failing test stores nothing), then discovered;
    /// a failing discovery removes it again and is [`CoreError::Discovery`].
    pub async fn create_verified_connection(
        &self,
        who: &Principal,
        input: ConnectionInput,
    ) -> CoreResult<Connection> {
        who.require(Scope::Write)?;
        // Checked before the source is tested, so a taken name costs no
        // connection attempt; the store's unique index decides a race.
        match self.connection_named(who, &input.name).await {
            Err(CoreError::NotFound(_)) => {}
            Ok(_) => {
                return Err(CoreError::Conflict(format!(
                    "a datasource named {:?} exists",
                    input.name
                )));
            }
            Err(e) => return Err(e),
        }
        let conn = self.create_connection(who, input, true).await?;
        if let Err(e) = self.refresh_schema(who, conn.id).await {
            let removed = who
                .audit(AuditAction::ConnectionDeleted)
                .object(conn.id)
                .note("reason", "schema discovery failed");
            if let Err(d) = self
                .store
                .audited(removed)
                .delete_connection(who.org_id, conn.id)
                .await
            {
                tracing::error!(connection = %conn.id, error = %d, "could not remove a connection whose discovery failed");
            }
            return Err(as_discovery(e));
        }
        self.get_connection(who, conn.id).await
    }

    /// Discovers a connection's schema again (after a change); a failing
    /// discovery is [`CoreError::Discovery`].
    pub async fn rediscover_connection(
        &self,
        who: &Principal,
        id: ConnectionId,
    ) -> CoreResult<Connection> {
        self.refresh_schema(who, id).await.map_err(as_discovery)?;
        self.get_connection(who, id).await
    }

    /// Queues a sync (or joins the one queued or running) and waits for
    /// its end, at most `limit`: the job when it completed,
    /// [`CoreError::SyncFailed`] when it failed, was cancelled, or is
    /// still running at the limit (it then goes on).
    pub async fn sync_and_wait(
        &self,
        who: &Principal,
        id: ConnectionId,
        limit: Duration,
    ) -> CoreResult<Job> {
        let job = match self.run_sync(who, id, JobTrigger::Api, false).await {
            Ok(job) => job.id,
            Err(CoreError::JobActive {
                job,
                kind: JobKind::Sync,
            }) => job,
            Err(e) => return Err(e),
        };
        let deadline = tokio::time::Instant::now() + limit;
        loop {
            let j = self.get_job(who, job).await?;
            match j.status {
                JobStatus::Completed => return Ok(j),
                JobStatus::Failed | JobStatus::Cancelled => {
                    return Err(CoreError::SyncFailed(match j.error {
                        Some(e) => format!("the sync {}: {}", j.status, e.message),
                        None => format!("the sync was {}", j.status),
                    }));
                }
                JobStatus::Queued | JobStatus::Running => {}
            }
            if tokio::time::Instant::now() >= deadline {
                return Err(CoreError::SyncFailed(format!(
                    "the sync is still running after {} s; it goes on",
                    limit.as_secs()
                )));
            }
            tokio::time::sleep(SYNC_POLL).await;
        }
    }
}

/// A source failure met while discovering, as such.
fn as_discovery(e: CoreError) -> CoreError {
    match e {
        CoreError::Source(e) => CoreError::Discovery(e),
        other => other,
    }
}
