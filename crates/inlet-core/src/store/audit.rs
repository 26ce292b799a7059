//! Reading and pruning the audit trail (events are written by the other
//! store methods, with their changes: see [`crate::store::Store::audited`]).

use async_trait::async_trait;

use crate::error::CoreResult;
use crate::ids::OrgId;
use crate::list::{Page, PageRequest};
use crate::model::Timestamp;
use crate::model::audit::{AuditDraft, AuditEvent, AuditFilter};

/// The audit trail.
#[async_trait]
pub trait AuditStore: Send + Sync {
    /// An organization's events matching `filter`, newest first.
    async fn list_audit_events(
        &self,
        org: OrgId,
        filter: &AuditFilter,
        page: PageRequest,
    ) -> CoreResult<Page<AuditEvent>>;

    /// Records an event that goes with no change (a refused console
    /// sign-in).
    async fn record_audit_event(&self, event: &AuditDraft) -> CoreResult<()>;

    /// Deletes events older than `before` (retention); returns how many.
    async fn prune_audit_events(&self, before: Timestamp) -> CoreResult<u64>;
}
