//! The master-key check value: one row, `master_key_check`, holding a known
//! plaintext sealed under the master key. The services decide what a start
//! does with it; this only reads and writes it.

use inlet_core::crypto::Sealed;
use inlet_core::error::CoreResult;
use inlet_core::model::now;

use crate::db::{DbError, Row, Sql};
use crate::rows::ms;
use crate::sql_store::SqlStore;

/// A stored sealed value from its `key_id` and `data_col` columns.
fn sealed(row: &Row, data_col: &str) -> Result<Sealed, DbError> {
    Ok(Sealed {
        key_id: row.text("key_id")?,
        data: row.opt_blob(data_col)?.unwrap_or_default(),
    })
}

impl SqlStore {
    pub(crate) async fn read_master_key_check(&self) -> CoreResult<Option<Sealed>> {
        let q = Sql::new("SELECT key_id, sealed FROM master_key_check WHERE id = 1");
        let row = self.db.fetch_optional(&q).await?;
        Ok(row.map(|r| sealed(&r, "sealed")).transpose()?)
    }

    pub(crate) async fn write_master_key_check(
        &self,
        old: Option<&Sealed>,
        new: &Sealed,
    ) -> CoreResult<bool> {
        // Both engines take `ON CONFLICT DO NOTHING`; the compare-and-set
        // on the old value keeps a concurrent writer's value.
        let q = match old {
            None => Sql::new(
                "INSERT INTO master_key_check (id, key_id, sealed, updated_at) \
                 VALUES (1, ?, ?, ?) ON CONFLICT (id) DO NOTHING RETURNING id",
            )
            .arg(new.key_id.as_str())
            .arg(new.data.clone())
            .arg(ms(now())),
            Some(old) => Sql::new(
                "UPDATE master_key_check SET key_id = ?, sealed = ?, updated_at = ? \
                 WHERE id = 1 AND key_id = ? AND sealed = ? RETURNING id",
            )
            .arg(new.key_id.as_str())
            .arg(new.data.clone())
            .arg(ms(now()))
            .arg(old.key_id.as_str())
            .arg(old.data.clone()),
        };
        Ok(!self.db.write(&q).await?.is_empty())
    }

    pub(crate) async fn first_sealed_secret(&self) -> CoreResult<Option<Sealed>> {
        let q = Sql::new(
            "SELECT secrets_key_id AS key_id, secrets FROM connections \
             WHERE secrets IS NOT NULL ORDER BY id LIMIT 1",
        );
        let row = self.db.fetch_optional(&q).await?;
        Ok(row.map(|r| sealed(&r, "secrets")).transpose()?)
    }
}
