//! Collections, with their connection counts.

use async_trait::async_trait;
use inlet_core::error::{CoreError, CoreResult};
use inlet_core::ids::{CollectionId, OrgId};
use inlet_core::list::{Page, PageRequest};
use inlet_core::model::collection::{Collection, CollectionPatch, NewCollection};
use inlet_core::model::now;
use inlet_core::store::CollectionStore;

use crate::audit::first_id;
use crate::db::{DbError, Sql};
use crate::rows::{self, ms};
use crate::sql_store::{SqlStore, one};

const COLLECTION_COLUMNS: &str = "c.id, c.org_id, c.name, c.description, c.created_at, c.updated_at, \
     (SELECT count(*) FROM connections x WHERE x.org_id = c.org_id AND x.collection_id = c.id) AS connection_count";

#[async_trait]
impl CollectionStore for SqlStore {
    async fn create_collection(&self, org: OrgId, new: NewCollection) -> CoreResult<Collection> {
        let t = ms(now());
        let q = Sql::new(
            "INSERT INTO collections (org_id, name, sort_name, description, created_at, updated_at) \
             VALUES (?, ?, ?, ?, ?, ?) \
             RETURNING id, org_id, name, description, created_at, updated_at, 0 AS connection_count",
        )
        .arg(org.0)
        .arg(new.name.as_str())
        .arg(new.name.to_lowercase())
        .arg(new.description)
        .arg(t)
        .arg(t);
        match self.write_audited(&q, |r| first_id(r, CollectionId)).await {
            Ok(rows) => one(rows, "collection", rows::collection),
            Err(DbError::Unique(_)) => Err(CoreError::Conflict(
                "a collection with this name already exists in the organization".into(),
            )),
            Err(e) => Err(e.into()),
        }
    }

    async fn get_collection(&self, org: OrgId, id: CollectionId) -> CoreResult<Collection> {
        let q = Sql::new(&format!(
            "SELECT {COLLECTION_COLUMNS} FROM collections c WHERE c.org_id = ? AND c.id = ?"
        ))
        .arg(org.0)
        .arg(id.0);
        one(self.db.fetch_all(&q).await?, "collection", rows::collection)
    }

    async fn list_collections(
        &self,
        org: OrgId,
        within: &[CollectionId],
        page: PageRequest,
    ) -> CoreResult<Page<Collection>> {
        let mut cond = Sql::new(" WHERE c.org_id = ?").arg(org.0);
        if !within.is_empty() {
            cond.push(" AND c.id IN (");
            for (i, c) in within.iter().enumerate() {
                if i > 0 {
                    cond.push(", ");
                }
                cond.bind(c.0);
            }
            cond.push(")");
        }
        let mut q = Sql::new(&format!("SELECT {COLLECTION_COLUMNS} FROM collections c"));
        q.append(&cond).push(" ORDER BY c.sort_name, c.id");
        let mut count = Sql::new("SELECT count(*) AS n FROM collections c");
        count.append(&cond);
        self.paged(q, count, page, rows::collection).await
    }

    async fn update_collection(
        &self,
        org: OrgId,
        id: CollectionId,
        patch: CollectionPatch,
    ) -> CoreResult<Collection> {
        let mut q = Sql::new("UPDATE collections SET updated_at = ");
        q.bind(ms(now()));
        if let Some(name) = &patch.name {
            q.push(", name = ").bind(name.as_str());
            q.push(", sort_name = ").bind(name.to_lowercase());
        }
        if let Some(d) = patch.description {
            q.push(", description = ").bind(d);
        }
        q.push(" WHERE org_id = ").bind(org.0);
        q.push(" AND id = ").bind(id.0).push(" RETURNING id");
        match self.write_audited(&q, |_| None).await {
            Ok(rows) if rows.is_empty() => Err(CoreError::NotFound("collection")),
            Ok(_) => self.get_collection(org, id).await,
            Err(DbError::Unique(_)) => Err(CoreError::Conflict(
                "a collection with this name already exists in the organization".into(),
            )),
            Err(e) => Err(e.into()),
        }
    }

    async fn delete_collection(
        &self,
        org: OrgId,
        id: CollectionId,
        cascade: bool,
    ) -> CoreResult<()> {
        self.remove_collection(org, id, cascade).await
    }
}
