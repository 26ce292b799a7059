//! Collections: named groups of connections. Restricted keys see only their
//! collections and cannot create new ones.

use super::Services;
use crate::auth::{Principal, Scope};
use crate::error::{CoreError, CoreResult};
use crate::ids::CollectionId;
use crate::list::{Page, PageRequest};
use crate::model::audit::AuditAction;
use crate::model::collection::{Collection, CollectionPatch, NewCollection};
use crate::validate;

impl Services {
    /// Creates a collection.
    pub async fn create_collection(
        &self,
        who: &Principal,
        name: &str,
        description: Option<&str>,
    ) -> CoreResult<Collection> {
        who.require(Scope::Write)?;
        if who.is_restricted() {
            return Err(CoreError::Forbidden(
                "a key restricted to collections cannot create collections".into(),
            ));
        }
        let new = NewCollection {
            name: validate::name("name", name)?,
            description: validate::description("description", description.unwrap_or(""))?,
        };
        let event = who
            .audit(AuditAction::CollectionCreated)
            .note("name", new.name.as_str());
        self.store
            .audited(event)
            .create_collection(who.org_id, new)
            .await
    }

    /// One collection.
    pub async fn get_collection(
        &self,
        who: &Principal,
        id: CollectionId,
    ) -> CoreResult<Collection> {
        who.require(Scope::Read)?;
        let c = self.store.get_collection(who.org_id, id).await?;
        who.require_collection(id)?;
        Ok(c)
    }

    /// The collections the caller can reach.
    pub async fn list_collections(
        &self,
        who: &Principal,
        page: PageRequest,
    ) -> CoreResult<Page<Collection>> {
        who.require(Scope::Read)?;
        self.store
            .list_collections(who.org_id, &who.collections, page)
            .await
    }

    /// Renames or re-describes a collection.
    pub async fn update_collection(
        &self,
        who: &Principal,
        id: CollectionId,
        name: Option<&str>,
        description: Option<&str>,
    ) -> CoreResult<Collection> {
        who.require(Scope::Write)?;
        self.get_collection(who, id).await?;
        let patch = CollectionPatch {
            name: name.map(|n| validate::name("name", n)).transpose()?,
            description: description
                .map(|d| validate::description("description", d))
                .transpose()?,
        };
        let mut event = who.audit(AuditAction::CollectionUpdated).object(id);
        if let Some(n) = &patch.name {
            event = event.note("name", n.as_str());
        }
        if let Some(d) = &patch.description {
            event = event.note("description", d.as_str());
        }
        self.store
            .audited(event)
            .update_collection(who.org_id, id, patch)
            .await
    }

    /// Deletes a collection; with `cascade` its connections go too.
    pub async fn delete_collection(
        &self,
        who: &Principal,
        id: CollectionId,
        cascade: bool,
    ) -> CoreResult<()> {
        who.require(Scope::Write)?;
        self.get_collection(who, id).await?;
        let event = who
            .audit(AuditAction::CollectionDeleted)
            .object(id)
            .note("cascade", cascade);
        self.store
            .audited(event)
            .delete_collection(who.org_id, id, cascade)
            .await?;
        tracing::info!(collection = %id, cascade, "collection deleted");
        Ok(())
    }
}
