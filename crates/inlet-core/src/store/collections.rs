//! Collections of an organization's connections.

use async_trait::async_trait;

use crate::error::CoreResult;
use crate::ids::{CollectionId, OrgId};
use crate::list::{Page, PageRequest};
use crate::model::collection::{Collection, CollectionPatch, NewCollection};

/// Collections of an organization's connections.
#[async_trait]
pub trait CollectionStore: Send + Sync {
    /// Creates a collection; a duplicate name in the organization is `Conflict`.
    async fn create_collection(&self, org: OrgId, new: NewCollection) -> CoreResult<Collection>;

    /// One collection of `org`.
    async fn get_collection(&self, org: OrgId, id: CollectionId) -> CoreResult<Collection>;

    /// Collections of `org` by name; `within` restricts to those ids when non-empty.
    async fn list_collections(
        &self,
        org: OrgId,
        within: &[CollectionId],
        page: PageRequest,
    ) -> CoreResult<Page<Collection>>;

    /// Updates a collection.
    async fn update_collection(
        &self,
        org: OrgId,
        id: CollectionId,
        patch: CollectionPatch,
    ) -> CoreResult<Collection>;

    /// Deletes a collection. Without `cascade` a non-empty collection is
    /// `Conflict`; the check and the delete are one transaction.
    async fn delete_collection(
        &self,
        org: OrgId,
        id: CollectionId,
        cascade: bool,
    ) -> CoreResult<()>;
}
