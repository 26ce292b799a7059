//! [`Store`] over [`Db`]: every query written once for both engines. Each
//! tenant query filters by `org_id`; constraint violations become domain
//! conflicts here, the one place that knows which constraint means what.

use std::sync::Arc;
use std::sync::atomic::AtomicU64;

use async_trait::async_trait;
use inlet_core::crypto::Sealed;
use inlet_core::error::{CoreError, CoreResult};
use inlet_core::ids::{ApiKeyId, CollectionId, ConnectionId, OrgId, UserId};
use inlet_core::list::{ConnectionFilter, Page, PageRequest};
use inlet_core::model::api_key::{ApiKey, NewApiKey};
use inlet_core::model::audit::AuditDraft;
use inlet_core::model::collection::{Collection, CollectionPatch, NewCollection};
use inlet_core::model::connection::{
    Connection, ConnectionChange, ConnectionCounts, ConnectionStatus, NewConnection,
};
use inlet_core::model::organization::Organization;
use inlet_core::model::schema::{DiscoveredSchema, StoredSchema};
use inlet_core::model::user::{Membership, Role, User};
use inlet_core::model::wire::WireEnum;
use inlet_core::model::{Timestamp, now};
use inlet_core::policy::OrgPolicy;
use inlet_core::store::{FoundKey, Store};

use crate::audit::first_id;
use crate::connection_sql::{auto_refresh, config_sql, credentials_sql, patch_sql, test_sql};
use crate::db::{Db, DbError, Row, Sql};
use crate::list_cache::ListCache;
use crate::rows::{self, ms, to_json};

impl From<DbError> for CoreError {
    fn from(e: DbError) -> Self {
        CoreError::Store(e.to_string())
    }
}

/// The store over either engine.
#[derive(Clone)]
pub struct SqlStore {
    pub(crate) db: Db,
    /// Connection-list pages (see [`ListCache`]).
    cache: Arc<ListCache>,
    /// Documents this process inserted since it last analysed them
    /// (PostgreSQL; see `analyze_if_grown`).
    pub(crate) inserted_since_analyze: Arc<AtomicU64>,
    /// Documents this process had inserted at its last analysis.
    pub(crate) analyzed_documents: Arc<AtomicU64>,
    /// In an audited view ([`Store::audited`]): the event the next change
    /// writes in its transaction.
    pub(crate) audit: Option<Arc<AuditDraft>>,
    /// Notified after each transaction that logged a change commits (see
    /// [`ChangeLog::change_signal`](inlet_core::store::ChangeLog::change_signal));
    /// shared by the audited views, which write through the same store.
    pub(crate) changed: Arc<tokio::sync::Notify>,
}

/// A key as authentication reads it ([`FoundKey`]): the key, its user's
/// role in the key's organization, the organization's list generation.
/// Callers append the condition (the key's hash, or a console session).
pub(crate) const KEY_LOOKUP: &str = "SELECT k.*, m.role AS member_role, \
     COALESCE((SELECT g.generation FROM list_generations g WHERE g.org_id = k.org_id), 0) \
     AS list_generation \
     FROM api_keys k \
     LEFT JOIN memberships m ON m.org_id = k.org_id AND m.user_id = k.user_id";

/// A row of [`KEY_LOOKUP`].
pub(crate) fn found_key(row: &Row) -> Result<FoundKey, DbError> {
    let role = row
        .opt_text("member_role")?
        .map(|r| rows::role(&r))
        .transpose()?;
    Ok((rows::api_key(row)?, role, row.i64("list_generation")?))
}

/// Revokes every key created, directly or not, under the keys whose
/// children `children` selects (a condition on `parent_key_id` whose first
/// argument is `first`; callers add the rest): a key never outlives the key
/// that made it.
fn revoke_under(children: &str, first: i64) -> Sql {
    Sql::new(&format!(
        "WITH RECURSIVE under(id) AS ( \
             SELECT id FROM api_keys WHERE {children} \
             UNION SELECT k.id FROM api_keys k JOIN under u ON k.parent_key_id = u.id) \
         UPDATE api_keys SET revoked_at = COALESCE(revoked_at, {now}) \
         WHERE id IN (SELECT id FROM under)",
        now = ms(now()),
    ))
    .arg(first)
}

/// The condition on connections `c` that [`Connection::alive`] states:
/// active, and the last finished sync completed.
pub(crate) const ALIVE: &str = "c.status = 'active' AND c.sync_ok = 1";

const COLLECTION_COLUMNS: &str = "c.id, c.org_id, c.name, c.description, c.created_at, c.updated_at, \
     (SELECT count(*) FROM connections x WHERE x.org_id = c.org_id AND x.collection_id = c.id) AS connection_count";

impl SqlStore {
    /// Wraps a connected, migrated database.
    pub fn new(db: Db) -> Self {
        Self {
            db,
            cache: Arc::new(ListCache::new(1024)),
            inserted_since_analyze: Arc::new(AtomicU64::new(0)),
            analyzed_documents: Arc::new(AtomicU64::new(0)),
            audit: None,
            changed: Arc::new(tokio::sync::Notify::new()),
        }
    }

    /// The engine facade (for checks and tools; the store's own queries go
    /// through the `Store` traits).
    pub fn db(&self) -> &Db {
        &self.db
    }

    /// Runs a write and, when it touched a row, bumps `org`'s list
    /// generation in the same transaction.
    /// The pending audit event (if any) goes in the same transaction.
    async fn write_bumping(&self, org: OrgId, q: &Sql) -> Result<Vec<Row>, DbError> {
        let mut tx = self.db.begin().await?;
        let rows = tx.query(q).await?;
        if !rows.is_empty() {
            tx.query(&bump(org)).await?;
            self.audit_in(&mut tx, None).await?;
        }
        tx.commit().await?;
        Ok(rows)
    }

    /// Runs a list query one page at a time (`LIMIT`/`OFFSET` appended) and
    /// its `count` query only when the page does not prove the total.
    pub(crate) async fn paged<T>(
        &self,
        mut q: Sql,
        count: Sql,
        page: PageRequest,
        map: impl Fn(&Row) -> Result<T, DbError>,
    ) -> CoreResult<Page<T>> {
        limit_offset(&mut q, page);
        let rows = self.db.fetch_all(&q).await?;
        let total = match total_from_page(page, rows.len()) {
            Some(t) => t,
            None => self.count(&count).await?,
        };
        page_of(rows, page, total, map)
    }

    /// `org`'s list generation (0 before its first write).
    async fn generation(&self, org: OrgId) -> CoreResult<i64> {
        let q = Sql::new("SELECT generation FROM list_generations WHERE org_id = ?").arg(org.0);
        Ok(match self.db.fetch_lookup(&q).await?.into_iter().next() {
            Some(row) => row.i64("generation")?,
            None => 0,
        })
    }

    pub(crate) async fn count(&self, q: &Sql) -> CoreResult<u64> {
        let row = self
            .db
            .fetch_optional(q)
            .await?
            .ok_or_else(|| CoreError::Store("count returned no row".into()))?;
        Ok(u64::try_from(row.i64("n")?).unwrap_or(0))
    }
}

/// Invalidates `org`'s cached list pages; run inside each write's transaction.
pub(crate) fn bump(org: OrgId) -> Sql {
    Sql::new(
        "INSERT INTO list_generations (org_id, generation) VALUES (?, 1) \
         ON CONFLICT (org_id) DO UPDATE SET generation = list_generations.generation + 1 \
         RETURNING generation",
    )
    .arg(org.0)
}

pub(crate) fn one<T>(
    rows: Vec<Row>,
    what: &'static str,
    map: impl Fn(&Row) -> Result<T, DbError>,
) -> CoreResult<T> {
    let row = rows.into_iter().next().ok_or(CoreError::NotFound(what))?;
    Ok(map(&row)?)
}

pub(crate) fn page_of<T>(
    rows: Vec<Row>,
    request: PageRequest,
    total: u64,
    map: impl Fn(&Row) -> Result<T, DbError>,
) -> CoreResult<Page<T>> {
    let items = rows.iter().map(map).collect::<Result<Vec<_>, _>>()?;
    Ok(Page {
        items,
        request,
        total,
    })
}

pub(crate) fn limit_offset(q: &mut Sql, page: PageRequest) {
    q.push(" LIMIT ")
        .bind(page.page_size)
        .push(" OFFSET ")
        .bind(i64::try_from(page.offset()).unwrap_or(i64::MAX));
}

/// The total when the page itself proves it, saving a count query: a short,
/// non-empty page (or an empty first page) is the last one.
pub(crate) fn total_from_page(page: PageRequest, len: usize) -> Option<u64> {
    let len = len as u64;
    (len < u64::from(page.page_size) && (len > 0 || page.page == 1)).then(|| page.offset() + len)
}

#[async_trait]
impl Store for SqlStore {
    fn audited(&self, event: AuditDraft) -> Arc<dyn Store> {
        Arc::new(Self {
            audit: Some(Arc::new(event)),
            ..self.clone()
        })
    }

    async fn ping(&self) -> CoreResult<()> {
        self.db.fetch_all(&Sql::new("SELECT 1 AS one")).await?;
        Ok(())
    }

    async fn create_org(&self, name: &str) -> CoreResult<Organization> {
        let q = Sql::new(
            "INSERT INTO organizations (name, created_at) VALUES (?, ?) RETURNING id, name, created_at",
        )
        .arg(name)
        .arg(ms(now()));
        let result = async {
            let mut tx = self.db.begin().await?;
            let rows = tx.query(&q).await?;
            if let (Some(e), Some(id)) = (&self.audit, rows.first().and_then(|r| r.i64("id").ok()))
            {
                // Its creation is the new organization's first event.
                let e = AuditDraft {
                    org_id: OrgId(id),
                    ..(**e).clone()
                };
                crate::audit::write_event(&mut tx, &e, Some(OrgId(id).to_string())).await?;
            }
            tx.commit().await?;
            Ok::<_, DbError>(rows)
        }
        .await;
        match result {
            Ok(rows) => one(rows, "organization", rows::org),
            Err(DbError::Unique(_)) => Err(CoreError::Conflict(
                "an organization with this name already exists".into(),
            )),
            Err(e) => Err(e.into()),
        }
    }

    async fn get_org(&self, id: OrgId) -> CoreResult<Organization> {
        let q = Sql::new("SELECT id, name, created_at FROM organizations WHERE id = ?").arg(id.0);
        one(self.db.fetch_all(&q).await?, "organization", rows::org)
    }

    async fn list_orgs(&self, page: PageRequest) -> CoreResult<Page<Organization>> {
        let q = Sql::new("SELECT id, name, created_at FROM organizations ORDER BY id");
        let count = Sql::new("SELECT count(*) AS n FROM organizations");
        self.paged(q, count, page, rows::org).await
    }

    async fn count_orgs(&self) -> CoreResult<u64> {
        self.count(&Sql::new("SELECT count(*) AS n FROM organizations"))
            .await
    }

    async fn org_policy(&self, id: OrgId) -> CoreResult<OrgPolicy> {
        let q = Sql::new("SELECT outbound_policy FROM organizations WHERE id = ?").arg(id.0);
        let rows = self.db.fetch_all(&q).await?;
        let row = rows.first().ok_or(CoreError::NotFound("organization"))?;
        match row.opt_text("outbound_policy")? {
            None => Ok(OrgPolicy::restricted()),
            Some(text) => serde_json::from_str(&text)
                .map_err(|e| e.to_string())
                .and_then(|v| OrgPolicy::from_json(&v))
                .map_err(|e| CoreError::Store(format!("organization {id}'s outbound policy: {e}"))),
        }
    }

    async fn set_org_policy(&self, id: OrgId, policy: &OrgPolicy) -> CoreResult<OrgPolicy> {
        let q = Sql::new("UPDATE organizations SET outbound_policy = ? WHERE id = ? RETURNING id")
            .arg(policy.to_json().to_string())
            .arg(id.0);
        if self.write_audited(&q, |_| None).await?.is_empty() {
            return Err(CoreError::NotFound("organization"));
        }
        Ok(policy.clone())
    }

    async fn create_user(&self, email: &str, name: &str) -> CoreResult<User> {
        let q = Sql::new(
            "INSERT INTO users (email, name, created_at) VALUES (?, ?, ?) RETURNING id, email, name, created_at",
        )
        .arg(email)
        .arg(name)
        .arg(ms(now()));
        match self.write_audited(&q, |r| first_id(r, UserId)).await {
            Ok(rows) => one(rows, "user", rows::user),
            Err(DbError::Unique(_)) => Err(CoreError::Conflict(
                "a user with this email already exists".into(),
            )),
            Err(e) => Err(e.into()),
        }
    }

    async fn get_user(&self, id: UserId) -> CoreResult<User> {
        let q = Sql::new("SELECT id, email, name, created_at FROM users WHERE id = ?").arg(id.0);
        one(self.db.fetch_all(&q).await?, "user", rows::user)
    }

    async fn list_users(&self, page: PageRequest) -> CoreResult<Page<User>> {
        let q = Sql::new("SELECT id, email, name, created_at FROM users ORDER BY id");
        let count = Sql::new("SELECT count(*) AS n FROM users");
        self.paged(q, count, page, rows::user).await
    }

    async fn upsert_membership(
        &self,
        org: OrgId,
        user: UserId,
        role: Role,
    ) -> CoreResult<Membership> {
        let q = Sql::new(
            "INSERT INTO memberships (org_id, user_id, role, created_at) VALUES (?, ?, ?, ?) \
             ON CONFLICT (org_id, user_id) DO UPDATE SET role = excluded.role \
             RETURNING org_id, user_id, role, created_at",
        )
        .arg(org.0)
        .arg(user.0)
        .arg(role.as_str())
        .arg(ms(now()));
        match self.write_audited(&q, |_| None).await {
            Ok(rows) => one(rows, "membership", rows::membership),
            Err(DbError::ForeignKey(_)) => Err(CoreError::NotFound("organization or user")),
            Err(e) => Err(e.into()),
        }
    }

    async fn delete_membership(&self, org: OrgId, user: UserId) -> CoreResult<()> {
        let q =
            Sql::new("DELETE FROM memberships WHERE org_id = ? AND user_id = ? RETURNING org_id")
                .arg(org.0)
                .arg(user.0);
        // The user's own keys stop at the next request (authentication
        // joins the membership); keys they created end with it, for good.
        let under = revoke_under(
            "parent_key_id IN (SELECT id FROM api_keys WHERE org_id = ? AND user_id = ?)",
            org.0,
        )
        .arg(user.0);
        if self.write_audited_then(&q, &under).await?.is_empty() {
            return Err(CoreError::NotFound("membership"));
        }
        Ok(())
    }

    async fn list_memberships(&self, user: UserId) -> CoreResult<Vec<Membership>> {
        let q = Sql::new(
            "SELECT org_id, user_id, role, created_at FROM memberships WHERE user_id = ? ORDER BY org_id",
        )
        .arg(user.0);
        let rows = self.db.fetch_all(&q).await?;
        Ok(rows
            .iter()
            .map(rows::membership)
            .collect::<Result<_, _>>()?)
    }

    async fn create_api_key(&self, key: NewApiKey) -> CoreResult<ApiKey> {
        let scopes: Vec<&str> = key.scopes.iter().map(|s| s.as_str()).collect();
        let collections: Vec<i64> = key.collection_ids.iter().map(|c| c.0).collect();
        let q = Sql::new(
            "INSERT INTO api_keys (org_id, user_id, name, key_hash, prefix, scopes, collection_ids, \
             instance_admin, expires_at, created_at, parent_key_id) \
             VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) RETURNING *",
        )
        .arg(key.org_id.0)
        .arg(key.user_id.map(|u| u.0))
        .arg(key.name)
        .arg(key.hash)
        .arg(key.prefix)
        .arg(to_json(&scopes))
        .arg(to_json(&collections))
        .arg(key.instance_admin)
        .arg(key.expires_at.map(ms))
        .arg(ms(now()))
        .arg(key.parent_key_id.map(|k| k.0));
        match self.write_audited(&q, |r| first_id(r, ApiKeyId)).await {
            Ok(rows) => one(rows, "api key", rows::api_key),
            Err(DbError::Unique(_)) => {
                Err(CoreError::Conflict("this API key already exists".into()))
            }
            Err(DbError::ForeignKey(_)) => Err(CoreError::NotFound("organization or user")),
            Err(e) => Err(e.into()),
        }
    }

    async fn find_api_key(&self, hash: &str) -> CoreResult<Option<FoundKey>> {
        let q = Sql::new(&format!("{KEY_LOOKUP} WHERE k.key_hash = ?")).arg(hash);
        match self.db.fetch_lookup(&q).await?.first() {
            Some(row) => Ok(Some(found_key(row)?)),
            None => Ok(None),
        }
    }

    async fn list_api_keys(&self, org: OrgId, page: PageRequest) -> CoreResult<Page<ApiKey>> {
        let q = Sql::new("SELECT * FROM api_keys WHERE org_id = ? ORDER BY id DESC").arg(org.0);
        let count = Sql::new("SELECT count(*) AS n FROM api_keys WHERE org_id = ?").arg(org.0);
        self.paged(q, count, page, rows::api_key).await
    }

    async fn revoke_api_key(
        &self,
        org: OrgId,
        id: ApiKeyId,
        instance_admin_keys: bool,
    ) -> CoreResult<ApiKey> {
        let q = Sql::new(
            "UPDATE api_keys SET revoked_at = COALESCE(revoked_at, ?) \
             WHERE org_id = ? AND id = ? AND (instance_admin = 0 OR ? = 1) RETURNING *",
        )
        .arg(ms(now()))
        .arg(org.0)
        .arg(id.0)
        .arg(instance_admin_keys);
        // Every key created under it goes with it, whatever organization
        // it was made for, in the same transaction.
        let under = revoke_under("parent_key_id = ?", id.0);
        one(
            self.write_audited_then(&q, &under).await?,
            "api key",
            rows::api_key,
        )
    }

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
        .arg(auto_refresh(&new.config))
        .arg(new.next_sync_at.map(ms));
        let mut tx = self.db.begin().await?;
        let created = match tx.query(&q).await {
            Ok(rows) => one(rows, "connection", rows::connection)?,
            Err(DbError::ForeignKey(_)) => return Err(CoreError::NotFound("collection")),
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
        let mut q = Sql::new(&format!(
            "SELECT c.status, count(*) AS n, sum(CASE WHEN {ALIVE} THEN 1 ELSE 0 END) AS alive \
             FROM connections c"
        ));
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
            changed = Some(one(
                tx.query(q).await?,
                "source connection",
                rows::connection,
            )?);
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

    async fn secrets_not_under(
        &self,
        key_id: &str,
        limit: u32,
    ) -> CoreResult<Vec<(ConnectionId, Sealed)>> {
        let q = Sql::new(
            "SELECT id, secrets, secrets_key_id FROM connections \
             WHERE secrets IS NOT NULL AND secrets_key_id <> ? ORDER BY id LIMIT ?",
        )
        .arg(key_id)
        .arg(limit);
        let rows = self.db.fetch_all(&q).await?;
        rows.iter()
            .map(|r| {
                Ok((
                    ConnectionId(r.i64("id")?),
                    Sealed {
                        key_id: r.text("secrets_key_id")?,
                        data: r.opt_blob("secrets")?.unwrap_or_default(),
                    },
                ))
            })
            .collect::<Result<_, DbError>>()
            .map_err(Into::into)
    }

    async fn reseal_secret(
        &self,
        id: ConnectionId,
        old: &Sealed,
        new: &Sealed,
    ) -> CoreResult<bool> {
        let q = Sql::new(
            "UPDATE connections SET secrets = ?, secrets_key_id = ? \
             WHERE id = ? AND secrets_key_id = ? AND secrets = ? RETURNING org_id",
        )
        .arg(new.data.clone())
        .arg(new.key_id.as_str())
        .arg(id.0)
        .arg(old.key_id.as_str())
        .arg(old.data.clone());
        let mut tx = self.db.begin().await?;
        let Some(row) = tx.query(&q).await?.into_iter().next() else {
            return Ok(false);
        };
        tx.query(&bump(OrgId(row.i64("org_id")?))).await?;
        tx.commit().await?;
        Ok(true)
    }

    // Master key check (`master_key.rs`) -----------------------------------

    async fn master_key_check(&self) -> CoreResult<Option<Sealed>> {
        self.read_master_key_check().await
    }

    async fn replace_master_key_check(
        &self,
        old: Option<&Sealed>,
        new: &Sealed,
    ) -> CoreResult<bool> {
        self.write_master_key_check(old, new).await
    }

    async fn any_sealed_secret(&self) -> CoreResult<Option<Sealed>> {
        self.first_sealed_secret().await
    }
}
