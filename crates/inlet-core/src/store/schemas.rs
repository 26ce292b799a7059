//! Discovered schemas of connections.

use async_trait::async_trait;

use crate::error::CoreResult;
use crate::ids::{ConnectionId, OrgId};
use crate::model::Timestamp;
use crate::model::schema::{DiscoveredSchema, StoredSchema};

/// Discovered schemas of connections.
#[async_trait]
pub trait SchemaStore: Send + Sync {
    /// Stores a discovered schema and sets `schemaDiscoveredAt`.
    async fn save_schema(
        &self,
        org: OrgId,
        id: ConnectionId,
        schema: &DiscoveredSchema,
        at: Timestamp,
    ) -> CoreResult<()>;

    /// The last discovered schema, if any.
    async fn get_schema(&self, org: OrgId, id: ConnectionId) -> CoreResult<Option<StoredSchema>>;
}
