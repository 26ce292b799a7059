//! API keys: the lookup every request makes, creation, listing, and revocation with every key made under the revoked one.

use async_trait::async_trait;
use inlet_core::error::{CoreError, CoreResult};
use inlet_core::ids::{ApiKeyId, OrgId};
use inlet_core::list::{Page, PageRequest};
use inlet_core::model::api_key::{ApiKey, NewApiKey};
use inlet_core::model::now;
use inlet_core::model::wire::WireEnum;
use inlet_core::store::{FoundKey, KeyStore};

use crate::audit::first_id;
use crate::db::{DbError, Row, Sql};
use crate::rows::{self, ms, to_json};
use crate::sql_store::{SqlStore, one};

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
    Ok(FoundKey {
        key: rows::api_key(row)?,
        role,
        list_generation: row.i64("list_generation")?,
    })
}

/// Revokes every key created, directly or not, under the keys whose
/// children `children` selects (a condition on `parent_key_id` whose first
/// argument is `first`; callers add the rest): a key never outlives the key
/// that made it.
pub(crate) fn revoke_under(children: &str, first: i64) -> Sql {
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

#[async_trait]
impl KeyStore for SqlStore {
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
}
