//! Sealed secrets across organizations (master-key rotation) and the master-key check value.

use async_trait::async_trait;
use inlet_core::crypto::Sealed;
use inlet_core::error::CoreResult;
use inlet_core::ids::{ConnectionId, OrgId};
use inlet_core::store::SecretStore;

use crate::db::{DbError, Sql};
use crate::sql_store::{SqlStore, bump};

#[async_trait]
impl SecretStore for SqlStore {
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
