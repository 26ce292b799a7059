//! The audit trail for callers: organization administrators read their
//! organization's events, instance administrators any organization's.
//! Events are written with the changes themselves (see `Store::audited`).

use super::Services;
use crate::auth::{Principal, Scope};
use crate::error::{CoreError, CoreResult};
use crate::ids::OrgId;
use crate::list::{Page, PageRequest};
use crate::model::audit::{AuditEvent, AuditFilter};
use crate::model::now;

impl Services {
    /// An organization's events matching `filter`, newest first.
    pub async fn list_audit_events(
        &self,
        who: &Principal,
        org: Option<OrgId>,
        filter: AuditFilter,
        page: PageRequest,
    ) -> CoreResult<Page<AuditEvent>> {
        who.require(Scope::Admin)?;
        if who.is_restricted() {
            return Err(CoreError::Forbidden(
                "a key restricted to collections cannot read the audit trail".into(),
            ));
        }
        if let (Some(since), Some(until)) = (filter.since, filter.until)
            && since >= until
        {
            return Err(CoreError::invalid("until", "must be after since"));
        }
        let org = self.target_org(who, org)?;
        self.store.list_audit_events(org, &filter, page).await
    }

    /// Deletes events older than the retention period; returns how many.
    pub async fn prune_audit_events(&self, retention: chrono::Duration) -> CoreResult<u64> {
        let n = self.store.prune_audit_events(now() - retention).await?;
        if n > 0 {
            tracing::info!(events = n, "audit events past retention deleted");
        }
        Ok(n)
    }
}
