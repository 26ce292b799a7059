//! Indexed documents as callers see them: what a sync wrote, for people and
//! for checks.

use super::Services;
use crate::auth::{Principal, Scope};
use crate::error::{CoreError, CoreResult};
use crate::ids::{ConnectionId, DocumentId};
use crate::list::{Page, PageRequest};
use crate::model::document::Document;

impl Services {
    /// A connection's documents by stream and key, optionally of one stream.
    pub async fn list_documents(
        &self,
        who: &Principal,
        id: ConnectionId,
        stream: Option<&str>,
        page: PageRequest,
    ) -> CoreResult<Page<Document>> {
        self.get_connection(who, id).await?;
        self.store
            .list_documents(who.org_id, id, stream, page)
            .await
    }

    /// One document of a connection the caller can reach.
    pub async fn get_document(&self, who: &Principal, id: DocumentId) -> CoreResult<Document> {
        who.require(Scope::Read)?;
        let doc = self.store.get_document(who.org_id, id).await?;
        self.get_connection(who, doc.connection_id)
            .await
            .map_err(|e| match e {
                CoreError::NotFound(_) | CoreError::Forbidden(_) => CoreError::NotFound("document"),
                other => other,
            })?;
        Ok(doc)
    }
}
