//! Connections: create, read, the list queries, one-transaction edits, delete, status and test results.

use async_trait::async_trait;
use inlet_core::error::{CoreError, CoreResult};
use inlet_core::ids::{CollectionId, ConnectionId, OrgId};
use inlet_core::list::{ConnectionFilter, Page, PageRequest};
use inlet_core::model::connection::{
    Connection, ConnectionChange, ConnectionCounts, ConnectionStatus, NewConnection,
    wants_schema_auto_refresh,
};
use inlet_core::model::wire::WireEnum;
use inlet_core::model::{Timestamp, now};
use inlet_core::store::ConnectionStore;

use crate::connection_sql::{config_sql, credentials_sql, patch_sql, test_sql};
use crate::db::{DbError, Sql};
use crate::rows::{self, ms, to_json};
use crate::sql_store::{SqlStore, bump, one, push_alive};

#[async_trait]
impl ConnectionStore for SqlStore {
    async fn create_connection(&self, new: NewConnection) -> CoreResult<Connection> {
        let t = ms(now());
        let (secrets, key_id) = match new.secrets {
            Some(s) => (Some(s.data), Some(s.key_id)),
            None => (None, None),
        };
        let q = Sql::new(
            "INSERT INTO connections (org_id, collection_id, source_type, name, sort_name, description, \
             settings, config, secret_fields, secrets, secrets_key_id, tags, status, created_at, updated_at, \
             schema_auto_refresh, next_sync_at) \
             VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) RETURNING *",
        )
        .arg(new.org_id.0)
        .arg(new.collection_id.0)
        .arg(new.source_type)
        .arg(new.name.as_str())
        .arg(new.name.to_lowercase())
        .arg(new.description)
        .arg(to_json(&new.settings))
        .arg(to_json(&new.config))
        .arg(to_json(&new.secret_fields))
        .arg(secrets)
        .arg(key_id)
        .arg(to_json(&new.tags))
        .arg(ConnectionStatus::Pending.as_str())
        .arg(t)
        .arg(t)
        .arg(wants_schema_auto_refresh(&new.config))
        .arg(new.next_sync_at.map(ms));
        let mut tx = self.db.begin().await?;
        let created = match tx.query(&q).await {
            Ok(rows) => one(rows, "connection", rows::connection)?,
            Err(DbError::ForeignKey(_)) => return Err(CoreError::NotFound("collection")),
            Err(DbError::Unique(_)) => return Err(name_taken()),
            Err(e) => return Err(e.into()),
        };
        Self::insert_tags(&mut tx, new.org_id, created.id.0, &new.tags).await?;
        tx.query(&bump(new.org_id)).await?;
        self.audit_in(&mut tx, Some(created.id.to_string())).await?;
        tx.commit().await?;
        Ok(created)
    }

    async fn get_connection(&self, org: OrgId, id: ConnectionId) -> CoreResult<Connection> {
        let q = Sql::new("SELECT * FROM connections WHERE org_id = ? AND id = ?")
            .arg(org.0)
            .arg(id.0);
        one(
            self.db.fetch_all(&q).await?,
            "source connection",
            rows::connection,
        )
    }

    async fn list_connections(
        &self,
        org: OrgId,
        filter: &ConnectionFilter,
        page: PageRequest,
    ) -> CoreResult<Page<Connection>> {
        // Read the generation before querying, so a write that commits during
        // the query leaves this page tagged stale rather than the cache wrong.
        let generation = self.generation(org).await?;
        self.list_connections_at(org, filter, page, generation)
            .await
    }

    async fn all_connections(
        &self,
        org: OrgId,
        filter: &ConnectionFilter,
    ) -> CoreResult<Vec<Connection>> {
        let (_, order) = Self::connection_order(filter);
        let mut q = Sql::new("SELECT c.* FROM connections c");
        self.connection_conditions(&mut q, org, filter);
        q.push(" ORDER BY ").push(&order);
        let rows = self.db.fetch_all(&q).await?;
        Ok(rows
            .iter()
            .map(rows::connection)
            .collect::<Result<_, DbError>>()?)
    }

    async fn connection_counts(
        &self,
        org: OrgId,
        filter: &ConnectionFilter,
    ) -> CoreResult<ConnectionCounts> {
        let mut q = Sql::new("SELECT c.status, count(*) AS n, sum(CASE WHEN ");
        push_alive(&mut q);
        q.push(" THEN 1 ELSE 0 END) AS alive FROM connections c");
        self.connection_conditions(&mut q, org, filter);
        q.push(" GROUP BY c.status");
        let mut counts = ConnectionCounts::default();
        for row in self.db.fetch_all(&q).await? {
            let n = u64::try_from(row.i64("n")?).unwrap_or(0);
            counts.alive += u64::try_from(row.i64("alive")?).unwrap_or(0);
            counts
                .by_status
                .push((rows::wire(&row.text("status")?)?, n));
        }
        // In the order statuses are declared, as every page lists them.
        counts
            .by_status
            .sort_by_key(|(s, _)| ConnectionStatus::ALL.iter().position(|x| x == s));
        Ok(counts)
    }

    async fn connection_names(
        &self,
        org: OrgId,
        ids: &[ConnectionId],
        within_collections: &[CollectionId],
    ) -> CoreResult<Vec<(ConnectionId, String)>> {
        if ids.is_empty() {
            return Ok(Vec::new());
        }
        let mut q = Sql::new("SELECT id, name FROM connections WHERE org_id = ");
        q.bind(org.0)
            .push(" AND id IN ")
            .bind_list(ids.iter().map(|c| c.0));
        if !within_collections.is_empty() {
            q.push(" AND collection_id IN ")
                .bind_list(within_collections.iter().map(|c| c.0));
        }
        let rows = self.db.fetch_all(&q).await?;
        Ok(rows
            .iter()
            .map(|r| Ok((ConnectionId(r.i64("id")?), r.text("name")?)))
            .collect::<Result<_, DbError>>()?)
    }

    async fn list_connections_at(
        &self,
        org: OrgId,
        filter: &ConnectionFilter,
        page: PageRequest,
        generation: i64,
    ) -> CoreResult<Page<Connection>> {
        if let Some(hit) = self.cache.get(org, filter, page, generation) {
            return Ok(hit);
        }
        let result = self.query_connections(org, filter, page).await?;
        self.cache.put(org, filter, generation, &result);
        Ok(result)
    }

    async fn change_connection(
        &self,
        org: OrgId,
        id: ConnectionId,
        change: ConnectionChange,
    ) -> CoreResult<Connection> {
        let mut statements = Vec::new();
        if !change.patch.is_empty() {
            statements.push(patch_sql(org, id, &change.patch));
        }
        if let Some(update) = change.credentials {
            statements.push(credentials_sql(org, id, update));
        }
        if let Some(update) = change.config {
            statements.push(config_sql(org, id, update));
        }
        if let Some(at) = change.tested_at {
            statements.push(test_sql(org, id, at, None));
        }
        if statements.is_empty() {
            return self.get_connection(org, id).await;
        }
        let mut tx = self.db.begin().await?;
        let mut changed = None;
        for q in &statements {
            let rows = match tx.query(q).await {
                Err(DbError::Unique(_)) => return Err(name_taken()),
                rows => rows?,
            };
            changed = Some(one(rows, "source connection", rows::connection)?);
        }
        if let Some(tags) = &change.patch.tags {
            tx.query(
                &Sql::new("DELETE FROM connection_tags WHERE org_id = ? AND connection_id = ?")
                    .arg(org.0)
                    .arg(id.0),
            )
            .await?;
            Self::insert_tags(&mut tx, org, id.0, tags).await?;
        }
        tx.query(&bump(org)).await?;
        self.audit_in(&mut tx, None).await?;
        tx.commit().await?;
        changed.ok_or(CoreError::NotFound("source connection"))
    }

    async fn delete_connection(&self, org: OrgId, id: ConnectionId) -> CoreResult<()> {
        self.remove_connection(org, id).await
    }

    async fn set_status(
        &self,
        org: OrgId,
        id: ConnectionId,
        status: ConnectionStatus,
    ) -> CoreResult<()> {
        let q = Sql::new("UPDATE connections SET status = ?, updated_at = ? WHERE org_id = ? AND id = ? RETURNING id")
            .arg(status.as_str())
            .arg(ms(now()))
            .arg(org.0)
            .arg(id.0);
        if self.write_bumping(org, &q).await?.is_empty() {
            return Err(CoreError::NotFound("source connection"));
        }
        Ok(())
    }

    async fn record_test(
        &self,
        org: OrgId,
        id: ConnectionId,
        at: Timestamp,
        error: Option<&str>,
    ) -> CoreResult<Connection> {
        one(
            self.write_bumping(org, &test_sql(org, id, at, error))
                .await?,
            "source connection",
            rows::connection,
        )
    }
}

/// The conflict of a name another connection of the organization has (the
/// unique index `connections_org_unique_name` decides, so two concurrent
/// creates cannot both take it).
fn name_taken() -> CoreError {
    CoreError::Conflict("a connection with this name already exists in the organization".into())
}
