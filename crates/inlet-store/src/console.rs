//! Web console sessions in the store.

use async_trait::async_trait;
use inlet_core::error::CoreResult;
use inlet_core::model::{Timestamp, now};
use inlet_core::store::{ConsoleStore, FoundKey};

use crate::db::Sql;
use crate::keys::{KEY_LOOKUP, found_key};
use crate::rows::ms;
use crate::sql_store::SqlStore;

#[async_trait]
impl ConsoleStore for SqlStore {
    async fn create_console_session(
        &self,
        token_hash: &str,
        key_hash: &str,
        expires_at: Timestamp,
    ) -> CoreResult<()> {
        let q = Sql::new(
            "INSERT INTO console_sessions (token_hash, key_hash, created_at, expires_at) \
             VALUES (?, ?, ?, ?) RETURNING token_hash",
        )
        .arg(token_hash)
        .arg(key_hash)
        .arg(ms(now()))
        .arg(ms(expires_at));
        self.write_audited(&q, |_| None).await?;
        // Sessions nobody signed out of would pile up: each sign-in sweeps
        // the expired ones (indexed by expiry).
        let sweep = Sql::new("DELETE FROM console_sessions WHERE expires_at <= ?").arg(ms(now()));
        let mut tx = self.db.begin().await?;
        tx.execute(&sweep).await?;
        tx.commit().await?;
        Ok(())
    }

    async fn console_session_api_key(
        &self,
        token_hash: &str,
        now: Timestamp,
    ) -> CoreResult<Option<FoundKey>> {
        // One statement for every console page: the session and its key.
        let q = Sql::new(&format!(
            "{KEY_LOOKUP} JOIN console_sessions s ON s.key_hash = k.key_hash \
             WHERE s.token_hash = ? AND s.expires_at > ?"
        ))
        .arg(token_hash)
        .arg(ms(now));
        match self.db.fetch_lookup(&q).await?.first() {
            Some(row) => Ok(Some(found_key(row)?)),
            None => Ok(None),
        }
    }

    async fn delete_console_session(&self, token_hash: &str, now: Timestamp) -> CoreResult<()> {
        let q = Sql::new("DELETE FROM console_sessions WHERE token_hash = ? OR expires_at <= ?")
            .arg(token_hash)
            .arg(ms(now));
        // (Expired sessions go too, as at every sign-in.)
        let mut tx = self.db.begin().await?;
        tx.execute(&q).await?;
        tx.commit().await?;
        Ok(())
    }
}
