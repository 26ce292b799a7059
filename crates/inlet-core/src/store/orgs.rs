//! Organizations and their outbound policy.

use async_trait::async_trait;

use crate::error::CoreResult;
use crate::ids::OrgId;
use crate::list::{Page, PageRequest};
use crate::model::organization::Organization;
use crate::policy::OrgPolicy;

/// Organizations and their outbound policy.
#[async_trait]
pub trait OrgStore: Send + Sync {
    /// Creates an organization; a duplicate name is `Conflict`.
    async fn create_org(&self, name: &str) -> CoreResult<Organization>;

    /// One organization.
    async fn get_org(&self, id: OrgId) -> CoreResult<Organization>;

    /// Organizations by id.
    async fn list_orgs(&self, page: PageRequest) -> CoreResult<Page<Organization>>;

    /// Number of organizations (0 on a fresh store).
    async fn count_orgs(&self) -> CoreResult<u64>;

    /// An organization's outbound policy; one never set is
    /// [`OrgPolicy::restricted`], so a new organization starts narrowed.
    async fn org_policy(&self, id: OrgId) -> CoreResult<OrgPolicy>;

    /// Replaces an organization's outbound policy.
    async fn set_org_policy(&self, id: OrgId, policy: &OrgPolicy) -> CoreResult<OrgPolicy>;
}
