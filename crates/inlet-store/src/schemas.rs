//! Discovered schemas, one per connection.

use async_trait::async_trait;
use inlet_core::error::{CoreError, CoreResult};
use inlet_core::ids::{ConnectionId, OrgId};
use inlet_core::model::Timestamp;
use inlet_core::model::schema::{DiscoveredSchema, StoredSchema};
use inlet_core::store::SchemaStore;

use crate::db::Sql;
use crate::rows::{self, ms, to_json};
use crate::sql_store::{SqlStore, bump};

#[async_trait]
impl SchemaStore for SqlStore {
    async fn save_schema(
        &self,
        org: OrgId,
        id: ConnectionId,
        schema: &DiscoveredSchema,
        at: Timestamp,
    ) -> CoreResult<()> {
        let mut tx = self.db.begin().await?;
        let updated = tx
            .query(
                &Sql::new(
                    "UPDATE connections SET schema_discovered_at = ? \
                     WHERE org_id = ? AND id = ? RETURNING id",
                )
                .arg(ms(at))
                .arg(org.0)
                .arg(id.0),
            )
            .await?;
        if updated.is_empty() {
            return Err(CoreError::NotFound("source connection"));
        }
        tx.query(
            &Sql::new(
                "INSERT INTO connection_schemas (connection_id, org_id, schema_json, discovered_at) \
                 VALUES (?, ?, ?, ?) ON CONFLICT (connection_id) DO UPDATE \
                 SET schema_json = excluded.schema_json, discovered_at = excluded.discovered_at \
                 RETURNING connection_id",
            )
            .arg(id.0)
            .arg(org.0)
            .arg(to_json(schema))
            .arg(ms(at)),
        )
        .await?;
        tx.query(&bump(org)).await?;
        tx.commit().await?;
        Ok(())
    }

    async fn get_schema(&self, org: OrgId, id: ConnectionId) -> CoreResult<Option<StoredSchema>> {
        let q = Sql::new(
            "SELECT schema_json, discovered_at FROM connection_schemas WHERE org_id = ? AND connection_id = ?",
        )
        .arg(org.0)
        .arg(id.0);
        let Some(row) = self.db.fetch_optional(&q).await? else {
            return Ok(None);
        };
        let schema = serde_json::from_str(&row.text("schema_json")?)
            .map_err(|e| CoreError::Store(format!("stored schema: {e}")))?;
        Ok(Some(StoredSchema {
            schema,
            discovered_at: rows::ts(row.i64("discovered_at")?)?,
        }))
    }
}
